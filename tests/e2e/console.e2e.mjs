// The web console in a real browser (Debian's chromium, driven by playwright-core): log in,
// see the dashboard, search (and a bad query pointed at), open a session and download its
// pcap, acknowledge an alert, switch to Japanese, and check that markup recorded off the wire
// never runs. Then a viewer: findings masked, no downloads.
//
//   node console.e2e.mjs KAGAMI_BINARY INVESTIGATION_FIXTURE_BINARY
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { chromiumOrSkip, loginConsole, startConsole } from './harness.mjs';

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
  const started = startConsole(kagami, store);
  server = started.proc;
  return started.url;
}

const login = loginConsole;

async function main() {
  run(fixture, [dir]);
  run(kagami, ['record', '--read', join(dir, 'incident.pcap'), '--store', store, '-c', join(dir, 'kagami.toml')]);
  for (const [name, role] of [['alice', 'investigator'], ['vera', 'viewer'], ['adam', 'admin']]) {
    writeFileSync(join(dir, 'pw'), `${name}-password-123\n`);
    run(kagami, ['user', 'set', '--store', store, name, '--role', role, '--password-file', join(dir, 'pw')]);
  }
  const url = await startServer();
  browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox'] });
  // The certificate is the console's own; the C++ test checks it against its CA.
  // The walk through every page runs as a Japanese office's browser would: in Asia/Tokyo (the
  // zone check below runs again in America/New_York).
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    acceptDownloads: true,
    locale: 'en-US',
    timezoneId: 'Asia/Tokyo',
  });
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
  // The dashboard covers the last day recorded by default; another span is a click away.
  assert.match(await page.textContent('#dashboard-span strong'), /day/);
  await page.click('#dashboard-span a:has-text("everything")');
  await page.waitForFunction(() => /span=all/.test(location.hash));
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
  await page.click('tbody tr a.rowlink');
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
  await page.click('tbody tr a.rowlink');
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
  // Evidence handed out carries no credential: tanaka's Basic password is masked.
  const secret = Buffer.from('tanaka:secret-password').toString('base64');
  assert.ok(!pcap.includes(secret) && !pcap.includes('secret-password'), 'no credential in the pcap');
  assert.ok(pcap.includes('Authorization: Basic '), 'the header is still there, its value masked');

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

  // The alerts page: filters, state shown, one alert for the one upload, bulk triage.
  await page.goto(url + '/#/alerts?state=acknowledged');
  await page.waitForSelector('#summary');
  assert.match(await page.textContent('#summary'), /^1 /);
  assert.ok(await page.$('tbody tr.state-acknowledged:has-text("Malware (YARA)")'));
  await page.goto(url + '/#/alerts?user=tanaka');
  await page.waitForSelector('#summary');
  assert.match(await page.textContent('#summary'), /^1 /, 'one upload, one alert');
  assert.match(await page.textContent('tbody'), /My Numbers sent/);
  await page.goto(url + '/#/alerts');
  await page.waitForSelector('#filter-state');
  await page.selectOption('#filter-state', 'new');
  await page.selectOption('#filter-severity', 'high');
  await page.click('#alert-filters button[type=submit]');
  await page.waitForFunction(() => /state=new/.test(location.hash));
  await page.waitForSelector('#summary');
  assert.match(await page.textContent('#summary'), /^2 /);
  assert.equal(await page.textContent('#pager .range'), '1–2 of 2');
  assert.equal(await page.$('#bulk:not([hidden])'), null, 'no bulk actions before a choice');
  await page.check('#pick-all');
  await page.waitForSelector('#bulk:not([hidden])');
  assert.equal(await page.textContent('#selected-count'), '2 selected');
  await page.fill('#bulk-text', 'both reviewed with the data owner');
  await page.click('#bulk-ack');
  await page.waitForFunction(() => /^0 /.test(document.querySelector('#summary')?.textContent || ''));
  await page.goto(url + '/#/alerts?state=acknowledged');
  await page.waitForFunction(() => /^3 /.test(document.querySelector('#summary')?.textContent || ''));
  assert.equal(await page.$$eval('tbody tr.state-acknowledged', (rows) => rows.length), 3);

  // Lists: who and where on findings, sorting by a column, the pager, a CSV export.
  await page.goto(url + '/#/search?q=' + encodeURIComponent('finding:jp_my_number') + '&kind=findings');
  await page.waitForSelector('th a.sort');
  const header = await page.$$eval('thead th', (ths) => ths.map((th) => th.textContent));
  for (const h of ['User', 'Host', 'Session']) assert.ok(header.includes(h), `findings list has ${h}: ${header}`);
  await page.waitForSelector('td >> text=tanaka');
  await page.click('th a.sort:has-text("File")');
  await page.waitForFunction(() => /sort=-file_name/.test(location.hash));
  await page.waitForSelector('th[aria-sort=descending]');
  const files = await page.$$eval('tbody tr', (rows) => rows.map((r) => r.textContent));
  assert.ok(files[0].includes('list.csv') && files[1].includes('customers.csv'), `sorted: ${files}`);
  const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
  const csvPath = join(dir, 'findings.csv');
  await csvDownload.saveAs(csvPath);
  const csv = readFileSync(csvPath, 'utf8');
  const lines = csv.replace(/^\ufeff/, '').trim().split('\r\n');
  assert.ok(csv.startsWith('\ufeff'), 'a byte-order mark for spreadsheets');
  assert.equal(lines.length, 3, csv);
  const cols = lines[0].split(',');
  const rows = lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v])));
  assert.deepEqual(rows.map((r) => r.file_name).sort(), ['customers.csv', 'list.csv']);
  assert.ok(rows.every((r) => r.detector === 'jp_my_number' && r.sample.endsWith('9191')), csv);
  assert.ok(rows.some((r) => r.user === 'tanaka'), csv);
  assert.ok(rows.every((r) => /^2026-11-02T10:0\d:\d\d\.\d{3}\+09:00$/.test(r.ts)), `times as shown, in Tokyo: ${csv}`);
  // The time range picker: dragging across the histogram narrows the query to that span.
  await page.goto(url + '/#/search?q=*&kind=sessions');
  await page.waitForSelector('#histogram rect');
  const box = await (await page.$('#histogram')).boundingBox();
  await page.mouse.move(box.x + 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2, { steps: 4 });
  await page.mouse.up();
  await page.waitForFunction(() => /time%3A%5B/.test(location.hash));
  await page.waitForSelector('#summary');
  assert.match(await page.inputValue('#query'), /^time:\[\d{4}-\d\d-\d\dT[\d:]+[+-]\d\d:\d\d TO /);
  assert.match(await page.textContent('#summary'), /^1 /, 'the first minute holds the upload only');
  // The field values of the matches (SPI): a value is a click that narrows the query.
  await page.goto(url + '/#/search?q=' + encodeURIComponent('ip:10.1.0.0/16') + '&kind=sessions');
  await page.waitForSelector('#spi');
  await page.click('#spi summary');
  await page.click('.spi-field[data-field=host] summary');
  await page.waitForSelector('.spi-field[data-field=host] li');
  const hosts = await page.$$eval('.spi-field[data-field=host] li', (lis) => lis.map((li) => li.textContent));
  assert.ok(hosts.includes('www.example.com1'), `host values with counts: ${hosts}`);
  await page.click('.spi-field[data-field=host] a:has-text("files.evil.test")');
  await page.waitForFunction(() => /files\.evil\.test/.test(decodeURIComponent(location.hash)));
  await page.waitForSelector('#summary');
  assert.equal(await page.inputValue('#query'), 'ip:10.1.0.0/16 AND host:files.evil.test');
  assert.match(await page.textContent('#summary'), /^1 /);
  // Who talks to whom: a pair is a link to its sessions.
  await page.goto(url + '/#/search?q=*&kind=sessions');
  await page.click('#talkers summary');
  await page.waitForSelector('#talkers svg line', { state: 'attached' });
  assert.equal(await page.$$eval('#talkers svg a', (as) => as.length), 4);
  assert.match(await page.textContent('#talkers svg'), /10\.1\.0\.5.*192\.0\.2\.25|192\.0\.2\.25.*10\.1\.0\.5/s);
  // Field names complete as they are typed (underscores stay visible in the box).
  await page.fill('#query', '');
  await page.type('#query', 'user:tanaka AND findi');
  await page.waitForSelector('#suggest li.active >> text=finding');
  await page.keyboard.press('Tab');
  assert.equal(await page.inputValue('#query'), 'user:tanaka AND finding:');
  await page.type('#query', 'jp_my_number');
  await page.press('#query', 'Enter');
  await page.waitForFunction(() => /^1 /.test(document.querySelector('#summary')?.textContent || ''));
  // A file's text, previewed with its My Numbers masked; the Seen table says who and where.
  await page.goto(url + '/#/search?q=' + encodeURIComponent('file.name:customers.csv') + '&kind=files');
  await page.click('tbody tr a.rowlink');
  await page.waitForSelector('#file-preview');
  await page.click('#file-preview summary');
  await page.waitForSelector('#file-preview pre');
  const preview = await page.textContent('#file-preview pre');
  assert.match(preview, /顧客0,マイナンバー \*{8}\d{4},東京都千代田区/);
  assert.ok(!/\d{12}/.test(preview), 'no whole My Number in the preview');
  const seenHeader = await page.$$eval('section:has(h2:has-text("Seen")) th', (ths) => ths.map((th) => th.textContent));
  for (const h of ['User', 'Host', 'Session']) assert.ok(seenHeader.includes(h), `Seen has ${h}: ${seenHeader}`);
  // The request body of the form upload is named for what it is.
  await page.goto(url + '/#/search?q=' + encodeURIComponent('host:www.example.com') + '&kind=sessions');
  await page.click('tbody tr a.rowlink');
  await page.waitForSelector('#five');
  assert.match(await page.textContent('main'), /\(the request body\)/);
  // A bar of the dashboard's chart opens the sessions of its span.
  await page.goto(url + '/#/');
  await page.waitForSelector('svg.chart a rect');
  await page.click('svg.chart a >> nth=0');
  await page.waitForSelector('#summary');
  assert.match(await page.inputValue('#query'), /^time:\[/);
  assert.match(await page.textContent('#summary'), /^[1-9]/);
  // An empty query lists the newest records.
  await page.goto(url + '/#/search');
  await page.waitForSelector('#query');
  await page.fill('#query', '');
  await page.press('#query', 'Enter');
  await page.waitForFunction(() => /^4 /.test(document.querySelector('#summary')?.textContent || ''));

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
  // Errors in Japanese, from their codes; no command line suggested to a web user.
  await page.fill('#query', 'nosuch:1');
  await page.press('#query', 'Enter');
  await page.waitForSelector('#query-error');
  assert.match(await page.textContent('#query-error p'), /「nosuch」というフィールドはありません/);
  await page.fill('#query', 'file.size:[10M TO 1k]');
  await page.press('#query', 'Enter');
  await page.waitForSelector('#query-error');
  assert.match(await page.textContent('#query-error p'), /file\.size:\[1k TO 10M\] と書いてください/);
  // The alerts page in Japanese: filters, enum values, state, the pager.
  await page.goto(url + '/#/alerts?severity=high');
  await page.waitForSelector('#summary');
  assert.match(await page.textContent('#alert-filters'), /状態.*重要度.*検出器/s);
  assert.match(await page.textContent('tbody'), /高/);
  assert.match(await page.textContent('tbody'), /確認済み/);
  assert.match(await page.textContent('tbody'), /マイナンバーの送信/);
  assert.equal(await page.textContent('#pager .range'), '3 件中 1–3 件');
  await page.check('#pick-all');
  assert.equal(await page.textContent('#selected-count'), '3 件選択中');
  await page.click('#bulk-reopen');
  await page.waitForFunction(() => document.querySelectorAll('tbody tr.state-new').length === 3);
  assert.match(await page.textContent('tbody'), /未対応/);
  // Any other error in Japanese too, with the server's own words after it.
  await page.goto(url + '/#/session/99999');
  await page.waitForSelector('p.error');
  assert.match(await page.textContent('p.error'), /該当するレコードはありません。 \(no session 99999\)/);
  // A mail's detail: the envelope, its direction in Japanese, attachments as a table whose
  // digests open the files.
  await page.goto(url + '/#/search?q=*&kind=mail');
  await page.click('tbody tr a.rowlink');
  await page.waitForSelector('td >> text=エンベロープの送信者 (MAIL FROM)');
  assert.match(await page.textContent('main'), /pc-tanaka/);
  assert.ok(await page.$('td:text-is("送信")'), 'the direction in Japanese');
  await page.click('tr:has(code:text-is("attachments")) a[href^="#/file/"]');
  await page.waitForSelector('text=SHA-256');
  await page.goto(url + '/#/alert/1');
  await page.waitForSelector('#alert-state');
  assert.match(await page.textContent('main'), /確認済みにした/);  // the note's action
  assert.match(await page.textContent('main'), /送信/);  // the direction
  assert.match(await page.textContent('#who'), /調査担当者/);  // the role
  await page.click('#lang');

  // A viewer sees findings masked and cannot take evidence.
  await page.click('#logout');
  await page.waitForSelector('#login-form');
  assert.equal(await page.isVisible('#logout'), false, 'no "Log out" on the login page');
  await login(page, url, 'vera', 'vera-password-123');
  await page.goto(url + '/#/search?q=' + encodeURIComponent('finding:jp_my_number') + '&kind=findings');
  await page.waitForSelector('#summary');
  const samples = await page.$$eval('tbody tr td:nth-child(5)', (tds) => tds.map((td) => td.textContent));
  assert.ok(samples.length > 0 && samples.every((s) => s === '***'), `masked: ${samples}`);
  await page.goto(url + '/#/search?q=' + encodeURIComponent('file.name:customers.csv') + '&kind=files');
  await page.click('tbody tr a.rowlink');
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

  // A phone: nothing is wider than its 390 px; tables scroll inside the page.
  const phone = await browser.newContext({
    ignoreHTTPSErrors: true,
    locale: 'ja-JP',
    timezoneId: 'Asia/Tokyo',
    viewport: { width: 390, height: 844 },
  });
  const ppage = await phone.newPage();
  lastPage = ppage;
  await login(ppage, url, 'alice', 'alice-password-123');
  for (const at of ['#/', '#/alerts', '#/search?q=*&kind=http']) {
    await ppage.goto(url + '/' + at);
    await ppage.waitForSelector('main h1');
    await ppage.waitForTimeout(300);
    const width = await ppage.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `${at} is ${width} px wide on a 390 px phone`);
  }
  await phone.close();

  // An administrator removes a user only after saying yes.
  const actx = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'en-US', timezoneId: 'America/New_York' });
  const apage = await actx.newPage();
  lastPage = apage;
  await login(apage, url, 'adam', 'adam-password-123');
  await apage.goto(url + '/#/users');
  await apage.waitForSelector('td >> text=vera');
  let asked = '';
  apage.once('dialog', (d) => { asked = d.message(); d.dismiss(); });
  await apage.click('tr:has-text("vera") button.remove-user');
  await apage.waitForTimeout(300);
  assert.match(asked, /Remove the user vera\?/);
  assert.ok(await apage.$('td >> text=vera'), 'dismissed: vera stays');
  apage.once('dialog', (d) => d.accept());
  await apage.click('tr:has-text("vera") button.remove-user');
  await apage.waitForFunction(() => !document.querySelector('main').textContent.includes('vera'));
  // The sensor page: the archive the store keeps, the disk, the retention policy.
  await apage.goto(url + '/#/status');
  await apage.waitForSelector('dt >> text=Packet archive');
  assert.match(await apage.textContent('main'), /none \(the store only grows\)/);
  // The audit log names every dashboard refresh for what it was, never a blank search.
  await apage.goto(url + '/#/');
  await apage.waitForSelector('svg.chart rect');
  await apage.goto(url + '/#/audit');
  await apage.waitForSelector('td >> text=* (dashboard)');
  const blank = await apage.$$eval('tbody tr', (rows) =>
    rows.filter((r) => r.children[4] && r.children[4].textContent === '').map((r) => r.textContent));
  assert.deepEqual(blank, [], 'audit entries with no object');
  await actx.close();
  assert.deepEqual(pageErrors, []);
  // Everything the browser did is in the audit chain.
  const verify = run(kagami, ['audit', 'verify', '--store', store]);
  assert.match(verify, /the hash chain holds/);
  const log = run(kagami, ['audit', 'list', '--store', store, '--json', '--limit', '1000']);
  for (const want of ['"action":"export"', '"action":"alert_ack"', '"action":"alert_reopen"', '"action":"login_failed"', '"actor":"vera"', '"action":"user_remove"']) {
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
