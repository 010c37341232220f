// Bar charts drawn as SVG (no inline styles: the content security policy forbids them).
import { el, fmtBytes, fmtTime, svgEl } from './dom.js';

export function barChart(timeline, field, label) {
  const values = (timeline && timeline[field]) || [];
  const w = 720;
  const h = 160;
  const svg = svgEl('svg', { viewBox: `0 0 ${w} ${h + 20}`, class: 'chart', role: 'img', 'aria-label': label });
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
    for (const [i, anchor] of [
      [0, 'start'],
      [values.length, 'end'],
    ]) {
      const tx = svgEl('text', { x: i * bw, y: h + 15, 'text-anchor': anchor });
      tx.textContent = fmtTime(timeline.start + i * timeline.width);
      svg.append(tx);
    }
  }
  return el('figure', {}, svg, el('figcaption', { text: `${label} (max ${field === 'bytes' ? fmtBytes(max) : max})` }));
}
