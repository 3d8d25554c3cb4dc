'use strict';
// SOAP stations (the `soap` npm client, driven by the OCA WSDLs the original
// package ships) against our CS server, with OCPP-J on the same port at once.
const assert = require('assert');
const path = require('path');
const http = require('http');
const soap = require('soap');
const { RPCClient } = require('ocpp-rpc');
const { helper, core, ours, freePort, collector, loadFlow } = require('./lib/harness');

const WSDL_DIR = path.join(path.dirname(require.resolve('node-red-contrib-ocpp/package.json')), 'ocpp');
const WSDL = {
  '1.5': path.join(WSDL_DIR, 'ocpp_centralsystemservice_1.5_final.wsdl'),
  '1.6': path.join(WSDL_DIR, 'OCPP_CentralSystemService_1.6.wsdl'),
};
const NS = { '1.5': 'urn://Ocpp/Cs/2012/06/', '1.6': 'urn://Ocpp/Cs/2015/10/' };

// The same flow that serves JSON stations: nothing SOAP-specific in it.
const ANSWER = `
if (!msg.payload || !msg.payload.command) return null;
const now = new Date().toISOString();
switch (msg.payload.command) {
  // OCPP 1.5 names the interval heartbeatInterval; 1.6 (SOAP and JSON) interval.
  case 'BootNotification': msg.payload = msg.ocpp.ocppVersion === '1.5' ? { status: 'Accepted', currentTime: now, heartbeatInterval: 300 } : { status: 'Accepted', currentTime: now, interval: 300 }; break;
  case 'Heartbeat': msg.payload = { currentTime: now }; break;
  case 'Authorize':
    if (msg.payload.data.idTag === 'FAULT') msg.payload = { Fault: { Code: { Value: 'soap:Sender' }, Reason: { Text: 'no such tag here' } } };
    else if (msg.payload.data.idTag === 'FORGOT') msg.payload = {};
    else msg.payload = { idTagInfo: { status: 'Accepted' } };
    break;
  case 'StartTransaction': msg.payload = { transactionId: 11, idTagInfo: { status: 'Accepted' } }; break;
  case 'StopTransaction': msg.payload = { idTagInfo: { status: 'Accepted' } }; break;
  case 'DataTransfer': msg.payload = { status: 'Rejected' }; break;
  case 'StatusNotification': case 'MeterValues': msg.payload = {}; break;
  default: msg.payload = { status: 'NotAValidStatus' };
}
return msg;`;

function flow(port) {
  return [
    { id: 'tab', type: 'tab', label: 'soap' },
    {
      id: 'cs', z: 'tab', type: 'CS server', port: String(port), portType: 'num', enabled15: true, path15: '/ocpp15s', enabled16: true, path16: '/ocpp16s',
      enabled16j: true, path16j: '/ocpp', answerTimeout: 5, maxFrameKB: 64, wires: [['answer', 'seen'], []],
    },
    { id: 'answer', z: 'tab', type: 'function', func: ANSWER, outputs: 1, wires: [['resp']] },
    { id: 'resp', z: 'tab', type: 'server response' },
    { id: 'seen', z: 'tab', type: 'helper' },
    { id: 'catcher', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'tab', type: 'helper' },
  ];
}

async function soapStation(version, port, cbId) {
  const client = await soap.createClientAsync(WSDL[version], {
    forceSoap12Headers: true,
    endpoint: `http://127.0.0.1:${port}/ocpp${version === '1.5' ? '15' : '16'}s`,
  });
  client.addSoapHeader(`<chargeBoxIdentity xmlns="${NS[version]}">${cbId}</chargeBoxIdentity>`);
  client.addSoapHeader(`<MessageID xmlns="http://www.w3.org/2005/08/addressing">urn:uuid:${cbId}-1</MessageID>`);
  client.addSoapHeader(`<From xmlns="http://www.w3.org/2005/08/addressing"><Address>http://127.0.0.1:9/${cbId}</Address></From>`);
  return client;
}

describe('CS server over SOAP 1.5 and 1.6, with OCPP-J on the same port', function () {
  this.timeout(20000);
  let port;
  afterEach(() => helper.unload());
  beforeEach(async () => {
    port = await freePort();
    await loadFlow([ours.server, core.fn, core.catchNode], flow(port));
  });

  for (const version of ['1.6', '1.5']) {
    it(`serves a SOAP ${version} station session through the JSON flow`, async () => {
      const seen = collector(helper.getNode('seen'));
      const station = await soapStation(version, port, `SOAP${version}`);
      const [boot] = await station.BootNotificationAsync({ chargePointVendor: 'Vendor', chargePointModel: 'Model' });
      assert.strictEqual(boot.status, 'Accepted');
      assert.strictEqual(Number(version === '1.5' ? boot.heartbeatInterval : boot.interval), 300);
      const [hb] = await station.HeartbeatAsync({});
      assert.ok(hb.currentTime);
      const [auth] = await station.AuthorizeAsync({ idTag: 'TAG' });
      assert.strictEqual(auth.idTagInfo.status, 'Accepted');
      const [start] = await station.StartTransactionAsync({ connectorId: 1, idTag: 'TAG', timestamp: new Date().toISOString(), meterStart: 0 });
      assert.strictEqual(Number(start.transactionId), 11);

      const msg = await seen.next((m) => m.payload && m.payload.command === 'BootNotification');
      assert.deepStrictEqual(msg.ocpp, {
        command: 'BootNotification',
        chargeBoxIdentity: `SOAP${version}`,
        ocppVersion: version,
        From: `http://127.0.0.1:9/SOAP${version}`,
        MessageID: `urn:uuid:SOAP${version}-1`,
      });
      assert.deepStrictEqual(msg.payload.data, { chargePointVendor: 'Vendor', chargePointModel: 'Model' });
      const startMsg = await seen.next((m) => m.payload && m.payload.command === 'StartTransaction');
      assert.strictEqual(startMsg.payload.data.connectorId, 1, 'numbers are numbers');
      assert.strictEqual(startMsg.payload.data.meterStart, 0);
    });
  }

  it('serves SOAP 1.5, SOAP 1.6 and OCPP-J at once on one port', async () => {
    const s15 = await soapStation('1.5', port, 'MIX15');
    const s16 = await soapStation('1.6', port, 'MIX16');
    const j = new RPCClient({ endpoint: `ws://127.0.0.1:${port}/ocpp`, identity: 'MIXJ', protocols: ['ocpp1.6'], strictMode: true, reconnect: false });
    await j.connect();
    try {
      const results = await Promise.all([
        ...Array.from({ length: 10 }, () => s15.HeartbeatAsync({})),
        ...Array.from({ length: 10 }, () => s16.HeartbeatAsync({})),
        ...Array.from({ length: 10 }, () => j.call('Heartbeat', {})),
      ]);
      assert.strictEqual(results.length, 30);
      results.forEach((r) => assert.ok((Array.isArray(r) ? r[0] : r).currentTime));
    } finally {
      await j.close({ force: true });
    }
  });

  it('turns payload.Fault into a SOAP Fault; fits answers to the WSDL with one warning; a bad answer is a Fault at once and a node error', async () => {
    const station = await soapStation('1.6', port, 'FAULTY');
    await assert.rejects(station.AuthorizeAsync({ idTag: 'FAULT' }), (e) => /no such tag here/.test(e.message));
    // A field the WSDL does not have is left out: the station is answered, the node warns once, naming it.
    const resp = helper.getNode('resp');
    const warnings = [];
    const warn = resp.warn.bind(resp);
    resp.warn = (text) => warnings.push(String(text)) && warn(text);
    await station.DiagnosticsStatusNotificationAsync({ status: 'Idle' });
    await station.DiagnosticsStatusNotificationAsync({ status: 'Uploaded' });
    assert.deepStrictEqual(warnings, [
      'the answer to DiagnosticsStatusNotification was fitted to the WSDL: left out status of diagnosticsStatusNotificationResponse, which the WSDL does not have',
    ]);
    // A missing required field: the station gets a Fault at once, not after the answer timeout (5 s)...
    const caught = collector(helper.getNode('caught'));
    const started = Date.now();
    const result = await station.AuthorizeAsync({ idTag: 'FORGOT' }).catch((e) => e);
    assert.ok(result instanceof Error, String(result));
    assert.match(result.message, /no valid answer: msg.payload does not fit the SOAP Authorize response: authorizeResponse lacks the required idTagInfo/);
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
    // ...and the flow a catchable error saying so.
    const err = await caught.next();
    assert.match(err.error.message, /does not fit the SOAP Authorize response: .*idTagInfo; the station got a SOAP Fault instead/);
  });

  it('answers malformed, unknown and headerless requests with Faults, and serves the WSDL', async () => {
    const post = (p, body, type = 'application/soap+xml') =>
      new Promise((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, path: p, method: 'POST', headers: { 'content-type': type } }, (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode, text }));
        });
        req.on('error', reject);
        req.end(body);
      });
    const env = (inner, header = `<cs:chargeBoxIdentity>X</cs:chargeBoxIdentity>`) =>
      `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:cs="urn://Ocpp/Cs/2015/10/"><s:Header>${header}</s:Header><s:Body>${inner}</s:Body></s:Envelope>`;
    let r = await post('/ocpp16s', '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>');
    assert.strictEqual(r.status, 400);
    assert.match(r.text, /soap:Sender.*malformed XML/s);
    r = await post('/ocpp16s', env('<cs:rebootRequest/>'));
    assert.match(r.text, /unknown operation rebootRequest/);
    r = await post('/ocpp16s', env('<cs:heartbeatRequest/>', ''));
    assert.match(r.text, /no chargeBoxIdentity header/);
    r = await post('/ocpp16s', `<!DOCTYPE x [<!ENTITY a "aaaa">]>${env('<cs:heartbeatRequest/>')}`);
    assert.match(r.text, /DTDs/);
    // An oversized body is refused from its Content-Length, before any of it is read.
    const head = await new Promise((resolve, reject) => {
      const sock = require('net').connect(port, '127.0.0.1', () =>
        sock.write(`POST /ocpp16s HTTP/1.1\r\nHost: x\r\nContent-Type: application/soap+xml\r\nContent-Length: ${100 * 1024}\r\n\r\n`)
      );
      let text = '';
      sock.on('data', (d) => {
        text += d;
        if (text.includes('</soap:Envelope>')) {
          sock.destroy();
          resolve(text);
        }
      });
      sock.on('error', reject);
    });
    assert.match(head, /^HTTP\/1.1 413/);
    assert.match(head, /larger than 65536 bytes/);
    const soap11 = env('<cs:heartbeatRequest/>').replace('2015/10', '2012/06').replace('http://www.w3.org/2003/05/soap-envelope', 'http://schemas.xmlsoap.org/soap/envelope/');
    r = await post('/ocpp15s', soap11, 'text/xml');
    assert.strictEqual(r.status, 200);
    assert.match(r.text, /schemas\.xmlsoap\.org\/soap\/envelope/, 'a SOAP 1.1 request gets a SOAP 1.1 answer');
    const wsdl = await new Promise((resolve) => http.get({ host: '127.0.0.1', port, path: '/ocpp16s?wsdl' }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'], text }));
    }));
    assert.strictEqual(wsdl.status, 200);
    assert.match(wsdl.type, /xml/);
    assert.match(wsdl.text, /CentralSystemService/);
  });
});
