// A file: its hashes and type, what inspection said, every sighting and the findings.
import { api, kinds } from './api.js';
import { columnsOf, recordTable } from './columns.js';
import { can, main, me, t } from './context.js';
import { buttonLink, dl, el, fmtBytes, lazyDetails, section, showError, table } from './dom.js';

export async function pageFile(sha) {
  const view = main;
  view.replaceChildren(el('h1', { text: t('file') }));
  try {
    const [known, d] = await Promise.all([kinds(), api(`/api/files/${encodeURIComponent(sha)}`)]);
    const f = d.file;
    if (d.malware) view.append(el('p', { class: 'malware', role: 'alert', text: t('malware') }));
    const ins = f.inspection || {};
    view.append(
      dl([
        ['SHA-256', f.sha256],
        ['MD5', f.md5],
        [t('size'), fmtBytes(f.size)],
        [t('type'), f.mime],
        [t('inspection'), [ins.flags, ins.note].filter(Boolean).join(' — ')],
      ]),
    );
    if (can('investigator')) {
      view.append(
        buttonLink({ id: 'file-download', href: `/api/files/${encodeURIComponent(sha)}/content`, text: t('download') }),
      );
    }
    // The start of its text, sensitive values masked, read when opened (investigators).
    if (can('investigator') && ins.text_bytes > 0) {
      const box = lazyDetails({ class: 'preview', id: 'file-preview' }, t('preview'), async (into) => {
        const p = await api(`/api/files/${encodeURIComponent(sha)}/preview`);
        into.append(el('pre', { class: 'body', text: p.text }));
        if (p.truncated)
          into.append(el('p', { class: 'note', text: t('preview_cut').replace('{n}', fmtBytes(p.bytes)) }));
      });
      view.append(box);
    }
    // Every place it was seen: when, under which name, who, where, the session.
    const seen = columnsOf(known, 'files').slice(0, -1);
    view.append(section(t('sightings'), table(seen, d.sightings)));
    view.append(section(t('findings'), recordTable(known, 'findings', d.findings)));
    if (me.role === 'viewer' && d.findings.length) view.append(el('p', { class: 'note', text: t('masked') }));
  } catch (e) {
    if (e.status !== 401) showError(e, view);
  }
}
