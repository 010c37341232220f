// A session: the five questions at a glance, then every record of each kind it holds.
import { api, kinds } from './api.js';
import { kindTitle, recordTable } from './columns.js';
import { can, main, t } from './context.js';
import { buttonLink, dl, el, endpoint, fmtBytes, fmtTime, link, section, showError } from './dom.js';

export async function pageSession(id) {
  const view = main;
  view.replaceChildren(el('h1', { text: `${t('session')} ${id}` }));
  try {
    const [known, d] = await Promise.all([kinds(), api(`/api/sessions/${encodeURIComponent(id)}`)]);
    const s = d.session;
    // The protocols' kinds, in the order the record types are listed.
    const protocols = known.filter((k) => k.detail && (d[k.kind] || []).length);
    const tls = (d.tls || [])[0];
    const how = [
      s.transport,
      s.app,
      s.decrypted ? t('decrypted') : t('not_decrypted'),
      s.end_reason === 'proxy_refused' ? t('proxy_refused') : '',
      tls ? `${tls.version || ''} ${tls.cipher || ''} ${tls.ja4 || ''}`.trim() : '',
    ]
      .filter(Boolean)
      .join(' · ');
    const what = [
      `${t('packets')} ${s.pkts_c2s}/${s.pkts_s2c}`,
      `${fmtBytes(s.bytes_c2s)} / ${fmtBytes(s.bytes_s2c)}`,
      ...protocols.map((k) => `${d[k.kind].length} ${kindTitle(known, k.kind)}`),
      ...['files', 'findings'].filter((k) => d[k].length).map((k) => `${d[k].length} ${t(k)}`),
    ].join(' · ');
    const who = s.user
      ? el('span', {}, endpoint(s.client_ip, s.client_port), ' ', link(`#/user/${encodeURIComponent(s.user)}`, s.user))
      : endpoint(s.client_ip, s.client_port);
    view.append(
      el(
        'div',
        { class: 'five', id: 'five' },
        dl([
          [t('when'), `${fmtTime(s.ts_first)} – ${fmtTime(s.ts_last)} (${(s.ts_last - s.ts_first).toFixed(3)} s)`],
          [t('who'), who],
          [t('where'), `${endpoint(s.server_ip, s.server_port)} ${s.host || ''}`],
          [t('how'), how],
          [t('what'), what],
        ]),
      ),
    );
    if (can('investigator')) {
      view.append(
        buttonLink({
          id: 'session-pcap',
          href: `/api/sessions/${encodeURIComponent(id)}/pcap`,
          download: `session-${id}.pcap`,
          text: t('download_pcap'),
        }),
      );
    }
    for (const k of protocols) view.append(section(kindTitle(known, k.kind), recordTable(known, k.kind, d[k.kind])));
    for (const k of ['files', 'findings', 'alerts']) {
      if (d[k].length) view.append(section(t(k), recordTable(known, k, d[k])));
    }
  } catch (e) {
    if (e.status !== 401) showError(e, view);
  }
}
