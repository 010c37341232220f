'use strict';
// The Kagami console: one page, hash routes, every value from the store put into the page as
// text (textContent), never as markup, so nothing recorded off the wire can run here.
(() => {
  const I18N = window.KAGAMI_I18N;
  let lang = localStorage.getItem('kagami.lang') ||
    ((navigator.language || 'en').startsWith('ja') ? 'ja' : 'en');
  let me = null;  // {user, role, csrf}
  // Each page renders into a container of its own: a page still waiting for its data when the
  // user moves on appends to its own (detached) container, never into the next page.
  const root = document.getElementById('main');
  let main = root;
  function newView() {
    main = document.createElement('div');
    root.replaceChildren(main);
    return main;
  }
  const t = (k) => (I18N[lang] && I18N[lang][k]) || I18N.en[k] || k;
  // An alert's title: the rules that fired, "; "-joined; the built-in ones in the reader's
  // language, an administrator's own as written.
  const ruleTitle = (s) => String(s || '').split('; ')
    .map((x) => (I18N[lang] && I18N[lang][`rule:${x}`]) || x).join('; ');
  const ROLES = { viewer: 0, investigator: 1, admin: 2 };
  const can = (role) => me && ROLES[me.role] >= ROLES[role];

  // ---- DOM helpers -----------------------------------------------------------------------
  // Characters that reorder or hide text (bidi embeddings, overrides and isolates, zero-width
  // marks, line separators) and control characters, recorded off the wire, are shown as what
  // they are: "shadow<U+202E>fdp.exe" must not read as "shadowexe.pdf".
  const HIDDEN = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;
  const codePoint = (c) => 'U+' + c.codePointAt(0).toString(16).toUpperCase().padStart(4, '0');
  // Text as nodes: plain text, and each hidden character as a marked code point.
  function textNodes(s) {
    const out = [];
    let last = 0;
    for (const m of s.matchAll(HIDDEN)) {
      if (m.index > last) out.push(document.createTextNode(s.slice(last, m.index)));
      const mark = document.createElement('span');
      mark.className = 'hidden-char';
      mark.title = codePoint(m[0]);
      mark.textContent = codePoint(m[0]);
      out.push(mark);
      last = m.index + m[0].length;
    }
    if (last < s.length || out.length === 0) out.push(document.createTextNode(s.slice(last)));
    return out;
  }
  // The same for attributes (tooltips), where markup cannot go.
  const visibleText = (s) => s.replace(HIDDEN, (c) => `[${codePoint(c)}]`);
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.replaceChildren(...textNodes(String(v)));
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else if (k === 'href' || k === 'download' || k === 'value') e.setAttribute(k, v === true ? '' : String(v));
      else e.setAttribute(k, v === true ? '' : visibleText(String(v)));
    }
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      if (c instanceof Node) e.append(c);
      else e.append(...textNodes(String(c)));
    }
    return e;
  }
  const link = (href, text) => el('a', { href, text });
  const svgEl = (tag, attrs) => {
    const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    return e;
  };
  const pad = (n) => String(n).padStart(2, '0');
  function fmtTime(epoch) {
    if (epoch === undefined || epoch === null) return '';
    const d = new Date(epoch * 1000);
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
      `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }
  function fmtBytes(n) {
    if (n === undefined || n === null) return '';
    const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    let v = Number(n);
    while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
    return (i ? v.toFixed(1) : String(v)) + ' ' + u[i];
  }
  const endpoint = (ip, port) => (String(ip).includes(':') ? `[${ip}]` : ip) + (port ? `:${port}` : '');
  const list = (v) => (Array.isArray(v) ? v.join(', ') : (v || ''));

  function table(columns, rows, onRow) {
    if (!rows || rows.length === 0) return el('p', { class: 'empty', text: t('no_results') });
    const head = el('tr', {}, columns.map((c) => el('th', { text: t(c[0]) })));
    const body = rows.map((r) => {
      const tr = el('tr', {}, columns.map((c) => {
        const v = c[1](r);
        return el('td', {}, v instanceof Node ? v : String(v === undefined || v === null ? '' : v));
      }));
      if (onRow) {
        tr.classList.add('clickable');
        tr.addEventListener('click', (ev) => { if (ev.target.tagName !== 'A') onRow(r); });
      }
      return tr;
    });
    return el('table', {}, el('thead', {}, head), el('tbody', {}, body));
  }
  const section = (title, ...children) => el('section', {}, el('h2', { text: title }), children);
  const dl = (pairs) => el('dl', {}, pairs.filter((p) => p[1] !== undefined && p[1] !== '')
    .map(([k, v]) => [el('dt', { text: t(k) }), el('dd', {}, v instanceof Node ? v : String(v))]));

  // ---- API -------------------------------------------------------------------------------
  class ApiError extends Error {
    constructor(status, body) {
      super((body && body.error) || `HTTP ${status}`);
      this.status = status;
      this.body = body || {};
    }
  }
  async function api(path, opts = {}) {
    const headers = { Accept: 'application/json' };
    if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
    if (opts.method && opts.method !== 'GET' && me) headers['X-CSRF-Token'] = me.csrf;
    const res = await fetch(path, {
      method: opts.method || 'GET', headers, credentials: 'same-origin',
      body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
    });
    let body = null;
    try { body = await res.json(); } catch (e) { body = null; }
    if (res.status === 401 && path !== '/api/login') {
      me = null;
      renderLogin();
      throw new ApiError(401, body);
    }
    if (!res.ok) throw new ApiError(res.status, body);
    return body;
  }
  const qs = (o) => Object.entries(o).filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');

  function showError(err, view) {
    view.append(el('p', { class: 'error', role: 'alert', text: `${t('error')}: ${err.message}` }));
  }

  // ---- chrome ----------------------------------------------------------------------------
  function renderChrome() {
    document.documentElement.lang = lang;
    document.getElementById('lang').textContent = t('language');
    const nav = document.getElementById('nav');
    nav.replaceChildren();
    const who = document.getElementById('who');
    const out = document.getElementById('logout');
    if (!me) {
      who.textContent = '';
      out.hidden = true;
      return;
    }
    nav.append(link('#/', t('dashboard')), link('#/search', t('search')),
      link('#/alerts', t('alerts')));
    if (can('admin')) nav.append(link('#/audit', t('audit')), link('#/users', t('users')));
    who.textContent = `${me.user} (${me.role})`;
    out.hidden = false;
    out.textContent = t('logout');
  }

  function renderLogin(message) {
    renderChrome();
    const user = el('input', { name: 'user', id: 'login-user', autocomplete: 'username', required: true });
    const pw = el('input', { name: 'password', id: 'login-password', type: 'password',
      autocomplete: 'current-password', required: true });
    const msg = el('p', { class: 'error', role: 'alert', text: message || '' });
    const form = el('form', { class: 'login', id: 'login-form' },
      el('h1', { text: t('login') }),
      el('label', {}, t('user'), user), el('label', {}, t('password'), pw),
      el('button', { type: 'submit', id: 'login-submit', text: t('login') }), msg);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        me = await api('/api/login', { method: 'POST', body: { user: user.value, password: pw.value } });
        route();
      } catch (e) {
        msg.textContent = `${t('login_failed')}: ${e.message}`;
      }
    });
    newView().append(form);
    user.focus();
  }

  // ---- charts ----------------------------------------------------------------------------
  function barChart(timeline, field, label) {
    const values = (timeline && timeline[field]) || [];
    const w = 720;
    const h = 160;
    const svg = svgEl('svg', { viewBox: `0 0 ${w} ${h + 20}`, class: 'chart', role: 'img',
      'aria-label': label });
    const max = Math.max(1, ...values);
    const bw = values.length ? w / values.length : w;
    values.forEach((v, i) => {
      const bh = (v / max) * h;
      const r = svgEl('rect', { x: i * bw + 1, y: h - bh, width: Math.max(1, bw - 2), height: bh });
      const tip = svgEl('title', {});
      tip.textContent = `${fmtTime(timeline.start + i * timeline.width)}: ${field === 'bytes' ? fmtBytes(v) : v}`;
      r.append(tip);
      svg.append(r);
    });
    if (values.length) {
      for (const [i, anchor] of [[0, 'start'], [values.length, 'end']]) {
        const tx = svgEl('text', { x: i * bw, y: h + 15, 'text-anchor': anchor });
        tx.textContent = fmtTime(timeline.start + i * timeline.width);
        svg.append(tx);
      }
    }
    return el('figure', {}, svg, el('figcaption', { text: `${label} (max ${field === 'bytes' ? fmtBytes(max) : max})` }));
  }

  // ---- pages -----------------------------------------------------------------------------
  async function pageDashboard() {
    const view = main;
    view.replaceChildren(el('h1', { text: t('dashboard') }));
    try {
      const [tl, hosts, users, alerts] = await Promise.all([
        api('/api/timeline?' + qs({ kind: 'sessions', buckets: 60 })),
        api('/api/top?' + qs({ kind: 'sessions', field: 'host', n: 10 })),
        api('/api/top?' + qs({ kind: 'sessions', field: 'user', n: 10 })),
        api('/api/alerts?' + qs({ limit: 10 })),
      ]);
      const hasData = tl.counts.some((c) => c > 0);
      view.append(section(t('traffic'), hasData
        ? [barChart(tl, 'bytes', t('bytes_word')), barChart(tl, 'counts', t('sessions_word'))]
        : el('p', { class: 'empty', text: t('no_data') })));
      const grid = el('div', { class: 'grid' });
      grid.append(section(t('top_hosts'), topList(hosts.values, (v) => `#/search?${qs({ q: `host:"${v}"` })}`)));
      grid.append(section(t('top_users'), topList(users.values, (v) => `#/user/${encodeURIComponent(v)}`)));
      view.append(grid);
      view.append(section(t('recent_alerts'), alertTable(alerts.records)));
    } catch (e) { if (e.status !== 401) showError(e, view); }
  }
  function topList(values, href) {
    if (!values.length) return el('p', { class: 'empty', text: t('no_data') });
    const max = Math.max(...values.map((v) => v.count));
    return el('ol', { class: 'top' }, values.map((v) => el('li', {},
      link(href(v.value), v.value),
      el('span', { class: 'bar', style: null, 'data-w': Math.round((100 * v.count) / max) }),
      el('span', { class: 'num', text: v.count }))));
  }
  function alertTable(rows) {
    return table([
      ['time', (r) => fmtTime(r.ts)],
      ['severity', (r) => el('span', { class: `sev sev-${r.severity}`, text: r.severity })],
      ['title', (r) => link(`#/alert/${r.id}`, ruleTitle(r.title))],
      ['user', (r) => (r.user ? link(`#/user/${encodeURIComponent(r.user)}`, r.user) : '')],
      ['file', (r) => r.file_name || ''],
      ['state', (r) => t(r.state === 'acknowledged' ? 'acknowledged_state' : 'new_state')],
    ], rows, (r) => { location.hash = `#/alert/${r.id}`; });
  }

  const KINDS = ['sessions', 'http', 'dns', 'tls', 'mail', 'ftp', 'files', 'findings', 'alerts'];
  const COLUMNS = {
    sessions: [['time', (r) => fmtTime(r.ts_first)], ['client', (r) => endpoint(r.client_ip, r.client_port)],
      ['server', (r) => endpoint(r.server_ip, r.server_port)], ['host', (r) => r.host],
      ['protocol', (r) => r.app], ['user', (r) => r.user],
      ['size', (r) => fmtBytes((r.bytes_c2s || 0) + (r.bytes_s2c || 0))]],
    http: [['time', (r) => fmtTime(r.ts)], ['client', (r) => endpoint(r.client_ip, r.client_port)],
      ['method', (r) => r.method], ['host', (r) => r.host], ['uri', (r) => r.uri],
      ['status', (r) => r.status || ''], ['user', (r) => r.user]],
    dns: [['time', (r) => fmtTime(r.ts)], ['client', (r) => endpoint(r.client_ip, r.client_port)],
      ['name', (r) => r.query], ['type', (r) => r.qtype], ['status', (r) => r.rcode],
      ['answers', (r) => list(r.answers)]],
    tls: [['time', (r) => fmtTime(r.ts)], ['client', (r) => endpoint(r.client_ip, r.client_port)],
      ['sni', (r) => r.sni], ['version', (r) => r.version], ['cipher', (r) => r.cipher],
      ['certificate', (r) => r.cert_subject]],
    mail: [['time', (r) => fmtTime(r.ts)], ['protocol', (r) => r.protocol],
      ['from', (r) => r.from || r.mail_from], ['to', (r) => list(r.rcpt_to && r.rcpt_to.length ? r.rcpt_to : r.to)],
      ['subject', (r) => r.subject]],
    ftp: [['time', (r) => fmtTime(r.ts)], ['client', (r) => endpoint(r.client_ip, r.client_port)],
      ['user', (r) => r.user], ['method', (r) => r.command], ['name', (r) => r.arg],
      ['status', (r) => r.reply_code]],
    files: [['time', (r) => fmtTime(r.ts)], ['name', (r) => r.name], ['type', (r) => r.mime],
      ['size', (r) => fmtBytes(r.size)], ['direction', (r) => r.direction],
      ['protocol', (r) => r.protocol], ['file', (r) => link(`#/file/${r.sha256}`, r.sha256.slice(0, 16) + '…')]],
    findings: [['time', (r) => fmtTime(r.ts)], ['detector', (r) => r.detector],
      ['severity', (r) => el('span', { class: `sev sev-${r.severity}`, text: r.severity })],
      ['count', (r) => r.count], ['sample', (r) => r.sample], ['file', (r) => r.file_name]],
    alerts: null,
  };
  function openRecord(kind, r) {
    if (kind === 'mail') location.hash = `#/mail/${r.id}`;
    else if (kind === 'files' || kind === 'findings') location.hash = `#/file/${r.sha256}`;
    else if (kind === 'alerts') location.hash = `#/alert/${r.id}`;
    else location.hash = `#/session/${kind === 'sessions' ? r.id : r.session_id}`;
  }

  async function pageSearch(params) {
    const view = main;
    const q = params.get('q') || '';
    const kind = params.get('kind') || '';
    const offset = Number(params.get('offset') || 0);
    const limit = 50;
    const input = el('input', { id: 'query', name: 'q', value: q, spellcheck: 'false',
      placeholder: 'host:*.example.com AND method:POST', autocomplete: 'off' });
    const select = el('select', { id: 'kind', name: 'kind' },
      el('option', { value: '', text: t('auto') }),
      KINDS.map((k) => el('option', { value: k, text: t(`kind_${k}`), selected: k === kind })));
    const form = el('form', { class: 'search', id: 'search-form' }, input, select,
      el('button', { type: 'submit', text: t('run') }), link('#/fields', t('help_fields')));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      location.hash = `#/search?${qs({ q: input.value, kind: select.value })}`;
    });
    view.replaceChildren(el('h1', { text: t('search') }), form);
    input.focus();
    if (!q && !kind) return;
    try {
      const page = await api('/api/search?' + qs({ q, kind, limit, offset }));
      const shown = page.records.length;
      const summary = el('p', { class: 'summary', id: 'summary',
        text: `${page.total_capped ? t('at_least') + ' ' : ''}${page.total} ${t('results')} (${t(`kind_${page.kind}`)}, ${page.elapsed_ms.toFixed(1)} ms)` });
      view.append(summary);
      if (can('investigator') && page.total > 0 && page.kind === 'sessions' && q) {
        view.append(el('p', {}, el('a', { class: 'button', id: 'query-pcap',
          href: '/api/export.pcap?' + qs({ q }), download: 'kagami-export.pcap',
          text: t('download_query_pcap') })));
      }
      const cols = page.kind === 'alerts' ? null : COLUMNS[page.kind];
      view.append(cols ? table(cols, page.records, (r) => openRecord(page.kind, r))
        : alertTable(page.records));
      const nav = el('p', { class: 'pager' });
      if (offset > 0) nav.append(link(`#/search?${qs({ q, kind, offset: Math.max(0, offset - limit) })}`, t('prev')));
      if (offset + shown < page.total) nav.append(link(`#/search?${qs({ q, kind, offset: offset + limit })}`, t('next')));
      view.append(nav);
    } catch (e) {
      if (e.status === 401) return;
      const box = el('div', { class: 'error', role: 'alert', id: 'query-error' }, el('p', { text: e.message }));
      if (e.body && e.body.position !== undefined) {
        // Underline the part of the query that is wrong.
        const p = e.body.position;
        const n = Math.max(1, e.body.length || 1);
        box.append(el('pre', {}, q.slice(0, p), el('mark', { text: q.slice(p, p + n) }), q.slice(p + n)));
      }
      view.append(box);
    }
  }

  async function pageFields() {
    const view = main;
    view.replaceChildren(el('h1', { text: t('help_fields') }));
    try {
      const fields = await api('/api/fields');
      view.append(table([['name', (f) => [f.name, ...f.aliases].join(', ')],
        ['kind', (f) => f.kinds.join(', ')], ['title', (f) => f.help]], fields));
    } catch (e) { if (e.status !== 401) showError(e, view); }
  }

  async function pageSession(id) {
    const view = main;
    view.replaceChildren(el('h1', { text: `${t('session')} ${id}` }));
    try {
      const d = await api(`/api/sessions/${encodeURIComponent(id)}`);
      const s = d.session;
      const tls = d.tls[0];
      const how = [s.transport, s.app, s.decrypted ? t('decrypted') : t('not_decrypted'),
        s.end_reason === 'proxy_refused' ? t('proxy_refused') : '',
        tls ? `${tls.version || ''} ${tls.cipher || ''} ${tls.ja4 || ''}`.trim() : ''].filter(Boolean).join(' · ');
      const whatParts = [`${t('packets')} ${s.pkts_c2s}/${s.pkts_s2c}`,
        `${fmtBytes(s.bytes_c2s)} / ${fmtBytes(s.bytes_s2c)}`,
        d.http.length ? `${d.http.length} HTTP` : '', d.mail.length ? `${d.mail.length} ${t('mail')}` : '',
        d.files.length ? `${d.files.length} ${t('files')}` : '',
        d.findings.length ? `${d.findings.length} ${t('findings')}` : ''].filter(Boolean).join(' · ');
      view.append(el('div', { class: 'five', id: 'five' },
        dl([['when', `${fmtTime(s.ts_first)} – ${fmtTime(s.ts_last)} (${(s.ts_last - s.ts_first).toFixed(3)} s)`],
          ['who', s.user ? el('span', {}, endpoint(s.client_ip, s.client_port), ' ', link(`#/user/${encodeURIComponent(s.user)}`, s.user))
            : endpoint(s.client_ip, s.client_port)],
          ['where', `${endpoint(s.server_ip, s.server_port)} ${s.host || ''}`],
          ['how', how], ['what', whatParts]])));
      if (can('investigator')) {
        view.append(el('p', {}, el('a', { class: 'button', id: 'session-pcap',
          href: `/api/sessions/${encodeURIComponent(id)}/pcap`, download: `session-${id}.pcap`,
          text: t('download_pcap') })));
      }
      if (d.http.length) view.append(section(t('transactions'), table(COLUMNS.http, d.http)));
      if (d.dns.length) view.append(section(t('dns'), table(COLUMNS.dns, d.dns)));
      if (d.tls.length) {
        view.append(section(t('tls'), table([...COLUMNS.tls, ['subject_and_issuer',
          (r) => `${r.cert_subject} / ${r.cert_issuer}`]], d.tls)));
      }
      if (d.mail.length) view.append(section(t('mail'), table(COLUMNS.mail, d.mail, (r) => openRecord('mail', r))));
      if (d.ftp.length) view.append(section('FTP', table(COLUMNS.ftp, d.ftp)));
      if (d.files.length) view.append(section(t('files'), table(COLUMNS.files, d.files, (r) => openRecord('files', r))));
      if (d.findings.length) view.append(section(t('findings'), table(COLUMNS.findings, d.findings, (r) => openRecord('findings', r))));
      if (d.alerts.length) view.append(section(t('alerts'), alertTable(d.alerts)));
    } catch (e) { if (e.status !== 401) showError(e, view); }
  }

  async function pageMail(id) {
    const view = main;
    view.replaceChildren(el('h1', { text: `${t('mail')} ${id}` }));
    try {
      const d = await api(`/api/mail/${encodeURIComponent(id)}`);
      const m = d.mail;
      // PPAP: the mails this one is paired with (its zip's password mail, or the zip its
      // password opens), named in the link findings' samples.
      const linked = [...new Set((d.findings || []).filter((f) => String(f.detector).startsWith('ppap'))
        .flatMap((f) => [...String(f.sample).matchAll(/mail (\d+)/g)].map((x) => x[1])))];
      const ppap = linked.length ? el('span', { id: 'mail-ppap' }, linked.flatMap((n) =>
        [link(`#/mail/${n}`, `${t('mail')} ${n}`), ' '])) : '';
      view.append(dl([['time', fmtTime(m.ts)], ['protocol', `${m.protocol} (${m.direction})`],
        ['from', m.from || m.mail_from], ['to', list(m.to)], ['cc', list(m.cc)],
        ['subject', m.subject], ['date', m.date], ['message_id', m.message_id],
        ['session', link(`#/session/${m.session_id}`, String(m.session_id))],
        ['ppap_linked', ppap]]));
      view.append(section(t('body'), el('pre', { class: 'body', id: 'mail-body', text: m.body_text || '' })));
      view.append(section(t('attachments'), table(COLUMNS.files, d.files, (r) => openRecord('files', r))));
      if ((d.findings || []).length) {
        view.append(section(t('findings'), table(COLUMNS.findings, d.findings, (r) => openRecord('findings', r))));
      }
    } catch (e) { if (e.status !== 401) showError(e, view); }
  }

  async function pageFile(sha) {
    const view = main;
    view.replaceChildren(el('h1', { text: t('file') }));
    try {
      const d = await api(`/api/files/${encodeURIComponent(sha)}`);
      const f = d.file;
      if (d.malware) view.append(el('p', { class: 'malware', role: 'alert', text: t('malware') }));
      const ins = f.inspection || {};
      view.append(dl([['SHA-256', f.sha256], ['MD5', f.md5], ['size', fmtBytes(f.size)],
        ['type', f.mime], ['inspection', [ins.flags, ins.note].filter(Boolean).join(' — ')]]));
      if (can('investigator')) {
        view.append(el('p', {}, el('a', { class: 'button', id: 'file-download',
          href: `/api/files/${encodeURIComponent(sha)}/content`, text: t('download') })));
      }
      view.append(section(t('sightings'), table([...COLUMNS.files.slice(0, 6),
        ['session', (r) => link(`#/session/${r.session_id}`, String(r.session_id))]], d.sightings)));
      view.append(section(t('findings'), table(COLUMNS.findings, d.findings)));
      if (me.role === 'viewer' && d.findings.length) view.append(el('p', { class: 'note', text: t('masked') }));
    } catch (e) { if (e.status !== 401) showError(e, view); }
  }

  async function pageAlerts() {
    const view = main;
    view.replaceChildren(el('h1', { text: t('alerts') }));
    try {
      const page = await api('/api/alerts?' + qs({ limit: 200 }));
      view.append(alertTable(page.records));
    } catch (e) { if (e.status !== 401) showError(e, view); }
  }

  async function pageAlert(id) {
    const view = main;
    view.replaceChildren(el('h1', { text: `${t('alerts')} ${id}` }));
    try {
      const d = await api(`/api/alerts/${encodeURIComponent(id)}`);
      const a = d.alert;
      view.append(dl([['time', fmtTime(a.ts)],
        ['severity', el('span', { class: `sev sev-${a.severity}`, text: a.severity })],
        ['title', ruleTitle(a.title)], ['findings', a.findings],
        ['who', a.user ? link(`#/user/${encodeURIComponent(a.user)}`, a.user) : endpoint(a.client_ip, a.client_port)],
        ['where', `${endpoint(a.server_ip, a.server_port)} ${a.host || ''}`],
        ['file', a.sha256 ? link(`#/file/${a.sha256}`, a.file_name || a.sha256) : ''],
        ['session', link(`#/session/${a.session_id}`, String(a.session_id))],
        ['state', el('strong', { id: 'alert-state', text: t(a.state === 'acknowledged' ? 'acknowledged_state' : 'new_state') })]]));
      if (can('investigator')) {
        const text = el('textarea', { id: 'note-text', maxlength: 4000, rows: 3 });
        const act = async (action) => {
          try {
            await api(`/api/alerts/${encodeURIComponent(id)}/${action}`, { method: 'POST', body: { text: text.value } });
            route();
          } catch (e) { if (e.status !== 401) showError(e, view); }
        };
        view.append(el('div', { class: 'triage' }, el('label', {}, t('add_comment'), text),
          a.state === 'acknowledged'
            ? el('button', { type: 'button', id: 'alert-reopen', text: t('reopen'), onclick: () => act('reopen') })
            : el('button', { type: 'button', id: 'alert-ack', text: t('acknowledge'), onclick: () => act('ack') }),
          el('button', { type: 'button', id: 'alert-comment', text: t('comment'), onclick: () => act('comment') })));
      }
      view.append(section(t('notes'), table([['time', (n) => fmtTime(n.ts)], ['user', (n) => n.user],
        ['action', (n) => n.action], ['comment', (n) => n.text]], d.notes)));
    } catch (e) { if (e.status !== 401) showError(e, view); }
  }

  async function pageUser(name) {
    const view = main;
    view.replaceChildren(el('h1', { text: `${t('user_activity')} ${name}` }));
    try {
      const d = await api(`/api/users/${encodeURIComponent(name)}/activity`);
      view.append(el('ul', { class: 'counts' }, Object.entries(d.counts).map(([k, v]) =>
        el('li', {}, link(`#/search?${qs({ q: `user:"${name}"`, kind: k })}`, `${t(`kind_${k}`)}: ${v}`)))));
      if (d.timeline && d.timeline.counts) view.append(section(t('traffic'), barChart(d.timeline, 'counts', t('sessions_word'))));
      view.append(section(t('sessions'), table(COLUMNS.sessions, d.sessions, (r) => openRecord('sessions', r))));
      view.append(section('HTTP', table(COLUMNS.http, d.http, (r) => openRecord('http', r))));
    } catch (e) { if (e.status !== 401) showError(e, view); }
  }

  async function pageAudit() {
    const view = main;
    view.replaceChildren(el('h1', { text: t('audit') }));
    const result = el('p', { id: 'verify-result' });
    view.append(el('p', {}, el('button', { type: 'button', id: 'verify', text: t('verify'), onclick: async () => {
      try {
        const v = await api('/api/audit/verify');
        result.textContent = `${v.ok ? t('chain_ok') : t('chain_broken')} (${v.entries}) ${v.problems.join('; ')}`;
      } catch (e) { if (e.status !== 401) showError(e, view); }
    } }), result));
    try {
      const entries = await api('/api/audit?limit=200');
      view.append(table([['time', (e) => fmtTime(e.ts)], ['actor', (e) => e.actor], ['source', (e) => e.source],
        ['action', (e) => e.action], ['object', (e) => e.object]], entries));
    } catch (e) { if (e.status !== 401) showError(e, view); }
  }

  async function pageUsers() {
    const view = main;
    view.replaceChildren(el('h1', { text: t('users') }));
    try {
      const users = await api('/api/users');
      view.append(table([['name', (u) => u.name], ['role', (u) => u.role], ['time', (u) => fmtTime(u.created)],
        ['remove', (u) => (u.name === me.user ? '' : el('button', { type: 'button', text: t('remove'), onclick: async () => {
          try { await api(`/api/users/${encodeURIComponent(u.name)}`, { method: 'DELETE' }); route(); } catch (e) { if (e.status !== 401) showError(e, view); }
        } }))]], users));
      const name = el('input', { name: 'name', required: true });
      const pw = el('input', { name: 'password', type: 'password', required: true, minlength: 10 });
      const role = el('select', { name: 'role' }, ['viewer', 'investigator', 'admin'].map((r) => el('option', { value: r, text: r })));
      const form = el('form', { class: 'useradd' }, el('h2', { text: t('add_user') }),
        el('label', {}, t('user'), name), el('label', {}, t('password'), pw), el('label', {}, t('role'), role),
        el('button', { type: 'submit', text: t('save') }));
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        try {
          await api('/api/users', { method: 'POST', body: { name: name.value, password: pw.value, role: role.value } });
          route();
        } catch (e) { if (e.status !== 401) showError(e, view); }
      });
      view.append(form);
    } catch (e) { if (e.status !== 401) showError(e, view); }
  }

  // ---- routing ---------------------------------------------------------------------------
  async function route() {
    if (!me) {
      try { me = await api('/api/me'); } catch (e) { return; }
    }
    renderChrome();
    newView();
    const hash = location.hash.replace(/^#/, '') || '/';
    const [path, query] = hash.split('?');
    const params = new URLSearchParams(query || '');
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    const pages = {
      '': () => pageDashboard(),
      search: () => pageSearch(params),
      fields: () => pageFields(),
      session: () => pageSession(parts[1]),
      mail: () => pageMail(parts[1]),
      file: () => pageFile(parts[1]),
      alerts: () => pageAlerts(),
      alert: () => pageAlert(parts[1]),
      user: () => pageUser(parts[1]),
      audit: () => pageAudit(),
      users: () => pageUsers(),
    };
    const page = pages[parts[0] || ''];
    if (page) await page();
    else main.replaceChildren(el('p', { text: '404' }));
    // Widths of the top-list bars, set here because inline styles are not allowed by the CSP.
    for (const b of main.querySelectorAll('.bar[data-w]')) b.style.width = `${b.dataset.w}px`;
  }

  document.getElementById('lang').addEventListener('click', () => {
    lang = lang === 'ja' ? 'en' : 'ja';
    localStorage.setItem('kagami.lang', lang);
    route();
  });
  document.getElementById('logout').addEventListener('click', async () => {
    try { await api('/api/logout', { method: 'POST' }); } catch (e) { /* already gone */ }
    me = null;
    renderLogin();
  });
  window.addEventListener('hashchange', route);
  route();
})();
