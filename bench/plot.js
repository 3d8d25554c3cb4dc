#!/usr/bin/env node
// Draws docs/bench.svg from bench/run.js results: back-to-back throughput and
// p99 latency against the number of stations, both packages, plus the paced
// MeterValues served rate. Several results files can be merged (e.g. one run of
// the original and a later run of ours); for a package and scenario the last
// file given wins.
//
//   node bench/plot.js                         the newest bench/results/*.json
//   node bench/plot.js A.json B.json [--out docs/bench.svg]
'use strict';
const fs = require('fs');
const path = require('path');

const resultsDir = path.join(__dirname, 'results');
const args = process.argv.slice(2);
let out = path.join(__dirname, '..', 'docs', 'bench.svg');
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--out') out = path.resolve(args[++i]);
  else files.push(args[i]);
}
if (files.length === 0) {
  const newest = fs.readdirSync(resultsDir).filter((f) => /^\d{4}-.*\.json$/.test(f)).sort().pop();
  if (!newest) {
    console.error('no results in bench/results: run node bench/run.js first');
    process.exit(1);
  }
  files.push(path.join(resultsDir, newest));
}

const rows = new Map();
let interval = 5;
const sources = [];
for (const f of files) {
  const report = JSON.parse(fs.readFileSync(f, 'utf8'));
  sources.push({ file: path.basename(f), date: report.date, machine: report.machine });
  if (report.options && report.options.interval_s) interval = report.options.interval_s;
  for (const r of report.results) rows.set(`${r.package}|${r.scenario}`, r);
}
const results = [...rows.values()];

const PKGS = ['ours', 'original'];
const COLORS = { ours: '#1f8a70', original: '#c0504d' };
const LABELS = { ours: '@ocpp-rs/node-red-ocpp', original: 'node-red-contrib-ocpp 1.3.10' };
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v) => (v >= 100 ? Math.round(v).toLocaleString('en-US') : v >= 1 ? v.toFixed(1).replace(/\.0$/, '') : v.toPrecision(1));

/** Points [stations, value, degraded] of one package for one kind of scenario. */
function series(pkg, kind, metric) {
  return results
    .filter((r) => r.package === pkg && r.kind === kind && (r.status === 'ok' || r.status === 'degraded') && r[metric] > 0)
    .sort((a, b) => a.stations - b.stations)
    .map((r) => [r.stations, r[metric], r.status === 'degraded']);
}
function failures(kind) {
  return results.filter((r) => r.kind === kind && r.status === 'failed');
}

function chart({ x0, y0, w, h, title, kind, metric, yLabel, xLabel, extra }) {
  const pad = { l: 62, r: 14, t: 28, b: 42 };
  const all = PKGS.flatMap((p) => series(p, kind, metric));
  const o = [];
  o.push(`<text x="${x0 + w / 2}" y="${y0 + 16}" text-anchor="middle" font-weight="bold">${esc(title)}</text>`);
  const left = x0 + pad.l;
  const right = x0 + w - pad.r;
  const top = y0 + pad.t;
  const bottom = y0 + h - pad.b;
  o.push(`<rect x="${left}" y="${top}" width="${right - left}" height="${bottom - top}" fill="#fafafa" stroke="#999"/>`);
  if (all.length === 0) {
    o.push(`<text x="${(left + right) / 2}" y="${(top + bottom) / 2}" text-anchor="middle" fill="#777">no data</text>`);
    return o.join('\n');
  }
  const xs = [...new Set(all.map((d) => d[0]))].sort((a, b) => a - b);
  const lx = (v) => Math.log10(v);
  const xMin = lx(xs[0]) - 0.15;
  const xMax = lx(xs[xs.length - 1]) + 0.15;
  const ys = all.map((d) => d[1]);
  const yMin = Math.pow(10, Math.floor(Math.log10(Math.min(...ys))));
  const yMax = Math.pow(10, Math.ceil(Math.log10(Math.max(...ys)) + 1e-9));
  const sx = (v) => left + ((lx(v) - xMin) / (xMax - xMin)) * (right - left);
  const sy = (v) => bottom - ((Math.log10(v) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * (bottom - top);
  for (let t = yMin; t <= yMax * 1.001; t *= 10) {
    o.push(`<line x1="${left}" y1="${sy(t)}" x2="${right}" y2="${sy(t)}" stroke="#ddd"/>`);
    o.push(`<text x="${left - 6}" y="${sy(t) + 4}" text-anchor="end">${fmt(t)}</text>`);
  }
  for (const x of xs) {
    o.push(`<line x1="${sx(x)}" y1="${bottom}" x2="${sx(x)}" y2="${bottom + 4}" stroke="#666"/>`);
    o.push(`<text x="${sx(x)}" y="${bottom + 16}" text-anchor="middle">${x.toLocaleString('en-US')}</text>`);
  }
  o.push(`<text x="${(left + right) / 2}" y="${y0 + h - 8}" text-anchor="middle">${esc(xLabel)}</text>`);
  o.push(`<text transform="translate(${x0 + 14},${(top + bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`);
  if (extra) o.push(extra({ sx, sy, left, right, top, bottom, xs }));
  for (const pkg of PKGS) {
    const pts = series(pkg, kind, metric);
    if (pts.length === 0) continue;
    o.push(`<polyline fill="none" stroke="${COLORS[pkg]}" stroke-width="2.5" points="${pts.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')}"/>`);
    for (const [x, y, degraded] of pts) {
      o.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="4.5" fill="${degraded ? 'white' : COLORS[pkg]}" stroke="${COLORS[pkg]}" stroke-width="2"/>`);
      // The higher of the two packages' points gets its label above, the lower one below.
      const other = series(PKGS.find((q) => q !== pkg), kind, metric).find((d) => d[0] === x);
      const dy = (other && y !== other[1] ? y > other[1] : pkg === 'ours') ? -8 : 16;
      o.push(`<text x="${(sx(x) + 6).toFixed(1)}" y="${(sy(y) + dy).toFixed(1)}" font-size="10" fill="${COLORS[pkg]}">${fmt(y)}</text>`);
    }
  }
  const failed = failures(kind);
  failed.forEach((r, i) => {
    o.push(`<text x="${left + 6}" y="${top + 14 + 12 * i}" font-size="10" fill="${COLORS[r.package] || '#000'}">${esc(`${r.package}: ${r.scenario} failed`)}</text>`);
  });
  return o.join('\n');
}

const W = 1020;
const H = 330;
const panel = { w: 340, h: 260 };
const offered = ({ sx, sy, xs }) => {
  // The offered rate of the paced scenarios: stations / interval.
  const pts = xs.map((x) => {
    const r = results.find((q) => q.kind === 'paced' && q.stations === x && q.offered_per_s);
    return r ? [x, r.offered_per_s] : null;
  }).filter(Boolean);
  if (pts.length === 0) return '';
  return `<polyline fill="none" stroke="#888" stroke-dasharray="5,4" stroke-width="1.5" points="${pts.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')}"/>` +
    pts.map(([x, y]) => `<text x="${(sx(x) - 8).toFixed(1)}" y="${(sy(y) - 6).toFixed(1)}" font-size="10" text-anchor="end" fill="#777">offered ${fmt(y)}</text>`).join('');
};

const present = PKGS.filter((p) => results.some((r) => r.package === p && r.status !== 'pending'));
const legend = PKGS.map((p, i) => {
  const x = 40 + i * 360;
  const label = present.includes(p) ? LABELS[p] : `${LABELS[p]} (pending)`;
  return `<rect x="${x}" y="${H - 50}" width="14" height="14" fill="${COLORS[p]}"/><text x="${x + 20}" y="${H - 38}">${esc(label)}</text>`;
}).join('\n');
const m = sources[sources.length - 1].machine || {};
const note = `<text x="40" y="${H - 12}" font-size="10" fill="#666">${esc(`${m.nproc || '?'} cores ${m.cpu_model || ''}, Node ${m.node || '?'}, Node-RED ${m.node_red || '?'}; hollow point = degraded run (errors or offered rate not served); data: ${sources.map((s) => s.file).join(', ')}`)}</text>`;

const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="11">
<rect width="${W}" height="${H}" fill="white"/>
${chart({ x0: 0, y0: 0, ...panel, title: 'Back-to-back Heartbeat: calls/s', kind: 'b2b', metric: 'calls_per_s', yLabel: 'calls per second (log)', xLabel: 'stations' })}
${chart({ x0: 340, y0: 0, ...panel, title: 'Back-to-back Heartbeat: p99 latency', kind: 'b2b', metric: 'p99_ms', yLabel: 'ms (log)', xLabel: 'stations' })}
${chart({ x0: 680, y0: 0, ...panel, title: `MeterValues every ${interval} s: served calls/s`, kind: 'paced', metric: 'calls_per_s', yLabel: 'calls per second (log)', xLabel: 'stations', extra: offered })}
${legend}
${note}
</svg>
`;
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, svg);
console.log(`${path.relative(process.cwd(), out)} from ${files.map((f) => path.relative(process.cwd(), f)).join(', ')}`);
