// Administration: the sensor's state, the audit log with its chain check, and the console's users.
import { api, qs } from './api.js';
import { main, me, t } from './context.js';
import { el, fmtBytes, fmtTime, showError, table } from './dom.js';

export async function pageAudit() {
  const view = main;
  view.replaceChildren(el('h1', { text: t('audit') }));
  const result = el('p', { id: 'verify-result' });
  const verify = async () => {
    try {
      const v = await api('/api/audit/verify');
      result.textContent = `${v.ok ? t('chain_ok') : t('chain_broken')} (${v.entries}) ${v.problems.join('; ')}`;
    } catch (e) {
      if (e.status !== 401) showError(e, view);
    }
  };
  view.append(el('p', {}, el('button', { type: 'button', id: 'verify', text: t('verify'), onclick: verify }), result));
  const columns = [
    [t('time'), (e) => fmtTime(e.ts)],
    [t('actor'), (e) => e.actor],
    [t('source'), (e) => e.source],
    [t('action'), (e) => (t(`audit_${e.action}`) !== `audit_${e.action}` ? t(`audit_${e.action}`) : e.action)],
    [t('object'), (e) => e.object],
    [t('detail'), (e) => (e.detail && Object.keys(e.detail).length ? JSON.stringify(e.detail) : '')],
  ];
  // The log a page at a time, newest first; "older" asks for the entries before the last.
  const more = async (before) => {
    try {
      const entries = await api('/api/audit?' + qs({ limit: 200, before }));
      view.querySelector('#audit-older')?.remove();
      view.append(table(columns, entries));
      if (entries.length === 200) {
        const last = entries[entries.length - 1].id;
        view.append(
          el('p', { id: 'audit-older' }, el('button', { type: 'button', text: t('older'), onclick: () => more(last) })),
        );
      }
    } catch (e) {
      if (e.status !== 401) showError(e, view);
    }
  };
  await more(undefined);
}

export async function pageUsers(reload) {
  const view = main;
  view.replaceChildren(el('h1', { text: t('users') }));
  try {
    const users = await api('/api/users');
    const remove = (u) => async () => {
      if (!window.confirm(t('confirm_remove').replace('{name}', u.name))) return;
      try {
        await api(`/api/users/${encodeURIComponent(u.name)}`, { method: 'DELETE' });
        reload();
      } catch (e) {
        if (e.status !== 401) showError(e, view);
      }
    };
    const columns = [
      [t('name'), (u) => u.name],
      [t('role'), (u) => t(`role_${u.role}`)],
      [t('time'), (u) => fmtTime(u.created)],
      [
        t('remove'),
        (u) =>
          u.name === me.user
            ? ''
            : el('button', { type: 'button', class: 'remove-user', text: t('remove'), onclick: remove(u) }),
      ],
    ];
    view.append(table(columns, users));
    const name = el('input', { name: 'name', required: true });
    const pw = el('input', { name: 'password', type: 'password', required: true, minlength: 10 });
    const role = el(
      'select',
      { name: 'role' },
      ['viewer', 'investigator', 'admin'].map((r) => el('option', { value: r, text: t(`role_${r}`) })),
    );
    const form = el(
      'form',
      { class: 'useradd' },
      el('h2', { text: t('add_user') }),
      el('label', {}, t('user'), name),
      el('label', {}, t('password'), pw),
      el('label', {}, t('role'), role),
      el('button', { type: 'submit', text: t('save') }),
    );
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        await api('/api/users', { method: 'POST', body: { name: name.value, password: pw.value, role: role.value } });
        reload();
      } catch (e) {
        if (e.status !== 401) showError(e, view);
      }
    });
    view.append(form);
  } catch (e) {
    if (e.status !== 401) showError(e, view);
  }
}

// The sensor at a glance: what the store keeps and for how long, the room left, and what the
// running recorder and proxy last said of themselves (a part that stopped writing is marked).
export async function pageStatus() {
  const view = main;
  view.replaceChildren(el('h1', { text: t('sensor') }));
  let st;
  try {
    st = await api('/api/status');
  } catch (e) {
    if (e.status !== 401) showError(e, view);
    return;
  }
  const rows = (pairs) =>
    el(
      'dl',
      { class: 'status' },
      pairs
        .filter(([, v]) => v !== undefined && v !== '')
        .flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: String(v) })]),
    );
  const s = st.store || {};
  const a = s.archive || {};
  const ev = s.evicted;
  view.append(
    el('h2', { text: t('status_store') }),
    rows([
      [
        t('status_archive'),
        a.files !== undefined
          ? `${a.files} ${t('status_files')}, ${fmtBytes(a.bytes)}, ${a.packets} ${t('status_packets')}`
          : '',
      ],
      [t('status_oldest'), a.oldest_packet ? fmtTime(Date.parse(a.oldest_packet) / 1000) : ''],
      [t('status_newest'), a.newest_packet ? fmtTime(Date.parse(a.newest_packet) / 1000) : ''],
      [
        t('status_disk'),
        s.disk
          ? t('status_disk_room')
              .replace('{free}', fmtBytes(s.disk.free_bytes))
              .replace('{total}', fmtBytes(s.disk.total_bytes))
          : '',
      ],
      [t('status_retention'), !s.retention || s.retention === 'none' ? t('status_retention_none') : s.retention],
      [
        t('status_evicted'),
        ev
          ? `${ev.files} ${t('status_files')}, ${fmtBytes(ev.bytes)} (${t('status_last')} ${fmtTime(Date.parse(ev.last_eviction) / 1000)})`
          : t('status_nothing_evicted'),
      ],
    ]),
  );
  for (const c of st.components || []) {
    view.append(el('h2', { text: `${c.component} (pid ${c.pid})` }));
    if (c.stale) view.append(el('p', { class: 'error stale', text: t('status_stale').replace('{s}', c.age_s) }));
    const r = c.recorder;
    if (r) {
      const rate = c.rates || {};
      view.append(
        rows([
          [t('status_source'), c.source],
          [
            t('status_rate'),
            c.rates
              ? `${Math.round(rate.packets_per_s || 0)} ${t('status_packets')}/s, ${((rate.bits_per_s || 0) / 1e6).toFixed(1)} Mbit/s`
              : '',
          ],
          [
            t('status_captured'),
            `${r['capture.packets'] || 0} ${t('status_packets')}, ${r['store.sessions'] || 0} ${t('status_sessions')}`,
          ],
          [
            t('status_lag'),
            t('status_lag_value')
              .replace('{s}', ((r['analysis.lag_ms'] || 0) / 1000).toFixed(1))
              .replace('{bytes}', fmtBytes(r['analysis.backlog_bytes'] || 0))
              .replace('{peak}', ((r['analysis.lag_peak_ms'] || 0) / 1000).toFixed(1)),
          ],
          [t('status_dropped_kernel'), r['source.kernel_dropped'] || 0],
          [t('status_dropped_analysis'), r['capture.internal_drops'] || 0],
          [t('status_dropped_archive'), r['archive.dropped'] || 0],
          [t('status_not_inspected'), r['inspect.dropped'] || 0],
        ]),
      );
    }
    if (c.proxy) {
      const p = c.proxy;
      view.append(
        rows([
          [t('status_proxy_connections'), `${p.accepted || 0} (${t('status_active')} ${p.active || 0})`],
          [t('status_proxy_decrypted'), p.decrypted || 0],
          [t('status_proxy_plain'), p.relayed_plain || 0],
        ]),
      );
      const bypass = c.auto_bypass || [];
      view.append(el('h3', { text: `${t('status_auto_bypass')}: ${bypass.length}` }));
      if (bypass.length)
        view.append(
          table(
            [
              [t('status_client'), (b) => b.client || '*'],
              [t('status_destination'), (b) => b.destination],
              [t('status_why'), (b) => b.why],
              [t('status_remaining'), (b) => `${b.remaining_s} s`],
            ],
            bypass,
          ),
        );
    }
  }
}
