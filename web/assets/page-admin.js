// Administration: the audit log with its chain check, and the console's users.
import { api, qs } from './api.js';
import { main, me, t } from './context.js';
import { el, fmtTime, showError, table } from './dom.js';

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
