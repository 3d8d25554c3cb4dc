'use strict';
// Cross-implementation: our nodes against the original node-red-contrib-ocpp,
// run in a second Node-RED process.
const assert = require('assert');
const { helper, core, ours, freePort, collector, loadFlow, sleep, until } = require('./lib/harness');
const { startOriginalRed } = require('./lib/second-red');

// The original's CS server with a flow answering every station request.
function originalCentralSystem(port) {
  const answer = `
if (!msg.payload || !msg.payload.command) return null;
switch (msg.payload.command) {
  case 'BootNotification': msg.payload = { status: 'Accepted', currentTime: new Date().toISOString(), interval: 300 }; break;
  case 'StartTransaction': msg.payload = { transactionId: 7, idTagInfo: { status: 'Accepted' } }; break;
  case 'StopTransaction': msg.payload = { idTagInfo: { status: 'Accepted' } }; break;
  case 'Heartbeat': msg.payload = { currentTime: new Date().toISOString() }; break;
  default: msg.payload = {};
}
return msg;`;
  return [
    { id: 't', type: 'tab', label: 'original' },
    { id: 'cs', z: 't', type: 'CS server', name: 'original CS', port: String(port), portType: 'num', enabled15: false, path15: '', enabled16: false, path16: '', enabled16j: true, path16j: '/ocpp', log: false, pathlog: '', wires: [['fn'], []] },
    { id: 'fn', z: 't', type: 'function', func: answer, outputs: 1, wires: [['resp']] },
    { id: 'resp', z: 't', type: 'server response', name: '' },
  ];
}

describe('interoperability with the original node-red-contrib-ocpp (second Node-RED process)', function () {
  this.timeout(60000);
  let original;

  afterEach(async () => {
    await helper.unload();
    if (original) await original.stop();
    original = null;
  });

  it('our CP client JSON completes a charging session with the original CS server', async () => {
    const csPort = await freePort();
    original = await startOriginalRed(originalCentralSystem(csPort), { editorPort: await freePort() });
    const flow = [
      { id: 'tab', type: 'tab', label: 'ours' },
      { id: 'rcs', type: 'ocpp-remote-cs', name: 'original', url: `ws://127.0.0.1:${csPort}/ocpp` },
      { id: 'cp', z: 'tab', type: 'CP client JSON', cbId: 'OURS-1', remotecs: 'rcs', wstomin: 0.2, wstoinc: 0.2, wstomax: 2, callTimeout: 10, wires: [['out']] },
      { id: 'out', z: 'tab', type: 'helper' },
    ];
    await loadFlow([ours.cpJson, ours.remoteCs, core.fn], flow);
    const out = collector(helper.getNode('out'));
    const cp = helper.getNode('cp');
    await out.next((m) => m.ocpp && m.ocpp.websocket === 'ONLINE', 15000);
    const steps = [
      ['BootNotification', { chargePointVendor: 'ocpp-rs', chargePointModel: 'interop' }],
      ['StartTransaction', { connectorId: 1, idTag: 'TAG', meterStart: 0, timestamp: new Date().toISOString() }],
      ['MeterValues', { connectorId: 1, transactionId: 7, meterValue: [{ timestamp: new Date().toISOString(), sampledValue: [{ value: '500' }] }] }],
      ['StopTransaction', { transactionId: 7, meterStop: 500, timestamp: new Date().toISOString() }],
      ['Heartbeat', {}],
    ];
    for (const [command, data] of steps) {
      cp.receive({ topic: command, payload: { command, data } });
      const answer = await out.next((m) => m.topic === command, 10000);
      assert.strictEqual(answer.ocpp.msgType, 3, command);
    }
    assert.strictEqual(out.msgs.find((m) => m.topic === 'BootNotification').payload.data.status, 'Accepted');
    assert.strictEqual(out.msgs.find((m) => m.topic === 'StartTransaction').payload.data.transactionId, 7);
  });

  it("the original's CP client JSON completes a session with our CS server", async () => {
    const csPort = await freePort();
    const answer = `
if (!msg.payload || !msg.payload.command) return null;
if (msg.payload.command === 'BootNotification') msg.payload = { status: 'Accepted', currentTime: new Date().toISOString(), interval: 300 };
else if (msg.payload.command === 'Heartbeat') msg.payload = { currentTime: new Date().toISOString() };
else msg.payload = { transactionId: 9, idTagInfo: { status: 'Accepted' } };
return msg;`;
    const flow = [
      { id: 'tab', type: 'tab', label: 'ours' },
      { id: 'cs', z: 'tab', type: 'CS server', port: String(csPort), portType: 'num', enabled16j: true, path16j: '/ocpp', wires: [['fn', 'seen'], []] },
      { id: 'fn', z: 'tab', type: 'function', func: answer, outputs: 1, wires: [['resp']] },
      { id: 'resp', z: 'tab', type: 'server response' },
      { id: 'seen', z: 'tab', type: 'helper' },
    ];
    await loadFlow([ours.server, core.fn], flow);
    const seen = collector(helper.getNode('seen'));
    const inject = (id, delay, payload) => ({
      id, z: 't', type: 'inject', props: [{ p: 'payload' }], repeat: '', once: true, onceDelay: delay, topic: '',
      payload: JSON.stringify(payload), payloadType: 'json', wires: [['cp']],
    });
    original = await startOriginalRed(
      [
        { id: 't', type: 'tab', label: 'original CP' },
        { id: 'rcs', type: 'ocpp-remote-cs', name: 'ours', url: `ws://127.0.0.1:${csPort}/ocpp` },
        { id: 'cp', z: 't', type: 'CP client JSON', name: 'ORIG-1', cbId: 'ORIG-1', remotecs: 'rcs', ocppver: '1.6j', command: '', cmddata: '', log: false, pathlog: '', wsdelayconnect: false, wstomin: 1, wstomax: 5, wstoinc: 1, wires: [['got']] },
        // What the original station received, one log line per msg, for the test to read.
        { id: 'got', z: 't', type: 'function', func: "node.warn('ORIG-GOT ' + JSON.stringify({ ocpp: msg.ocpp, payload: msg.payload }));\nreturn null;", outputs: 1, wires: [[]] },
        inject('i1', '1', { command: 'BootNotification', data: { chargePointVendor: 'original', chargePointModel: 'node-red-contrib-ocpp' } }),
        inject('i2', '1.5', { command: 'StartTransaction', data: { connectorId: 1, idTag: 'TAG', meterStart: 0, timestamp: new Date().toISOString() } }),
        inject('i3', '2', { command: 'Heartbeat', data: {} }),
      ],
      { editorPort: await freePort() }
    );
    const online = await seen.next((m) => m.ocpp && m.ocpp.websocket === 'ONLINE', 15000);
    assert.strictEqual(online.ocpp.chargeBoxIdentity, 'ORIG-1');
    for (const command of ['BootNotification', 'StartTransaction', 'Heartbeat']) {
      const call = await seen.next((m) => m.payload && m.payload.command === command, 15000);
      assert.strictEqual(call.ocpp.chargeBoxIdentity, 'ORIG-1');
    }
    // The answers reached the original station: its CP client JSON sent them on.
    const received = await until('the original station got the three answers', () => {
      const got = original
        .output()
        .split('\n')
        .filter((l) => l.includes('ORIG-GOT '))
        .map((l) => JSON.parse(l.slice(l.indexOf('ORIG-GOT ') + 9)));
      const answers = got.filter((g) => g.ocpp && g.ocpp.msgType === 3 && g.payload && g.payload.data);
      return answers.length >= 3 && answers;
    }, 15000).catch((e) => assert.fail(`${e.message}\n${original.output().slice(-3000)}`));
    const byCommand = Object.fromEntries(received.map((g) => [g.ocpp.command, g.payload.data]));
    assert.strictEqual(byCommand.BootNotification.status, 'Accepted', JSON.stringify(received));
    assert.strictEqual(byCommand.StartTransaction.transactionId, 9, JSON.stringify(received));
    assert.strictEqual(typeof byCommand.Heartbeat.currentTime, 'string', JSON.stringify(received));
  });

  it("our CP Request SOAP boots at the original's CS server over SOAP 1.6", async () => {
    const csPort = await freePort();
    const flow = originalCentralSystem(csPort);
    Object.assign(flow[1], { enabled16: true, path16: '/ocpp16s', enabled16j: false });
    original = await startOriginalRed(flow, { editorPort: await freePort() });
    await loadFlow([ours.cpReqSoap, ours.remoteCs], [
      { id: 'tab', type: 'tab', label: 'ours' },
      { id: 'rcs', type: 'ocpp-remote-cs', url: `http://127.0.0.1:${csPort}/ocpp16s` },
      { id: 'req', z: 'tab', type: 'CP Request SOAP', name: 'OURS-SOAP', remotecs: 'rcs', ocppver: '1.6s', from: 'http://127.0.0.1:9/ours', command: 'BootNotification', wires: [['out']] },
      { id: 'out', z: 'tab', type: 'helper' },
    ]);
    const out = collector(helper.getNode('out'));
    helper.getNode('req').receive({ payload: { data: { chargePointVendor: 'ocpp-rs', chargePointModel: 'interop' } } });
    const boot = await out.next(() => true, 10000);
    assert.strictEqual(boot.payload.data.status, 'Accepted');
    assert.strictEqual(Number(boot.payload.data.interval), 300);
  });

  it("the original's CS request SOAP calls our CP server SOAP and gets well-formed answers, twice", async () => {
    const cpPort = await freePort();
    const answer = `if (!msg.payload || !msg.payload.command) return null;
msg.payload = { status: 'Accepted' };
return msg;`;
    await loadFlow([ours.server, core.fn], [
      { id: 'tab', type: 'tab', label: 'ours' },
      { id: 'cp', z: 'tab', type: 'CP server SOAP', port: String(cpPort), enabled16: true, path16: '/ocpp', wires: [['fn', 'seen']] },
      { id: 'fn', z: 'tab', type: 'function', func: answer, outputs: 1, wires: [['resp']] },
      { id: 'resp', z: 'tab', type: 'server response' },
      { id: 'seen', z: 'tab', type: 'helper' },
    ]);
    const seen = collector(helper.getNode('seen'));
    const inject = (id, delay) => ({
      id, z: 't', type: 'inject', props: [{ p: 'payload' }], repeat: '', once: true, onceDelay: delay, topic: '',
      payload: '{"data":{"type":"Soft"}}', payloadType: 'json', wires: [['req']],
    });
    original = await startOriginalRed(
      [
        { id: 't', type: 'tab', label: 'original CS' },
        { id: 'rcp', type: 'ocpp-remote-cp', name: '', cbId: 'OURS-CP', url: `http://127.0.0.1:${cpPort}/ocpp`, ocppver: '1.6s' },
        inject('i1', '1'),
        inject('i2', '2'),
        { id: 'req', z: 't', type: 'CS request SOAP', name: '', remotecb: 'rcp', command: 'Reset', cmddata: '', log: false, pathlog: '', wires: [['dbg']] },
        { id: 'dbg', z: 't', type: 'debug', active: true, tosidebar: false, console: true, complete: 'payload' },
      ],
      { editorPort: await freePort() }
    );
    const first = await seen.next((m) => m.ocpp && m.ocpp.command === 'Reset', 15000);
    assert.strictEqual(first.ocpp.chargeBoxIdentity, 'OURS-CP');
    assert.deepStrictEqual(first.payload.data, { type: 'Soft' });
    await seen.next((m, i) => seen.msgs.filter((x) => x.ocpp && x.ocpp.command === 'Reset').length >= 2, 15000);
    await sleep(1000);
    const log = original.output();
    const answers = log.match(/status[^\n]*Accepted/g) || [];
    assert.ok(answers.length >= 2, `the original logged both answers:\n${log.slice(-3000)}`);
    assert.ok(!/\[error\]/.test(log), `the original logged an error:\n${log.slice(-3000)}`);
  });
});
