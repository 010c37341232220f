// The console's state shared by every page: the reader's language, the logged-in user and the
// container the current page renders into.
import { I18N } from './i18n.js';

export let lang = localStorage.getItem('kagami.lang') || ((navigator.language || 'en').startsWith('ja') ? 'ja' : 'en');
export function toggleLanguage() {
  lang = lang === 'ja' ? 'en' : 'ja';
  localStorage.setItem('kagami.lang', lang);
}

// The zone every time is shown in and a query's zone-less times are read in (sent as tz with
// each request): the reader's choice, else the browser's.
const browserZone = () => {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
};
export let zone = localStorage.getItem('kagami.tz') || browserZone();
export function setZone(z) {
  zone = z;
  localStorage.setItem('kagami.tz', z);
}
export function zoneChoices() {
  let all = [];
  try {
    all = Intl.supportedValuesOf('timeZone');
  } catch {
    all = ['Asia/Tokyo', 'America/New_York', 'Europe/London'];
  }
  return [...new Set([zone, browserZone(), 'UTC', ...all])];
}

export let me = null; // {user, role, csrf}
export function setMe(login) {
  me = login;
}

// Each page renders into a container of its own: a page still waiting for its data when the
// user moves on appends to its own (detached) container, never into the next page.
const root = document.getElementById('main');
export let main = root;
export function newView() {
  main = document.createElement('div');
  root.replaceChildren(main);
  return main;
}

export const t = (k) => (I18N[lang] && I18N[lang][k]) || I18N.en[k] || k;
// A declared text in the reader's language: {en, ja} from /api/kinds.
export const words = (w) => (w && (w[lang] || w.en)) || '';
// An alert's title: the rules that fired, "; "-joined; the built-in ones in the reader's
// language, an administrator's own as written.
export const ruleTitle = (s) =>
  String(s || '')
    .split('; ')
    .map((x) => (I18N[lang] && I18N[lang][`rule:${x}`]) || x)
    .join('; ');

const ROLES = { viewer: 0, investigator: 1, admin: 2 };
export const can = (role) => me && ROLES[me.role] >= ROLES[role];
