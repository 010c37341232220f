// Every word the console shows exists in English and Japanese: the keys each page asks for
// (t('key')), the families of keys built from values (severities, directions, roles, note
// actions, audit actions, query error codes, the built-in alert rules' titles) as the C++
// sources define those values, and no key in one language only. Fails naming what is missing.
//
//   node i18n_keys.mjs REPO_ROOT
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = process.argv[2];
const assets = join(root, 'web/assets');
const { I18N } = await import(pathToFileURL(join(assets, 'i18n.js')).href);
const problems = [];
const need = (key, where) => {
  for (const lang of ['en', 'ja'])
    if (!(key in I18N[lang])) problems.push(`${lang}: no '${key}' (${where})`);
};

// Keys written in the pages.
for (const file of readdirSync(assets).filter((f) => f.endsWith('.js') && f !== 'i18n.js')) {
  const text = readFileSync(join(assets, file), 'utf8');
  for (const m of text.matchAll(/\bt\('([a-z0-9_]+)'\)/g)) need(m[1], file);
  // A page that builds keys from a prefix must use one of the families checked below.
  for (const m of text.matchAll(/\bt\(`([a-z_]+)\$\{/g))
    if (!['sev_', 'dir_', 'role_', 'action_', 'audit_', 'qerr_', 'hint_', 'kind_', 'span_', 'http_'].includes(m[1]))
      problems.push(`${file}: keys built from '${m[1]}' are not checked here`);
}

// Families of keys, from the values the C++ sources define.
const source = (path) => readFileSync(join(root, path), 'utf8');
const family = (prefix, values, where) => values.forEach((v) => need(prefix + v, where));
family('sev_', ['info', 'low', 'medium', 'high', 'critical'], 'severities');
family('dir_', ['sent', 'received'], 'directions');
family('role_', ['viewer', 'investigator', 'admin'], 'roles');
family('action_', ['ack', 'reopen', 'comment'], 'alert note actions');
const dashboard = readFileSync(join(assets, 'page-dashboard.js'), 'utf8');
family('span_', [...dashboard.matchAll(/\['([0-9a-z]+)', \d/g)].map((m) => m[1]), 'dashboard spans');
family('kind_', ['sessions', 'http', 'dns', 'tls', 'mail', 'ftp', 'files', 'findings', 'alerts'], 'kinds');
const consoleSources = readdirSync(join(root, 'src/kagami/console'))
  .filter((f) => f.endsWith('.cc'))
  .map((f) => source(join('src/kagami/console', f)))
  .join('\n');
const audited = new Set(['login', 'login_failed', 'logout', 'alert_ack', 'alert_reopen', 'alert_comment']);
for (const m of consoleSources.matchAll(/audit\(req, res, "([a-z_]*[a-z])"/g)) audited.add(m[1]);
for (const m of consoleSources.matchAll(/list_page\(api, req, res, sr, "([a-z_]+)"/g)) audited.add(m[1]);
family('audit_', [...audited], 'audit actions');
// Errors the console answers with, by status (a login's 401 leads to the login page).
const statuses = new Set([...consoleSources.matchAll(/send_error\(res, (\d{3})/g)].map((m) => m[1]));
statuses.add('414');
statuses.delete('401');
family('http_', [...statuses], 'error statuses');
const query = ['query_parser.cc', 'search_compiler.cc'].map((f) => source(join('src/kagami/query', f))).join('\n');
const codes = new Set([...query.matchAll(/fail\([^;]*?,\s*"([a-z_]+)",/gs)].map((m) => m[1]));
if (codes.size < 20) problems.push(`only ${codes.size} query error codes found: has fail() changed?`);
family('qerr_', [...codes], 'query error codes');
const hints = new Set([...source('src/kagami/query/search.cc').matchAll(/hints\.push_back\(\{"([a-z_]+)"/g)].map((m) => m[1]));
family('hint_', [...hints], 'query hints');
// The built-in alert rules' titles: English as written, Japanese by key.
const rules = [...source('src/kagami/inspect/alert_policy.cc').matchAll(/\brule\("([^"]+)"/g)].map((m) => m[1]);
if (rules.length < 10) problems.push(`only ${rules.length} built-in rules found: has alert_policy.cc changed?`);
for (const r of rules) if (!(`rule:${r}` in I18N.ja)) problems.push(`ja: no title for the rule '${r}'`);

// Nothing in one language only (rule titles are Japanese entries for English titles).
for (const [a, b] of [
  ['en', 'ja'],
  ['ja', 'en'],
])
  for (const k of Object.keys(I18N[a]))
    if (!k.startsWith('rule:') && !(k in I18N[b])) problems.push(`${b}: no '${k}' (it is in ${a})`);
// Placeholders agree between the languages.
for (const k of Object.keys(I18N.en)) {
  const holes = (s) => [...String(s).matchAll(/\{[a-zA-Z]+\}/g)].map((m) => m[0]).sort().join(' ');
  if (k in I18N.ja && holes(I18N.en[k]) !== holes(I18N.ja[k]))
    problems.push(`'${k}': placeholders differ: en '${holes(I18N.en[k])}', ja '${holes(I18N.ja[k])}'`);
}

if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(`i18n: ${Object.keys(I18N.en).length} keys in both languages, ${codes.size} query errors, ${rules.length} rules`);
