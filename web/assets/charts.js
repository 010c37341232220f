// Bar charts drawn as SVG (no inline styles: the content security policy forbids them): a
// value axis on the left, the time span below, and each bar a link to what it counts.
import { t } from './context.js';
import { el, fmtBytes, fmtTime, svgEl } from './dom.js';

// `hrefOf(start, end)`, when given, is where a bar over that span leads (its records).
export function barChart(timeline, field, label, hrefOf) {
  const values = (timeline && timeline[field]) || [];
  const left = 64;
  const w = 720;
  const h = 160;
  const svg = svgEl('svg', { viewBox: `0 0 ${w} ${h + 20}`, class: 'chart', role: 'img', 'aria-label': label });
  const max = Math.max(1, ...values);
  const shown = (v) => (field === 'bytes' ? fmtBytes(v) : String(Math.round(v)));
  // The value axis: zero, half and the top, with faint lines across.
  for (const f of [0, 0.5, 1]) {
    if (f === 0.5 && field !== 'bytes' && max < 4) continue; // no "1" halfway to 1
    const y = h - f * h;
    svg.append(svgEl('line', { class: 'grid', x1: left, y1: y, x2: w, y2: y }));
    const tx = svgEl('text', { x: left - 4, y: Math.max(10, y + 3), 'text-anchor': 'end' });
    tx.textContent = shown(f * max);
    svg.append(tx);
  }
  const bw = values.length ? (w - left) / values.length : w - left;
  values.forEach((v, i) => {
    const bh = (v / max) * h;
    const r = svgEl('rect', { x: left + i * bw + 1, y: h - bh, width: Math.max(1, bw - 2), height: bh });
    const tip = svgEl('title', {});
    const start = timeline.start + i * timeline.width;
    tip.textContent = `${fmtTime(start)}: ${shown(v)}`;
    r.append(tip);
    if (hrefOf && v > 0) {
      const a = svgEl('a', { href: hrefOf(start, start + timeline.width) });
      a.append(r);
      svg.append(a);
    } else {
      svg.append(r);
    }
  });
  if (values.length) {
    for (const [i, anchor] of [
      [0, 'start'],
      [values.length, 'end'],
    ]) {
      const tx = svgEl('text', { x: left + i * bw, y: h + 15, 'text-anchor': anchor });
      tx.textContent = fmtTime(timeline.start + i * timeline.width);
      svg.append(tx);
    }
  }
  return el('figure', {}, svg, el('figcaption', { text: `${label} (${t('max')} ${shown(max)})` }));
}
