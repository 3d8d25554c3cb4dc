'use strict';
// Strict mode: payloads checked against the OCA schemas both ways, on the
// CS server (1.6 and 2.x stations) and on CP client JSON, with the CALLERROR
// codes each spec names.
const assert = require('assert');
const http = require('http');
const WebSocket = require('ws');
const { helper, core, ours, freePort, collector, loadFlow, sleep, rawStation } = require('./lib/harness');

const NODES = [ours.server, ours.remoteCp, ours.remoteCs, ours.cpJson, core.fn, core.catchNode];

// Answers Heartbeat wrongly on purpose when the station says so in its id.
const ANSWER = `
if (!msg.msgId) return null;
const now = new Date().toISOString();
switch (msg.payload.command) {
  case 'BootNotification': msg.payload = { status: 'Accepted', currentTime: now, interval: 300 }; break;
  case 'Heartbeat': msg.payload = msg.ocpp.chargeBoxIdentity.startsWith('BAD-ANSWER') ? { currentTime: 'yesterday' } : { currentTime: now }; break;
  default: msg.payload = {};
}
return msg;`;

function csFlow(port) {
  return [
    { id: 'tab', type: 'tab', label: 'strict' },
    {
      id: 'cs', z: 'tab', type: 'CS server', port: String(port), portType: 'num', enabled16j: true, path16j: '/ocpp',
      json16: true, json201: true, json21: true, strict: true, answerTimeout: 2, wires: [['answer', 'seen'], []],
    },
    { id: 'answer', z: 'tab', type: 'function', func: ANSWER, outputs: 1, wires: [['resp']] },
    { id: 'resp', z: 'tab', type: 'server response' },
    { id: 'seen', z: 'tab', type: 'helper' },
    { id: 'req', z: 'tab', type: 'CS request JSON', timeout: 5, wires: [['reqOut']] },
    { id: 'reqOut', z: 'tab', type: 'helper' },
    { id: 'catcher', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'tab', type: 'helper' },
  ];
}

const rawSocket = rawStation;

describe('strict mode (OCA JSON schemas)', function () {
  this.timeout(20000);
  let port;
  beforeEach(async () => {
    port = await freePort();
  });
  afterEach(() => helper.unload());

  it("refuses a station's invalid CALLs with the spec's CALLERROR, in its version's spelling, before the flow sees them", async () => {
    await loadFlow(NODES, csFlow(port));
    const seen = collector(helper.getNode('seen'));
    const v16 = await rawSocket(`ws://127.0.0.1:${port}/ocpp/STRICT-16`, 'ocpp1.6');
    const cases16 = [
      [[2, 'a', 'BootNotification', { chargePointVendor: 'x' }], 'OccurenceConstraintViolation'],
      [[2, 'b', 'BootNotification', { chargePointVendor: 'x', chargePointModel: 5 }], 'TypeConstraintViolation'],
      [[2, 'c', 'BootNotification', { chargePointVendor: 'x'.repeat(21), chargePointModel: 'm' }], 'PropertyConstraintViolation'],
      [[2, 'd', 'BootNotification', { chargePointVendor: 'x', chargePointModel: 'm', colour: 'red' }], 'FormationViolation'],
      [[2, 'e', 'StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Sleeping' }], 'PropertyConstraintViolation'],
      [[2, 'f', 'MakeCoffee', {}], 'NotImplemented'],
    ];
    for (const [frame, code] of cases16) {
      const reply = await v16.call(frame);
      assert.deepStrictEqual(reply.slice(0, 3), [4, frame[1], code], JSON.stringify(frame));
      assert.ok(reply[3].length > 0, 'a description says what is wrong');
    }
    assert.match((await v16.call([2, 'g', 'BootNotification', { chargePointVendor: 'x', chargePointModel: 'm' }]))[2].currentTime, /^\d{4}-/);

    const v201 = await rawSocket(`ws://127.0.0.1:${port}/ocpp/STRICT-201`, 'ocpp2.0.1');
    const missing = await v201.call([2, 'h', 'BootNotification', { reason: 'PowerUp' }]);
    assert.deepStrictEqual(missing.slice(0, 3), [4, 'h', 'OccurrenceConstraintViolation']);
    const extra = await v201.call([2, 'i', 'Heartbeat', { beat: 1 }]);
    assert.deepStrictEqual(extra.slice(0, 3), [4, 'i', 'FormatViolation']);
    // None of the refused CALLs reached the flow.
    assert.deepStrictEqual(seen.msgs.filter((m) => m.msgId).map((m) => m.ocpp.MessageId), ['g']);
    v16.ws.close();
    v201.ws.close();
  });

  it("refuses the flow's invalid answer with a catchable error; the station gets InternalError at once", async () => {
    await loadFlow(NODES, csFlow(port));
    const caught = collector(helper.getNode('caught'));
    const cp = await rawSocket(`ws://127.0.0.1:${port}/ocpp/BAD-ANSWER-1`, 'ocpp1.6');
    const reply = cp.call([2, 'hb1', 'Heartbeat', {}]);
    const err = await caught.next();
    assert.match(err.error.message, /answer to Heartbeat is not valid OCPP 1.6j \(PropertyConstraintViolation\).*currentTime/);
    assert.match(err.error.message, /the station got a CALLERROR InternalError instead/);
    const started = Date.now();
    const told = await reply;
    assert.deepStrictEqual(told.slice(0, 3), [4, 'hb1', 'InternalError']);
    assert.match(told[3], /^no valid answer: /);
    assert.ok(Date.now() - started < 1000, 'not at the 2 s answer timeout');
    cp.ws.close();
  });

  it('CS request JSON: an invalid request is refused, an invalid answer fails it (2.1 stations hear CALLRESULTERROR)', async () => {
    await loadFlow(NODES, csFlow(port));
    const caught = collector(helper.getNode('caught'));
    const reqOut = collector(helper.getNode('reqOut'));
    const seen = collector(helper.getNode('seen'));
    const online = (id) => seen.next((m) => m.ocpp && m.ocpp.websocket === 'ONLINE' && m.ocpp.chargeBoxIdentity === id);
    const req = helper.getNode('req');
    const cp16 = await rawSocket(`ws://127.0.0.1:${port}/ocpp/REQ-16`, 'ocpp1.6');
    await online('REQ-16');
    req.receive({ topic: 'bad-req', payload: { cbId: 'REQ-16', command: 'Reset', data: { type: 'Sideways' } } });
    const refused = await caught.next((m) => m.topic === 'bad-req');
    assert.strictEqual(refused.ocpp.failure, 'Invalid');
    assert.match(refused.error.message, /Reset request is not valid OCPP 1.6j/);
    assert.strictEqual(cp16.frames.length, 0, 'nothing was sent');

    req.receive({ topic: 'bad-answer', payload: { cbId: 'REQ-16', command: 'Reset', data: { type: 'Soft' } } });
    const call = await cp16.next();
    cp16.ws.send(JSON.stringify([3, call[1], { status: 'Maybe' }]));
    const failed = await caught.next((m) => m.topic === 'bad-answer');
    assert.strictEqual(failed.ocpp.failure, 'InvalidResponse');
    assert.match(failed.error.message, /answer to Reset is not valid OCPP 1\.6j/);

    // The next request goes out: one bad answer does not block the queue.
    req.receive({ topic: 'good', payload: { cbId: 'REQ-16', command: 'Reset', data: { type: 'Hard' } } });
    const again = await cp16.next();
    cp16.ws.send(JSON.stringify([3, again[1], { status: 'Accepted' }]));
    assert.strictEqual((await reqOut.next((m) => m.topic === 'good')).payload.data.status, 'Accepted');

    const cp21 = await rawSocket(`ws://127.0.0.1:${port}/ocpp/REQ-21`, 'ocpp2.1');
    await online('REQ-21');
    req.receive({ topic: 'bad21', payload: { cbId: 'REQ-21', command: 'Reset', data: { type: 'Immediate' } } });
    const call21 = await cp21.next();
    const complaint = new Promise((r) => cp21.ws.once('message', (d) => r(JSON.parse(String(d)))));
    cp21.ws.send(JSON.stringify([3, call21[1], {}]));
    assert.deepStrictEqual((await complaint).slice(0, 3), [5, call21[1], 'OccurrenceConstraintViolation']);
    assert.strictEqual((await caught.next((m) => m.topic === 'bad21')).ocpp.failure, 'InvalidResponse');
    cp16.ws.close();
    cp21.ws.close();
  });

  it('a malformed answer to a request fails it at once, without a CALLERROR back (strict or not)', async () => {
    await loadFlow(NODES, csFlow(port));
    const caught = collector(helper.getNode('caught'));
    const seen = collector(helper.getNode('seen'));
    const cp = await rawSocket(`ws://127.0.0.1:${port}/ocpp/MALFORMED-ANSWER`, 'ocpp1.6');
    await seen.next((m) => m.ocpp && m.ocpp.websocket === 'ONLINE' && m.ocpp.chargeBoxIdentity === 'MALFORMED-ANSWER');
    helper.getNode('req').receive({ topic: 'r1', payload: { cbId: 'MALFORMED-ANSWER', command: 'Reset', data: { type: 'Soft' } } });
    const call = await cp.next();
    const started = Date.now();
    cp.ws.send(JSON.stringify([3, call[1]]));
    const failed = await caught.next((m) => m.topic === 'r1');
    assert.strictEqual(failed.ocpp.failure, 'InvalidResponse');
    assert.ok(Date.now() - started < 1000, 'not at the 5 s timeout');
    // A later marker: the station's next CALL is answered; a CALLERROR for the answer would have come first.
    const hb = await cp.call([2, 'hb-after', 'Heartbeat', {}]);
    assert.deepStrictEqual(hb.slice(0, 2), [3, 'hb-after']);
    assert.deepStrictEqual(cp.frames.slice(1).map((f) => f.slice(0, 2)), [[3, 'hb-after']], 'no CALLERROR for an answer');
    cp.ws.close();
  });

  it('CP client JSON in strict mode: checks its own requests and answers, and refuses invalid CALLs from the Central System', async () => {
    // A bare Central System that sends an invalid CALL and a valid one right after the boot.
    const server = http.createServer();
    const wss = new WebSocket.Server({ server, handleProtocols: () => 'ocpp2.0.1' });
    const fromStation = [];
    wss.on('connection', (ws) => {
      ws.on('message', (d) => {
        const f = JSON.parse(String(d));
        fromStation.push(f);
        if (f[0] === 2 && f[2] === 'BootNotification') {
          ws.send(JSON.stringify([3, f[1], { status: 'Accepted', currentTime: new Date().toISOString(), interval: 300 }]));
          ws.send(JSON.stringify([2, 'cs-bad', 'Reset', { type: 'Sideways' }]));
        }
        if (f[1] === 'cs-bad') ws.send(JSON.stringify([2, 'cs-good', 'Reset', { type: 'Immediate' }]));
      });
    });
    await new Promise((r) => server.listen(port, '127.0.0.1', r));
    try {
      const flow = [
        { id: 'tab', type: 'tab', label: 'strict cp' },
        { id: 'rcs', type: 'ocpp-remote-cs', url: `ws://127.0.0.1:${port}/ocpp` },
        { id: 'cp', z: 'tab', type: 'CP client JSON', cbId: 'STRICT-SIM', remotecs: 'rcs', ocppver: '2.0.1', strict: true, wsdelayconnect: true, wires: [['out']] },
        { id: 'out', z: 'tab', type: 'helper' },
        { id: 'catcher', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
        { id: 'caught', z: 'tab', type: 'helper' },
      ];
      await loadFlow(NODES, flow);
      const out = collector(helper.getNode('out'));
      const caught = collector(helper.getNode('caught'));
      const cp = helper.getNode('cp');
      cp.receive({ payload: { msgType: 99, command: 'connect' } });
      await out.next((m) => m.ocpp && m.ocpp.websocket === 'ONLINE');
      cp.receive({ topic: 'bad-boot', payload: { command: 'BootNotification', data: { reason: 'PowerUp' } } });
      assert.match((await caught.next((m) => m.topic === 'bad-boot')).error.message, /BootNotification request is not valid OCPP 2.0.1 \(OccurrenceConstraintViolation\)/);
      cp.receive({ topic: 'boot', payload: { command: 'BootNotification', data: { reason: 'PowerUp', chargingStation: { model: 'm', vendorName: 'v' } } } });
      await out.next((m) => m.topic === 'boot');
      // The invalid Reset never reaches the flow; the Central System gets the CALLERROR.
      const reset = await out.next((m) => m.payload && m.payload.command === 'Reset');
      assert.strictEqual(reset.ocpp.MessageId, 'cs-good');
      const refusal = fromStation.find((f) => f[1] === 'cs-bad');
      assert.deepStrictEqual(refusal.slice(0, 3), [4, 'cs-bad', 'PropertyConstraintViolation']);
      // The flow's invalid answer is refused and can be corrected.
      cp.receive({ topic: 'bad-answer', payload: { msgType: 3, MessageId: 'cs-good', data: { status: 'Perhaps' } } });
      assert.match((await caught.next((m) => m.topic === 'bad-answer')).error.message, /answer to Reset is not valid OCPP 2.0.1/);
      cp.receive({ payload: { msgType: 3, MessageId: 'cs-good', data: { status: 'Accepted' } } });
      for (let i = 0; i < 50 && !fromStation.some((f) => f[0] === 3 && f[1] === 'cs-good'); i++) await sleep(20);
      assert.deepStrictEqual(fromStation.find((f) => f[0] === 3 && f[1] === 'cs-good'), [3, 'cs-good', { status: 'Accepted' }]);
    } finally {
      wss.close();
      server.close();
    }
  });
});
