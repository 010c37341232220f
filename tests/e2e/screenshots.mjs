// Screenshots of the console's main pages in English and Japanese (Asia/Tokyo), for docs/.
// Not a test: scripts/console_screenshots.sh runs it on the investigation fixture.
//
//   node screenshots.mjs KAGAMI_BINARY INVESTIGATION_FIXTURE_BINARY OUT_DIR
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromiumOrSkip, loginConsole, startConsole } from './harness.mjs';

const [kagami, fixture, out] = process.argv.slice(2);
const { chromium, path: chromiumPath } = await chromiumOrSkip();
const dir = mkdtempSync(join(tmpdir(), 'kagami-shots-'));
const store = join(dir, 'store');
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
};
run(fixture, [dir]);
run(kagami, ['record', '--read', join(dir, 'incident.pcap'), '--store', store, '-c', join(dir, 'kagami.toml')]);
writeFileSync(join(dir, 'pw'), 'alice-password-123\n');
run(kagami, ['user', 'set', '--store', store, 'alice', '--role', 'investigator', '--password-file', join(dir, 'pw')]);
const { proc: server, url: started } = startConsole(kagami, store);
const url = await started;
mkdirSync(out, { recursive: true });
const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox'] });
const pages = [
  ['dashboard', '#/'],
  ['search', '#/search?q=' + encodeURIComponent('user:tanaka') + '&kind=sessions'],
  ['findings', '#/search?q=' + encodeURIComponent('finding:jp_my_number') + '&kind=findings'],
  ['alerts', '#/alerts'],
  ['session', '#/session/1'],
  ['mail', '#/record/mail/1'],
];
try {
  for (const lang of ['en', 'ja']) {
    const ctx = await browser.newContext({
      ignoreHTTPSErrors: true,
      locale: lang === 'ja' ? 'ja-JP' : 'en-US',
      timezoneId: 'Asia/Tokyo',
      viewport: { width: 1280, height: 860 },
    });
    const page = await ctx.newPage();
    await loginConsole(page, url, 'alice', 'alice-password-123');
    for (const [name, hash] of pages) {
      await page.goto(url + '/' + hash);
      await page.waitForSelector('main h1');
      if (name === 'search') {
        await page.click('#spi summary');
        await page.click('.spi-field[data-field=host] summary');
        await page.click('#talkers summary');
      }
      await page.waitForTimeout(700);
      await page.screenshot({ path: join(out, `${name}-${lang}.png`), fullPage: true });
    }
    await ctx.close();
  }
} finally {
  await browser.close();
  server.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
console.log(`screenshots in ${out}`);
