// The Kagami console: one page, hash routes, one module per page. Every value from the store
// is put into the page as text (dom.js), never as markup, so nothing recorded off the wire can
// run here.
import { api, whenLoggedOut } from './api.js';
import { can, lang, main, me, newView, setMe, setZone, t, toggleLanguage, zone, zoneChoices } from './context.js';
import { el, link } from './dom.js';
import { pageAudit, pageStatus, pageUsers } from './page-admin.js';
import { alertsReload, pageAlert, pageAlerts } from './page-alerts.js';
import { pageDashboard } from './page-dashboard.js';
import { pageFile } from './page-file.js';
import { renderLogin } from './page-login.js';
import { pageRecord } from './page-record.js';
import { pageFields, pageSearch } from './page-search.js';
import { pageSession } from './page-session.js';
import { pageUser } from './page-user.js';

function renderChrome() {
  document.documentElement.lang = lang;
  document.getElementById('lang').textContent = t('language');
  const tz = document.getElementById('tz');
  tz.title = t('time_zone');
  tz.setAttribute('aria-label', t('time_zone'));
  if (tz.options.length === 0) tz.replaceChildren(...zoneChoices().map((z) => el('option', { value: z, text: z })));
  tz.value = zone;
  const nav = document.getElementById('nav');
  nav.replaceChildren();
  const who = document.getElementById('who');
  const out = document.getElementById('logout');
  if (!me) {
    who.textContent = '';
    out.hidden = true;
    return;
  }
  nav.append(link('#/', t('dashboard')), link('#/search', t('search')), link('#/alerts', t('alerts')));
  if (can('admin')) nav.append(link('#/status', t('sensor')), link('#/audit', t('audit')), link('#/users', t('users')));
  who.textContent = `${me.user} (${t(`role_${me.role}`)})`;
  out.hidden = false;
  out.textContent = t('logout');
}

const showLogin = (message) => renderLogin(message, { chrome: renderChrome, onLogin: route });

async function route() {
  if (!me) {
    try {
      setMe(await api('/api/me'));
    } catch {
      return;
    }
  }
  renderChrome();
  newView();
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, query] = hash.split('?');
  const params = new URLSearchParams(query || '');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const pages = {
    '': () => pageDashboard(params),
    search: () => pageSearch(params),
    fields: () => pageFields(),
    session: () => pageSession(parts[1]),
    record: () => pageRecord(parts[1], parts[2]),
    mail: () => pageRecord('mail', parts[1]), // the address mail pages had before
    file: () => pageFile(parts[1]),
    alerts: () => pageAlerts(params),
    alert: () => pageAlert(parts[1], route),
    user: () => pageUser(parts[1]),
    status: () => pageStatus(),
    audit: () => pageAudit(),
    users: () => pageUsers(route),
  };
  const page = pages[parts[0] || ''];
  if (page) await page();
  else main.replaceChildren(el('h1', { text: t('not_found') }), el('p', {}, link('#/', t('back_to_dashboard'))));
  // Widths of the top-list bars, set here because inline styles are not allowed by the CSP.
  for (const b of main.querySelectorAll('.bar[data-w]')) b.style.width = `${b.dataset.w}px`;
}

whenLoggedOut(() => showLogin());
alertsReload(route);
document.getElementById('tz').addEventListener('change', (e) => {
  setZone(e.target.value);
  route();
});
document.getElementById('lang').addEventListener('click', () => {
  toggleLanguage();
  route();
});
document.getElementById('logout').addEventListener('click', async () => {
  try {
    await api('/api/logout', { method: 'POST' });
  } catch {
    /* already gone */
  }
  setMe(null);
  showLogin();
});
window.addEventListener('hashchange', route);
route();
