'use strict';
// The TLS handshake deadline of a CS server with a tls-config node (help:
// "The TLS handshake must complete within 10 s"): a TCP connection that never
// sends a ClientHello, or sends only part of one, is closed by the server
// after 10 s, not before; a proper wss:// station is served all the while.
const assert = require('assert');
const fs = require('fs');
const net = require('net');
const { RPCClient } = require('ocpp-rpc');
const { helper, core, ours, freePort, collector, loadFlow, sleep } = require('./lib/harness');
const { makeCertificates } = require('./lib/certs');

const ANSWER = `
if (!msg.payload || !msg.payload.command) return null;
const now = new Date().toISOString();
msg.payload = msg.payload.command === 'BootNotification' ? { status: 'Accepted', currentTime: now, interval: 300 } : { currentTime: now };
return msg;`;

// A TCP connection that sends `bytes` (maybe none) and then nothing; resolves
// how long after connecting the server closed it.
function silentTcp(port, bytes) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let connectedAt = null;
    let got = 0;
    sock.on('connect', () => {
      connectedAt = Date.now();
      if (bytes) sock.write(bytes);
    });
    sock.on('data', (d) => (got += d.length));
    sock.on('error', () => {});
    sock.on('close', () => (connectedAt === null ? reject(new Error('never connected')) : resolve({ ms: Date.now() - connectedAt, got })));
    // Never left open past the test.
    setTimeout(() => sock.destroy(), 14000).unref();
  });
}

describe('CS server TLS handshake deadline', function () {
  let certs;
  let port;
  before(function () {
    this.timeout(20000);
    certs = makeCertificates();
  });
  after(() => certs && certs.cleanup());
  afterEach(() => helper.unload());

  it('closes a connection that sends no ClientHello after 10 s, and serves wss:// meanwhile', async function () {
    this.timeout(16000);
    port = await freePort();
    await loadFlow([ours.server, core.fn, core.tls], [
      { id: 'tab', type: 'tab', label: 'tls' },
      { id: 'srvtls', type: 'tls-config', name: 'srv', verifyservercert: true, cert: certs.certFile, key: certs.keyFile, ca: certs.caFile },
      { id: 'cs', z: 'tab', type: 'CS server', port: String(port), portType: 'num', enabled16j: true, path16j: '/ocpp', tls: 'srvtls', wires: [['answer', 'out1'], []] },
      { id: 'answer', z: 'tab', type: 'function', func: ANSWER, outputs: 1, wires: [['resp']] },
      { id: 'resp', z: 'tab', type: 'server response' },
      { id: 'out1', z: 'tab', type: 'helper' },
    ]);
    const out1 = collector(helper.getNode('out1'));
    const silent = silentTcp(port, null);
    // The first 5 bytes of a TLS record header (handshake, TLS 1.0, 512 bytes
    // to come), and then nothing: the server waits for the rest, but not forever.
    const partial = silentTcp(port, Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]));

    // Meanwhile a real station connects over wss:// and is served, twice.
    const station = new RPCClient({
      endpoint: `wss://localhost:${port}/ocpp`, identity: 'TLS-MEANWHILE', protocols: ['ocpp1.6'], strictMode: true, reconnect: false,
      wsOpts: { ca: fs.readFileSync(certs.caFile) },
    });
    try {
      await station.connect();
      assert.strictEqual((await station.call('BootNotification', { chargePointVendor: 'v', chargePointModel: 'm' })).status, 'Accepted');
      await out1.next((m) => m.ocpp && m.ocpp.websocket === 'ONLINE' && m.ocpp.chargeBoxIdentity === 'TLS-MEANWHILE');
      await sleep(5000);
      assert.ok((await station.call('Heartbeat', {})).currentTime, 'served 5 s later, while the silent connections wait');

      const [nothing, half] = await Promise.all([silent, partial]);
      for (const [name, r] of [['no ClientHello', nothing], ['a partial ClientHello', half]]) {
        assert.ok(r.ms >= 9000, `${name}: closed after ${r.ms} ms, before the 10 s deadline`);
        assert.ok(r.ms < 12000, `${name}: closed after ${r.ms} ms, well after the 10 s deadline`);
        assert.strictEqual(r.got, 0, `${name}: the server sent ${r.got} bytes`);
      }
      // The station is still connected and served after the deadline passed.
      assert.ok((await station.call('Heartbeat', {})).currentTime);
      assert.ok(!out1.msgs.some((m) => m.ocpp && m.ocpp.websocket === 'OFFLINE'));
    } finally {
      await station.close({ force: true });
    }
  });
});
