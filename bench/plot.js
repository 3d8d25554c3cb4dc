#!/usr/bin/env node
// Draws docs/bench.svg from a bench/run.js result: back-to-back throughput and
// p99 latency against the number of stations, both packages side by side.
//
//   node bench/plot.js [bench/results/<file>.json]   (default: the newest)
'use strict';
const fs = require('fs');
const path = require('path');

const resultsDir = path.join(__dirname, 'results');
const file =
  process.argv[2] ||
  path.join(resultsDir, fs.readdirSync(resultsDir).filter((f) => f.endsWith('.json')).sort().pop());
const report = JSON.parse(fs.readFileSync(file, 'utf8'));

const COLORS = { ours: '#3FADB5', original: '#c0504d' };
const LABELS = { ours: '@ocpp-rs/node-red-ocpp', original: 'node-red-contrib-ocpp 1.3.10' };
const series = (pkg, metric) =>
  report.results
    .filter((r) => r.package === pkg && r.mode === 'b2b' && !r.failed)
    .sort((a, b) => a.stations - b.stations)
    .map((r) => [r.stations, r[metric]]);

// One chart: log-scaled x (stations), linear or log y.
function chart({ x0, title, metric, yLabel, logY }) {
  const w = 420;
  const h = 260;
  const pad = { l: 64, r: 16, t: 34, b: 44 };
  const all = ['ours', 'original'].flatMap((p) => series(p, metric));
  if (all.length === 0) return '';
  const xs = [...new Set(all.map((d) => d[0]))].sort((a, b) => a - b);
  const xMin = Math.log10(Math.min(...xs));
  const xMax = Math.log10(Math.max(...xs));
  const yVals = all.map((d) => d[1]).filter((v) => v > 0);
  const yMax = logY ? Math.pow(10, Math.ceil(Math.log10(Math.max(...yVals)))) : Math.max(...yVals) * 1.1;
  const yMin = logY ? Math.pow(10, Math.floor(Math.log10(Math.min(...yVals)))) : 0;
  const sx = (v) => x0 + pad.l + ((Math.log10(v) - xMin) / (xMax - xMin || 1)) * (w - pad.l - pad.r);
  const sy = (v) => {
    const f = logY ? (Math.log10(v) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin)) : (v - yMin) / (yMax - yMin);
    return pad.t + (1 - f) * (h - pad.t - pad.b);
  };
  const out = [];
  out.push(`<text x="${x0 + w / 2}" y="20" text-anchor="middle" font-weight="bold">${title}</text>`);
  out.push(`<line x1="${x0 + pad.l}" y1="${h - pad.b}" x2="${x0 + w - pad.r}" y2="${h - pad.b}" stroke="#444"/>`);
  out.push(`<line x1="${x0 + pad.l}" y1="${pad.t}" x2="${x0 + pad.l}" y2="${h - pad.b}" stroke="#444"/>`);
  for (const x of xs) {
    out.push(`<text x="${sx(x)}" y="${h - pad.b + 16}" text-anchor="middle">${x.toLocaleString('en')}</text>`);
  }
  out.push(`<text x="${x0 + w / 2}" y="${h - 8}" text-anchor="middle">stations (back to back)</text>`);
  const ticks = logY
    ? Array.from({ length: Math.log10(yMax / yMin) + 1 }, (_, i) => yMin * Math.pow(10, i))
    : Array.from({ length: 5 }, (_, i) => (yMax / 4) * i);
  for (const t of ticks) {
    out.push(`<line x1="${x0 + pad.l - 4}" y1="${sy(t)}" x2="${x0 + w - pad.r}" y2="${sy(t)}" stroke="#ddd"/>`);
    out.push(`<text x="${x0 + pad.l - 8}" y="${sy(t) + 4}" text-anchor="end">${Math.round(t).toLocaleString('en')}</text>`);
  }
  out.push(`<text transform="translate(${x0 + 14},${h / 2}) rotate(-90)" text-anchor="middle">${yLabel}</text>`);
  for (const pkg of ['ours', 'original']) {
    const pts = series(pkg, metric).filter((d) => d[1] > 0);
    if (pts.length === 0) continue;
    out.push(`<polyline fill="none" stroke="${COLORS[pkg]}" stroke-width="2.5" points="${pts.map(([x, y]) => `${sx(x)},${sy(y)}`).join(' ')}"/>`);
    for (const [x, y] of pts) out.push(`<circle cx="${sx(x)}" cy="${sy(y)}" r="4" fill="${COLORS[pkg]}"/>`);
  }
  return out.join('\n');
}

const legend = ['ours', 'original']
  .map((p, i) => `<rect x="${80 + i * 300}" y="272" width="14" height="14" fill="${COLORS[p]}"/><text x="${100 + i * 300}" y="284">${LABELS[p]}</text>`)
  .join('\n');

const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="880" height="300" font-family="sans-serif" font-size="12">
<rect width="880" height="300" fill="white"/>
${chart({ x0: 0, title: 'OCPP-J calls per second', metric: 'calls_per_s', yLabel: 'calls/s' })}
${chart({ x0: 450, title: 'p99 latency (ms, log scale)', metric: 'p99_ms', yLabel: 'ms', logY: true })}
${legend}
</svg>
`;
const dest = path.join(__dirname, '..', 'docs', 'bench.svg');
fs.writeFileSync(dest, svg);
console.log(`${path.relative(process.cwd(), dest)} from ${path.relative(process.cwd(), file)}`);
