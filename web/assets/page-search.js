// Search with the query language, and the language's fields.
import { api, fields, kinds, qs } from './api.js';
import { kindTitle } from './columns.js';
import { main, t, words } from './context.js';
import { el, link, showError, table } from './dom.js';
import { listView, queryError } from './list-view.js';

// Field names offered while typing: the word at the caret, before its colon, completed from
// the language's fields and their aliases. Arrows choose, Enter or Tab takes, Escape closes.
function autocomplete(input, known) {
  const box = el('ul', { class: 'suggest', id: 'suggest', role: 'listbox', hidden: true });
  let items = [];
  let at = -1;
  const word = () => {
    const upto = input.value.slice(0, input.selectionStart);
    const m = /(^|[\s(])([A-Za-z][\w.]*)$/.exec(upto);
    return m ? { text: m[2], start: upto.length - m[2].length } : null;
  };
  const close = () => {
    box.hidden = true;
    items = [];
    at = -1;
  };
  const take = (name) => {
    const w = word();
    if (!w) return close();
    const end = input.selectionStart;
    input.value = input.value.slice(0, w.start) + name + ':' + input.value.slice(end);
    const caret = w.start + name.length + 1;
    input.setSelectionRange(caret, caret);
    close();
    input.focus();
  };
  const show = () => {
    box.replaceChildren(
      ...items.map((f, i) =>
        el(
          'li',
          {
            role: 'option',
            class: i === at ? 'active' : '',
            'aria-selected': i === at,
            onmousedown: (ev) => (ev.preventDefault(), take(f.name)),
          },
          el('code', { text: f.name }),
          ' ',
          el('span', { class: 'note', text: words({ en: f.help, ja: f.help_ja }) }),
        ),
      ),
    );
    box.hidden = items.length === 0;
  };
  input.addEventListener('input', () => {
    const w = word();
    if (!w) return close();
    const prefix = w.text.toLowerCase();
    items = known.filter((f) => [f.name, ...f.aliases].some((n) => n.startsWith(prefix) && n !== prefix)).slice(0, 8);
    at = items.length ? 0 : -1;
    show();
  });
  input.addEventListener('keydown', (ev) => {
    if (box.hidden) return;
    if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
      at = (at + (ev.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length;
      show();
      ev.preventDefault();
    } else if ((ev.key === 'Enter' || ev.key === 'Tab') && at >= 0) {
      take(items[at].name);
      ev.preventDefault();
    } else if (ev.key === 'Escape') {
      close();
    }
  });
  input.addEventListener('blur', close);
  return box;
}

export async function pageSearch(params) {
  const view = main;
  const q = params.get('q') || '';
  const kind = params.get('kind') || '';
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
  let fieldList = [];
  try {
    fieldList = await fields();
  } catch {
    /* no completion */
  }
  const form = el(
    'form',
    { class: 'search', id: 'search-form' },
    el('span', { class: 'query-box' }, input, autocomplete(input, fieldList)),
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
    await listView(view, { known, q, kind, params, base: '#/search' });
  } catch (e) {
    if (e.status === 401) return;
    view.append(queryError(e, q));
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
          [t('meaning'), (f) => words({ en: f.help, ja: f.help_ja })],
        ],
        fields,
      ),
    );
  } catch (e) {
    if (e.status !== 401) showError(e, view);
  }
}
