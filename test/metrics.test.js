'use strict';
// GET /ocpp/metrics, read by a real Prometheus text-format parser
// (parse-prometheus-text-format, a port of the Prometheus Python client's):
// stations exchange CALLs both ways through a real flow, one is answered with a
// CALLERROR, a malformed frame and a made-up action arrive, handshakes are
// refused; the numbers must say exactly that. With adminAuth on, in a Node-RED
// process of its own, the route needs a token.
const assert = require('assert');
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');
const { RPCClient } = require('ocpp-rpc');
const parsePrometheusTextFormat = require('parse-prometheus-text-format');
const { helper, core, ours, freePort, collector, loadFlow, rawStation, refusedWith } = require('./lib/harness');
const { startOurRed } = require('./lib/our-red');

const ANSWER_FN = `
const now = new Date().toISOString();
switch (msg.payload.command) {
  case 'BootNotification': msg.payload = { status: 'Accepted', currentTime: now, interval: 300 }; break;
  case 'Heartbeat': msg.payload = { currentTime: now }; break;
  default: msg.payload = { msgType: 4, ErrorCode: 'NotImplemented', ErrorDescription: 'not here' };
}
return msg;`;

function flow(port) {
  return [
    { id: 'tab', type: 'tab', label: 'metrics' },
    {
      id: 'cs', z: 'tab', type: 'CS server', name: 'CS "main"', port: String(port), portType: 'num',
      enabled15: false, path15: '', enabled16: true, path16: '/ocpp16s', enabled16j: true, path16j: '/ocpp',
      json16: true, json201: true, log: false, pathlog: '', pingInterval: 30, answerTimeout: 60, wires: [['answer'], []],
    },
    { id: 'answer', z: 'tab', type: 'function', func: ANSWER_FN, outputs: 1, wires: [['resp']] },
    { id: 'resp', z: 'tab', type: 'server response', name: '' },
    { id: 'req', z: 'tab', type: 'CS request JSON', remotecb: '', command: '', cmddata: '', timeout: 5, wires: [['reqOut']] },
    { id: 'reqOut', z: 'tab', type: 'helper' },
  ];
}


// A SOAP 1.6 request from `cbId`; resolves with the HTTP status and body.
function postSoap(port, p, cbId, body) {
  const envelope =
    '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:cs="urn://Ocpp/Cs/2015/10/">' +
    `<s:Header><cs:chargeBoxIdentity>${cbId}</cs:chargeBoxIdentity></s:Header><s:Body>${body}</s:Body></s:Envelope>`;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: p, method: 'POST', headers: { 'content-type': 'application/soap+xml' } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    req.end(envelope);
  });
}

// The parsed families by name, and one sample's value by its labels.
//
// The parser folds a histogram's series into one object and drops every label
// but `le` (fine for a histogram without labels, not for ours, labelled by
// server), so the text is also parsed with the histograms declared untyped:
// their _bucket, _sum and _count series are then read as they are.
function read(text) {
  const families = new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f]));
  const series = new Map(parsePrometheusTextFormat(text.replace(/^# TYPE (\S+) histogram$/gm, '# TYPE $1 untyped')).map((f) => [f.name, f]));
  const value = (name, labels) => {
    const family = families.get(name) || series.get(name);
    assert.ok(family, `${name} is missing`);
    const found = family.metrics.filter((m) => Object.entries(labels).every(([k, v]) => (m.labels || {})[k] === v));
    assert.strictEqual(found.length, 1, `${name} ${JSON.stringify(labels)}: ${JSON.stringify(family.metrics)}`);
    return found[0];
  };
  const number = (name, labels) => Number(value(name, labels).value);
  // A histogram's buckets (le -> cumulative count, in the text's order), sum and count.
  const histogram = (name, labels) => {
    const buckets = series.get(`${name}_bucket`).metrics.filter((m) => Object.entries(labels).every(([k, v]) => m.labels[k] === v));
    return {
      buckets: buckets.map((m) => [m.labels.le, Number(m.value)]),
      sum: number(`${name}_sum`, labels),
      count: number(`${name}_count`, labels),
    };
  };
  return { families, value, number, histogram };
}

describe('GET /ocpp/metrics', function () {
  this.timeout(30000);
  const closers = [];

  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    await helper.unload();
  });

  it('counts messages, CALLERRORs, refusals and times as a Prometheus parser reads them', async () => {
    const port = await freePort();
    await loadFlow([ours.server, core.fn], flow(port));
    const server = { server: 'CS "main"' };

    const cp = new RPCClient({ endpoint: `ws://127.0.0.1:${port}/ocpp`, identity: 'CP-M1', protocols: ['ocpp1.6'], strictMode: true, reconnect: false });
    closers.push(() => cp.close({ force: true }).catch(() => {}));
    cp.handle('Reset', () => ({ status: 'Accepted' }));
    await cp.connect();
    await cp.call('BootNotification', { chargePointVendor: 'V', chargePointModel: 'M' });
    for (let i = 0; i < 3; i += 1) await cp.call('Heartbeat', {});
    await assert.rejects(cp.call('FirmwareStatusNotification', { status: 'Idle' }), (e) => e.rpcErrorCode === 'NotImplemented');

    // The Central System's CALL and its round trip.
    const reqOut = collector(helper.getNode('reqOut'));
    helper.getNode('req').receive({ payload: { command: 'Reset', cbId: 'CP-M1', data: { type: 'Soft' } } });
    assert.deepStrictEqual((await reqOut.next()).payload, { data: { status: 'Accepted' } });

    // A 2.0.1 station: a malformed frame, and a made-up action (counted as "other").
    const raw = await rawStation(`ws://127.0.0.1:${port}/ocpp/CP-M2`, 'ocpp2.0.1');
    closers.push(() => raw.ws.terminate());
    assert.strictEqual((await raw.call('not json'))[2], 'RpcFrameworkError');
    const made = await raw.call([2, 'm1', 'Evil"Action\nx', {}]);
    assert.deepStrictEqual(made.slice(0, 3), [4, 'm1', 'NotImplemented']);

    // A SOAP 1.6 station's Heartbeat.
    const soap = await postSoap(port, '/ocpp16s', 'CP-S1', '<cs:heartbeatRequest/>');
    assert.strictEqual(soap.status, 200, soap.text);
    assert.match(soap.text, /heartbeatResponse/);

    assert.strictEqual(await refusedWith(`ws://127.0.0.1:${port}/ocpp/CP-M3`, ['ocpp9.9']), 400);
    assert.strictEqual(await refusedWith(`ws://127.0.0.1:${port}/elsewhere/CP-M4`, ['ocpp1.6']), 404);

    const res = await helper.request().get('/ocpp/metrics').expect(200);
    assert.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/);
    const m = read(res.text);

    assert.strictEqual(m.number('ocpp_stations_connected', server), 2);
    const msgs = (direction, version, action, type) => m.number('ocpp_messages_total', { ...server, direction, version, action, type });
    assert.strictEqual(msgs('in', '1.6j', 'Heartbeat', 'call'), 3);
    assert.strictEqual(msgs('out', '1.6j', 'Heartbeat', 'callresult'), 3);
    assert.strictEqual(msgs('in', '1.6j', 'BootNotification', 'call'), 1);
    assert.strictEqual(msgs('out', '1.6j', 'FirmwareStatusNotification', 'callerror'), 1);
    assert.strictEqual(msgs('out', '1.6j', 'Reset', 'call'), 1);
    assert.strictEqual(msgs('in', '1.6j', 'Reset', 'callresult'), 1);
    assert.strictEqual(msgs('in', '2.0.1', 'other', 'call'), 1, 'a made-up action is "other"');
    assert.strictEqual(msgs('out', '2.0.1', 'other', 'callerror'), 2, 'the malformed frame and the made-up action');
    assert.strictEqual(msgs('in', 'soap1.6', 'Heartbeat', 'call'), 1);
    assert.strictEqual(msgs('out', 'soap1.6', 'Heartbeat', 'callresult'), 1);
    assert.ok(!res.text.includes('Evil'), 'no label a station made up');

    const errors = (direction, version, code) => m.number('ocpp_callerrors_total', { ...server, direction, version, code });
    assert.strictEqual(errors('out', '1.6j', 'NotImplemented'), 1);
    assert.strictEqual(errors('out', '2.0.1', 'NotImplemented'), 1);
    assert.strictEqual(errors('out', '2.0.1', 'RpcFrameworkError'), 1);

    const refused = (reason) => m.number('ocpp_handshakes_refused_total', { ...server, reason });
    assert.strictEqual(refused('subprotocol'), 1);
    assert.strictEqual(refused('unknown_path'), 1);
    assert.strictEqual(refused('unauthorized'), 0);

    // Histograms: the flow answered 7 station requests (boot, 3 heartbeats, FSN, the
    // made-up one, the SOAP heartbeat); one CS request went and came back.
    for (const [name, count] of [['ocpp_flow_answer_seconds', 7], ['ocpp_cs_request_seconds', 1]]) {
      assert.strictEqual(m.families.get(name).type, 'HISTOGRAM');
      const h = m.histogram(name, server);
      assert.strictEqual(h.count, count, name);
      assert.deepStrictEqual(h.buckets[h.buckets.length - 1], ['+Inf', count]);
      const bounds = h.buckets.slice(0, -1).map(([le]) => Number(le));
      assert.ok(bounds.length > 10 && bounds.every((b, i) => i === 0 || b > bounds[i - 1]), `bounds ascend: ${bounds}`);
      const counts = h.buckets.map(([, n]) => n);
      assert.ok(counts.every((c, i) => i === 0 || c >= counts[i - 1]), `cumulative: ${counts}`);
      assert.ok(h.sum > 0 && h.sum < 5 * count, `${name} sum ${h.sum}`);
    }
    assert.strictEqual(m.number('ocpp_flow_answers_waiting', { ...server, protocol: 'ocppj' }), 0);
    // Everything the engine had for the flow was delivered: nothing waits.
    assert.strictEqual(m.number('ocpp_event_backlog_bytes', server), 0);
    assert.strictEqual(m.number('ocpp_flow_answer_timeouts_total', server), 0);
    assert.strictEqual(m.number('ocpp_cs_request_timeouts_total', server), 0);
  });

  it('forgets a server once it stops', async () => {
    const port = await freePort();
    await loadFlow([ours.server, core.fn], flow(port));
    assert.match((await helper.request().get('/ocpp/metrics').expect(200)).text, /ocpp_stations_connected\{server="CS \\"main\\""\} 0/);
    await helper.unload();
    await loadFlow([ours.server], [{ id: 'tab', type: 'tab', label: 'empty' }]);
    const text = (await helper.request().get('/ocpp/metrics').expect(200)).text;
    assert.ok(!text.includes('CS \\"main\\"'), text);
    assert.ok(parsePrometheusTextFormat(text).length > 0, 'the families are still described');
  });

  describe('with adminAuth on (a Node-RED process of its own)', function () {
    let userDir;
    let red;

    beforeEach(() => {
      userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocpp-metrics-'));
    });

    afterEach(async () => {
      if (red) await red.stop();
      red = null;
      fs.rmSync(userDir, { recursive: true, force: true });
    });

    it('answers 401 without a token and the metrics with a bearer token of a read-only user', async () => {
      const bcrypt = require(require.resolve('bcryptjs', { paths: [require('./lib/node-red').dir, path.dirname(require.resolve('node-red/package.json'))] }));
      const editorPort = await freePort();
      const csPort = await freePort();
      const settings = {
        adminAuth: { type: 'credentials', users: [{ username: 'watcher', password: bcrypt.hashSync('s3cret', 8), permissions: 'read' }] },
      };
      const flows = [
        { id: 'tab', type: 'tab', label: 'metrics' },
        {
          id: 'cs', z: 'tab', type: 'CS server', name: '', port: String(csPort), portType: 'num', enabled15: false, path15: '',
          enabled16: false, path16: '', enabled16j: true, path16j: '/ocpp', log: false, pathlog: '', wires: [[], []],
        },
      ];
      red = await startOurRed(userDir, flows, { editorPort, settings });
      const base = `http://127.0.0.1:${editorPort}`;

      assert.strictEqual((await fetch(`${base}/ocpp/metrics`)).status, 401);
      assert.strictEqual((await fetch(`${base}/ocpp/metrics`, { headers: { authorization: 'Bearer not-a-token' } })).status, 401);

      const login = await fetch(`${base}/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: 'node-red-admin', grant_type: 'password', scope: 'read', username: 'watcher', password: 's3cret' }),
      });
      assert.strictEqual(login.status, 200);
      const { access_token: token } = await login.json();
      const res = await fetch(`${base}/ocpp/metrics`, { headers: { authorization: `Bearer ${token}` } });
      assert.strictEqual(res.status, 200);
      assert.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
      const m = read(await res.text());
      // An unnamed node is labelled by its id.
      assert.strictEqual(m.number('ocpp_stations_connected', { server: 'cs' }), 0);
      // The engine's heap, counted by its allocator: a running Central System holds some, and has allocated.
      assert.ok(m.number('ocpp_engine_heap_bytes', {}) > 1000, `engine heap ${m.number('ocpp_engine_heap_bytes', {})}`);
      assert.ok(m.number('ocpp_engine_allocations_total', {}) >= m.number('ocpp_engine_heap_bytes', {}) / (1 << 20));
      // Its live tokio tasks: at least the running server's listener.
      assert.ok(m.number('ocpp_engine_tasks', {}) >= 1, `engine tasks ${m.number('ocpp_engine_tasks', {})}`);
    });

    it('is not there at all with httpAdminRoot: false (the flows\' own HTTP routes still are)', async () => {
      const editorPort = await freePort();
      const csPort = await freePort();
      const flows = [
        { id: 'tab', type: 'tab', label: 'metrics' },
        {
          id: 'cs', z: 'tab', type: 'CS server', name: '', port: String(csPort), portType: 'num', enabled15: false, path15: '',
          enabled16: false, path16: '', enabled16j: true, path16j: '/ocpp', log: false, pathlog: '', wires: [[], []],
        },
        { id: 'alive', z: 'tab', type: 'http in', url: '/alive', method: 'get', wires: [['aliveOut']] },
        { id: 'aliveOut', z: 'tab', type: 'function', func: "msg.payload = 'alive'; return msg;", outputs: 1, wires: [['aliveRes']] },
        { id: 'aliveRes', z: 'tab', type: 'http response', statusCode: '', headers: {} },
      ];
      red = await startOurRed(userDir, flows, { editorPort, settings: { httpAdminRoot: false } });
      const base = `http://127.0.0.1:${editorPort}`;
      // The port serves the flows (the marker that the server is up and answering) ...
      const alive = await fetch(`${base}/alive`);
      assert.strictEqual(alive.status, 200);
      assert.strictEqual(await alive.text(), 'alive');
      // ... and neither the metrics nor the sidebar's routes, nor the editor.
      for (const route of ['/ocpp/metrics', '/ocpp/stations', '/flows']) assert.strictEqual((await fetch(`${base}${route}`)).status, 404, route);
      // The CS server itself runs.
      assert.match(red.output(), /Started flows/);
      assert.doesNotMatch(red.output(), /\[error\]/);
    });
  });
});
