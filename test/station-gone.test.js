'use strict';
// A station that disconnects while the flow still holds its requests: each
// answer the flow then sends through `server response` cannot be sent. That is
// no fault of the flow, so it is one warning per station with the count, rate
// limited, and no catchable error per msg; other errors stay catchable errors.
const assert = require('assert');
const { helper, core, ours, freePort, collector, loadFlow, rawStation, until } = require('./lib/harness');

function flow(port) {
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    // No answers: the CALLs are held by the test, as a slow flow would hold them.
    { id: 'cs', z: 'tab', type: 'CS server', port: String(port), portType: 'num', enabled16j: true, path16j: '/ocpp', maxStationCalls: 20, wires: [['held'], []] },
    { id: 'held', z: 'tab', type: 'helper' },
    { id: 'resp', z: 'tab', type: 'server response', name: '' },
    { id: 'catcher', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'tab', type: 'helper' },
  ];
}

describe('server response: answers to a station that disconnected', function () {
  this.timeout(20000);
  afterEach(() => helper.unload());

  it('gives one warning per station with the count, and no error per msg', async () => {
    const port = await freePort();
    await loadFlow([ours.server, core.catchNode], flow(port));
    const held = collector(helper.getNode('held'));
    const caught = collector(helper.getNode('caught'));
    const resp = helper.getNode('resp');
    const warnings = [];
    resp.warn = (text) => warnings.push(String(text));

    // Two stations, each with CALLs the flow has not answered yet.
    const counts = { 'GONE-A': 13, 'GONE-B': 1 };
    const calls = [];
    for (const [id, n] of Object.entries(counts)) {
      const st = await rawStation(`ws://127.0.0.1:${port}/ocpp/${id}`);
      await held.next((m) => m.ocpp && m.ocpp.websocket === 'ONLINE' && m.ocpp.chargeBoxIdentity === id);
      for (let i = 0; i < n; i++) st.send(JSON.stringify([2, `${id}-${i}`, 'Heartbeat', {}]));
      for (let i = 0; i < n; i++) calls.push(await held.next((m) => m.ocpp && m.ocpp.MessageId === `${id}-${i}`));
      st.ws.close();
      await held.next((m) => m.ocpp && m.ocpp.websocket === 'OFFLINE' && m.ocpp.chargeBoxIdentity === id);
    }

    // The flow answers them now, all but one of GONE-A's.
    const answer = (m) => resp.receive({ ...m, payload: { currentTime: new Date().toISOString() } });
    const later = calls.shift();
    calls.forEach(answer);
    await until('one warning per station', () => warnings.length >= 2, 5000).catch(() => assert.fail(warnings.join('\n')));
    assert.deepStrictEqual(warnings.sort(), [
      'station GONE-A disconnected before 12 answers could be sent',
      'station GONE-B disconnected before the answer could be sent',
    ]);
    assert.strictEqual(caught.msgs.length, 0, `caught: ${JSON.stringify(caught.msgs.map((m) => m.error.message))}`);

    // Within the next 10 s another answer to GONE-A is counted, not warned at once.
    answer(later);
    // Other errors are still errors a Catch node gets. This one is also the later marker:
    // the node handled the answer above before it, and that answer was not warned about.
    resp.receive({ msgId: 'not-waiting', payload: {} });
    assert.match((await caught.next()).error.message, /no station request is waiting for msgId "not-waiting"/);
    assert.strictEqual(warnings.length, 2, warnings.join('\n'));
    assert.strictEqual(caught.msgs.length, 1);

    // On redeploy what is still counted is warned, not lost.
    await helper.unload();
    assert.deepStrictEqual(warnings.slice(2), ['station GONE-A disconnected before the answer could be sent']);
  });
});
