'use strict';
// The request queues are bounded, and what does not fit fails at once with
// failure "QueueFull" instead of waiting or vanishing:
//  - CS server `maxQueued`: CS request JSON calls to one station, one in
//    flight (OCPP-J allows one) and at most maxQueued behind it;
//  - CP client JSON `queueMax`: the messages kept while the Central System is
//    unreachable; those kept go out in order once it is back.
const assert = require('assert');
const { RPCServer } = require('ocpp-rpc');
const { helper, core, ours, freePort, collector, loadFlow, sleep, rawStation } = require('./lib/harness');

// Waits for frame #i of a raw station (frames in arrival order).
async function frameAt(station, i, ms = 3000) {
  for (let waited = 0; station.frames.length <= i; waited += 10) {
    if (waited > ms) throw new Error(`no frame #${i} within ${ms} ms; got ${JSON.stringify(station.frames)}`);
    await sleep(10);
  }
  return station.frames[i];
}

describe('bounded request queues (QueueFull)', function () {
  this.timeout(20000);
  let port;
  beforeEach(async () => {
    port = await freePort();
  });
  afterEach(() => helper.unload());

  describe('CS server maxQueued', () => {
    const flow = (p) => [
      { id: 'tab', type: 'tab', label: 'maxQueued' },
      { id: 'cs', z: 'tab', type: 'CS server', port: String(p), portType: 'num', enabled16j: true, path16j: '/ocpp', maxQueued: 2, wires: [['out1'], []] },
      { id: 'out1', z: 'tab', type: 'helper' },
      { id: 'rcp', type: 'ocpp-remotej-cp', cbId: 'Q-CP', ocppver: '1.6j' },
      { id: 'req', z: 'tab', type: 'CS request JSON', remotecb: 'rcp', command: '', cmddata: '', timeout: 15, wires: [['reqOut']] },
      { id: 'reqOut', z: 'tab', type: 'helper' },
      { id: 'catcher', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', z: 'tab', type: 'helper' },
    ];

    it('holds one CALL in flight and maxQueued behind it; the next request fails at once with QueueFull', async () => {
      await loadFlow([ours.server, ours.remoteCp, core.catchNode], flow(port));
      const out1 = collector(helper.getNode('out1'));
      const reqOut = collector(helper.getNode('reqOut'));
      const caught = collector(helper.getNode('caught'));
      const station = await rawStation(`ws://127.0.0.1:${port}/ocpp/Q-CP`);
      await out1.next((m) => m.ocpp && m.ocpp.websocket === 'ONLINE');
      const req = helper.getNode('req');
      const send = (n) => req.receive({ topic: `r${n}`, payload: { command: 'DataTransfer', data: { vendorId: 'q', data: `r${n}` } } });

      for (let n = 1; n <= 3; n++) send(n);
      const first = await frameAt(station, 0);
      assert.deepStrictEqual([first[0], first[2], first[3].data], [2, 'DataTransfer', 'r1']);
      const sentAt = Date.now();
      send(4);
      const full = await caught.next((m) => m.topic === 'r4', 2000);
      const failedAfter = Date.now() - sentAt;
      assert.ok(failedAfter < 1000, `QueueFull came after ${failedAfter} ms, not at once`);
      assert.strictEqual(full.ocpp.failure, 'QueueFull');
      assert.strictEqual(full.ocpp.chargeBoxIdentity, 'Q-CP');
      assert.match(full.error.message, /2 requests are already waiting for Q-CP/);
      assert.strictEqual(caught.msgs.length, 1, `only the 4th failed: ${JSON.stringify(caught.msgs.map((m) => m.topic))}`);
      // The station never answered: nothing but the first CALL went out (the loop below
      // proves it stays so: each next frame is the next kept CALL, never r4).
      assert.strictEqual(station.frames.length, 1, JSON.stringify(station.frames));

      // Answered one by one, the two queued CALLs follow, in order; r4 never does.
      for (let i = 0; i < 3; i++) {
        const call = await frameAt(station, i);
        assert.strictEqual(call[3].data, `r${i + 1}`, JSON.stringify(station.frames));
        station.send(JSON.stringify([3, call[1], { status: 'Accepted', data: `answer ${i + 1}` }]));
        const answered = await reqOut.next((m) => m.topic === `r${i + 1}`);
        assert.strictEqual(answered.payload.data.data, `answer ${i + 1}`);
      }
      // A later marker: the next request goes out and is answered; r4 would have gone before it.
      send(5);
      const fifth = await frameAt(station, 3);
      assert.strictEqual(fifth[3].data, 'r5', `the refused request went out anyway: ${JSON.stringify(station.frames)}`);
      station.send(JSON.stringify([3, fifth[1], { status: 'Accepted' }]));
      await reqOut.next((m) => m.topic === 'r5');
      assert.strictEqual(station.frames.length, 4, JSON.stringify(station.frames));
      assert.deepStrictEqual(reqOut.msgs.map((m) => m.topic), ['r1', 'r2', 'r3', 'r5']);
      assert.strictEqual(caught.msgs.length, 1);
      station.ws.close();
    });
  });

  describe('CP client JSON queueMax', () => {
    const flow = (p) => [
      { id: 'tab', type: 'tab', label: 'queueMax' },
      { id: 'rcs', type: 'ocpp-remote-cs', name: 'CS', url: `ws://127.0.0.1:${p}/ocpp` },
      {
        id: 'cp', z: 'tab', type: 'CP client JSON', cbId: 'QMAX-1', remotecs: 'rcs', ocppver: '1.6j', command: '', cmddata: '',
        wstomin: 0.2, wstoinc: 0, wstomax: 0.5, callTimeout: 10, pingInterval: 30, handshakeTimeout: 5, offlineQueue: true, queueActions: '', queueMax: 2,
        wires: [['out']],
      },
      { id: 'out', z: 'tab', type: 'helper' },
      { id: 'catcher', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', z: 'tab', type: 'helper' },
    ];
    const now = () => new Date().toISOString();
    const meter = (wh) => ({ connectorId: 1, transactionId: 7, meterValue: [{ timestamp: now(), sampledValue: [{ value: String(wh) }] }] });
    let server;
    afterEach(async () => {
      if (server) await server.close({ force: true, awaitPending: false });
      server = null;
    });

    it('keeps queueMax messages while offline, fails the rest at once, and sends the kept ones in order once the Central System is up', async () => {
      // Nothing listens on the port yet: the client keeps trying.
      await loadFlow([ours.cpJson, ours.remoteCs, core.catchNode], flow(port));
      const out = collector(helper.getNode('out'));
      const caught = collector(helper.getNode('caught'));
      const cp = helper.getNode('cp');
      assert.ok(!out.msgs.some((m) => m.ocpp && m.ocpp.websocket === 'ONLINE'));

      cp.receive({ topic: 'start', payload: { command: 'StartTransaction', data: { connectorId: 1, idTag: 'T', meterStart: 0, timestamp: now() } } });
      cp.receive({ topic: 'mv1', payload: { command: 'MeterValues', data: meter(100) } });
      const sentAt = Date.now();
      cp.receive({ topic: 'mv2', payload: { command: 'MeterValues', data: meter(200) } });
      cp.receive({ topic: 'stop', payload: { command: 'StopTransaction', data: { transactionId: 7, meterStop: 200, timestamp: now() } } });
      const mv2 = await caught.next((m) => m.topic === 'mv2', 2000);
      const stop = await caught.next((m) => m.topic === 'stop', 2000);
      const failedAfter = Date.now() - sentAt;
      assert.ok(failedAfter < 1000, `QueueFull came after ${failedAfter} ms, not at once`);
      for (const m of [mv2, stop]) {
        assert.strictEqual(m.ocpp.failure, 'QueueFull', JSON.stringify(m.ocpp));
        assert.match(m.error.message, /2 requests are already waiting for the Central System \(offline queue\)/);
      }
      assert.strictEqual(caught.msgs.length, 2, 'the first two were kept, not failed');

      // The Central System comes up on that port.
      server = new RPCServer({ protocols: ['ocpp1.6'], strictMode: true });
      const received = [];
      server.on('client', (client) => {
        client.handle('StartTransaction', ({ params }) => (received.push(['StartTransaction', params]), { transactionId: 7, idTagInfo: { status: 'Accepted' } }));
        client.handle('MeterValues', ({ params }) => (received.push(['MeterValues', params]), {}));
        client.handle('StopTransaction', ({ params }) => (received.push(['StopTransaction', params]), { idTagInfo: { status: 'Accepted' } }));
        client.handle('Heartbeat', () => (received.push(['Heartbeat']), { currentTime: now() }));
      });
      await server.listen(port);
      const start = await out.next((m) => m.topic === 'start', 8000);
      assert.strictEqual(start.payload.data.transactionId, 7);
      await out.next((m) => m.topic === 'mv1', 5000);
      // A later marker: a Heartbeat sent now is answered; anything failed before would have gone out first.
      cp.receive({ topic: 'hb', payload: { command: 'Heartbeat', data: {} } });
      await out.next((m) => m.topic === 'hb', 5000);
      assert.deepStrictEqual(received.map((r) => r[0]), ['StartTransaction', 'MeterValues', 'Heartbeat'], 'the kept ones, in order, and nothing else');
      assert.strictEqual(received[1][1].meterValue[0].sampledValue[0].value, '100');
      const answers = out.msgs.filter((m) => m.ocpp && m.ocpp.msgType === 3);
      assert.deepStrictEqual(answers.map((m) => m.topic), ['start', 'mv1', 'hb']);
    });

    // A CP client flow has no CS server to change: the remedy named is its own limit.
    it("words the CP client's QueueFull error for its own limit (queueMax), not the CS server's", async () => {
      await loadFlow([ours.cpJson, ours.remoteCs, core.catchNode], flow(port));
      const caught = collector(helper.getNode('caught'));
      const cp = helper.getNode('cp');
      for (const topic of ['mv1', 'mv2', 'mv3']) cp.receive({ topic, payload: { command: 'MeterValues', data: meter(1) } });
      const full = await caught.next((m) => m.topic === 'mv3', 2000);
      assert.strictEqual(full.ocpp.failure, 'QueueFull');
      assert.doesNotMatch(full.error.message, /CS server/);
      assert.match(full.error.message, /queueMax|Keep at most/);
    });
  });
});
