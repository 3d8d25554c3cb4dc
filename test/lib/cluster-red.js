'use strict';
// One instance of a clustered Central System: a Node-RED process of its own
// (test/lib/our-red.js) running the same flow as every other instance, with
// HTTP endpoints the test drives it through, as an operator's flow would:
//   POST /call   {command, cbId, data}  -> a CS request JSON; answers {ok, payload, ocpp} or {ok:false, error, ocpp}
//   GET  /seen   what the CS server sent (command, station, instance) and its last status
const fs = require('fs');
const os = require('os');
const path = require('path');
const { startOurRed } = require('./our-red');

const ANSWER = `
const now = new Date().toISOString();
const c = msg.payload && msg.payload.command;
if (!c) return null;
if (c === 'BootNotification') msg.payload = msg.ocpp.ocppVersion === '1.6j' ? { status: 'Accepted', currentTime: now, interval: 300 } : { status: 'Accepted', currentTime: now, interval: 300 };
else if (c === 'Heartbeat') msg.payload = { currentTime: now };
else if (c === 'Authorize') msg.payload = { idTagInfo: { status: 'Accepted' } };
else msg.payload = {};
return msg;`;

const RECORD = `
const seen = global.get('seen') || [];
seen.push({ command: msg.ocpp && msg.ocpp.command, cb: msg.ocpp && msg.ocpp.chargeBoxIdentity, instance: msg.ocpp && msg.ocpp.instance, topic: msg.topic });
if (seen.length > 2000) seen.shift();
global.set('seen', seen);
return null;`;

// `cs`: more CS server settings; `answer`: the answering function's code instead of ANSWER.
function clusterFlow({ csPort, redisPort, prefix, instance, strict = false, timeout = 5, password = null, cs = {}, answer = ANSWER }) {
  const z = 'tab';
  return [
    { id: z, type: 'tab', label: 'cluster' },
    { id: 'cl', type: 'ocpp-cluster', name: '', url: `redis://127.0.0.1:${redisPort}/0`, prefix, instance, maxPending: 10000 },
    {
      id: 'cs', z, type: 'CS server', name: 'CS', port: String(csPort), portType: 'num', enabled15: false, enabled16: false,
      enabled16j: true, path16j: '/ocpp', json16: true, json201: true, strict, pingInterval: 30, answerTimeout: 10,
      requireAuth: !!password, cluster: 'cl', wires: [['answer', 'record'], []], ...cs,
    },
    { id: 'answer', z, type: 'function', func: answer, outputs: 1, wires: [['resp']] },
    { id: 'resp', z, type: 'server response', name: '' },
    { id: 'record', z, type: 'function', func: RECORD, outputs: 1, wires: [[]] },
    { id: 'st', z, type: 'status', scope: ['cs'], wires: [['keepStatus']] },
    { id: 'keepStatus', z, type: 'function', func: "global.set('status', msg.status.text); return null;", outputs: 1, wires: [[]] },
    { id: 'inCall', z, type: 'http in', url: '/call', method: 'post', wires: [['req']] },
    // LOCAL_DISCONNECT and LOCAL_SET_ALL_AUTH_EVSES send nothing on (as in the original): answered when done.
    { id: 'completer', z, type: 'complete', scope: ['req'], uncaught: false, wires: [['doneOk']] },
    { id: 'doneOk', z, type: 'function', func: "const c = msg.payload && msg.payload.command; if (c !== 'LOCAL_DISCONNECT' && c !== 'LOCAL_SET_ALL_AUTH_EVSES') return null; msg.payload = { ok: true }; return msg;", outputs: 1, wires: [['out']] },
    { id: 'req', z, type: 'CS request JSON', remotecb: '', command: '', cmddata: '', timeout, wires: [['ok']] },
    { id: 'ok', z, type: 'function', func: 'msg.payload = { ok: true, payload: msg.payload, ocpp: msg.ocpp }; return msg;', outputs: 1, wires: [['out']] },
    { id: 'catcher', z, type: 'catch', scope: ['req'], uncaught: false, wires: [['err']] },
    { id: 'err', z, type: 'function', func: 'msg.payload = { ok: false, error: msg.error.message, ocpp: msg.ocpp }; return msg;', outputs: 1, wires: [['out']] },
    { id: 'inSeen', z, type: 'http in', url: '/seen', method: 'get', wires: [['seen']] },
    { id: 'seen', z, type: 'function', func: "msg.payload = { seen: global.get('seen') || [], status: global.get('status') || '' }; return msg;", outputs: 1, wires: [['out']] },
    // POST /burst {command, cbId, data, n}: n CS request JSON msgs sent at once (one node.send), outcomes kept for GET /burst.
    { id: 'inBurst', z, type: 'http in', url: '/burst', method: 'post', wires: [['burst']] },
    { id: 'burst', z, type: 'function', func: "const p = msg.payload; global.set('burst', []); const out = []; for (let i = 0; i < p.n; i += 1) out.push({ payload: { command: p.command, cbId: p.cbId, data: p.data } }); msg.payload = { sent: p.n }; return [out, msg];", outputs: 2, wires: [['reqBurst'], ['out']] },
    { id: 'reqBurst', z, type: 'CS request JSON', remotecb: '', command: '', cmddata: '', timeout, wires: [['burstRec']] },
    { id: 'burstCatch', z, type: 'catch', scope: ['reqBurst'], uncaught: false, wires: [['burstRec']] },
    { id: 'burstRec', z, type: 'function', func: "const r = global.get('burst') || []; r.push(msg.error ? { ok: false, error: msg.error.message, ocpp: msg.ocpp } : { ok: true, ocpp: msg.ocpp }); global.set('burst', r); return null;", outputs: 1, wires: [[]] },
    { id: 'inBurstGet', z, type: 'http in', url: '/burst', method: 'get', wires: [['burstGet']] },
    { id: 'burstGet', z, type: 'function', func: "msg.payload = global.get('burst') || []; return msg;", outputs: 1, wires: [['out']] },
    { id: 'inPid', z, type: 'http in', url: '/pid', method: 'get', wires: [['pid']] },
    { id: 'pid', z, type: 'function', func: "msg.payload = { pid: global.get('pid') }; return msg;", outputs: 1, wires: [['out']] },
    { id: 'out', z, type: 'http response', statusCode: '', headers: {} },
  ];
}

// Starts one instance; `call` and `seen` drive it over HTTP.
async function startInstance(options) {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), `ocpp-cluster-${options.instance}-`));
  // The process id, for SIGSTOP/SIGCONT: Node-RED's own, through the function nodes' global context.
  const settings = 'functionGlobalContext: { pid: process.pid },';
  const red = await startOurRed(userDir, clusterFlow(options), { editorPort: options.editorPort, settings });
  const base = `http://127.0.0.1:${options.editorPort}`;
  return {
    ...red,
    instance: options.instance,
    csPort: options.csPort,
    editorPort: options.editorPort,
    async call(command, cbId, data = {}) {
      const res = await fetch(`${base}/call`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ command, cbId, data }) });
      return res.json();
    },
    async seen() {
      return (await fetch(`${base}/seen`)).json();
    },
    // Sends `n` CALLs at once; resolves with their outcomes once all came back.
    async burst(command, cbId, data, n, ms = 30000) {
      await fetch(`${base}/burst`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ command, cbId, data, n }) });
      return until(`${n} outcomes`, async () => {
        const r = await (await fetch(`${base}/burst`)).json();
        return r.length >= n && r;
      }, ms);
    },
    async pid() {
      return (await (await fetch(`${base}/pid`)).json()).pid;
    },
    // A full deploy of the flows it runs (every node stopped and started again).
    async redeploy() {
      const flows = await (await fetch(`${base}/flows`)).json();
      const res = await fetch(`${base}/flows`, { method: 'POST', headers: { 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'full' }, body: JSON.stringify(flows) });
      if (res.status !== 204) throw new Error(`deploy answered ${res.status}`);
    },
    cleanup() {
      fs.rmSync(userDir, { recursive: true, force: true });
    },
  };
}

// Polls `fn` every 100 ms until it returns something truthy (returned), or fails after `ms`.
async function until(what, fn, ms = 10000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not within ${ms} ms: ${what}; last: ${JSON.stringify(last)}`);
}

module.exports = { startInstance, clusterFlow, until };
