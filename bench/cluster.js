#!/usr/bin/env node
'use strict';
// Cluster benchmark (docs/BENCHMARKS.md, "Cluster"): Node-RED instances with
// the same flow on one real redis-server (as docs/CLUSTER.md runs them).
//
//   node bench/cluster.js [--instances 3] [--stations 3000] [--seconds 10] [--rate 1000] [--concurrency 256] [--rounds 2]
//
// 1. Each instance gets `--stations` stations (ws clients in this process that
//    answer every CALL at once); the time until every instance's
//    LOCAL_GET_ONLINE_LIST holds them all.
// 2. Redis commands per second while the fleet idles (INFO total_commands_processed, 30 s).
// 3. CS request JSON from instance A, side by side in one run, alternating:
//    to stations on A (local) and to stations on B (routed through Redis):
//    p50/p99 at `--rate` calls/s (open loop), and the most calls/s with
//    `--concurrency` calls in flight (closed loop). Latency is measured in the
//    flow, from the msg entering CS request JSON to its outcome.
// 9,000 stations are 9,000 sockets in this process: raise the open-file limit first.
if (!process.env.OCPP_BENCH_RAISED) {
  const { spawnSync } = require('child_process');
  const script = 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"';
  const r = spawnSync('bash', ['-c', script, process.execPath, ...process.argv.slice(1)], { stdio: 'inherit', env: { ...process.env, OCPP_BENCH_RAISED: '1' } });
  process.exit(r.status === null ? 1 : r.status);
}
const WebSocket = require('ws');
const { settingsJs, startRed, sleep, getJson, cleanup, machine, root } = require('./lib/red');
const { startRedis } = require('../test/lib/redis');

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const INSTANCES = arg('instances', 3);
const STATIONS = arg('stations', 3000);
const SECONDS = arg('seconds', 10);
const RATE = arg('rate', 1000);
const CONCURRENCY = arg('concurrency', 256);
const ROUNDS = arg('rounds', 2);
const TARGETS = 100;

// The load driver, inside the flow: sends ClearCache CALLs to `targets`,
// open loop at `rate` per second or closed loop with `concurrency` in flight.
const DRIVER = `
const perf = global.get('perf');
if (msg.next) {
  const run = flow.get('run');
  if (run.mode === 'closed' && perf.now() < run.end) run.send();
  return null;
}
const cfg = msg.payload;
const run = { mode: cfg.mode, lat: [], ok: 0, failed: 0, sent: 0, start: perf.now(), end: perf.now() + cfg.seconds * 1000, failures: {} };
run.send = () => {
  const cbId = cfg.targets[run.sent % cfg.targets.length];
  run.sent += 1;
  node.send({ payload: { command: 'ClearCache', cbId, data: {} }, t0: perf.now() });
};
flow.set('run', run);
if (cfg.mode === 'closed') {
  for (let i = 0; i < cfg.concurrency; i += 1) run.send();
} else {
  // Open loop on the clock: a late tick sends what is owed, so the rate holds under load.
  const timer = setInterval(() => {
    const now = Math.min(perf.now(), run.end);
    const owed = Math.floor(((now - run.start) / 1000) * cfg.rate) - run.sent;
    for (let i = 0; i < owed; i += 1) run.send();
    if (now >= run.end) clearInterval(timer);
  }, 5);
}
msg.payload = { started: true };
return [null, msg];`;

const COLLECT = `
const perf = global.get('perf');
const run = flow.get('run');
run.lat.push(perf.now() - msg.t0);
if (msg.error) { run.failed += 1; const f = (msg.ocpp && msg.ocpp.failure) || 'error'; run.failures[f] = (run.failures[f] || 0) + 1; }
else run.ok += 1;
run.last = perf.now();
return { next: true };`;

const RESULT = `
const run = flow.get('run');
if (!run) { msg.payload = null; return msg; }
const lat = run.lat.slice().sort((a, b) => a - b);
const q = (p) => lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] : null;
const span = ((run.last || run.end) - run.start) / 1000;
msg.payload = { ok: run.ok, failed: run.failed, failures: run.failures, sent: run.sent, p50: q(0.5), p99: q(0.99), perS: run.ok / span, done: run.ok + run.failed >= run.sent && (flow.get('run').end < global.get('perf').now()) };
return msg;`;

const ANSWER = `
const c = msg.payload && msg.payload.command;
if (c === 'BootNotification') msg.payload = { status: 'Accepted', currentTime: new Date().toISOString(), interval: 300 };
else if (c === 'Heartbeat') msg.payload = { currentTime: new Date().toISOString() };
else msg.payload = {};
return msg;`;

function flow(redisPort, instance) {
  return (ocppPort) => {
    const z = 'tab';
    return [
      { id: z, type: 'tab', label: 'cluster bench' },
      { id: 'cl', type: 'ocpp-cluster', url: `redis://127.0.0.1:${redisPort}/0`, prefix: 'bench', instance, maxPending: 100000 },
      { id: 'cs', z, type: 'CS server', port: String(ocppPort), portType: 'num', enabled16j: true, path16j: '/ocpp', json16: true, pingInterval: 0, maxConnections: 100000, maxPending: 1000000, maxPendingPerIp: 1000000, cluster: 'cl', wires: [['answer'], []] },
      { id: 'answer', z, type: 'function', func: ANSWER, outputs: 1, wires: [['resp']] },
      { id: 'resp', z, type: 'server response' },
      { id: 'inLoad', z, type: 'http in', url: '/load', method: 'post', wires: [['driver']] },
      { id: 'driver', z, type: 'function', func: DRIVER, outputs: 2, wires: [['req'], ['out']] },
      { id: 'req', z, type: 'CS request JSON', remotecb: '', timeout: 10, wires: [['collect']] },
      { id: 'catcher', z, type: 'catch', scope: ['req'], uncaught: false, wires: [['collect']] },
      { id: 'collect', z, type: 'function', func: COLLECT, outputs: 1, wires: [['driver']] },
      { id: 'inResult', z, type: 'http in', url: '/result', method: 'get', wires: [['result']] },
      { id: 'result', z, type: 'function', func: RESULT, outputs: 1, wires: [['out']] },
      { id: 'inOnline', z, type: 'http in', url: '/online', method: 'get', wires: [['online']] },
      { id: 'online', z, type: 'function', func: "msg.payload = { command: 'LOCAL_GET_ONLINE_LIST' }; return msg;", outputs: 1, wires: [['listReq']] },
      { id: 'listReq', z, type: 'CS request JSON', remotecb: '', timeout: 10, wires: [['count']] },
      { id: 'count', z, type: 'function', func: 'const s = msg.payload.stations || []; const by = {}; for (const x of s) by[x.instance] = (by[x.instance] || 0) + 1; msg.payload = { total: msg.payload.online.length, by }; return msg;', outputs: 1, wires: [['out']] },
      { id: 'out', z, type: 'http response' },
    ];
  };
}

function post(port, path, body) {
  return fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json());
}

// Stations that answer every CALL at once with {"status":"Accepted"}.
function connectStations(port, prefix, count) {
  const sockets = [];
  let open = 0;
  return new Promise((resolve, reject) => {
    let next = 0;
    const connectOne = () => {
      if (next >= count) return;
      const id = `${prefix}${next}`;
      next += 1;
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ocpp/${id}`, ['ocpp1.6']);
      ws.on('message', (data) => {
        const frame = JSON.parse(data);
        if (frame[0] === 2) ws.send(JSON.stringify([3, frame[1], { status: 'Accepted' }]));
      });
      ws.once('open', () => {
        open += 1;
        if (open === count) resolve(sockets);
        connectOne();
      });
      ws.once('error', reject);
      sockets.push(ws);
    };
    for (let i = 0; i < 50; i += 1) connectOne();
  });
}

async function load(uiPort, cfg) {
  await post(uiPort, '/load', cfg);
  await sleep(cfg.seconds * 1000 + 500);
  for (let i = 0; i < 60; i += 1) {
    const r = await getJson(uiPort, '/result');
    if (r && r.done) return r;
    await sleep(250);
  }
  return getJson(uiPort, '/result');
}

async function main() {
  const redisPort = await require('./lib/red').freePort();
  const redis = await startRedis(redisPort);
  const settings = settingsJs({ nodesDir: [root], deny: ['node-red-contrib-ocpp'] }).replace(
    'module.exports = {',
    "module.exports = {\n  functionGlobalContext: { perf: require('perf_hooks').performance },"
  );
  const names = ['A', 'B', 'C', 'D', 'E'].slice(0, INSTANCES);
  const reds = [];
  for (const name of names) reds.push(await startRed({ key: `cluster-${name}`, flow: flow(redisPort, name), settings }));
  const sockets = [];
  const t0 = Date.now();
  await Promise.all(reds.map(async (red, i) => sockets.push(...(await connectStations(red.ocppPort, `${names[i]}-`, STATIONS)))));
  const connectedMs = Date.now() - t0;
  let listed = null;
  for (;;) {
    const counts = await Promise.all(reds.map((r) => getJson(r.uiPort, '/online')));
    if (counts.every((c) => c && c.total === INSTANCES * STATIONS)) {
      listed = counts[0];
      break;
    }
    if (Date.now() - t0 > 120000) throw new Error(`not all listed: ${JSON.stringify(counts)}`);
    await sleep(200);
  }
  const registeredMs = Date.now() - t0;
  console.log(`${INSTANCES} x ${STATIONS} stations: connected in ${connectedMs} ms, listed complete on every instance after ${registeredMs} ms`, JSON.stringify(listed.by));

  await sleep(5000);
  const idleSeconds = 30;
  const before = await redis.commandsProcessed();
  await sleep(idleSeconds * 1000);
  const after = await redis.commandsProcessed();
  const idlePerS = (after - before - 1) / idleSeconds;
  console.log(`idle Redis load: ${idlePerS.toFixed(1)} commands/s for ${INSTANCES * STATIONS} stations`);

  const a = reds[0].uiPort;
  const targets = (prefix) => Array.from({ length: TARGETS }, (_, i) => `${prefix}-${i}`);
  const rows = [];
  for (let round = 1; round <= ROUNDS; round += 1) {
    for (const [kind, prefix] of [['local', 'A'], ['routed', 'B']]) {
      const open = await load(a, { mode: 'rate', rate: RATE, seconds: SECONDS, targets: targets(prefix) });
      const closed = await load(a, { mode: 'closed', concurrency: CONCURRENCY, seconds: SECONDS, targets: targets(prefix) });
      const row = { round, kind, p50: open.p50, p99: open.p99, okAtRate: open.ok, failedAtRate: open.failed, maxPerS: closed.perS, failedClosed: closed.failed, failures: { ...open.failures, ...closed.failures } };
      rows.push(row);
      console.log(JSON.stringify(row));
    }
  }
  console.log('\n| round | calls | p50 at %d/s (ms) | p99 (ms) | failed | most calls/s (%d in flight) |'.replace('%d', RATE).replace('%d', CONCURRENCY));
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.round} | ${r.kind} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.failedAtRate + r.failedClosed} | ${Math.round(r.maxPerS)} |`);
  const m = machine();
  console.log(`\nmachine: ${JSON.stringify(m.cpu || m)}`);
  for (const s of sockets) s.terminate();
  for (const r of reds) await r.stop();
  await redis.stop();
}

main()
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(() => cleanup && cleanup());
