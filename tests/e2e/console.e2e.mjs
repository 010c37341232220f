// The web console in a real browser (Debian's chromium, driven by playwright-core): log in,
// see the dashboard, search (and a bad query pointed at), open a session and download its
// pcap, acknowledge an alert, switch to Japanese, and check that markup recorded off the wire
// never runs. Then a viewer: findings masked, no downloads.
//
//   node console.e2e.mjs KAGAMI_BINARY INVESTIGATION_FIXTURE_BINARY
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { chromiumOrSkip } from './harness.mjs';

const [kagami, fixture] = process.argv.slice(2);
const { chromium, path: chromiumPath } = await chromiumOrSkip();

const dir = mkdtempSync(join(tmpdir(), 'kagami-e2e-'));
const store = join(dir, 'store');
let server = null;
let browser = null;

function run(cmd, args, input) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function startServer() {
  server = spawn(kagami, ['serve', '--store', store, '--listen', '127.0.0.1:0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('serve did not start: ' + err)), 15000);
    server.stderr.on('data', (d) => {
      err += d;
      const m = err.match(/console at (https:\/\/[^\s/]+)\//);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    server.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
}

async function login(page, url, user, password) {
  await page.goto(url + '/');
  await page.waitForSelector('#login-form');
  await page.fill('#login-user', user);
  await page.fill('#login-password', password);
  await page.click('#login-submit');
  await page.waitForSelector('#nav a[href="#/search"]');
}

async function main() {
  run(fixture, [dir]);
  run(kagami, ['record', '--read', join(dir, 'incident.pcap'), '--store', store, '-c', join(dir, 'kagami.toml')]);
  for (const [name, role] of [['alice', 'investigator'], ['vera', 'viewer']]) {
    writeFileSync(join(dir, 'pw'), `${name}-password-123\n`);
    run(kagami, ['user', 'set', '--store', store, name, '--role', role, '--password-file', join(dir, 'pw')]);
  }
  const url = await startServer();
  browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox'] });
  // The certificate is the console's own; the C++ test checks it against its CA.
  const context = await browser.newContext({ ignoreHTTPSErrors: true, acceptDownloads: true, locale: 'en-US' });
  const page = await context.newPage();
  lastPage = page;
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('dialog', (d) => { pageErrors.push('dialog: ' + d.message()); d.dismiss(); });

  // Wrong password first: an error, no way in.
  await page.goto(url + '/');
  await page.waitForSelector('#login-form');
  await page.fill('#login-user', 'alice');
  await page.fill('#login-password', 'not-the-password');
  await page.click('#login-submit');
  await page.waitForSelector('text=Login failed');

  await login(page, url, 'alice', 'alice-password-123');
  // Dashboard: traffic plotted, top hosts, recent alerts.
  await page.waitForSelector('svg.chart rect');
  await page.waitForSelector('text=My Numbers sent');
  await page.waitForSelector('ol.top >> text=www.example.com');

  // Search with the language.
  await page.click('#nav a[href="#/search"]');
  await page.fill('#query', 'user:tanaka file.type:csv finding:jp_my_number');
  await page.press('#query', 'Enter');
  await page.waitForSelector('#summary');
  assert.match(await page.textContent('#summary'), /files/);
  await page.waitForSelector('td >> text=customers.csv');
  // A bad query is pointed at.
  await page.fill('#query', 'method:POST AND (host:x');
  await page.press('#query', 'Enter');
  await page.waitForSelector('#query-error mark');
  assert.equal(await page.textContent('#query-error mark'), '(');

  // Markup from the wire is shown as text and never runs.
  await page.fill('#query', 'host:shop.example.net');
  await page.selectOption('#kind', 'http');
  await page.press('#query', 'Enter');
  await page.waitForSelector('td >> text=/onerror=window.__xss=1/');
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  assert.equal(await page.$$eval('main img', (imgs) => imgs.length), 0);
  // A protocol's record opens in the detail view its declaration describes (/api/kinds):
  // every field with its meaning, the markup still only text.
  await page.click('tbody tr.clickable');
  await page.waitForSelector('td >> text=the request target');
  assert.match(page.url(), /#\/record\/http\/\d+$/);
  await page.waitForSelector('td >> text=/onerror=window.__xss=1/');
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  await page.click('#lang');
  await page.waitForSelector('td >> text=リクエスト対象 (URI)');
  await page.click('#lang');
  await page.click('#nav a[href="#/search"]');

  // A file name with a right-to-left override shows the override, not a reordered name.
  await page.fill('#query', 'file.name:shadow*');
  await page.selectOption('#kind', 'files');
  await page.press('#query', 'Enter');
  await page.waitForSelector('td .hidden-char');
  const shown = await page.$eval('td:has(.hidden-char)', (td) => td.textContent);
  assert.equal(shown, 'shadowU+202Efdp.exe');
  assert.equal(await page.$eval('td .hidden-char', (m) => m.textContent), 'U+202E');
  assert.ok(!(await page.textContent('main')).includes('\u202e'), 'no raw override in the page');

  // Open a session: the five questions at a glance, then its pcap.
  await page.fill('#query', 'host:www.example.com');
  await page.selectOption('#kind', 'sessions');
  await page.press('#query', 'Enter');
  await page.click('tbody tr.clickable');
  await page.waitForSelector('#five');
  const five = await page.textContent('#five');
  assert.match(five, /www\.example\.com/);
  assert.match(five, /tanaka/);
  assert.match(five, /10\.1\.0\.5/);
  await page.waitForSelector('text=customers.csv');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#session-pcap')]);
  const pcapPath = join(dir, 'from-browser.pcap');
  await download.saveAs(pcapPath);
  const pcap = readFileSync(pcapPath);
  assert.ok(pcap.length > 100, 'the pcap has packets');
  assert.ok([0xa1b2c3d4, 0xa1b23c4d, 0xd4c3b2a1, 0x4d3cb2a1].includes(pcap.readUInt32LE(0)), 'pcap magic');

  // Triage: acknowledge the malware alert, with a comment that is markup.
  await page.click('#nav a[href="#/alerts"]');
  await page.click('tbody tr:has-text("Malware (YARA)")');
  await page.waitForSelector('#alert-state');
  assert.equal(await page.textContent('#alert-state'), 'new');
  await page.fill('#note-text', '<img src=x onerror="window.__xss=3"> reimaged');
  await page.click('#alert-ack');
  await page.waitForSelector('#alert-state:has-text("acknowledged")');
  await page.waitForSelector('td >> text=/reimaged/');
  assert.equal(await page.evaluate(() => window.__xss), undefined);

  // Japanese.
  await page.click('#lang');
  await page.waitForSelector('#nav >> text=検索');
  await page.click('#nav a[href="#/search"]');
  await page.waitForSelector('button:has-text("検索")');
  await page.fill('#query', 'host:shop.example.net');
  await page.selectOption('#kind', 'http');
  await page.press('#query', 'Enter');
  await page.waitForSelector('th >> text=メソッド');
  // A lower-case operator is searched as a word; the hint says so in the reader's language.
  await page.fill('#query', 'host:shop.example.net and method:GET');
  await page.press('#query', 'Enter');
  await page.waitForSelector('p.hint');
  assert.match(await page.textContent('p.hint'), /「and」.*大文字の AND/);
  await page.click('#lang');

  // A viewer sees findings masked and cannot take evidence.
  await page.click('#logout');
  await page.waitForSelector('#login-form');
  await login(page, url, 'vera', 'vera-password-123');
  await page.goto(url + '/#/search?q=' + encodeURIComponent('finding:jp_my_number') + '&kind=findings');
  await page.waitForSelector('#summary');
  const samples = await page.$$eval('tbody tr td:nth-child(5)', (tds) => tds.map((td) => td.textContent));
  assert.ok(samples.length > 0 && samples.every((s) => s === '***'), `masked: ${samples}`);
  await page.goto(url + '/#/search?q=' + encodeURIComponent('file.name:customers.csv') + '&kind=files');
  await page.click('tbody tr.clickable');
  await page.waitForSelector('text=SHA-256');
  assert.equal(await page.$('#file-download'), null);

  assert.deepEqual(pageErrors, []);

  // One zone for what is shown and what is typed: with the browser in Tokyo (then New York),
  // the POST's time as the console shows it, typed back into a query, finds the POST; the
  // same hour read as UTC would not.
  for (const timezoneId of ['Asia/Tokyo', 'America/New_York']) {
    const zctx = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'ja-JP', timezoneId });
    const zpage = await zctx.newPage();
    lastPage = zpage;
    zpage.on('pageerror', (e) => pageErrors.push(e.message));
    await login(zpage, url, 'alice', 'alice-password-123');
    assert.equal(await zpage.$eval('#tz', (s) => s.value), timezoneId);
    await zpage.goto(url + '/#/search?q=' + encodeURIComponent('method:POST host:www.example.com') + '&kind=http');
    await zpage.waitForSelector('tbody tr.clickable');
    const shownTime = await zpage.$eval('tbody tr.clickable td', (td) => td.textContent);
    const m = /^(\d{4}-\d\d-\d\d) (\d\d):\d\d:\d\d ([+-]\d\d:\d\d)$/.exec(shownTime);
    assert.ok(m, `a time with its offset: ${shownTime}`);
    assert.equal(m[3], timezoneId === 'Asia/Tokyo' ? '+09:00' : '-05:00');
    const hour = `${m[1]}T${m[2]}:00`;
    const next = `${m[1]}T${m[2]}:59:59`;
    const typed = `method:POST time:[${hour} TO ${next}]`;
    await zpage.goto(url + '/#/search?q=' + encodeURIComponent(typed) + '&kind=http');
    await zpage.waitForSelector('#summary');
    assert.match(await zpage.textContent('#summary'), /^1 /, `${typed} in ${timezoneId}`);
    // The reader may choose another zone: UTC shows the same instant at another hour.
    await zpage.selectOption('#tz', 'UTC');
    await zpage.waitForFunction(() => /^0 /.test(document.querySelector('#summary')?.textContent || ''));
    await zctx.close();
  }
  assert.deepEqual(pageErrors, []);
  // Everything the browser did is in the audit chain.
  const verify = run(kagami, ['audit', 'verify', '--store', store]);
  assert.match(verify, /the hash chain holds/);
  const log = run(kagami, ['audit', 'list', '--store', store, '--json', '--limit', '1000']);
  for (const want of ['"action":"export"', '"action":"alert_ack"', '"action":"login_failed"', '"actor":"vera"']) {
    assert.ok(log.includes(want), want);
  }
  console.log('console e2e: ok');
}

let code = 0;
let lastPage = null;
try {
  await main();
} catch (e) {
  console.error(e.stack || e.message);
  code = 1;
  // What the browser showed when it failed, for whoever reads the log.
  const shot = process.env.KAGAMI_E2E_SCREENSHOT || join(tmpdir(), 'kagami-e2e-failure.png');
  if (lastPage) {
    try {
      await lastPage.screenshot({ path: shot, fullPage: true });
      console.error(`screenshot: ${shot}`);
      console.error('page text: ' + (await lastPage.textContent('body')).slice(0, 2000));
    } catch (ignored) { /* the page is gone */ }
  }
} finally {
  if (browser) await browser.close();
  if (server) server.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
process.exit(code);
