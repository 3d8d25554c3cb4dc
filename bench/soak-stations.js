'use strict';
// The station side of bench/soak.js, in a process of its own (forked, IPC):
// N OCPP-J 1.6 stations (the `ws` package) and a few SOAP 1.6 stations, with
// churn and bad frames, answering the Central System's CALLs. Every CALL a
// station sends is settled exactly once: answered, CALLERROR <code>, closed
// (the link went down first: who closed it and with which code), or timeout
// (no answer within --call-timeout, longer than the CS server's answer
// timeout, so a timeout means an answer was lost). Anything still in flight
// when the run ends after the drain is counted as lost.
//
// IPC from the parent: {cmd: 'start', config}, {cmd: 'stats'}, {cmd: 'stop'}
// (no new CALLs, no churn; resolves once nothing is in flight),
// {cmd: 'report'}, {cmd: 'close'} (every link closed), {cmd: 'exit'}.
const http = require('http');
const path = require('path');

const root = path.resolve(__dirname, '..');
const WebSocket = require(require.resolve('ws', { paths: [root] }));

let cfg = null;
let t0 = 0;
let stopping = false;
const now = () => Date.now();
const sec = () => Math.floor((now() - t0) / 1000);
const rand = (a, b) => a + Math.random() * (b - a);
const inc = (obj, key, by = 1) => (obj[key] = (obj[key] || 0) + by);
/** Per second since start: {second: {reason: n}}, for events the parent matches with redeploys. */
const bySecond = (obj, reason) => inc((obj[sec()] = obj[sec()] || {}), reason);

const stats = {
  calls: { sent: 0, settled: 0, outcomes: {}, byAction: {}, unmatched: 0, skippedBusy: 0 },
  bad: {}, // kind -> {sent, outcomes: {reason: n}}
  latency: { samples: [], count: 0, max: 0 },
  links: { attempts: 0, opened: 0, connectFailures: {}, closes: {}, serverCloses: {}, connectFailuresBySecond: {} },
  serverCalls: { received: 0, handled: {}, byCommand: {}, ids: {}, duplicates: [] }, // ids: MessageId -> how it was handled; duplicates: an id received again
  soap: { sent: 0, settled: 0, outcomes: {}, failuresBySecond: {}, maxInflight: 0 },
};
const RESERVOIR = 50000;
function recordLatency(ms) {
  const l = stats.latency;
  l.count++;
  if (ms > l.max) l.max = ms;
  if (l.samples.length < RESERVOIR) l.samples.push(ms);
  else {
    const j = Math.floor(Math.random() * l.count);
    if (j < RESERVOIR) l.samples[j] = ms;
  }
}

// ---------------------------------------------------------------- OCPP-J stations
const ACTIONS = [
  ['Heartbeat', 0.5, () => ({})],
  ['StatusNotification', 0.2, () => ({ connectorId: 1, errorCode: 'NoError', status: 'Available', timestamp: new Date().toISOString() })],
  ['MeterValues', 0.25, (st) => ({ connectorId: 1, transactionId: 1, meterValue: [{ timestamp: new Date().toISOString(), sampledValue: [{ value: String(1000 + st.n * 10), context: 'Sample.Periodic', measurand: 'Energy.Active.Import.Register', unit: 'Wh' }] }] })],
  ['Authorize', 0.05, () => ({ idTag: 'SOAK-TAG' })],
];
function pickAction() {
  let r = Math.random();
  for (const a of ACTIONS) {
    if ((r -= a[1]) < 0) return a;
  }
  return ACTIONS[0];
}
// Bad frames and the CALLERROR each must get back (nodes/ocpp-server.html).
const BAD = [
  // not JSON: no id can be read, so the answer carries "-1"
  { kind: 'invalid-json', frame: (id) => `[2,"${id}","Heartbeat",{`, answerId: () => '-1', expect: 'FormationViolation' },
  // a CALL without payload
  { kind: 'incomplete-call', frame: (id) => `[2,"${id}","Heartbeat"]`, answerId: (id) => id, expect: 'ProtocolError' },
  // a well-formed CALL of an action OCPP 1.6 has not: the flow answers NotImplemented
  { kind: 'unknown-action', frame: (id) => `[2,"${id}","SoakNoSuchAction",{}]`, answerId: (id) => id, expect: 'NotImplemented' },
];

const stations = [];

function makeStation(i) {
  return {
    i,
    id: `${cfg.prefix}${i}`,
    churner: i < Math.round(cfg.stations * cfg.churn),
    bad: i >= cfg.stations - Math.round(cfg.stations * cfg.badShare),
    ws: null,
    opened: false,
    booted: false,
    pending: null, // {id, answerId, action, kind, t, timer}
    n: 0,
    tick: null,
    churnTimer: null,
    reconnectTimer: null,
    closeCause: null,
    wantClose: false,
    triggered: [],
  };
}

function connect(st) {
  st.reconnectTimer = null;
  if (stopping) return;
  stats.links.attempts++;
  st.opened = false;
  st.booted = false;
  st.closeCause = null;
  st.wantClose = false;
  let ws;
  try {
    ws = new WebSocket(`${cfg.url}/${st.id}`, ['ocpp1.6'], { perMessageDeflate: false, handshakeTimeout: 20000 });
  } catch (err) {
    inc(stats.links.connectFailures, `throw: ${err.message}`);
    return reconnect(st, 1000, 3000);
  }
  st.ws = ws;
  ws.on('open', () => {
    st.opened = true;
    stats.links.opened++;
    sendCall(st, 'BootNotification', { chargePointVendor: 'ocpp-rs-soak', chargePointModel: 'soak', chargePointSerialNumber: st.id, firmwareVersion: '1.0' });
    if (st.churner) {
      st.churnTimer = setTimeout(() => churn(st), rand(cfg.churnMinS, cfg.churnMaxS) * 1000);
    }
  });
  ws.on('message', (data) => onMessage(st, ws, data));
  ws.on('error', (err) => {
    if (!st.opened) {
      const reason = /Unexpected server response: (\d+)/.exec(err.message) ? `HTTP ${RegExp.$1}` : err.code || err.message;
      ws.failReason = reason;
    }
  });
  ws.on('close', (code) => {
    if (st.ws !== ws) return;
    st.ws = null;
    clearTimeout(st.tick);
    clearTimeout(st.churnTimer);
    st.tick = null;
    st.churnTimer = null;
    if (!st.opened) {
      const reason = ws.failReason || `closed before open (${code})`;
      inc(stats.links.connectFailures, reason);
      bySecond(stats.links.connectFailuresBySecond, reason);
      return reconnect(st, 1000, 3000);
    }
    const cause = st.closeCause || `server ${code}`;
    inc(stats.links.closes, cause);
    if (!st.closeCause) bySecond(stats.links.serverCloses, String(code));
    if (st.pending) settle(st, `closed: ${cause}`);
    st.triggered = [];
    if (st.closeCause) reconnect(st, cfg.churnDownMinS * 1000, cfg.churnDownMaxS * 1000);
    else reconnect(st, 500, cfg.reconnectSpreadS * 1000); // a redeploy: spread the comeback
  });
}

function reconnect(st, minMs, maxMs) {
  if (stopping) return;
  st.reconnectTimer = setTimeout(() => connect(st), rand(minMs, maxMs));
}

function churn(st) {
  st.churnTimer = null;
  if (stopping || !st.ws) return;
  if (Math.random() < 0.5) {
    // abrupt: the TCP connection goes, whatever is in flight
    st.closeCause = 'churn: terminated by the station';
    st.ws.terminate();
  } else {
    // clean: a close handshake once the CALL in flight (if any) is answered
    st.wantClose = true;
    if (!st.pending) closeClean(st);
  }
}
function closeClean(st) {
  st.closeCause = 'churn: closed by the station (1000)';
  st.ws.close(1000, 'soak churn');
}

function schedule(st, ms) {
  clearTimeout(st.tick);
  st.tick = setTimeout(() => tick(st), ms);
}

function tick(st) {
  st.tick = null;
  if (stopping || !st.ws || st.ws.readyState !== WebSocket.OPEN) return;
  schedule(st, rand(0.5, 1.5) * cfg.interval * 1000);
  if (st.pending || st.wantClose) {
    stats.calls.skippedBusy++;
    return;
  }
  if (st.bad && Math.random() < cfg.badProb) return sendBad(st, BAD[Math.floor(Math.random() * BAD.length)]);
  const [action, , body] = pickAction();
  sendCall(st, action, body(st));
}

function armTimeout(st) {
  st.pending.timer = setTimeout(() => settle(st, 'timeout'), cfg.callTimeoutS * 1000);
}

function sendCall(st, action, payload) {
  const id = `${st.id}-${++st.n}`;
  st.pending = { id, answerId: id, action, kind: null, t: now() };
  stats.calls.sent++;
  const a = (stats.calls.byAction[action] = stats.calls.byAction[action] || { sent: 0, answered: 0 });
  a.sent++;
  armTimeout(st);
  st.ws.send(JSON.stringify([2, id, action, payload]));
}

function sendBad(st, bad) {
  const id = `${st.id}-${++st.n}`;
  st.pending = { id, answerId: bad.answerId(id), action: `bad:${bad.kind}`, kind: bad, t: now() };
  stats.calls.sent++;
  const b = (stats.bad[bad.kind] = stats.bad[bad.kind] || { sent: 0, expect: `callerror: ${bad.expect}`, outcomes: {} });
  b.sent++;
  armTimeout(st);
  st.ws.send(bad.frame(id));
}

function settle(st, reason) {
  const p = st.pending;
  if (!p) return;
  clearTimeout(p.timer);
  st.pending = null;
  stats.calls.settled++;
  inc(stats.calls.outcomes, reason);
  if (p.kind) inc(stats.bad[p.kind.kind].outcomes, reason);
  else if (reason === 'answered') {
    stats.calls.byAction[p.action].answered++;
    recordLatency(now() - p.t);
  }
  if (p.action === 'BootNotification' && reason === 'answered') {
    st.booted = true;
    schedule(st, Math.random() * cfg.interval * 1000);
  }
  if (!st.ws || st.ws.readyState !== WebSocket.OPEN) return;
  if (st.wantClose) return closeClean(st);
  if (st.triggered.length && st.booted && !stopping) {
    const what = st.triggered.shift();
    const found = ACTIONS.find((a) => a[0] === what);
    sendCall(st, what, found ? found[2](st) : {});
  }
}

function onMessage(st, ws, data) {
  let frame;
  try {
    frame = JSON.parse(data.toString());
  } catch (_) {
    inc(stats.calls.outcomes, 'unparsable frame from the server');
    return;
  }
  if (!Array.isArray(frame)) return inc(stats.calls.outcomes, 'non-array frame from the server');
  const [type, id] = frame;
  if (type === 2) return onServerCall(st, ws, id, frame[2], frame[3]);
  if ((type === 3 || type === 4) && st.pending && id === st.pending.answerId) {
    return settle(st, type === 3 ? 'answered' : `callerror: ${frame[2]}`);
  }
  stats.calls.unmatched++;
}

function onServerCall(st, ws, id, command, payload) {
  const sc = stats.serverCalls;
  sc.received++;
  inc(sc.byCommand, command);
  let how;
  let reply;
  if (command === 'GetConfiguration') {
    const r = Math.random();
    if (r < 0.02) how = 'ignored (on purpose: the request must time out)';
    else if (r < 0.07) {
      how = 'callerror NotSupported (on purpose)';
      reply = [4, id, 'NotSupported', 'soak: refused on purpose', {}];
    } else {
      how = 'answered';
      reply = [3, id, { configurationKey: [{ key: 'HeartbeatInterval', readonly: false, value: '300' }], unknownKey: [] }];
    }
  } else if (command === 'TriggerMessage') {
    how = 'answered';
    reply = [3, id, { status: 'Accepted' }];
    const what = payload && payload.requestedMessage;
    if (what && !stopping) st.triggered.push(what);
  } else {
    how = 'callerror NotImplemented';
    reply = [4, id, 'NotImplemented', `soak station has no ${command}`, {}];
  }
  if (reply) {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(reply));
    else how = 'answer not sent: link closed';
  }
  inc(sc.handled, how);
  if (typeof id === 'string' && id.startsWith('soak-')) {
    // The same id twice is the same request sent twice (bench/soak-cluster.js fails on it): keep the first.
    if (sc.ids[id] !== undefined) sc.duplicates.push({ id, station: st.id, first: sc.ids[id], again: how, t_s: sec() });
    else sc.ids[id] = how;
  }
  if (st.triggered.length && !st.pending && st.booted && ws.readyState === WebSocket.OPEN) {
    const what = st.triggered.shift();
    const found = ACTIONS.find((a) => a[0] === what);
    sendCall(st, what, found ? found[2](st) : {});
  }
}

// ---------------------------------------------------------------- SOAP 1.6 stations
let soapAgent = null;
let soapTimer = null;
let soapInflight = 0;
let soapN = 0;
function soapBody(cbId, n) {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing" xmlns:cs="urn://Ocpp/Cs/2015/10/">' +
    `<s:Header><cs:chargeBoxIdentity>${cbId}</cs:chargeBoxIdentity><a:Action>/Heartbeat</a:Action>` +
    `<a:MessageID>urn:uuid:soak-${n}</a:MessageID></s:Header>` +
    '<s:Body><cs:heartbeatRequest/></s:Body></s:Envelope>'
  );
}
function soapPost() {
  if (stopping) return;
  const n = ++soapN;
  const cbId = `${cfg.prefix}SOAP-${n % cfg.soapStations}`;
  const body = soapBody(cbId, n);
  stats.soap.sent++;
  soapInflight++;
  stats.soap.maxInflight = Math.max(stats.soap.maxInflight, soapInflight);
  let done = false;
  const finish = (reason) => {
    if (done) return;
    done = true;
    soapInflight--;
    stats.soap.settled++;
    inc(stats.soap.outcomes, reason);
    if (reason !== 'answered') bySecond(stats.soap.failuresBySecond, reason);
  };
  const u = new URL(cfg.soapUrl);
  const req = http.request(
    { host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent: soapAgent, timeout: cfg.callTimeoutS * 1000, headers: { 'Content-Type': 'application/soap+xml; charset=utf-8', 'Content-Length': Buffer.byteLength(body) } },
    (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        if (res.statusCode === 200 && /heartbeatResponse/i.test(text) && /currentTime/.test(text)) finish('answered');
        else finish(`HTTP ${res.statusCode}${/Fault/.test(text) ? ` Fault: ${((/<[^>]*Text[^>]*>([^<]*)</.exec(text) || [])[1] || '').slice(0, 80)}` : ''}`);
      });
      res.on('error', (err) => finish(`response error: ${err.code || err.message}`));
    },
  );
  req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })));
  req.on('error', (err) => finish(`request error: ${err.code || err.message}`));
  req.end(body);
}
function soapSockets() {
  if (!soapAgent) return 0;
  const count = (o) => Object.values(o).reduce((a, l) => a + l.length, 0);
  return count(soapAgent.sockets) + count(soapAgent.freeSockets);
}

// ---------------------------------------------------------------- control
function inflight() {
  let n = 0;
  for (const st of stations) if (st.pending) n++;
  return n;
}
function openLinks() {
  let n = 0;
  for (const st of stations) if (st.ws && st.ws.readyState === WebSocket.OPEN) n++;
  return n;
}
function snapshot() {
  return {
    t: now(),
    open: openLinks(),
    sent: stats.calls.sent,
    settled: stats.calls.settled,
    inflight: inflight(),
    soap_sent: stats.soap.sent,
    soap_inflight: soapInflight,
    soap_sockets: soapSockets(),
    server_calls: stats.serverCalls.received,
  };
}
function percentile(sorted, q) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * q) - 1)];
}

async function start(config) {
  cfg = config;
  t0 = config.t0 || now();
  soapAgent = new http.Agent({ keepAlive: true, maxSockets: cfg.soapStations });
  for (let i = 0; i < cfg.stations; i++) stations.push(makeStation(i));
  // The ramp: cfg.ramp connections a second.
  const perTick = Math.max(1, Math.round(cfg.ramp / 20));
  for (let i = 0; i < stations.length && !stopping; i += perTick) {
    for (let k = i; k < Math.min(stations.length, i + perTick); k++) connect(stations[k]);
    await new Promise((r) => setTimeout(r, 50));
  }
  if (cfg.soapPerS > 0) soapTimer = setInterval(soapPost, 1000 / cfg.soapPerS);
}

async function stop(drainS) {
  stopping = true;
  clearInterval(soapTimer);
  for (const st of stations) {
    clearTimeout(st.tick);
    clearTimeout(st.churnTimer);
    clearTimeout(st.reconnectTimer);
    st.triggered = [];
  }
  const until = now() + drainS * 1000;
  while ((inflight() > 0 || soapInflight > 0) && now() < until) await new Promise((r) => setTimeout(r, 100));
  return { inflight: inflight(), soap_inflight: soapInflight, drained_ms: drainS * 1000 - (until - now()) };
}

function report() {
  const lost = [];
  for (const st of stations) if (st.pending) lost.push({ station: st.id, id: st.pending.id, action: st.pending.action, age_ms: now() - st.pending.t });
  const sorted = [...stats.latency.samples].sort((a, b) => a - b);
  return {
    ...stats,
    latency: { count: stats.latency.count, p50_ms: percentile(sorted, 0.5), p99_ms: percentile(sorted, 0.99), max_ms: stats.latency.max },
    inflight_at_end: lost,
    soap_inflight_at_end: soapInflight,
  };
}

async function closeAll() {
  stopping = true;
  for (const st of stations) {
    clearTimeout(st.reconnectTimer);
    if (st.ws) {
      st.closeCause = 'end of run';
      st.ws.close(1000, 'soak done');
    }
  }
  if (soapAgent) soapAgent.destroy();
  const until = now() + 10000;
  while (stations.some((st) => st.ws) && now() < until) await new Promise((r) => setTimeout(r, 100));
  for (const st of stations) if (st.ws) st.ws.terminate();
}

process.on('message', async (m) => {
  try {
    let reply;
    switch (m.cmd) {
      case 'start':
        start(m.config);
        reply = { started: true };
        break;
      case 'stats':
        reply = snapshot();
        break;
      case 'stop':
        reply = await stop(m.drainS);
        break;
      case 'report':
        reply = report();
        break;
      case 'close':
        await closeAll();
        reply = { closed: true };
        break;
      case 'exit':
        process.exit(0);
        break;
      default:
        reply = { error: `unknown command ${m.cmd}` };
    }
    process.send({ seq: m.seq, reply });
  } catch (err) {
    process.send({ seq: m.seq, error: err.stack || String(err) });
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ ready: true });
