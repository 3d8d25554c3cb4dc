'use strict';
// Attacks on station identity and the handshake (issue 28), each performed
// against a running Node-RED with real sockets and real certificates:
// taking over an id through another CS server, huge or forged SOAP ids, a
// flood of handshakes to unique paths, a client certificate for another id,
// control characters in ids, and upgrades over POST or HTTP/1.0.
const assert = require('assert');
const { addon } = require('../nodes/lib/engine');
const fs = require('fs');
const http = require('http');
const https = require('https');
const net = require('net');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { RPCClient } = require('ocpp-rpc');
const { helper, core, ours, freePort, collector, loadFlow, refusedWith } = require('./lib/harness');
const { makeCertificates } = require('./lib/certs');

const NODES = [ours.server, ours.remoteCp, core.fn, core.tls, core.catchNode];

const ANSWER = `
if (!msg.payload || !msg.payload.command) return null;
switch (msg.payload.command) {
  case 'BootNotification': msg.payload = { status: 'Accepted', currentTime: new Date().toISOString(), interval: 300 }; break;
  case 'Heartbeat': msg.payload = { currentTime: new Date().toISOString() }; break;
  default: msg.payload = {};
}
return msg;`;

// A CS server node on the shared tab; every one feeds the same answering function.
function server(id, port, extra = {}) {
  return {
    id, z: 'tab', type: 'CS server', name: `server ${id}`, port: String(port), portType: 'num', enabled16j: true, path16j: '/ocpp',
    enabled15: false, path15: '', enabled16: true, path16: '/ocpp16s', log: false, pathlog: '', wires: [['answer', 'seen'], []], ...extra,
  };
}

function flow(servers, more = []) {
  return [
    { id: 'tab', type: 'tab', label: 'attack-identity' },
    ...servers,
    { id: 'answer', z: 'tab', type: 'function', func: ANSWER, outputs: 1, wires: [['resp']] },
    { id: 'resp', z: 'tab', type: 'server response' },
    { id: 'seen', z: 'tab', type: 'helper' },
    ...more,
  ];
}

function tlsNode(id, certs, extra = {}) {
  return { id, type: 'tls-config', name: `tls ${id}`, verifyservercert: true, cert: certs.certFile, key: certs.keyFile, ca: certs.caFile, ...extra };
}

function station(url, identity, opts = {}) {
  return new RPCClient({ endpoint: url, identity, protocols: ['ocpp1.6'], reconnect: false, ...opts });
}

function soapHeartbeat(port, cbId, { auth, from, tls } = {}) {
  const fromHeader = from ? `<a:From><a:Address>${from}</a:Address></a:From>` : '';
  const body = `<?xml version="1.0" encoding="UTF-8"?>
<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing" xmlns:cs="urn://Ocpp/Cs/2015/10/">
  <s:Header><cs:chargeBoxIdentity>${cbId}</cs:chargeBoxIdentity><a:Action>/Heartbeat</a:Action><a:MessageID>urn:uuid:1</a:MessageID>${fromHeader}</s:Header>
  <s:Body><cs:heartbeatRequest/></s:Body>
</s:Envelope>`;
  const headers = { 'content-type': 'application/soap+xml; charset=utf-8' };
  if (auth) headers.authorization = `Basic ${Buffer.from(auth).toString('base64')}`;
  return httpRequest(port, 'POST', '/ocpp16s', body, headers, tls);
}

// `tls`: https with these options (ca, cert, key), to localhost, which the test certificate names.
function httpRequest(port, method, rawPath, body, headers = {}, tls = null) {
  return new Promise((resolve, reject) => {
    const options = { host: tls ? 'localhost' : '127.0.0.1', port, path: rawPath, method, headers, ...(tls || {}) };
    const req = (tls ? https : http).request(options, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

// Writes a raw request head and resolves with the status line's code (0 when the socket closed without one).
function rawHead(port, head) {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1', () => sock.write(head));
    let got = '';
    const done = (code) => {
      sock.destroy();
      resolve(code);
    };
    sock.on('data', (d) => {
      got += d;
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(got);
      if (m) done(Number(m[1]));
    });
    sock.on('error', () => done(0));
    sock.on('close', () => done(0));
  });
}

const upgradeHead = (method, target, version = '1.1') =>
  `${method} ${target} HTTP/${version}\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
  'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: ocpp1.6\r\nContent-Length: 0\r\n\r\n';

// Warnings and errors Node-RED logged since `from` (an index into helper.log()).
const logged = (from) =>
  helper
    .log()
    .args.slice(from)
    .filter((a) => a[0] && (a[0].level === 30 || a[0].level === 20))
    .map((a) => String(a[0].msg));

// A client certificate signed by the test CA, with the given subject and optional SAN.
function clientCert(certs, name, subject, san) {
  const file = (f) => path.join(certs.dir, f);
  const openssl = (...args) => execFileSync('openssl', args, { cwd: certs.dir, stdio: 'pipe' });
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
  fs.writeFileSync(file(`${name}.cnf`), `basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n${san ? `subjectAltName=${san}\n` : ''}`);
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.cnf`);
  return { cert: fs.readFileSync(file(`${name}.pem`)), key: fs.readFileSync(file(`${name}.key`)) };
}

describe('attacks on station identity and the handshake (issue 28)', function () {
  this.timeout(60000);
  let certs;
  let clients;
  let tmp;
  before(() => {
    certs = makeCertificates();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ocpp-attack-'));
  });
  after(() => {
    certs.cleanup();
    fs.rmSync(tmp, { recursive: true, force: true });
  });
  beforeEach(() => {
    clients = [];
  });
  afterEach(async () => {
    await Promise.all(clients.map((c) => c.close({ force: true }).catch(() => {})));
    await helper.unload();
  });

  it('High 1: an id protected on one CS server cannot be taken over, uploaded as or re-addressed through another', async () => {
    const [pA, pB, pC] = [await freePort(), await freePort(), await freePort()];
    const files = path.join(tmp, 'files');
    await loadFlow(
      NODES,
      flow(
        [
          server('csA', pA),
          server('csB', pB, { filesPath: '/files', filesDir: files }),
          server('csC', pC, { tls: 'srvtls', tlsClientAuth: true }),
        ],
        [
          tlsNode('srvtls', certs),
          { id: 'rcp', type: 'ocpp-remotej-cp', cbId: 'CP-AUTH', name: '', ocppver: '1.6j' },
          { id: 'req', z: 'tab', type: 'CS request JSON', remotecb: 'rcp', command: '', cmddata: '', timeout: 5, wires: [['reqOut']] },
          { id: 'reqOut', z: 'tab', type: 'helper' },
        ]
      ),
      { csA: { passwords: 'CP-AUTH:pw-of-A' } }
    );
    const real = station(`ws://127.0.0.1:${pA}/ocpp`, 'CP-AUTH', { password: 'pw-of-A' });
    clients.push(real);
    real.handle('Reset', () => ({ status: 'Accepted' }));
    await real.connect();

    // The attacker: the same id, no credentials, at the open server B.
    assert.strictEqual(await refusedWith(`ws://127.0.0.1:${pB}/ocpp/CP-AUTH`, ['ocpp1.6']), 401);
    // With A's password it is the station itself, wherever it connects.
    const moved = await refusedWith(`ws://127.0.0.1:${pB}/ocpp/CP-AUTH`, ['ocpp1.6'], {
      headers: { authorization: `Basic ${Buffer.from('CP-AUTH:wrong').toString('base64')}` },
    });
    assert.strictEqual(moved, 401);
    // The operator's CALL still reaches the real station.
    const reqOut = collector(helper.getNode('reqOut'));
    helper.getNode('req').receive({ payload: { command: 'Reset', data: { type: 'Soft' } } });
    const reset = await reqOut.next();
    assert.deepStrictEqual(reset.payload, { data: { status: 'Accepted' } });

    // SOAP on B cannot move CP-AUTH's callback address; an upload on B cannot claim to be CP-AUTH.
    const seen = collector(helper.getNode('seen'));
    assert.strictEqual((await soapHeartbeat(pB, 'CP-AUTH', { from: 'http://attacker.example/cp' })).status, 401);
    const upload = await httpRequest(pB, 'PUT', '/files/diag.zip', 'forged', {
      authorization: `Basic ${Buffer.from('CP-AUTH:guess').toString('base64')}`,
      'content-type': 'application/octet-stream',
    });
    assert.strictEqual(upload.status, 401);
    // Open stations still use B as before.
    assert.strictEqual((await soapHeartbeat(pB, 'OPEN-CP')).status, 200);
    // A's passwords make B's file endpoints ask for credentials too (found by the attacker session on
    // the fix: B took an anonymous upload, and one as a station without a password).
    const octet = { 'content-type': 'application/octet-stream' };
    assert.strictEqual((await httpRequest(pB, 'PUT', '/files/anon.zip', 'x', octet)).status, 401, 'an anonymous upload on B');
    const asNew = { ...octet, authorization: `Basic ${Buffer.from('CP-NEW:whatever').toString('base64')}` };
    assert.strictEqual((await httpRequest(pB, 'PUT', '/files/new.zip', 'x', asNew)).status, 401, 'an upload as a station without a password');
    assert.ok(!seen.msgs.some((m) => m.ocpp && m.ocpp.chargeBoxIdentity === 'CP-AUTH' && m.ocpp.ocppVersion === '1.6'), 'the flow heard the attacker');

    // A station authenticated by its certificate (no password anywhere) is not replaced by a bare handshake either.
    const tlsStation = station(`wss://localhost:${pC}/ocpp`, 'TLS-CP', { wsOpts: { ca: fs.readFileSync(certs.caFile), cert: certs.clientCert, key: certs.clientKey } });
    clients.push(tlsStation);
    await tlsStation.connect();
    assert.strictEqual(await refusedWith(`ws://127.0.0.1:${pB}/ocpp/TLS-CP`, ['ocpp1.6']), 401);
    const hb = await tlsStation.call('Heartbeat', {});
    assert.ok(hb.currentTime, 'the certified station is still connected');
  });

  it('High 3: SOAP chargeBoxIdentity gets the WebSocket ids\' limits before auth and the flow', async () => {
    const port = await freePort();
    await loadFlow(NODES, flow([server('cs', port, { maxFrameKB: 4096 })]));
    const seen = collector(helper.getNode('seen'));
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 40; i++) {
      const res = await soapHeartbeat(port, `${i}-${'X'.repeat(64 * 1024)}`, { from: `http://cp${i}.example/` });
      assert.strictEqual(res.status, 400, res.text.slice(0, 200));
      assert.match(res.text, /chargeBoxIdentity.*255/);
    }
    const over = await soapHeartbeat(port, 'Y'.repeat(256), { from: 'http://y.example/' });
    assert.strictEqual(over.status, 400);
    assert.strictEqual((await soapHeartbeat(port, 'Y'.repeat(255), { from: 'http://y.example/' })).status, 200);
    assert.ok(!seen.msgs.some((m) => m.ocpp && String(m.ocpp.chargeBoxIdentity).length > 255), 'a long id reached the flow');
    console.log(`      rss growth ${((process.memoryUsage().rss - before) / 1e6).toFixed(1)} MB`);
  });

  it('Medium 5: handshakes to unique long paths neither grow the refusal table nor flood the log', async () => {
    const port = await freePort();
    await loadFlow(NODES, flow([server('cs', port)]));
    const from = helper.log().args.length;
    const perRound = 3000;
    let next = 0;
    const statuses = new Map();
    const round = async (end) => {
      const worker = async () => {
        while (next < end) {
          const i = next++;
          const code = await rawHead(port, upgradeHead('GET', `/u${i}/${'p'.repeat(40 * 1024)}`));
          statuses.set(code, (statuses.get(code) || 0) + 1);
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
    };
    // The engine's own heap (counted by its allocator, `engineMemory()`): the refusal table and anything
    // else the engine keeps. The first round warms it up; the second must add nothing like its 120 MB of
    // paths (kept, every round would add them again). RSS is no measure here: the test's own 40 KB strings
    // and the system allocator's arenas move it by tens of MB on a loaded machine.
    const engineHeap = () => addon.engineMemory().liveBytes / 1e6;
    await round(perRound);
    const afterFirst = engineHeap();
    await round(2 * perRound);
    const secondRoundGrowth = engineHeap() - afterFirst;
    assert.deepStrictEqual([...statuses], [[404, 2 * perRound]]);
    const refusalWarnings = logged(from).filter((w) => w.includes('refused'));
    console.log(`      ${refusalWarnings.length} warnings, engine heap growth in the second round ${secondRoundGrowth.toFixed(1)} MB, longest warning ${Math.max(0, ...refusalWarnings.map((w) => w.length))} chars`);
    assert.ok(refusalWarnings.length <= 12, `${refusalWarnings.length} warnings for ${2 * perRound} refusals`);
    assert.ok(refusalWarnings.every((w) => w.length < 400), 'a warning carries the whole path');
    assert.ok(secondRoundGrowth < 10, `the engine's heap grew ${secondRoundGrowth.toFixed(1)} MB in the second round`);
  });

  it('Medium 6: a client certificate serves only the id in its CN or SAN (profile 3), unless tlsCheckId is off', async () => {
    const [port, lax] = [await freePort(), await freePort()];
    await loadFlow(
      NODES,
      flow([server('cs', port, { tls: 'srvtls', tlsClientAuth: true }), server('lax', lax, { tls: 'srvtls', tlsClientAuth: true, tlsCheckId: false })], [tlsNode('srvtls', certs)])
    );
    const ca = fs.readFileSync(certs.caFile);
    const cpA = clientCert(certs, 'cpa', '/CN=CP-A');
    const sanCert = clientCert(certs, 'san', '/CN=something else', 'DNS:SAN-CP');
    const wss = (p, id, c) => refusedWith(`wss://localhost:${p}/ocpp/${id}`, ['ocpp1.6'], { ca, cert: c.cert, key: c.key });
    assert.strictEqual(await wss(port, 'CP-VICTIM', cpA), 403);
    assert.strictEqual(await wss(port, 'SAN-CPX', sanCert), 403);
    const own = station(`wss://localhost:${port}/ocpp`, 'CP-A', { wsOpts: { ca, cert: cpA.cert, key: cpA.key } });
    clients.push(own);
    await own.connect();
    const bySan = station(`wss://localhost:${port}/ocpp`, 'SAN-CP', { wsOpts: { ca, cert: sanCert.cert, key: sanCert.key } });
    clients.push(bySan);
    await bySan.connect();
    // Turned off, the certificate is checked against the CA only, as before.
    const anyId = station(`wss://localhost:${lax}/ocpp`, 'CP-VICTIM', { wsOpts: { ca, cert: cpA.cert, key: cpA.key } });
    clients.push(anyId);
    await anyId.connect();
    // SOAP over https with the same certificate: only as the id it names.
    const soapTls = { ca, cert: cpA.cert, key: cpA.key, agent: false };
    const victim = await soapHeartbeat(port, 'CP-VICTIM', { tls: soapTls });
    assert.strictEqual(victim.status, 403, victim.text);
    assert.match(victim.text, /names CP-A, not CP-VICTIM/);
    assert.strictEqual((await soapHeartbeat(port, 'CP-A', { tls: soapTls })).status, 200);
    assert.strictEqual((await soapHeartbeat(lax, 'CP-VICTIM', { tls: soapTls })).status, 200);
  });

  it('Low: ids with control characters, NUL or an encoded / are refused, WebSocket and SOAP; the log gets no forged line', async () => {
    const port = await freePort();
    await loadFlow(NODES, flow([server('cs', port)]));
    const from = helper.log().args.length;
    const seen = collector(helper.getNode('seen'));
    for (const id of ['CP%0A%5Berror%5D%20forged', 'CP%00X', 'CP%2FX', 'CP%1B%5B31m', 'CP%7F', '%C3%A9v']) {
      assert.strictEqual(await refusedWith(`ws://127.0.0.1:${port}/ocpp/${id}`, ['ocpp1.6']), 400, id);
    }
    for (const id of ['CP&#10;[error] forged', 'CP&#9;X', 'CP/X']) {
      const res = await soapHeartbeat(port, id);
      assert.strictEqual(res.status, 400, id);
    }
    assert.ok(logged(from).every((w) => !/[\u0000-\u001f\u007f]/.test(w)), JSON.stringify(logged(from)));
    // Ids the examples and tests use still work: letters, digits, - _ . : and a space.
    const ok = station(`ws://127.0.0.1:${port}/ocpp`, 'RPC 1:a_b.c-d');
    clients.push(ok);
    await ok.connect();
    await seen.next((m) => m.ocpp && m.ocpp.websocket === 'ONLINE' && m.ocpp.chargeBoxIdentity === 'RPC 1:a_b.c-d');
  });

  it('Low: WebSocket upgrades over POST or HTTP/1.0 are refused with 405 and 505', async () => {
    const port = await freePort();
    await loadFlow(NODES, flow([server('cs', port)]));
    assert.strictEqual(await rawHead(port, upgradeHead('POST', '/ocpp/CP-POST')), 405);
    assert.strictEqual(await rawHead(port, upgradeHead('GET', '/ocpp/CP-OLD', '1.0')), 505);
    assert.strictEqual(await rawHead(port, upgradeHead('GET', '/ocpp/CP-GOOD')), 101);
  });
});
