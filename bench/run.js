#!/usr/bin/env node
// OCPP-J 1.6 benchmark: @ocpp-rs/node-red-ocpp (ours) against the JS original
// node-red-contrib-ocpp, each in its own Node-RED process with the same flow
// (CS server -> function -> server response), driven by bench/loadgen (Rust)
// on the same machine over 127.0.0.1. Node built-ins only.
//
//   node bench/run.js                         the full set, both packages
//   node bench/run.js --only original         one package (original | ours)
//   node bench/run.js --unified --scenarios b2b-100   ours with unified messages off, on, and
//                                             on with Heartbeats answered by the engine, side by side
//   node bench/run.js --smoke                 small station counts, short windows
//   node bench/run.js --scenarios b2b-100,paced-5000
//   node bench/run.js --report bench/results/A.json [B.json ...]   table only, no run
//   node bench/run.js --help
//
// Prints progress on stderr, a markdown table on stdout, and writes
// bench/results/<date>.json.
'use strict';
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { root, settingsJs, rssKb, procCpuS, systemBusyS, nofileLimit, sleep, getJson, children, startRed: startRedProcess, machine, cleanup } = require('./lib/red');
const loadgenDir = path.join(__dirname, 'loadgen');
const loadgenBin = path.join(loadgenDir, 'target', 'release', 'ocpp-loadgen');

const USAGE = `node bench/run.js [options]
  --only original|ours     run one package (default: both, scenario by scenario)
  --scenarios LIST         comma-separated <kind>-<stations>; kinds:
                             b2b        back-to-back Heartbeat
                             b2bmv      back-to-back MeterValues
                             paced      one MeterValues every --interval s per station
                             connected  stations connected and booted, idle (memory)
                             storm      all connect at once; time until all booted
                           default: ${defaultScenarios().join(',')}
  --smoke                  small set: ${smokeScenarios().join(',')} (--duration 5 unless given)
  --repeat N               runs per scenario on the same Node-RED, the median (by calls/s)
                           is reported (default: 3 for back-to-back with up to 1,000
                           stations, short and noisy on a shared machine; else 1)
  --full                   accepted for compatibility: the full set is the default
  --duration S             measured window per scenario (20); when the warm-up had to
                           wait for a slow server's first answers, the window stretches
                           to 4 warm-ups (4 rounds of answers), at most --max-duration
  --max-duration S         (120)
  --warmup S               minimum warm-up before the window (5); it also waits until
                           every station has had one answer, at most 60 s
  --interval S             paced: seconds between two MeterValues of a station (5)
  --ramp R                 connections per second outside storms (1000)
  --timeout S              CALL timeout in the load generator (60)
  --connect-timeout S      connect phase budget beyond the ramp (60)
  --threads N              load generator tokio worker threads (1)
  --quiet-wait S           before each scenario, wait up to S s for other processes to
                           go quiet (30; 0 = don't wait)
  --out FILE               results file (default bench/results/<date>.json)
  --no-build               don't run cargo build for the load generator
  --strict                 turn on the CS server's strict mode (schema checks both ways; ours only)
  --unified                ours three ways instead of both packages: unified messages off (ours),
                           on (ours-unified), on with Heartbeats answered by the engine (ours-auto)
  --no-deny                diagnostic: no denyList, so both packages load in one process
                           (the module check must then fail the run)
  --report FILE...         print the table of earlier results files (merged) and exit`;

function defaultScenarios() {
  return ['b2b-100', 'b2b-5000', 'b2b-10000', 'paced-5000', 'paced-10000', 'storm-10000', 'connected-5000', 'connected-10000'];
}
function smokeScenarios() {
  return ['b2b-10', 'b2b-200', 'paced-300', 'storm-300', 'connected-300'];
}

// ---------------------------------------------------------------- options
const argv = process.argv.slice(2);
const opts = {
  only: null,
  scenarios: null,
  smoke: false,
  duration: null,
  maxDuration: 120,
  warmup: 5,
  interval: 5,
  ramp: 1000,
  timeout: 60,
  connectTimeout: 60,
  threads: 1,
  quietWait: 30,
  out: null,
  build: true,
  deny: true,
  repeat: null,
  report: null,
};
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const val = () => {
    if (argv[i + 1] === undefined) die(`${a} needs a value`);
    return argv[++i];
  };
  const num = () => {
    const v = Number(val());
    if (!Number.isFinite(v) || v < 0) die(`${a}: not a number`);
    return v;
  };
  switch (a) {
    case '--help':
    case '-h':
      console.log(USAGE);
      process.exit(0);
      break;
    case '--only':
      opts.only = val();
      if (!['original', 'ours', 'ours-unified', 'ours-auto'].includes(opts.only)) die('--only original|ours|ours-unified|ours-auto');
      break;
    case '--scenarios':
      opts.scenarios = val().split(',').map((s) => s.trim()).filter(Boolean);
      break;
    case '--full':
      break;
    case '--repeat':
      opts.repeat = Math.max(1, Math.round(num()));
      break;
    case '--smoke':
      opts.smoke = true;
      break;
    case '--duration':
      opts.duration = num();
      break;
    case '--max-duration':
      opts.maxDuration = num();
      break;
    case '--warmup':
      opts.warmup = num();
      break;
    case '--interval':
      opts.interval = num();
      break;
    case '--ramp':
      opts.ramp = num();
      break;
    case '--timeout':
      opts.timeout = num();
      break;
    case '--connect-timeout':
      opts.connectTimeout = num();
      break;
    case '--threads':
      opts.threads = num();
      break;
    case '--quiet-wait':
      opts.quietWait = num();
      break;
    case '--out':
      opts.out = path.resolve(val());
      break;
    case '--no-deny':
      opts.deny = false;
      break;
    case '--no-build':
      opts.build = false;
      break;
    case '--unified':
      opts.unified = true;
      break;
    case '--strict':
      opts.strict = true;
      break;
    case '--report':
      opts.report = argv.slice(i + 1);
      i = argv.length;
      break;
    default:
      die(`unknown option ${a}`);
  }
}
if (opts.duration === null) opts.duration = opts.smoke ? 5 : 20;

function die(msg) {
  console.error(`bench/run.js: ${msg}\n\n${USAGE}`);
  process.exit(2);
}

const progress = (line) => process.stderr.write(`${line}\n`);

// ---------------------------------------------------------------- scenarios
const KINDS = {
  b2b: { mode: 'b2b', action: 'Heartbeat', what: 'back-to-back Heartbeat' },
  b2bmv: { mode: 'b2b', action: 'MeterValues', what: 'back-to-back MeterValues' },
  paced: { mode: 'paced', action: 'MeterValues', what: 'paced MeterValues' },
  connected: { mode: 'idle', what: 'all connected, idle' },
  storm: { mode: 'storm', what: 'connect storm' },
};

function parseScenario(name) {
  const m = /^([a-z0-9]+)-(\d+)$/.exec(name);
  if (!m || !KINDS[m[1]] || Number(m[2]) < 1) die(`bad scenario "${name}": <kind>-<stations>, kinds ${Object.keys(KINDS).join(', ')}`);
  return { name, kind: m[1], stations: Number(m[2]), ...KINDS[m[1]] };
}

// ---------------------------------------------------------------- packages
const PACKAGES = {
  ours: {
    key: 'ours',
    module: '@ocpp-rs/node-red-ocpp',
    deny: ['node-red-contrib-ocpp'],
    nodesDir: [root],
    available() {
      const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
      const nodes = (pkg['node-red'] && pkg['node-red'].nodes) || {};
      const addon = path.join(root, 'native', `ocpp-rs.${process.platform}-${process.arch}.node`);
      if (!fs.existsSync(addon)) return `pending: no ${path.relative(root, addon)} (run npm run build)`;
      if (!Object.values(nodes).some((f) => /ocpp-server/.test(f))) return 'pending: package.json lists no CS server node';
      return null;
    },
    version() {
      const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
      const addon = path.join(root, 'native', `ocpp-rs.${process.platform}-${process.arch}.node`);
      const git = (args) => (spawnSync('git', args, { cwd: root, encoding: 'utf8' }).stdout || '').trim();
      return {
        name: pkg.name,
        version: pkg.version,
        commit: git(['rev-parse', '--short', 'HEAD']),
        dirty: git(['status', '--porcelain', '--', 'src', 'nodes', 'Cargo.toml', 'Cargo.lock', 'package.json']) !== '',
        addon_built: fs.existsSync(addon) ? fs.statSync(addon).mtime.toISOString() : null,
      };
    },
  },
  // Unified messages (docs/UNIFIED.md): the same flow, msg.unified added; and the Heartbeats answered by the engine.
  'ours-unified': { key: 'ours-unified', cs: { unified: true, autoAnswer: [] } },
  // The flow as a user writes it with auto-answers: answered msgs are not answered again.
  'ours-auto': { key: 'ours-auto', cs: { unified: true, autoAnswer: ['Heartbeat'] }, skipAnswered: true },
  original: {
    key: 'original',
    module: 'node-red-contrib-ocpp',
    deny: ['@ocpp-rs/node-red-ocpp'],
    nodesDir: null,
    available() {
      try {
        require.resolve('node-red-contrib-ocpp/package.json', { paths: [root] });
        return null;
      } catch (_) {
        return 'not installed (npm install)';
      }
    },
    version() {
      const pkg = require(require.resolve('node-red-contrib-ocpp/package.json', { paths: [root] }));
      return { name: pkg.name, version: pkg.version };
    },
  },
};

for (const k of ['ours-unified', 'ours-auto']) PACKAGES[k] = { ...PACKAGES.ours, ...PACKAGES[k] };

// ---------------------------------------------------------------- the flow
// The same flow file for both packages: answer every CALL by its command.
const ANSWER = `const cmd = msg.payload && msg.payload.command;
if (!cmd) return null; // ONLINE / OFFLINE events
let answer;
switch (cmd) {
  case 'BootNotification': answer = { status: 'Accepted', currentTime: new Date().toISOString(), interval: 300 }; break;
  case 'Heartbeat': answer = { currentTime: new Date().toISOString() }; break;
  case 'MeterValues': case 'StatusNotification': answer = {}; break;
  case 'Authorize': answer = { idTagInfo: { status: 'Accepted' } }; break;
  default: answer = {};
}
msg.payload = answer; // msg.msgId is kept: server response needs it
return msg;`;

function benchFlow(port, pkg = {}) {
  return [
    { id: 'bench.tab', type: 'tab', label: 'OCPP bench', disabled: false, info: '' },
    {
      id: 'bench.cs', z: 'bench.tab', type: 'CS server', name: 'bench CS',
      port: String(port), portType: 'num',
      enabled15: false, path15: '', enabled16: false, path16: '', enabled16j: true, path16j: '/ocpp',
      log: false, pathlog: '', strict: opts.strict === true,
      // Every simulated station comes from 127.0.0.1, storms all at once: no cap on handshakes in progress.
      maxHttpConnections: 1000000, maxHttpConnectionsPerIp: 1000000,
      x: 140, y: 100, wires: [[pkg.skipAnswered ? 'bench.open' : 'bench.fn'], []], ...(pkg.cs || {}),
    },
    // With auto-answers a flow routes to its answer only what the engine left open:
    // a switch on msg.unified.answered (absent unless the engine answered).
    ...(pkg.skipAnswered
      ? [{ id: 'bench.open', z: 'bench.tab', type: 'switch', name: 'not answered yet', property: 'unified.answered', propertyType: 'msg', rules: [{ t: 'null' }], checkall: 'true', repair: false, outputs: 1, x: 240, y: 160, wires: [['bench.fn']] }]
      : []),
    { id: 'bench.fn', z: 'bench.tab', type: 'function', name: 'answer', func: ANSWER, outputs: 1, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [], x: 330, y: 100, wires: [['bench.resp']] },
    { id: 'bench.resp', z: 'bench.tab', type: 'server response', name: '', x: 520, y: 100, wires: [] },
  ];
}

// ---------------------------------------------------------------- Node-RED
// (settings.js, start and stop, the /proc helpers: bench/lib/red.js)
function startRed(pkg) {
  return startRedProcess({ key: pkg.key, flow: (port) => benchFlow(port, pkg), settings: settingsJs({ nodesDir: pkg.nodesDir, deny: opts.deny ? pkg.deny : [] }) });
}

/** Waits until the machine is quiet (other processes under 20 % of a core), at most `seconds`. */
async function waitQuiet(seconds) {
  if (!seconds) return null;
  const until = Date.now() + seconds * 1000;
  let busy;
  for (;;) {
    const b0 = systemBusyS();
    await sleep(1000);
    busy = Math.round((systemBusyS() - b0) * 100);
    if (busy < 20 || Date.now() >= until) break;
    progress(`    machine busy (${busy}% of a core used by other processes), waiting...`);
  }
  return busy;
}

/** Which modules Node-RED loaded, from its admin API and its log. Throws when the wrong one is there. */
async function verifyModules(pkg, red) {
  const other = pkg.key.startsWith('ours') ? PACKAGES.original.module : PACKAGES.ours.module;
  const sets = await getJson(red.uiPort, '/nodes');
  const modules = [...new Set(sets.map((s) => s.module))].filter((m) => m !== 'node-red');
  const csServer = sets.filter((s) => (s.types || []).includes('CS server'));
  const log = red.log();
  const problems = [];
  if (!modules.includes(pkg.module)) problems.push(`${pkg.module} not loaded`);
  if (modules.includes(other)) problems.push(`${other} loaded as well`);
  if (csServer.length !== 1 || csServer[0].module !== pkg.module) problems.push(`"CS server" comes from ${csServer.map((s) => s.module).join(', ') || 'nowhere'}`);
  if (csServer[0] && csServer[0].err) problems.push(`${pkg.module}: ${csServer[0].err}`);
  if (/type.already.registered|already registered/i.test(log)) problems.push('type registered twice (see log)');
  if (/Waiting for missing types/i.test(log)) problems.push('flow waits for missing types');
  const denied = (log.match(/\[bench-log\] ! Module: (\S+) \S+ \*ignored due to denyList\*/g) || []).map((l) => l.split(' ')[3]);
  const logged = (log.match(/\[bench-log\] Module: (\S+) \S+/g) || []).map((l) => l.split(' ')[2]);
  if (!logged.includes(pkg.module)) problems.push(`the log does not show ${pkg.module} loading`);
  if (logged.includes(other)) problems.push(`the log shows ${other} loading`);
  if (problems.length) throw new Error(`module check failed: ${problems.join('; ')}\n${log.slice(-3000)}`);
  return { modules, denied, logged };
}

// ---------------------------------------------------------------- the load generator
function buildLoadgen() {
  progress('building bench/loadgen (cargo build --release)...');
  const r = spawnSync('cargo', ['build', '--release', '--manifest-path', path.join(loadgenDir, 'Cargo.toml')], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error('building bench/loadgen failed');
}

function loadgenArgs(sc, port, run) {
  const args = [
    '--url', `ws://127.0.0.1:${port}/ocpp`,
    '--stations', String(sc.stations),
    '--mode', sc.mode,
    '--warmup', String(opts.warmup),
    '--duration', String(opts.duration),
    '--max-duration', String(opts.maxDuration),
    '--timeout', String(opts.timeout),
    '--connect-timeout', String(opts.connectTimeout),
    '--threads', String(opts.threads),
    '--prefix', `${sc.kind}${sc.stations}r${run}-`,
    '--progress', '2',
  ];
  if (sc.action) args.push('--action', sc.action);
  if (sc.mode !== 'storm') args.push('--ramp', String(opts.ramp));
  if (sc.mode === 'paced') args.push('--interval', String(opts.interval));
  if (sc.mode === 'idle') args.push('--hold', String(Math.min(10, opts.warmup + opts.duration)));
  return args;
}

/** Runs one scenario against a started Node-RED: loadgen result plus RSS and CPU samples. */
function runLoadgen(sc, red, run = 1) {
  const args = loadgenArgs(sc, red.ocppPort, run);
  const rampS = sc.mode === 'storm' ? 0 : sc.stations / opts.ramp;
  const hardLimitS = rampS + opts.connectTimeout + Math.max(opts.warmup, 60) + Math.max(opts.duration, opts.maxDuration) + 10 + 45;
  return new Promise((resolve) => {
    const rss = { idle: rssKb(red.pid), connected: null, peak: rssKb(red.pid) || 0, end: null };
    const cpu = {};
    const sampler = setInterval(() => {
      const kb = rssKb(red.pid);
      if (kb) rss.peak = Math.max(rss.peak, kb);
    }, 200);
    const child = spawn(loadgenBin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    const mark = () => ({ server: procCpuS(red.pid), loadgen: procCpuS(child.pid), system: systemBusyS(), t: Date.now() });
    let out = '';
    let errTail = '';
    child.stdout.on('data', (d) => (out += d));
    let partial = '';
    child.stderr.on('data', (d) => {
      partial += d;
      const lines = partial.split('\n');
      partial = lines.pop();
      for (const line of lines) {
        errTail = (errTail + line + '\n').slice(-2000);
        progress(`    ${line}`);
        if (/phase connected/.test(line)) rss.connected = rssKb(red.pid);
        if (/phase window/.test(line)) cpu.start = mark();
        if (/phase done/.test(line)) cpu.end = mark();
      }
    });
    let killed = false;
    const limit = setTimeout(() => {
      killed = true;
      progress(`    load generator still running after ${Math.round(hardLimitS)} s: killed`);
      child.kill('SIGKILL');
    }, hardLimitS * 1000);
    child.on('exit', (code, signal) => {
      children.delete(child);
      clearInterval(sampler);
      clearTimeout(limit);
      rss.end = rssKb(red.pid);
      let result = null;
      try {
        result = JSON.parse(out.trim().split('\n').pop());
      } catch (_) {
        /* no result line */
      }
      const row = result || { stations: sc.stations, mode: sc.mode };
      if (!result) row.failure = killed ? `load generator killed after ${Math.round(hardLimitS)} s` : `load generator exited (${signal || code}) without a result: ${errTail.slice(-300)}`;
      const mb = (kb) => (kb ? Math.round(kb / 1024) : null);
      row.rss_idle_mb = mb(rss.idle);
      row.rss_connected_mb = mb(rss.connected);
      row.peak_rss_mb = mb(rss.peak);
      if (cpu.start && cpu.end) {
        const dt = cpu.end.t - cpu.start.t;
        const pct = (a, b) => (a !== null && b !== null ? Math.round(((b - a) * 100000) / dt) : null);
        row.server_cpu_pct = pct(cpu.start.server, cpu.end.server);
        row.loadgen_cpu_pct = pct(cpu.start.loadgen, cpu.end.loadgen);
        const system = pct(cpu.start.system, cpu.end.system);
        if (system !== null && row.server_cpu_pct !== null && row.loadgen_cpu_pct !== null) row.other_cpu_pct = Math.max(0, system - row.server_cpu_pct - row.loadgen_cpu_pct);
      }
      resolve(row);
    });
  });
}

function judge(row) {
  const notes = [];
  let status = 'ok';
  if (row.failure) return { status: 'failed', notes: [row.failure] };
  if (row.server_exit) {
    status = 'failed';
    const outside = /Stopping flows/.test(row.log_tail || '');
    notes.push(`Node-RED exited (${row.server_exit})${outside ? ' after a stop signal from outside the harness' : ''}`);
  }
  if (!row.booted) {
    status = 'failed';
    notes.push('no station booted');
  } else if (row.booted < row.stations) {
    status = status === 'ok' ? 'degraded' : status;
    notes.push(`${row.stations - row.booted} of ${row.stations} never booted`);
  }
  for (const [k, label] of [
    ['connect_failures', 'connect failures'],
    ['boot_failures', 'boot failures'],
    ['timeouts', 'CALL timeouts'],
    ['call_errors', 'CALLERRORs'],
    ['disconnects', 'unexpected closes'],
  ]) {
    if (row[k] && !(k === 'connect_failures' || k === 'boot_failures')) {
      status = status === 'ok' ? 'degraded' : status;
      notes.push(`${row[k]} ${label}`);
    }
  }
  if ((row.mode === 'b2b' || row.mode === 'paced') && row.booted && !row.calls) {
    status = 'failed';
    notes.push('no CALL answered in the window');
  }
  if (row.mode === 'paced' && row.offered_per_s && row.calls_per_s < 0.95 * row.offered_per_s) {
    status = status === 'ok' ? 'degraded' : status;
    notes.push(`served ${Math.round((100 * row.calls_per_s) / row.offered_per_s)}% of the offered rate`);
  }
  if (row.rate_method === 'per-station' && row.counted_per_s && Math.abs(row.counted_per_s - row.calls_per_s) > 0.1 * row.calls_per_s) {
    notes.push(`answers come in rounds (plain count ${fmt(row.counted_per_s)}/s over ${fmt(row.duration, 0)} s)`);
  }
  if (row.runs) notes.push(`median of ${row.runs.length} runs: ${row.runs.map((v) => fmt(v)).join(', ')} calls/s`);
  if (row.loadgen_cpu_pct > 90) notes.push(`load generator used ${row.loadgen_cpu_pct}% of a core: the rate is a lower bound`);
  if (row.other_cpu_pct > 20) notes.push(`other processes used ${row.other_cpu_pct}% CPU`);
  return { status, notes };
}

// ---------------------------------------------------------------- report
function fmt(v, digits = 0) {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  return Number(v).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
function ms(v) {
  if (v === null || v === undefined) return '–';
  return v >= 100 ? fmt(v, 0) : v >= 10 ? fmt(v, 1) : fmt(v, 2);
}
function secs(msValue) {
  if (msValue === null || msValue === undefined) return '–';
  return `${fmt(msValue / 1000, msValue < 10000 ? 2 : 1)} s`;
}

function table(rows) {
  const out = [
    '| scenario | package | booted | all booted in | calls/s (offered) | p50 ms | p90 ms | p99 ms | max ms | errors | peak RSS MB | CPU server / loadgen | status / notes |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const r0 of rows) {
    const r = { ...r0, notes: r0.notes || [], status: r0.status || (r0.failed ? 'failed' : 'ok') }; // older results files
    if (r.status === 'pending' || r.status === 'skipped') {
      out.push(`| ${r.scenario} | ${r.package} | pending | | | | | | | | | | ${r.notes.join('; ')} |`);
      continue;
    }
    const load = r.mode === 'b2b' || r.mode === 'paced';
    const calls = load ? `${fmt(r.calls_per_s)}${r.mode === 'paced' ? ` (${fmt(r.offered_per_s)})` : ''}` : '–';
    const lat = (v) => (load && r.calls ? ms(v) : '–');
    const booted = r.booted === undefined ? '–' : `${fmt(r.booted)}/${fmt(r.stations)}`;
    const connect = r.connect_ms === undefined || r.booted !== r.stations ? '–' : secs(r.connect_ms);
    const status = r.status === 'ok' ? (r.notes.length ? `ok; ${r.notes.join('; ')}` : 'ok') : `**${r.status}**: ${r.notes.join('; ')}`;
    out.push(
      `| ${r.scenario} | ${r.package} | ${booted} | ${connect} | ${calls} | ${lat(r.p50_ms)} | ${lat(r.p90_ms)} | ${lat(r.p99_ms)} | ${lat(r.max_ms)} | ${fmt(r.errors)} | ${fmt(r.peak_rss_mb)} | ${r.server_cpu_pct == null ? '–' : `${r.server_cpu_pct}% / ${r.loadgen_cpu_pct == null ? '–' : r.loadgen_cpu_pct + '%'}`} | ${status} |`,
    );
  }
  return out.join('\n');
}

/** Connections and memory: the connect phase of every scenario that ran. */
function memoryTable(rows) {
  const out = [
    '| scenario | package | ramp | all booted in | boot p50 ms | boot p99 ms | RSS before MB | RSS all booted MB | peak RSS MB |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    if (!(r.kind === 'connected' || r.kind === 'storm') || r.booted === undefined) continue;
    const ramp = r.mode === 'storm' || !r.ramp_per_s ? 'all at once' : `${fmt(r.ramp_per_s)}/s`;
    const booted = r.booted === r.stations ? secs(r.connect_ms) : `${fmt(r.booted)}/${fmt(r.stations)} booted`;
    out.push(`| ${r.scenario} | ${r.package} | ${ramp} | ${booted} | ${ms(r.boot_p50_ms)} | ${ms(r.boot_p99_ms)} | ${fmt(r.rss_idle_mb)} | ${fmt(r.rss_connected_mb)} | ${fmt(r.peak_rss_mb)} |`);
  }
  return out.length > 2 ? out.join('\n') : '';
}

// ---------------------------------------------------------------- main
async function main() {
  if (opts.report) {
    const rows = [];
    for (const f of opts.report) {
      const r = JSON.parse(fs.readFileSync(f, 'utf8'));
      rows.push(...r.results);
    }
    const order = [...new Set(rows.map((r) => r.scenario))];
    rows.sort((a, b) => order.indexOf(a.scenario) - order.indexOf(b.scenario) || (a.package === 'ours' ? -1 : 1));
    console.log(table(rows));
    const mem = memoryTable(rows);
    if (mem) console.log(`\n${mem}`);
    return;
  }
  const scenarios = (opts.scenarios || (opts.smoke ? smokeScenarios() : defaultScenarios())).map(parseScenario);
  const packages = (opts.unified ? ['ours', 'ours-unified', 'ours-auto'] : opts.only ? [opts.only] : ['ours', 'original']).map((k) => PACKAGES[k]);
  if (opts.build) buildLoadgen();
  if (!fs.existsSync(loadgenBin)) throw new Error(`${loadgenBin} missing: cargo build --release --manifest-path bench/loadgen/Cargo.toml`);

  const started = new Date();
  const report = {
    date: started.toISOString(),
    command: `node bench/run.js ${argv.join(' ')}`.trim(),
    machine: machine(),
    options: { duration_s: opts.duration, min_warmup_s: opts.warmup, max_warmup_s: Math.max(opts.warmup, 60), interval_s: opts.interval, ramp_per_s: opts.ramp, call_timeout_s: opts.timeout, connect_timeout_s: opts.connectTimeout, loadgen_threads: opts.threads, strict: opts.strict === true },
    packages: {},
    results: [],
  };
  const file = opts.out || path.join(__dirname, 'results', `${started.toISOString().replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')}.json`);
  const save = () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  };
  const unavailable = {};
  for (const pkg of packages) {
    unavailable[pkg.key] = pkg.available();
    report.packages[pkg.key] = unavailable[pkg.key] ? { module: pkg.module, unavailable: unavailable[pkg.key] } : { module: pkg.module, ...pkg.version() };
    if (unavailable[pkg.key]) progress(`${pkg.key}: ${unavailable[pkg.key]} -- its rows are marked pending`);
  }
  const broken = {}; // a package whose Node-RED loads the wrong modules is not run further
  const total = scenarios.length * packages.length;
  let n = 0;
  for (const sc of scenarios) {
    for (const pkg of packages) {
      n++;
      const head = `[${n}/${total}] ${sc.name} (${sc.what}, ${sc.stations} stations) on ${pkg.key}`;
      const base = { scenario: sc.name, kind: sc.kind, package: pkg.key, stations: sc.stations, mode: sc.mode };
      if (unavailable[pkg.key] || broken[pkg.key]) {
        report.results.push({ ...base, status: 'pending', notes: [unavailable[pkg.key] || broken[pkg.key]] });
        continue;
      }
      progress(`${head}`);
      const busyBefore = await waitQuiet(opts.quietWait);
      let red;
      try {
        red = await startRed(pkg);
      } catch (err) {
        if (err.handle) await err.handle.stop();
        progress(`    Node-RED did not start: ${err.message}`);
        report.results.push({ ...base, status: 'failed', notes: [`Node-RED did not start: ${err.message.split('\n')[0]}`], log_tail: err.handle ? err.handle.log().slice(-3000) : undefined });
        save();
        continue;
      }
      let row;
      try {
        const loaded = await verifyModules(pkg, red);
        progress(`    Node-RED pid ${red.pid} up in ${red.startMs} ms, OCPP on ${red.ocppPort}, modules (admin API): ${loaded.modules.join(', ')}; log: loaded ${loaded.logged.join(', ')}${loaded.denied.length ? `; denied: ${loaded.denied.join(', ')}` : ''}; RSS ${Math.round(rssKb(red.pid) / 1024)} MB; open-file limit ${nofileLimit(red.pid)}`);
        const repeat = opts.repeat || (sc.mode === 'b2b' && sc.stations <= 1000 ? 3 : 1);
        const runs = [];
        for (let r = 1; r <= repeat && !red.exit(); r++) {
          if (repeat > 1) progress(`    run ${r} of ${repeat}`);
          runs.push(await runLoadgen(sc, red, r));
        }
        const ranked = [...runs].sort((a, b) => (a.calls_per_s || 0) - (b.calls_per_s || 0));
        const median = { ...ranked[Math.floor((ranked.length - 1) / 2)] };
        if (runs.length > 1) {
          median.runs = runs.map((x) => Math.round(x.calls_per_s || 0));
          median.peak_rss_mb = Math.max(...runs.map((x) => x.peak_rss_mb || 0));
        }
        row = { ...base, ...median, scenario: sc.name, kind: sc.kind, package: pkg.key, modules_loaded: loaded.modules, modules_loaded_log: loaded.logged, modules_denied: loaded.denied };
      } catch (err) {
        progress(`    ${err.message.split('\n')[0]}`);
        if (/module check failed/.test(err.message)) broken[pkg.key] = err.message.split('\n')[0];
        row = { ...base, failure: err.message.split('\n')[0], log_tail: red.log().slice(-3000) };
      }
      const exit = red.exit();
      if (exit) {
        row.server_exit = exit.signal || `code ${exit.code}`;
        row.log_tail = red.log().slice(-3000);
      }
      row.machine_busy_before_pct = busyBefore;
      Object.assign(row, judge(row));
      await red.stop();
      report.results.push(row);
      save();
      const load = row.mode === 'b2b' || row.mode === 'paced';
      progress(
        `    => ${row.status}: ${row.booted ?? '?'}/${row.stations} booted in ${secs(row.connect_ms)}` +
          (load ? `, ${fmt(row.calls_per_s)} calls/s${row.mode === 'paced' ? ` of ${fmt(row.offered_per_s)} offered` : ''}, p50 ${ms(row.p50_ms)} ms, p99 ${ms(row.p99_ms)} ms` : '') +
          `, peak RSS ${row.peak_rss_mb} MB${row.notes.length ? ` (${row.notes.join('; ')})` : ''}`,
      );
    }
  }
  report.finished = new Date().toISOString();
  save();
  console.log(table(report.results));
  const mem = memoryTable(report.results);
  if (mem) console.log(`\n${mem}`);
  console.log(`\nresults: ${path.relative(process.cwd(), file)}`);
}

process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});
process.on('SIGTERM', () => {
  cleanup();
  process.exit(143);
});

main().catch((err) => {
  console.error(err);
  cleanup();
  process.exit(1);
});
