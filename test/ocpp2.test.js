'use strict';
// OCPP 2.0.1 and 2.1 next to 1.6 on one CS server, chosen per connection by
// the subprotocol; strict ocpp-rpc peers (the official OCA schemas) in both
// roles; the 2.x RPC rules on malformed frames; 2.1's SEND both ways.
const assert = require('assert');
const { RPCClient, RPCServer } = require('ocpp-rpc');
// OCA's 2.1 schemas under the ids ocpp-rpc 2.2.1 looks them up by (test/lib/stations.js).
const { STRICT_21 } = require('./lib/stations');

const strictValidators = { strictModeValidators: [STRICT_21] };
const { helper, core, ours, freePort, collector, loadFlow, sleep, until, rawStation } = require('./lib/harness');

const NODES = [ours.server, ours.remoteCp, ours.remoteCs, ours.cpJson, core.fn, core.catchNode];

// One flow answers every version: the msg says which one it is.
const ANSWER = `
const now = new Date().toISOString();
if (!msg.payload || !msg.payload.command || !msg.msgId) return null;
const v = msg.ocpp.ocppVersion;
switch (msg.payload.command) {
  case 'BootNotification':
    msg.payload = v === '1.6j' ? { status: 'Accepted', currentTime: now, interval: 300 } : { status: 'Accepted', currentTime: now, interval: 300 };
    break;
  case 'Heartbeat': msg.payload = { currentTime: now }; break;
  case 'StatusNotification': msg.payload = {}; break;
  case 'TransactionEvent': msg.payload = { idTokenInfo: { status: 'Accepted' } }; break;
  case 'Authorize': msg.payload = { idTokenInfo: { status: 'Accepted' } }; break;
  default: msg.payload = { msgType: 4, ErrorCode: 'NotImplemented', ErrorDescription: 'not in this flow' };
}
return msg;`;

function csFlow(port, extra = {}) {
  return [
    { id: 'tab', type: 'tab', label: 'ocpp2' },
    {
      id: 'cs', z: 'tab', type: 'CS server', port: String(port), portType: 'num', enabled16j: true, path16j: '/ocpp',
      json16: true, json201: true, json21: true, wires: [['answer', 'seen'], []], ...extra,
    },
    { id: 'answer', z: 'tab', type: 'function', func: ANSWER, outputs: 1, wires: [['resp']] },
    { id: 'resp', z: 'tab', type: 'server response' },
    { id: 'seen', z: 'tab', type: 'helper' },
    { id: 'req', z: 'tab', type: 'CS request JSON', wires: [['reqOut']] },
    { id: 'reqOut', z: 'tab', type: 'helper' },
    { id: 'catcher', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'tab', type: 'helper' },
  ];
}

const BOOT = {
  'ocpp1.6': { chargePointVendor: 'ocpp-rs', chargePointModel: 'sim-16' },
  'ocpp2.0.1': { reason: 'PowerUp', chargingStation: { model: 'sim-201', vendorName: 'ocpp-rs' } },
  'ocpp2.1': { reason: 'PowerUp', chargingStation: { model: 'sim-21', vendorName: 'ocpp-rs' } },
};

function station(port, identity, protocol) {
  return new RPCClient({ endpoint: `ws://127.0.0.1:${port}/ocpp`, identity, protocols: [protocol], strictMode: true, reconnect: false, ...strictValidators });
}

// A raw socket to see exactly what the server sends back.
const rawSocket = (port, id, protocol) => rawStation(`ws://127.0.0.1:${port}/ocpp/${id}`, protocol);

describe('OCPP 2.0.1 and 2.1', function () {
  this.timeout(30000);
  let port;
  const clients = [];
  beforeEach(async () => {
    port = await freePort();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close({ force: true }).catch(() => {});
    await helper.unload();
  });

  it('serves 1.6, 2.0.1 and 2.1 stations on one path, each msg labelled with its version', async () => {
    await loadFlow(NODES, csFlow(port));
    const seen = collector(helper.getNode('seen'));
    for (const [protocol, id] of [['ocpp1.6', 'V16-CP'], ['ocpp2.0.1', 'V201-CP'], ['ocpp2.1', 'V21-CP']]) {
      const cp = station(port, id, protocol);
      clients.push(cp);
      await cp.connect();
      assert.strictEqual(cp.protocol, protocol);
      const boot = await cp.call('BootNotification', BOOT[protocol]);
      assert.strictEqual(boot.status, 'Accepted');
      const label = { 'ocpp1.6': '1.6j', 'ocpp2.0.1': '2.0.1', 'ocpp2.1': '2.1' }[protocol];
      const online = await seen.next((m) => m.ocpp && m.ocpp.websocket === 'ONLINE' && m.ocpp.chargeBoxIdentity === id);
      assert.strictEqual(online.ocpp.ocppVersion, label);
      const call = await seen.next((m) => m.ocpp && m.ocpp.chargeBoxIdentity === id && m.payload && m.payload.command === 'BootNotification');
      assert.strictEqual(call.ocpp.ocppVersion, label);
    }
    // A 2.0.1 transaction through the same flow.
    const cp = clients[1];
    const ev = await cp.call('TransactionEvent', {
      eventType: 'Started', timestamp: new Date().toISOString(), triggerReason: 'Authorized', seqNo: 0,
      transactionInfo: { transactionId: 'tx-1' }, idToken: { idToken: 'TAG1', type: 'ISO14443' }, evse: { id: 1, connectorId: 1 },
    });
    assert.strictEqual(ev.idTokenInfo.status, 'Accepted');
    // The flow's 1.6-style error code reaches the 2.0.1 station in 2.0.1 spelling.
    await assert.rejects(cp.call('NotifyReport', { requestId: 1, generatedAt: new Date().toISOString(), seqNo: 0 }), (err) => err.rpcErrorCode === 'NotImplemented');
  });

  it('CS request JSON speaks each station\'s version', async () => {
    await loadFlow(NODES, csFlow(port));
    const cp = station(port, 'REQ-201', 'ocpp2.0.1');
    clients.push(cp);
    cp.handle('GetVariables', ({ params }) => ({
      getVariableResult: params.getVariableData.map((d) => ({ attributeStatus: 'Accepted', attributeValue: '300', component: d.component, variable: d.variable })),
    }));
    cp.handle('RequestStartTransaction', () => ({ status: 'Accepted' }));
    await cp.connect();
    const reqOut = collector(helper.getNode('reqOut'));
    helper.getNode('req').receive({
      payload: { cbId: 'REQ-201', command: 'GetVariables', data: { getVariableData: [{ component: { name: 'OCPPCommCtrlr' }, variable: { name: 'HeartbeatInterval' } }] } },
    });
    const vars = await reqOut.next();
    assert.strictEqual(vars.ocpp.ocppVersion, '2.0.1');
    assert.strictEqual(vars.payload.data.getVariableResult[0].attributeValue, '300');
    helper.getNode('req').receive({ payload: { cbId: 'REQ-201', command: 'RequestStartTransaction', data: { remoteStartId: 7, idToken: { idToken: 'TAG', type: 'Central' } } } });
    assert.strictEqual((await reqOut.next((m) => m.ocpp.command === 'RequestStartTransaction')).payload.data.status, 'Accepted');
  });

  it('answers malformed 2.x frames with the 2.x RPC error codes', async () => {
    await loadFlow(NODES, csFlow(port));
    const raw = await rawSocket(port, 'BAD-201', 'ocpp2.0.1');
    const cases = [
      ['not json', [4, '-1', 'RpcFrameworkError']],
      ['{"a":1}', [4, '-1', 'RpcFrameworkError']],
      ['[7,"t7",{}]', [4, 't7', 'MessageTypeNotSupported']],
      ['[6,"s6","NotifyPeriodicEventStream",{}]', [4, 's6', 'MessageTypeNotSupported']],
      ['[2,"p1","Heartbeat",[]]', [4, 'p1', 'FormatViolation']],
      ['[2,"p2","Heartbeat"]', [4, 'p2', 'ProtocolError']],
    ];
    for (const [text, expected] of cases) {
      const reply = raw.next();
      raw.ws.send(text);
      const frame = await reply;
      assert.deepStrictEqual(frame.slice(0, 3), expected, text);
    }
    raw.ws.close();
  });

  it('shows 2.1 SENDs to the flow without answering them, and refuses versions the server does not serve', async () => {
    await loadFlow(NODES, csFlow(port));
    const seen = collector(helper.getNode('seen'));
    const raw = await rawSocket(port, 'SEND-21', 'ocpp2.1');
    raw.ws.send(JSON.stringify([6, 'send-1', 'NotifyPeriodicEventStream', { id: 1, pending: 0, basetime: new Date().toISOString(), data: [{ t: 0, v: '1' }] }]));
    const msg = await seen.next((m) => m.ocpp && m.ocpp.msgType === 6);
    assert.strictEqual(msg.ocpp.ocppVersion, '2.1');
    assert.strictEqual(msg.ocpp.MessageId, 'send-1');
    assert.strictEqual(msg.payload.command, 'NotifyPeriodicEventStream');
    assert.strictEqual(msg.msgId, undefined, 'nothing to answer');
    // A later marker: a CALL after the SEND is answered, so an answer to the SEND would be there first.
    const hb = await raw.call([2, 'hb-after-send', 'Heartbeat', {}]);
    assert.deepStrictEqual(hb.slice(0, 2), [3, 'hb-after-send']);
    assert.deepStrictEqual(raw.frames.map((f) => f.slice(0, 2)), [[3, 'hb-after-send']], 'a SEND is never answered');
    raw.ws.close();
    await helper.unload();

    await loadFlow(NODES, csFlow(port, { json201: false, json21: false }));
    await assert.rejects(station(port, 'ONLY-201', 'ocpp2.0.1').connect(), /400|Bad Request/);
  });

  it('CP client JSON plays a 2.0.1 station against a strict ocpp-rpc CSMS, and a 2.1 one sends SEND', async () => {
    const server = new RPCServer({ protocols: ['ocpp2.0.1', 'ocpp2.1'], strictMode: true, ...strictValidators });
    const received = [];
    const answered = [];
    // Every frame a station sent, as the server read it off the socket.
    const inbound = [];
    server.on('client', (client) => {
      client.on('message', ({ message, outbound }) => {
        if (!outbound) inbound.push({ id: client.identity, frame: JSON.parse(String(message)) });
      });
      client.handle(({ method, params }) => {
        received.push({ id: client.identity, protocol: client.protocol, method, params });
        if (method === 'BootNotification') {
          setTimeout(() => {
            client
              .call('GetVariables', { getVariableData: [{ component: { name: 'OCPPCommCtrlr' }, variable: { name: 'HeartbeatInterval' } }] })
              .then((r) => answered.push(r))
              .catch((e) => answered.push({ error: e.message }));
          }, 50);
          return { status: 'Accepted', currentTime: new Date().toISOString(), interval: 300 };
        }
        if (method === 'Heartbeat') return { currentTime: new Date().toISOString() };
        return {};
      });
    });
    const httpServer = await server.listen(port, '127.0.0.1');
    try {
      const flow = [
        { id: 'tab', type: 'tab', label: 'cp2' },
        { id: 'rcs', type: 'ocpp-remote-cs', url: `ws://127.0.0.1:${port}` },
        { id: 'cp201', z: 'tab', type: 'CP client JSON', cbId: 'SIM-201', remotecs: 'rcs', ocppver: '2.0.1', wires: [['out201', 'answer201']] },
        {
          id: 'answer201', z: 'tab', type: 'function', outputs: 1, wires: [['cp201']],
          func: `if (!msg.msgId || msg.payload.command !== 'GetVariables') return null;
return { payload: { msgType: 3, MessageId: msg.ocpp.MessageId, data: { getVariableResult: msg.payload.data.getVariableData.map((d) => ({ attributeStatus: 'Accepted', attributeValue: '300', component: d.component, variable: d.variable })) } } };`,
        },
        { id: 'out201', z: 'tab', type: 'helper' },
        { id: 'cp21', z: 'tab', type: 'CP client JSON', cbId: 'SIM-21', remotecs: 'rcs', ocppver: '2.1', wires: [['out21']] },
        { id: 'out21', z: 'tab', type: 'helper' },
        { id: 'catcher', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
        { id: 'caught', z: 'tab', type: 'helper' },
      ];
      await loadFlow(NODES, flow);
      const out201 = collector(helper.getNode('out201'));
      const out21 = collector(helper.getNode('out21'));
      const caught = collector(helper.getNode('caught'));
      await out201.next((m) => m.ocpp && m.ocpp.websocket === 'ONLINE');
      helper.getNode('cp201').receive({ topic: 'boot', payload: { command: 'BootNotification', data: BOOT['ocpp2.0.1'] } });
      const boot = await out201.next((m) => m.topic === 'boot');
      assert.strictEqual(boot.ocpp.ocppVersion, '2.0.1');
      assert.strictEqual(boot.payload.data.status, 'Accepted');
      const cmd = await out201.next((m) => m.payload && m.payload.command === 'GetVariables');
      assert.strictEqual(cmd.ocpp.ocppVersion, '2.0.1');
      for (let i = 0; i < 100 && answered.length === 0; i++) await sleep(20);
      assert.strictEqual(answered[0].getVariableResult[0].attributeValue, '300');
      assert.strictEqual(received[0].protocol, 'ocpp2.0.1');

      await out21.next((m) => m.ocpp && m.ocpp.websocket === 'ONLINE');
      helper.getNode('cp21').receive({ topic: 'boot21', payload: { command: 'BootNotification', data: BOOT['ocpp2.1'] } });
      const boot21 = await out21.next((m) => m.topic === 'boot21');
      assert.strictEqual(boot21.ocpp.ocppVersion, '2.1');
      assert.strictEqual(boot21.payload.data.status, 'Accepted');
      assert.deepStrictEqual(received.map((r) => `${r.id} ${r.protocol} ${r.method}`), ['SIM-201 ocpp2.0.1 BootNotification', 'SIM-21 ocpp2.1 BootNotification']);
      // A 2.1 SEND: ocpp-rpc does not know message type 6 and answers with
      // MessageTypeNotSupported, which the station's node reports as a warning.
      helper.getNode('cp21').receive({ topic: 'send', payload: { msgType: 6, command: 'NotifyPeriodicEventStream', data: { id: 1, pending: 0, basetime: new Date().toISOString(), data: [] } } });
      const sent = await out21.next((m) => m.topic === 'send');
      assert.strictEqual(sent.ocpp.msgType, 6);
      assert.ok(sent.ocpp.MessageId);
      // The SEND went out on the wire, with the id the flow was told.
      const onWire = await until('the SEND reached the server', () => inbound.find((f) => f.id === 'SIM-21' && f.frame[0] === 6), 5000);
      assert.deepStrictEqual(onWire.frame.slice(0, 3), [6, sent.ocpp.MessageId, 'NotifyPeriodicEventStream']);
      assert.deepStrictEqual(Object.keys(onWire.frame[3]).sort(), ['basetime', 'data', 'id', 'pending']);
      // SEND is 2.1 only.
      helper.getNode('cp201').receive({ topic: 'bad-send', payload: { msgType: 6, command: 'NotifyPeriodicEventStream', data: {} } });
      const refused = await caught.next((m) => m.topic === 'bad-send');
      assert.match(refused.error.message, /OCPP 2.1 only/);
    } finally {
      await server.close({ force: true });
      httpServer.close();
    }
  });
});
