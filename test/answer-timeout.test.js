'use strict';
// A station's CALL the flow never answers: after answerTimeout the station
// gets CALLERROR InternalError (its OCPP-J peer would otherwise wait for
// ever), and the CS server node warns, naming the station and the timeout.
// An answer the flow sends after that goes nowhere and is an error.
const assert = require('assert');
const { helper, core, ours, freePort, collector, loadFlow, rawStation, until } = require('./lib/harness');

const NODES = [ours.server, core.catchNode];

function flow(port) {
  return [
    { id: 'tab', type: 'tab', label: 'answerTimeout' },
    // Output 1 goes to a helper only: nothing answers.
    { id: 'cs', z: 'tab', type: 'CS server', port: String(port), portType: 'num', enabled16j: true, path16j: '/ocpp', answerTimeout: 1, wires: [['out1'], []] },
    { id: 'out1', z: 'tab', type: 'helper' },
    { id: 'resp', z: 'tab', type: 'server response' },
    { id: 'catcher', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'tab', type: 'helper' },
  ];
}

const warnings = (from) =>
  helper
    .log()
    .args.slice(from)
    .filter((a) => a[0] && a[0].level === 30)
    .map((a) => ({ id: a[0].id, msg: String(a[0].msg) }));

describe('CS server answerTimeout', function () {
  this.timeout(10000);
  let port;
  beforeEach(async () => {
    port = await freePort();
  });
  afterEach(() => helper.unload());

  it('answers a CALL the flow leaves unanswered with InternalError after answerTimeout, and warns', async () => {
    await loadFlow(NODES, flow(port));
    const out1 = collector(helper.getNode('out1'));
    const caught = collector(helper.getNode('caught'));
    const station = await rawStation(`ws://127.0.0.1:${port}/ocpp/UNANSWERED`);
    await out1.next((m) => m.ocpp && m.ocpp.websocket === 'ONLINE');
    const logFrom = helper.log().args.length;

    const sentAt = Date.now();
    const reply = station.call([2, 'slow-1', 'Heartbeat', {}]);
    const seen = await out1.next((m) => m.ocpp && m.ocpp.MessageId === 'slow-1');
    const error = await reply;
    const after = Date.now() - sentAt;
    assert.deepStrictEqual(error, [4, 'slow-1', 'InternalError', 'the Central System did not answer within 1 s', {}]);
    // What the code promises: the deadline is swept every tenth of it, so never before 1 s and
    // at most 1.1 s; MARGIN_MS is what a loaded 2-core machine may add to that.
    const TIMEOUT_MS = 1000;
    const MARGIN_MS = 1000;
    assert.ok(after >= TIMEOUT_MS && after < TIMEOUT_MS * 1.1 + MARGIN_MS, `CALLERROR after ${after} ms`);

    // The warning comes through the node's event batch, a moment after the frame.
    const noAnswer = () => warnings(logFrom).filter((w) => w.msg.startsWith('no answer from the flow'));
    await until('the no-answer warning', () => noAnswer().length > 0, 5000);

    // The flow's answer, too late: an error for the flow, nothing for the station.
    helper.getNode('resp').receive({ msgId: seen.msgId, payload: { currentTime: new Date().toISOString() } });
    const late = await caught.next((m) => m.msgId === seen.msgId);
    assert.match(late.error.message, /no station request is waiting/);
    // Later markers: the late answer's error came after the warning (one warning, no second one),
    // and a malformed CALL sent now is answered at once; the late answer would have reached the station first.
    assert.deepStrictEqual(noAnswer(), [{ id: 'cs', msg: 'no answer from the flow to UNANSWERED within 1 s: the station got a CALLERROR InternalError' }]);
    const marker = await station.call([2, 'marker-1', 'Heartbeat']);
    assert.deepStrictEqual(marker.slice(0, 2), [4, 'marker-1'], JSON.stringify(marker));
    assert.deepStrictEqual(station.frames, [error, marker], 'exactly one answer reached the station');
    // The link is fine: the next CALL reaches the flow.
    station.send('[2,"after-1","Heartbeat",{}]');
    await out1.next((m) => m.ocpp && m.ocpp.MessageId === 'after-1');
    station.ws.close();
  });
});
