'use strict';
// End to end: our CP client JSON node in a real Node-RED flow against a
// Central System nobody here wrote (ocpp-rpc's RPCServer, strict 1.6 schemas).
const assert = require('assert');
const http = require('http');
const WebSocket = require('ws');
const { RPCServer, createRPCError } = require('ocpp-rpc');
const https = require('https');
const net = require('net');
const { helper, core, ours, freePort, collector, loadFlow, sleep, until } = require('./lib/harness');
const { makeCertificates } = require('./lib/certs');

const NODES = [ours.cpJson, ours.remoteCs, core.fn, core.catchNode];

// Answers the Central System's CALLs the way a flow would: back into the node.
const ANSWER_CS = `
if (!msg.ocpp || msg.ocpp.msgType !== 2) return null;
if (msg.ocpp.command === 'Reset') return { payload: { msgType: 4, MessageId: msg.ocpp.MessageId, ErrorCode: 'NotSupported', ErrorDescription: 'no resets here' } };
if (msg.ocpp.command === 'GetConfiguration') return { payload: { msgType: 3, MessageId: msg.ocpp.MessageId, data: { configurationKey: [{ key: 'HeartbeatInterval', readonly: false, value: '60' }] } } };
return { ocpp: msg.ocpp, payload: { msgType: 3, data: { status: 'Accepted' } } };`;

function cpFlow(port, extra = {}) {
  return [
    { id: 'tab', type: 'tab', label: 'cp' },
    { id: 'rcs', type: 'ocpp-remote-cs', name: 'CS', url: `ws://127.0.0.1:${port}/ocpp` },
    {
      id: 'cp', z: 'tab', type: 'CP client JSON', name: '', cbId: extra.cbId || 'SIM-1', remotecs: 'rcs', ocppver: '1.6j',
      command: '', cmddata: '', log: false, pathlog: '', wsdelayconnect: !!extra.delay, wstomin: 0.2, wstoinc: 0, wstomax: 1,
      callTimeout: extra.callTimeout || 5, pingInterval: 30, handshakeTimeout: 5, offlineQueue: true, queueActions: 'DataTransfer', queueMax: 100,
      wires: [['out', 'answer']],
    },
    { id: 'answer', z: 'tab', type: 'function', func: ANSWER_CS, outputs: 1, wires: [['cp']] },
    { id: 'out', z: 'tab', type: 'helper' },
    { id: 'catcher', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'tab', type: 'helper' },
  ];
}

// A strict OCPP 1.6 Central System that records what it receives.
async function centralSystem(port, { password } = {}) {
  const server = new RPCServer({ protocols: ['ocpp1.6'], strictMode: true });
  const received = [];
  const clients = [];
  if (password) {
    server.auth((accept, reject, handshake) => (String(handshake.password || '') === password ? accept() : reject(401)));
  }
  let nextTx = 100;
  server.on('client', (client) => {
    clients.push(client);
    const log = (name) => ({ params }) => {
      received.push({ identity: client.identity, action: name, params });
    };
    client.handle('BootNotification', (c) => (log('BootNotification')(c), { status: 'Accepted', currentTime: new Date().toISOString(), interval: 300 }));
    client.handle('Heartbeat', (c) => (log('Heartbeat')(c), { currentTime: new Date().toISOString() }));
    client.handle('StartTransaction', (c) => (log('StartTransaction')(c), { transactionId: nextTx++, idTagInfo: { status: 'Accepted' } }));
    client.handle('StopTransaction', (c) => (log('StopTransaction')(c), { idTagInfo: { status: 'Accepted' } }));
    client.handle('MeterValues', (c) => (log('MeterValues')(c), {}));
    client.handle('Authorize', () => {
      throw createRPCError('SecurityError', 'not today');
    });
  });
  const httpServer = await server.listen(port);
  return { server, httpServer, received, clients };
}

const meter = (txId, wh) => ({
  connectorId: 1,
  transactionId: txId,
  meterValue: [{ timestamp: new Date().toISOString(), sampledValue: [{ value: String(wh) }] }],
});

describe('CP client JSON in a Node-RED flow', function () {
  this.timeout(20000);
  let port;
  let cs;

  beforeEach(async () => {
    port = await freePort();
  });

  afterEach(async () => {
    await helper.unload();
    if (cs) await cs.server.close({ force: true, awaitPending: false });
    cs = null;
  });

  it('boots, runs a transaction and answers the Central System through the flow', async () => {
    cs = await centralSystem(port);
    await loadFlow(NODES, cpFlow(port));
    const out = collector(helper.getNode('out'));
    const cp = helper.getNode('cp');
    await out.next((m) => m.ocpp && m.ocpp.websocket === 'ONLINE');

    cp.receive({ topic: 'boot', payload: { command: 'BootNotification', data: { chargePointVendor: 'V', chargePointModel: 'M' } } });
    const boot = await out.next((m) => m.topic === 'boot');
    assert.strictEqual(boot.payload.data.status, 'Accepted');
    assert.strictEqual(boot.ocpp.msgType, 3);
    assert.strictEqual(boot.ocpp.command, 'BootNotification');
    assert.strictEqual(boot.ocpp.websocket, 'ONLINE');
    assert.strictEqual(boot.msgId, boot.ocpp.MessageId);

    cp.receive({ topic: 'start', payload: { command: 'StartTransaction', data: { connectorId: 1, idTag: 'T', meterStart: 0, timestamp: new Date().toISOString() } } });
    const start = await out.next((m) => m.topic === 'start');
    const txId = start.payload.data.transactionId;
    cp.receive({ topic: 'mv', payload: { command: 'MeterValues', data: meter(txId, 10) } });
    await out.next((m) => m.topic === 'mv');
    cp.receive({ topic: 'stop', payload: { command: 'StopTransaction', data: { transactionId: txId, meterStop: 10, timestamp: new Date().toISOString() } } });
    await out.next((m) => m.topic === 'stop');
    assert.deepStrictEqual(cs.received.map((r) => r.action), ['BootNotification', 'StartTransaction', 'MeterValues', 'StopTransaction']);

    const station = cs.clients[0];
    assert.strictEqual(station.identity, 'SIM-1');
    const conf = await station.call('GetConfiguration', { key: ['HeartbeatInterval'] });
    assert.deepStrictEqual(conf, { configurationKey: [{ key: 'HeartbeatInterval', readonly: false, value: '60' }] });
    const callMsg = await out.next((m) => m.ocpp && m.ocpp.msgType === 2);
    assert.strictEqual(callMsg.ocpp.ocppVersion, '1.6j');
    assert.deepStrictEqual(callMsg.payload, { command: 'GetConfiguration', data: { key: ['HeartbeatInterval'] } });
    assert.deepStrictEqual(await station.call('ChangeAvailability', { connectorId: 0, type: 'Operative' }), { status: 'Accepted' });
    await assert.rejects(station.call('Reset', { type: 'Soft' }), (e) => e.rpcErrorCode === 'NotSupported' && /no resets here/.test(e.message));
  });

  it('turns a CALLERROR from the Central System and a bad msg into catchable errors', async () => {
    cs = await centralSystem(port);
    await loadFlow(NODES, cpFlow(port));
    const out = collector(helper.getNode('out'));
    const caught = collector(helper.getNode('caught'));
    const cp = helper.getNode('cp');
    await out.next((m) => m.ocpp && m.ocpp.websocket === 'ONLINE');
    cp.receive({ payload: { command: 'Authorize', data: { idTag: 'T' } } });
    const err = await caught.next();
    assert.strictEqual(err.ocpp.ErrorCode, 'SecurityError');
    assert.match(err.error.message, /CALLERROR SecurityError: not today/);
    cp.receive({ payload: { msgType: 3, MessageId: 'never-asked', data: {} } });
    assert.match((await caught.next((m) => m.payload.MessageId === 'never-asked')).error.message, /no CALL from the Central System/);
    cp.receive({ payload: { msgType: 7 } });
    assert.match((await caught.next((m) => m.payload.msgType === 7)).error.message, /msgType must be/);
  });

  it('keeps transaction messages while offline and sends them in order after the reconnect', async () => {
    cs = await centralSystem(port);
    await loadFlow(NODES, cpFlow(port));
    const out = collector(helper.getNode('out'));
    const caught = collector(helper.getNode('caught'));
    const cp = helper.getNode('cp');
    await out.next((m) => m.ocpp && m.ocpp.websocket === 'ONLINE');
    cp.receive({ topic: 'start', payload: { command: 'StartTransaction', data: { connectorId: 1, idTag: 'T', meterStart: 0, timestamp: new Date().toISOString() } } });
    const txId = (await out.next((m) => m.topic === 'start')).payload.data.transactionId;

    // The Central System goes away mid-transaction.
    await cs.server.close({ force: true, awaitPending: false });
    await out.next((m) => m.ocpp && m.ocpp.websocket === 'OFFLINE');
    for (let i = 1; i <= 3; i++) cp.receive({ topic: `mv${i}`, payload: { command: 'MeterValues', data: meter(txId, i * 100) } });
    cp.receive({ topic: 'stop', payload: { command: 'StopTransaction', data: { transactionId: txId, meterStop: 300, timestamp: new Date().toISOString() } } });
    cp.receive({ topic: 'hb', payload: { command: 'Heartbeat', data: {} } });
    const refused = await caught.next((m) => m.topic === 'hb');
    assert.strictEqual(refused.ocpp.failure, 'NotConnected');
    assert.match(refused.error.message, /Heartbeat is not kept while offline/);

    await sleep(300);
    cs = await centralSystem(port);
    for (const topic of ['mv1', 'mv2', 'mv3', 'stop']) await out.next((m) => m.topic === topic, 8000);
    const actions = cs.received.map((r) => r.action);
    assert.deepStrictEqual(actions, ['MeterValues', 'MeterValues', 'MeterValues', 'StopTransaction']);
    assert.deepStrictEqual(
      cs.received.slice(0, 3).map((r) => r.params.meterValue[0].sampledValue[0].value),
      ['100', '200', '300'],
      'in the order they were sent'
    );
  });

  it('survives malformed frames from the Central System and answers them with CALLERRORs', async () => {
    const server = http.createServer();
    const wss = new WebSocket.Server({ server, handleProtocols: () => 'ocpp1.6' });
    const answers = [];
    wss.on('connection', (ws) => {
      ws.on('message', (d) => answers.push(JSON.parse(String(d))));
      for (const bad of ['garbage', '{}', '[3,"nobody",{}]', '[2,"x1","Reset"]', '[2,"x2","Reset",{"type":"Soft"}']) ws.send(bad);
      ws.send(Buffer.from([0, 1]), { binary: true });
      ws.send('[2,"ok1","UnlockConnector",{"connectorId":1}]');
    });
    await new Promise((r) => server.listen(port, r));
    try {
      await loadFlow(NODES, cpFlow(port));
      const out = collector(helper.getNode('out'));
      const call = await out.next((m) => m.ocpp && m.ocpp.MessageId === 'ok1');
      assert.strictEqual(call.ocpp.command, 'UnlockConnector');
      await sleep(200);
      const errors = answers.filter((a) => a[0] === 4);
      assert.deepStrictEqual(
        errors.map((e) => [e[1], e[2]]),
        [['-1', 'FormationViolation'], ['-1', 'FormationViolation'], ['x1', 'ProtocolError'], ['-1', 'FormationViolation'], ['-1', 'FormationViolation']]
      );
      assert.ok(answers.some((a) => a[0] === 3 && a[1] === 'ok1'), 'the well-formed CALL was answered by the flow');
    } finally {
      wss.close();
      server.close();
    }
  });

  it('follows the control msgs and never shows the password', async () => {
    cs = await centralSystem(port, { password: 'pw-1' });
    await loadFlow(NODES, cpFlow(port, { delay: true }), { cp: { password: 'pw-1' } });
    const out = collector(helper.getNode('out'));
    const cp = helper.getNode('cp');
    cp.receive({ payload: { msgType: 99, command: 'ws_state' } });
    assert.strictEqual((await out.next((m) => m.ocpp && m.ocpp.csmsUrl)).ocpp.websocket, 'OFFLINE');
    cp.receive({ payload: { msgType: 99, command: 'connect', data: { cbId: 'SIM-2' } } });
    await out.next((m) => m.ocpp && m.ocpp.websocket === 'ONLINE');
    assert.strictEqual(cs.clients[0].identity, 'SIM-2');
    cp.receive({ topic: 'state', payload: { msgType: 99, command: 'ws_state' } });
    const state = await out.next((m) => m.ocpp && m.ocpp.csmsUrl && m.ocpp.websocket === 'ONLINE');
    assert.strictEqual(state.ocpp.csmsUrl, `ws://127.0.0.1:${port}/ocpp/SIM-2`);
    assert.ok(!JSON.stringify(state).includes('pw-1'));
    cp.receive({ payload: { msgType: 99, command: 'close' } });
    await out.next((m) => m.ocpp && m.ocpp.websocket === 'OFFLINE');
    await sleep(500);
    assert.strictEqual(cs.clients.length, 1, 'no reconnect after close');
  });

  it('reports the messages a redeploy drops', async () => {
    await loadFlow(NODES, cpFlow(port));
    const cp = helper.getNode('cp');
    cp.receive({ payload: { command: 'StartTransaction', data: { connectorId: 1, idTag: 'T', meterStart: 0, timestamp: new Date().toISOString() } } });
    await sleep(100);
    // The helper stops capturing logs before it stops the flows, so listen on the node itself.
    const warnings = [];
    const warn = cp.warn.bind(cp);
    cp.warn = (text) => warnings.push(String(text)) && warn(text);
    await helper.unload();
    assert.ok(warnings.some((w) => /1 queued message\(s\) unsent: StartTransaction/.test(w)), JSON.stringify(warnings));
  });

  it('connects over wss:// trusting the CA file it is given, and refuses without it', async () => {
    const certs = makeCertificates();
    const server = https.createServer({ cert: certs.cert, key: certs.key });
    const wss = new WebSocket.Server({ server, handleProtocols: () => 'ocpp1.6' });
    const frames = [];
    wss.on('connection', (ws, req) => {
      ws.on('message', (d) => {
        const f = JSON.parse(String(d));
        frames.push({ url: req.url, f });
        ws.send(JSON.stringify([3, f[1], { currentTime: new Date().toISOString() }]));
      });
    });
    await new Promise((r) => server.listen(port, '127.0.0.1', r));
    try {
      const flow = cpFlow(port);
      flow[1].url = `wss://localhost:${port}/ocpp`;
      const withCa = JSON.parse(JSON.stringify(flow));
      withCa[2].caFile = certs.caFile;
      await loadFlow(NODES, withCa);
      const out = collector(helper.getNode('out'));
      await out.next((m) => m.ocpp && m.ocpp.websocket === 'ONLINE');
      helper.getNode('cp').receive({ topic: 'hb', payload: { command: 'Heartbeat', data: {} } });
      await out.next((m) => m.topic === 'hb');
      assert.strictEqual(frames[0].url, '/ocpp/SIM-1');
      await helper.unload();

      await loadFlow(NODES, flow);
      const cp = helper.getNode('cp');
      const warnings = [];
      const warn = cp.warn.bind(cp);
      cp.warn = (t) => warnings.push(String(t)) && warn(t);
      await until('a warning about the certificate', () => warnings.some((w) => /connecting failed: .*(certificate|Unknown ?Issuer)/i.test(w)), 5000).catch(() =>
        assert.fail(JSON.stringify(warnings))
      );
    } finally {
      wss.close();
      server.close();
      certs.cleanup();
    }
  });

  it('notices a dead link by its missing pongs and reconnects', async () => {
    const server = http.createServer();
    const wss = new WebSocket.Server({ server, handleProtocols: () => 'ocpp1.6' });
    let connections = 0;
    wss.on('connection', (ws) => {
      connections++;
      // The first peer goes silent: it no longer reads, so it never pongs.
      if (connections === 1) ws._socket.pause();
    });
    await new Promise((r) => server.listen(port, r));
    try {
      const flow = cpFlow(port);
      flow[2].pingInterval = 0.2;
      await loadFlow(NODES, flow);
      const out = collector(helper.getNode('out'));
      const offline = await out.next((m) => m.ocpp && m.ocpp.websocket === 'OFFLINE', 5000);
      assert.strictEqual(offline.ocpp.code, 1011);
      await out.next((m) => m.ocpp && m.ocpp.websocket === 'ONLINE' && connections === 2, 5000);
    } finally {
      wss.close();
      server.close();
    }
  });

  it('gives up a handshake that takes too long and tries again', async () => {
    // A server that accepts TCP connections and never answers the upgrade.
    const sockets = [];
    const silent = net.createServer((sock) => sockets.push(sock));
    await new Promise((r) => silent.listen(port, '127.0.0.1', r));
    try {
      const flow = cpFlow(port);
      flow[2].handshakeTimeout = 0.3;
      await loadFlow(NODES, flow);
      const cp = helper.getNode('cp');
      const warnings = [];
      const warn = cp.warn.bind(cp);
      cp.warn = (t) => warnings.push(String(t)) && warn(t);
      await until('a handshake timeout warning and a second attempt', () => warnings.some((w) => /no WebSocket handshake within/.test(w)) && sockets.length >= 2, 5000).catch(() =>
        assert.fail(`${sockets.length} attempts; ${JSON.stringify(warnings)}`)
      );
    } finally {
      sockets.forEach((s) => s.destroy());
      silent.close();
    }
  });
});
