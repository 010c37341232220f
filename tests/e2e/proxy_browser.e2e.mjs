// Headless Chromium through `kagami proxy`, trusting the organisation's CA from an NSS
// database made with certutil, as a managed PC would: a page over HTTP/2 from nginx (which
// advertises HTTP/3), and a WebSocket chat with a python3-websockets server over TLS
// (permessage-deflate, as both sides offer it). The browser must see the page over h2 with
// no HTTP/3 advertisement left and get its chat answer; the recorder in the proxy must hold
// the page as an HTTP/2 transaction and every chat message, decompressed and searchable.
//
//   node proxy_browser.e2e.mjs KAGAMI_BINARY
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { SKIP, children, chromiumOrSkip, freePort, start, stop, stopAll, waitPort } from './harness.mjs';

const [kagami] = process.argv.slice(2);
const { chromium, path: chromiumPath } = await chromiumOrSkip();
for (const [path, what] of [['/usr/bin/certutil', 'certutil (libnss3-tools)'], ['/usr/sbin/nginx', 'nginx']]) {
  if (!existsSync(path)) {
    console.error(`no ${what} at ${path} (scripts/setup.sh installs it)`);
    process.exit(SKIP);
  }
}
if (spawnSync('/usr/bin/python3', ['-c', 'import websockets.server']).status !== 0) {
  console.error('python3-websockets is missing (scripts/setup.sh installs it)');
  process.exit(SKIP);
}

const dir = mkdtempSync(join(tmpdir(), 'kagami-browser-'));
let browser = null;

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26, ...options });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const wsServer = `
import asyncio, ssl, sys, websockets
async def chat(ws):
    async for message in ws:
        await ws.send("received: " + message)
async def main():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[2], sys.argv[3])
    async with websockets.serve(chat, "127.0.0.1", int(sys.argv[1]), ssl=ctx):
        print("serving", flush=True)
        await asyncio.Future()
asyncio.run(main())
`;

let failed = false;
try {
  // The origin's PKI (what the Internet's servers show) and the organisation's CA.
  run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
                  '-days', '30', '-subj', '/CN=Origin Root', '-keyout', join(dir, 'root.key'),
                  '-out', join(dir, 'root.pem'), '-addext', 'basicConstraints=critical,CA:TRUE',
                  '-addext', 'keyUsage=critical,keyCertSign']);
  run('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
                  '-subj', '/CN=site.test', '-keyout', join(dir, 'site.key'), '-out', join(dir, 'site.csr')]);
  writeFileSync(join(dir, 'ext.cnf'),
                'subjectAltName=DNS:site.test,DNS:chat.test\nextendedKeyUsage=serverAuth\n');
  run('openssl', ['x509', '-req', '-in', join(dir, 'site.csr'), '-CA', join(dir, 'root.pem'),
                  '-CAkey', join(dir, 'root.key'), '-CAcreateserial', '-days', '20', '-extfile',
                  join(dir, 'ext.cnf'), '-out', join(dir, 'site.pem')]);
  run(kagami, ['ca', 'init', '--dir', join(dir, 'ca')]);

  const webPort = await freePort();
  const chatPort = await freePort();
  const proxyPort = await freePort();
  mkdirSync(join(dir, 'www'));
  writeFileSync(join(dir, 'www', 'index.html'), `<!doctype html><meta charset="utf-8"><title>chat</title>
<script>
window.result = new Promise((resolve) => {
  const ws = new WebSocket('wss://chat.test:${chatPort}/room');
  const got = [];
  ws.onopen = () => { ws.send('顧客のマイナンバー 1234 5678 9012'); ws.send('second message'); };
  ws.onmessage = (e) => { got.push(e.data); if (got.length === 2) { ws.close(1000, 'done'); resolve(got); } };
  ws.onerror = () => resolve(['websocket error']);
});
</script>`);
  writeFileSync(join(dir, 'nginx.conf'), `daemon off; pid ${dir}/nginx.pid; error_log ${dir}/nginx.err;
worker_processes 1; events {}
http { access_log off; client_body_temp_path ${dir}/b; proxy_temp_path ${dir}/p;
  fastcgi_temp_path ${dir}/f; uwsgi_temp_path ${dir}/u; scgi_temp_path ${dir}/s;
  types { text/html html; }
  server { listen 127.0.0.1:${webPort} ssl http2; server_name site.test;
    ssl_certificate ${dir}/site.pem; ssl_certificate_key ${dir}/site.key; root ${dir}/www;
    add_header Alt-Svc 'h3=":${webPort}"; ma=86400' always; } }
`);
  run('chmod', ['-R', 'a+rX', dir]);  // nginx's worker reads as nobody
  const nginx = spawn('/usr/sbin/nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'ignore' });
  children.push(nginx);
  await waitPort(webPort);
  writeFileSync(join(dir, 'chat.py'), wsServer);
  await start('/usr/bin/python3', [join(dir, 'chat.py'), String(chatPort), join(dir, 'site.pem'),
                                   join(dir, 'site.key')], 'serving');

  writeFileSync(join(dir, 'proxy.toml'), '[hosts]\n"site.test" = "127.0.0.1"\n"chat.test" = "127.0.0.1"\n');
  const store = join(dir, 'store');
  const proxy = await start(kagami, ['proxy', '--listen', `127.0.0.1:${proxyPort}`, '--ca', join(dir, 'ca'),
                                     '--upstream-ca', join(dir, 'root.pem'), '--allow-destination',
                                     '127.0.0.0/8', '--config', join(dir, 'proxy.toml'),
                                     '--record', store], 'listening on port');

  // The browser's own certificate store: the organisation's CA, trusted for servers.
  const home = join(dir, 'home');
  const nssdb = join(home, '.pki', 'nssdb');
  mkdirSync(nssdb, { recursive: true });
  run('certutil', ['-d', `sql:${nssdb}`, '-N', '--empty-password']);
  run('certutil', ['-d', `sql:${nssdb}`, '-A', '-t', 'C,,', '-n', 'Kagami organisation CA', '-i',
                   join(dir, 'ca', 'ca.crt')]);
  browser = await chromium.launch({
    executablePath: chromiumPath,
    env: { ...process.env, HOME: home },
    args: ['--no-sandbox', `--proxy-server=http://127.0.0.1:${proxyPort}`,
           '--proxy-bypass-list=<-loopback>'],
  });
  const page = await browser.newPage();
  const response = await page.goto(`https://site.test:${webPort}/index.html`);
  assert.equal(response.status(), 200);
  const headers = await response.allHeaders();
  assert.equal(headers['alt-svc'], undefined, 'the HTTP/3 advertisement reached the browser');
  const protocol = await page.evaluate(() => performance.getEntriesByType('navigation')[0].nextHopProtocol);
  assert.equal(protocol, 'h2');
  const chat = await page.evaluate(() => window.result);
  assert.deepEqual(chat, ['received: 顧客のマイナンバー 1234 5678 9012', 'received: second message']);
  const security = await page.evaluate(() => window.isSecureContext);
  assert.equal(security, true);
  await browser.close();
  browser = null;
  await new Promise((r) => setTimeout(r, 500));
  await stop(proxy.proc);

  const list = (kind) => run(kagami, [kind, '--store', store, '--json']).split('\n')
    .filter((l) => l.trim()).map((l) => JSON.parse(l));
  const page2 = list('http').filter((h) => h.uri === '/index.html');
  assert.equal(page2.length, 1, JSON.stringify(list('http')));
  assert.equal(page2[0].version, 'HTTP/2');
  assert.equal(page2[0].status, 200);
  const messages = list('websocket').filter((m) => m.opcode === 'text');
  const texts = messages.map((m) => `${m.sender}: ${m.text}`).sort();
  assert.deepEqual(texts, ['client: second message', 'client: 顧客のマイナンバー 1234 5678 9012',
                           'server: received: second message',
                           'server: received: 顧客のマイナンバー 1234 5678 9012']);
  assert.ok(messages.every((m) => m.compressed && m.host.startsWith('chat.test')), JSON.stringify(messages));
  const found = run(kagami, ['search', '--store', store, '--json', 'ws.text:*マイナンバー*']);
  assert.ok(found.includes('1234 5678 9012'), found);
  const tls = list('tls').filter((t) => t.decrypted);
  assert.ok(tls.length >= 2 && tls.every((t) => t.ja4 && t.ja4.startsWith('t13')), JSON.stringify(tls));
  console.log('Chromium through the proxy: h2 page without Alt-Svc h3, WebSocket chat recorded');
} catch (e) {
  console.error(e);
  failed = true;
} finally {
  if (browser) await browser.close();
  await stopAll();
  if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
