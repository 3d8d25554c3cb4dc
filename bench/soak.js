#!/usr/bin/env node
// Soak: OCPP-J stations with churn against our CS server in its own Node-RED
// process for a bounded time, redeploying the flow every minute, while RSS and
// open file descriptors of Node-RED are sampled and every CALL is accounted for
// on both sides. Node built-ins and `ws` only.
//
//   npm run soak                                  10 minutes, 5,000 stations
//   npm run soak -- --minutes 2 --stations 500    a short smoke run
//   node bench/soak.js --help
//
// Writes bench/results/soak-<date>.json, docs/soak.svg (docs/soak-smoke.svg for
// runs shorter than 10 minutes or with fewer than 5,000 stations) and its
// section of docs/RELIABILITY.md; prints the success criteria and exits 1 when
// one fails.
'use strict';
const fs = require('fs');
const path = require('path');
const { root, settingsJs, rssKb, procCpuS, fdCount, nofileLimit, sleep, getJson, startRed, machine, cleanup } = require('./lib/red');
const { plotSoak, svgName, sectionSuffix } = require('./soak-plot');
const { request, startPool, ANSWER_BY_COMMAND, engineVersion } = require('./lib/soak-pool');

const USAGE = `node bench/soak.js [options]      (npm run soak -- [options])
  --minutes N           soak duration (10)
  --stations N          OCPP-J 1.6 stations (5000)
  --warmup-minutes N    excluded from the slopes (default: 2, or a quarter of a run under 8 minutes)
  --interval S          a station sends a CALL every S seconds on average (10)
  --churn F             share of stations that disconnect and reconnect every few seconds (0.1)
  --bad F               share of stations that now and then send a bad frame (0.05)
  --redeploy-every S    full redeploy through the admin API every S seconds (60; 0 = never)
  --cs-per-s N          CS requests (TriggerMessage / GetConfiguration) the flow sends a second (1)
  --soap-per-s N        SOAP 1.6 Heartbeat POSTs a second on the same port (5)
  --ramp N              station connections a second at the start (500)
  --sample S            seconds between two samples of RSS and fds (3)
  --rss-slope MB        "flat": RSS slope after warm-up under this many MB a minute (1)
  --fd-slope N          "flat": fd slope after warm-up under this many fds a minute (1)
  --out FILE            results file (default bench/results/soak-<date>.json)
  --no-docs             don't write docs/RELIABILITY.md and the SVG
  --docs-from FILE      no run: write the docs section and SVG of an earlier results file
  --gc-each-redeploy    diagnostic: Node-RED runs with --expose-gc, and once a redeploy cycle (just before the
                        redeploy) a full GC is forced and V8's live heap recorded (it changes RSS's course)
  --node-red-5          run Node-RED 5 on Node 24 (installed into .node-red-5/ like npm run test:node-red-5)
                        instead of the repository's Node-RED 4 on this Node
  --cluster             the cluster soak instead (bench/soak-cluster.js): instances behind HAProxy on one
                        Redis, one killed and restarted, Redis restarted; --cluster --help for its options
A run of 60 minutes or more writes its own section per Node-RED major (docs/soak-hour-node-red-<N>.svg).`;

// ---------------------------------------------------------------- options
const argv = process.argv.slice(2);
// --cluster: bench/soak-cluster.js runs instead, with the other options.
if (argv.includes('--cluster')) {
  require('./soak-cluster').main(argv.filter((a) => a !== '--cluster'));
  return;
}
const opts = {
  minutes: 10,
  stations: 5000,
  warmupMinutes: null,
  interval: 10,
  churn: 0.1,
  bad: 0.05,
  redeployEvery: 60,
  csPerS: 1,
  soapPerS: 5,
  ramp: 500,
  sample: 3,
  rssSlope: 1,
  fdSlope: 1,
  out: null,
  docs: true,
};
const FLAGS = {
  '--minutes': 'minutes',
  '--stations': 'stations',
  '--warmup-minutes': 'warmupMinutes',
  '--interval': 'interval',
  '--churn': 'churn',
  '--bad': 'bad',
  '--redeploy-every': 'redeployEvery',
  '--cs-per-s': 'csPerS',
  '--soap-per-s': 'soapPerS',
  '--ramp': 'ramp',
  '--sample': 'sample',
  '--rss-slope': 'rssSlope',
  '--fd-slope': 'fdSlope',
};
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--help' || a === '-h') {
    console.log(USAGE);
    process.exit(0);
  } else if (a === '--no-docs') opts.docs = false;
  else if (a === '--node-red-5') opts.nodeRed5 = true;
  else if (a === '--gc-each-redeploy') opts.gcEachRedeploy = true;
  else if (a === '--docs-from') opts.docsFrom = path.resolve(argv[++i] || die('--docs-from needs a value'));
  else if (a === '--out') opts.out = path.resolve(argv[++i] || die('--out needs a value'));
  else if (FLAGS[a]) {
    const v = Number(argv[++i]);
    if (!Number.isFinite(v) || v < 0) die(`${a}: not a number`);
    opts[FLAGS[a]] = v;
  } else die(`unknown option ${a}`);
}
if (opts.stations < 1 || opts.minutes <= 0) die('--stations and --minutes must be positive');
if (opts.churn + opts.bad > 1) die('--churn + --bad must not exceed 1');
if (opts.warmupMinutes === null) opts.warmupMinutes = opts.minutes >= 8 ? 2 : opts.minutes / 4;
const FULL = opts.minutes >= 10 && opts.stations >= 5000;
const CS_TIMEOUT_S = 15; // CS request JSON's timeout in the flow
const CALL_TIMEOUT_S = 90; // station side: longer than the CS server's answer timeout (60 s)
const MIN_JUDGED_S = 240; // the RSS slope is judged over at least this long after warm-up

function die(msg) {
  console.error(`bench/soak.js: ${msg}\n\n${USAGE}`);
  process.exit(2);
}
const progress = (line) => process.stderr.write(`${line}\n`);

// ---------------------------------------------------------------- the flow
// Counters live in global context (memory: it survives a full redeploy) under
// `soak`; GET /soak/counters reads them, POST /soak/stop stops the CS requests.
//
// The state is made in settings.js (functionGlobalContext `soak`), not by a function node: an object a
// function node creates belongs to that node's sandbox (its own realm), and one kept in global context keeps
// the sandbox alive after a redeploy. Records made in the flow would keep every deploy's seven sandboxes
// (V8's live heap grew 0.36 to 0.48 MB a redeploy, measured with --gc-each-redeploy). So the records kept
// (a pending request, a log row) are made by the state's own functions, `row` and `record`.
const STATE = `soak: { starts: 0, stopped: false, csSent: 0, csNoStation: 0, csOutcomes: {}, csLog: [], pending: {}, duplicateOutcomes: [], events: {}, requests: {}, errors: {}, row: (...a) => a, record: (o) => Object.assign({}, o) },`;

const ANSWER = `const s = global.get('soak');
const o = msg.ocpp || {};
if (o.websocket) {
  const k = o.websocket === 'OFFLINE' ? 'OFFLINE ' + o.code : o.websocket;
  s.events[k] = (s.events[k] || 0) + 1;
  return null;
}
const cmd = msg.payload && msg.payload.command;
if (!cmd) return null;
const key = (o.ocppVersion === '1.6j' ? 'OCPP-J 1.6 ' : 'SOAP ' + o.ocppVersion + ' ') + cmd;
s.requests[key] = (s.requests[key] || 0) + 1;
const now = new Date().toISOString();
${ANSWER_BY_COMMAND}
return msg;`;

const PICK = `const s = global.get('soak');
if (s.stopped) return null;
const online = (msg.payload && msg.payload.online) || [];
if (!online.length) { s.csNoStation++; return null; }
const out = [];
for (let k = 0; k < PER_TICK; k++) {
  const cbId = online[Math.floor(Math.random() * online.length)];
  const MessageId = 'soak-' + (++s.csSent);
  const r = Math.random();
  const req = r < 0.3 ? { command: 'TriggerMessage', data: { requestedMessage: 'Heartbeat' } }
    : r < 0.5 ? { command: 'TriggerMessage', data: { requestedMessage: 'StatusNotification', connectorId: 1 } }
    : { command: 'GetConfiguration', data: { key: ['HeartbeatInterval'] } };
  s.pending[MessageId] = s.record({ t: Date.now(), cbId, command: req.command });
  out.push({ payload: { cbId, command: req.command, data: req.data, MessageId } });
}
return [out];`;

// outcome(id, reason): one line of csLog per request, a second outcome for an id is recorded apart.
const SETTLE = `function settle(s, id, reason) {
  const p = s.pending[id];
  if (!p) { s.duplicateOutcomes.push(s.row(id, reason, Date.now())); return; }
  delete s.pending[id];
  s.csOutcomes[reason] = (s.csOutcomes[reason] || 0) + 1;
  if (s.csLog.length < 200000) s.csLog.push(s.row(id, p.cbId, p.command, p.t, Date.now(), reason));
}`;
const OK = `${SETTLE}
settle(global.get('soak'), msg.ocpp && msg.ocpp.MessageId, 'answered');
return null;`;
const FAILED = `${SETTLE}
const o = msg.ocpp || {};
const id = (msg.payload && msg.payload.MessageId) || o.MessageId;
const reason = o.failure ? o.failure : o.msgType === 4 ? 'CALLERROR ' + o.ErrorCode : 'error: ' + (msg.error && msg.error.message);
settle(global.get('soak'), id, reason);
return null;`;
const ERRORS = `const s = global.get('soak');
const text = ((msg.error && msg.error.source && msg.error.source.type) || '?') + ': ' + String(msg.error && msg.error.message).replace(/[0-9]+/g, 'N').slice(0, 200);
s.errors[text] = (s.errors[text] || 0) + 1;
return null;`;

function soakFlow(port) {
  const fn = (id, name, func, wires, x, y, extra = {}) => ({ id, z: 'soak.tab', type: 'function', name, func, outputs: 1, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [], x, y, wires: [wires], ...extra });
  return [
    { id: 'soak.tab', type: 'tab', label: 'OCPP soak', disabled: false, info: 'bench/soak.js' },
    {
      id: 'soak.cs', z: 'soak.tab', type: 'CS server', name: 'soak CS', port: String(port), portType: 'num',
      enabled15: false, path15: '', enabled16: true, path16: '/ocpp16s', enabled16j: true, path16j: '/ocpp', json16: true,
      log: false, pathlog: '', x: 130, y: 80, wires: [['soak.answer'], []],
      // Every simulated station (and SOAP keep-alive connection) comes from 127.0.0.1.
      maxHttpConnections: 1000000, maxHttpConnectionsPerIp: 1000000,
    },
    fn('soak.answer', 'answer and count', ANSWER, ['soak.resp'], 330, 80, { initialize: `global.get('soak').starts++;` }),
    { id: 'soak.resp', z: 'soak.tab', type: 'server response', name: '', x: 540, y: 80, wires: [] },
    { id: 'soak.tick', z: 'soak.tab', type: 'inject', name: 'every second', props: [], repeat: '1', crontab: '', once: true, onceDelay: '1', topic: '', x: 130, y: 160, wires: [['soak.online']] },
    { id: 'soak.online', z: 'soak.tab', type: 'CS request JSON', name: 'online list', remotecb: '', command: 'LOCAL_GET_ONLINE_LIST', cmddata: '', log: false, pathlog: '', timeout: 60, x: 320, y: 160, wires: [['soak.pick']] },
    fn('soak.pick', 'pick a station', PICK.replace('PER_TICK', String(Math.max(1, Math.round(opts.csPerS)))), ['soak.req'], 500, 160),
    { id: 'soak.req', z: 'soak.tab', type: 'CS request JSON', name: 'CS request', remotecb: '', command: '', cmddata: '', log: false, pathlog: '', timeout: CS_TIMEOUT_S, x: 680, y: 160, wires: [['soak.ok']] },
    fn('soak.ok', 'count answered', OK, [], 870, 160),
    { id: 'soak.catch', z: 'soak.tab', type: 'catch', name: 'CS request failed', scope: ['soak.req'], uncaught: false, x: 680, y: 220, wires: [['soak.failed']] },
    fn('soak.failed', 'count failed', FAILED, [], 870, 220),
    { id: 'soak.catchall', z: 'soak.tab', type: 'catch', name: 'other errors', scope: null, uncaught: true, x: 130, y: 280, wires: [['soak.errors']] },
    fn('soak.errors', 'count errors', ERRORS, [], 330, 280),
    { id: 'soak.get', z: 'soak.tab', type: 'http in', name: '', url: '/soak/counters', method: 'get', upload: false, swaggerDoc: '', x: 140, y: 340, wires: [['soak.read']] },
    fn('soak.read', 'counters', `msg.payload = global.get('soak');\nreturn msg;`, ['soak.http'], 330, 340),
    { id: 'soak.mem', z: 'soak.tab', type: 'http in', name: '', url: '/soak/memory', method: 'get', upload: false, swaggerDoc: '', x: 140, y: 460, wires: [['soak.v8']] },
    fn('soak.v8', 'V8 heap', `msg.payload = global.get('soakV8')(msg.req.query.gc === '1');\nreturn msg;`, ['soak.http'], 330, 460),
    { id: 'soak.post', z: 'soak.tab', type: 'http in', name: '', url: '/soak/stop', method: 'post', upload: false, swaggerDoc: '', x: 140, y: 400, wires: [['soak.stop']] },
    fn('soak.stop', 'stop CS requests', `global.get('soak').stopped = true;\nmsg.payload = { stopped: true };\nreturn msg;`, ['soak.http'], 330, 400),
    { id: 'soak.http', z: 'soak.tab', type: 'http response', name: '', statusCode: '', headers: {}, x: 530, y: 370, wires: [] },
  ];
}

// ---------------------------------------------------------------- helpers

/** Least-squares slope of y over x; null with fewer than 3 points. */
function slope(points) {
  if (points.length < 3) return null;
  const n = points.length;
  const mx = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) * (x - mx);
  }
  return sxx ? sxy / sxx : null;
}
const median = (xs) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
};
const round = (v, d = 1) => (v === null || v === undefined ? null : Math.round(v * 10 ** d) / 10 ** d);
const sum = (o) => Object.values(o || {}).reduce((a, b) => a + b, 0);

/** The pool of stations: a forked process, one request at a time by sequence number. */

// ---------------------------------------------------------------- the run
let RUNTIME = null; // {nodeBin, nodeVersion, redDir, redVersion} with --node-red-5

/**
 * The engine's own heap and live tokio tasks, read from GET /ocpp/metrics
 * (ocpp_engine_heap_bytes, ocpp_engine_tasks): what grows in the engine,
 * apart from V8 and the system allocator. Empty when the route does not answer.
 */
async function engineStats(uiPort) {
  const r = await request(uiPort, 'GET', '/ocpp/metrics').catch(() => null);
  if (!r || r.status !== 200) return {};
  const read = (name) => {
    const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(r.text);
    return m ? Number(m[1]) : null;
  };
  const heap = read('ocpp_engine_heap_bytes');
  return { engine_heap_mb: heap === null ? null : round(heap / 1048576, 2), engine_tasks: read('ocpp_engine_tasks') };
}

/**
 * V8's heap in Node-RED (GET /soak/memory, no GC forced): used and committed, and
 * the young generation's committed size apart (Node 22+ sizes it by the machine's
 * memory, so it can hold tens of MB more than Node 20's).
 */
async function v8Stats(uiPort) {
  const r = await request(uiPort, 'GET', '/soak/memory').catch(() => null);
  if (!r || r.status !== 200) return {};
  try {
    const { memory, spaces } = JSON.parse(r.text);
    const mb = (b) => round(b / 1048576, 1);
    const young = spaces.filter((x) => /new_space|new_large_object_space/.test(x.space_name)).reduce((a, x) => a + x.space_size, 0);
    return { heap_used_mb: mb(memory.heapUsed), heap_total_mb: mb(memory.heapTotal), young_total_mb: mb(young), external_mb: mb(memory.external), array_buffers_mb: mb(memory.arrayBuffers) };
  } catch (_) {
    return {};
  }
}

async function main() {
  const addon = path.join(root, 'native', `ocpp-rs.${process.platform}-${process.arch}.node`);
  if (!fs.existsSync(addon)) throw new Error(`no ${path.relative(root, addon)}: build the engine first (npm run build)`);
  const started = new Date();
  const command = `npm run soak${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
  const file = opts.out || path.join(__dirname, 'results', `soak-${started.toISOString().replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')}.json`);
  const durationMs = opts.minutes * 60000;
  progress(`soak: ${opts.stations} stations, ${opts.minutes} min (warm-up ${round(opts.warmupMinutes, 2)} min), redeploy every ${opts.redeployEvery} s${FULL ? '' : ' [smoke run]'}`);

  // Node-RED's warnings and errors, counted by kind (numbers and ids blanked).
  const logKinds = {};
  const onLine = (line) => {
    const m = /\[(warn|error)\] (\[[^\]]*\])?\s*(.*)$/.exec(line);
    if (m && !line.includes('[bench-log]')) {
      const kind = `${m[1]} ${m[2] || ''} ${m[3].replace(/[0-9a-f]{8,}/gi, 'X').replace(/\d+/g, 'N')}`.slice(0, 240);
      logKinds[kind] = (logKinds[kind] || 0) + 1;
    }
  };
  // --node-red-5: Node 24 and Node-RED 5 from the npm registry (scripts/test-node-red-5.js installs them).
  RUNTIME = opts.nodeRed5 ? require('../scripts/test-node-red-5').prepare() : null;
  if (RUNTIME) progress(`runtime: Node ${RUNTIME.nodeVersion}, Node-RED ${RUNTIME.redVersion} (${path.relative(root, RUNTIME.redDir)})`);
  // V8's own figures for GET /soak/memory (a function node has no `process`): what of RSS is V8's heap.
  const more = `functionGlobalContext: { ${STATE} soakV8: (gc) => { if (gc && global.gc) global.gc(); return { gc: Boolean(gc && global.gc), memory: process.memoryUsage(), spaces: require('v8').getHeapSpaceStatistics() }; } },`;
  if (opts.gcEachRedeploy) process.env.OCPP_BENCH_NODE_ARGS = `${process.env.OCPP_BENCH_NODE_ARGS || ''} --expose-gc`.trim();
  const red = await startRed({ key: 'soak', flow: soakFlow, settings: settingsJs({ nodesDir: [root], deny: ['node-red-contrib-ocpp'], more }), onLine, runtime: RUNTIME });
  let pool = null;
  const stopAll = async () => {
    if (pool) pool.kill();
    await red.stop();
  };
  process.on('SIGINT', () => stopAll().then(() => process.exit(130)));
  process.on('SIGTERM', () => stopAll().then(() => process.exit(143)));
  try {
    const sets = await getJson(red.uiPort, '/nodes');
    const cs = sets.filter((s) => (s.types || []).includes('CS server'));
    if (cs.length !== 1 || cs[0].module !== '@ocpp-rs/node-red-ocpp' || cs[0].err) throw new Error(`"CS server" comes from ${cs.map((s) => `${s.module}${s.err ? ` (${s.err})` : ''}`).join(', ') || 'nowhere'}`);
    await sleep(2000); // the flow's first second
    progress(`Node-RED pid ${red.pid} up in ${red.startMs} ms, OCPP on ${red.ocppPort}, admin on ${red.uiPort}, open-file limit ${nofileLimit(red.pid)}`);

    pool = await startPool();
    const baseline = { rss_mb: round(rssKb(red.pid) / 1024), fds: fdCount(red.pid), pool_fds: fdCount(pool.pid), ...(await engineStats(red.uiPort)) };
    progress(`baseline (no station): RSS ${baseline.rss_mb} MB, ${baseline.fds} fds`);

    // -------- sampling
    const t0 = Date.now();
    const samples = [];
    const deploys = [];
    let lastCpu = { t: t0, red: procCpuS(red.pid), pool: procCpuS(pool.pid) };
    let redExit = null;
    const takeSample = async (phase) => {
      const stats = await pool.ask('stats').catch(() => null);
      const engine = await engineStats(red.uiPort);
      const v8 = await v8Stats(red.uiPort);
      const t = Date.now();
      const fds = fdCount(red.pid);
      const poolFds = fdCount(pool.pid);
      const cpu = { t, red: procCpuS(red.pid), pool: procCpuS(pool.pid) };
      const pct = (k) => (cpu[k] !== null && lastCpu[k] !== null ? Math.round(((cpu[k] - lastCpu[k]) * 100000) / Math.max(1, t - lastCpu.t)) : null);
      const s = {
        t_s: round((t - t0) / 1000, 1),
        phase,
        rss_mb: round(rssKb(red.pid) / 1024),
        fds,
        peer_sockets: poolFds === null ? null : poolFds - baseline.pool_fds,
        fd_overhead: poolFds === null || fds === null ? null : fds - (poolFds - baseline.pool_fds),
        open_links: stats && stats.open,
        inflight: stats && stats.inflight,
        calls_sent: stats && stats.sent,
        soap_sent: stats && stats.soap_sent,
        red_cpu_pct: pct('red'),
        pool_cpu_pct: pct('pool'),
        pool_rss_mb: round(rssKb(pool.pid) / 1024),
        ...engine,
        ...v8,
      };
      lastCpu = cpu;
      samples.push(s);
      if (red.exit() && !redExit) redExit = red.exit();
      return s;
    };

    await pool.ask('start', {
      config: {
        t0,
        url: `ws://127.0.0.1:${red.ocppPort}/ocpp`,
        soapUrl: `http://127.0.0.1:${red.ocppPort}/ocpp16s`,
        prefix: 'SK',
        stations: opts.stations,
        interval: opts.interval,
        churn: opts.churn,
        badShare: opts.bad,
        badProb: 0.2,
        churnMinS: 2,
        churnMaxS: 8,
        churnDownMinS: 0.5,
        churnDownMaxS: 2,
        reconnectSpreadS: 5,
        ramp: opts.ramp,
        callTimeoutS: CALL_TIMEOUT_S,
        soapPerS: opts.soapPerS,
        soapStations: 10,
      },
    });
    const sampler = setInterval(() => {
      takeSample('run')
        .then((s) => {
          if (Math.round(s.t_s) % 30 < opts.sample) progress(`  ${fmtTime(s.t_s)}  RSS ${s.rss_mb} MB  fds ${s.fds} (stations' sockets ${s.peer_sockets})  links ${s.open_links}  CALLs ${s.calls_sent}  CPU Node-RED ${s.red_cpu_pct}% pool ${s.pool_cpu_pct}%`);
        })
        .catch((e) => progress(`  sample failed: ${e.message}`));
    }, opts.sample * 1000);

    // -------- redeploys, until the end
    const flows = soakFlow(red.ocppPort);
    let k = 1;
    while (Date.now() - t0 < durationMs && !red.exit()) {
      const next = opts.redeployEvery > 0 ? t0 + k * opts.redeployEvery * 1000 : Infinity;
      if (next < t0 + durationMs - 5000 && Date.now() >= next) {
        const before = await request(red.uiPort, 'GET', '/soak/counters').then((r) => JSON.parse(r.text).starts).catch(() => null);
        const d = { t_s: round((Date.now() - t0) / 1000, 1) };
        if (opts.gcEachRedeploy) {
          // V8's live heap after a full GC, and RSS right after it: what JavaScript holds, once a cycle.
          const g = await request(red.uiPort, 'GET', '/soak/memory?gc=1').then((x) => JSON.parse(x.text)).catch(() => null);
          if (g && g.gc) Object.assign(d, { live_heap_mb: round(g.memory.heapUsed / 1048576, 1), rss_after_gc_mb: round(g.memory.rss / 1048576, 1), ...(await engineStats(red.uiPort)) });
        }
        const ts = Date.now();
        const r = await request(red.uiPort, 'POST', '/flows', flows, { 'Node-RED-Deployment-Type': 'full', 'Node-RED-API-Version': 'v1' }).catch((e) => ({ status: null, text: e.message }));
        d.ms = Date.now() - ts;
        d.end_s = round((Date.now() - t0) / 1000, 1);
        d.status = r.status;
        if (r.status < 200 || r.status > 299) d.error = r.text.slice(0, 300);
        // The 204 can come before the new flow runs: wait (10 s at most) until it counts its start.
        let after = null;
        for (const until = Date.now() + 10000; Date.now() < until; await sleep(100)) {
          after = await request(red.uiPort, 'GET', '/soak/counters').then((x) => JSON.parse(x.text).starts).catch(() => null);
          if (after !== null && after !== before) break;
        }
        d.flow_back_ms = Date.now() - ts;
        d.flow_starts = [before, after];
        deploys.push(d);
        progress(`  ${fmtTime(d.t_s)}  redeploy ${deploys.length}: HTTP ${d.status} in ${d.ms} ms, the new flow answering after ${d.flow_back_ms} ms${d.error ? ` ${d.error}` : ''}`);
        k++;
        continue;
      }
      await sleep(Math.max(50, Math.min(500, next - Date.now())));
    }
    const runEndS = round((Date.now() - t0) / 1000, 1);
    clearInterval(sampler);
    if (red.exit()) redExit = red.exit();
    const endSample = await takeSample('end');

    // -------- drain: no new requests, every one in flight settles
    progress(`  ${fmtTime(runEndS)}  stopping: no new CALLs, draining what is in flight...`);
    await request(red.uiPort, 'POST', '/soak/stop', {}).catch(() => null);
    const [drain] = await Promise.all([
      pool.ask('stop', { drainS: 75 }),
      (async () => {
        for (let i = 0; i < (CS_TIMEOUT_S + 10) * 5; i++) {
          const c = await request(red.uiPort, 'GET', '/soak/counters').then((r) => JSON.parse(r.text)).catch(() => null);
          if (c && Object.keys(c.pending).length === 0) return;
          await sleep(200);
        }
      })(),
    ]);
    await sleep(1000);
    const counters = await request(red.uiPort, 'GET', '/soak/counters').then((r) => JSON.parse(r.text));
    const stations = await pool.ask('report');
    await takeSample('drained');
    await pool.ask('close');
    await sleep(5000);
    const after = { rss_mb: round(rssKb(red.pid) / 1024), fds: fdCount(red.pid), ...(await engineStats(red.uiPort)) };
    samples.push({ t_s: round((Date.now() - t0) / 1000, 1), phase: 'stations gone', ...after });
    progress(`all stations gone: RSS ${after.rss_mb} MB, ${after.fds} fds, engine heap ${after.engine_heap_mb} MB, ${after.engine_tasks} tasks (baseline ${baseline.rss_mb} MB, ${baseline.fds} fds, ${baseline.engine_heap_mb} MB, ${baseline.engine_tasks} tasks)`);
    if (red.exit()) redExit = red.exit();
    await pool.ask('exit').catch(() => null);
    const logTail = red.log().slice(-4000);
    await red.stop();

    const report = analyse({ t0ms: t0, started, command, samples, deploys, baseline, after, endSample, runEndS, drain, counters, stations, redExit, logKinds, logTail });
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
    if (opts.docs) writeDocs(report, file);
    printSummary(report, file);
    process.exitCode = report.criteria.some((c) => c.ok === false) ? 1 : 0;
  } catch (err) {
    await stopAll();
    throw err;
  }
}

function fmtTime(s) {
  const m = Math.floor(s / 60);
  return `${m}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
}

// ---------------------------------------------------------------- analysis
function analyse(r) {
  const warmS = opts.warmupMinutes * 60;
  const run = r.samples.filter((s) => s.phase === 'run' || s.phase === 'end');
  const after = run.filter((s) => s.t_s >= warmS);
  const at = (t) => after.find((s) => s.t_s >= t) || after[0];
  const series = (key, samples = after) => samples.filter((s) => s[key] !== null && s[key] !== undefined).map((s) => [s.t_s / 60, s[key]]);
  // The fds not held by a station's socket are judged outside redeploys: while every link closes and
  // reconnects, the two processes' counts move at different moments and their difference means nothing.
  const settledWindows = r.deploys.map((d) => [d.t_s - 1, d.t_s + (d.flow_back_ms || d.ms) / 1000 + 8]);
  const settled = after.filter((s) => !settledWindows.some(([x, y]) => s.t_s >= x && s.t_s <= y));
  const warmEnd = at(warmS) || {};
  const end = r.endSample;
  const max = (key) => Math.max(...run.map((s) => s[key]).filter((v) => typeof v === 'number'));
  // One point per redeploy cycle: the median between two redeploys, after warm-up.
  const edges = [0, ...r.deploys.map((d) => d.t_s), r.runEndS];
  const cycles = [];
  for (let i = 0; i + 1 < edges.length; i++) {
    const inside = run.filter((s) => s.t_s >= Math.max(edges[i] + 10, warmS) && s.t_s < edges[i + 1]);
    if (inside.length >= 3) cycles.push({ from_s: edges[i], to_s: edges[i + 1], rss_mb: median(inside.map((s) => s.rss_mb)), fds: median(inside.map((s) => s.fds)), fd_overhead: median(inside.map((s) => s.fd_overhead)) });
  }
  const memory = {
    warmup_s: warmS,
    baseline: r.baseline,
    warmup_end: { t_s: warmEnd.t_s, rss_mb: warmEnd.rss_mb, fds: warmEnd.fds, fd_overhead: warmEnd.fd_overhead, engine_heap_mb: warmEnd.engine_heap_mb, engine_tasks: warmEnd.engine_tasks, heap_used_mb: warmEnd.heap_used_mb, heap_total_mb: warmEnd.heap_total_mb, young_total_mb: warmEnd.young_total_mb },
    end: { t_s: end.t_s, rss_mb: end.rss_mb, fds: end.fds, fd_overhead: end.fd_overhead, engine_heap_mb: end.engine_heap_mb, engine_tasks: end.engine_tasks, heap_used_mb: end.heap_used_mb, heap_total_mb: end.heap_total_mb, young_total_mb: end.young_total_mb },
    max: { rss_mb: max('rss_mb'), fds: max('fds'), fd_overhead: max('fd_overhead'), engine_heap_mb: max('engine_heap_mb'), engine_tasks: max('engine_tasks'), heap_used_mb: max('heap_used_mb'), heap_total_mb: max('heap_total_mb'), young_total_mb: max('young_total_mb') },
    slope_per_min: { rss_mb: round(slope(series('rss_mb')), 2), fds: round(slope(series('fds')), 2), fd_overhead: round(slope(series('fd_overhead', settled)), 2), engine_heap_mb: round(slope(series('engine_heap_mb')), 3), engine_tasks: round(slope(series('engine_tasks')), 2), heap_used_mb: round(slope(series('heap_used_mb')), 2), heap_total_mb: round(slope(series('heap_total_mb')), 2), young_total_mb: round(slope(series('young_total_mb')), 2) },
    cycles,
    cycle_slope_per_min: cycles.length >= 3 ? { rss_mb: round(slope(cycles.map((c) => [(c.from_s + c.to_s) / 120, c.rss_mb])), 2), fd_overhead: round(slope(cycles.map((c) => [(c.from_s + c.to_s) / 120, c.fd_overhead])), 2) } : null,
    stations_gone: r.after,
  };

  // -------- windows around redeploys: failures inside them are the redeploy's own
  const windows = r.deploys.map((d) => [d.t_s - 1, d.t_s + (d.flow_back_ms || d.ms) / 1000 + 8]);
  const inWindow = (sec) => windows.some(([a, b]) => sec >= a && sec <= b);
  const split = (bySec) => {
    const out = { during_redeploys: {}, outside: {} };
    for (const [sec, reasons] of Object.entries(bySec || {})) {
      const side = inWindow(Number(sec)) ? out.during_redeploys : out.outside;
      for (const [k, n] of Object.entries(reasons)) side[k] = (side[k] || 0) + n;
    }
    return out;
  };

  // -------- station side
  const st = r.stations;
  const outcomes = st.calls.outcomes;
  const stationLost = st.inflight_at_end.length + (outcomes.timeout || 0);
  const bad = Object.fromEntries(
    Object.entries(st.bad).map(([kind, b]) => {
      const expected = b.outcomes[b.expect] || 0;
      const closed = Object.entries(b.outcomes).filter(([k]) => k.startsWith('closed:')).reduce((a, [, n]) => a + n, 0);
      return [kind, { ...b, got_expected: expected, closed_first: closed, other: b.sent - expected - closed }];
    }),
  );
  const unexpectedCallErrors = Object.fromEntries(
    Object.entries(outcomes).filter(([k]) => k.startsWith('callerror:')).map(([k, n]) => [k, n - Object.values(st.bad).reduce((a, b) => a + (b.outcomes[k] || 0), 0)]).filter(([, n]) => n > 0),
  );

  // -------- flow side (CS requests), reconciled with what the stations received
  const c = r.counters;
  const pendingLeft = Object.entries(c.pending).map(([id, p]) => ({ id, ...p, at_redeploy: r.deploys.some((d) => p.t >= r.t0ms + (d.t_s - CS_TIMEOUT_S - 1) * 1000 && p.t <= r.t0ms + (d.end_s + 1) * 1000) }));
  const cross = {};
  const suspicious = [];
  for (const [id, cbId, cmd, , , outcome] of c.csLog) {
    const seen = st.serverCalls.ids[id] || 'not received';
    const key = `${outcome} | station: ${seen}`;
    cross[key] = (cross[key] || 0) + 1;
    const fine =
      (outcome === 'answered' && seen === 'answered') ||
      (outcome === 'CALLERROR NotSupported' && seen.startsWith('callerror NotSupported')) ||
      (outcome === 'Timeout' && seen.startsWith('ignored')) ||
      (outcome === 'NotConnected' && seen === 'not received') ||
      outcome === 'Disconnected';
    if (!fine && suspicious.length < 50) suspicious.push({ id, cbId, command: cmd, outcome, station: seen });
  }
  const logged = new Set(c.csLog.map((l) => l[0]));
  const receivedUnknown = Object.keys(st.serverCalls.ids).filter((id) => !logged.has(id) && !c.pending[id]);
  const flow = {
    cs_sent: c.csSent,
    cs_outcomes: c.csOutcomes,
    cs_settled: sum(c.csOutcomes),
    cs_pending_at_end: pendingLeft,
    duplicate_outcomes: c.duplicateOutcomes,
    cs_no_station: c.csNoStation,
    outcome_vs_station: cross,
    outcome_vs_station_suspicious: suspicious,
    received_by_stations_without_flow_record: receivedUnknown.slice(0, 50),
    flow_starts: c.starts,
    requests_answered: c.requests,
    events: c.events,
    caught_errors: c.errors,
  };

  const soap = st.soap;
  const report = {
    date: r.started.toISOString(),
    command: r.command,
    smoke: !FULL,
    machine: machine(RUNTIME),
    engine: engineVersion(),
    options: { ...opts, cs_timeout_s: CS_TIMEOUT_S, station_call_timeout_s: CALL_TIMEOUT_S },
    duration_s: r.runEndS,
    node_red_exit: r.redExit,
    deploys: r.deploys,
    memory,
    stations: {
      calls_sent: st.calls.sent,
      calls_settled: st.calls.settled,
      outcomes,
      by_action: st.calls.byAction,
      latency: st.latency,
      lost: stationLost,
      inflight_at_end: st.inflight_at_end,
      unmatched_answers: st.calls.unmatched,
      ticks_skipped_busy: st.calls.skippedBusy,
      bad_frames: bad,
      unexpected_callerrors: unexpectedCallErrors,
      links: { attempts: st.links.attempts, opened: st.links.opened, closes: st.links.closes, connect_failures: st.links.connectFailures, connect_failures_by_time: split(st.links.connectFailuresBySecond), server_closes_by_time: split(st.links.serverCloses) },
      server_calls: { received: st.serverCalls.received, by_command: st.serverCalls.byCommand, handled: st.serverCalls.handled },
      drain: r.drain,
    },
    soap: { sent: soap.sent, settled: soap.settled, outcomes: soap.outcomes, failures_by_time: split(soap.failuresBySecond), inflight_at_end: st.soap_inflight_at_end },
    flow,
    node_red_log: { warnings_and_errors: r.logKinds },
    samples: r.samples,
  };
  report.criteria = criteria(report, pendingLeft);
  if (r.redExit) report.node_red_log.tail = r.logTail;
  return report;
}

function criteria(rep, pendingLeft) {
  const m = rep.memory;
  const s = rep.stations;
  const out = [];
  // ok: true, false, or null when the run is too short to judge it
  const add = (name, ok, detail) => out.push({ name, ok: ok === null ? null : Boolean(ok), detail });
  add('Node-RED ran to the end', !rep.node_red_exit, rep.node_red_exit ? `exited: ${JSON.stringify(rep.node_red_exit)}` : 'no exit');
  add('every redeploy succeeded', rep.deploys.every((d) => d.status >= 200 && d.status < 300 && d.flow_starts[1] === d.flow_starts[0] + 1), `${rep.deploys.length} redeploys, HTTP ${[...new Set(rep.deploys.map((d) => d.status))].join('/') || '-'} in ${rep.deploys.map((d) => d.ms).join(', ')} ms, the new flow running after ${rep.deploys.map((d) => d.flow_back_ms).join(', ')} ms`);
  const rs = m.slope_per_min.rss_mb;
  // V8's collections move RSS by tens of MB at once: a slope over a few minutes says nothing.
  const judged = rep.duration_s - m.warmup_s >= MIN_JUDGED_S;
  add(`RSS flat after warm-up (slope < ${opts.rssSlope} MB/min over at least ${MIN_JUDGED_S / 60} min)`, judged ? rs !== null && rs < opts.rssSlope : null, `${judged ? '' : `not judged: only ${round((rep.duration_s - m.warmup_s) / 60, 1)} min after warm-up; `}slope ${rs} MB/min; ${m.warmup_end.rss_mb} MB at warm-up end, ${m.end.rss_mb} MB at the end, max ${m.max.rss_mb} MB`);
  const fsl = m.slope_per_min.fd_overhead;
  add(`fds flat after warm-up (slope of fds not held by a station's socket < ${opts.fdSlope}/min)`, fsl !== null && fsl < opts.fdSlope, `slope ${fsl}/min (raw fds ${m.slope_per_min.fds}/min); ${m.warmup_end.fds} fds at warm-up end, ${m.end.fds} at the end, max ${m.max.fds}`);
  add('fds back to the baseline once the stations left (within 10)', m.stations_gone.fds !== null && m.stations_gone.fds <= m.baseline.fds + 10, `${m.stations_gone.fds} fds after, ${m.baseline.fds} before any station`);
  const reasons = Object.keys(s.outcomes).filter((k) => k !== 'answered');
  add('every station CALL answered or failed with a reason', s.calls_settled === s.calls_sent && s.lost === 0, `${s.calls_sent} sent, ${s.outcomes.answered || 0} answered, ${s.calls_settled - (s.outcomes.answered || 0) - (s.outcomes.timeout || 0)} failed with a reason (${reasons.filter((k) => k !== 'timeout').map((k) => `${k}: ${s.outcomes[k]}`).join('; ') || 'none'}), ${s.outcomes.timeout || 0} timed out, ${s.inflight_at_end.length} in flight at the end`);
  const badOk = Object.values(s.bad_frames).every((b) => b.other === 0);
  add('every bad frame got the CALLERROR it must get (or its link closed first)', badOk, Object.entries(s.bad_frames).map(([k, b]) => `${k}: ${b.got_expected}/${b.sent} ${b.expect}${b.closed_first ? `, ${b.closed_first} link closed first` : ''}${b.other ? `, ${b.other} OTHER` : ''}`).join('; ') || 'none sent');
  const f = rep.flow;
  // A redeploy stops the CS request node while a request is in flight: Node-RED drops in-flight
  // msgs on a redeploy, so its outcome has no node to come out of. Those are counted apart.
  const cut = pendingLeft.filter((p) => p.at_redeploy);
  const lostCs = pendingLeft.length - cut.length;
  add('every CS request got one outcome in the flow (except those a redeploy cut off)', f.cs_settled + pendingLeft.length === f.cs_sent && lostCs === 0 && f.duplicate_outcomes.length === 0, `${f.cs_sent} sent, ${f.cs_settled} outcomes (${Object.entries(f.cs_outcomes).map(([k, n]) => `${k}: ${n}`).join('; ')}), ${cut.length} in flight when a redeploy stopped the flow (no outcome: Node-RED drops in-flight msgs), ${lostCs} without outcome otherwise, ${f.duplicate_outcomes.length} duplicates`);
  add("CS request outcomes agree with what the stations did", f.outcome_vs_station_suspicious.length === 0 && f.received_by_stations_without_flow_record.length === 0, `${f.outcome_vs_station_suspicious.length} disagreements, ${f.received_by_stations_without_flow_record.length} requests the stations got that the flow has no record of`);
  add('every SOAP POST answered or failed with a reason', rep.soap.settled === rep.soap.sent && rep.soap.inflight_at_end === 0 && !rep.soap.outcomes['request error: timeout'], `${rep.soap.sent} sent, ${rep.soap.outcomes.answered || 0} answered, others: ${Object.entries(rep.soap.outcomes).filter(([k]) => k !== 'answered').map(([k, n]) => `${k}: ${n}`).join('; ') || 'none'}`);
  const outside = { ...s.links.server_closes_by_time.outside };
  add('no link closed by the server outside a redeploy', Object.keys(outside).length === 0, Object.keys(outside).length ? `outside redeploys: ${JSON.stringify(outside)}` : `server closes during redeploys: ${JSON.stringify(s.links.server_closes_by_time.during_redeploys)}`);
  return out;
}

// ---------------------------------------------------------------- output
const verdict = (c) => (c.ok === null ? 'n/a ' : c.ok ? 'PASS' : 'FAIL');
function printSummary(rep, file) {
  const m = rep.memory;
  console.log(`\nsoak ${rep.smoke ? '(smoke run) ' : ''}${rep.options.stations} stations, ${round(rep.duration_s / 60, 2)} min, ${rep.deploys.length} redeploys`);
  console.log(`RSS   baseline ${m.baseline.rss_mb} MB, warm-up end ${m.warmup_end.rss_mb} MB, end ${m.end.rss_mb} MB, max ${m.max.rss_mb} MB, slope ${m.slope_per_min.rss_mb} MB/min`);
  console.log(`fds   baseline ${m.baseline.fds}, warm-up end ${m.warmup_end.fds}, end ${m.end.fds}, max ${m.max.fds}, slope ${m.slope_per_min.fds}/min; not held by a station socket: ${m.warmup_end.fd_overhead} -> ${m.end.fd_overhead}, slope ${m.slope_per_min.fd_overhead}/min; after the stations left ${m.stations_gone.fds}`);
  console.log('\nsuccess criteria:');
  for (const c of rep.criteria) console.log(`  ${verdict(c)}  ${c.name}: ${c.detail}`);
  const failed = rep.criteria.some((c) => c.ok === false);
  const open = rep.criteria.filter((c) => c.ok === null);
  console.log(`\n${failed ? 'FAIL: see above' : `PASS: flat after warm-up, every CALL answered or failed with a reason, nothing lost${open.length ? ` (not judged, the run is too short: ${open.map((c) => c.name.replace(/ \(.*/, '')).join(', ')})` : ''}`}`);
  console.log(`results: ${path.relative(process.cwd(), file)}`);
}

const BLOCK = (kind) => [`<!-- soak:${kind}:start (written by bench/soak.js) -->`, `<!-- soak:${kind}:end -->`];

function writeDocs(rep, file) {
  const kind = rep.smoke ? 'smoke' : `full${sectionSuffix(rep)}`;
  const svg = path.join(root, 'docs', svgName(rep));
  fs.writeFileSync(svg, plotSoak(rep));
  const doc = path.join(root, 'docs', 'RELIABILITY.md');
  let text = fs.existsSync(doc) ? fs.readFileSync(doc, 'utf8') : '# Reliability\n';
  const [a, b] = BLOCK(kind);
  const section = `${a}\n${markdown(rep, path.relative(root, file), path.basename(svg))}\n${b}`;
  const i = text.indexOf(a);
  const j = text.indexOf(b);
  text = i >= 0 && j > i ? text.slice(0, i) + section + text.slice(j + b.length) : `${text.trimEnd()}\n\n${section}\n`;
  fs.writeFileSync(doc, text);
  progress(`wrote ${path.relative(process.cwd(), doc)} (${kind} section) and ${path.relative(process.cwd(), svg)}`);
}

function markdown(rep, resultsFile, svgName) {
  const m = rep.memory;
  const s = rep.stations;
  const f = rep.flow;
  const mc = rep.machine;
  const n = (v) => (v === null || v === undefined ? '–' : Number(v).toLocaleString('en-US'));
  const list = (o) => Object.entries(o || {}).sort((x, y) => y[1] - x[1]).map(([k, v]) => `${k}: ${n(v)}`).join('; ') || 'none';
  const runtime = sectionSuffix(rep) ? `, Node-RED ${mc.node_red} on Node ${mc.node}` : '';
  const title = rep.smoke ? `### Smoke run (${round(rep.duration_s / 60, 1)} min, ${n(rep.options.stations)} stations): a check that the soak works, not the soak` : `### Soak: ${round(rep.duration_s / 60, 1)} min, ${n(rep.options.stations)} stations${runtime}`;
  const engineRows =
    m.max.engine_heap_mb === undefined || !Number.isFinite(m.max.engine_heap_mb)
      ? []
      : [
          `| engine heap MB (its allocator) | ${m.baseline.engine_heap_mb} | ${m.warmup_end.engine_heap_mb} | ${m.end.engine_heap_mb} | ${m.max.engine_heap_mb} | ${m.slope_per_min.engine_heap_mb} MB/min | ${m.stations_gone.engine_heap_mb} |`,
          `| engine tokio tasks | ${m.baseline.engine_tasks} | ${m.warmup_end.engine_tasks} | ${m.end.engine_tasks} | ${m.max.engine_tasks} | ${m.slope_per_min.engine_tasks}/min | ${m.stations_gone.engine_tasks} |`,
        ];
  const v8Rows =
    m.max.heap_total_mb === undefined || !Number.isFinite(m.max.heap_total_mb)
      ? []
      : [
          `| V8 heap committed MB (of it young generation) | | ${m.warmup_end.heap_total_mb} (${m.warmup_end.young_total_mb}) | ${m.end.heap_total_mb} (${m.end.young_total_mb}) | ${m.max.heap_total_mb} (${m.max.young_total_mb}) | ${m.slope_per_min.heap_total_mb} MB/min | |`,
          `| V8 heap used MB (no GC forced: it saws) | | ${m.warmup_end.heap_used_mb} | ${m.end.heap_used_mb} | ${m.max.heap_used_mb} | ${m.slope_per_min.heap_used_mb} MB/min | |`,
        ];
  const lines = [
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
    `![RSS and open fds of the Node-RED process over the run, redeploys marked](${svgName})`,
    '',
    '| | baseline (no station) | warm-up end | end | max | slope after warm-up | after the stations left |',
    '|---|---:|---:|---:|---:|---:|---:|',
    `| RSS MB | ${m.baseline.rss_mb} | ${m.warmup_end.rss_mb} | ${m.end.rss_mb} | ${m.max.rss_mb} | ${m.slope_per_min.rss_mb} MB/min | ${m.stations_gone.rss_mb} |`,
    `| open fds | ${m.baseline.fds} | ${m.warmup_end.fds} | ${m.end.fds} | ${m.max.fds} | ${m.slope_per_min.fds}/min | ${m.stations_gone.fds} |`,
    `| fds not held by a station's socket | | ${m.warmup_end.fd_overhead} | ${m.end.fd_overhead} | ${m.max.fd_overhead} | ${m.slope_per_min.fd_overhead}/min | |`,
    ...engineRows,
    ...v8Rows,
    '',
    `Warm-up: the first ${round(m.warmup_s / 60, 2)} min.${m.cycle_slope_per_min ? ` Median RSS per redeploy cycle after warm-up: ${m.cycles.map((c) => c.rss_mb).join(', ')} MB (slope ${m.cycle_slope_per_min.rss_mb} MB/min).` : ''}${liveHeapLine(rep)}`,
    '',
    '| what | count | outcome |',
    '|---|---:|---|',
    `| station CALLs | ${n(s.calls_sent)} | ${list(s.outcomes)}; in flight at the end: ${s.inflight_at_end.length} |`,
    ...Object.entries(s.bad_frames).map(([k, b]) => `| bad frames: ${k} | ${n(b.sent)} | ${list(b.outcomes)} (expected ${b.expect}) |`),
    `| station links | ${n(s.links.opened)} opened | closes: ${list(s.links.closes)}; connect failures: ${list(s.links.connect_failures)} |`,
    `| connection events in the flow | ${n(f.events.ONLINE)} ONLINE | OFFLINE by close code: ${list(Object.fromEntries(Object.entries(f.events).filter(([k]) => k !== 'ONLINE').map(([k, v]) => [k.replace('OFFLINE ', ''), v])))} |`,
    `| CS requests from the flow | ${n(f.cs_sent)} | ${list(f.cs_outcomes)}; without outcome: ${f.cs_pending_at_end.length} |`,
    `| SOAP 1.6 Heartbeat POSTs | ${n(rep.soap.sent)} | ${list(rep.soap.outcomes)} |`,
    `| redeploys (POST /flows, full) | ${rep.deploys.length} | ${rep.deploys.map((d) => `HTTP ${d.status} in ${n(d.ms)} ms (flow running after ${n(d.flow_back_ms)} ms)`).join(', ') || '–'} |`,
    '',
    `Station CALL latency: p50 ${s.latency.p50_ms} ms, p99 ${s.latency.p99_ms} ms, max ${s.latency.max_ms} ms. Node-RED log, warnings and errors: ${list(rep.node_red_log.warnings_and_errors)}.`,
    '',
    '**Success criteria**',
    '',
    ...rep.criteria.map((c) => `- ${c.ok === false ? '**FAIL**' : verdict(c)} ${c.name}: ${c.detail}`),
  ];
  return lines.join('\n');
}

/** With --gc-each-redeploy: V8's live heap and RSS after the full GC before each redeploy, and their slopes after warm-up. */
function liveHeapLine(rep) {
  const d = rep.deploys.filter((x) => typeof x.live_heap_mb === 'number');
  if (!d.length) return '';
  const after = d.filter((x) => x.t_s >= rep.memory.warmup_s);
  const k = (key) => round(slope(after.map((x) => [x.t_s / 60, x[key]])), 2);
  return ` After a full GC before each redeploy (--gc-each-redeploy): V8's live heap ${d.map((x) => x.live_heap_mb).join(', ')} MB (slope after warm-up ${k('live_heap_mb')} MB/min); RSS ${d.map((x) => x.rss_after_gc_mb).join(', ')} MB (slope ${k('rss_after_gc_mb')} MB/min); the engine's heap ${d.map((x) => x.engine_heap_mb).join(', ')} MB.`;
}

if (opts.docsFrom) {
  writeDocs(JSON.parse(fs.readFileSync(opts.docsFrom, 'utf8')), opts.docsFrom);
} else {
  main().catch((err) => {
    console.error(err);
    cleanup();
    process.exit(1);
  });
}
