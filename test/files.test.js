'use strict';
// The CS server's file endpoints (filesPath, filesDir) end to end: uploads
// from real HTTP clients (PUT with node:http, multipart POST with fetch and
// FormData), downloads, traversal attempts, size limits, interrupted uploads,
// Basic auth, HTTPS, and the example flow with a real OCPP station.
const assert = require('assert');
const fs = require('fs');
const http = require('http');
const https = require('https');
const net = require('net');
const os = require('os');
const path = require('path');
const { RPCClient } = require('ocpp-rpc');
const { helper, core, ours, freePort, collector, loadFlow, until } = require('./lib/harness');
const { makeCertificates } = require('./lib/certs');

const NODES = [ours.server, ours.remoteCp, core.fn, core.tls, core.inject, core.debug, core.switchNode, core.catchNode];

function csFlow(port, dir, extra = {}) {
  return [
    { id: 'tab', type: 'tab', label: 'files' },
    {
      id: 'cs', z: 'tab', type: 'CS server', port: String(port), portType: 'num', enabled16j: true, path16j: '/ocpp',
      filesPath: '/files', filesDir: dir, wires: [['seen'], []], ...extra,
    },
    { id: 'seen', z: 'tab', type: 'helper' },
  ];
}

// One HTTP request with a raw path (no normalisation of ../), resolving with
// status, headers and body bytes.
function request(port, method, rawPath, { body, headers = {}, auth, tls } = {}) {
  const h = { ...headers };
  if (auth) h.authorization = `Basic ${Buffer.from(auth).toString('base64')}`;
  const lib = tls ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request({ host: '127.0.0.1', port, path: rawPath, method, headers: h, ...(tls || {}) }, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined && typeof body !== 'function') req.end(body);
    else if (typeof body === 'function') body(req);
    else req.end();
  });
}

const put = (port, name, data, opts = {}) => request(port, 'PUT', `/files/${name}`, { body: data, ...opts, headers: { 'content-type': 'application/octet-stream', ...(opts.headers || {}) } });

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

function bytes(n, seed = 7) {
  const b = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

describe('CS server file endpoints (filesPath, filesDir)', function () {
  this.timeout(30000);
  let port;
  let root;
  let dir;

  beforeEach(async () => {
    port = await freePort();
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'ocpp-files-'));
    dir = path.join(root, 'files');
  });
  afterEach(async () => {
    await helper.unload();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('PUT stores the exact bytes in filesDir and sends an upload msg naming the station', async () => {
    await loadFlow(NODES, csFlow(port, dir));
    const seen = collector(helper.getNode('seen'));
    assert.ok(fs.statSync(dir).isDirectory(), 'filesDir is created');
    const data = bytes(300000);
    const res = await put(port, 'diag%20CP-1.zip', data, { auth: 'CP-1:any' });
    assert.strictEqual(res.status, 201, String(res.body));
    assert.deepStrictEqual(fs.readFileSync(path.join(dir, 'uploads', 'CP-1', 'diag CP-1.zip')), data);
    const msg = await seen.next((m) => m.ocpp && m.ocpp.command === 'upload');
    assert.strictEqual(msg.topic, 'CP-1/upload');
    assert.deepStrictEqual(msg.ocpp, { command: 'upload', chargeBoxIdentity: 'CP-1', method: 'PUT' });
    assert.deepStrictEqual(msg.payload, { name: 'diag CP-1.zip', path: path.join(fs.realpathSync(dir), 'uploads', 'CP-1', 'diag CP-1.zip'), size: data.length });
    // Without credentials (no station has a password) the station is unnamed.
    assert.strictEqual((await put(port, 'anon.log', 'x')).status, 201);
    const anon = await seen.next((m) => m.payload && m.payload.name === 'anon.log');
    assert.strictEqual(anon.ocpp.chargeBoxIdentity, '');
    // A second PUT never replaces the file (409); nothing temporary is left.
    const again = await put(port, 'anon.log', 'second');
    assert.strictEqual(again.status, 409);
    assert.match(String(again.body), /anon\.log exists already: uploads never replace a file/);
    assert.strictEqual(fs.readFileSync(path.join(dir, 'anonymous', 'anon.log'), 'utf8'), 'x');
    assert.deepStrictEqual(tree(dir), ['anonymous/anon.log', 'uploads/CP-1/diag CP-1.zip']);
  });

  it('POST multipart/form-data from fetch lands under the part\'s filename, or the path\'s name; GET and HEAD serve it back', async () => {
    await loadFlow(NODES, csFlow(port, dir));
    const seen = collector(helper.getNode('seen'));
    const data = bytes(200000, 3);
    const form = new FormData();
    form.append('note', 'a form field beside the file');
    form.append('file', new Blob([data]), 'CP-2_diagnostics.tar.gz');
    const res = await fetch(`http://127.0.0.1:${port}/files/`, { method: 'POST', body: form, headers: { authorization: `Basic ${Buffer.from('CP-2:x').toString('base64')}` } });
    assert.strictEqual(res.status, 201, await res.text());
    assert.deepStrictEqual(fs.readFileSync(path.join(dir, 'uploads', 'CP-2', 'CP-2_diagnostics.tar.gz')), data);
    const msg = await seen.next((m) => m.ocpp && m.ocpp.command === 'upload');
    assert.deepStrictEqual(msg.ocpp, { command: 'upload', chargeBoxIdentity: 'CP-2', method: 'POST' });
    assert.strictEqual(msg.payload.size, data.length);

    const named = new FormData();
    named.append('file', new Blob(['log text']), 'whatever.txt');
    assert.strictEqual((await fetch(`http://127.0.0.1:${port}/files/chosen.log`, { method: 'POST', body: named })).status, 201);
    assert.strictEqual(fs.readFileSync(path.join(dir, 'anonymous', 'chosen.log'), 'utf8'), 'log text');
    // A form without a file part is refused.
    const empty = new FormData();
    empty.append('note', 'no file');
    assert.strictEqual((await fetch(`http://127.0.0.1:${port}/files/`, { method: 'POST', body: empty })).status, 400);

    // Downloads come from the firmware folder only: uploads are not served.
    assert.strictEqual((await request(port, 'GET', '/files/CP-2_diagnostics.tar.gz')).status, 404);
    fs.writeFileSync(path.join(dir, 'firmware', 'CP-2_diagnostics.tar.gz'), data);
    fs.writeFileSync(path.join(dir, 'firmware', 'chosen.log'), 'log text');
    const got = await request(port, 'GET', '/files/CP-2_diagnostics.tar.gz');
    assert.strictEqual(got.status, 200);
    assert.strictEqual(got.headers['content-type'], 'application/octet-stream');
    assert.strictEqual(got.headers['content-length'], String(data.length));
    assert.deepStrictEqual(got.body, data);
    const head = await request(port, 'HEAD', '/files/chosen.log');
    assert.strictEqual(head.status, 200);
    assert.strictEqual(head.headers['content-length'], '8');
    assert.strictEqual(head.body.length, 0);
    assert.strictEqual((await request(port, 'GET', '/files/missing.bin')).status, 404);
    assert.strictEqual((await request(port, 'DELETE', '/files/chosen.log')).status, 405);
    assert.ok(fs.existsSync(path.join(dir, 'anonymous', 'chosen.log')));
    // The OCPP-J service is still there.
    assert.strictEqual((await request(port, 'GET', '/ocpp/CP-1')).status, 426);
  });

  it('refuses traversal, encoded separators, absolute and hidden names with 400, and writes nothing outside filesDir', async () => {
    await loadFlow(NODES, csFlow(port, dir));
    fs.writeFileSync(path.join(root, 'secret.txt'), 'outside');
    const before = tree(root);
    const attempts = [
      '../x', '..%2fx', '%2e%2e%2fx', '%2e%2e/x', '%2E%2E%2Fsecret.txt', '..', '%2e%2e', 'a%2fb', '%2fetc%2fpasswd',
      '..%5csecret.txt', 'a%5cb', '.hidden', '%2ehidden', 'C:x', 'a%00b', 'a%0ab', `${'x'.repeat(201)}`, '%ff',
    ];
    for (const name of attempts) {
      const res = await put(port, name, 'evil');
      assert.strictEqual(res.status, 400, `PUT /files/${name}: ${res.status} ${res.body}`);
      const got = await request(port, 'GET', `/files/${name}`);
      assert.strictEqual(got.status, 400, `GET /files/${name}: ${got.status}`);
    }
    // GET of ../secret.txt by any spelling never reads outside.
    for (const name of ['../secret.txt', '..%2fsecret.txt', '%2e%2e%2fsecret.txt']) {
      const got = await request(port, 'GET', `/files/${name}`);
      assert.notStrictEqual(got.body.toString(), 'outside', name);
    }
    // Multipart filenames that climb or are absolute.
    for (const filename of ['../evil.txt', '/tmp/evil.txt', '..\\evil.txt', 'C:\\evil.txt', '.evil']) {
      const form = new FormData();
      form.append('file', new Blob(['evil']), filename);
      const res = await fetch(`http://127.0.0.1:${port}/files/`, { method: 'POST', body: form });
      assert.strictEqual(res.status, 400, `multipart filename ${filename}: ${res.status}`);
    }
    assert.deepStrictEqual(tree(root), before, 'nothing written anywhere');
    assert.strictEqual(fs.readFileSync(path.join(root, 'secret.txt'), 'utf8'), 'outside');
  });

  it('refuses oversize uploads with 413 and leaves neither the file nor a temporary one', async () => {
    await loadFlow(NODES, csFlow(port, dir, { filesMaxMB: 1 }));
    const seen = collector(helper.getNode('seen'));
    const big = bytes((1 << 20) + 1000);
    // Declared too large: refused before it is read.
    const declared = await put(port, 'big.bin', big);
    assert.strictEqual(declared.status, 413, String(declared.body));
    assert.match(String(declared.body), /filesMaxMB \(1 MB\)/);
    // The flow's author is told, once a minute per client.
    const log = helper.log();
    const warnings = () => log.args.filter((a) => a[0].level === log.WARN).map((a) => String(a[0].msg));
    const told = 'refused a file request (PUT) from a client that gave no station id (HTTP 413): the upload is larger than filesMaxMB (1 MB)';
    await until('the 413 warning', () => warnings().includes(told), 5000).catch(() => assert.fail(warnings().join('; ')));
    // Chunked: refused once past the limit.
    const chunked = await request(port, 'PUT', '/files/chunked.bin', {
      body: (req) => {
        for (let i = 0; i < big.length; i += 65536) req.write(big.subarray(i, i + 65536));
        req.end();
      },
    });
    assert.strictEqual(chunked.status, 413);
    // Multipart: the whole body counts.
    const form = new FormData();
    form.append('file', new Blob([big]), 'form.bin');
    const res = await fetch(`http://127.0.0.1:${port}/files/`, { method: 'POST', body: form });
    assert.strictEqual(res.status, 413);
    // Multipart without a declared length: refused once past the limit, mid-part.
    const boundary = 'b0undary';
    const chunkedForm = await request(port, 'POST', '/files/', {
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: (req) => {
        req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="chunked-form.bin"\r\n\r\n`);
        for (let i = 0; i < big.length; i += 65536) req.write(big.subarray(i, i + 65536));
        req.end(`\r\n--${boundary}--\r\n`);
      },
    });
    assert.strictEqual(chunkedForm.status, 413, String(chunkedForm.body));
    await until('no file or temporary file left', () => tree(dir).length === 0, 5000).catch(() => assert.deepStrictEqual(tree(dir), []));
    // Exactly the limit is fine.
    assert.strictEqual((await put(port, 'max.bin', bytes(1 << 20))).status, 201);
    assert.deepStrictEqual(tree(dir), ['anonymous/max.bin']);
    await seen.next((m) => m.ocpp && m.ocpp.command === 'upload');
    assert.strictEqual(seen.msgs.filter((m) => m.ocpp && m.ocpp.command === 'upload').length, 1);
  });

  it('a multipart body whose headers never end is refused past 1 MiB, not buffered', async () => {
    await loadFlow(NODES, csFlow(port, dir));
    const res = await request(port, 'POST', '/files/', {
      headers: { 'content-type': 'multipart/form-data; boundary=XX' },
      body: (req) => {
        req.write('--XX\r\nContent-Disposition: form-data; name="file"; filename="h.bin"\r\nX-Padding: ');
        for (let i = 0; i < 48; i++) req.write('y'.repeat(65536));
        req.end('\r\n\r\nbody\r\n--XX--\r\n');
      },
    });
    assert.strictEqual(res.status, 400);
    assert.match(String(res.body), /more than 1 MiB/);
    assert.deepStrictEqual(tree(dir), []);
  });

  it('an idle upload (headers, then nothing) gets 408 from the default minimum rate within its 10 s window, and leaves nothing', async () => {
    // README: minBodyRate, 1024 bytes/s over each 10 s by default; MARGIN_MS is what a loaded machine adds.
    const WINDOW_MS = 10000;
    const MARGIN_MS = 3000;
    await loadFlow(NODES, csFlow(port, dir));
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    const chunks = [];
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', () => {});
    const started = Date.now();
    socket.write('PUT /files/idle.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n');
    await new Promise((r) => socket.once('close', r));
    const after = Date.now() - started;
    const text = Buffer.concat(chunks).toString();
    assert.match(text, /^HTTP\/1\.1 408/, text);
    assert.match(text, /over 10 s \(minBodyRate\)/);
    assert.ok(after >= WINDOW_MS - 200 && after < WINDOW_MS + MARGIN_MS, `answered after ${after} ms`);
    await until('no temporary file left', () => tree(dir).length === 0, 5000).catch(() => assert.deepStrictEqual(tree(dir), []));
  });

  it('an interrupted upload leaves no file that looks complete', async () => {
    await loadFlow(NODES, csFlow(port, dir));
    const seen = collector(helper.getNode('seen'));
    for (const [name, head] of [
      ['cut.bin', 'PUT /files/cut.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n'],
      ['cut-form.bin', 'POST /files/ HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=XX\r\nContent-Length: 100000\r\n\r\n'
        + '--XX\r\nContent-Disposition: form-data; name="file"; filename="cut-form.bin"\r\n\r\n'],
    ]) {
      const socket = net.connect(port, '127.0.0.1');
      await new Promise((r) => socket.once('connect', r));
      socket.write(head);
      socket.write(bytes(20000));
      // Mid-body: streamed into a hidden temporary file, never the final name.
      const during = await until('the temporary file', () => tree(dir).length > 0 && tree(dir), 5000);
      assert.strictEqual(during.length, 1, during.join());
      assert.match(during[0], new RegExp(`^anonymous/\\.${name.replace('.', '\\.')}\\.[0-9a-f-]{36}\\.part$`));
      socket.destroy();
      await until(`nothing left after ${name}`, () => tree(dir).length === 0, 5000).catch(() => assert.deepStrictEqual(tree(dir), [], `after ${name}`));
    }
    // A later marker: a complete upload after them is reported, and is the only one.
    assert.strictEqual((await put(port, 'whole.bin', bytes(1000))).status, 201);
    await seen.next((m) => m.ocpp && m.ocpp.command === 'upload');
    assert.strictEqual(seen.msgs.filter((m) => m.ocpp && m.ocpp.command === 'upload').length, 1);
    assert.deepStrictEqual(tree(dir), ['anonymous/whole.bin']);
  });

  it('with station passwords, every file request needs valid Basic auth (401 otherwise); the msg names the station', async () => {
    await loadFlow(NODES, csFlow(port, dir), { cs: { passwords: 'CP-AUTH:s3cret' } });
    const seen = collector(helper.getNode('seen'));
    const none = await put(port, 'a.log', 'x');
    assert.strictEqual(none.status, 401);
    assert.match(none.headers['www-authenticate'], /^Basic/);
    assert.strictEqual((await put(port, 'a.log', 'x', { auth: 'CP-AUTH:wrong' })).status, 401);
    // A station without a password cannot name itself when others have one.
    assert.strictEqual((await put(port, 'a.log', 'x', { auth: 'OTHER:x' })).status, 401);
    const form = new FormData();
    form.append('file', new Blob(['x']), 'b.log');
    assert.strictEqual((await fetch(`http://127.0.0.1:${port}/files/`, { method: 'POST', body: form })).status, 401);
    assert.deepStrictEqual(tree(dir), []);
    assert.strictEqual((await put(port, 'a.log', 'diag', { auth: 'CP-AUTH:s3cret' })).status, 201);
    const msg = await seen.next((m) => m.ocpp && m.ocpp.command === 'upload');
    assert.strictEqual(msg.ocpp.chargeBoxIdentity, 'CP-AUTH');
    assert.strictEqual(msg.topic, 'CP-AUTH/upload');
    assert.deepStrictEqual(tree(dir), ['uploads/CP-AUTH/a.log']);
    fs.writeFileSync(path.join(dir, 'firmware', 'fw.bin'), 'firmware');
    assert.strictEqual((await request(port, 'GET', '/files/fw.bin')).status, 401);
    const got = await request(port, 'GET', '/files/fw.bin', { auth: 'CP-AUTH:s3cret' });
    assert.strictEqual(String(got.body), 'firmware');
  });

  it('serves the files over HTTPS when the server has TLS', async () => {
    const certs = makeCertificates();
    try {
      const flow = csFlow(port, dir, { tls: 'srvtls' });
      flow.push({ id: 'srvtls', type: 'tls-config', name: 'tls', verifyservercert: true, cert: certs.certFile, key: certs.keyFile, ca: certs.caFile });
      await loadFlow(NODES, flow);
      const seen = collector(helper.getNode('seen'));
      const tls = { ca: fs.readFileSync(certs.caFile), servername: 'localhost' };
      const data = bytes(100000, 11);
      const res = await put(port, 'tls.bin', data, { tls, auth: 'TLS-CP:x' });
      assert.strictEqual(res.status, 201);
      assert.strictEqual((await seen.next((m) => m.ocpp && m.ocpp.command === 'upload')).ocpp.chargeBoxIdentity, 'TLS-CP');
      fs.writeFileSync(path.join(dir, 'firmware', 'tls.bin'), data);
      const got = await request(port, 'GET', '/files/tls.bin', { tls });
      assert.deepStrictEqual(got.body, data);
      await assert.rejects(request(port, 'GET', '/files/tls.bin'), 'plain HTTP is refused');
    } finally {
      certs.cleanup();
    }
  });

  it('a station whose id is the files path still connects when OCPP-J is at /', async () => {
    await loadFlow(NODES, csFlow(port, dir, { path16j: '' }));
    const seen = collector(helper.getNode('seen'));
    const client = new RPCClient({ endpoint: `ws://127.0.0.1:${port}`, identity: 'files', protocols: ['ocpp1.6'], reconnect: false });
    await client.connect();
    await seen.next((m) => m.ocpp && m.ocpp.websocket === 'ONLINE' && m.ocpp.chargeBoxIdentity === 'files');
    await client.close({ force: true });
    assert.strictEqual((await put(port, 'ok.txt', 'ok')).status, 201);
  });

  it('refuses a files path that clashes with another service, or one without a directory', async () => {
    for (const [extra, error] of [
      [{ filesPath: '/ocpp/files' }, /clashes with the OCPP-J path/],
      [{ filesDir: '' }, /filesPath is set but filesDir is not/],
    ]) {
      await loadFlow(NODES, csFlow(port, dir, extra));
      const log = helper.log();
      const errors = log.args.filter((a) => a[0].level === log.ERROR).map((a) => String(a[0].msg));
      assert.ok(errors.some((e) => error.test(e)), errors.join('; '));
      await helper.unload();
    }
  });

  it('names the uploader from the path (<filesPath>/<station>/<name>) or the X-Charge-Box-Identity header; with passwords only as the authenticated station', async () => {
    await loadFlow(NODES, csFlow(port, dir));
    const seen = collector(helper.getNode('seen'));
    assert.strictEqual((await put(port, 'CP-9/diag.log', 'path')).status, 201);
    const byPath = await seen.next((m) => m.payload && m.payload.name === 'diag.log');
    assert.strictEqual(byPath.topic, 'CP-9/upload');
    assert.strictEqual(byPath.ocpp.chargeBoxIdentity, 'CP-9');
    assert.strictEqual((await put(port, 'h.log', 'header', { headers: { 'x-charge-box-identity': 'CP-8' } })).status, 201);
    assert.strictEqual((await seen.next((m) => m.payload && m.payload.name === 'h.log')).ocpp.chargeBoxIdentity, 'CP-8');
    // A multipart POST to the station's directory.
    const form = new FormData();
    form.append('file', new Blob(['m']), 'm.log');
    assert.strictEqual((await fetch(`http://127.0.0.1:${port}/files/CP-7/`, { method: 'POST', body: form })).status, 201);
    assert.strictEqual((await seen.next((m) => m.payload && m.payload.name === 'm.log')).topic, 'CP-7/upload');
    // Two names that disagree, an id no station may have, a deeper path: refused.
    const clash = await put(port, 'CP-9/x.log', 'x', { auth: 'CP-1:any' });
    assert.strictEqual(clash.status, 403, String(clash.body));
    assert.match(String(clash.body), /names station CP-9 but the request comes from CP-1/);
    assert.strictEqual((await put(port, 'CP-9/a/x.log', 'x')).status, 400);
    assert.strictEqual((await put(port, '%20bad%7F/x.log', 'x')).status, 400);
    assert.deepStrictEqual(tree(dir), ['uploads/CP-7/m.log', 'uploads/CP-8/h.log', 'uploads/CP-9/diag.log']);
    await helper.unload();

    // With passwords the Basic-auth user is the station: the path must name that one.
    await loadFlow(NODES, csFlow(port, dir), { cs: { passwords: 'CP-AUTH:s3cret' } });
    assert.strictEqual((await put(port, 'CP-AUTH/y.log', 'y')).status, 401);
    assert.strictEqual((await put(port, 'CP-AUTH/y.log', 'y', { headers: { 'x-charge-box-identity': 'CP-AUTH' } })).status, 401);
    assert.strictEqual((await put(port, 'CP-OTHER/y.log', 'y', { auth: 'CP-AUTH:s3cret' })).status, 403);
    assert.strictEqual((await put(port, 'CP-AUTH/y.log', 'y', { auth: 'CP-AUTH:s3cret' })).status, 201);
    assert.ok(fs.existsSync(path.join(dir, 'uploads', 'CP-AUTH', 'y.log')));
  });

  it('example: its own station DIAG-CP-1 uploads its diagnostics to the server\'s /files/DIAG-CP-1/, then downloads the firmware', async () => {
    const EXAMPLE = path.join(__dirname, '..', 'examples', 'diagnostics-and-firmware.json');
    const flow = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8').replace(/\b8838\b/g, String(port)));
    flow.find((n) => n.id === 'df.cs').filesDir = dir;
    flow.find((n) => n.id === 'df.tick').onceDelay = '0.1';
    flow.find((n) => n.id === 'df.switch').wires[1].push('uploads');
    flow.find((n) => n.id === 'df.cs').wires[0].push('fromStation');
    flow.find((n) => n.id === 'df.req').wires[0].push('answers');
    flow.find((n) => n.id === 'df.catch').wires[0].push('errors');
    flow.push({ id: 'uploads', z: 'df.tab', type: 'helper' }, { id: 'answers', z: 'df.tab', type: 'helper' }, { id: 'fromStation', z: 'df.tab', type: 'helper' }, { id: 'errors', z: 'df.tab', type: 'helper' });
    await loadFlow(NODES.concat([core.comment, core.httpRequest, ours.cpJson, ours.remoteCs]), flow);
    const uploads = collector(helper.getNode('uploads'));
    const answers = collector(helper.getNode('answers'));
    const fromStation = collector(helper.getNode('fromStation'));
    const errors = collector(helper.getNode('errors'));
    const status = (command, value) => fromStation.next((m) => m.payload && m.payload.command === command && m.payload.data.status === value, 10000);
    await fromStation.next((m) => m.payload && m.payload.command === 'BootNotification' && m.ocpp.chargeBoxIdentity === 'DIAG-CP-1', 10000);

    helper.getNode('df.injdiag').receive({});
    const answer = await answers.next((m) => m.ocpp && m.ocpp.command === 'GetDiagnostics');
    const { fileName } = answer.payload.data;
    assert.match(fileName, /^diagnostics-.*\.log$/);
    const event = await uploads.next();
    assert.strictEqual(event.topic, 'DIAG-CP-1/upload', 'the station is named by the path of the location');
    assert.strictEqual(event.payload.name, fileName);
    assert.match(fs.readFileSync(path.join(dir, 'uploads', 'DIAG-CP-1', fileName), 'utf8'), /^DIAG-CP-1 diagnostics at /);
    await status('DiagnosticsStatusNotification', 'Uploaded');

    // No firmware.bin yet: the station reports DownloadFailed; with it, Installed.
    helper.getNode('df.injfw').receive({});
    await answers.next((m) => m.ocpp && m.ocpp.command === 'UpdateFirmware');
    await status('FirmwareStatusNotification', 'DownloadFailed');
    fs.writeFileSync(path.join(dir, 'firmware', 'firmware.bin'), bytes(80000, 9));
    helper.getNode('df.injfw').receive({});
    await status('FirmwareStatusNotification', 'Installed');
    assert.deepStrictEqual(errors.msgs, []);
  });
});
