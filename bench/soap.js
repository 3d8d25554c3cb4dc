#!/usr/bin/env node
// SOAP 1.6 benchmark: 100 keep-alive stations posting Heartbeats back to back
// (wrk, Debian package `wrk`) through the same flow (CS server -> function ->
// server response), this package and the original, each in its own Node-RED.
//
//   node bench/soap.js [--duration 15] [--connections 100]
'use strict';
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');

const root = path.resolve(__dirname, '..');
const arg = (name, fallback) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const duration = Number(arg('--duration', 15));
const connections = Number(arg('--connections', 100));
const PACKAGES = [
  { key: 'ours', deny: 'node-red-contrib-ocpp', nodesDir: root },
  { key: 'original', deny: '@ocpp-rs/node-red-ocpp' },
];
const ANSWER = `if (!msg.payload || !msg.payload.command) return null;
msg.payload = msg.payload.command === 'Heartbeat' ? { currentTime: new Date().toISOString() } : {};
return msg;`;

const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

async function waitForPort(port) {
  for (let i = 0; i < 150; i++) {
    const open = await new Promise((r) => net.connect(port, '127.0.0.1').on('connect', function () { this.destroy(); r(true); }).on('error', () => r(false)));
    if (open) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`port ${port} never opened`);
}

const rssMb = (pid) => Math.round(Number((/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8')) || [0, 0])[1]) / 1024);

async function runPackage(pkg) {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ocpp-soap-bench-${pkg.key}-`));
  const flow = [
    { id: 't', type: 'tab', label: 'soap bench' },
    { id: 'cs', z: 't', type: 'CS server', port: String(port), portType: 'num', enabled15: false, path15: '', enabled16: true, path16: '/ocpp16s', enabled16j: false, path16j: '/ocpp', maxPending: 1000000, maxPendingPerIp: 1000000, log: false, pathlog: '', wires: [['fn'], []] },
    { id: 'fn', z: 't', type: 'function', func: ANSWER, outputs: 1, wires: [['resp']] },
    { id: 'resp', z: 't', type: 'server response' },
  ];
  fs.writeFileSync(path.join(dir, 'flows.json'), JSON.stringify(flow));
  const settings = { uiHost: '127.0.0.1', uiPort: await freePort(), flowFile: 'flows.json', externalModules: { palette: { denyList: [pkg.deny] } }, logging: { console: { level: 'warn' } }, ...(pkg.nodesDir ? { nodesDir: [pkg.nodesDir] } : {}) };
  fs.writeFileSync(path.join(dir, 'settings.js'), `module.exports = ${JSON.stringify(settings)};`);
  const red = spawn(process.execPath, [require.resolve('node-red/red.js', { paths: [root] }), '--userDir', dir, '--settings', path.join(dir, 'settings.js')], { stdio: 'ignore' });
  try {
    await waitForPort(port);
    await new Promise((r) => setTimeout(r, 1000));
    let peak = rssMb(red.pid);
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(red.pid))), 200);
    const wrk = spawnSync('wrk', ['-t1', `-c${connections}`, `-d${duration}s`, '--latency', '-s', path.join(__dirname, 'soap-heartbeat.lua'), `http://127.0.0.1:${port}/ocpp16s`], { encoding: 'utf8' });
    clearInterval(sampler);
    const out = wrk.stdout || '';
    const num = (re) => Number((re.exec(out) || [0, NaN])[1]);
    const ms = (re) => {
      const m = re.exec(out);
      if (!m) return NaN;
      return Number(m[1]) * ({ us: 0.001, ms: 1, s: 1000 }[m[2]] || 1);
    };
    return {
      package: pkg.key,
      connections,
      calls_per_s: num(/Requests\/sec:\s+([\d.]+)/),
      p50_ms: ms(/\s50%\s+([\d.]+)(us|ms|s)/),
      p99_ms: ms(/\s99%\s+([\d.]+)(us|ms|s)/),
      non_2xx: num(/Non-2xx or 3xx responses:\s+(\d+)/) || 0,
      peak_rss_mb: peak,
    };
  } finally {
    red.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  if (spawnSync('wrk', ['--version']).error) throw new Error('wrk is missing: apt-get install wrk');
  const results = [];
  for (const pkg of PACKAGES) {
    process.stderr.write(`${pkg.key}: SOAP 1.6, ${connections} keep-alive stations, ${duration} s... `);
    const r = await runPackage(pkg);
    process.stderr.write(`${Math.round(r.calls_per_s)} calls/s\n`);
    results.push(r);
  }
  const report = { date: new Date().toISOString(), command: `node bench/soap.js ${process.argv.slice(2).join(' ')}`.trim(), results };
  fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
  const file = path.join(__dirname, 'results', `soap-${report.date.replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  console.log('| package | SOAP 1.6 calls/s | p50 ms | p99 ms | non-2xx | peak RSS MB |\n|---|---:|---:|---:|---:|---:|');
  for (const r of results) console.log(`| ${r.package} | ${Math.round(r.calls_per_s)} | ${r.p50_ms.toFixed(2)} | ${r.p99_ms.toFixed(2)} | ${r.non_2xx} | ${r.peak_rss_mb} |`);
  console.log(`\n${path.relative(root, file)}`);
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
