'use strict';
// The WebSocket close handshake (RFC 6455 5.5.1), both roles, with peers
// nobody here wrote (the `ws` package) reporting the close code they saw: a
// peer whose Close is not answered sees 1006 (abnormal closure) instead of
// its own code.
const assert = require('assert');
const WebSocket = require('ws');
const { helper, core, ours, freePort, collector, loadFlow } = require('./lib/harness');

// Resolves with {code, reason} once the socket is closed.
const closed = (ws) =>
  new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })));

const opened = (ws) =>
  new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });

// How long the engine waits for the peer's Close (README: "WebSocket close handshake | 2 s").
const CLOSE_WAIT_MS = 2000;
// What a loaded 2-core machine adds to a deadline here, stated once.
const MARGIN_MS = 1000;

// A station on a raw TCP socket, so the test decides when (and whether) its Close goes out:
// `closeFrom()` resolves when the server's Close frame arrives; `sendClose(code)` answers it;
// `ended` resolves when the server ends the TCP connection. Times are Date.now() values.
function rawTcpStation(port, id) {
  const net = require('net');
  const crypto = require('crypto');
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const key = crypto.randomBytes(16).toString('base64');
    let buf = Buffer.alloc(0);
    let upgraded = false;
    let onClose = null;
    const closeFrom = new Promise((r) => (onClose = r));
    const ended = new Promise((r) => {
      socket.once('end', () => r(Date.now()));
      socket.once('close', () => r(Date.now()));
    });
    socket.on('error', () => {});
    socket.once('connect', () =>
      socket.write(`GET /ocpp/${id} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ocpp1.6\r\n\r\n`)
    );
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString();
        buf = buf.subarray(end + 4);
        if (!/^HTTP\/1\.1 101/.test(head)) return reject(new Error(`not upgraded: ${head}`));
        upgraded = true;
        resolve({ closeFrom, ended, sendClose, socket });
      }
      // Server frames are unmasked and small here: opcode 8 is the Close.
      while (buf.length >= 2) {
        const len = buf[1] & 0x7f;
        if (len > 125 || buf.length < 2 + len) return;
        if ((buf[0] & 0x0f) === 8) onClose({ at: Date.now(), code: len >= 2 ? buf.readUInt16BE(2) : null, reason: buf.subarray(4, 2 + len).toString() });
        buf = buf.subarray(2 + len);
      }
    });
    function sendClose(code) {
      const mask = crypto.randomBytes(4);
      const body = Buffer.alloc(2);
      body.writeUInt16BE(code);
      for (let i = 0; i < body.length; i++) body[i] ^= mask[i % 4];
      socket.write(Buffer.concat([Buffer.from([0x88, 0x80 | body.length]), mask, body]));
      return Date.now();
    }
  });
}

describe('WebSocket close handshake', function () {
  this.timeout(20000);

  afterEach(async () => {
    await helper.unload();
  });

  describe('CS server', () => {
    let port;

    beforeEach(async () => {
      port = await freePort();
      await loadFlow([ours.server, ours.remoteCp], [
        { id: 'tab', type: 'tab', label: 'close' },
        {
          id: 'cs', z: 'tab', type: 'CS server', name: 'CS', port: String(port), portType: 'num',
          enabled15: false, path15: '', enabled16: false, path16: '', enabled16j: true, path16j: '/ocpp',
          log: false, pathlog: '', pingInterval: 30, answerTimeout: 5, wires: [['out'], []],
        },
        { id: 'out', z: 'tab', type: 'helper' },
        { id: 'rcp', type: 'ocpp-remotej-cp', cbId: '', name: '', ocppver: '1.6j' },
        { id: 'req', z: 'tab', type: 'CS request JSON', remotecb: 'rcp', command: '', cmddata: '', timeout: 5, wires: [[]] },
      ]);
    });

    it('answers a station\'s Close with a Close: the station sees its own code, and the flow gets OFFLINE with it', async () => {
      const out = collector(helper.getNode('out'));
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ocpp/CLOSE-1`, ['ocpp1.6']);
      await opened(ws);
      const online = await out.next((m) => m.ocpp && m.ocpp.websocket === 'ONLINE' && m.ocpp.chargeBoxIdentity === 'CLOSE-1');
      assert.strictEqual(online.topic, 'CLOSE-1/ONLINE');
      const seen = closed(ws);
      ws.close(1000, 'station going home');
      assert.deepStrictEqual(await seen, { code: 1000, reason: 'station going home' });
      const offline = await out.next((m) => m.ocpp && m.ocpp.websocket === 'OFFLINE' && m.ocpp.chargeBoxIdentity === 'CLOSE-1');
      assert.strictEqual(offline.ocpp.code, 1000, JSON.stringify(offline.ocpp));
      assert.strictEqual(offline.topic, 'CLOSE-1/OFFLINE');
    });

    it('reports a station that drops its TCP connection without a Close as OFFLINE 1006 (lost), not a protocol error', async () => {
      const out = collector(helper.getNode('out'));
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ocpp/LOST-1`, ['ocpp1.6']);
      await opened(ws);
      await out.next((m) => m.ocpp && m.ocpp.websocket === 'ONLINE' && m.ocpp.chargeBoxIdentity === 'LOST-1');
      ws.terminate();
      const offline = await out.next((m) => m.ocpp && m.ocpp.websocket === 'OFFLINE' && m.ocpp.chargeBoxIdentity === 'LOST-1');
      assert.strictEqual(offline.ocpp.code, 1006, JSON.stringify(offline.ocpp));
    });

    it('answers a Close with another code with that code (4000, application-defined)', async () => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ocpp/CLOSE-2`, ['ocpp1.6']);
      await opened(ws);
      const seen = closed(ws);
      ws.close(4000, 'maintenance');
      assert.strictEqual((await seen).code, 4000);
    });

    it('closes with 1000 on LOCAL_DISCONNECT and waits for the station\'s Close', async () => {
      const out = collector(helper.getNode('out'));
      const station = await rawTcpStation(port, 'CLOSE-3');
      await out.next((m) => m.ocpp && m.ocpp.websocket === 'ONLINE' && m.ocpp.chargeBoxIdentity === 'CLOSE-3');
      helper.getNode('req').receive({ payload: { command: 'LOCAL_DISCONNECT', cbId: 'CLOSE-3' } });
      const close = await station.closeFrom;
      assert.strictEqual(close.code, 1000);
      assert.match(close.reason, /disconnected by the Central System/);
      // The station takes its time (well inside the 2 s) to answer; the TCP connection waits for it.
      const DELAY_MS = 800;
      const early = await Promise.race([station.ended, new Promise((r) => setTimeout(() => r(null), DELAY_MS))]);
      assert.strictEqual(early, null, `the server closed the TCP connection ${early - close.at} ms after its Close, without waiting for the station's`);
      const answeredAt = station.sendClose(1000);
      const endedAt = await station.ended;
      assert.ok(endedAt >= answeredAt, 'ended after the Close was answered');
      assert.ok(endedAt - answeredAt < MARGIN_MS, `closed ${endedAt - answeredAt} ms after the station's Close`);
    });

    it('closes the TCP connection within the 2 s close wait when the station never answers its Close', async () => {
      const out = collector(helper.getNode('out'));
      const station = await rawTcpStation(port, 'CLOSE-4');
      await out.next((m) => m.ocpp && m.ocpp.websocket === 'ONLINE' && m.ocpp.chargeBoxIdentity === 'CLOSE-4');
      helper.getNode('req').receive({ payload: { command: 'LOCAL_DISCONNECT', cbId: 'CLOSE-4' } });
      const close = await station.closeFrom;
      const endedAt = await station.ended;
      const waited = endedAt - close.at;
      assert.ok(waited >= CLOSE_WAIT_MS - 100 && waited < CLOSE_WAIT_MS + MARGIN_MS, `closed ${waited} ms after its Close (close wait ${CLOSE_WAIT_MS} ms)`);
      station.socket.destroy();
    });
  });

  describe('CP client JSON', () => {
    let port;
    let wss;
    let accepted;

    beforeEach(async () => {
      port = await freePort();
      wss = new WebSocket.Server({ port, host: '127.0.0.1', handleProtocols: (protocols) => [...protocols][0] });
      accepted = new Promise((resolve) => wss.once('connection', resolve));
      await loadFlow([ours.cpJson, ours.remoteCs], [
        { id: 'tab', type: 'tab', label: 'cp' },
        { id: 'rcs', type: 'ocpp-remote-cs', name: 'CS', url: `ws://127.0.0.1:${port}/ocpp` },
        {
          id: 'cp', z: 'tab', type: 'CP client JSON', name: '', cbId: 'CP-CLOSE', remotecs: 'rcs', ocppver: '1.6j',
          command: '', cmddata: '', log: false, pathlog: '', wsdelayconnect: false, wstomin: 30, wstoinc: 0, wstomax: 30,
          callTimeout: 5, pingInterval: 30, handshakeTimeout: 5, offlineQueue: true, queueActions: '', queueMax: 100,
          wires: [['out']],
        },
        { id: 'out', z: 'tab', type: 'helper' },
      ]);
    });

    afterEach(async () => {
      await new Promise((resolve) => wss.close(resolve));
    });

    it('answers the Central System\'s Close with a Close, so the Central System sees its own code', async () => {
      const out = collector(helper.getNode('out'));
      const socket = await accepted;
      const online = await out.next((m) => m.ocpp && m.ocpp.websocket === 'ONLINE');
      assert.strictEqual(online.topic, 'CP-CLOSE/ONLINE');
      const seen = closed(socket);
      socket.close(1001, 'Central System going away');
      assert.deepStrictEqual(await seen, { code: 1001, reason: 'Central System going away' });
    });

    it('closes with 1000 when the flow says close, and the Central System sees it', async () => {
      const out = collector(helper.getNode('out'));
      const socket = await accepted;
      // Online as the client sees it: a close before its handshake completed is no close handshake.
      await out.next((m) => m.ocpp && m.ocpp.websocket === 'ONLINE');
      const seen = closed(socket);
      helper.getNode('cp').receive({ payload: { msgType: 99, command: 'close' } });
      const { code, reason } = await seen;
      assert.strictEqual(code, 1000);
      assert.match(reason, /closed by the flow/);
    });
  });
});
