'use strict';
// Attacks on and through the operator's side (issue 28: item 7, the Lows, rotation):
// - a SOAP station whose From points the Central System at 127.0.0.1 (SSRF);
// - a read-only editor user changing the inspector's state;
// - station passwords in the sidebar's frames, output 2 and the log file;
// - a station that accepts a new Basic-auth password and reconnects with it.
// Everything runs for real: Node-RED (in a process of its own with adminAuth,
// or in the test's runtime for SOAP), ocpp-rpc stations, HTTP servers, files.
const assert = require('assert');
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');
const { RPCClient } = require('ocpp-rpc');
const { helper, core, ours, freePort, collector, loadFlow } = require('./lib/harness');
const { startOurRed } = require('./lib/our-red');

// Waits for a condition, polling; fails with `what` when it does not come.
async function until(what, check, ms = 10000) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const soapEnv = (cb, from) =>
  `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:cs="urn://Ocpp/Cs/2015/10/">` +
  `<soap:Header><cs:chargeBoxIdentity>${cb}</cs:chargeBoxIdentity>` +
  `<wsa:From xmlns:wsa="http://www.w3.org/2005/08/addressing"><wsa:Address>${from}</wsa:Address></wsa:From></soap:Header>` +
  `<soap:Body><cs:heartbeatRequest/></soap:Body></soap:Envelope>`;

function postSoap(port, body, auth) {
  return new Promise((resolve, reject) => {
    const headers = { 'content-type': 'application/soap+xml' };
    if (auth) headers.authorization = `Basic ${Buffer.from(auth).toString('base64')}`;
    const req = http.request({ host: '127.0.0.1', port, path: '/ocpp16s', method: 'POST', headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('attack-operator: a station that points the Central System at internal addresses (SSRF)', function () {
  this.timeout(30000);
  const NODES = [ours.server, ours.csReqSoap, core.fn, core.catchNode];
  const ANSWER = "if (msg.payload.command === 'Heartbeat') { msg.payload = { currentTime: new Date().toISOString() }; return msg; } return null;";
  let port;
  let metadata;
  let hits;

  beforeEach(async () => {
    port = await freePort();
    hits = [];
    // A cloud-metadata-style service on the Central System's own loopback.
    metadata = http.createServer((req, res) => {
      hits.push(`${req.method} ${req.url}`);
      req.resume();
      res.end('{"AccessKeyId":"ASIA-secret"}');
    });
    await new Promise((r) => metadata.listen(0, '127.0.0.1', r));
  });
  afterEach(async () => {
    await helper.unload();
    await new Promise((r) => metadata.close(r));
  });

  function flow(allowAddresses) {
    return [
      { id: 'tab', type: 'tab', label: 'ssrf' },
      { id: 'cs', z: 'tab', type: 'CS server', port: String(port), portType: 'num', enabled16: true, path16: '/ocpp16s', wires: [['answer'], []] },
      { id: 'answer', z: 'tab', type: 'function', func: ANSWER, outputs: 1, wires: [['resp']] },
      { id: 'resp', z: 'tab', type: 'server response' },
      { id: 'req', z: 'tab', type: 'CS request SOAP', command: 'Reset', cmddata: '{"type":"Soft"}', timeout: 5, allowAddresses, wires: [['out']] },
      { id: 'out', z: 'tab', type: 'helper' },
      { id: 'catcher', z: 'tab', type: 'catch', scope: ['req'], uncaught: false, wires: [['caught']] },
      { id: 'caught', z: 'tab', type: 'helper' },
    ];
  }

  it('refuses to POST to a loopback From (cloud-metadata path), and does when the address is allow-listed', async () => {
    await loadFlow(NODES, flow(''));
    const caught = collector(helper.getNode('caught'));
    const from = `http://127.0.0.1:${metadata.address().port}/latest/meta-data/iam/security-credentials/`;
    assert.strictEqual(await postSoap(port, soapEnv('SSRF-CP', from)), 200);
    helper.getNode('req').receive({ payload: { cbId: 'SSRF-CP' } });
    const error = await caught.next(() => true, 10000);
    assert.deepStrictEqual(hits, [], 'the Central System posted to its own loopback for the station');
    assert.match(error.error.message, /refused to connect to 127\.0\.0\.1, a loopback address, given by the station itself/);

    // The same station, with 127.0.0.1 allowed by the user: reached (its answer is no SOAP, hence an error).
    await helper.unload();
    await loadFlow(NODES, flow('127.0.0.1, 10.0.0.0/8'));
    const caught2 = collector(helper.getNode('caught'));
    assert.strictEqual(await postSoap(port, soapEnv('SSRF-CP', from)), 200);
    helper.getNode('req').receive({ payload: { cbId: 'SSRF-CP' } });
    await caught2.next(() => true, 10000);
    assert.deepStrictEqual(hits, ['POST /latest/meta-data/iam/security-credentials/']);
  });

  it('refuses a From that names an internal address through DNS (localhost)', async () => {
    await loadFlow(NODES, flow(''));
    const caught = collector(helper.getNode('caught'));
    assert.strictEqual(await postSoap(port, soapEnv('SSRF-DNS', `http://localhost:${metadata.address().port}/latest/meta-data/`)), 200);
    helper.getNode('req').receive({ payload: { cbId: 'SSRF-DNS' } });
    const error = await caught.next(() => true, 10000);
    assert.deepStrictEqual(hits, []);
    assert.match(error.error.message, /refused to connect to (127\.0\.0\.1|::1), a loopback address/);
  });

  it('where stations have passwords, keeps the From of a station without one', async () => {
    await loadFlow(NODES, flow(''), { cs: { passwords: 'SOAP-PW:s3cret' } });
    const { addon } = require('../nodes/lib/engine');
    assert.strictEqual(await postSoap(port, soapEnv('NO-PW', 'http://203.0.113.9:8080/ocpp')), 200);
    assert.strictEqual(addon.soapAddress('NO-PW'), null, 'a station without a password set its own address');
    assert.strictEqual(await postSoap(port, soapEnv('SOAP-PW', 'http://203.0.113.7:8080/ocpp'), 'SOAP-PW:s3cret'), 200);
    assert.strictEqual(addon.soapAddress('SOAP-PW'), 'http://203.0.113.7:8080/ocpp');
  });
});

describe('attack-operator: the editor, logs and passwords (Node-RED with adminAuth)', function () {
  this.timeout(90000);
  let red;
  let userDir;
  let base;
  let wsUrl;
  let logFile;
  let rawFile;
  const stations = [];

  const ANSWER = `
const now = new Date().toISOString();
switch (msg.payload.command) {
  case 'BootNotification': msg.payload = { status: 'Accepted', currentTime: now, interval: 300 }; break;
  case 'Heartbeat': msg.payload = { currentTime: now }; break;
  default: msg.payload = {};
}
return msg;`;

  before(async () => {
    const repoRed = path.dirname(require.resolve('node-red/package.json', { paths: [path.join(__dirname, '..')] }));
    const bcrypt = require(require.resolve('bcryptjs', { paths: [repoRed] }));
    const hash = bcrypt.hashSync('secret', 8);
    const editorPort = await freePort();
    const port = await freePort();
    base = `http://127.0.0.1:${editorPort}`;
    wsUrl = `ws://127.0.0.1:${port}/ocpp`;
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocpp-operator-'));
    logFile = path.join(userDir, 'cs.log');
    rawFile = path.join(userDir, 'raw.log');
    const flow = [
      { id: 'tab', type: 'tab', label: 'operator' },
      {
        id: 'cs', z: 'tab', type: 'CS server', name: 'CS', port: String(port), portType: 'num', enabled16j: true, path16j: '/ocpp',
        json201: true, log: true, pathlog: logFile, wires: [['answer'], ['raw']],
      },
      { id: 'answer', z: 'tab', type: 'function', func: ANSWER, outputs: 1, wires: [['resp']] },
      { id: 'resp', z: 'tab', type: 'server response' },
      { id: 'raw', z: 'tab', type: 'file', filename: rawFile, filenameType: 'str', appendNewline: true, createDir: false, overwriteFile: 'false', encoding: 'none' },
    ];
    fs.writeFileSync(
      path.join(userDir, 'flows_cred.json'),
      JSON.stringify({ cs: { passwords: 'ROT-16:old-password-16\nROT-201:old-password-201-abc' } })
    );
    const settings = `adminAuth: { type: 'credentials', users: [
        { username: 'admin', password: '${hash}', permissions: '*' },
        { username: 'viewer', password: '${hash}', permissions: 'read' } ] },`;
    red = await startOurRed(userDir, flow, { editorPort, settings });
  });

  afterEach(async () => {
    await Promise.allSettled(stations.splice(0).map((s) => s.close({ force: true })));
  });

  after(async () => {
    if (red) await red.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  async function token(username, scope) {
    const res = await fetch(`${base}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope, username, password: 'secret' }),
    });
    assert.strictEqual(res.status, 200, await res.clone().text());
    return { authorization: `Bearer ${(await res.json()).access_token}`, 'content-type': 'application/json' };
  }

  // An ocpp-rpc station, connected and booted; `handlers`: {action: (params) => answer}.
  async function station(identity, { version = 'ocpp1.6', password, handlers = {} } = {}) {
    const client = new RPCClient({ endpoint: wsUrl, identity, protocols: [version], strictMode: true, reconnect: false, password });
    for (const [action, handler] of Object.entries(handlers)) client.handle(action, ({ params }) => handler(params));
    stations.push(client);
    await client.connect();
    if (version === 'ocpp1.6') await client.call('BootNotification', { chargePointVendor: 'test', chargePointModel: 'operator' });
    else await client.call('BootNotification', { reason: 'PowerUp', chargingStation: { model: 'operator', vendorName: 'test' } });
    return client;
  }

  async function sidebarCall(headers, id, action, payload) {
    const res = await fetch(`${base}/ocpp/stations/${id}/call`, { method: 'POST', headers, body: JSON.stringify({ action, payload, timeout: 10 }) });
    assert.strictEqual(res.status, 200, await res.clone().text());
    return res.json();
  }

  it('a read-only user can look at a station but not start or stop its recording', async () => {
    await station('VIEW-CP');
    const viewer = await token('viewer', 'read');
    const admin = await token('admin', '*');
    const recording = async () => (await (await fetch(`${base}/ocpp/inspector`, { headers: viewer })).json()).recording;
    assert.strictEqual(await recording(), 0);

    const looked = await fetch(`${base}/ocpp/stations/VIEW-CP/frames`, { headers: viewer });
    assert.strictEqual(looked.status, 200);
    assert.strictEqual((await looked.json()).recording, false, "a reader's GET started a recording");
    assert.strictEqual(await recording(), 0, "a reader's GET started a recording");
    assert.strictEqual((await fetch(`${base}/ocpp/stations/VIEW-CP/frames`, { method: 'PUT', headers: viewer })).status, 401);
    assert.strictEqual(await recording(), 0);

    // A writer starts it (PUT); a reader cannot stop it (DELETE), a writer can.
    const started = await fetch(`${base}/ocpp/stations/VIEW-CP/frames`, { method: 'PUT', headers: admin });
    assert.strictEqual(started.status, 200);
    assert.strictEqual((await started.json()).recording, true);
    const deleted = await fetch(`${base}/ocpp/stations/VIEW-CP/frames`, { method: 'DELETE', headers: viewer });
    assert.strictEqual(deleted.status, 401, 'a reader stopped the recording and freed its frames');
    assert.strictEqual(await recording(), 1);
    assert.strictEqual((await fetch(`${base}/ocpp/stations/VIEW-CP/frames`, { method: 'DELETE', headers: admin })).status, 204);
    assert.strictEqual(await recording(), 0);
    assert.strictEqual((await fetch(`${base}/ocpp/inspector`, { method: 'PUT', headers: viewer, body: '{"all":true}' })).status, 401);
  });

  it('hides AuthorizationKey and BasicAuthPassword in the sidebar, output 2 and the log file; a Rejected one is not adopted', async () => {
    const admin = await token('admin', '*');
    assert.strictEqual((await fetch(`${base}/ocpp/inspector`, { method: 'PUT', headers: admin, body: '{"all":true}' })).status, 200);
    const key16 = Buffer.from('secret-16-value!').toString('hex');
    const pass201 = 'secret-201-value-xyz';
    await station('RED-16', { handlers: { ChangeConfiguration: () => ({ status: 'Rejected' }) } });
    await station('RED-201', {
      version: 'ocpp2.0.1',
      handlers: {
        SetVariables: ({ setVariableData }) => ({
          setVariableResult: setVariableData.map((d) => ({ attributeStatus: 'Rejected', component: d.component, variable: d.variable })),
        }),
      },
    });
    const cc = await sidebarCall(admin, 'RED-16', 'ChangeConfiguration', { key: 'AuthorizationKey', value: key16 });
    assert.deepStrictEqual(cc.result, { status: 'Rejected' });
    const sv = await sidebarCall(admin, 'RED-201', 'SetVariables', {
      setVariableData: [{ attributeValue: pass201, component: { name: 'SecurityCtrlr' }, variable: { name: 'BasicAuthPassword' } }],
    });
    assert.strictEqual(sv.result.setVariableResult[0].attributeStatus, 'Rejected');

    const frames = async (id) => JSON.stringify((await (await fetch(`${base}/ocpp/stations/${id}/frames`, { headers: admin })).json()).frames);
    const shown16 = await until('the ChangeConfiguration frame in the sidebar', async () => ((await frames('RED-16')).includes('ChangeConfiguration') ? frames('RED-16') : null));
    const shown201 = await until('the SetVariables frame in the sidebar', async () => ((await frames('RED-201')).includes('SetVariables') ? frames('RED-201') : null));
    const read = (file) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '');
    const both = (text) => text.includes('ChangeConfiguration') && text.includes('SetVariables');
    const raw = await until('both CALLs on output 2', () => (both(read(rawFile)) ? read(rawFile) : null));
    const logged = await until('both CALLs in the log file', () => (both(read(logFile)) ? read(logFile) : null));
    for (const [where, text] of [['the sidebar (1.6)', shown16], ['the sidebar (2.0.1)', shown201], ['output 2', raw], ['the log file', logged]]) {
      assert.ok(!text.includes(key16), `the AuthorizationKey shows in ${where}: ${text.slice(0, 400)}`);
      assert.ok(!text.includes(pass201), `the BasicAuthPassword shows in ${where}`);
      assert.ok(text.includes('<redacted>'), `${where} says nothing was hidden`);
    }
    assert.strictEqual((await fetch(`${base}/ocpp/inspector`, { method: 'PUT', headers: admin, body: '{"all":false}' })).status, 200);
    // Rejected: the stations still have no password.
    await (await station('RED-16')).close({ force: true });
    await (await station('RED-201', { version: 'ocpp2.0.1' })).close({ force: true });
  });

  it('adopts a 1.6 AuthorizationKey (hex of the password) the station accepted: the new password gets in, the old one is refused', async () => {
    const admin = await token('admin', '*');
    const newPassword = 'new-password-16!';
    const hex = Buffer.from(newPassword).toString('hex');
    const st = await station('ROT-16', { password: 'old-password-16', handlers: { ChangeConfiguration: () => ({ status: 'Accepted' }) } });
    const outcome = await sidebarCall(admin, 'ROT-16', 'ChangeConfiguration', { key: 'AuthorizationKey', value: hex });
    assert.deepStrictEqual(outcome.result, { status: 'Accepted' });
    await st.close({ force: true });
    const again = await station('ROT-16', { password: newPassword });
    await again.close({ force: true });
    await assert.rejects(station('ROT-16', { password: 'old-password-16' }), /401|Unauthorized/);
    assert.match(red.output(), /ROT-16 accepted a new Basic-auth password \(ChangeConfiguration AuthorizationKey\)/);
    assert.ok(!red.output().includes(newPassword) && !red.output().includes(hex), 'the log shows the password');
  });

  // Found by the attacker session on the fix: each step below failed before its fix.
  it("keeps passwords out of the sidebar's CALL outcome, in any case; adopts a binary key; never adopts an empty one", async () => {
    const admin = await token('admin', '*');
    // The outcome the sidebar shows: a GetConfiguration / GetVariables answer that reports the password.
    const leak16 = await station('LEAK-16', {
      handlers: {
        GetConfiguration: () => ({ configurationKey: [{ key: 'authorizationkey', readonly: false, value: 'LEAKED-GETCONF' }] }),
        ChangeConfiguration: () => ({ status: 'Accepted' }),
      },
    });
    const got = await sidebarCall(admin, 'LEAK-16', 'GetConfiguration', {});
    assert.ok(!JSON.stringify(got).includes('LEAKED-GETCONF'), `the sidebar's outcome shows the key: ${JSON.stringify(got)}`);
    assert.strictEqual(got.result.configurationKey[0].value, '<redacted>');
    await station('LEAK-201', {
      version: 'ocpp2.0.1',
      handlers: {
        GetVariables: ({ getVariableData }) => ({
          getVariableResult: getVariableData.map((d) => ({ attributeStatus: 'Accepted', attributeValue: 'GETVAR-LEAK', component: d.component, variable: d.variable })),
        }),
      },
    });
    const vars = await sidebarCall(admin, 'LEAK-201', 'GetVariables', {
      getVariableData: [{ component: { name: 'securityctrlr' }, variable: { name: 'basicauthpassword' } }],
    });
    assert.ok(!JSON.stringify(vars).includes('GETVAR-LEAK'), `the sidebar's outcome shows the password: ${JSON.stringify(vars)}`);

    // A lower-case key (1.6 keys are case-insensitive) is rotated like the canonical one.
    const lower = 'lower-case-pass!';
    const changed = await sidebarCall(admin, 'LEAK-16', 'ChangeConfiguration', { key: 'authorizationkey', value: Buffer.from(lower).toString('hex') });
    assert.deepStrictEqual(changed.result, { status: 'Accepted' });
    await leak16.close({ force: true });
    await assert.rejects(station('LEAK-16'), /401|Unauthorized/, 'a lower-case AuthorizationKey was not adopted: the id is still open');
    await (await station('LEAK-16', { password: lower })).close({ force: true });

    // The whitepaper's key: random binary, hex-encoded; the station then presents the bytes.
    const binary = Buffer.from('ff00419c8d2e7f10aa55c3280102030405060708', 'hex');
    const bin = await station('BIN-16', { handlers: { ChangeConfiguration: () => ({ status: 'Accepted' }) } });
    const rotated = await sidebarCall(admin, 'BIN-16', 'ChangeConfiguration', { key: 'AuthorizationKey', value: binary.toString('hex') });
    assert.deepStrictEqual(rotated.result, { status: 'Accepted' });
    await bin.close({ force: true });
    await assert.rejects(station('BIN-16'), /401|Unauthorized/, 'a binary AuthorizationKey was not adopted');
    const withBytes = await station('BIN-16', { password: binary, handlers: { ChangeConfiguration: () => ({ status: 'Accepted' }) } });

    // An empty key, even accepted, is not adopted: it would open the id to anyone.
    const emptied = await sidebarCall(admin, 'BIN-16', 'ChangeConfiguration', { key: 'AuthorizationKey', value: '' });
    assert.deepStrictEqual(emptied.result, { status: 'Accepted' });
    await withBytes.close({ force: true });
    await assert.rejects(station('BIN-16'), /401|Unauthorized/, 'an empty AuthorizationKey opened the id');
    await (await station('BIN-16', { password: binary })).close({ force: true });
    assert.match(red.output(), /BIN-16 may be locked out at its next connection: the new password is empty/);
  });

  it('adopts a 2.0.1 SecurityCtrlr.BasicAuthPassword the station accepted (OCA TC_073_CSMS)', async () => {
    const admin = await token('admin', '*');
    const newPassword = 'new-password-201-xyz';
    const accept = ({ setVariableData }) => ({
      setVariableResult: setVariableData.map((d) => ({ attributeStatus: 'Accepted', component: d.component, variable: d.variable })),
    });
    const st = await station('ROT-201', { version: 'ocpp2.0.1', password: 'old-password-201-abc', handlers: { SetVariables: accept } });
    const outcome = await sidebarCall(admin, 'ROT-201', 'SetVariables', {
      setVariableData: [{ attributeValue: newPassword, component: { name: 'SecurityCtrlr' }, variable: { name: 'BasicAuthPassword' } }],
    });
    assert.strictEqual(outcome.result.setVariableResult[0].attributeStatus, 'Accepted');
    await st.close({ force: true });
    const again = await station('ROT-201', { version: 'ocpp2.0.1', password: newPassword });
    await again.close({ force: true });
    await assert.rejects(station('ROT-201', { version: 'ocpp2.0.1', password: 'old-password-201-abc' }), /401|Unauthorized/);
    assert.match(red.output(), /ROT-201 accepted a new Basic-auth password \(SetVariables SecurityCtrlr.BasicAuthPassword\)/);
    assert.ok(!red.output().includes(newPassword), 'the log shows the password');
  });
});

describe('attack-operator: password rotation across a cluster (two Node-RED processes, real Redis)', function () {
  this.timeout(120000);
  const { startRedis } = require('./lib/redis');
  const { startInstance, until: clusterUntil } = require('./lib/cluster-red');
  let redis;
  const instances = [];
  const clients = [];

  before(async () => {
    redis = await startRedis(await freePort());
  });
  after(async () => {
    await Promise.allSettled(clients.map((c) => c.close({ force: true })));
    for (const i of instances) {
      await i.kill();
      i.cleanup();
    }
    if (redis) await redis.stop();
  });

  const station = (port, password) => {
    const client = new RPCClient({ endpoint: `ws://127.0.0.1:${port}/ocpp`, identity: 'ROT-CL', protocols: ['ocpp1.6'], strictMode: true, reconnect: false, password });
    client.handle('ChangeConfiguration', () => ({ status: 'Accepted' }));
    clients.push(client);
    return client;
  };

  it('a password the station accepted on instance A (asked from B) is the one B requires too', async () => {
    const prefix = `rot${Date.now().toString(36)}`;
    for (const instance of ['A', 'B']) {
      instances.push(await startInstance({ csPort: await freePort(), editorPort: await freePort(), redisPort: redis.port, prefix, instance }));
    }
    const [a, b] = instances;
    assert.strictEqual((await a.call('LOCAL_SET_ALL_AUTH_EVSES', '', { 'ROT-CL': 'old-cluster-pass' })).ok, true);
    const onA = station(a.csPort, 'old-cluster-pass');
    await clusterUntil('the old password on A', async () => onA.connect().then(() => true, () => false));
    await clusterUntil('ROT-CL listed on B', async () => {
      const r = await b.call('LOCAL_GET_ONLINE_LIST');
      return r.ok && r.payload.online.includes('ROT-CL');
    });
    const newPassword = 'new-cluster-pass-1';
    const changed = await b.call('ChangeConfiguration', 'ROT-CL', { key: 'AuthorizationKey', value: Buffer.from(newPassword).toString('hex') });
    assert.deepStrictEqual(changed.payload.data, { status: 'Accepted' }, JSON.stringify(changed));
    await onA.close({ force: true });
    await station(b.csPort, newPassword).connect();
    await assert.rejects(station(b.csPort, 'old-cluster-pass').connect(), /401|Unauthorized/);
    await assert.rejects(station(a.csPort, 'old-cluster-pass').connect(), /401|Unauthorized/);
    assert.match(a.output(), /ROT-CL accepted a new Basic-auth password \(ChangeConfiguration AuthorizationKey\): .* on every instance of the cluster/);
    assert.ok(!a.output().includes(newPassword) && !b.output().includes(newPassword));
  });
});
