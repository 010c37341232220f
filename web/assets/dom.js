// Building the page: every value from the store goes in as text (textContent), never as
// markup, so nothing recorded off the wire can run here.
import { lang, t, zone } from './context.js';

// Characters that reorder or hide text (bidi embeddings, overrides and isolates, zero-width
// marks, line separators) and control characters, recorded off the wire, are shown as what
// they are: "shadow<U+202E>fdp.exe" must not read as "shadowexe.pdf".
// eslint-disable-next-line no-control-regex
const HIDDEN = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;
const codePoint = (c) => 'U+' + c.codePointAt(0).toString(16).toUpperCase().padStart(4, '0');

// Text as nodes: plain text, and each hidden character as a marked code point.
function textNodes(s) {
  const out = [];
  let last = 0;
  for (const m of s.matchAll(HIDDEN)) {
    if (m.index > last) out.push(document.createTextNode(s.slice(last, m.index)));
    const mark = document.createElement('span');
    mark.className = 'hidden-char';
    mark.title = codePoint(m[0]);
    mark.textContent = codePoint(m[0]);
    out.push(mark);
    last = m.index + m[0].length;
  }
  if (last < s.length || out.length === 0) out.push(document.createTextNode(s.slice(last)));
  return out;
}

// The same for attributes (tooltips), where markup cannot go.
const visibleText = (s) => s.replace(HIDDEN, (c) => `[${codePoint(c)}]`);

export function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.replaceChildren(...textNodes(String(v)));
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'href' || k === 'download' || k === 'value') e.setAttribute(k, v === true ? '' : String(v));
    else e.setAttribute(k, v === true ? '' : visibleText(String(v)));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    if (c instanceof Node) e.append(c);
    else e.append(...textNodes(String(c)));
  }
  return e;
}

export const link = (href, text) => el('a', { href, text });

export function svgEl(tag, attrs) {
  const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  return e;
}

// A time in the chosen zone, with that zone's offset at that instant: what the reader types
// back into a query (without the offset) means the same instant.
let formatter = null;
let formatterZone = '';
export function fmtTime(epoch) {
  if (epoch === undefined || epoch === null) return '';
  if (formatterZone !== zone) {
    formatter = new Intl.DateTimeFormat('en-CA', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'longOffset',
    });
    formatterZone = zone;
  }
  const p = Object.fromEntries(formatter.formatToParts(new Date(epoch * 1000)).map((x) => [x.type, x.value]));
  const offset = p.timeZoneName === 'GMT' ? '+00:00' : p.timeZoneName.replace('GMT', '');
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second} ${offset}`;
}

export function fmtBytes(n) {
  if (n === undefined || n === null) return '';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = Number(n);
  while (v >= 1024 && i < u.length - 1) {
    v /= 1024;
    i++;
  }
  return (i ? v.toFixed(1) : String(v)) + ' ' + u[i];
}

export const endpoint = (ip, port) => (String(ip).includes(':') ? `[${ip}]` : ip) + (port ? `:${port}` : '');
export const list = (v, separator = ', ') => (Array.isArray(v) ? v.join(separator) : v || '');

// A table of rows; each column is [header, (row) => value or node, sort key]. With
// `opts.href`, each row is a real link (its first cell an <a>: open in a new tab, copy) and a
// keyboard stop (Enter opens it); a click elsewhere in the row opens it too. With `opts.sort`
// (the current sort, "-key" descending) and `opts.sortHref(key)`, headers with a sort key
// are links that sort by it. `opts.rowClass(row)` adds a class (an alert's state).
// (A function as `opts` is the old form: what a click on the row does.)
export function table(columns, rows, opts = {}) {
  if (!rows || rows.length === 0) return el('p', { class: 'empty', text: t('no_results') });
  if (typeof opts === 'function') opts = { onRow: opts };
  const header = (c) => {
    const key = c[2];
    if (!key || !opts.sortHref) return el('th', { scope: 'col' }, c[0]);
    const now = opts.sort === key ? 'ascending' : opts.sort === `-${key}` ? 'descending' : 'none';
    const next = now === 'descending' ? key : `-${key}`;
    return el(
      'th',
      { scope: 'col', 'aria-sort': now },
      el('a', { href: opts.sortHref(next), class: `sort sort-${now}`, title: t('sort_by') }, c[0]),
    );
  };
  const body = rows.map((r) => {
    const href = opts.href ? opts.href(r) : null;
    const tr = el(
      'tr',
      {},
      columns.map((c, i) => {
        let v = c[1](r);
        if (!(v instanceof Node)) v = String(v === undefined || v === null ? '' : v);
        if (href && i === 0 && !(v instanceof Node && (v.tagName === 'A' || v.querySelector?.('a'))))
          v = el('a', { href, class: 'rowlink' }, v);
        return el('td', {}, v);
      }),
    );
    if (opts.rowClass) {
      const cls = opts.rowClass(r);
      if (cls) tr.classList.add(cls);
    }
    const open = href ? () => (location.hash = href) : opts.onRow ? () => opts.onRow(r) : null;
    if (open) {
      tr.classList.add('clickable');
      tr.addEventListener('click', (ev) => {
        if (!ev.target.closest('a, input, button, label')) open();
      });
      if (!href) {
        tr.tabIndex = 0;
        tr.addEventListener('keydown', (ev) => {
          if (ev.key === 'Enter' && ev.target === tr) open();
        });
      }
    }
    return tr;
  });
  return el('table', {}, el('thead', {}, el('tr', {}, columns.map(header))), el('tbody', {}, body));
}

// A section opened on demand: `load(box)` fills it the first time it is opened (what it shows
// costs a query), and an error goes into it.
export function lazyDetails(attrs, summary, load) {
  const box = el('details', attrs, el('summary', { text: summary }));
  let loaded = false;
  box.addEventListener('toggle', async () => {
    if (!box.open || loaded) return;
    loaded = true;
    try {
      await load(box);
    } catch (e) {
      if (e.status !== 401) box.append(el('p', { class: 'error', text: e.message }));
    }
  });
  return box;
}

// A link styled as a button, on a line of its own (downloads of evidence).
export const buttonLink = (attrs) => el('p', {}, el('a', { class: 'button', ...attrs }));

export const section = (title, ...children) => el('section', {}, el('h2', { text: title }), children);

// A definition list of [label, value] pairs; empty values are left out.
export const dl = (pairs) =>
  el(
    'dl',
    {},
    pairs
      .filter((p) => p[1] !== undefined && p[1] !== '')
      .map(([k, v, tip]) => [el('dt', { text: k, title: tip }), el('dd', {}, v instanceof Node ? v : String(v))]),
  );

// An error from the API in the reader's language: a query error by its code and values; any
// other by its status, with the server's own words (English) after it in Japanese.
export function errorMessage(e) {
  const b = (e && e.body) || {};
  if (b.code && t(`qerr_${b.code}`) !== `qerr_${b.code}`) {
    let s = t(`qerr_${b.code}`);
    for (const [k, v] of Object.entries(b.args || {})) s = s.replaceAll(`{${k}}`, v);
    return s;
  }
  const general = t(`http_${e.status}`);
  if (lang === 'en' || general === `http_${e.status}`) return e.message;
  return `${general} (${e.message})`;
}

export function showError(err, view) {
  view.append(el('p', { class: 'error', role: 'alert', text: `${t('error')}: ${errorMessage(err)}` }));
}
