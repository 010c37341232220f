// The dashboard: traffic over time, the top hosts and users, the latest alerts.
import { api, kinds, qs } from './api.js';
import { barChart } from './charts.js';
import { recordTable } from './columns.js';
import { main, t } from './context.js';
import { el, link, section, showError } from './dom.js';
import { queryTime } from './list-view.js';

function topList(values, href) {
  if (!values.length) return el('p', { class: 'empty', text: t('no_data') });
  const max = Math.max(...values.map((v) => v.count));
  return el(
    'ol',
    { class: 'top' },
    values.map((v) =>
      el(
        'li',
        {},
        link(href(v.value), v.value),
        el('span', { class: 'bar', 'data-w': Math.round((100 * v.count) / max) }),
        el('span', { class: 'num', text: v.count }),
      ),
    ),
  );
}

export async function pageDashboard() {
  const view = main;
  view.replaceChildren(el('h1', { text: t('dashboard') }));
  try {
    const [k, tl, hosts, users, alerts] = await Promise.all([
      kinds(),
      api('/api/timeline?' + qs({ kind: 'sessions', buckets: 60, view: 'dashboard' })),
      api('/api/top?' + qs({ kind: 'sessions', field: 'host', n: 10, view: 'dashboard' })),
      api('/api/top?' + qs({ kind: 'sessions', field: 'user', n: 10, view: 'dashboard' })),
      api('/api/alerts?' + qs({ limit: 10, view: 'dashboard' })),
    ]);
    const hasData = tl.counts.some((c) => c > 0);
    // A bar opens the sessions of its span.
    const span = (a, b) => `#/search?${qs({ q: `time:[${queryTime(a)} TO ${queryTime(b)}]`, kind: 'sessions' })}`;
    view.append(
      section(
        t('traffic'),
        hasData
          ? [barChart(tl, 'bytes', t('bytes_word'), span), barChart(tl, 'counts', t('sessions_word'), span)]
          : el('p', { class: 'empty', text: t('no_data') }),
      ),
    );
    const grid = el('div', { class: 'grid' });
    grid.append(
      section(
        t('top_hosts'),
        topList(hosts.values, (v) => `#/search?${qs({ q: `host:"${v}"` })}`),
      ),
    );
    grid.append(
      section(
        t('top_users'),
        topList(users.values, (v) => `#/user/${encodeURIComponent(v)}`),
      ),
    );
    view.append(grid);
    view.append(section(t('recent_alerts'), recordTable(k, 'alerts', alerts.records)));
  } catch (e) {
    if (e.status !== 401) showError(e, view);
  }
}
