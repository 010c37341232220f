// One record of a protocol's kind: every field its record type declares, with the field's
// meaning in the reader's language, then the files it carried and what was found in them.
import { api, kinds } from './api.js';
import { directionWord, kindTitle, recordTable, severityWord } from './columns.js';
import { main, t, words } from './context.js';
import { el, fmtBytes, fmtTime, link, list, section, showError, table } from './dom.js';

// A field's value as its declared type shows it.
function shown(field, value) {
  switch (field.type) {
    case 'time':
      return fmtTime(value);
    case 'size':
      return `${fmtBytes(value)} (${value})`;
    case 'list':
    case 'flags':
      return list(value);
    case 'bool':
      return value ? '✓' : '';
    case 'object':
      // A list of objects (a message's attachments) is a table; a file's digest opens it.
      if (Array.isArray(value) && value.length && value.every((v) => v && typeof v === 'object' && !Array.isArray(v))) {
        const keys = [...new Set(value.flatMap((v) => Object.keys(v)))];
        return table(
          keys.map((k) => [
            k,
            (v) =>
              k === 'sha256' && v[k]
                ? link(`#/file/${v[k]}`, `${v[k].slice(0, 16)}…`)
                : k === 'size'
                  ? fmtBytes(v[k])
                  : typeof v[k] === 'object'
                    ? JSON.stringify(v[k])
                    : v[k],
          ]),
          value,
        );
      }
      return el('pre', { class: 'json', text: JSON.stringify(value, null, 2) });
    case 'ref':
      return field.name === 'session_id' ? link(`#/session/${value}`, String(value)) : String(value);
    case 'ip':
      return String(value);
    default:
      // Values from fixed sets in the reader's language.
      if (field.name === 'direction') return directionWord(value);
      if (field.name === 'severity') return severityWord(value);
      // A long text (a mail's body) keeps its lines.
      return typeof value === 'string' && value.includes('\n') ? el('pre', { class: 'body', text: value }) : value;
  }
}

// PPAP: the records this one is linked with, named in the link findings' samples
// ("opens X in mail 12", "its password is in mail 13").
function linkedRecords(kind, findings) {
  const ids = new Set();
  for (const f of findings) {
    if (!String(f.detector).startsWith('ppap')) continue;
    for (const m of String(f.sample).matchAll(new RegExp(`${kind} (\\d+)`, 'g'))) ids.add(m[1]);
  }
  return [...ids];
}

export async function pageRecord(kind, id) {
  const view = main;
  view.replaceChildren(el('h1', { text: `${kind} ${id}` }));
  try {
    const [known, d] = await Promise.all([kinds(), api(`/api/${encodeURIComponent(kind)}/${encodeURIComponent(id)}`)]);
    const k = known.find((x) => x.kind === kind);
    const r = d[kind];
    view.replaceChildren(el('h1', { text: `${kindTitle(known, kind)} ${id}` }));
    const rows = k.fields
      .filter((f) => r[f.name] !== undefined && r[f.name] !== '' && !(Array.isArray(r[f.name]) && !r[f.name].length))
      .map((f) => ({ field: f, value: r[f.name] }));
    view.append(
      table(
        [
          [t('name'), (x) => el('code', { text: x.field.name })],
          [t('value'), (x) => shown(x.field, x.value)],
          [t('meaning'), (x) => words(x.field.meaning)],
        ],
        rows,
      ),
    );
    const linked = linkedRecords(kind, d.findings);
    if (linked.length) {
      view.append(
        section(
          t('ppap_linked'),
          el(
            'p',
            { id: 'record-linked' },
            linked.flatMap((n) => [link(`#/record/${kind}/${n}`, `${kindTitle(known, kind)} ${n}`), ' ']),
          ),
        ),
      );
    }
    if (d.files.length) view.append(section(t('files'), recordTable(known, 'files', d.files)));
    if (d.findings.length) view.append(section(t('findings'), recordTable(known, 'findings', d.findings)));
  } catch (e) {
    if (e.status !== 401) showError(e, view);
  }
}
