// A list of records for a query, as every list page shows it: the count and where this page
// sits in it, the time-range picker over a histogram of the matches (drag to narrow), the
// exports (CSV, JSON, and the packets of the sessions behind the rows), the table with
// sortable headers and row links, and the pager ("1–50 of 51").
import { api, fields, qs } from './api.js';
import { columnsOf, kindTitle, recordHref } from './columns.js';
import { can, t, zone } from './context.js';
import { el, errorMessage, fmtTime, lazyDetails, svgEl, table } from './dom.js';

export const PAGE = 50;
// The field values and talkers count the newest this many matches (a busy user's every
// session is not read for a sidebar); the summary says so when there are more.
const SAMPLE = 10000;

// A time as the query language reads it, in the zone shown, with its offset: unambiguous.
export function queryTime(epoch) {
  const [day, clock, offset] = fmtTime(epoch).split(' ');
  return `${day}T${clock}${offset}`;
}

// The query with its time range replaced (or removed when `range` is empty).
export function withTime(q, range) {
  const rest = q
    .replace(/\s*(AND\s+)?time:(\[[^\]]*\]|\S+)/g, '')
    .replace(/^\s*AND\s+/, '')
    .trim();
  const base = rest === '*' ? '' : rest;
  if (!range) return base || '*';
  return base ? `${base} AND ${range}` : range;
}

// A download's name that says what it holds: the query (its letters and digits) and the day.
export function downloadName(q, ext) {
  const slug =
    q
      .replace(/[^\p{L}\p{N}]+/gu, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, 60) || 'all';
  return `kagami-${slug}-${new Date().toISOString().slice(0, 10)}.${ext}`;
}

// The matches over time; dragging across bars (or clicking one) narrows the query to that
// span, the buttons to the last hour, day, week or month.
function timePicker(timeline, q, go) {
  const values = timeline.counts || [];
  const w = 720;
  const h = 60;
  const svg = svgEl('svg', {
    viewBox: `0 0 ${w} ${h + 16}`,
    class: 'chart brush',
    role: 'img',
    'aria-label': t('time_range'),
    id: 'histogram',
  });
  const max = Math.max(1, ...values);
  const bw = values.length ? w / values.length : w;
  values.forEach((v, i) => {
    const bh = v ? Math.max(2, (v / max) * h) : 0;
    const r = svgEl('rect', { x: i * bw + 0.5, y: h - bh, width: Math.max(1, bw - 1), height: bh, 'data-i': i });
    const tip = svgEl('title', {});
    tip.textContent = `${fmtTime(timeline.start + i * timeline.width)}: ${v}`;
    r.append(tip);
    svg.append(r);
  });
  for (const [i, anchor] of [
    [0, 'start'],
    [values.length, 'end'],
  ]) {
    const tx = svgEl('text', { x: i * bw, y: h + 13, 'text-anchor': anchor });
    tx.textContent = fmtTime(timeline.start + i * timeline.width);
    svg.append(tx);
  }
  const band = svgEl('rect', { class: 'band', x: 0, y: 0, width: 0, height: h });
  svg.append(band);
  const bucketAt = (ev) => {
    const box = svg.getBoundingClientRect();
    const x = ((ev.clientX - box.left) / box.width) * w;
    return Math.min(values.length - 1, Math.max(0, Math.floor(x / bw)));
  };
  let from = null;
  svg.addEventListener('pointerdown', (ev) => {
    if (!values.length) return;
    from = bucketAt(ev);
    svg.setPointerCapture(ev.pointerId);
  });
  svg.addEventListener('pointermove', (ev) => {
    if (from === null) return;
    const to = bucketAt(ev);
    const a = Math.min(from, to);
    const b = Math.max(from, to);
    band.setAttribute('x', a * bw);
    band.setAttribute('width', (b - a + 1) * bw);
  });
  svg.addEventListener('pointerup', (ev) => {
    if (from === null) return;
    const to = bucketAt(ev);
    const a = Math.min(from, to);
    const b = Math.max(from, to);
    from = null;
    const start = timeline.start + a * timeline.width;
    const end = timeline.start + (b + 1) * timeline.width;
    go(withTime(q, `time:[${queryTime(start)} TO ${queryTime(end)}]`));
  });
  const presets = el(
    'span',
    { class: 'presets' },
    [
      ['1h', 'last_hour'],
      ['24h', 'last_day'],
      ['7d', 'last_week'],
      ['30d', 'last_month'],
    ].map(([span, key]) =>
      el('button', {
        type: 'button',
        class: 'link',
        text: t(key),
        onclick: () => go(withTime(q, `time:>now-${span}`)),
      }),
    ),
    el('button', { type: 'button', class: 'link', text: t('all_time'), onclick: () => go(withTime(q, '')) }),
  );
  return el('figure', { class: 'picker' }, svg, el('figcaption', {}, t('time_range_hint'), ' ', presets));
}

// A value as a query term: quoted when it holds what the language reads otherwise.
export function term(field, value) {
  const v = String(value);
  return /^[^\s():"[\]]+$/.test(v) && !v.includes(':') ? `${field}:${v}` : `${field}:"${v.replace(/"/g, '')}"`;
}
export const narrowed = (q, t2) => (!q || q === '*' ? t2 : `${q} AND ${t2}`);

// Arkime's SPI view: the fields this kind's records are counted by; each opens to its most
// frequent values among the matches, each value a link that adds it to the query.
function valueSidebar(q, kind, go) {
  return lazyDetails({ class: 'spi', id: 'spi' }, t('field_values'), async (box) => {
    const mine = (await fields()).filter((f) => (f.counted || []).includes(kind));
    const list = el('div', { class: 'spi-fields' });
    for (const f of mine) {
      list.append(
        lazyDetails({ class: 'spi-field', 'data-field': f.name }, f.name, async (one) => {
          const top = await api('/api/top?' + qs({ q, kind, field: f.name, n: 10, sample: SAMPLE }));
          one.append(
            top.values.length
              ? el(
                  'ol',
                  { class: 'top' },
                  top.values.map((v) =>
                    el(
                      'li',
                      {},
                      el('a', { href: go(narrowed(q, term(f.name, v.value))), text: v.value }),
                      el('span', { class: 'num', text: v.count }),
                    ),
                  ),
                )
              : el('p', { class: 'empty', text: t('no_results') }),
          );
        }),
      );
    }
    box.append(list);
  });
}

// Who talks to whom among the matches: clients on the left, servers on the right, a line per
// pair as thick as its count; a pair is a link that narrows the query to it.
function talkerGraph(q, kind, go) {
  return lazyDetails({ class: 'talkers', id: 'talkers' }, t('talkers'), async (box) => {
    const { pairs } = await api('/api/talkers?' + qs({ q, kind, n: 30, sample: SAMPLE }));
    if (!pairs.length) {
      box.append(el('p', { class: 'empty', text: t('no_results') }));
      return;
    }
    const clients = [...new Set(pairs.map((p) => p.client))];
    const servers = [...new Set(pairs.map((p) => p.server))];
    const rowH = 22;
    const h = Math.max(clients.length, servers.length) * rowH + 10;
    const w = 720;
    const svg = svgEl('svg', { viewBox: `0 0 ${w} ${h}`, class: 'graph', role: 'img', 'aria-label': t('talkers') });
    const yOf = (list, v) => 15 + list.indexOf(v) * rowH;
    const max = Math.max(...pairs.map((p) => p.count));
    for (const p of pairs) {
      const a = svgEl('a', {
        href: go(narrowed(q, `${term('client.ip', p.client)} AND ${term('server.ip', p.server)}`)),
      });
      const line = svgEl('line', {
        x1: 200,
        y1: yOf(clients, p.client) - 4,
        x2: w - 200,
        y2: yOf(servers, p.server) - 4,
        'stroke-width': 1 + Math.round((5 * p.count) / max),
      });
      const tip = svgEl('title', {});
      tip.textContent = `${p.client} → ${p.server}: ${p.count}`;
      line.append(tip);
      a.append(line);
      svg.append(a);
    }
    const label = (x, y, text, anchor) => {
      const e = svgEl('text', { x, y, 'text-anchor': anchor });
      e.textContent = text;
      svg.append(e);
    };
    clients.forEach((c) => label(192, yOf(clients, c), c, 'end'));
    servers.forEach((s2) => label(w - 192, yOf(servers, s2), s2, 'start'));
    box.append(el('figure', {}, svg));
  });
}

// Renders the list into `view`. `params` are the page's (q, kind, sort, offset), `base` its
// address ("#/search"), `extra` more columns and `opts` more table options (selection).
export async function listView(view, { known, q, kind, params, base, columns, opts = {} }) {
  const offset = Number(params.get('offset') || 0);
  const sort = params.get('sort') || '';
  const here = (changes) => {
    const p = Object.fromEntries(params);
    delete p.offset;
    return `${base}?${qs({ ...p, ...changes })}`;
  };
  const [page, timeline] = await Promise.all([
    api('/api/search?' + qs({ q, kind, limit: PAGE, offset, sort })),
    api('/api/timeline?' + qs({ q, kind, buckets: 60, bytes: 0 })).catch(() => null),
  ]);
  const shown = page.records.length;
  const capped = page.total_capped ? t('at_least') + ' ' : '';
  view.append(
    el('p', {
      class: 'summary',
      id: 'summary',
      text: `${capped}${page.total} ${t('results')} (${kindTitle(known, page.kind)}, ${page.elapsed_ms.toFixed(1)} ms)`,
    }),
  );
  for (const h of page.hints || [])
    view.append(
      el('p', {
        class: 'hint',
        text: t(`hint_${h.code}`).replace('{word}', h.word).replace('{WORD}', h.word.toUpperCase()),
      }),
    );
  if (timeline && page.total > 0) view.append(timePicker(timeline, q, (nq) => (location.hash = here({ q: nq }))));
  if (page.total > 0) {
    const go = (nq) => here({ q: nq, kind: page.kind });
    view.append(el('div', { class: 'explore' }, valueSidebar(q, page.kind, go), talkerGraph(q, page.kind, go)));
    if (page.total > SAMPLE) view.append(el('p', { class: 'note', id: 'sampled', text: t('sampled') }));
  }
  if (page.total > 0) {
    const exportQs = (o) => qs({ q, kind: page.kind, sort, tz: zone, ...o });
    const tools = el(
      'p',
      { class: 'tools' },
      el('a', {
        class: 'button',
        id: 'export-csv',
        href: '/api/export.csv?' + exportQs({}),
        download: downloadName(q, 'csv'),
        text: t('export_csv'),
      }),
      el('a', {
        class: 'button',
        id: 'export-json',
        href: '/api/export.json?' + exportQs({}),
        download: downloadName(q, 'json'),
        text: t('export_json'),
      }),
    );
    // The packets behind any list whose records came from sessions.
    if (can('investigator'))
      tools.append(
        el('a', {
          class: 'button',
          id: 'query-pcap',
          href: '/api/export.pcap?' + exportQs({ sort: undefined }),
          download: downloadName(q, 'pcap'),
          text: t('download_query_pcap'),
        }),
      );
    view.append(tools);
  }
  const cols = [...(columns ? columns(page) : []), ...columnsOf(known, page.kind)];
  view.append(
    table(cols, page.records, {
      href: (r) => recordHref(known, page.kind, r),
      sort,
      sortHref: (key) => here({ sort: key }),
      ...opts,
    }),
  );
  const nav = el('p', { class: 'pager', id: 'pager' });
  if (offset > 0)
    nav.append(el('a', { href: here({ sort, offset: Math.max(0, offset - PAGE) }), text: `‹ ${t('prev')}` }));
  if (shown > 0)
    nav.append(
      el('span', {
        class: 'range',
        text: t('range_of')
          .replace('{from}', offset + 1)
          .replace('{to}', offset + shown)
          .replace('{total}', `${capped}${page.total}`),
      }),
    );
  if (offset + shown < page.total)
    nav.append(el('a', { href: here({ sort, offset: offset + PAGE }), text: `${t('next')} ›` }));
  view.append(nav);
  return page;
}

// A query error, with the part that is wrong underlined, in the reader's language.
export function queryError(e, q) {
  const box = el('div', { class: 'error', role: 'alert', id: 'query-error' }, el('p', { text: errorMessage(e) }));
  if (e.body && e.body.position !== undefined) {
    const p = e.body.position;
    const n = Math.max(1, e.body.length || 1);
    box.append(el('pre', {}, q.slice(0, p), el('mark', { text: q.slice(p, p + n) }), q.slice(p + n)));
  }
  return box;
}
