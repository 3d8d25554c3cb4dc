'use strict';
// Every example flow loads with no unknown node type and does what it says.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { helper, core, ours, freePort, collector, loadFlow } = require('./lib/harness');

const EXAMPLES = path.join(__dirname, '..', 'examples');
const ALL_NODES = [ours.server, ours.remoteCp, ours.remoteCs, ours.cpJson, ours.csReqSoap, ours.cpReqSoap, ...Object.values(core)];

// Examples use fixed ports; tests take free ones ({8834: 40123, ...}).
function loadExample(file, ports) {
  let text = fs.readFileSync(path.join(EXAMPLES, file), 'utf8');
  for (const [fixed, free] of Object.entries(ports)) text = text.replace(new RegExp(`\\b${fixed}\\b`, 'g'), String(free));
  return JSON.parse(text);
}

describe('example flows', function () {
  this.timeout(30000);
  afterEach(() => helper.unload());

  it('every example uses only known node types', () => {
    const known = new Set(['tab', 'comment', 'inject', 'debug', 'function', 'switch', 'change', 'catch', 'link in', 'link out', 'group',
      'CS server', 'server response', 'CS request JSON', 'CP client JSON', 'CS request SOAP', 'CP Request SOAP', 'CP server SOAP',
      'ocpp-remote-cp', 'ocpp-remotej-cp', 'ocpp-remote-cs']);
    for (const file of fs.readdirSync(EXAMPLES).filter((f) => f.endsWith('.json'))) {
      for (const node of JSON.parse(fs.readFileSync(path.join(EXAMPLES, file), 'utf8'))) {
        assert.ok(known.has(node.type), `${file}: unknown node type ${node.type}`);
      }
    }
  });

  it('demo: simulated stations boot and run a transaction against the Central System', async () => {
    const port = await freePort();
    const soapPort = await freePort();
    const flow = loadExample('demo-central-system-and-stations.json', { 8834: port, 8835: soapPort });
    const tick = flow.find((n) => n.id === 'demo.tick');
    tick.repeat = '0.1';
    tick.onceDelay = '0.1';
    flow.find((n) => n.id === 'demo.cs').wires[0].push('probe');
    flow.find((n) => n.id === 'demo.req').wires[0].push('answers');
    flow.find((n) => n.id === 'demo.cssoapreq').wires[0].push('answers');
    flow.push({ id: 'probe', z: 'demo.tab', type: 'helper' }, { id: 'answers', z: 'demo.tab', type: 'helper' });
    await loadFlow(ALL_NODES, flow);
    const probe = collector(helper.getNode('probe'));
    for (const command of ['BootNotification', 'StartTransaction', 'MeterValues', 'StopTransaction']) {
      await probe.next((m) => m.payload && m.payload.command === command, 10000);
    }
    const stations = new Set(probe.msgs.filter((m) => m.ocpp && m.ocpp.websocket === 'ONLINE').map((m) => m.ocpp.chargeBoxIdentity));
    assert.deepStrictEqual([...stations].sort(), ['DEMO-CP-1', 'DEMO-CP-2', 'DEMO-CP-3']);

    // The Central System side's injects reach the stations and come back.
    const answers = collector(helper.getNode('answers'));
    helper.getNode('demo.inj1').receive({});
    const conf = await answers.next((m) => m.ocpp && m.ocpp.command === 'GetConfiguration');
    assert.strictEqual(conf.payload.data.configurationKey[0].key, 'HeartbeatInterval');
    helper.getNode('demo.inj4').receive({});
    const online = await answers.next((m) => m.payload && m.payload.online);
    assert.ok(online.payload.online.includes('DEMO-CP-3'));

    // The SOAP station booted over SOAP, and the Central System reaches it at the From it gave.
    await probe.next((m) => m.ocpp && m.ocpp.chargeBoxIdentity === 'DEMO-SOAP-1' && m.ocpp.ocppVersion === '1.6', 10000);
    helper.getNode('demo.injsoap').receive({});
    const soap = await answers.next((m) => m.ocpp && m.ocpp.command === 'RemoteStartTransaction' && m.ocpp.chargeBoxIdentity === 'DEMO-SOAP-1');
    assert.deepStrictEqual(soap.payload.data, { status: 'Accepted' });
  });

  it("the original's example1, rebuilt: EVSEs boot and answer GetConfiguration", async () => {
    const port = await freePort();
    const flow = loadExample('original-example1-rebuilt.json', { 8834: port });
    flow.find((n) => n.id === 'ex1.cs').wires[0].push('probe');
    flow.find((n) => n.id === 'ex1.req').wires[0].push('answers');
    flow.find((n) => n.id === 'ex1.req').timeout = 1;
    flow.find((n) => n.id === 'ex1.catch').wires[0].push('errors');
    flow.push({ id: 'probe', z: 'ex1.tab', type: 'helper' }, { id: 'answers', z: 'ex1.tab', type: 'helper' }, { id: 'errors', z: 'ex1.tab', type: 'helper' });
    await loadFlow(ALL_NODES, flow);
    const probe = collector(helper.getNode('probe'));
    for (const id of ['evse-001', 'evse-002', 'evse-003']) {
      await probe.next((m) => m.payload && m.payload.command === 'BootNotification' && m.ocpp.chargeBoxIdentity === id, 10000);
    }
    const answers = collector(helper.getNode('answers'));
    helper.getNode('ex1.injgc').receive({});
    const conf = await answers.next();
    assert.deepStrictEqual(conf.payload.data, { configurationKey: [{ key: 'HeartbeatInterval', readonly: false, value: '120' }] });
    helper.getNode('ex1.injgc2').receive({});
    const err = await collector(helper.getNode('errors')).next();
    assert.strictEqual(err.ocpp.chargeBoxIdentity, 'evse-002');
    assert.strictEqual(err.ocpp.failure, 'Timeout');
  });

  it("the original's variable EVSE example, rebuilt: one CP client moves between ids and Central Systems", async () => {
    const [p1, p2] = [await freePort(), await freePort()];
    const flow = loadExample('original-variable-evse-rebuilt.json', { 1234: p1, 5678: p2 });
    flow.find((n) => n.id === 'vev.cs1').wires[0].push('cs1');
    flow.find((n) => n.id === 'vev.cs2').wires[0].push('cs2');
    flow.find((n) => n.id === 'vev.cp').wires[0].push('cp');
    flow.push({ id: 'cs1', z: 'vev.tab', type: 'helper' }, { id: 'cs2', z: 'vev.tab', type: 'helper' }, { id: 'cp', z: 'vev.tab', type: 'helper' });
    await loadFlow(ALL_NODES, flow);
    const cs1 = collector(helper.getNode('cs1'));
    const cs2 = collector(helper.getNode('cs2'));
    const online = (c, id) => c.next((m) => m.ocpp.websocket === 'ONLINE' && m.ocpp.chargeBoxIdentity === id, 10000);
    await online(cs1, 'NR1');
    helper.getNode('vev.i3').receive({});
    await online(cs1, 'NR2');
    helper.getNode('vev.i5').receive({});
    await online(cs2, 'NR3');
    helper.getNode('vev.i7').receive({});
    await online(cs2, 'NR4');
    helper.getNode('vev.i8').receive({});
    const state = await collector(helper.getNode('cp')).next((m) => m.ocpp.csmsUrl);
    assert.strictEqual(state.ocpp.csmsUrl, `ws://localhost:${p2}/ocpp/NR4`);
    helper.getNode('vev.i2').receive({});
    await cs2.next((m) => m.ocpp.websocket === 'OFFLINE' && m.ocpp.chargeBoxIdentity === 'NR4');
  });
});
