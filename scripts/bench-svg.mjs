// Plain SVG line charts for scripts/bench-report.mjs: log or linear axes,
// min–max whiskers per point, horizontal reference lines, a legend on the
// right. No dependencies; the output is a standalone .svg file.

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** 1-2-5 ticks covering [lo, hi] on a log scale. */
function logTicks(lo, hi) {
  const out = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v);
    }
  }
  return out;
}

function linTicks(lo, hi, n = 6) {
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** Compact number: 1.5M, 20k, 200, 0.5. */
export function short(v) {
  const a = Math.abs(v);
  if (a >= 1e9) return `${+(v / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e3) return `${+(v / 1e3).toPrecision(3)}k`;
  return `${+v.toPrecision(3)}`;
}

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

/**
 * chart({ title, subtitle, xLabel, yLabel, xLog, yLog, xTickFormat, yTickFormat, xTicks,
 *         series: [{ name, color, dash, points: [{ x, y, lo, hi }] }],
 *         hlines: [{ y, label, color, dash }] }) → SVG text
 */
export function chart(o) {
  const W = 900, H = 520, L = 90, R = 260, T = 64, B = 64;
  const pw = W - L - R, ph = H - T - B;
  const pts = o.series.flatMap((s) => s.points);
  const ys = [...pts.flatMap((p) => [p.y, p.lo ?? p.y, p.hi ?? p.y]), ...(o.hlines ?? []).map((h) => h.y)].filter((v) => Number.isFinite(v) && (!o.yLog || v > 0));
  const xs = [...pts.map((p) => p.x), ...(o.xTicks ?? [])].filter((v) => Number.isFinite(v));
  let [ylo, yhi] = [Math.min(...ys), Math.max(...ys)];
  let [xlo, xhi] = [Math.min(...xs), Math.max(...xs)];
  if (o.yLog) {
    ylo = 10 ** Math.floor(Math.log10(ylo));
    yhi = 10 ** Math.ceil(Math.log10(yhi));
  } else {
    ylo = o.yZero === false ? ylo : 0;
    yhi = yhi * 1.08 || 1;
  }
  if (xlo === xhi) { xlo /= 2; xhi *= 2; }
  const fx = (v) => L + (o.xLog ? (Math.log(v) - Math.log(xlo)) / (Math.log(xhi) - Math.log(xlo)) : (v - xlo) / (xhi - xlo)) * pw;
  const fy = (v) => T + ph - (o.yLog ? (Math.log(v) - Math.log(ylo)) / (Math.log(yhi) - Math.log(ylo)) : (v - ylo) / (yhi - ylo)) * ph;
  const yt = o.yLog ? logTicks(ylo, yhi) : linTicks(ylo, yhi);
  const xt = o.xTicks ?? (o.xLog ? logTicks(xlo, xhi) : linTicks(xlo, xhi));
  const xf = o.xTickFormat ?? short;
  const yf = o.yTickFormat ?? short;
  const s = [];
  s.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="13">`);
  s.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  s.push(`<text x="${L}" y="26" font-size="17" font-weight="bold">${esc(o.title)}</text>`);
  if (o.subtitle) s.push(`<text x="${L}" y="46" fill="#555">${esc(o.subtitle)}</text>`);
  for (const v of yt) {
    const y = fy(v).toFixed(1);
    s.push(`<line x1="${L}" x2="${L + pw}" y1="${y}" y2="${y}" stroke="#e3e3e3"/>`);
    s.push(`<text x="${L - 8}" y="${y}" text-anchor="end" dominant-baseline="middle">${esc(yf(v))}</text>`);
  }
  for (const v of xt) {
    const x = fx(v).toFixed(1);
    s.push(`<line x1="${x}" x2="${x}" y1="${T}" y2="${T + ph}" stroke="#f0f0f0"/>`);
    s.push(`<text x="${x}" y="${T + ph + 20}" text-anchor="middle">${esc(xf(v))}</text>`);
  }
  s.push(`<rect x="${L}" y="${T}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  s.push(`<text x="${L + pw / 2}" y="${H - 16}" text-anchor="middle" font-weight="bold">${esc(o.xLabel)}</text>`);
  s.push(`<text transform="translate(22 ${T + ph / 2}) rotate(-90)" text-anchor="middle" font-weight="bold">${esc(o.yLabel)}</text>`);
  const legend = [];
  for (const h of o.hlines ?? []) {
    if (!(h.y >= ylo && h.y <= yhi)) continue;
    const y = fy(h.y).toFixed(1);
    s.push(`<line x1="${L}" x2="${L + pw}" y1="${y}" y2="${y}" stroke="${h.color}" stroke-width="2" stroke-dasharray="${h.dash ?? '8 5'}"/>`);
    legend.push({ name: h.label, color: h.color, dash: h.dash ?? '8 5', marker: false });
  }
  for (const [i, se] of o.series.entries()) {
    const color = se.color ?? PALETTE[i % PALETTE.length];
    const p = se.points.filter((q) => Number.isFinite(q.y) && (!o.yLog || q.y > 0));
    for (const q of p) {
      if (q.lo !== undefined && q.hi !== undefined && q.hi > q.lo) {
        const x = fx(q.x).toFixed(1);
        s.push(`<line x1="${x}" x2="${x}" y1="${fy(Math.max(q.lo, o.yLog ? ylo : -Infinity)).toFixed(1)}" y2="${fy(q.hi).toFixed(1)}" stroke="${color}" stroke-width="1.5" opacity="0.6"/>`);
      }
    }
    if (p.length > 1) s.push(`<polyline fill="none" stroke="${color}" stroke-width="2.5"${se.dash ? ` stroke-dasharray="${se.dash}"` : ''} points="${p.map((q) => `${fx(q.x).toFixed(1)},${fy(q.y).toFixed(1)}`).join(' ')}"/>`);
    for (const q of p) s.push(`<circle cx="${fx(q.x).toFixed(1)}" cy="${fy(q.y).toFixed(1)}" r="4" fill="${color}"/>`);
    legend.push({ name: se.name, color, dash: se.dash, marker: true });
  }
  let ly = T + 6;
  const lx = L + pw + 18;
  for (const e of legend) {
    s.push(`<line x1="${lx}" x2="${lx + 30}" y1="${ly}" y2="${ly}" stroke="${e.color}" stroke-width="2.5"${e.dash ? ` stroke-dasharray="${e.dash}"` : ''}/>`);
    if (e.marker) s.push(`<circle cx="${lx + 15}" cy="${ly}" r="4" fill="${e.color}"/>`);
    s.push(`<text x="${lx + 38}" y="${ly}" dominant-baseline="middle">${esc(e.name)}</text>`);
    ly += 22;
  }
  if (o.note) s.push(`<text x="${lx}" y="${Math.min(ly + 14, T + ph)}" fill="#555" font-size="11">${o.note.split('\n').map((t, i) => `<tspan x="${lx}" dy="${i ? 14 : 0}">${esc(t)}</tspan>`).join('')}</text>`);
  s.push('</svg>');
  return s.join('\n') + '\n';
}
