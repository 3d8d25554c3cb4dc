'use strict';
// Issue 28's attacks on request bodies, connections and the file endpoints,
// each performed against a running Node-RED with real sockets and real files:
//  2. slow SOAP bodies and connections that never upgrade, from one address and from several;
//  4. an anonymous upload over the firmware stations download, reading other stations' uploads;
//  8. thousands of files in one multipart request, and filling filesDir;
//  9. an upload that sends one byte now and then for ever.
const assert = require('assert');
const fs = require('fs');
const http = require('http');
const net = require('net');
const os = require('os');
const path = require('path');
const { RPCClient } = require('ocpp-rpc');
const { helper, core, ours, freePort, collector, loadFlow } = require('./lib/harness');

const NODES = [ours.server, ours.remoteCp, core.fn, core.inject, core.debug, core.switchNode, core.comment];

function request(port, method, rawPath, { body, headers = {}, auth } = {}) {
  const h = { ...headers };
  if (auth) h.authorization = `Basic ${Buffer.from(auth).toString('base64')}`;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: rawPath, method, headers: h }, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

// Every file under dir, relative, sorted (hidden temporary ones included).
function tree(dir) {
  const out = [];
  const walk = (d, rel) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(d, e.name), r);
      else out.push(r);
    }
  };
  walk(dir, '');
  return out.sort();
}

// A client that sends a request head and then a body that never comes
// (`first` bytes of it, then nothing), from the local address `from`. It
// resolves when the server closes the connection: with the HTTP status it
// answered (0 for none) and when, in ms after the socket connected.
function slowRequest(port, from, head, first) {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress: from });
    let opened = 0;
    const chunks = [];
    socket.on('connect', () => {
      opened = Date.now();
      socket.write(head + first);
    });
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', () => {});
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      resolve({ status: m ? Number(m[1]) : 0, after: Date.now() - opened, text });
    });
    slowRequest.open.push(socket);
  });
}
slowRequest.open = [];

// Resolves with what `promises` settled to, or rejects after `ms` saying how many are still pending.
function allWithin(promises, ms, what) {
  let done = 0;
  promises.forEach((p) => p.then(() => done++));
  return Promise.race([
    Promise.all(promises),
    new Promise((_, reject) => setTimeout(() => reject(new Error(`${promises.length - done} of ${promises.length} ${what} still open after ${ms} ms`)), ms)),
  ]);
}

function multipart(boundary, parts) {
  const chunks = parts.map(([name, data]) => `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n${data}\r\n`);
  return `${chunks.join('')}--${boundary}--\r\n`;
}

describe('attacks on request bodies, connections and the file endpoints (issue 28)', function () {
  this.timeout(40000);
  let port;
  let root;
  let dir;

  beforeEach(async () => {
    port = await freePort();
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'ocpp-attack-bodies-'));
    dir = path.join(root, 'files');
  });
  afterEach(async () => {
    for (const s of slowRequest.open.splice(0)) s.destroy();
    await helper.unload();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('2: slow SOAP bodies are closed by the body deadline, connections that never upgrade are capped per address and overall, and a real station still connects', async () => {
    const bodyTimeout = 3;
    await loadFlow(NODES, [
      { id: 'tab', type: 'tab', label: 'slow' },
      {
        id: 'cs', z: 'tab', type: 'CS server', port: String(port), portType: 'num', enabled16j: true, path16j: '/ocpp',
        enabled16: true, path16: '/ocpp16s', maxHttpConnections: 8, maxHttpConnectionsPerIp: 4, bodyTimeout, wires: [['seen'], []],
      },
      { id: 'seen', z: 'tab', type: 'helper' },
    ]);
    const seen = collector(helper.getNode('seen'));
    const head = 'POST /ocpp16s HTTP/1.1\r\nHost: x\r\nContent-Type: application/soap+xml\r\nContent-Length: 100000\r\n\r\n';
    // Six from one address: four are served (and held to the deadline), two refused at once.
    const one = [];
    for (let i = 0; i < 6; i++) one.push(slowRequest(port, '127.0.0.1', head, '<a>'));
    // A real station from another address connects meanwhile.
    const station = new RPCClient({ endpoint: `ws://127.0.0.1:${port}/ocpp`, identity: 'REAL-1', protocols: ['ocpp1.6'], reconnect: false, wsOpts: { localAddress: '127.0.0.2' } });
    await station.connect();
    await seen.next((m) => m.ocpp && m.ocpp.websocket === 'ONLINE' && m.ocpp.chargeBoxIdentity === 'REAL-1');
    // Four more from a second address fill the overall cap (8); a third address is then refused.
    const two = [];
    for (let i = 0; i < 4; i++) two.push(slowRequest(port, '127.0.0.3', head, '<a>'));
    // Wait until the server holds them (each has sent its head: hyper has it).
    const three = [];
    for (let i = 0; i < 2; i++) three.push(slowRequest(port, '127.0.0.4', head, '<a>'));
    const all = await allWithin(one.concat(two, three), (bodyTimeout + 5) * 1000, 'slow connections');
    const summary = all.map((r) => `${r.status}@${r.after}ms`).join(' ');
    const refused = (rs) => rs.filter((r) => r.status !== 408);
    const held = (rs) => rs.filter((r) => r.status === 408);
    assert.strictEqual(held(all.slice(0, 6)).length, 4, `one address: 4 held to the deadline; got ${summary}`);
    assert.strictEqual(held(all.slice(6, 10)).length, 4, `second address: 4 held; got ${summary}`);
    assert.strictEqual(held(all.slice(10)).length, 0, `third address: refused (overall cap); got ${summary}`);
    for (const r of refused(all)) assert.ok(r.after < (bodyTimeout * 1000) / 2, `refused at once, not held: ${summary}`);
    for (const r of held(all)) {
      assert.ok(r.after >= bodyTimeout * 1000 - 200 && r.after < (bodyTimeout + 3) * 1000, `held until the deadline: ${summary}`);
      assert.match(r.text, /within 3 s/);
    }
    // The flow's author is told which cap closed connections, once a minute per address.
    const log = helper.log();
    const warnings = log.args.filter((a) => a[0].level === log.WARN).map((a) => String(a[0].msg));
    const perAddress = warnings.filter((w) => w.startsWith('refused connections from 127.0.0.1 (HTTP 503): 4 connections from this address are waiting to be served, the most it may have (maxHttpConnectionsPerIp)'));
    assert.strictEqual(perAddress.length, 1, warnings.join('; '));
    assert.ok(warnings.some((w) => w.startsWith('refused connections (any address) (HTTP 503): 8 connections are waiting to be served, the most this server takes (maxHttpConnections)')), warnings.join('; '));
    // The station stayed connected through it all, and a new one connects from the refused address.
    assert.strictEqual(station.state, RPCClient.OPEN);
    const late = new RPCClient({ endpoint: `ws://127.0.0.1:${port}/ocpp`, identity: 'REAL-2', protocols: ['ocpp1.6'], reconnect: false, wsOpts: { localAddress: '127.0.0.4' } });
    await late.connect();
    await late.close({ force: true });
    await station.close({ force: true });
  });

  it('4: an anonymous upload cannot replace the firmware stations download, nor any stored file; stations cannot read uploads', async () => {
    // The shipped example's CS server with its file settings, on this test's port and directory; without the
    // example's own simulated station, whose uploads are not this test's.
    const EXAMPLE = path.join(__dirname, '..', 'examples', 'diagnostics-and-firmware.json');
    const example = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8'));
    const cs = { ...example.find((n) => n.id === 'df.cs'), port: String(port), portType: 'num', filesDir: dir, wires: [[], []] };
    await loadFlow(NODES, [{ id: cs.z, type: 'tab', label: 'files' }, cs]);
    const genuine = Buffer.from('genuine firmware image');
    fs.mkdirSync(path.join(dir, 'firmware'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'firmware', 'firmware.bin'), genuine);

    // The attack: anonymous PUT and multipart POST of firmware.bin.
    await request(port, 'PUT', '/files/firmware.bin', { body: 'EVIL FIRMWARE' });
    const boundary = 'xx';
    await request(port, 'POST', '/files/', { body: multipart(boundary, [['firmware.bin', 'EVIL AGAIN']]), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } });
    const served = (await request(port, 'GET', '/files/firmware.bin')).body;
    assert.deepStrictEqual(served.toString(), genuine.toString(), 'GET serves the firmware the operator put there');
    assert.deepStrictEqual(fs.readFileSync(path.join(dir, 'firmware', 'firmware.bin')), genuine);

    // A station's upload is never replaced, and no other station (nor it) reads it back.
    assert.strictEqual((await request(port, 'PUT', '/files/diag.zip', { body: 'CP-A diagnostics', auth: 'CP-A:x' })).status, 201);
    const again = await request(port, 'PUT', '/files/diag.zip', { body: 'forged', auth: 'CP-A:x' });
    assert.strictEqual(again.status, 409, String(again.body));
    const stored = tree(dir).filter((f) => f.endsWith('diag.zip'));
    assert.strictEqual(stored.length, 1, stored.join());
    assert.strictEqual(fs.readFileSync(path.join(dir, stored[0]), 'utf8'), 'CP-A diagnostics');
    for (const auth of ['CP-B:x', 'CP-A:x', undefined]) {
      const got = await request(port, 'GET', '/files/diag.zip', { auth });
      assert.strictEqual(got.status, 404, `GET of an upload by ${auth}: ${got.status} ${got.body}`);
    }
  });

  it('8: one multipart request stores at most filesPerRequest files, and filesDir is capped in count and size', async () => {
    await loadFlow(NODES, [
      { id: 'tab', type: 'tab', label: 'many' },
      {
        id: 'cs', z: 'tab', type: 'CS server', port: String(port), portType: 'num', enabled16j: true, path16j: '/ocpp',
        filesPath: '/files', filesDir: dir, filesPerRequest: 5, filesDirMaxFiles: 12, filesDirMaxMB: 1, wires: [['seen'], []],
      },
      { id: 'seen', z: 'tab', type: 'helper' },
    ]);
    const seen = collector(helper.getNode('seen'));
    const uploads = () => seen.msgs.filter((m) => m.ocpp && m.ocpp.command === 'upload').length;
    const boundary = 'b0und';
    const post = (parts) => request(port, 'POST', '/files/', { body: multipart(boundary, parts), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } });
    const parts = (prefix, n) => Array.from({ length: n }, (_, i) => [`${prefix}-${i}.log`, 'x']);
    // The attack: 3,000 files in one request.
    const flood = await post(parts('flood', 3000));
    assert.strictEqual(flood.status, 413, `${flood.status} ${flood.body}`);
    assert.match(String(flood.body), /filesPerRequest \(5\)/);
    assert.ok(tree(dir).length <= 5, `${tree(dir).length} files stored by one request`);
    // Request after request: filesDir holds at most 12 files.
    for (let i = 0; i < 4; i++) await post(parts(`r${i}`, 5));
    const full = await post(parts('more', 1));
    assert.strictEqual(full.status, 507, `${full.status} ${full.body}`);
    assert.match(String(full.body), /filesDirMaxFiles \(12\)/);
    assert.strictEqual(tree(dir).length, 12, tree(dir).join());
    await seen.next(() => uploads() === 12);
    assert.strictEqual(uploads(), 12);
    // The flow moves what it handled away: room again, now bounded in size (1 MB).
    fs.rmSync(path.join(dir, 'anonymous'), { recursive: true });
    const big = Buffer.alloc(400000, 1);
    assert.strictEqual((await request(port, 'PUT', '/files/a.bin', { body: big })).status, 201);
    assert.strictEqual((await request(port, 'PUT', '/files/b.bin', { body: big })).status, 201);
    const over = await request(port, 'PUT', '/files/c.bin', { body: big });
    assert.strictEqual(over.status, 507, `${over.status} ${over.body}`);
    assert.match(String(over.body), /filesDirMaxMB \(1 MB\)/);
    assert.deepStrictEqual(tree(dir), ['anonymous/a.bin', 'anonymous/b.bin']);
  });

  it('9: an upload that trickles one byte at a time is cut at the upload deadline, or by the minimum rate, and leaves nothing', async () => {
    // Two servers: one with a short total deadline, one with the default 600 s and a minimum rate of 1000 bytes/s.
    const port2 = await freePort();
    const dir2 = path.join(root, 'files2');
    await loadFlow(NODES, [
      { id: 'tab', type: 'tab', label: 'trickle' },
      {
        id: 'cs', z: 'tab', type: 'CS server', port: String(port), portType: 'num', enabled16j: true, path16j: '/ocpp',
        filesPath: '/files', filesDir: dir, uploadTimeout: 2, wires: [['seen'], []],
      },
      {
        id: 'cs2', z: 'tab', type: 'CS server', port: String(port2), portType: 'num', enabled16j: true, path16j: '/ocpp',
        filesPath: '/files', filesDir: dir2, minBodyRate: 1000, wires: [['seen'], []],
      },
      { id: 'seen', z: 'tab', type: 'helper' },
    ]);
    // PUT of 100000 bytes, one byte every 200 ms: resolves with the answer and when it came.
    const trickle = async (p) => {
      const socket = net.connect(p, '127.0.0.1');
      await new Promise((r) => socket.once('connect', r));
      const started = Date.now();
      socket.write('PUT /files/trickle.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n');
      const drip = setInterval(() => socket.write('x'), 200);
      const chunks = [];
      socket.on('data', (d) => chunks.push(d));
      socket.on('error', () => {});
      try {
        await allWithin([new Promise((r) => socket.once('close', r))], 15000, `trickling uploads to port ${p}`);
      } finally {
        clearInterval(drip);
        socket.destroy();
      }
      return { after: Date.now() - started, text: Buffer.concat(chunks).toString() };
    };
    const [deadline, rate] = await Promise.all([trickle(port), trickle(port2)]);
    assert.match(deadline.text, /^HTTP\/1\.1 408/, deadline.text);
    assert.match(deadline.text, /within 2 s \(uploadTimeout\)/);
    assert.ok(deadline.after >= 1800 && deadline.after < 5000, `closed after ${deadline.after} ms`);
    assert.match(rate.text, /^HTTP\/1\.1 408/, rate.text);
    assert.match(rate.text, /less than 1000 bytes\/s over 10 s \(minBodyRate\)/);
    assert.ok(rate.after >= 9800 && rate.after < 13000, `closed after ${rate.after} ms`);
    assert.deepStrictEqual(tree(dir).concat(tree(dir2)).filter((f) => f.includes('trickle')), []);
  });
});
