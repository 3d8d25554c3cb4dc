'use strict';
// SOAP limits seen by a real HTTP client: a body over the limit is refused
// with 413 and a Fault that the client, still sending, gets to read.
const assert = require('assert');
const http = require('http');
const { helper, ours, freePort, collector, loadFlow } = require('./lib/harness');

const MAX_FRAME_KB = 256;

// POSTs `body` with Node's own HTTP client, writing it all while the answer
// may already be on its way; resolves with the status and text, or rejects
// with the socket error (EPIPE, ECONNRESET) a client sees when the server
// resets the connection.
function postAll(port, body, { chunked = false } = {}) {
  return new Promise((resolve, reject) => {
    const headers = { 'content-type': 'application/soap+xml; charset=utf-8' };
    if (!chunked) headers['content-length'] = Buffer.byteLength(body);
    const req = http.request({ host: '127.0.0.1', port, path: '/ocpp16s', method: 'POST', headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, text, connection: res.headers.connection }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (chunked) {
      // Many writes, as a streaming client sends them.
      const piece = body.length / 64;
      for (let i = 0; i < 64; i++) req.write(body.slice(i * piece, (i + 1) * piece));
      req.end();
    } else {
      req.end(body);
    }
  });
}

describe('SOAP limits against a real HTTP client', function () {
  this.timeout(30000);
  let port;

  beforeEach(async () => {
    port = await freePort();
    await loadFlow([ours.server], [
      { id: 'tab', type: 'tab', label: 'soap limits' },
      {
        id: 'cs', z: 'tab', type: 'CS server', name: 'CS', port: String(port), portType: 'num',
        enabled15: false, path15: '', enabled16: true, path16: '/ocpp16s', enabled16j: true, path16j: '/ocpp',
        log: false, pathlog: '', pingInterval: 30, answerTimeout: 5, maxFrameKB: MAX_FRAME_KB, wires: [['out'], []],
      },
      { id: 'out', z: 'tab', type: 'helper' },
    ]);
  });

  afterEach(async () => {
    await helper.unload();
  });

  it('a 12 MB body with its Content-Length gets the 413 Fault, not a broken pipe', async () => {
    const r = await postAll(port, 'x'.repeat(12 << 20));
    assert.strictEqual(r.status, 413, r.text.slice(0, 300));
    assert.match(r.text, /<soap:Fault>.*larger than 262144 bytes/s);
  });

  it('a 12 MB chunked body gets the 413 Fault, not a broken pipe', async () => {
    const r = await postAll(port, 'y'.repeat(12 << 20), { chunked: true });
    assert.strictEqual(r.status, 413, r.text.slice(0, 300));
    assert.match(r.text, /larger than 262144 bytes/);
  });

  it('a body under the limit is still read and answered after a refused one', async () => {
    // Over the configured 256 KB, under the 1 MB default: refused by this server's own limit.
    const refused = await postAll(port, 'x'.repeat(512 << 10));
    assert.strictEqual(refused.status, 413, refused.text.slice(0, 300));
    assert.match(refused.text, /larger than 262144 bytes/);
    const out = collector(helper.getNode('out'));
    const env = `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:cs="urn://Ocpp/Cs/2015/10/"><soap:Header><cs:chargeBoxIdentity>LIM-1</cs:chargeBoxIdentity></soap:Header><soap:Body><cs:heartbeatRequest/></soap:Body></soap:Envelope>`;
    const pending = postAll(port, env);
    const msg = await out.next((m) => m.ocpp && m.ocpp.command === 'Heartbeat');
    assert.strictEqual(msg.ocpp.chargeBoxIdentity, 'LIM-1');
    require('../nodes/lib/engine').addon.respond(msg.msgId, JSON.stringify({ currentTime: new Date().toISOString() }));
    const r = await pending;
    assert.strictEqual(r.status, 200, r.text);
    assert.match(r.text, /heartbeatResponse/);
  });
});
