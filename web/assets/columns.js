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

const severity = (r) => el('span', { class: `sev sev-${r.severity}`, text: r.severity });

// The console's own kinds: [header key, value].
const OWN = {
  sessions: [
    ['time', (r) => fmtTime(r.ts_first)],
    ['client', (r) => endpoint(r.client_ip, r.client_port)],
    ['server', (r) => endpoint(r.server_ip, r.server_port)],
    ['host', (r) => r.host],
    ['protocol', (r) => r.app],
    ['user', (r) => r.user],
    ['size', (r) => fmtBytes((r.bytes_c2s || 0) + (r.bytes_s2c || 0))],
  ],
  files: [
    ['time', (r) => fmtTime(r.ts)],
    ['name', (r) => r.name],
    ['type', (r) => r.mime],
    ['size', (r) => fmtBytes(r.size)],
    ['direction', (r) => r.direction],
    ['protocol', (r) => r.protocol],
    ['file', (r) => link(`#/file/${r.sha256}`, r.sha256.slice(0, 16) + '…')],
  ],
  findings: [
    ['time', (r) => fmtTime(r.ts)],
    ['detector', (r) => r.detector],
    ['severity', severity],
    ['count', (r) => r.count],
    ['sample', (r) => r.sample],
    ['file', (r) => r.file_name],
  ],
  alerts: [
    ['time', (r) => fmtTime(r.ts)],
    ['severity', severity],
    ['title', (r) => link(`#/alert/${r.id}`, ruleTitle(r.title))],
    ['user', (r) => (r.user ? link(`#/user/${encodeURIComponent(r.user)}`, r.user) : '')],
    ['file', (r) => r.file_name || ''],
    ['state', (r) => t(r.state === 'acknowledged' ? 'acknowledged_state' : 'new_state')],
  ],
};

// The columns of a kind: [header, (record) => value].
export function columnsOf(kinds, kind) {
  const own = OWN[kind];
  if (own) return own.map(([key, f]) => [t(key), f]);
  const k = kinds.find((x) => x.kind === kind);
  return ((k && k.columns) || []).map((c) => [words(c.label), (r) => declaredCell(c, r)]);
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

// A list of records of one kind, each row opening the record.
export function recordTable(kinds, kind, rows) {
  return table(columnsOf(kinds, kind), rows, (r) => {
    location.hash = recordHref(kinds, kind, r);
  });
}
