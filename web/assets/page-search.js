// Search with the query language, and the language's fields.
import { api, kinds, qs } from './api.js';
import { kindTitle, recordTable } from './columns.js';
import { can, main, t, zone } from './context.js';
import { buttonLink, el, link, showError, table } from './dom.js';

// A download's name that says what it holds: the query (its letters and digits) and the day.
function pcapName(q) {
  const slug =
    q
      .replace(/[^\p{L}\p{N}]+/gu, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, 60) || 'all';
  return `kagami-${slug}-${new Date().toISOString().slice(0, 10)}.pcap`;
}

export async function pageSearch(params) {
  const view = main;
  const q = params.get('q') || '';
  const kind = params.get('kind') || '';
  const offset = Number(params.get('offset') || 0);
  const limit = 50;
  let known = [];
  try {
    known = await kinds();
  } catch (e) {
    if (e.status !== 401) showError(e, view);
    return;
  }
  const input = el('input', {
    id: 'query',
    name: 'q',
    value: q,
    spellcheck: 'false',
    placeholder: 'host:*.example.com AND method:POST',
    autocomplete: 'off',
  });
  const select = el(
    'select',
    { id: 'kind', name: 'kind' },
    el('option', { value: '', text: t('auto') }),
    known.map((k) => el('option', { value: k.kind, text: kindTitle(known, k.kind), selected: k.kind === kind })),
  );
  const form = el(
    'form',
    { class: 'search', id: 'search-form' },
    input,
    select,
    el('button', { type: 'submit', text: t('run') }),
    link('#/fields', t('help_fields')),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    // An empty query lists the newest records (of the kind chosen, else sessions).
    location.hash = `#/search?${qs({ q: input.value.trim() || '*', kind: select.value })}`;
  });
  view.replaceChildren(el('h1', { text: t('search') }), form);
  input.focus();
  if (!q && !kind) return;
  try {
    const page = await api('/api/search?' + qs({ q, kind, limit, offset }));
    const shown = page.records.length;
    const capped = page.total_capped ? t('at_least') + ' ' : '';
    const summary = el('p', {
      class: 'summary',
      id: 'summary',
      text: `${capped}${page.total} ${t('results')} (${kindTitle(known, page.kind)}, ${page.elapsed_ms.toFixed(1)} ms)`,
    });
    view.append(summary);
    for (const h of page.hints || [])
      view.append(
        el('p', {
          class: 'hint',
          text: t(`hint_${h.code}`).replace('{word}', h.word).replace('{WORD}', h.word.toUpperCase()),
        }),
      );
    if (can('investigator') && page.total > 0 && page.kind === 'sessions' && q) {
      view.append(
        buttonLink({
          id: 'query-pcap',
          href: '/api/export.pcap?' + qs({ q, tz: zone }),
          download: pcapName(q),
          text: t('download_query_pcap'),
        }),
      );
    }
    view.append(recordTable(known, page.kind, page.records));
    const nav = el('p', { class: 'pager' });
    if (offset > 0) nav.append(link(`#/search?${qs({ q, kind, offset: Math.max(0, offset - limit) })}`, t('prev')));
    if (offset + shown < page.total) nav.append(link(`#/search?${qs({ q, kind, offset: offset + limit })}`, t('next')));
    view.append(nav);
  } catch (e) {
    if (e.status === 401) return;
    const box = el('div', { class: 'error', role: 'alert', id: 'query-error' }, el('p', { text: e.message }));
    if (e.body && e.body.position !== undefined) {
      // Underline the part of the query that is wrong.
      const p = e.body.position;
      const n = Math.max(1, e.body.length || 1);
      box.append(el('pre', {}, q.slice(0, p), el('mark', { text: q.slice(p, p + n) }), q.slice(p + n)));
    }
    view.append(box);
  }
}

export async function pageFields() {
  const view = main;
  view.replaceChildren(el('h1', { text: t('help_fields') }));
  try {
    const fields = await api('/api/fields');
    view.append(
      table(
        [
          [t('name'), (f) => [f.name, ...f.aliases].join(', ')],
          [t('kind'), (f) => f.kinds.join(', ')],
          [t('title'), (f) => f.help],
        ],
        fields,
      ),
    );
  } catch (e) {
    if (e.status !== 401) showError(e, view);
  }
}
