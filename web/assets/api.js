// The REST API as the console calls it: JSON, the session cookie, and the CSRF token on every
// request that changes something.
import { me, setMe, zone } from './context.js';

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

let onLoggedOut = () => {};
// What to do when the server says the login is gone (the login page, set by app.js).
export function whenLoggedOut(f) {
  onLoggedOut = f;
}

export async function api(path, opts = {}) {
  // Every read with parameters says which zone the reader sees (queries' times mean it).
  if ((!opts.method || opts.method === 'GET') && path.includes('?')) path += `&tz=${encodeURIComponent(zone)}`;
  const headers = { Accept: 'application/json' };
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  if (opts.method && opts.method !== 'GET' && me) headers['X-CSRF-Token'] = me.csrf;
  const res = await fetch(path, {
    method: opts.method || 'GET',
    headers,
    credentials: 'same-origin',
    body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
  });
  let body = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  if (res.status === 401 && path !== '/api/login') {
    setMe(null);
    onLoggedOut();
    throw new ApiError(401, body);
  }
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

export const qs = (o) =>
  Object.entries(o)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');

// A GET asked once and kept (asked again after a failure).
function once(path) {
  let asked = null;
  return () => {
    if (!asked) {
      asked = api(path).catch((e) => {
        asked = null;
        throw e;
      });
    }
    return asked;
  };
}

// The kinds of record and how each is shown, from the record types' declarations.
export const kinds = once('/api/kinds');
// The query language's fields (names, aliases, help in both languages, the kinds each answers
// and is counted among).
export const fields = once('/api/fields');
