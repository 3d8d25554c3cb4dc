#!/usr/bin/env node
// Runs the OCPP-J benchmarks: this package and the original node-red-contrib-ocpp,
// each in its own Node-RED process with the same flow (CS server -> function ->
// server response), driven by bench/loadgen on the same machine.
//
//   node bench/run.js                      the issue's set: b2b 100 and 5,000, idle 5,000
//   node bench/run.js --full               adds 10,000 stations, paced MeterValues, a connect storm
//   node bench/run.js --only ours          one package
//   node bench/run.js --duration 10        seconds measured per scenario (after a 5 s warm-up)
//
// Writes bench/results/<timestamp>.json and prints a markdown table.
'use strict';
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');

const root = path.resolve(__dirname, '..');
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const option = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
};
const duration = Number(option('--duration', 15));
const warmup = Number(option('--warmup', 5));
const only = option('--only', null);

const PACKAGES = [
  { key: 'ours', label: '@ocpp-rs/node-red-ocpp', deny: 'node-red-contrib-ocpp', nodesDir: root },
  { key: 'original', label: 'node-red-contrib-ocpp 1.3.10', deny: '@ocpp-rs/node-red-ocpp', nodesDir: null },
].filter((p) => !only || p.key === only);

// Each scenario: loadgen arguments and a label. `idle` measures memory with all stations connected.
const SCENARIOS = [
  // Short and noisy on a shared 2-core machine: the median of three runs.
  { name: 'b2b-100', stations: 100, mode: 'b2b', repeat: 3 },
  { name: 'b2b-5000', stations: 5000, mode: 'b2b', ramp: 2500 },
  { name: 'idle-5000', stations: 5000, mode: 'idle', ramp: 2500 },
  ...(flag('--full')
    ? [
        { name: 'b2b-10000', stations: 10000, mode: 'b2b', ramp: 2500 },
        { name: 'paced-5000', stations: 5000, mode: 'paced', interval: 5, action: 'MeterValues', ramp: 2500 },
        { name: 'paced-10000', stations: 10000, mode: 'paced', interval: 5, action: 'MeterValues', ramp: 2500 },
        { name: 'idle-10000', stations: 10000, mode: 'idle', ramp: 2500 },
        { name: 'storm-10000', stations: 10000, mode: 'storm' },
      ]
    : []),
];

const ANSWER = `if (!msg.payload || !msg.payload.command) return null;
switch (msg.payload.command) {
  case 'BootNotification': msg.payload = { status: 'Accepted', currentTime: new Date().toISOString(), interval: 300 }; break;
  case 'Heartbeat': msg.payload = { currentTime: new Date().toISOString() }; break;
  case 'Authorize': msg.payload = { idTagInfo: { status: 'Accepted' } }; break;
  default: msg.payload = {};
}
return msg;`;

function benchFlow(port) {
  return [
    { id: 'bench.tab', type: 'tab', label: 'bench' },
    { id: 'bench.cs', z: 'bench.tab', type: 'CS server', name: 'bench CS', port: String(port), portType: 'num', enabled15: false, path15: '', enabled16: false, path16: '', enabled16j: true, path16j: '/ocpp', log: false, pathlog: '', wires: [['bench.fn'], []] },
    { id: 'bench.fn', z: 'bench.tab', type: 'function', name: 'answer', func: ANSWER, outputs: 1, wires: [['bench.resp']] },
    { id: 'bench.resp', z: 'bench.tab', type: 'server response', name: '' },
  ];
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function waitForPort(port, ms) {
  const until = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const sock = net.connect(port, '127.0.0.1', () => {
        sock.destroy();
        resolve();
      });
      sock.on('error', () => (Date.now() > until ? reject(new Error(`port ${port} never opened`)) : setTimeout(attempt, 200)));
    };
    attempt();
  });
}

const rssKb = (pid) => {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch (_) {
    return 0;
  }
};

async function startRed(pkg, port) {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), `ocpp-bench-${pkg.key}-`));
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(benchFlow(port)));
  const settings = {
    uiHost: '127.0.0.1',
    uiPort: await freePort(),
    flowFile: 'flows.json',
    externalModules: { palette: { denyList: [pkg.deny] } },
    logging: { console: { level: 'warn' } },
    ...(pkg.nodesDir ? { nodesDir: [pkg.nodesDir] } : {}),
  };
  fs.writeFileSync(path.join(userDir, 'settings.js'), `module.exports = ${JSON.stringify(settings, null, 2)};\n`);
  const red = require.resolve('node-red/red.js', { paths: [root] });
  const child = spawn(process.execPath, [red, '--userDir', userDir, '--settings', path.join(userDir, 'settings.js')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (d) => (log = (log + d).slice(-20000)));
  child.stderr.on('data', (d) => (log = (log + d).slice(-20000)));
  await waitForPort(port, 30000);
  await new Promise((r) => setTimeout(r, 1000));
  return {
    pid: child.pid,
    log: () => log,
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
      fs.rmSync(userDir, { recursive: true, force: true });
    },
  };
}

function runLoadgen(scenario, port, pid) {
  const bin = path.join(__dirname, 'loadgen', 'target', 'release', 'ocpp-loadgen');
  const args = ['--url', `ws://127.0.0.1:${port}/ocpp`, '--stations', String(scenario.stations), '--mode', scenario.mode,
    '--warmup', String(scenario.mode === 'idle' ? 3 : warmup), '--duration', String(scenario.mode === 'idle' ? 3 : duration),
    '--timeout', '60', '--prefix', `${scenario.name}-`];
  if (scenario.ramp) args.push('--ramp', String(scenario.ramp));
  if (scenario.interval) args.push('--interval', String(scenario.interval));
  if (scenario.action) args.push('--action', scenario.action);
  return new Promise((resolve) => {
    let peak = rssKb(pid);
    const sampler = setInterval(() => (peak = Math.max(peak, rssKb(pid))), 200);
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    // A scenario never hangs the run: the connect budget, the windows, and a margin.
    const limit = setTimeout(() => child.kill('SIGKILL'), (90 + warmup + duration + scenario.stations / 500) * 1000);
    child.on('exit', () => {
      clearInterval(sampler);
      clearTimeout(limit);
      let result;
      try {
        result = JSON.parse(out.trim().split('\n').pop());
      } catch (_) {
        result = { failed: true, stations: scenario.stations, mode: scenario.mode };
      }
      resolve({ ...result, scenario: scenario.name, peak_rss_mb: Math.round(peak / 1024) });
    });
  });
}

function machine() {
  const cpu = (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/) || [])[1] || os.cpus()[0].model;
  const rustc = spawnSync('rustc', ['--version'], { encoding: 'utf8' }).stdout.trim();
  const redVersion = require(require.resolve('node-red/package.json', { paths: [root] })).version;
  return { cpu, cores: os.cpus().length, memory_gb: Math.round(os.totalmem() / 2 ** 30), node: process.version, rustc, node_red: redVersion };
}

function table(results) {
  const rows = ['| package | scenario | stations | calls/s | offered/s | p50 ms | p99 ms | errors | booted | peak RSS MB |', '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|'];
  for (const r of results) {
    const errors = r.failed ? 'run failed' : r.call_errors + r.timeouts + r.connect_failures + r.disconnects;
    const num = (v, d = 0) => (r.failed || v === undefined ? '–' : Number(v).toFixed(d));
    rows.push(`| ${r.package} | ${r.scenario} | ${r.stations} | ${r.mode === 'idle' || r.mode === 'storm' ? '–' : num(r.calls_per_s)} | ${r.offered_per_s ? num(r.offered_per_s) : '–'} | ${r.mode === 'b2b' || r.mode === 'paced' ? num(r.p50_ms, 2) : '–'} | ${r.mode === 'b2b' || r.mode === 'paced' ? num(r.p99_ms, 2) : '–'} | ${errors} | ${r.failed ? '–' : r.booted}${r.mode === 'storm' || r.mode === 'idle' ? ` in ${num(r.connect_ms)} ms` : ''} | ${r.peak_rss_mb} |`);
  }
  return rows.join('\n');
}

async function main() {
  const build = spawnSync('cargo', ['build', '--release', '--manifest-path', path.join(__dirname, 'loadgen', 'Cargo.toml')], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error('building bench/loadgen failed');
  const results = [];
  for (const pkg of PACKAGES) {
    for (const scenario of SCENARIOS) {
      // A fresh Node-RED per scenario: each starts from the same state.
      const port = await freePort();
      process.stderr.write(`${pkg.key} ${scenario.name}: starting Node-RED... `);
      const red = await startRed(pkg, port);
      const idleRss = Math.round(rssKb(red.pid) / 1024);
      process.stderr.write(`RSS ${idleRss} MB, running... `);
      const runs = [];
      for (let i = 0; i < (scenario.repeat || 1); i++) runs.push(await runLoadgen(scenario, port, red.pid));
      runs.sort((a, b) => (a.calls_per_s || 0) - (b.calls_per_s || 0));
      const result = { ...runs[Math.floor(runs.length / 2)], runs: runs.length > 1 ? runs.map((r) => Math.round(r.calls_per_s || 0)) : undefined };
      result.peak_rss_mb = Math.max(...runs.map((r) => r.peak_rss_mb));
      result.package = pkg.key;
      result.rss_before_mb = idleRss;
      results.push(result);
      process.stderr.write(`${result.failed ? 'FAILED' : `${Math.round(result.calls_per_s || 0)} calls/s, peak ${result.peak_rss_mb} MB`}\n`);
      await red.stop();
    }
  }
  const report = { date: new Date().toISOString(), command: `node bench/run.js ${argv.join(' ')}`.trim(), machine: machine(), duration_s: duration, warmup_s: warmup, results };
  fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
  const file = path.join(__dirname, 'results', `${report.date.replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  console.log(table(results));
  console.log(`\n${path.relative(root, file)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
