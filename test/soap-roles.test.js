'use strict';
// The other three SOAP roles: CS request SOAP and CP Request SOAP against a
// `soap` npm server built from the OCA WSDLs, and CP server SOAP answering the
// `soap` client; then all of ours in one loop.
const assert = require('assert');
const fs = require('fs');
const http = require('http');
const path = require('path');
const soap = require('soap');
const { helper, core, ours, freePort, collector, loadFlow } = require('./lib/harness');

const WSDL_DIR = path.join(path.dirname(require.resolve('node-red-contrib-ocpp/package.json')), 'ocpp');
const wsdl = (name) => path.join(WSDL_DIR, name);
const NODES = [ours.server, ours.remoteCp, ours.remoteCs, ours.csReqSoap, ours.cpReqSoap, core.fn, core.catchNode];

// A `soap` server playing a peer; records the headers each call carried.
async function soapPeer(wsdlFile, serviceName, portName, handlers) {
  const port = await freePort();
  const server = http.createServer((req, res) => {
    res.statusCode = 404;
    res.end();
  });
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  const seen = [];
  const ops = {};
  for (const [name, fn] of Object.entries(handlers)) {
    ops[name] = (args, cb, headers) => {
      seen.push({ name, args, headers });
      return fn(args);
    };
  }
  soap.listen(server, { path: '/peer', services: { [serviceName]: { [portName]: ops } }, xml: fs.readFileSync(wsdlFile, 'utf8') });
  return { url: `http://127.0.0.1:${port}/peer`, seen, close: () => server.close() };
}

function onTab(nodes) {
  return [{ id: 'tab', type: 'tab', label: 'soap roles' }, ...nodes.map((n) => (n.type.startsWith('ocpp-remote') ? n : { z: 'tab', ...n }))];
}

describe('SOAP request nodes and CP server SOAP', function () {
  this.timeout(20000);
  afterEach(() => helper.unload());

  it('CS request SOAP calls a SOAP charge point (1.6) and brings back its answer or its Fault', async () => {
    const cp = await soapPeer(wsdl('OCPP_ChargePointService_1.6.wsdl'), 'ChargePointService', 'ChargePointServiceSoap12', {
      Reset: (args) => {
        if (args.type === 'Hard') throw { Fault: { Code: { Value: 'soap:Receiver' }, Reason: { Text: 'no hard resets' } } };
        return { status: 'Accepted' };
      },
      GetConfiguration: () => ({ configurationKey: [{ key: 'HeartbeatInterval', readonly: false, value: '60' }] }),
    });
    try {
      await loadFlow(NODES, onTab([
        { id: 'rcp', type: 'ocpp-remote-cp', name: '', cbId: 'SOAPCP', url: cp.url, ocppver: '1.6s' },
        { id: 'req', type: 'CS request SOAP', remotecb: 'rcp', command: 'Reset', cmddata: '{"type":"Soft"}', wires: [['out']] },
        { id: 'out', type: 'helper' },
        { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper' },
      ]));
      const out = collector(helper.getNode('out'));
      const req = helper.getNode('req');
      req.receive({ topic: 'soft', payload: {} });
      const soft = await out.next((m) => m.topic === 'soft');
      assert.deepStrictEqual(soft.payload.data, { status: 'Accepted' });
      assert.strictEqual(soft.ocpp.chargeBoxIdentity, 'SOAPCP');
      assert.strictEqual(soft.ocpp.ocppVersion, '1.6');
      const headers = cp.seen[0].headers;
      assert.strictEqual(String(headers.chargeBoxIdentity.$value || headers.chargeBoxIdentity), 'SOAPCP');
      assert.match(String(headers.MessageID), /^urn:uuid:/);

      req.receive({ payload: { command: 'GetConfiguration', data: { key: ['HeartbeatInterval'] } } });
      const conf = await out.next((m) => m.ocpp.command === 'GetConfiguration');
      assert.deepStrictEqual(conf.payload.data.configurationKey, [{ key: 'HeartbeatInterval', readonly: false, value: '60' }]);

      req.receive({ payload: { data: { type: 'Hard' } } });
      const err = await collector(helper.getNode('caught')).next();
      assert.match(err.error.message, /SOAP Fault .*no hard resets/);
      assert.deepStrictEqual(err.payload, { data: { type: 'Hard' } }, 'the request msg is kept');

      req.receive({ payload: { command: 'NoSuchThing', data: {} } });
      const bad = await collector(helper.getNode('caught')).next((m) => m.ocpp && m.ocpp.command === 'NoSuchThing');
      assert.match(bad.error.message, /not an operation of OCPP 1.6 SOAP/);
    } finally {
      cp.close();
    }
  });

  // Issue 22: every SetChargingProfile is checked before it leaves, over SOAP too (docs/SMART-CHARGING.md).
  it('CS request SOAP refuses a SetChargingProfile a station would reject, naming the rule, and sends nothing; a valid one goes out', async () => {
    const cp = await soapPeer(wsdl('OCPP_ChargePointService_1.6.wsdl'), 'ChargePointService', 'ChargePointServiceSoap12', {
      SetChargingProfile: () => ({ status: 'Accepted' }),
    });
    const profile = (startPeriod) => ({
      connectorId: 1,
      csChargingProfiles: {
        chargingProfileId: 7, stackLevel: 0, chargingProfilePurpose: 'TxDefaultProfile', chargingProfileKind: 'Relative',
        chargingSchedule: { chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod, limit: 16 }] },
      },
    });
    try {
      await loadFlow(NODES, onTab([
        { id: 'rcp', type: 'ocpp-remote-cp', name: '', cbId: 'SOAPCP-SC', url: cp.url, ocppver: '1.6s' },
        { id: 'req', type: 'CS request SOAP', remotecb: 'rcp', command: 'SetChargingProfile', wires: [['out']] },
        { id: 'out', type: 'helper' },
        { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper' },
      ]));
      const req = helper.getNode('req');
      req.receive({ topic: 'bad', payload: { data: profile(5) } });
      const err = await collector(helper.getNode('caught')).next((m) => m.topic === 'bad');
      assert.match(err.error.message, /K01\.FR\.31: the first startPeriod must be 0/);
      assert.strictEqual(err.ocpp.failure, 'Invalid');
      req.receive({ topic: 'good', payload: { data: profile(0) } });
      const ok = await collector(helper.getNode('out')).next((m) => m.topic === 'good');
      assert.deepStrictEqual(ok.payload.data, { status: 'Accepted' });
      // The valid profile is the only one the station received.
      assert.deepStrictEqual(cp.seen.map((c) => c.name), ['SetChargingProfile']);
      assert.strictEqual(Number(cp.seen[0].args.csChargingProfiles.chargingSchedule.chargingSchedulePeriod[0].startPeriod), 0);
    } finally {
      cp.close();
    }
  });

  it('CP Request SOAP calls a SOAP Central System (1.5 and 1.6) with its id, MessageID and From', async () => {
    for (const [version, file] of [['1.6s', 'OCPP_CentralSystemService_1.6.wsdl'], ['1.5s', 'ocpp_centralsystemservice_1.5_final.wsdl']]) {
      const cs = await soapPeer(wsdl(file), 'CentralSystemService', 'CentralSystemServiceSoap12', {
        BootNotification: () => ({ status: 'Accepted', currentTime: new Date().toISOString(), [version === '1.5s' ? 'heartbeatInterval' : 'interval']: 300 }),
      });
      try {
        await loadFlow(NODES, onTab([
          { id: 'rcs', type: 'ocpp-remote-cs', name: '', url: cs.url },
          { id: 'req', type: 'CP Request SOAP', name: 'CP-BY-NAME', remotecs: 'rcs', ocppver: version, from: 'http://127.0.0.1:9/cp', command: 'BootNotification', cmddata: '', wires: [['out']] },
          { id: 'out', type: 'helper' },
        ]));
        const out = collector(helper.getNode('out'));
        helper.getNode('req').receive({ payload: { data: { chargePointVendor: 'V', chargePointModel: 'M' } } });
        const boot = await out.next();
        assert.strictEqual(boot.payload.data.status, 'Accepted', version);
        const headers = cs.seen[0].headers;
        assert.strictEqual(String(headers.chargeBoxIdentity.$value || headers.chargeBoxIdentity), 'CP-BY-NAME', 'the name-as-id quirk');
        assert.strictEqual(headers.From.Address, 'http://127.0.0.1:9/cp');
        await helper.unload();
      } finally {
        cs.close();
      }
    }
  });

  it('all ours: a CP Request SOAP boots at a CS server, which calls it back on its CP server SOAP (legacy prot key) at the From it gave', async () => {
    const [csPort, cpPort] = [await freePort(), await freePort()];
    const cpAnswer = `if (!msg.payload || !msg.payload.command) return null;
msg.payload = msg.payload.command === 'RemoteStartTransaction' ? { status: 'Accepted' } : { status: 'Rejected' };
return msg;`;
    const csAnswer = `if (!msg.payload || !msg.payload.command) return null;
msg.payload = { status: 'Accepted', currentTime: new Date().toISOString(), interval: 60 };
return msg;`;
    await loadFlow(NODES, onTab([
      { id: 'cs', type: 'CS server', port: String(csPort), portType: 'num', enabled16: true, path16: '/ocpp16s', enabled16j: false, wires: [['csfn'], []] },
      { id: 'csfn', type: 'function', func: csAnswer, outputs: 1, wires: [['resp']] },
      { id: 'resp', type: 'server response' },
      { id: 'cpsrv', type: 'CP server SOAP', prot: String(cpPort), enabled16: true, path16: '/cp16', wires: [['cpfn', 'cpseen']] },
      { id: 'cpfn', type: 'function', func: cpAnswer, outputs: 1, wires: [['resp']] },
      { id: 'cpseen', type: 'helper' },
      { id: 'rcs', type: 'ocpp-remote-cs', url: `http://127.0.0.1:${csPort}/ocpp16s` },
      { id: 'cpreq', type: 'CP Request SOAP', name: '', cbId: 'LOOP-CP', remotecs: 'rcs', ocppver: '1.6s', from: `http://127.0.0.1:${cpPort}/cp16`, command: 'BootNotification', wires: [['booted']] },
      { id: 'booted', type: 'helper' },
      { id: 'rcp', type: 'ocpp-remote-cp', cbId: 'LOOP-CP', url: '', ocppver: '1.6s' },
      { id: 'csreq', type: 'CS request SOAP', remotecb: 'rcp', command: 'RemoteStartTransaction', allowAddresses: '127.0.0.1', wires: [['started']] },
      { id: 'started', type: 'helper' },
      { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper' },
    ]));
    const caught = collector(helper.getNode('caught'));
    const booted = collector(helper.getNode('booted'));
    const started = collector(helper.getNode('started'));
    const cpseen = collector(helper.getNode('cpseen'));
    helper.getNode('cpreq').receive({ payload: { data: { chargePointVendor: 'V', chargePointModel: 'M' } } });
    assert.strictEqual((await booted.next()).payload.data.status, 'Accepted');
    // No URL in the config node: the CS uses the From address the station gave.
    helper.getNode('csreq').receive({ payload: { data: { idTag: 'TAG' } } });
    const answer = await Promise.race([started.next(), caught.next().then((m) => assert.fail(m.error.message))]);
    assert.deepStrictEqual(answer.payload.data, { status: 'Accepted' });
    assert.strictEqual(answer.ocpp.url, `http://127.0.0.1:${cpPort}/cp16`);
    const seen = await cpseen.next();
    assert.deepStrictEqual(seen.ocpp.chargeBoxIdentity, 'LOOP-CP');
    assert.strictEqual(seen.ocpp.ocppVersion, '1.6');
    assert.strictEqual(seen.ee, undefined, 'no internal emitter leaks into the flow');
    // The CP server answers every request with its own headers (the original's second answer was malformed).
    const client = await soap.createClientAsync(wsdl('OCPP_ChargePointService_1.6.wsdl'), { forceSoap12Headers: true, endpoint: `http://127.0.0.1:${cpPort}/cp16` });
    client.addSoapHeader('<chargeBoxIdentity xmlns="urn://Ocpp/Cp/2015/10/">LOOP-CP</chargeBoxIdentity>');
    for (let i = 0; i < 3; i++) {
      const [r] = await client.RemoteStartTransactionAsync({ idTag: `T${i}` });
      assert.strictEqual(r.status, 'Accepted');
    }
  });

  it('CP server SOAP takes its port from an environment variable (typed input)', async () => {
    const port = await freePort();
    process.env.OCPP_TEST_CP_SOAP_PORT = String(port);
    try {
      await loadFlow(NODES, onTab([
        { id: 'cpsrv', type: 'CP server SOAP', port: 'OCPP_TEST_CP_SOAP_PORT', portType: 'env', enabled16: true, path16: '/cp16', wires: [[]] },
      ]));
      const status = await new Promise((resolve) => {
        require('http').get({ host: '127.0.0.1', port, path: '/cp16?wsdl' }, (res) => resolve(res.statusCode)).on('error', () => resolve('refused'));
      });
      assert.strictEqual(status, 200);
    } finally {
      delete process.env.OCPP_TEST_CP_SOAP_PORT;
    }
  });
});
