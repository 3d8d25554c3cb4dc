#!/usr/bin/env node
// Cluster soak (issue 23): a Central System of several Node-RED instances on
// one real redis-server, behind a real HAProxy, under station churn, while one
// instance is killed with SIGKILL and started again and Redis is restarted.
// Every routed CS request and every station CALL is accounted for.
//
//   npm run soak -- --cluster                                  20 minutes, 3,000 stations, 3 instances
//   npm run soak -- --cluster --minutes 3 --stations 300       a smoke run
//   node bench/soak-cluster.js --help
//
// Each instance runs the same flow: a CS server with an ocpp-cluster node
// (same Redis, its own instance id) and CS requests to stations picked at
// random from the whole fleet's online list, so most of them are routed
// through Redis to another instance. Every request is written, when it is
// sent and when its outcome comes, to a journal file in the instance's userDir
// (appendFileSync: a SIGKILL cannot lose a line already written), so the
// requests of the killed process are accounted for too. The station pool
// (bench/soak-stations.js) records every CALL id it received and how often.
//
// Writes bench/results/soak-cluster-<date>.json and its section of
// docs/RELIABILITY.md; prints the criteria and exits 1 when one fails.
'use strict';
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { root, settingsJs, rssKb, procCpuS, fdCount, sleep, freePort, portOpen, machine } = require('./lib/red');
const { startRedis } = require('../test/lib/redis');
const { request: requestJson, startPool: forkPool, ANSWER_BY_COMMAND, engineVersion } = require('./lib/soak-pool');
/** The station pool, killed with the rest when the run ends. */
const startPool = () => forkPool(owned);

const USAGE = `node bench/soak-cluster.js [options]      (npm run soak -- --cluster [options])
  --minutes N           soak duration (20)
  --stations N          OCPP-J 1.6 stations, all through HAProxy (3000)
  --instances N         Node-RED instances in the cluster, 2 to 5 (3)
  --interval S          a station sends a CALL every S seconds on average (10)
  --churn F             share of stations that disconnect and reconnect every few seconds (0.1)
  --cs-per-s N          CS requests each instance's flow sends a second (1)
  --ramp N              station connections a second at the start (500)
  --sample S            seconds between two samples of RSS and fds (3)
  --kill-at F           kill -9 the second instance at this fraction of the run, start it again at once (0.33; 0 = never)
  --redis-at F          restart redis-server (kill, start on the same port, empty) at this fraction (0.67; 0 = never)
  --out FILE            results file (default bench/results/soak-cluster-<date>.json)
  --no-docs             don't write docs/RELIABILITY.md
  --docs-from FILE      no run: write the docs section of an earlier results file`;

const CS_TIMEOUT_S = 15; // CS request JSON's timeout in the flow
const CLUSTER_GRACE_S = 3; // docs/CLUSTER.md: the caller's grace past the request's timeout
const CALL_TIMEOUT_S = 90; // station side: longer than the CS server's answer timeout (60 s)
const NAMES = ['A', 'B', 'C', 'D', 'E'];

function parse(argv) {
  const opts = { minutes: 20, stations: 3000, instances: 3, interval: 10, churn: 0.1, csPerS: 1, ramp: 500, sample: 3, killAt: 0.33, redisAt: 0.67, out: null, docs: true, docsFrom: null };
  const FLAGS = { '--minutes': 'minutes', '--stations': 'stations', '--instances': 'instances', '--interval': 'interval', '--churn': 'churn', '--cs-per-s': 'csPerS', '--ramp': 'ramp', '--sample': 'sample', '--kill-at': 'killAt', '--redis-at': 'redisAt' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else if (a === '--no-docs') opts.docs = false;
    else if (a === '--docs-from') opts.docsFrom = path.resolve(argv[++i] || die('--docs-from needs a value'));
    else if (a === '--out') opts.out = path.resolve(argv[++i] || die('--out needs a value'));
    else if (FLAGS[a]) {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v < 0) die(`${a}: not a number`);
      opts[FLAGS[a]] = v;
    } else die(`unknown option ${a}`);
  }
  if (opts.stations < 1 || opts.minutes <= 0) die('--stations and --minutes must be positive');
  if (opts.instances < 2 || opts.instances > NAMES.length) die(`--instances must be 2 to ${NAMES.length}`);
  if (opts.killAt >= 1 || opts.redisAt >= 1 || opts.churn > 1) die('--kill-at, --redis-at and --churn are fractions under 1');
  opts.instances = Math.round(opts.instances);
  return opts;
}

function die(msg) {
  console.error(`bench/soak-cluster.js: ${msg}\n\n${USAGE}`);
  process.exit(2);
}
const progress = (line) => process.stderr.write(`${line}\n`);
const round = (v, d = 1) => (v === null || v === undefined ? null : Math.round(v * 10 ** d) / 10 ** d);
const sum = (o) => Object.values(o || {}).reduce((a, b) => a + b, 0);
const inc = (o, k, by = 1) => (o[k] = (o[k] || 0) + by);
function fmtTime(s) {
  return `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
}

// ---------------------------------------------------------------- the flow
// Counters in global context (GET /soak/counters, POST /soak/stop), and every
// request and outcome in the journal, global.get('journal')(record), one JSON line each.
const INIT = `if (!global.get('csoak')) global.set('csoak', { run: Date.now().toString(36), stopped: false, csSent: 0, pending: {}, outcomes: {}, duplicateOutcomes: 0, listFailed: {}, noStation: 0, requests: {}, errors: {} });`;

const ANSWER = `const s = global.get('csoak');
const o = msg.ocpp || {};
if (o.websocket) return null;
const cmd = msg.payload && msg.payload.command;
if (!cmd) return null;
s.requests[cmd] = (s.requests[cmd] || 0) + 1;
const now = new Date().toISOString();
${ANSWER_BY_COMMAND}
return msg;`;

// The online list is the whole fleet's (Redis): a station picked from it is
// most often held by another instance, and the request is routed.
const PICK = `const s = global.get('csoak');
if (s.stopped) return null;
const list = msg.payload || {};
const online = list.online || [];
s.listOkAt = Date.now();
if (!online.length) { s.noStation++; return null; }
const holders = {};
for (const x of list.stations || []) holders[x.cbId] = x.instance;
const journal = global.get('journal');
const out = [];
for (let k = 0; k < PER_TICK; k++) {
  const cbId = online[Math.floor(Math.random() * online.length)];
  const MessageId = 'soak-' + INSTANCE + s.run + '-' + (++s.csSent);
  const r = Math.random();
  const req = r < 0.3 ? { command: 'TriggerMessage', data: { requestedMessage: 'Heartbeat' } }
    : r < 0.5 ? { command: 'TriggerMessage', data: { requestedMessage: 'StatusNotification', connectorId: 1 } }
    : { command: 'GetConfiguration', data: { key: ['HeartbeatInterval'] } };
  const holder = holders[cbId] === undefined ? null : holders[cbId];
  s.pending[MessageId] = { t: Date.now(), cbId, command: req.command, holder };
  journal({ k: 'S', id: MessageId, cbId, command: req.command, holder, t: Date.now() });
  out.push({ payload: { cbId, command: req.command, data: req.data, MessageId } });
}
return [out];`;

const SETTLE = `function settle(id, reason, text) {
  const s = global.get('csoak');
  global.get('journal')({ k: 'O', id, reason, text, t: Date.now() });
  const p = s.pending[id];
  if (!p) { s.duplicateOutcomes++; return; }
  delete s.pending[id];
  s.outcomes[reason] = (s.outcomes[reason] || 0) + 1;
}`;
const OK = `${SETTLE}
settle(msg.ocpp && msg.ocpp.MessageId, 'answered');
return null;`;
// ClusterUnavailable says in its text whether the request may have reached the station.
const FAILED = `${SETTLE}
const o = msg.ocpp || {};
const id = (msg.payload && msg.payload.MessageId) || o.MessageId;
const text = String(msg.error && msg.error.message);
let reason = o.failure ? o.failure : o.msgType === 4 ? 'CALLERROR ' + o.ErrorCode : 'error: ' + text.slice(0, 80);
if (reason === 'ClusterUnavailable') reason += /may have been sent/.test(text) ? ' (may have been sent)' : ' (not sent)';
settle(id, reason, text.slice(0, 300));
return null;`;
const LIST_FAILED = `const s = global.get('csoak');
const r = (msg.ocpp && msg.ocpp.failure) || String(msg.error && msg.error.message).slice(0, 80);
s.listFailed[r] = (s.listFailed[r] || 0) + 1;
s.listFailedAt = Date.now();
return null;`;
const ERRORS = `const s = global.get('csoak');
const text = ((msg.error && msg.error.source && msg.error.source.type) || '?') + ': ' + String(msg.error && msg.error.message).replace(/[0-9]+/g, 'N').slice(0, 200);
s.errors[text] = (s.errors[text] || 0) + 1;
return null;`;

function clusterSoakFlow({ ocppPort, redisPort, instance, csPerS }) {
  const z = 'csoak.tab';
  const fn = (id, name, func, wires, x, y, extra = {}) => ({ id, z, type: 'function', name, func, outputs: 1, timeout: 0, noerr: 0, initialize: INIT, finalize: '', libs: [], x, y, wires: [wires], ...extra });
  return [
    { id: z, type: 'tab', label: 'OCPP cluster soak', disabled: false, info: 'bench/soak-cluster.js' },
    { id: 'csoak.cl', type: 'ocpp-cluster', name: '', url: `redis://127.0.0.1:${redisPort}/0`, prefix: 'csoak', instance, maxPending: 10000 },
    {
      id: 'csoak.cs', z, type: 'CS server', name: `soak CS ${instance}`, port: String(ocppPort), portType: 'num',
      enabled15: false, enabled16: false, path16: '', enabled16j: true, path16j: '/ocpp', json16: true,
      log: false, pathlog: '', cluster: 'csoak.cl', x: 130, y: 80, wires: [['csoak.answer'], []],
      // Every station comes through HAProxy, from 127.0.0.1.
      maxHttpConnections: 1000000, maxHttpConnectionsPerIp: 1000000,
    },
    fn('csoak.answer', 'answer', ANSWER, ['csoak.resp'], 330, 80),
    { id: 'csoak.resp', z, type: 'server response', name: '', x: 540, y: 80, wires: [] },
    { id: 'csoak.tick', z, type: 'inject', name: 'every second', props: [], repeat: '1', crontab: '', once: true, onceDelay: '1', topic: '', x: 130, y: 160, wires: [['csoak.online']] },
    { id: 'csoak.online', z, type: 'CS request JSON', name: 'online list (whole cluster)', remotecb: '', command: 'LOCAL_GET_ONLINE_LIST', cmddata: '', log: false, pathlog: '', timeout: 10, x: 320, y: 160, wires: [['csoak.pick']] },
    { id: 'csoak.listcatch', z, type: 'catch', name: 'online list failed', scope: ['csoak.online'], uncaught: false, x: 320, y: 220, wires: [['csoak.listfailed']] },
    fn('csoak.listfailed', 'count', LIST_FAILED, [], 500, 220),
    fn('csoak.pick', 'pick stations', PICK.replace('PER_TICK', String(Math.max(1, Math.round(csPerS)))).replace('INSTANCE', JSON.stringify(instance)), ['csoak.req'], 500, 160),
    { id: 'csoak.req', z, type: 'CS request JSON', name: 'CS request', remotecb: '', command: '', cmddata: '', log: false, pathlog: '', timeout: CS_TIMEOUT_S, x: 680, y: 160, wires: [['csoak.ok']] },
    fn('csoak.ok', 'answered', OK, [], 870, 160),
    { id: 'csoak.catch', z, type: 'catch', name: 'CS request failed', scope: ['csoak.req'], uncaught: false, x: 680, y: 280, wires: [['csoak.failed']] },
    fn('csoak.failed', 'failed', FAILED, [], 870, 280),
    { id: 'csoak.catchall', z, type: 'catch', name: 'other errors', scope: null, uncaught: true, x: 130, y: 340, wires: [['csoak.errors']] },
    fn('csoak.errors', 'count errors', ERRORS, [], 330, 340),
    { id: 'csoak.get', z, type: 'http in', name: '', url: '/soak/counters', method: 'get', upload: false, swaggerDoc: '', x: 140, y: 400, wires: [['csoak.read']] },
    fn('csoak.read', 'counters', `msg.payload = global.get('csoak');\nreturn msg;`, ['csoak.http'], 330, 400),
    { id: 'csoak.post', z, type: 'http in', name: '', url: '/soak/stop', method: 'post', upload: false, swaggerDoc: '', x: 140, y: 460, wires: [['csoak.stop']] },
    fn('csoak.stop', 'stop CS requests', `global.get('csoak').stopped = true;\nmsg.payload = { stopped: true };\nreturn msg;`, ['csoak.http'], 330, 460),
    { id: 'csoak.http', z, type: 'http response', name: '', statusCode: '', headers: {}, x: 530, y: 430, wires: [] },
  ];
}

/** settings.js: the bench settings, plus the journal function the flow writes through. */
function instanceSettings() {
  const journal = `functionGlobalContext: { journal: (r) => require('fs').appendFileSync(require('path').join(__dirname, 'journal.jsonl'), JSON.stringify(r) + '\\n') },`;
  return settingsJs({ nodesDir: [root], deny: ['node-red-contrib-ocpp'] }).replace('module.exports = {', `module.exports = {\n  ${journal}`);
}

// ---------------------------------------------------------------- processes
const owned = new Set(); // child processes this run started, killed on the way out

/** A Node-RED instance in `userDir` on fixed ports, so that it can be started again after a kill. */
function spawnRed(inst) {
  const red = require.resolve('node-red/red.js', { paths: [root] });
  const script = 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"';
  const child = spawn('bash', ['-c', script, process.execPath, red, '--title', `ocpp-csoak-${inst.name}`, '--userDir', inst.userDir, '--port', String(inst.uiPort), '--settings', path.join(inst.userDir, 'settings.js'), path.join(inst.userDir, 'flows.json')], {
    cwd: inst.userDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  owned.add(child);
  const proc = { child, pid: child.pid, exit: null, started: Date.now() };
  child.once('exit', (code, signal) => {
    proc.exit = { code, signal, t: Date.now() };
    owned.delete(child);
  });
  let partial = '';
  const onData = (d) => {
    const lines = (partial + d).split('\n');
    partial = lines.pop();
    for (const line of lines) inst.onLine(line);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  inst.proc = proc;
  return proc;
}

async function waitFor(what, fn, ms) {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v) return v;
    if (Date.now() > until) throw new Error(`${what}: not within ${ms / 1000} s`);
    await sleep(200);
  }
}

const request = (port, method, urlPath, body) => requestJson(port, method, urlPath, body, {}, 30000);
const counters = (inst) => request(inst.uiPort, 'GET', '/soak/counters').then((r) => (r.status === 200 ? JSON.parse(r.text) : null));

/** Starts (or starts again) an instance; resolves once its OCPP port is open and its flow answers. */
async function startInstance(inst) {
  const proc = spawnRed(inst);
  await waitFor(`instance ${inst.name}: OCPP port ${inst.ocppPort}`, async () => {
    if (proc.exit) throw new Error(`instance ${inst.name} exited during start-up: ${JSON.stringify(proc.exit)}\n${inst.tail.join('\n')}`);
    return portOpen(inst.ocppPort);
  }, 90000).catch((e) => {
    if (proc.exit) throw new Error(`instance ${inst.name} exited during start-up: ${JSON.stringify(proc.exit)}\n${inst.tail.join('\n')}`);
    throw e;
  });
  await waitFor(`instance ${inst.name}: /soak/counters`, () => counters(inst), 30000);
  return Date.now() - proc.started;
}

/** HAProxy in front of the instances: docs/cluster/haproxy.cfg's settings, one server line per instance. */
async function startHaproxy(dir, bindPort, instances, maxconn) {
  const bin = ['haproxy', '/usr/sbin/haproxy'].find((b) => spawnSync('sh', ['-c', `command -v ${b} || test -x ${b}`]).status === 0);
  if (!bin) throw new Error('haproxy is not installed: node scripts/ensure.js installs it on Debian as root; else apt-get install -y haproxy');
  const cfg = [
    'global',
    `    maxconn ${maxconn}`,
    'defaults',
    '    mode http',
    '    option http-server-close',
    '    timeout connect 2s',
    '    timeout client 30s',
    '    timeout server 30s',
    '    timeout tunnel 1h',
    '    retries 2',
    '    option redispatch',
    'frontend ocpp',
    `    bind 127.0.0.1:${bindPort}`,
    '    default_backend central_system',
    'backend central_system',
    '    balance leastconn',
    '    default-server check inter 500ms fall 2 rise 2',
    ...instances.map((i) => `    server ${i.name} 127.0.0.1:${i.ocppPort}`),
    '',
  ].join('\n');
  const file = path.join(dir, 'haproxy.cfg');
  fs.writeFileSync(file, cfg);
  const script = 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"';
  const child = spawn('bash', ['-c', script, bin, '-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  owned.add(child);
  let output = '';
  child.stdout.on('data', (d) => (output = (output + d).slice(-20000)));
  child.stderr.on('data', (d) => (output = (output + d).slice(-20000)));
  child.once('exit', () => owned.delete(child));
  await waitFor('haproxy', async () => {
    if (child.exitCode !== null) throw new Error(`haproxy did not start:\n${output}`);
    return portOpen(bindPort);
  }, 10000);
  return { pid: child.pid, port: bindPort, config: cfg, output: () => output, exited: () => child.exitCode !== null || child.signalCode !== null };
}


function killOwned() {
  for (const c of owned) {
    try {
      c.kill('SIGKILL');
    } catch (_) {
      /* gone */
    }
  }
}

// ---------------------------------------------------------------- the run
async function run(opts, argv) {
  const addon = path.join(root, 'native', `ocpp-rs.${process.platform}-${process.arch}.node`);
  if (!fs.existsSync(addon)) throw new Error(`no ${path.relative(root, addon)}: build the engine first (npm run build)`);
  const started = new Date();
  const command = `npm run soak -- --cluster${argv.length ? ` ${argv.join(' ')}` : ''}`;
  const file = opts.out || path.join(__dirname, 'results', `soak-cluster-${started.toISOString().replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')}.json`);
  const durationMs = opts.minutes * 60000;
  const full = opts.minutes >= 20 && opts.stations >= 3000;
  progress(`cluster soak: ${opts.instances} instances behind HAProxy, ${opts.stations} stations, ${opts.minutes} min${full ? '' : ' [smoke run]'}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocpp-csoak-'));

  const redisPort = await freePort();
  let redis = await startRedis(redisPort);
  const logKinds = {};
  const instances = [];
  for (const name of NAMES.slice(0, opts.instances)) {
    const inst = { name, ocppPort: await freePort(), uiPort: await freePort(), userDir: path.join(dir, name), tail: [], restarts: [] };
    inst.onLine = (line) => {
      inst.tail.push(line);
      if (inst.tail.length > 60) inst.tail.shift();
      const m = /\[(warn|error)\] (\[[^\]]*\])?\s*(.*)$/.exec(line);
      if (m && !line.includes('[bench-log]')) inc(logKinds, `${m[1]} ${m[2] || ''} ${m[3].replace(/[0-9a-f]{8,}/gi, 'X').replace(/\d+/g, 'N')}`.slice(0, 240));
    };
    fs.mkdirSync(inst.userDir);
    fs.writeFileSync(path.join(inst.userDir, 'settings.js'), instanceSettings());
    fs.writeFileSync(path.join(inst.userDir, 'flows.json'), JSON.stringify(clusterSoakFlow({ ocppPort: inst.ocppPort, redisPort, instance: name, csPerS: opts.csPerS }), null, 2));
    instances.push(inst);
  }
  const haproxyPort = await freePort();
  let pool = null;
  const finish = async () => {
    killOwned();
    if (redis) await redis.stop().catch(() => null);
  };
  process.on('SIGINT', () => finish().then(() => process.exit(130)));
  process.on('SIGTERM', () => finish().then(() => process.exit(143)));
  try {
    const startMs = await Promise.all(instances.map(startInstance));
    instances.forEach((inst, i) => progress(`instance ${inst.name}: pid ${inst.proc.pid}, OCPP ${inst.ocppPort}, admin ${inst.uiPort}, up in ${startMs[i]} ms`));
    const haproxy = await startHaproxy(dir, haproxyPort, instances, Math.max(8000, opts.stations * 3));
    progress(`redis-server on ${redisPort}, haproxy pid ${haproxy.pid} on ${haproxyPort}`);
    pool = await startPool();
    const baseline = Object.fromEntries(instances.map((i) => [i.name, { rss_mb: round(rssKb(i.proc.pid) / 1024), fds: fdCount(i.proc.pid) }]));

    // -------- sampling
    const t0 = Date.now();
    const at = () => round((Date.now() - t0) / 1000, 1);
    const samples = [];
    const faults = [];
    const unexpectedExits = [];
    let last = null;
    const takeSample = async (phase) => {
      const stats = await pool.ask('stats').catch(() => null);
      const s = { t_s: at(), phase, open_links: stats && stats.open, calls_sent: stats && stats.sent, inflight: stats && stats.inflight, server_calls: stats && stats.server_calls, pool_rss_mb: round(rssKb(pool.pid) / 1024), haproxy_rss_mb: round(rssKb(haproxy.pid) / 1024), instances: {} };
      for (const inst of instances) {
        const p = inst.proc;
        if (p.exit && !p.expectedExit && !unexpectedExits.some((u) => u.pid === p.pid)) unexpectedExits.push({ instance: inst.name, pid: p.pid, at_s: round((p.exit.t - t0) / 1000, 1), ...p.exit, tail: inst.tail.slice(-20) });
        const cpu = procCpuS(p.pid);
        const prev = last && last.cpu[inst.name];
        s.instances[inst.name] = {
          pid: p.pid,
          rss_mb: p.exit ? null : round(rssKb(p.pid) / 1024),
          fds: p.exit ? null : fdCount(p.pid),
          cpu_pct: prev && cpu !== null && prev.pid === p.pid ? Math.round(((cpu - prev.s) * 100000) / Math.max(1, Date.now() - prev.t)) : null,
        };
      }
      last = { cpu: Object.fromEntries(instances.map((i) => [i.name, { pid: i.proc.pid, s: procCpuS(i.proc.pid), t: Date.now() }])) };
      samples.push(s);
      return s;
    };

    await pool.ask('start', {
      config: {
        t0,
        url: `ws://127.0.0.1:${haproxyPort}/ocpp`,
        soapUrl: `http://127.0.0.1:${haproxyPort}/ocpp16s`,
        prefix: 'CK',
        stations: opts.stations,
        interval: opts.interval,
        churn: opts.churn,
        badShare: 0,
        badProb: 0,
        churnMinS: 2,
        churnMaxS: 8,
        churnDownMinS: 0.5,
        churnDownMaxS: 2,
        reconnectSpreadS: 5,
        ramp: opts.ramp,
        callTimeoutS: CALL_TIMEOUT_S,
        soapPerS: 0,
        soapStations: 1,
      },
    });
    const sampler = setInterval(() => {
      takeSample('run')
        .then((s) => {
          if (Math.round(s.t_s) % 30 < opts.sample) progress(`  ${fmtTime(s.t_s)}  links ${s.open_links}  CALLs ${s.calls_sent}  CS CALLs received ${s.server_calls}  ${Object.entries(s.instances).map(([k, v]) => `${k}: ${v.rss_mb} MB ${v.fds} fds ${v.cpu_pct}%`).join('  ')}`);
        })
        .catch((e) => progress(`  sample failed: ${e.message}`));
    }, opts.sample * 1000);

    // -------- the faults, at their times
    const victim = instances[1];
    const plan = [];
    const rejoins = [];
    if (opts.killAt > 0) plan.push({ at: opts.killAt * durationMs, kind: 'kill' });
    if (opts.redisAt > 0) plan.push({ at: opts.redisAt * durationMs, kind: 'redis' });
    plan.sort((a, b) => a.at - b.at);
    for (const step of plan) {
      while (Date.now() - t0 < step.at) await sleep(Math.min(500, step.at - (Date.now() - t0)));
      if (step.kind === 'kill') {
        const f = { kind: 'kill -9 and restart', instance: victim.name, pid: victim.proc.pid, t_s: at(), t_ms: Date.now() };
        const before = await counters(victim).catch(() => null);
        f.pending_before_kill_by_counters = before ? Object.keys(before.pending).length : null;
        victim.proc.expectedExit = true;
        const exited = new Promise((r) => (victim.proc.exit ? r() : victim.proc.child.once('exit', r)));
        process.kill(victim.proc.pid, 'SIGKILL');
        await exited;
        f.dead_s = at();
        progress(`  ${fmtTime(f.t_s)}  FAULT: kill -9 instance ${victim.name} (pid ${f.pid}); starting it again on the same userDir, ports and instance id`);
        victim.restarts.push(f);
        f.restart_ms = await startInstance(victim);
        f.new_pid = victim.proc.pid;
        f.back_s = at();
        progress(`  ${fmtTime(f.back_s)}  instance ${victim.name} back: pid ${f.new_pid}, OCPP port open and flow running ${f.restart_ms} ms after the start`);
        faults.push(f);
        rejoins.push(rejoined(f, [victim], t0));
      } else {
        const f = { kind: 'redis-server restarted (kill, start on the same port, empty)', port: redisPort, t_s: at(), t_ms: Date.now() };
        await redis.stop();
        f.dead_s = at();
        redis = null;
        redis = await startRedis(redisPort);
        f.back_s = at();
        f.down_ms = Date.now() - f.t_ms;
        progress(`  ${fmtTime(f.t_s)}  FAULT: redis-server killed and started again (${f.down_ms} ms down)`);
        faults.push(f);
        rejoins.push(rejoined(f, instances, t0));
      }
    }
    while (Date.now() - t0 < durationMs) await sleep(Math.min(500, durationMs - (Date.now() - t0)));
    const runEndS = at();
    clearInterval(sampler);
    await Promise.all(rejoins);
    const endSample = await takeSample('end');

    // -------- drain: no new requests anywhere, every one in flight settles
    progress(`  ${fmtTime(runEndS)}  stopping: no new CALLs, draining what is in flight...`);
    await Promise.all(instances.map((i) => request(i.uiPort, 'POST', '/soak/stop', {}).catch(() => null)));
    const [drain] = await Promise.all([
      pool.ask('stop', { drainS: 75 }),
      (async () => {
        const until = Date.now() + (CS_TIMEOUT_S + CLUSTER_GRACE_S + 10) * 1000;
        while (Date.now() < until) {
          const cs = await Promise.all(instances.map((i) => counters(i).catch(() => null)));
          if (cs.every((c) => c && Object.keys(c.pending).length === 0)) return;
          await sleep(250);
        }
      })(),
    ]);
    await sleep(1000);
    const finalCounters = Object.fromEntries(await Promise.all(instances.map(async (i) => [i.name, await counters(i).catch((e) => ({ error: e.message }))])));
    const stations = await pool.ask('report');
    await takeSample('drained');
    await pool.ask('close');
    await pool.ask('exit').catch(() => null);
    const journals = Object.fromEntries(instances.map((i) => [i.name, readJournal(path.join(i.userDir, 'journal.jsonl'))]));
    const haproxyExited = haproxy.exited();
    for (const inst of instances) {
      inst.proc.expectedExit = true;
      inst.proc.child.kill('SIGTERM');
    }
    await Promise.all(instances.map((i) => Promise.race([new Promise((r) => (i.proc.exit ? r() : i.proc.child.once('exit', r))), sleep(15000)])));
    await finish();
    redis = null;

    const report = analyse({ opts, full, started, command, t0, runEndS, samples, endSample, baseline, faults, unexpectedExits, drain, finalCounters, stations, journals, logKinds, haproxy: { config: haproxy.config, exited: haproxyExited } });
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
    if (opts.docs) writeDocs(report, file);
    printSummary(report, file);
    fs.rmSync(dir, { recursive: true, force: true });
    process.exitCode = report.criteria.some((c) => c.ok === false) ? 1 : 0;
  } catch (err) {
    for (const inst of instances) progress(`instance ${inst.name} log tail:\n${inst.tail.join('\n')}`);
    await finish();
    throw err;
  }
}

/**
 * Sets `f.cluster_back_s` once every instance in `insts` has listed the whole fleet (its
 * LOCAL_GET_ONLINE_LIST, which needs Redis and membership, succeeded) after the fault, or null after 120 s.
 */
async function rejoined(f, insts, t0) {
  const since = f.t_ms;
  const until = Date.now() + 120000;
  const back = new Set();
  while (Date.now() < until && back.size < insts.length) {
    for (const inst of insts) {
      const c = await counters(inst).catch(() => null);
      if (c && c.listOkAt > since && (!c.listFailedAt || c.listOkAt > c.listFailedAt)) back.add(inst.name);
    }
    if (back.size < insts.length) await sleep(250);
  }
  f.cluster_back_s = back.size === insts.length ? round((Date.now() - t0) / 1000, 1) : null;
  progress(`  ${fmtTime((Date.now() - t0) / 1000)}  after "${f.kind}": ${f.cluster_back_s === null ? `NOT every instance lists the fleet again within 120 s (${[...back].join(', ') || 'none'} did)` : `${insts.map((i) => i.name).join(', ')} list the whole fleet again`}`);
}

function readJournal(file) {
  if (!fs.existsSync(file)) return [];
  const out = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line));
    } catch (_) {
      out.push({ k: 'torn', line: line.slice(0, 200) }); // a line cut by the SIGKILL
    }
  }
  return out;
}

// ---------------------------------------------------------------- analysis
/**
 * Whether an outcome agrees with what the stations did with the request's id.
 * `received`: how often a station got it (0, 1, more); `how`: what the station did the first time.
 */
function agrees(outcome, received, how) {
  if (received > 1) return false; // sent twice
  if (outcome === 'answered') return received === 1 && how === 'answered';
  if (outcome === 'CALLERROR NotSupported') return received === 1 && how.startsWith('callerror NotSupported');
  // Not sent: nothing may have reached a station.
  if (outcome === 'NotConnected' || outcome === 'ClusterUnavailable (not sent)' || outcome === 'QueueFull') return received === 0;
  // Timeout, Disconnected, ClusterUnavailable (may have been sent): either way, once at most.
  return ['Timeout', 'Disconnected', 'ClusterUnavailable (may have been sent)'].includes(outcome);
}

function analyse(r) {
  const { opts } = r;
  const st = r.stations;
  const ids = st.serverCalls.ids;
  const dupReceived = st.serverCalls.duplicates || [];
  const receivedTimes = {};
  for (const id of Object.keys(ids)) receivedTimes[id] = 1;
  for (const d of dupReceived) receivedTimes[d.id] = (receivedTimes[d.id] || 1) + 1;

  // -------- the journals: every request sent, its outcomes
  const kill = r.faults.find((f) => f.kind.startsWith('kill'));
  const sent = new Map(); // id -> {instance, ...}
  const outcomesOf = new Map();
  const torn = {};
  for (const [name, lines] of Object.entries(r.journals)) {
    for (const l of lines) {
      if (l.k === 'S') sent.set(l.id, { instance: name, ...l });
      else if (l.k === 'O') {
        if (!outcomesOf.has(l.id)) outcomesOf.set(l.id, []);
        outcomesOf.get(l.id).push(l);
      } else inc(torn, name);
    }
  }
  const byOutcome = {};
  const byInstance = {};
  const duplicateOutcomes = [];
  const noOutcome = [];
  const cutByKill = [];
  const cross = {};
  const disagreements = [];
  let routed = 0;
  let routedKnown = 0;
  for (const [id, s] of sent) {
    const outs = outcomesOf.get(id) || [];
    const bi = (byInstance[s.instance] = byInstance[s.instance] || { sent: 0, outcomes: {} });
    bi.sent++;
    if (s.holder !== null && s.holder !== undefined) {
      routedKnown++;
      if (s.holder !== s.instance) routed++;
    }
    if (outs.length > 1) duplicateOutcomes.push({ id, outcomes: outs.map((o) => o.reason) });
    const received = receivedTimes[id] || 0;
    const how = ids[id] || 'not received';
    if (!outs.length) {
      // Sent by the killed process and not settled before it died: no node left to settle it.
      const died = kill && s.instance === kill.instance && s.t <= kill.t_ms && s.t >= kill.t_ms - (CS_TIMEOUT_S + CLUSTER_GRACE_S + 2) * 1000;
      const rec = { id, instance: s.instance, cbId: s.cbId, holder: s.holder, command: s.command, t_s: round((s.t - r.t0) / 1000, 1), station: how, received };
      if (died) cutByKill.push(rec);
      else noOutcome.push(rec);
      if (received > 1) disagreements.push({ ...rec, outcome: 'none' });
      continue;
    }
    const reason = outs[0].reason;
    inc(byOutcome, reason);
    inc(bi.outcomes, reason);
    inc(cross, `${reason} | station: ${received > 1 ? `received ${received} times` : how}`);
    if (!agrees(reason, received, how) && disagreements.length < 100) disagreements.push({ id, instance: s.instance, cbId: s.cbId, holder: s.holder, command: s.command, t_s: round((s.t - r.t0) / 1000, 1), outcome: reason, text: outs[0].text, station: how, received });
  }
  const outcomeWithoutRequest = [...outcomesOf.keys()].filter((id) => !sent.has(id));
  const receivedUnknown = Object.keys(ids).filter((id) => !sent.has(id));

  // -------- memory, per instance (each process of it)
  const run = r.samples.filter((s) => s.phase === 'run' || s.phase === 'end');
  const memory = {};
  for (const name of Object.keys(r.baseline)) {
    const procs = {};
    for (const s of run) {
      const v = s.instances[name];
      if (!v || v.rss_mb === null) continue;
      const p = (procs[v.pid] = procs[v.pid] || { pid: v.pid, first_s: s.t_s, first_rss_mb: v.rss_mb, max_rss_mb: 0, max_fds: 0 });
      p.max_rss_mb = Math.max(p.max_rss_mb, v.rss_mb);
      p.max_fds = Math.max(p.max_fds, v.fds || 0);
      p.last_s = s.t_s;
      p.last_rss_mb = v.rss_mb;
      p.last_fds = v.fds;
    }
    const e = r.endSample.instances[name];
    memory[name] = { baseline: r.baseline[name], end: { rss_mb: e.rss_mb, fds: e.fds }, processes: Object.values(procs) };
  }

  const stationLost = st.inflight_at_end.length + (st.calls.outcomes.timeout || 0);
  const fc = r.finalCounters;
  const report = {
    date: r.started.toISOString(),
    command: r.command,
    smoke: !r.full,
    machine: machine(),
    engine: engineVersion(),
    options: { ...opts, cs_timeout_s: CS_TIMEOUT_S, station_call_timeout_s: CALL_TIMEOUT_S },
    duration_s: r.runEndS,
    faults: r.faults.map(({ t_ms, ...f }) => f), // eslint-disable-line no-unused-vars
    unexpected_exits: r.unexpectedExits,
    haproxy: r.haproxy,
    memory,
    stations: {
      calls_sent: st.calls.sent,
      calls_settled: st.calls.settled,
      outcomes: st.calls.outcomes,
      by_action: st.calls.byAction,
      latency: st.latency,
      lost: stationLost,
      inflight_at_end: st.inflight_at_end,
      unmatched_answers: st.calls.unmatched,
      links: { attempts: st.links.attempts, opened: st.links.opened, closes: st.links.closes, connect_failures: st.links.connectFailures, server_closes_by_second: st.links.serverCloses, connect_failures_by_second: st.links.connectFailuresBySecond },
      server_calls: { received: st.serverCalls.received, by_command: st.serverCalls.byCommand, handled: st.serverCalls.handled, received_twice: dupReceived },
      drain: r.drain,
    },
    cs_requests: {
      sent: sent.size,
      routed_share: routedKnown ? round(routed / routedKnown, 3) : null,
      outcomes: byOutcome,
      by_instance: byInstance,
      cut_by_kill: cutByKill,
      without_outcome: noOutcome,
      duplicate_outcomes: duplicateOutcomes,
      outcomes_without_request: outcomeWithoutRequest.slice(0, 50),
      outcome_vs_station: cross,
      disagreements,
      received_by_stations_without_record: receivedUnknown.slice(0, 50),
      torn_journal_lines: torn,
      online_list_failures: Object.fromEntries(Object.entries(fc).map(([k, c]) => [k, (c && c.listFailed) || {}])),
      no_station_ticks: Object.fromEntries(Object.entries(fc).map(([k, c]) => [k, c && c.noStation])),
      station_calls_in_flow: Object.fromEntries(Object.entries(fc).map(([k, c]) => [k, c && c.requests])),
      caught_errors: Object.fromEntries(Object.entries(fc).map(([k, c]) => [k, c && c.errors])),
    },
    node_red_log: { warnings_and_errors: r.logKinds },
    samples: r.samples,
  };
  report.criteria = criteria(report, opts);
  return report;
}

function criteria(rep, opts) {
  const out = [];
  const add = (name, ok, detail) => out.push({ name, ok: Boolean(ok), detail });
  const s = rep.stations;
  const c = rep.cs_requests;
  const list = (o) => Object.entries(o || {}).sort((x, y) => y[1] - x[1]).map(([k, v]) => `${k}: ${v}`).join('; ') || 'none';
  add('every instance ran to the end (but for the planned kill)', rep.unexpected_exits.length === 0 && !rep.haproxy.exited, rep.unexpected_exits.length ? `exited: ${rep.unexpected_exits.map((u) => `${u.instance} at ${u.at_s} s (${u.signal || u.code})`).join(', ')}` : `no unplanned exit${rep.haproxy.exited ? '; HAProxy EXITED' : ''}`);
  const want = (opts.killAt > 0 ? 1 : 0) + (opts.redisAt > 0 ? 1 : 0);
  add('the faults happened, and the cluster came back from each', rep.faults.length === want && rep.faults.every((f) => f.cluster_back_s !== null && f.cluster_back_s !== undefined), rep.faults.map((f) => `${f.kind}${f.instance ? ` ${f.instance}` : ''} at ${f.t_s} s, process back at ${f.back_s} s, ${f.instance ? 'in the cluster again' : 'every instance in the cluster again'} at ${f.cluster_back_s ?? 'NEVER'} s`).join('; ') || 'none planned');
  add('no CS request delivered twice to a station', s.server_calls.received_twice.length === 0 && !Object.keys(c.outcome_vs_station).some((k) => k.includes('received ') && k.includes(' times')), `${s.server_calls.received} CS CALLs received by the stations, ${s.server_calls.received_twice.length} ids received more than once${s.server_calls.received_twice.length ? `: ${JSON.stringify(s.server_calls.received_twice.slice(0, 5))}` : ''}`);
  const settled = sum(c.outcomes);
  add('every CS request got exactly one outcome (but those in flight on the instance when it was killed)', c.without_outcome.length === 0 && c.duplicate_outcomes.length === 0 && c.outcomes_without_request.length === 0, `${c.sent} sent (${c.routed_share === null ? '?' : Math.round(c.routed_share * 100)}% routed to another instance), ${settled} outcomes (${list(c.outcomes)}), ${c.cut_by_kill.length} in flight on the killed instance (its process died with them), ${c.without_outcome.length} without outcome otherwise, ${c.duplicate_outcomes.length} with two outcomes`);
  add('CS request outcomes agree with what the stations received (answered => received once)', c.disagreements.length === 0 && c.received_by_stations_without_record.length === 0, `${c.disagreements.length} disagreements${c.disagreements.length ? ` (${c.disagreements.slice(0, 3).map((d) => `${d.id}: ${d.outcome} / ${d.station} x${d.received}`).join(', ')})` : ''}, ${c.received_by_stations_without_record.length} requests the stations got that no journal has`);
  const reasons = Object.keys(s.outcomes).filter((k) => k !== 'answered' && k !== 'timeout');
  add('every station CALL answered or failed with a reason', s.calls_settled === s.calls_sent && s.lost === 0, `${s.calls_sent} sent, ${s.outcomes.answered || 0} answered, ${s.calls_settled - (s.outcomes.answered || 0) - (s.outcomes.timeout || 0)} failed with a reason (${reasons.map((k) => `${k}: ${s.outcomes[k]}`).join('; ') || 'none'}), ${s.outcomes.timeout || 0} timed out, ${s.inflight_at_end.length} in flight at the end`);
  return out;
}

// ---------------------------------------------------------------- output
const verdict = (c) => (c.ok ? 'PASS' : 'FAIL');
function printSummary(rep, file) {
  console.log(`\ncluster soak ${rep.smoke ? '(smoke run) ' : ''}${rep.options.instances} instances, ${rep.options.stations} stations, ${round(rep.duration_s / 60, 2)} min`);
  for (const f of rep.faults) console.log(`fault: ${f.kind}${f.instance ? ` ${f.instance}` : ''} at ${fmtTime(f.t_s)}, process back at ${fmtTime(f.back_s)}, in the cluster again at ${f.cluster_back_s === null ? 'NEVER' : fmtTime(f.cluster_back_s)}`);
  for (const [name, m] of Object.entries(rep.memory)) console.log(`instance ${name}: RSS ${m.baseline.rss_mb} MB before any station, ${m.end.rss_mb} MB at the end; ${m.processes.map((p) => `pid ${p.pid}: max ${p.max_rss_mb} MB, ${p.max_fds} fds`).join('; ')}`);
  console.log('\nsuccess criteria:');
  for (const c of rep.criteria) console.log(`  ${verdict(c)}  ${c.name}: ${c.detail}`);
  const failed = rep.criteria.some((c) => !c.ok);
  console.log(`\n${failed ? 'FAIL: see above' : 'PASS: nothing sent twice, every CS request and station CALL answered or failed with a reason'}`);
  console.log(`results: ${path.relative(process.cwd(), file)}`);
}

const BLOCK = (kind) => [`<!-- soak:${kind}:start (written by bench/soak-cluster.js) -->`, `<!-- soak:${kind}:end -->`];

function writeDocs(rep, file) {
  const kind = rep.smoke ? 'cluster-smoke' : 'cluster';
  const doc = path.join(root, 'docs', 'RELIABILITY.md');
  let text = fs.readFileSync(doc, 'utf8');
  const [a, b] = BLOCK(kind);
  const section = `${a}\n${markdown(rep, path.relative(root, file))}\n${b}`;
  const i = text.indexOf(a);
  const j = text.indexOf(b);
  text = i >= 0 && j > i ? text.slice(0, i) + section + text.slice(j + b.length) : `${text.trimEnd()}\n\n${section}\n`;
  fs.writeFileSync(doc, text);
  progress(`wrote ${path.relative(process.cwd(), doc)} (${kind} section)`);
}

function markdown(rep, resultsFile) {
  const s = rep.stations;
  const c = rep.cs_requests;
  const mc = rep.machine;
  const n = (v) => (v === null || v === undefined ? '–' : Number(v).toLocaleString('en-US'));
  const list = (o) => Object.entries(o || {}).sort((x, y) => y[1] - x[1]).map(([k, v]) => `${k}: ${n(v)}`).join('; ') || 'none';
  const title = rep.smoke
    ? `### Cluster smoke run (${round(rep.duration_s / 60, 1)} min, ${rep.options.instances} instances, ${n(rep.options.stations)} stations): a check that the cluster soak works, not the soak`
    : `### Cluster soak: ${round(rep.duration_s / 60, 1)} min, ${rep.options.instances} instances behind HAProxy, ${n(rep.options.stations)} stations`;
  const listFailed = {};
  for (const o of Object.values(c.online_list_failures)) for (const [k, v] of Object.entries(o)) inc(listFailed, k, v);
  return [
    title,
    '',
    `${rep.date.slice(0, 16).replace('T', ' ')} UTC, checkout ${rep.engine.commit} (branch ${rep.engine.branch}), addon built ${rep.engine.addon_built.slice(0, 16).replace('T', ' ')}.`,
    '',
    '```sh',
    rep.command,
    '```',
    '',
    `Machine: ${mc.nproc} cores ${mc.cpu_model}, ${mc.memory_gb} GB, ${mc.kernel}, Node ${mc.node}, Node-RED ${mc.node_red}; other work was running on it. Results: \`${resultsFile}\`.`,
    '',
    'Faults (minutes:seconds from the start of the stations):',
    '',
    ...rep.faults.map((f) => `- ${fmtTime(f.t_s)}: ${f.kind}${f.instance ? ` (instance ${f.instance}, pid ${f.pid} -> ${f.new_pid}; its OCPP port open and flow running again ${n(f.restart_ms)} ms after the start)` : ` (down ${n(f.down_ms)} ms)`}; ${f.instance ? 'in the cluster again (its online list works)' : 'every instance in the cluster again'} at ${f.cluster_back_s === null ? 'NEVER' : fmtTime(f.cluster_back_s)}`),
    '',
    '| what | count | outcome |',
    '|---|---:|---|',
    `| CS requests (${rep.options.cs_per_s ?? rep.options.csPerS}/s from each instance, to stations across the fleet; ${c.routed_share === null ? '?' : Math.round(c.routed_share * 100)}% routed) | ${n(c.sent)} | ${list(c.outcomes)}; in flight on the killed instance: ${c.cut_by_kill.length}; without outcome otherwise: ${c.without_outcome.length}; two outcomes: ${c.duplicate_outcomes.length} |`,
    `| CS CALLs the stations received | ${n(s.server_calls.received)} | ${list(s.server_calls.handled)}; received twice: ${s.server_calls.received_twice.length} |`,
    `| station CALLs | ${n(s.calls_sent)} | ${list(s.outcomes)}; in flight at the end: ${s.inflight_at_end.length} |`,
    `| station links (through HAProxy) | ${n(s.links.opened)} opened | closes: ${list(s.links.closes)}; connect failures: ${list(s.links.connect_failures)} |`,
    `| online list (LOCAL_GET_ONLINE_LIST, every second per instance) | | failed: ${list(listFailed)} |`,
    '',
    'Outcome against what the station did with the request:',
    '',
    '| outcome \\| station | requests |',
    '|---|---:|',
    ...Object.entries(c.outcome_vs_station).sort((x, y) => y[1] - x[1]).map(([k, v]) => `| ${k.replace('|', '\\|')} | ${n(v)} |`),
    '',
    '| instance | RSS before any station MB | RSS at the end MB | max RSS MB (per process) | max fds (per process) |',
    '|---|---:|---:|---:|---:|',
    ...Object.entries(rep.memory).map(([k, m]) => `| ${k} | ${m.baseline.rss_mb} | ${m.end.rss_mb} | ${m.processes.map((p) => p.max_rss_mb).join(' / ')} | ${m.processes.map((p) => p.max_fds).join(' / ')} |`),
    '',
    `Station CALL latency: p50 ${s.latency.p50_ms} ms, p99 ${s.latency.p99_ms} ms, max ${s.latency.max_ms} ms. Node-RED log, warnings and errors: ${list(rep.node_red_log.warnings_and_errors)}.`,
    '',
    '**Success criteria**',
    '',
    ...rep.criteria.map((x) => `- ${x.ok ? 'PASS' : '**FAIL**'} ${x.name}: ${x.detail}`),
  ].join('\n');
}

/** Entry point: `argv` without `--cluster` (bench/soak.js hands `--cluster` runs over). */
function main(argv) {
  const opts = parse(argv);
  if (opts.docsFrom) return writeDocs(JSON.parse(fs.readFileSync(opts.docsFrom, 'utf8')), opts.docsFrom);
  return run(opts, argv).catch((err) => {
    console.error(err);
    killOwned();
    process.exit(1);
  });
}

module.exports = { main, agrees, criteria, clusterSoakFlow };
if (require.main === module) main(process.argv.slice(2));
