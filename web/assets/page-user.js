// One user's activity: how much of each kind, over time, and the latest sessions and HTTP.
import { api, kinds, qs } from './api.js';
import { barChart } from './charts.js';
import { kindTitle, recordTable } from './columns.js';
import { main, t } from './context.js';
import { el, link, section, showError } from './dom.js';

export async function pageUser(name) {
  const view = main;
  view.replaceChildren(el('h1', { text: `${t('user_activity')} ${name}` }));
  try {
    const [known, d] = await Promise.all([kinds(), api(`/api/users/${encodeURIComponent(name)}/activity`)]);
    view.append(
      el(
        'ul',
        { class: 'counts' },
        Object.entries(d.counts).map(([k, v]) =>
          el('li', {}, link(`#/search?${qs({ q: `user:"${name}"`, kind: k })}`, `${kindTitle(known, k)}: ${v}`)),
        ),
      ),
    );
    if (d.timeline && d.timeline.counts) {
      view.append(section(t('traffic'), barChart(d.timeline, 'counts', t('sessions_word'))));
    }
    view.append(section(t('sessions'), recordTable(known, 'sessions', d.sessions)));
    view.append(section(kindTitle(known, 'http'), recordTable(known, 'http', d.http)));
  } catch (e) {
    if (e.status !== 401) showError(e, view);
  }
}
