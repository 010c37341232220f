// HTTP/1 as browsers parse it: a local server (evasion_server.py) delivers one file in each
// of the HTTP-Evader ways (odd transfer codings, line ends, folding, lengths, status lines,
// chunk sizes, content codings); headless Chromium (Debian's, driven by playwright-core)
// fetches each one while `kagami record` captures loopback. For every variant Chromium
// decoded, Kagami's extracted file must be exactly what Chromium got, and every trick must be
// flagged (`evasion:<kind>`); where Chromium refused the response, Kagami must still flag it.
//
//   node http_evasion.e2e.mjs KAGAMI_BINARY [--report]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SKIP, chromiumOrSkip, freePort, start, stop, stopAll } from './harness.mjs';

const [kagami, ...rest] = process.argv.slice(2);
const report = rest.includes('--report');
const here = dirname(fileURLToPath(import.meta.url));
const { chromium, path: chromiumPath } = await chromiumOrSkip();

const dir = mkdtempSync(join(tmpdir(), 'kagami-evasion-'));
const store = join(dir, 'store');
let browser = null;

function kagamiJson(args) {
  const r = spawnSync(kagami, [...args, '--store', store, '--json', '--limit', '100000'],
                      { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`kagami ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}

let failures = 0;
try {
  const port = await freePort();
  let recorder;
  try {
    recorder = await start(kagami, ['record', '--interface', 'lo', '--filter', `tcp port ${port}`,
                                    '--store', store, '--sensor', 'evasion'], 'recording lo');
  } catch (e) {
    if (/ermission|not permitted/.test(e.message)) {
      console.error('live capture needs CAP_NET_RAW: ' + e.message);
      process.exitCode = SKIP;
      throw e;
    }
    throw e;
  }
  await start('/usr/bin/python3', [join(here, 'evasion_server.py'), String(port)], 'serving');
  browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
  const page = await browser.newPage();
  const origin = `http://127.0.0.1:${port}`;
  await page.goto(origin + '/');
  const variants = await page.evaluate(async (u) => (await fetch(u)).json(), origin + '/variants.json');
  // What Chromium made of each: the sha256 of the body it handed the page, or its error.
  const browserSaw = {};
  for (const v of variants) {
    browserSaw[v.name] = await page.evaluate(async (u) => {
      try {
        const r = await fetch(u, { cache: 'no-store' });
        const body = await r.arrayBuffer();
        const d = await crypto.subtle.digest('SHA-256', body);
        return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, '0')).join('');
      } catch (e) {
        return 'error: ' + e.message;
      }
    }, `${origin}/v/${v.name}`);
  }
  await browser.close();
  browser = null;
  await new Promise((r) => setTimeout(r, 500));  // the last packets through the kernel ring
  await stop(recorder.proc, 'SIGINT');

  const byUri = {};
  for (const h of kagamiJson(['http'])) byUri[h.uri] = h;
  for (const v of variants) {
    const h = byUri[`/v/${v.name}`];
    const saw = browserSaw[v.name];
    const files = h ? h.files || [] : [];
    const evasions = h ? h.evasion || [] : [];
    const problems = [];
    if (!h) {
      problems.push('no HTTP record');
    } else {
      // An empty body is no file.
      const empty = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
      if (saw === empty ? files.length > 0 : !saw.startsWith('error') && !files.includes(saw))
        problems.push(`Chromium got ${saw.slice(0, 12)}, Kagami kept [${files.map((f) => f.slice(0, 12))}]`);
      if (v.kind && !evasions.includes(v.kind)) problems.push(`not flagged evasion:${v.kind}`);
      if (!v.kind && evasions.length) problems.push(`flagged [${evasions}] although plain`);
    }
    const same = saw === v.sha256 ? 'file as sent' : saw.startsWith('error') ? saw : 'other bytes';
    if (report || problems.length)
      console.log(`${problems.length ? 'FAIL' : 'ok  '} ${v.name}: Chromium: ${same}; ` +
                  `kagami: [${evasions}] ${h ? h.flags : ''} ${problems.join('; ')}`);
    if (problems.length) ++failures;
  }
  console.log(`${variants.length - failures} of ${variants.length} variants as Chromium saw them`);
} catch (e) {
  if (process.exitCode !== SKIP) {
    console.error(e);
    failures = Math.max(failures, 1);
  }
} finally {
  if (browser) await browser.close();
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(process.exitCode === SKIP ? SKIP : failures ? 1 : 0);
