// How each kind of record is listed. A protocol's kinds are shown as their record types
// declare them (/api/kinds: columns, titles and field meanings in both languages), so a new
// record type needs nothing here; sessions, files, findings and alerts are the console's own.
import { ruleTitle, t, words } from './context.js';
import { el, endpoint, fmtBytes, fmtTime, link, list, table } from './dom.js';

// One declared column's value in a record's JSON, rendered as the command line renders it
// from the record (records::Shown).
function declaredCell(col, r) {
  const value = (name) => (name ? r[name] : undefined);
  switch (col.shown) {
    case 'time':
      return fmtTime(value(col.field));
    case 'endpoint':
      return endpoint(value(`${col.field}_ip`), value(`${col.field}_port`));
    case 'list': {
      let l = value(col.field);
      if (!l || l.length === 0) l = value(col.other);
      const sep = col.separator && col.separator !== ',' ? col.separator : ', ';
      return list(l || [], sep);
    }
    case 'number':
      return value(col.field) || 0;
    case 'number_or_dash':
      return value(col.field) || '';
    case 'text_and_other':
      return (value(col.field) || '') + (value(col.other) ? col.separator + value(col.other) : '');
    case 'text_unless':
      return value(col.other) ? words(col.note) : value(col.field) || '';
    default:
      return value(col.field) || value(col.other) || '';
  }
}

// Values from fixed sets, in the reader's language (the record keeps the English word).
export const severityWord = (s) => (s && t(`sev_${s}`) !== `sev_${s}` ? t(`sev_${s}`) : s || '');
export const directionWord = (d) => (d && t(`dir_${d}`) !== `dir_${d}` ? t(`dir_${d}`) : d || '');
const severity = (r) => el('span', { class: `sev sev-${r.severity}`, text: severityWord(r.severity) });
const userLink = (r) => (r.user ? link(`#/user/${encodeURIComponent(r.user)}`, r.user) : '');
const sessionLink = (r) => (r.session_id ? link(`#/session/${r.session_id}`, String(r.session_id)) : '');
const fileName = (r) => (r.file_name || '') + (r.member ? ` > ${r.member}` : '');
// An unnamed object says what it was: a request's or response's whole body (a form's, kept as
// it went by), a mail message; not a blank "file".
export function objectName(r) {
  if (r.name) return r.name;
  if (r.field === 'body') return t(r.direction === 'sent' ? 'request_body' : 'response_body');
  if (r.field === 'message') return t('mail_message');
  return r.field ? `(${r.field})` : '';
}

// The console's own kinds: [header key, value, sort column]. Who (user), where (host) and the
// session are on every list, so that "who?" is not a click per row.
const OWN = {
  sessions: [
    ['time', (r) => fmtTime(r.ts_first), 'ts_first'],
    ['client', (r) => endpoint(r.client_ip, r.client_port), 'client_ip'],
    ['server', (r) => endpoint(r.server_ip, r.server_port), 'server_ip'],
    ['host', (r) => r.host, 'host'],
    ['protocol', (r) => r.app, 'app'],
    ['user', userLink, 'user'],
    ['size', (r) => fmtBytes((r.bytes_c2s || 0) + (r.bytes_s2c || 0)), 'bytes'],
  ],
  files: [
    ['time', (r) => fmtTime(r.ts), 'ts'],
    ['name', objectName, 'name'],
    ['type', (r) => r.mime],
    ['size', (r) => fmtBytes(r.size)],
    ['direction', (r) => directionWord(r.direction), 'direction'],
    ['protocol', (r) => r.protocol, 'protocol'],
    ['user', userLink],
    ['host', (r) => r.host || endpoint(r.server_ip, r.server_port)],
    ['session', sessionLink, 'session_id'],
    ['file', (r) => link(`#/file/${r.sha256}`, r.sha256.slice(0, 16) + '…'), 'sha256'],
  ],
  findings: [
    ['time', (r) => fmtTime(r.ts), 'ts'],
    ['detector', (r) => r.detector, 'detector'],
    ['severity', severity, 'severity'],
    ['count', (r) => r.count, 'count'],
    ['sample', (r) => r.sample],
    ['file', fileName, 'file_name'],
    ['direction', (r) => directionWord(r.direction), 'direction'],
    ['user', userLink],
    ['host', (r) => r.host || endpoint(r.server_ip, r.server_port)],
    ['session', sessionLink, 'session_id'],
  ],
  alerts: [
    ['time', (r) => fmtTime(r.ts), 'ts'],
    ['severity', severity, 'severity'],
    ['title', (r) => link(`#/alert/${r.id}`, ruleTitle(r.title)), 'title'],
    ['user', userLink, 'user'],
    ['host', (r) => r.host || endpoint(r.server_ip, r.server_port), 'host'],
    ['file', (r) => r.file_name || '', 'file_name'],
    ['session', sessionLink, 'session_id'],
    ['state', (r) => el('span', { class: `state state-${r.state}`, text: t(`${r.state}_state`) })],
  ],
};

// The column a declared column sorts by (the server checks it is one of the table's).
function sortKey(col) {
  if (!col.field) return undefined;
  if (col.shown === 'endpoint') return `${col.field}_ip`;
  if (col.shown === 'list' || col.shown === 'text_unless') return undefined;
  return col.field;
}

// The columns of a kind: [header, (record) => value].
export function columnsOf(kinds, kind) {
  const own = OWN[kind];
  if (own) return own.map(([key, f, sort]) => [t(key), f, sort]);
  const k = kinds.find((x) => x.kind === kind);
  // The command line's "TIME (UTC)": here times are in the zone chosen, with their offset.
  const label = (c) => words(c.label).replace(/ \(UTC\)$/, '');
  return ((k && k.columns) || []).map((c) => [label(c), (r) => declaredCell(c, r), sortKey(c)]);
}

// A kind's name in the reader's language.
export function kindTitle(kinds, kind) {
  const k = kinds.find((x) => x.kind === kind);
  return k && k.title ? words(k.title) : t(`kind_${kind}`);
}

// Where a record of a kind opens: its own page, or its kind's detail view.
export function recordHref(kinds, kind, r) {
  if (kind === 'sessions') return `#/session/${r.id}`;
  if (kind === 'files' || kind === 'findings') return `#/file/${r.sha256}`;
  if (kind === 'alerts') return `#/alert/${r.id}`;
  const k = kinds.find((x) => x.kind === kind);
  if (k && k.detail) return `#/record/${kind}/${r[k.id_field]}`;
  return `#/session/${r.session_id}`;
}

// A list of records of one kind, each row a link to the record; `opts` as dom.js table's.
export function recordTable(kinds, kind, rows, opts = {}) {
  return table(columnsOf(kinds, kind), rows, { href: (r) => recordHref(kinds, kind, r), ...opts });
}
