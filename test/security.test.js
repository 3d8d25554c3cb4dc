'use strict';
// OCPP security profiles end to end: Basic auth from the CS server's own
// credentials (OCPP-J and SOAP, a closed list), TLS on the CS server and CP
// server SOAP with Node-RED's tls-config node, client certificates (profile
// 3) both ways, with certificates the test makes.
const assert = require('assert');
const fs = require('fs');
const http = require('http');
const https = require('https');
const { RPCClient } = require('ocpp-rpc');
const { helper, core, ours, freePort, collector, loadFlow, until } = require('./lib/harness');
const { makeCertificates } = require('./lib/certs');

const NODES = [ours.server, ours.remoteCs, ours.remoteCp, ours.cpJson, ours.cpReqSoap, ours.csReqSoap, core.fn, core.tls, core.catchNode];

const ANSWER = `
const now = new Date().toISOString();
if (!msg.payload || !msg.payload.command) return null;
switch (msg.payload.command) {
  case 'BootNotification': msg.payload = { status: 'Accepted', currentTime: now, interval: 300 }; break;
  case 'Heartbeat': msg.payload = { currentTime: now }; break;
  default: msg.payload = {};
}
return msg;`;

function csFlow(port, extra = {}) {
  return [
    { id: 'tab', type: 'tab', label: 'security' },
    {
      id: 'cs', z: 'tab', type: 'CS server', port: String(port), portType: 'num', enabled16j: true, path16j: '/ocpp',
      enabled16: true, path16: '/ocpp16s', wires: [['answer', 'seen'], []], ...extra,
    },
    { id: 'answer', z: 'tab', type: 'function', func: ANSWER, outputs: 1, wires: [['resp']] },
    { id: 'resp', z: 'tab', type: 'server response' },
    { id: 'seen', z: 'tab', type: 'helper' },
    { id: 'catcher', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'tab', type: 'helper' },
  ];
}

function tlsNode(id, certs, { client = false, verify = true } = {}) {
  return {
    id, type: 'tls-config', name: `tls ${id}`, verifyservercert: verify,
    cert: client ? certs.clientCertFile : certs.certFile,
    key: client ? certs.clientKeyFile : certs.keyFile,
    ca: certs.caFile,
  };
}

function station(url, identity, opts = {}) {
  return new RPCClient({ endpoint: url, identity, protocols: ['ocpp1.6'], strictMode: true, reconnect: false, ...opts });
}

async function boot(client) {
  await client.connect();
  const res = await client.call('BootNotification', { chargePointVendor: 'test', chargePointModel: 'sec' });
  assert.strictEqual(res.status, 'Accepted');
  await client.close({ force: true });
}

function soapHeartbeat(port, cbId, auth) {
  const body = `<?xml version="1.0" encoding="UTF-8"?>
<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing" xmlns:cs="urn://Ocpp/Cs/2015/10/">
  <s:Header><cs:chargeBoxIdentity>${cbId}</cs:chargeBoxIdentity><a:Action>/Heartbeat</a:Action><a:MessageID>urn:uuid:1</a:MessageID></s:Header>
  <s:Body><cs:heartbeatRequest/></s:Body>
</s:Envelope>`;
  const headers = { 'content-type': 'application/soap+xml; charset=utf-8' };
  if (auth) headers.authorization = `Basic ${Buffer.from(auth).toString('base64')}`;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/ocpp16s', method: 'POST', headers }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('security: Basic auth and TLS', function () {
  this.timeout(30000);
  let port;
  let certs;
  before(() => {
    certs = makeCertificates();
  });
  after(() => certs.cleanup());
  beforeEach(async () => {
    port = await freePort();
  });
  afterEach(() => helper.unload());

  it('checks station passwords from the node credentials before the upgrade, and SOAP before the flow', async () => {
    await loadFlow(NODES, csFlow(port), { cs: { passwords: 'PW-CP:s3cr:et\nOTHER:x' } });
    const url = `ws://127.0.0.1:${port}/ocpp`;
    await assert.rejects(station(url, 'PW-CP').connect(), /401|Unauthorized/);
    await assert.rejects(station(url, 'PW-CP', { password: 'wrong' }).connect(), /401|Unauthorized/);
    await boot(station(url, 'PW-CP', { password: 's3cr:et' }));
    // Stations without a password get in: the list is open by default.
    await boot(station(url, 'FREE-CP'));

    const seen = collector(helper.getNode('seen'));
    const refused = await soapHeartbeat(port, 'PW-CP', null);
    assert.strictEqual(refused.status, 401);
    assert.match(refused.headers['www-authenticate'], /^Basic/);
    assert.match(refused.text, /Fault/);
    assert.ok(!seen.msgs.some((m) => m.ocpp && m.ocpp.ocppVersion === '1.6'), 'the flow must not see a refused SOAP request');
    const ok = await soapHeartbeat(port, 'PW-CP', 'PW-CP:s3cr:et');
    assert.strictEqual(ok.status, 200);
    assert.match(ok.text, /currentTime/);
  });

  it('refuses stations without a password when the list is closed', async () => {
    await loadFlow(NODES, csFlow(port, { requireAuth: true }), { cs: { passwords: 'PW-CP:pw' } });
    const url = `ws://127.0.0.1:${port}/ocpp`;
    await assert.rejects(station(url, 'FREE-CP').connect(), /401|Unauthorized/);
    await boot(station(url, 'PW-CP', { password: 'pw' }));
    assert.strictEqual((await soapHeartbeat(port, 'FREE-CP', null)).status, 401);
  });

  it('reports a malformed password list as a node error naming the line, not the secret', async () => {
    await loadFlow(NODES, csFlow(port), { cs: { passwords: 'GOOD:pw\nno-colon-secret' } });
    const errorsNow = () => helper.log().args.filter((a) => a[0] && a[0].level === 20).map((a) => String(a[0].msg));
    await until('an error naming line 2', () => errorsNow().some((e) => /line 2/.test(e)), 5000).catch(() => assert.fail(JSON.stringify(errorsNow())));
    const errors = errorsNow();
    assert.ok(!errors.some((e) => e.includes('no-colon-secret')));
  });

  it('serves wss:// and https:// with a tls-config node; plain ws:// is refused', async () => {
    const flow = csFlow(port, { tls: 'srvtls' });
    flow.push(tlsNode('srvtls', certs));
    await loadFlow(NODES, flow);
    const seen = collector(helper.getNode('seen'));
    const ca = fs.readFileSync(certs.caFile);
    await boot(station(`wss://localhost:${port}/ocpp`, 'TLS-CP', { wsOpts: { ca } }));
    // The TLS port answers a plain HTTP request with TLS bytes, which no HTTP client can parse.
    await assert.rejects(station(`ws://127.0.0.1:${port}/ocpp`, 'PLAIN-CP').connect(), /Parse Error|ECONNRESET|socket hang up/);
    // An untrusted client refuses our certificate (it is signed by the test CA only).
    await assert.rejects(station(`wss://localhost:${port}/ocpp`, 'NOCA-CP').connect(), /certificate|self.signed|issuer/i);
    await seen.next((m) => m.ocpp && m.ocpp.websocket === 'ONLINE' && m.ocpp.chargeBoxIdentity === 'TLS-CP');
  });

  it('requires a client certificate signed by the CA (profile 3), from ocpp-rpc and from our CP client JSON', async () => {
    const flow = csFlow(port, { tls: 'srvtls', tlsClientAuth: true });
    flow.push(
      tlsNode('srvtls', certs),
      tlsNode('clitls', certs, { client: true }),
      { id: 'rcs', type: 'ocpp-remote-cs', url: `wss://localhost:${port}/ocpp`, tls: 'clitls' },
      { id: 'cp', z: 'tab', type: 'CP client JSON', cbId: 'TLS-CP', remotecs: 'rcs', ocppver: '1.6j', wsdelayconnect: true, wires: [['cpout']] },
      { id: 'cpout', z: 'tab', type: 'helper' },
    );
    await loadFlow(NODES, flow);
    const ca = fs.readFileSync(certs.caFile);
    await assert.rejects(station(`wss://localhost:${port}/ocpp`, 'NOCERT-CP', { wsOpts: { ca } }).connect(), /certificate required/);
    await boot(station(`wss://localhost:${port}/ocpp`, 'TLS-CP', { wsOpts: { ca, cert: certs.clientCert, key: certs.clientKey } }));
    const out = collector(helper.getNode('cpout'));
    helper.getNode('cp').receive({ payload: { msgType: 99, command: 'connect' } });
    await out.next((m) => m.ocpp && m.ocpp.websocket === 'ONLINE', 10000);
    helper.getNode('cp').receive({ topic: 'hb', payload: { command: 'Heartbeat', data: {} } });
    const hb = await out.next((m) => m.topic === 'hb');
    assert.ok(hb.payload.data.currentTime);
  });

  it('calls SOAP over https:// both ways: CP Request SOAP to the CS server, CS request SOAP to CP server SOAP', async () => {
    const cpPort = await freePort();
    const flow = csFlow(port, { tls: 'srvtls' });
    flow.push(
      tlsNode('srvtls', certs),
      tlsNode('clitls', certs, { client: true }),
      { id: 'rcs', type: 'ocpp-remote-cs', url: `https://localhost:${port}/ocpp16s`, tls: 'clitls' },
      { id: 'cpreq', z: 'tab', type: 'CP Request SOAP', remotecs: 'rcs', cbId: 'SOAP-TLS', ocppver: '1.6s', wires: [['cpreqOut']] },
      { id: 'cpreqOut', z: 'tab', type: 'helper' },
      // The station's own service, over TLS, called back by the CS.
      { id: 'cpsrv', z: 'tab', type: 'CP server SOAP', port: String(cpPort), enabled16: true, path16: '/cp16', tls: 'srvtls', wires: [['cpAnswer']] },
      { id: 'cpAnswer', z: 'tab', type: 'function', func: "msg.payload = { status: 'Accepted' }; return msg;", outputs: 1, wires: [['resp']] },
      { id: 'rcp', type: 'ocpp-remote-cp', cbId: 'SOAP-TLS', url: `https://localhost:${cpPort}/cp16`, ocppver: '1.6s', tls: 'clitls' },
      { id: 'csreq', z: 'tab', type: 'CS request SOAP', remotecb: 'rcp', wires: [['csreqOut']] },
      { id: 'csreqOut', z: 'tab', type: 'helper' },
    );
    await loadFlow(NODES, flow);
    const cpreqOut = collector(helper.getNode('cpreqOut'));
    helper.getNode('cpreq').receive({ payload: { command: 'Heartbeat', data: {} } });
    const hb = await cpreqOut.next();
    assert.ok(hb.payload.data.currentTime, JSON.stringify(hb.payload));
    const csreqOut = collector(helper.getNode('csreqOut'));
    helper.getNode('csreq').receive({ payload: { command: 'Reset', data: { type: 'Soft' } } });
    const reset = await csreqOut.next();
    assert.strictEqual(reset.payload.data.status, 'Accepted');
    // Plain http:// to a TLS port gets nowhere.
    const plain = await new Promise((resolve) => {
      http.get({ host: '127.0.0.1', port: cpPort, path: '/cp16?wsdl' }, () => resolve('answered')).on('error', () => resolve('refused'));
    });
    assert.strictEqual(plain, 'refused');
    // And https with the CA gets the WSDL.
    const wsdl = await new Promise((resolve, reject) => {
      https.get({ host: 'localhost', port: cpPort, path: '/cp16?wsdl', ca: fs.readFileSync(certs.caFile) }, (res) => resolve(res.statusCode)).on('error', reject);
    });
    assert.strictEqual(wsdl, 200);
  });

  it('reports a TLS configuration without a certificate as a node error', async () => {
    const flow = csFlow(port, { tls: 'emptytls' });
    flow.push({ id: 'emptytls', type: 'tls-config', name: 'empty', verifyservercert: true, cert: '', key: '', ca: certs.caFile });
    await loadFlow(NODES, flow);
    const errors = () => helper.log().args.filter((a) => a[0] && a[0].level === 20).map((a) => String(a[0].msg));
    await until('an error about the certificate and key', () => errors().some((e) => /certificate and key/.test(e)), 5000).catch(() => assert.fail(JSON.stringify(errors())));
  });
});
