// Alerts: the list, and one alert's triage (acknowledge, reopen, comment).
import { api, kinds, qs } from './api.js';
import { recordTable } from './columns.js';
import { can, main, ruleTitle, t } from './context.js';
import { dl, el, endpoint, fmtTime, link, section, showError, table } from './dom.js';

export async function pageAlerts() {
  const view = main;
  view.replaceChildren(el('h1', { text: t('alerts') }));
  try {
    const [known, page] = await Promise.all([kinds(), api('/api/alerts?' + qs({ limit: 200 }))]);
    view.append(recordTable(known, 'alerts', page.records));
  } catch (e) {
    if (e.status !== 401) showError(e, view);
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
        [t('severity'), el('span', { class: `sev sev-${a.severity}`, text: a.severity })],
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
      [t('action'), (n) => n.action],
      [t('comment'), (n) => n.text],
    ];
    view.append(section(t('notes'), table(notes, d.notes)));
  } catch (e) {
    if (e.status !== 401) showError(e, view);
  }
}
