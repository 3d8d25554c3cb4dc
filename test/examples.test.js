'use strict';
// Every example flow loads with no unknown node type and does what it says.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { helper, core, ours, freePort, collector, loadFlow } = require('./lib/harness');

const EXAMPLES = path.join(__dirname, '..', 'examples');
const ALL_NODES = [ours.server, ours.remoteCp, ours.remoteCs, ours.cpJson, ...Object.values(core)];

function loadExample(file, port) {
  const text = fs.readFileSync(path.join(EXAMPLES, file), 'utf8');
  // Examples use fixed ports; tests take a free one.
  return JSON.parse(text.replace(/\b8834\b/g, String(port)));
}

describe('example flows', function () {
  this.timeout(30000);
  afterEach(() => helper.unload());

  it('every example uses only known node types', () => {
    const known = new Set(['tab', 'comment', 'inject', 'debug', 'function', 'switch', 'change', 'catch', 'link in', 'link out', 'group',
      'CS server', 'server response', 'CS request JSON', 'CP client JSON', 'ocpp-remote-cp', 'ocpp-remotej-cp', 'ocpp-remote-cs']);
    for (const file of fs.readdirSync(EXAMPLES).filter((f) => f.endsWith('.json'))) {
      for (const node of JSON.parse(fs.readFileSync(path.join(EXAMPLES, file), 'utf8'))) {
        assert.ok(known.has(node.type), `${file}: unknown node type ${node.type}`);
      }
    }
  });

  it('demo: simulated stations boot and run a transaction against the Central System', async () => {
    const port = await freePort();
    const flow = loadExample('demo-central-system-and-stations.json', port);
    const tick = flow.find((n) => n.id === 'demo.tick');
    tick.repeat = '0.1';
    tick.onceDelay = '0.1';
    flow.find((n) => n.id === 'demo.cs').wires[0].push('probe');
    flow.find((n) => n.id === 'demo.req').wires[0].push('answers');
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
  });
});
