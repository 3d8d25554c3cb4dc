'use strict';
// msg.topic is "<chargeBoxId>/<command>" on the msgs the nodes send, so the
// debug sidebar reads without expanding each msg; a topic the flow set is kept.
const assert = require('assert');
const { RPCClient } = require('ocpp-rpc');
const { helper, core, ours, freePort, collector, loadFlow } = require('./lib/harness');

const ANSWER = `
if (!msg.payload || !msg.payload.command) return null;
msg.payload = msg.payload.command === 'BootNotification'
  ? { status: 'Accepted', currentTime: new Date().toISOString(), interval: 300 }
  : { currentTime: new Date().toISOString() };
return msg;`;

// A CS server answering through `server response`; what it sends goes to helper `seen` too.
const centralSystem = (port) => [
  {
    id: 'cs', z: 'tab', type: 'CS server', name: 'CS', port: String(port), portType: 'num',
    enabled15: false, path15: '', enabled16: false, path16: '', enabled16j: true, path16j: '/ocpp',
    log: false, pathlog: '', pingInterval: 30, answerTimeout: 5, wires: [['answer', 'seen'], []],
  },
  { id: 'answer', z: 'tab', type: 'function', func: ANSWER, outputs: 1, wires: [['resp']] },
  { id: 'resp', z: 'tab', type: 'server response', name: '' },
  { id: 'seen', z: 'tab', type: 'helper' },
];

describe('msg.topic', function () {
  this.timeout(20000);

  afterEach(async () => {
    await helper.unload();
  });

  it('names the station and the command on the CS server\'s msgs, and on CP client JSON\'s answers unless the flow set one', async () => {
    const port = await freePort();
    await loadFlow([ours.server, ours.cpJson, ours.remoteCs, ours.remoteCp, core.fn], [
      { id: 'tab', type: 'tab', label: 'topics' },
      ...centralSystem(port),
      { id: 'rcs', type: 'ocpp-remote-cs', name: 'CS', url: `ws://127.0.0.1:${port}/ocpp` },
      {
        id: 'cp', z: 'tab', type: 'CP client JSON', name: '', cbId: 'TOPIC-CP', remotecs: 'rcs', ocppver: '1.6j',
        command: '', cmddata: '', log: false, pathlog: '', wsdelayconnect: false, wstomin: 0.2, wstoinc: 0, wstomax: 1,
        callTimeout: 5, pingInterval: 30, handshakeTimeout: 5, offlineQueue: true, queueActions: '', queueMax: 100,
        wires: [['cpOut']],
      },
      { id: 'cpOut', z: 'tab', type: 'helper' },
    ]);
    const seen = collector(helper.getNode('seen'));
    const cpOut = collector(helper.getNode('cpOut'));
    await cpOut.next((m) => m.ocpp && m.ocpp.websocket === 'ONLINE');
    const online = await seen.next((m) => m.ocpp && m.ocpp.websocket === 'ONLINE' && m.ocpp.chargeBoxIdentity === 'TOPIC-CP');
    assert.strictEqual(online.topic, 'TOPIC-CP/ONLINE');
    const boot = { chargePointVendor: 'V', chargePointModel: 'M' };
    helper.getNode('cp').receive({ payload: { command: 'BootNotification', data: boot } });
    const call = await seen.next((m) => m.ocpp && m.ocpp.command === 'BootNotification');
    assert.strictEqual(call.topic, 'TOPIC-CP/BootNotification');
    const answered = await cpOut.next((m) => m.ocpp && m.ocpp.command === 'BootNotification' && m.ocpp.msgType === 3);
    assert.strictEqual(answered.topic, 'TOPIC-CP/BootNotification');
    helper.getNode('cp').receive({ topic: 'mine', payload: { command: 'Heartbeat', data: {} } });
    const mine = await cpOut.next((m) => m.ocpp && m.ocpp.command === 'Heartbeat' && m.ocpp.msgType === 3);
    assert.strictEqual(mine.topic, 'mine', 'the flow\'s own topic is kept');
  });

  it('names the station on a station\'s CALL from an independent client (ocpp-rpc)', async () => {
    const port = await freePort();
    await loadFlow([ours.server, core.fn], [
      { id: 'tab', type: 'tab', label: 'topics' },
      ...centralSystem(port),
    ]);
    const seen = collector(helper.getNode('seen'));
    const client = new RPCClient({ endpoint: `ws://127.0.0.1:${port}/ocpp`, identity: 'RPC 1', protocols: ['ocpp1.6'], reconnect: false });
    await client.connect();
    await client.call('Heartbeat', {});
    const hb = await seen.next((m) => m.ocpp && m.ocpp.command === 'Heartbeat');
    assert.strictEqual(hb.topic, 'RPC 1/Heartbeat');
    await client.close();
  });
});
