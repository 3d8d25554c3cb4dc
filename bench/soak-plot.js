#!/usr/bin/env node
// Draws a soak run (bench/soak.js results): RSS and open file descriptors of the
// Node-RED process over time, redeploys marked, warm-up shaded, the slope after
// warm-up drawn. bench/soak.js calls it at the end of a run; by hand:
//
//   node bench/soak-plot.js bench/results/soak-<date>.json [--out docs/soak.svg]
'use strict';
const fs = require('fs');
const path = require('path');

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A "nice" step for about `n` ticks over `span`. */
function step(span, n) {
  const raw = span / n;
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  return [1, 2, 5, 10].map((k) => k * p).find((s) => s >= raw) || 10 * p;
}

function plotSoak(rep) {
  const W = 960;
  const run = rep.samples.filter((s) => s.phase === 'run' || s.phase === 'end');
  // The engine's own heap (runs since it was sampled): a panel of its own.
  const engine = run.some((s) => typeof s.engine_heap_mb === 'number');
  const axis = engine ? 770 : 600;
  const H = axis + 65;
  const warmMin = rep.memory.warmup_s / 60;
  const tMax = Math.max(rep.duration_s / 60, ...run.map((s) => s.t_s / 60));
  const left = 70;
  const right = W - 30;
  const sx = (m) => left + (m / tMax) * (right - left);
  const o = [];
  const title = `${rep.smoke ? 'Smoke run: ' : ''}${rep.options.stations.toLocaleString('en-US')} OCPP-J stations with churn, ${(rep.duration_s / 60).toFixed(1)} min, a full redeploy every ${rep.options.redeployEvery} s`;
  o.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-weight="bold" font-size="14">${esc(title)}</text>`);

  const panel = (top, bottom, label, lines, slopeKey, unit, minSpan = 10) => {
    const vals = lines.flatMap((l) => run.map((s) => s[l.key]).filter((v) => typeof v === 'number'));
    if (!vals.length) return;
    let lo = Math.min(...vals);
    let hi = Math.max(...vals);
    if (hi - lo < minSpan) {
      // a flat line must look flat: at least minSpan units tall
      const mid = (hi + lo) / 2;
      lo = mid - minSpan / 2;
      hi = mid + minSpan / 2;
    }
    const pad = (hi - lo) * 0.08;
    lo = Math.max(0, lo - pad);
    hi += pad;
    const sy = (v) => bottom - ((v - lo) / (hi - lo)) * (bottom - top);
    o.push(`<rect x="${left}" y="${top}" width="${right - left}" height="${bottom - top}" fill="#fafafa" stroke="#999"/>`);
    // Samples off the scale (the fd difference dips below 0 while a redeploy closes every link) stay inside the panel.
    const clip = `clip${top}`;
    o.push(`<clipPath id="${clip}"><rect x="${left}" y="${top}" width="${right - left}" height="${bottom - top}"/></clipPath>`);
    o.push(`<rect x="${left}" y="${top}" width="${sx(warmMin) - left}" height="${bottom - top}" fill="#eee"/>`);
    o.push(`<text x="${(left + sx(warmMin)) / 2}" y="${bottom - 6}" text-anchor="middle" fill="#888" font-size="10">warm-up</text>`);
    const ys = step(hi - lo, 5);
    for (let v = Math.ceil(lo / ys) * ys; v <= hi; v += ys) {
      o.push(`<line x1="${left}" y1="${sy(v).toFixed(1)}" x2="${right}" y2="${sy(v).toFixed(1)}" stroke="#e2e2e2"/>`);
      o.push(`<text x="${left - 6}" y="${(sy(v) + 4).toFixed(1)}" text-anchor="end">${v.toLocaleString('en-US', { maximumFractionDigits: ys < 1 ? 1 : 0 })}</text>`);
    }
    o.push(`<text transform="translate(18,${(top + bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(label)}</text>`);
    for (const d of rep.deploys) {
      const x = sx(d.t_s / 60).toFixed(1);
      o.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${bottom}" stroke="#d08000" stroke-dasharray="4,3"/>`);
    }
    for (const l of lines) {
      const pts = run.filter((s) => typeof s[l.key] === 'number').map((s) => `${sx(s.t_s / 60).toFixed(1)},${sy(s[l.key]).toFixed(1)}`);
      o.push(`<polyline clip-path="url(#${clip})" fill="none" stroke="${l.color}" stroke-width="${l.width || 1.8}" points="${pts.join(' ')}"/>`);
    }
    // The least-squares line after warm-up, through the mean.
    const k = slopeKey ? rep.memory.slope_per_min[slopeKey] : null;
    const after = run.filter((s) => s.t_s / 60 >= warmMin && typeof s[slopeKey] === 'number');
    if (k !== null && k !== undefined && after.length >= 3) {
      const mx = after.reduce((a, s) => a + s.t_s / 60, 0) / after.length;
      const my = after.reduce((a, s) => a + s[slopeKey], 0) / after.length;
      const y = (m) => my + k * (m - mx);
      o.push(`<line x1="${sx(warmMin).toFixed(1)}" y1="${sy(y(warmMin)).toFixed(1)}" x2="${sx(tMax).toFixed(1)}" y2="${sy(y(tMax)).toFixed(1)}" stroke="#000" stroke-dasharray="6,4" stroke-width="1.2" clip-path="url(#${clip})"/>`);
    }
    // The legend, above the panel.
    let lx = left;
    const legend = [...lines];
    if (slopeKey) legend.push({ label: `least squares after warm-up: ${k} ${unit}/min`, color: '#000', dash: true });
    for (const l of legend) {
      o.push(`<line x1="${lx}" y1="${top - 8}" x2="${lx + 18}" y2="${top - 8}" stroke="${l.color}" stroke-width="2"${l.dash ? ' stroke-dasharray="6,4"' : ''}/>`);
      o.push(`<text x="${lx + 24}" y="${top - 4}" font-size="10.5">${esc(l.label)}</text>`);
      lx += 40 + l.label.length * 5.6;
    }
  };

  panel(50, 220, 'RSS (MB)', [{ key: 'rss_mb', label: 'RSS of Node-RED', color: '#1f8a70', width: 2.2 }, ...(run.some((s) => typeof s.heap_total_mb === 'number') ? [{ key: 'heap_total_mb', label: "V8's heap, committed", color: '#e08a00', width: 1.4 }] : [])], 'rss_mb', 'MB', 20);
  panel(260, 430, 'open fds', [
    { key: 'fds', label: 'open fds of Node-RED', color: '#3366cc', width: 2 },
    { key: 'peer_sockets', label: "stations' open sockets (station process fds - its baseline)", color: '#9ab', width: 1.4 },
  ]);
  panel(470, 600, 'fds', [{ key: 'fd_overhead', label: "Node-RED fds not held by a station's socket", color: '#c0504d', width: 2 }], 'fd_overhead', 'fds');
  if (engine) panel(640, 770, 'engine heap (MB)', [{ key: 'engine_heap_mb', label: "the engine's own heap (its allocator's live bytes)", color: '#8e44ad', width: 2 }], 'engine_heap_mb', 'MB', 1);

  const ts = step(tMax, 10);
  for (let m = 0; m <= tMax + 1e-9; m += ts) {
    o.push(`<line x1="${sx(m).toFixed(1)}" y1="${axis}" x2="${sx(m).toFixed(1)}" y2="${axis + 5}" stroke="#666"/>`);
    o.push(`<text x="${sx(m).toFixed(1)}" y="${axis + 17}" text-anchor="middle">${+m.toFixed(2)}</text>`);
  }
  o.push(`<text x="${(left + right) / 2}" y="${axis + 36}" text-anchor="middle">minutes (dashed orange: full redeploy through the admin API)</text>`);
  const mc = rep.machine || {};
  o.push(`<text x="${left}" y="${H - 12}" font-size="10" fill="#666">${esc(`${rep.command} | ${mc.nproc || '?'} cores ${mc.cpu_model || ''}, Node ${mc.node || '?'}, Node-RED ${mc.node_red || '?'} | ${rep.date.slice(0, 16)}`)}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="11">
<rect width="${W}" height="${H}" fill="white"/>
${o.join('\n')}
</svg>
`;
}

/** The docs' SVG of a run: the smoke run, the 10-minute soak, or an hour on one runtime. */
function svgName(rep) {
  return rep.smoke ? 'soak-smoke.svg' : `soak${sectionSuffix(rep)}.svg`;
}

/** '' for the 10-minute soak; '-hour-node-red-<major>' for runs of an hour or more. */
function sectionSuffix(rep) {
  if (rep.smoke || rep.options.minutes < 60) return '';
  return `-hour-node-red-${String((rep.machine || {}).node_red || '4').split('.')[0]}`;
}

module.exports = { plotSoak, svgName, sectionSuffix };

if (require.main === module) {
  const args = process.argv.slice(2);
  const file = args.find((a) => !a.startsWith('--'));
  if (!file) {
    console.error('node bench/soak-plot.js <bench/results/soak-*.json> [--out FILE]');
    process.exit(2);
  }
  const rep = JSON.parse(fs.readFileSync(file, 'utf8'));
  const i = args.indexOf('--out');
  const out = i >= 0 ? path.resolve(args[i + 1]) : path.join(__dirname, '..', 'docs', svgName(rep));
  fs.writeFileSync(out, plotSoak(rep));
  console.log(path.relative(process.cwd(), out));
}
