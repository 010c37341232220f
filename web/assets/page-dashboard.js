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

// The spans the dashboard covers, ending at the newest session recorded (an imported capture's
// last day is its own, not the wall clock's): a day by default, as a console that has run for
// years would otherwise count every session it ever kept on each visit.
const SPANS = [
  ['1d', 86400],
  ['7d', 7 * 86400],
  ['30d', 30 * 86400],
  ['all', 0],
];

export async function pageDashboard(params) {
  const view = main;
  view.replaceChildren(el('h1', { text: t('dashboard') }));
  const chosen = SPANS.find(([k]) => k === params.get('span')) || SPANS[0];
  view.append(
    el(
      'p',
      { class: 'presets', id: 'dashboard-span' },
      t('dashboard_span'),
      ' ',
      SPANS.map(([k]) =>
        k === chosen[0]
          ? el('strong', { text: t(`span_${k}`) })
          : el('a', { href: `#/?${qs({ span: k })}`, text: t(`span_${k}`) }),
      ),
    ),
  );
  try {
    const newest = await api('/api/search?' + qs({ q: '*', kind: 'sessions', limit: 1, view: 'dashboard' }));
    const last = newest.records.length ? newest.records[0].ts_first : null;
    const q = chosen[1] && last !== null ? `time:[${queryTime(last - chosen[1])} TO ${queryTime(last + 1)}]` : '*';
    const [k, tl, hosts, users, alerts] = await Promise.all([
      kinds(),
      api('/api/timeline?' + qs({ q, kind: 'sessions', buckets: 60, view: 'dashboard' })),
      api('/api/top?' + qs({ q, kind: 'sessions', field: 'host', n: 10, view: 'dashboard' })),
      api('/api/top?' + qs({ q, kind: 'sessions', field: 'user', n: 10, view: 'dashboard' })),
      api('/api/alerts?' + qs({ limit: 10, view: 'dashboard' })),
    ]);
    const within = (term) => (q === '*' ? term : `${term} AND ${q}`);
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
        topList(hosts.values, (v) => `#/search?${qs({ q: within(`host:"${v}"`), kind: 'sessions' })}`),
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
