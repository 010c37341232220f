// The login form.
import { api } from './api.js';
import { newView, setMe, t } from './context.js';
import { el, errorMessage } from './dom.js';

export function renderLogin(message, { chrome, onLogin }) {
  chrome();
  const user = el('input', { name: 'user', id: 'login-user', autocomplete: 'username', required: true });
  const pw = el('input', {
    name: 'password',
    id: 'login-password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const msg = el('p', { class: 'error', role: 'alert', text: message || '' });
  const form = el(
    'form',
    { class: 'login', id: 'login-form' },
    el('h1', { text: t('login') }),
    el('label', {}, t('user'), user),
    el('label', {}, t('password'), pw),
    el('button', { type: 'submit', id: 'login-submit', text: t('login') }),
    msg,
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      setMe(await api('/api/login', { method: 'POST', body: { user: user.value, password: pw.value } }));
      onLogin();
    } catch (e) {
      msg.textContent = `${t('login_failed')}: ${errorMessage(e)}`;
    }
  });
  newView().append(form);
  user.focus();
}
