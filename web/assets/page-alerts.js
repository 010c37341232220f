// Alerts: the list, and one alert's triage (acknowledge, reopen, comment).
import { api, kinds, qs } from './api.js';
import { directionWord, severityWord } from './columns.js';
import { can, main, ruleTitle, t } from './context.js';
import { dl, el, endpoint, fmtTime, link, section, showError, table } from './dom.js';
import { listView, queryError } from './list-view.js';

let route = () => {};
// What to call after a change (app.js's router), so the page shows the new state.
export function alertsReload(f) {
  route = f;
}

// Filters the alerts page offers, as the query language says them.
const SEVERITIES = ['low', 'medium', 'high', 'critical'];
function filterQuery(p) {
  const parts = [];
  if (p.get('state')) parts.push(`state:${p.get('state')}`);
  if (p.get('severity')) parts.push(`severity:>=${p.get('severity')}`);
  if (p.get('detector')) parts.push(`finding:${quoted(p.get('detector'))}`);
  if (p.get('user')) parts.push(`user:${quoted(p.get('user'))}`);
  if (p.get('q')) parts.push(p.get('q'));
  return parts.join(' AND ') || '*';
}
const quoted = (v) => (/[\s():"]/.test(v) ? `"${v.replace(/["\\]/g, '')}"` : v);

// The alerts: filtered by state, severity, detector and user; sorted and paged; many
// acknowledged or reopened at once.
export async function pageAlerts(params) {
  const view = main;
  view.replaceChildren(el('h1', { text: t('alerts') }));
  const choice = (name, values, label) =>
    el(
      'label',
      {},
      label,
      el(
        'select',
        { name, id: `filter-${name}` },
        el('option', { value: '', text: t('any') }),
        values.map(([v, text]) => el('option', { value: v, text, selected: params.get(name) === v })),
      ),
    );
  const text = (name, label) =>
    el(
      'label',
      {},
      label,
      el('input', { name, id: `filter-${name}`, value: params.get(name) || '', autocomplete: 'off' }),
    );
  const form = el(
    'form',
    { class: 'filters', id: 'alert-filters' },
    choice(
      'state',
      [
        ['new', t('new_state')],
        ['acknowledged', t('acknowledged_state')],
      ],
      t('state'),
    ),
    choice(
      'severity',
      SEVERITIES.map((s) => [s, `${severityWord(s)} ${t('or_above')}`]),
      t('severity'),
    ),
    text('detector', t('detector')),
    text('user', t('user')),
    text('q', t('query')),
    el('button', { type: 'submit', text: t('filter') }),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = new FormData(form);
    location.hash = `#/alerts?${qs(Object.fromEntries([...f.entries()].map(([k, v]) => [k, String(v).trim()])))}`;
  });
  view.append(form);
  const selected = new Set();
  const bulk = el('div', { class: 'triage', id: 'bulk', hidden: true });
  try {
    const known = await kinds();
    const canTriage = can('investigator');
    const box = (r) =>
      el('input', {
        type: 'checkbox',
        class: 'pick',
        'aria-label': `${t('alert_heading')} #${r.id}`,
        value: r.id,
        onchange: (ev) => {
          if (ev.target.checked) selected.add(r.id);
          else selected.delete(r.id);
          bulk.hidden = selected.size === 0;
          count.textContent = t('selected').replace('{n}', selected.size);
        },
      });
    const all = el('input', {
      type: 'checkbox',
      id: 'pick-all',
      'aria-label': t('select_all'),
      onchange: (ev) => {
        for (const b of view.querySelectorAll('input.pick')) {
          b.checked = ev.target.checked;
          b.dispatchEvent(new Event('change'));
        }
      },
    });
    const count = el('span', { id: 'selected-count' });
    const page = await listView(view, {
      known,
      q: filterQuery(params),
      kind: 'alerts',
      params,
      base: '#/alerts',
      columns: () => (canTriage ? [[all, box]] : []),
      opts: { rowClass: (r) => `state-${r.state}` },
    });
    if (canTriage && page.total > 0) {
      const note = el('input', { id: 'bulk-text', maxlength: 4000, placeholder: t('add_comment') });
      const act = async (action) => {
        try {
          await api(`/api/alerts/${action}`, { method: 'POST', body: { ids: [...selected], text: note.value } });
          route();
        } catch (e) {
          if (e.status !== 401) showError(e, view);
        }
      };
      bulk.append(
        count,
        note,
        el('button', { type: 'button', id: 'bulk-ack', text: t('acknowledge'), onclick: () => act('ack') }),
        el('button', { type: 'button', id: 'bulk-reopen', text: t('reopen'), onclick: () => act('reopen') }),
      );
      view.querySelector('table')?.before(bulk);
    }
  } catch (e) {
    if (e.status === 401) return;
    view.append(queryError(e, filterQuery(params)));
  }
}

export async function pageAlert(id, reload) {
  const view = main;
  view.replaceChildren(el('h1', { text: `${t('alert_heading')} #${id}` }));
  try {
    const d = await api(`/api/alerts/${encodeURIComponent(id)}`);
    const a = d.alert;
    const state = t(a.state === 'acknowledged' ? 'acknowledged_state' : 'new_state');
    view.append(
      dl([
        [t('time'), fmtTime(a.ts)],
        [t('severity'), el('span', { class: `sev sev-${a.severity}`, text: severityWord(a.severity) })],
        [t('direction'), directionWord(a.direction)],
        [t('title'), ruleTitle(a.title)],
        [t('findings'), a.findings],
        [
          t('who'),
          a.user ? link(`#/user/${encodeURIComponent(a.user)}`, a.user) : endpoint(a.client_ip, a.client_port),
        ],
        [t('where'), `${endpoint(a.server_ip, a.server_port)} ${a.host || ''}`],
        [t('file'), a.sha256 ? link(`#/file/${a.sha256}`, a.file_name || a.sha256) : ''],
        [t('session'), link(`#/session/${a.session_id}`, String(a.session_id))],
        [t('state'), el('strong', { id: 'alert-state', text: state })],
      ]),
    );
    if (can('investigator')) {
      const text = el('textarea', { id: 'note-text', maxlength: 4000, rows: 3 });
      const act = async (action) => {
        try {
          await api(`/api/alerts/${encodeURIComponent(id)}/${action}`, {
            method: 'POST',
            body: { text: text.value },
          });
          reload();
        } catch (e) {
          if (e.status !== 401) showError(e, view);
        }
      };
      view.append(
        el(
          'div',
          { class: 'triage' },
          el('label', {}, t('add_comment'), text),
          a.state === 'acknowledged'
            ? el('button', { type: 'button', id: 'alert-reopen', text: t('reopen'), onclick: () => act('reopen') })
            : el('button', { type: 'button', id: 'alert-ack', text: t('acknowledge'), onclick: () => act('ack') }),
          el('button', { type: 'button', id: 'alert-comment', text: t('comment'), onclick: () => act('comment') }),
        ),
      );
    }
    const notes = [
      [t('time'), (n) => fmtTime(n.ts)],
      [t('user'), (n) => n.user],
      [t('action'), (n) => t(`action_${n.action}`)],
      [t('comment'), (n) => n.text],
    ];
    view.append(section(t('notes'), table(notes, d.notes)));
  } catch (e) {
    if (e.status !== 401) showError(e, view);
  }
}
