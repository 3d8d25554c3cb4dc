'use strict';
// The CS server's keep-alive (pingInterval): every interval it pings each
// station; a station that sent nothing at all (not even a pong) since the
// last ping is taken for gone, its link ends, and the flow gets OFFLINE with
// code 1011. A station that answers pings stays, however quiet it is otherwise.
const assert = require('assert');
const WebSocket = require('ws');
const { helper, core, ours, freePort, collector, loadFlow, sleep } = require('./lib/harness');

const NODES = [ours.server, core.fn];

function flow(port, pingInterval) {
  return [
    { id: 'tab', type: 'tab', label: 'pings' },
    {
      id: 'cs', z: 'tab', type: 'CS server', port: String(port), portType: 'num', enabled16j: true, path16j: '/ocpp',
      pingInterval, answerTimeout: 5, wires: [['out1'], []],
    },
    { id: 'out1', z: 'tab', type: 'helper' },
  ];
}

// A station that sends nothing of its own; `autoPong: false` makes it leave
// pings unanswered (ws 8 answers them by itself otherwise).
function quietStation(port, id, { autoPong }) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ocpp/${id}`, ['ocpp1.6'], { autoPong });
    const seen = { pings: 0, frames: [], closed: null };
    ws.on('ping', () => seen.pings++);
    ws.on('message', (d) => seen.frames.push(String(d)));
    seen.closedP = new Promise((r) => ws.on('close', (code) => r((seen.closed = { code, at: Date.now() }))));
    ws.on('error', () => {});
    ws.on('open', () => resolve({ ws, seen, openedAt: Date.now() }));
    ws.on('unexpected-response', (req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

describe('CS server keep-alive pings (pingInterval)', function () {
  this.timeout(15000);
  let port;
  const sockets = [];
  beforeEach(async () => {
    port = await freePort();
  });
  afterEach(async () => {
    for (const ws of sockets.splice(0)) ws.terminate();
    await helper.unload();
  });

  it('closes a station that does not answer pings and reports it OFFLINE with code 1011', async () => {
    await loadFlow(NODES, flow(port, 1));
    const out1 = collector(helper.getNode('out1'));
    const silent = await quietStation(port, 'SILENT', { autoPong: false });
    sockets.push(silent.ws);
    await out1.next((m) => m.ocpp && m.ocpp.websocket === 'ONLINE' && m.ocpp.chargeBoxIdentity === 'SILENT');
    const offline = await out1.next((m) => m.ocpp && m.ocpp.websocket === 'OFFLINE' && m.ocpp.chargeBoxIdentity === 'SILENT', 6000);
    const afterMs = Date.now() - silent.openedAt;
    assert.strictEqual(offline.ocpp.code, 1011, JSON.stringify(offline.ocpp));
    assert.match(String(offline.ocpp.reason), /ping/, JSON.stringify(offline.ocpp));
    // The first ping goes out after one interval, the link ends at the next
    // tick without an answer: about 2 s, never before the first interval.
    assert.ok(afterMs >= 1000 && afterMs < 4000, `OFFLINE after ${afterMs} ms`);
    assert.ok(silent.seen.pings >= 1, 'the station was pinged');
    // The server let go of the connection. It sends no close frame to a peer
    // it takes for gone (link.rs `ping`: "no close handshake to wait for"),
    // so the station, had it still been listening, sees 1006.
    const closed = await Promise.race([silent.seen.closedP, sleep(3000).then(() => null)]);
    assert.ok(closed, 'the silent station is still connected 3 s after OFFLINE');
    assert.strictEqual(closed.code, 1006);
  });

  it('keeps a station that answers pings connected over several intervals, though it sends nothing else', async () => {
    await loadFlow(NODES, flow(port, 1));
    const out1 = collector(helper.getNode('out1'));
    const quiet = await quietStation(port, 'PONGER', { autoPong: true });
    sockets.push(quiet.ws);
    // Silent for comparison, on the same server at the same time.
    const silent = await quietStation(port, 'SILENT-2', { autoPong: false });
    sockets.push(silent.ws);
    await out1.next((m) => m.ocpp && m.ocpp.websocket === 'OFFLINE' && m.ocpp.chargeBoxIdentity === 'SILENT-2', 6000);
    await sleep(4500 - (Date.now() - quiet.openedAt));
    assert.ok(quiet.seen.pings >= 3, `pinged ${quiet.seen.pings} times in 4.5 s`);
    assert.strictEqual(quiet.seen.closed, null, `closed with ${JSON.stringify(quiet.seen.closed)}`);
    assert.strictEqual(quiet.ws.readyState, WebSocket.OPEN);
    assert.ok(!out1.msgs.some((m) => m.ocpp && m.ocpp.websocket === 'OFFLINE' && m.ocpp.chargeBoxIdentity === 'PONGER'), 'no OFFLINE for the station that answers');
    assert.deepStrictEqual(quiet.seen.frames, [], 'no OCPP frames were needed to stay connected');
  });

  it('does not ping at all with pingInterval 0', async () => {
    await loadFlow(NODES, flow(port, 0));
    const out1 = collector(helper.getNode('out1'));
    const silent = await quietStation(port, 'SILENT-OFF', { autoPong: false });
    sockets.push(silent.ws);
    await out1.next((m) => m.ocpp && m.ocpp.websocket === 'ONLINE');
    await sleep(2500);
    assert.strictEqual(silent.seen.pings, 0);
    assert.strictEqual(silent.seen.closed, null);
    assert.ok(!out1.msgs.some((m) => m.ocpp && m.ocpp.websocket === 'OFFLINE'));
  });
});
