'use strict';
// Every example flow loads with no unknown node type and does what it says.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { RPCServer } = require('ocpp-rpc');
const { helper, core, ours, freePort, collector, loadFlow, rawStation } = require('./lib/harness');

const EXAMPLES = path.join(__dirname, '..', 'examples');
// OCPP 1.6 JSON schemas (ocpp-rpc's, as its strict mode uses them).
const VALIDATORS = require('ocpp-rpc/lib/standard-validators');
const OCPP16 = VALIDATORS.find((v) => v.subprotocol === 'ocpp1.6');
const OCPP201 = VALIDATORS.find((v) => v.subprotocol === 'ocpp2.0.1');

// Every CALL and CALLRESULT in a raw log (the CS server's second output) is
// valid OCPP 1.6 (or, with validator = OCPP201, 2.0.1).
function assertValidOcpp16(frames, validator = OCPP16) {
  const actions = new Map();
  let checked = 0;
  for (const frame of frames) {
    const [type, id] = frame;
    const action = type === 2 ? frame[2] : actions.get(id);
    if (type === 2) actions.set(id, action);
    if (type === 4 || !action) continue;
    const schema = `urn:${action}.${type === 2 ? 'req' : 'conf'}`;
    try {
      validator.validate(schema, type === 2 ? frame[3] : frame[2]);
    } catch (err) {
      assert.fail(`${schema} is not valid ${validator.subprotocol}: ${err.message}\n${JSON.stringify(frame)}`);
    }
    checked++;
  }
  return checked;
}
const ALL_NODES = [ours.server, ours.remoteCp, ours.remoteCs, ours.cpJson, ours.csReqSoap, ours.cpReqSoap, ours.cluster, ...Object.values(core)];

// Examples use fixed ports; tests take free ones ({8834: 40123, ...}).
function loadExample(file, ports) {
  let text = fs.readFileSync(path.join(EXAMPLES, file), 'utf8');
  for (const [fixed, free] of Object.entries(ports)) text = text.replace(new RegExp(`\\b${fixed}\\b`, 'g'), String(free));
  return JSON.parse(text);
}

// Wires a helper node to an output of an example's node for each tap
// ({ name: [nodeId, output] }). Call the result once the flow is loaded: it
// gives each helper's collector by name.
function tap(flow, tab, taps) {
  for (const [name, [id, output]] of Object.entries(taps)) {
    flow.find((n) => n.id === id).wires[output].push(name);
    flow.push({ id: name, z: tab, type: 'helper' });
  }
  return () => Object.fromEntries(Object.keys(taps).map((name) => [name, collector(helper.getNode(name))]));
}

describe('example flows', function () {
  this.timeout(30000);
  afterEach(() => helper.unload());

  it('every example uses only known node types', () => {
    const known = new Set(['tab', 'comment', 'inject', 'debug', 'function', 'switch', 'change', 'catch', 'link in', 'link out', 'group',
      'CS server', 'server response', 'CS request JSON', 'CP client JSON', 'CS request SOAP', 'CP Request SOAP', 'CP server SOAP',
      'ocpp-remote-cp', 'ocpp-remotej-cp', 'ocpp-remote-cs', 'ocpp-cluster', 'complete', 'status', 'http in', 'http response', 'http request']);
    for (const file of fs.readdirSync(EXAMPLES).filter((f) => f.endsWith('.json'))) {
      for (const node of JSON.parse(fs.readFileSync(path.join(EXAMPLES, file), 'utf8'))) {
        assert.ok(known.has(node.type), `${file}: unknown node type ${node.type}`);
      }
    }
  });

  it('every example listens on its own ports: no two examples, and no example and the demo, share one (issue 25)', () => {
    const { exampleFiles, readExample, listeningPorts } = require('./lib/example-ports');
    const owner = new Map();
    const clashes = [];
    const unnamed = [];
    for (const file of exampleFiles()) {
      const flow = readExample(file);
      for (const { node, port } of listeningPorts(flow)) {
        if (owner.has(port)) clashes.push(`${file} (${node}) and ${owner.get(port)} both listen on ${port}`);
        else owner.set(port, `${file} (${node})`);
        // The tab's info names the port, so a user knows where to point a station.
        const tab = flow.find((n) => n.type === 'tab');
        if (!new RegExp(`\\b${port}\\b`).test(tab.info || '')) unnamed.push(`${file}: the tab's info does not name its port ${port}`);
      }
    }
    assert.deepStrictEqual(clashes, []);
    assert.deepStrictEqual(unnamed, []);
  });

  it("the original's example1, rebuilt: connection events never reach server response, nothing turns red (issue 25)", async () => {
    const port = await freePort();
    const flow = loadExample('original-example1-rebuilt.json', { 8839: port });
    const collectors = tap(flow, 'ex1.tab', { probe: ['ex1.cs', 0], errors: ['ex1.catch', 0] });
    flow.push({ id: 'st', z: 'ex1.tab', type: 'status', scope: null, wires: [['statuses']] }, { id: 'statuses', z: 'ex1.tab', type: 'helper' });
    await loadFlow(ALL_NODES, flow);
    const { probe, errors } = collectors();
    const statuses = collector(helper.getNode('statuses'));
    for (const id of ['evse-001', 'evse-002', 'evse-003']) {
      await probe.next((m) => m.ocpp && m.ocpp.websocket === 'ONLINE' && m.ocpp.chargeBoxIdentity === id, 10000);
    }
    await probe.next((m) => m.payload && m.payload.command === 'BootNotification', 10000);
    // A station that leaves: its OFFLINE goes through the flow too.
    helper.getNode('ex1.cp3').receive({ payload: { msgType: 99, command: 'close' } });
    await probe.next((m) => m.ocpp && m.ocpp.websocket === 'OFFLINE' && m.ocpp.chargeBoxIdentity === 'evse-003', 10000);
    // The boot answers went out (the server response's green status), so the flow ran past every event.
    await statuses.next((m) => m.status.source.id === 'ex1.resp' && /sent/.test(m.status.text), 10000);
    assert.deepStrictEqual(errors.msgs.map((m) => m.error && m.error.message), []);
    assert.deepStrictEqual(statuses.msgs.filter((m) => m.status.fill === 'red').map((m) => `${m.status.source.id}: ${m.status.text}`), []);
  });

  it('server response ignores a connection event (ONLINE/OFFLINE) with a debug note, as the original flows send it one', async () => {
    const flow = [
      { id: 't', type: 'tab' },
      { id: 'resp', z: 't', type: 'server response', name: '' },
      { id: 'c', z: 't', type: 'catch', scope: null, wires: [['errors']] },
      { id: 'errors', z: 't', type: 'helper' },
    ];
    await loadFlow(ALL_NODES, flow);
    const errors = collector(helper.getNode('errors'));
    const resp = helper.getNode('resp');
    const notes = [];
    resp.on('call:debug', (call) => notes.push(String(call.args[0])));
    const statuses = [];
    resp.on('call:status', (call) => statuses.push(call.args[0]));
    for (const state of ['ONLINE', 'OFFLINE']) resp.receive({ topic: `CP-1/${state}`, ocpp: { websocket: state, chargeBoxIdentity: 'CP-1', ocppVersion: '1.6j' } });
    // A msg without msgId that is not a connection event is still the flow's error.
    resp.receive({ payload: { status: 'Accepted' } });
    const err = await errors.next();
    assert.match(err.error.message, /msg\.msgId is missing/);
    assert.strictEqual(errors.msgs.length, 1, JSON.stringify(errors.msgs.map((m) => m.error.message)));
    assert.strictEqual(notes.filter((n) => /connection event/.test(n)).length, 2, JSON.stringify(notes));
  });

  // The demo takes its ports from OCPP_DEMO_CS_PORT and OCPP_DEMO_SOAP_PORT (else 8834, 8835).
  async function withDemoPorts(fn) {
    const port = await freePort();
    const soapPort = await freePort();
    const saved = [process.env.OCPP_DEMO_CS_PORT, process.env.OCPP_DEMO_SOAP_PORT];
    process.env.OCPP_DEMO_CS_PORT = String(port);
    process.env.OCPP_DEMO_SOAP_PORT = String(soapPort);
    try {
      return await fn(port, soapPort);
    } finally {
      for (const [name, value] of [['OCPP_DEMO_CS_PORT', saved[0]], ['OCPP_DEMO_SOAP_PORT', saved[1]]]) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  }

  it('demo: its ports are 8834 and 8835 unless OCPP_DEMO_CS_PORT and OCPP_DEMO_SOAP_PORT say otherwise', () => {
    const flow = loadExample('demo-central-system-and-stations.json', {});
    const env = Object.fromEntries(flow.find((n) => n.id === 'demo.tab').env.map((e) => [e.name, e]));
    assert.match(env.CS_PORT.value, /\$env\("OCPP_DEMO_CS_PORT"\).*"8834"/);
    assert.match(env.SOAP_PORT.value, /\$env\("OCPP_DEMO_SOAP_PORT"\).*"8835"/);
    // No port is written anywhere else in the flow.
    const elsewhere = JSON.stringify(flow.filter((n) => n.id !== 'demo.tab'));
    assert.doesNotMatch(elsewhere, /883[45]/);
    assert.deepStrictEqual([flow.find((n) => n.id === 'demo.cs').portType, flow.find((n) => n.id === 'demo.cpsoapsrv').portType], ['env', 'env']);
    // What stations send shows in the debug sidebar.
    assert.strictEqual(flow.find((n) => n.id === 'demo.dbgcs').active, true);
  });

  it('demo: simulated stations boot and run a transaction against the Central System', () => withDemoPorts(async (port, soapPort) => {
    const flow = loadExample('demo-central-system-and-stations.json', {});
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
    // on the ports from the environment: the SOAP station's service...
    assert.strictEqual(soap.ocpp.url, `http://127.0.0.1:${soapPort}/ocpp`);
    // ...and the Central System.
    const station = await rawStation(`ws://127.0.0.1:${port}/ocpp/DEMO-PROBE`, 'ocpp1.6');
    station.ws.close();
  }));

  it('demo: its stations keep the profiles they are given, so SetChargeLimit 16 A reads back 16 A, and a clear removes it (issue 22)', () => withDemoPorts(async () => {
    const flow = loadExample('demo-central-system-and-stations.json', {});
    flow.find((n) => n.id === 'demo.tick').onceDelay = '0.1';
    const collectors = tap(flow, 'demo.tab', { probe: ['demo.cs', 0], log: ['demo.cs', 1], answers: ['demo.req', 0], errors: ['demo.catch', 0] });
    await loadFlow(ALL_NODES, flow);
    const { probe, log, answers, errors } = collectors();
    await probe.next((m) => m.ocpp && m.ocpp.websocket === 'ONLINE' && m.ocpp.chargeBoxIdentity === 'DEMO-CP-2', 10000);
    let n = 0;
    const ask = async (command, data) => {
      const topic = `ask-${++n}`;
      helper.getNode('demo.req').receive({ topic, payload: { cbId: 'DEMO-CP-2', command, data } });
      const fail = errors.next((m) => m.topic === topic, 10000).then((m) => assert.fail(`${command}: ${m.error.message}`));
      fail.catch(() => {}); // its timeout, once the answer has won the race
      const got = await Promise.race([answers.next((m) => m.topic === topic, 10000), fail]);
      return got.payload.data;
    };
    const composite = async () => (await ask('GetCompositeSchedule', { connectorId: 0, duration: 60, chargingRateUnit: 'A' })).chargingSchedule.chargingSchedulePeriod[0].limit;

    const set = await ask('SetChargeLimit', { limit: 16, unit: 'A' });
    assert.deepStrictEqual(set, { status: 'Accepted', purpose: 'ChargePointMaxProfile', chargingProfileId: 1000000001, effectiveLimit: 16, unit: 'A' });
    assert.strictEqual(await composite(), 16, 'read back from the profile the station holds');
    const lower = await ask('SetChargeLimit', { limit: 6, unit: 'A' });
    assert.strictEqual(lower.effectiveLimit, 6, 'the same id replaced the 16 A profile');
    // The smart-charging keys, in 1.6 words and (translated by the engine) in 2.x words.
    const conf = await ask('GetConfiguration', { key: ['ChargeProfileMaxStackLevel', 'ChargingScheduleAllowedChargingRateUnit', 'ChargingScheduleMaxPeriods'] });
    assert.deepStrictEqual(conf.configurationKey.map((k) => [k.key, k.value]), [
      ['ChargeProfileMaxStackLevel', '8'], ['ChargingScheduleAllowedChargingRateUnit', 'Current,Power'], ['ChargingScheduleMaxPeriods', '24'],
    ]);
    const vars = await ask('GetVariables', { getVariableData: [{ component: { name: 'SmartChargingCtrlr' }, variable: { name: 'ProfileStackLevel' } }] });
    assert.strictEqual(vars.getVariableResult[0].attributeValue, '8');

    const cleared = await ask('ClearChargeLimit', { evseId: 0 });
    assert.deepStrictEqual(cleared, { status: 'Accepted', cleared: [1000000001] });
    assert.strictEqual(await composite(), 32, 'gone: only the hardware limit is left');
    assert.deepStrictEqual(await ask('ClearChargeLimit', { evseId: 0 }), { status: 'Unknown', cleared: [] });
    assert.deepStrictEqual(errors.msgs, []);
    assert.ok(assertValidOcpp16(log.msgs.map((m) => m.payload)) > 0);
  }));

  it('charge-limit: beside the demo, its injects limit DEMO-CP-1 to 6, 16 and 32 A and clear it; the answer and the read-back limit reach the debug nodes (issue 22)', () => withDemoPorts(async () => {
    // The test helper's load never settles with two catch nodes in one flow: the demo's (not used here) is left out.
    const demo = loadExample('demo-central-system-and-stations.json', {}).filter((n) => n.id !== 'demo.catch' && n.id !== 'demo.dbgerr');
    const flow = [...demo, ...loadExample('charge-limit.json', {})];
    const collectors = tap(flow, 'cl.tab', { answers: ['cl.req', 0], limits: ['cl.limit', 0], errors: ['cl.catch', 0] });
    flow.find((n) => n.id === 'demo.cs').wires[0].push('probe');
    flow.push({ id: 'probe', z: 'demo.tab', type: 'helper' });
    await loadFlow(ALL_NODES, flow);
    const { answers, limits, errors } = collectors();
    const probe = collector(helper.getNode('probe'));
    await probe.next((m) => m.ocpp && m.ocpp.websocket === 'ONLINE' && m.ocpp.chargeBoxIdentity === 'DEMO-CP-1', 10000);
    // Every debug node of the example shows something.
    for (const n of flow.filter((x) => x.z === 'cl.tab' && x.type === 'debug')) assert.notStrictEqual(n.active, false, `${n.name} is off`);
    const press = async (inject) => {
      const seenA = answers.msgs.length;
      const seenL = limits.msgs.length;
      helper.getNode(inject).receive({});
      const fail = errors.next(() => true, 10000).then((m) => assert.fail(`${inject}: ${m.error.message}`));
      fail.catch(() => {}); // its timeout, once the answer has won the race
      const answer = await Promise.race([answers.next((m) => answers.msgs.indexOf(m) >= seenA, 10000), fail]);
      const limit = await Promise.race([limits.next((m) => limits.msgs.indexOf(m) >= seenL, 10000), fail]);
      return [answer.payload.data, limit.payload];
    };
    for (const amps of [6, 16, 32]) {
      const [answer, limit] = await press(`cl.inj${amps}`);
      assert.deepStrictEqual(answer, { status: 'Accepted', purpose: 'ChargePointMaxProfile', chargingProfileId: 1000000001, effectiveLimit: amps, unit: 'A' });
      assert.strictEqual(limit, `DEMO-CP-1 charges at up to ${amps} A now`);
    }
    await press('cl.inj16');
    const [cleared, after] = await press('cl.injclear');
    assert.deepStrictEqual(cleared, { status: 'Accepted', cleared: [1000000001] });
    assert.strictEqual(after, 'DEMO-CP-1 charges at up to 32 A now', 'the hardware limit: the profile is gone');
    assert.deepStrictEqual(errors.msgs, []);
  }));

  it('demo: answers a 2.0.1 station in 2.0.1, and a 1.6 one in 1.6, with payloads valid in their versions', () => withDemoPorts(async (port) => {
    const flow = loadExample('demo-central-system-and-stations.json', {});
    const collectors = tap(flow, 'demo.tab', { errors: ['demo.catch', 0] });
    await loadFlow(ALL_NODES, flow);
    const { errors } = collectors();
    const now = () => new Date().toISOString();

    const st = await rawStation(`ws://127.0.0.1:${port}/ocpp/DEMO-201`, 'ocpp2.0.1');
    try {
      assert.strictEqual(st.ws.protocol, 'ocpp2.0.1');
      const calls = [
        ['BootNotification', { reason: 'PowerUp', chargingStation: { model: 'Test 2.0.1', vendorName: 'ocpp-rs test' } }],
        ['Heartbeat', {}],
        ['StatusNotification', { timestamp: now(), connectorStatus: 'Available', evseId: 1, connectorId: 1 }],
        ['Authorize', { idToken: { idToken: 'TAG-201', type: 'ISO14443' } }],
        ['TransactionEvent', { eventType: 'Started', timestamp: now(), triggerReason: 'Authorized', seqNo: 0,
          transactionInfo: { transactionId: 'TX-1', chargingState: 'Charging' }, idToken: { idToken: 'TAG-201', type: 'ISO14443' }, evse: { id: 1, connectorId: 1 } }],
        ['TransactionEvent', { eventType: 'Updated', timestamp: now(), triggerReason: 'MeterValuePeriodic', seqNo: 1, transactionInfo: { transactionId: 'TX-1' },
          meterValue: [{ timestamp: now(), sampledValue: [{ value: 1200, measurand: 'Energy.Active.Import.Register' }] }] }],
        ['MeterValues', { evseId: 1, meterValue: [{ timestamp: now(), sampledValue: [{ value: 1300 }] }] }],
        ['TransactionEvent', { eventType: 'Ended', timestamp: now(), triggerReason: 'StopAuthorized', seqNo: 2,
          transactionInfo: { transactionId: 'TX-1', stoppedReason: 'Local' }, idToken: { idToken: 'TAG-201', type: 'ISO14443' } }],
        ['NotifyEvent', { generatedAt: now(), seqNo: 0, eventData: [{ eventId: 1, timestamp: now(), trigger: 'Delta', actualValue: 'Available',
          eventNotificationType: 'HardWiredNotification', component: { name: 'Connector' }, variable: { name: 'AvailabilityState' } }] }],
        ['SecurityEventNotification', { type: 'StartupOfTheDevice', timestamp: now() }],
      ];
      const frames = [];
      const answers = {};
      for (const [i, [action, payload]] of calls.entries()) {
        const call = [2, `m${i}`, action, payload];
        const answer = await st.call(call);
        assert.deepStrictEqual(answer.slice(0, 2), [3, `m${i}`], `${action}: ${JSON.stringify(answer)}`);
        frames.push(call, answer);
        answers[`${action}${action === 'TransactionEvent' ? `.${payload.eventType}` : ''}`] = answer[2];
      }
      assert.strictEqual(assertValidOcpp16(frames, OCPP201), calls.length * 2);
      assert.strictEqual(answers.BootNotification.status, 'Accepted');
      assert.deepStrictEqual(answers.Authorize, { idTokenInfo: { status: 'Accepted' } });
      assert.deepStrictEqual(answers['TransactionEvent.Started'], { idTokenInfo: { status: 'Accepted' } });
      assert.deepStrictEqual(answers['TransactionEvent.Updated'], {});
      // What the flow does not handle gets a CALLERROR.
      const unknown = await st.call([2, 'u1', 'NotifyCustomerInformation', { data: 'x', seqNo: 0, generatedAt: now(), requestId: 1 }]);
      assert.deepStrictEqual(unknown.slice(0, 3), [4, 'u1', 'NotImplemented']);
    } finally {
      st.ws.close();
    }

    // And a 1.6 station on the same path still gets 1.6 answers.
    const st16 = await rawStation(`ws://127.0.0.1:${port}/ocpp/DEMO-16`, 'ocpp1.6');
    try {
      const frames = [];
      for (const [i, [action, payload]] of [
        ['BootNotification', { chargePointVendor: 'ocpp-rs test', chargePointModel: 'Test 1.6' }],
        ['Authorize', { idTag: 'TAG-16' }],
        ['StartTransaction', { connectorId: 1, idTag: 'TAG-16', meterStart: 0, timestamp: now() }],
        ['StopTransaction', { transactionId: 1, meterStop: 10, timestamp: now() }],
      ].entries()) {
        const call = [2, `n${i}`, action, payload];
        frames.push(call, await st16.call(call));
      }
      assert.strictEqual(assertValidOcpp16(frames), 8);
      assert.deepStrictEqual(frames[3][2], { idTagInfo: { status: 'Accepted' } });
    } finally {
      st16.ws.close();
    }
    assert.deepStrictEqual(errors.msgs, []);
  }));

  it("the original's example1, rebuilt: EVSEs boot and answer GetConfiguration", async () => {
    const port = await freePort();
    const flow = loadExample('original-example1-rebuilt.json', { 8839: port });
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

  it('smart charging: the station keeps the profiles the Central System sets and answers GetCompositeSchedule from them', async () => {
    const port = await freePort();
    const flow = loadExample('smart-charging.json', { 8836: port });
    flow.find((n) => n.id === 'sc.tick').onceDelay = '0.1';
    const collectors = tap(flow, 'sc.tab', { probe: ['sc.cs', 0], log: ['sc.cs', 1], answers: ['sc.req', 0], errors: ['sc.catch', 0] });
    await loadFlow(ALL_NODES, flow);
    const { probe, log, answers, errors } = collectors();
    await probe.next((m) => m.payload && m.payload.command === 'StatusNotification' && m.ocpp.chargeBoxIdentity === 'SC-CP-1', 10000);

    const ask = async (inject, command, pred = () => true) => {
      const seen = answers.msgs.length;
      helper.getNode(inject).receive({});
      return answers.next((m) => answers.msgs.indexOf(m) >= seen && m.ocpp.command === command && pred(m));
    };
    // Where a 24 h composite schedule changes, in UTC "HH:MM" -> limit.
    const changesOf = (answer) => {
      const { scheduleStart, chargingSchedule } = answer.payload.data;
      return chargingSchedule.chargingSchedulePeriod.map((p) => [new Date(Date.parse(scheduleStart) + p.startPeriod * 1000).toISOString().slice(11, 16), p.limit]);
    };
    // The profile's limit at a time (10 A from 17:00 to 21:00 UTC, else 32 A).
    const profileAmps = (ms) => (new Date(ms).getUTCHours() >= 17 && new Date(ms).getUTCHours() < 21 ? 10 : 32);

    const set = await ask('sc.injset', 'SetChargingProfile');
    assert.deepStrictEqual(set.payload.data, { status: 'Accepted' });

    const amps = await ask('sc.injcomp', 'GetCompositeSchedule');
    const data = amps.payload.data;
    assert.strictEqual(data.status, 'Accepted');
    assert.strictEqual(data.connectorId, 1);
    assert.strictEqual(data.chargingSchedule.chargingRateUnit, 'A');
    assert.strictEqual(data.chargingSchedule.duration, 86400);
    const periods = data.chargingSchedule.chargingSchedulePeriod;
    assert.strictEqual(periods[0].startPeriod, 0);
    assert.strictEqual(periods[0].limit, profileAmps(Date.parse(data.scheduleStart)));
    // Over any 24 h the evening limit starts at 17:00 and ends at 21:00 UTC.
    const changes = changesOf(amps);
    assert.ok(changes.some(([t, limit]) => t === '17:00' && limit === 10), JSON.stringify(changes));
    assert.ok(changes.some(([t, limit]) => t === '21:00' && limit === 32), JSON.stringify(changes));
    assert.ok(periods.every((p) => p.numberPhases === 3 && [10, 32].includes(p.limit)));

    const watts = await ask('sc.injcompw', 'GetCompositeSchedule', (m) => m.payload.data.chargingSchedule.chargingRateUnit === 'W');
    assert.deepStrictEqual(
      watts.payload.data.chargingSchedule.chargingSchedulePeriod.map((p) => p.limit),
      periods.map((p) => p.limit * 230 * 3)
    );

    const conf = await ask('sc.injconf', 'GetConfiguration');
    assert.deepStrictEqual(conf.payload.data.configurationKey.map((k) => k.key), [
      'ChargeProfileMaxStackLevel', 'ChargingScheduleAllowedChargingRateUnit', 'ChargingScheduleMaxPeriods', 'MaxChargingProfilesInstalled',
    ]);

    // A TxProfile needs a transaction: 6 A for the first half hour of this one.
    helper.getNode('sc.injstart').receive({ topic: 'start' });
    await probe.next((m) => m.payload && m.payload.command === 'StatusNotification' && m.payload.data.status === 'Charging');
    const tx = await ask('sc.injtxp', 'SetChargingProfile', (m) => m.payload.data.status);
    assert.deepStrictEqual(tx.payload.data, { status: 'Accepted' });
    const during = await ask('sc.injcomp', 'GetCompositeSchedule', (m) => m.payload.data.chargingSchedule.chargingSchedulePeriod[0].limit === 6);
    assert.strictEqual(during.payload.data.chargingSchedule.chargingSchedulePeriod[1].startPeriod, 1800);

    const cleared = await ask('sc.injclear', 'ClearChargingProfile');
    assert.deepStrictEqual(cleared.payload.data, { status: 'Accepted' });
    const again = await ask('sc.injclear', 'ClearChargingProfile', (m) => m !== cleared);
    assert.deepStrictEqual(again.payload.data, { status: 'Unknown' });
    helper.getNode('sc.injstop').receive({ topic: 'stop' });
    await probe.next((m) => m.payload && m.payload.command === 'StopTransaction');
    const none = await ask('sc.injcomp', 'GetCompositeSchedule', (m) => m.payload.data.chargingSchedule.chargingSchedulePeriod.length === 1);
    assert.deepStrictEqual(none.payload.data.chargingSchedule.chargingSchedulePeriod, [{ startPeriod: 0, limit: 32, numberPhases: 3 }]);

    assert.deepStrictEqual(errors.msgs, []);
    assert.ok(assertValidOcpp16(log.msgs.map((m) => m.payload)) >= 20);
  });

  it('CP simulator: boots, heartbeats, runs a transaction and answers a strict OCPP 1.6 Central System', async function () {
    const port = await freePort();
    // A Central System nobody here wrote, validating everything against the 1.6 schemas.
    const server = new RPCServer({ protocols: ['ocpp1.6'], strictMode: true });
    const received = [];
    const clients = [];
    let nextTx = 500;
    server.on('client', (client) => {
      clients.push(client);
      const on = (action, reply) =>
        client.handle(action, ({ params }) => {
          received.push({ action, params });
          return reply(params);
        });
      const now = () => new Date().toISOString();
      on('BootNotification', () => ({ status: 'Accepted', currentTime: now(), interval: 1 }));
      on('Heartbeat', () => ({ currentTime: now() }));
      on('StatusNotification', () => ({}));
      on('Authorize', () => ({ idTagInfo: { status: 'Accepted' } }));
      on('StartTransaction', () => ({ transactionId: nextTx++, idTagInfo: { status: 'Accepted' } }));
      on('MeterValues', () => ({}));
      on('StopTransaction', () => ({ idTagInfo: { status: 'Accepted' } }));
    });
    await server.listen(port);
    try {
      const flow = loadExample('cp-simulator-for-external-cs.json', { 9000: port });
      assert.strictEqual(flow.find((n) => n.id === 'sim.rcs').url, `ws://127.0.0.1:${port}/ocpp`);
      flow.find((n) => n.id === 'sim.tick').onceDelay = '0.1';
      flow.find((n) => n.id === 'sim.catch').wires[0].push('errors');
      flow.push({ id: 'errors', z: 'sim.tab', type: 'helper' });
      await loadFlow(ALL_NODES, flow);
      const errors = collector(helper.getNode('errors'));
      // What the Central System received, in order: each wait takes the first match after the last one found.
      let cursor = 0;
      const seen = (action, pred = () => true, ms = 5000) =>
        new Promise((resolve, reject) => {
          const t0 = Date.now();
          (function poll() {
            const i = received.findIndex((r, j) => j >= cursor && r.action === action && pred(r.params));
            if (i >= 0) {
              cursor = i + 1;
              return resolve(received[i].params);
            }
            if (Date.now() - t0 > ms) return reject(new Error(`no ${action}; got ${received.slice(cursor).map((r) => r.action).join(', ')}`));
            setTimeout(poll, 20);
          })();
        });

      // Boots, reports its connectors, heartbeats at the interval the Central System gave (1 s).
      const boot = await seen('BootNotification', () => true, 10000);
      assert.strictEqual(boot.chargePointModel, 'Simulator');
      assert.strictEqual(clients[0].identity, 'SIM-CP-001');
      await seen('StatusNotification', (p) => p.connectorId === 1 && p.status === 'Available');
      await seen('Heartbeat');

      // A transaction on the injects.
      helper.getNode('sim.injstart').receive({});
      assert.strictEqual((await seen('Authorize')).idTag, 'SIM-TAG-001');
      const start = await seen('StartTransaction');
      assert.deepStrictEqual([start.connectorId, start.idTag], [1, 'SIM-TAG-001']);
      await seen('StatusNotification', (p) => p.status === 'Charging');
      helper.getNode('sim.injmeter').receive({});
      const mv = await seen('MeterValues');
      assert.strictEqual(mv.transactionId, 500);
      assert.deepStrictEqual(mv.meterValue[0].sampledValue.map((v) => v.measurand), ['Energy.Active.Import.Register', 'Power.Active.Import']);
      helper.getNode('sim.injstop').receive({});
      const stop = await seen('StopTransaction');
      assert.deepStrictEqual([stop.transactionId, stop.reason, stop.idTag], [500, 'Local', 'SIM-TAG-001']);
      assert.ok(stop.meterStop >= start.meterStart);

      // The Central System's calls, answered by the flow (strict mode checks every answer).
      const cs = clients[0];
      const conf = await cs.call('GetConfiguration', { key: ['HeartbeatInterval', 'NoSuchKey'] });
      assert.deepStrictEqual(conf, { configurationKey: [{ key: 'HeartbeatInterval', readonly: false, value: '1' }], unknownKey: ['NoSuchKey'] });
      assert.deepStrictEqual(await cs.call('ChangeConfiguration', { key: 'MeterValueSampleInterval', value: '30' }), { status: 'Accepted' });
      assert.deepStrictEqual(await cs.call('ChangeConfiguration', { key: 'NumberOfConnectors', value: '2' }), { status: 'Rejected' });
      assert.deepStrictEqual(await cs.call('ChangeConfiguration', { key: 'NoSuchKey', value: '1' }), { status: 'NotSupported' });

      assert.deepStrictEqual(await cs.call('RemoteStartTransaction', { connectorId: 1, idTag: 'REMOTE-1' }), { status: 'Accepted' });
      const remote = await seen('StartTransaction');
      assert.strictEqual(remote.idTag, 'REMOTE-1');
      await seen('StatusNotification', (p) => p.status === 'Charging');
      assert.deepStrictEqual(await cs.call('RemoteStartTransaction', { idTag: 'REMOTE-2' }), { status: 'Rejected' });
      assert.deepStrictEqual(await cs.call('RemoteStopTransaction', { transactionId: 999 }), { status: 'Rejected' });
      assert.deepStrictEqual(await cs.call('RemoteStopTransaction', { transactionId: 501 }), { status: 'Accepted' });
      assert.strictEqual((await seen('StopTransaction')).reason, 'Remote');

      assert.deepStrictEqual(await cs.call('TriggerMessage', { requestedMessage: 'MeterValues', connectorId: 1 }), { status: 'Accepted' });
      assert.strictEqual((await seen('MeterValues')).meterValue[0].sampledValue[0].context, 'Trigger');
      cursor = received.length;
      assert.deepStrictEqual(await cs.call('Reset', { type: 'Soft' }), { status: 'Accepted' });
      await seen('BootNotification');

      assert.deepStrictEqual(errors.msgs, []);
    } finally {
      await helper.unload();
      await server.close({ force: true, awaitPending: false });
    }
  });

  it('1.6 and 2.0.1 on one Central System: both stations boot and transact, GetVariables reaches the 2.0.1 one', async () => {
    const port = await freePort();
    const flow = loadExample('ocpp16-and-201-on-one-central-system.json', { 8837: port });
    const tick = flow.find((n) => n.id === 'mixed.tick');
    tick.repeat = '0.1';
    tick.onceDelay = '0.1';
    const taps = { probe: ['mixed.cs', 0], log: ['mixed.cs', 1], answers: ['mixed.req', 0], errors: ['mixed.catch', 0] };
    const collectors = tap(flow, 'mixed.tab', taps);
    await loadFlow(ALL_NODES, flow);
    const { probe, log, answers, errors } = collectors();
    const seen = (id, command, pred = () => true) =>
      probe.next((m) => m.ocpp && m.ocpp.chargeBoxIdentity === id && m.payload && m.payload.command === command && pred(m), 10000);
    assert.strictEqual((await seen('MIXED-16', 'BootNotification')).ocpp.ocppVersion, '1.6j');
    assert.strictEqual((await seen('MIXED-201', 'BootNotification')).ocpp.ocppVersion, '2.0.1');
    await seen('MIXED-16', 'StopTransaction');
    await seen('MIXED-201', 'TransactionEvent', (m) => m.payload.data.eventType === 'Ended');

    helper.getNode('mixed.inj').receive({});
    const vars = await answers.next();
    assert.strictEqual(vars.ocpp.ocppVersion, '2.0.1');
    assert.strictEqual(vars.payload.data.getVariableResult[0].attributeValue, '30');

    assert.deepStrictEqual(errors.msgs, []);
    const framesOf = (id) => log.msgs.filter((m) => m.cbId === id).map((m) => m.payload);
    assert.ok(assertValidOcpp16(framesOf('MIXED-16')) >= 6);
    assert.ok(assertValidOcpp16(framesOf('MIXED-201'), OCPP201) >= 8);
  });

  // The mixed fleet takes its port from OCPP_MIXED_FLEET_PORT (else 8841).
  async function withFleetPort(fn) {
    const port = await freePort();
    const saved = process.env.OCPP_MIXED_FLEET_PORT;
    process.env.OCPP_MIXED_FLEET_PORT = String(port);
    try {
      return await fn(port);
    } finally {
      if (saved === undefined) delete process.env.OCPP_MIXED_FLEET_PORT;
      else process.env.OCPP_MIXED_FLEET_PORT = saved;
    }
  }

  // The mixed fleet with its simulators ticking fast, and taps on what the test reads.
  async function loadFleet() {
    const flow = loadExample('mixed-fleet.json', {});
    const tick = flow.find((n) => n.id === 'fleet.tick');
    tick.repeat = '0.1';
    tick.onceDelay = '0.1';
    const collectors = tap(flow, 'fleet.tab', {
      probe: ['fleet.cs', 0], log: ['fleet.cs', 1], lists: ['fleet.list', 0], answers: ['fleet.req', 0], energy: ['fleet.energy', 0], errors: ['fleet.catch', 0],
    });
    await loadFlow(ALL_NODES, flow);
    return collectors();
  }
  const FLEET = { 'FLEET-16': '1.6j', 'FLEET-201': '2.0.1', 'FLEET-21': '2.1' };

  it('mixed fleet: its port is 8841 unless OCPP_MIXED_FLEET_PORT says otherwise; one CS server with Unified messages, one server response', () => {
    const flow = loadExample('mixed-fleet.json', {});
    const env = Object.fromEntries(flow.find((n) => n.id === 'fleet.tab').env.map((e) => [e.name, e]));
    assert.match(env.CS_PORT.value, /\$env\("OCPP_MIXED_FLEET_PORT"\).*"8841"/);
    assert.doesNotMatch(JSON.stringify(flow.filter((n) => n.id !== 'fleet.tab')), /8841/);
    const servers = flow.filter((n) => n.type === 'CS server');
    assert.strictEqual(servers.length, 1);
    assert.strictEqual(servers[0].unified, true);
    assert.deepStrictEqual([servers[0].json16, servers[0].json201, servers[0].json21], [true, true, true]);
    assert.strictEqual(flow.filter((n) => n.type === 'server response').length, 1);
    assert.deepStrictEqual(flow.filter((n) => n.type === 'CP client JSON').map((n) => [n.cbId, n.ocppver]), Object.entries(FLEET));
  });

  it('mixed fleet: a command written once in 1.6 words reaches the 1.6, 2.0.1 and 2.1 stations, each in its words, and every answer comes back in 1.6 words', () => withFleetPort(async () => {
    const { probe, log, lists, answers } = await loadFleet();
    for (const [id, version] of Object.entries(FLEET)) {
      const online = await probe.next((m) => m.ocpp && m.ocpp.websocket === 'ONLINE' && m.ocpp.chargeBoxIdentity === id, 10000);
      assert.strictEqual(online.ocpp.ocppVersion, version);
    }
    // The list the inject asks for must hold all three before the command goes out.
    for (let i = 0; ; i += 1) {
      const before = lists.msgs.length;
      helper.getNode('fleet.inj').receive({});
      const list = await lists.next((m) => lists.msgs.indexOf(m) >= before);
      if (Object.keys(FLEET).every((id) => list.payload.online.includes(id))) break;
      assert.ok(i < 50, `not all stations listed: ${list.payload.online}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const answered = {};
    for (const id of Object.keys(FLEET)) answered[id] = await answers.next((m) => m.ocpp && m.ocpp.chargeBoxIdentity === id, 10000);
    for (const [id, version] of Object.entries(FLEET)) {
      const msg = answered[id];
      assert.strictEqual(msg.ocpp.command, 'RemoteStartTransaction');
      assert.strictEqual(msg.ocpp.ocppVersion, version);
      assert.deepStrictEqual(msg.payload.data, { status: 'Accepted' });
      if (version === '1.6j') assert.strictEqual(msg.ocpp.translated, undefined);
      else assert.deepStrictEqual(msg.ocpp.translated, { from: 'RemoteStartTransaction', to: 'RequestStartTransaction', version });
    }
    // What each station got, in the CS server's raw log: its own version's words, valid in its version.
    const sent = (id) => log.msgs.filter((m) => m.cbId === id).map((m) => m.payload).filter((f) => f[0] === 2 && /Start/.test(f[2]) && f[3].idTag !== 'LOCAL-TAG');
    const [to16] = sent('FLEET-16').filter((f) => f[2] === 'RemoteStartTransaction');
    assert.deepStrictEqual(to16[3], { idTag: 'FLEET-TAG', connectorId: 1 });
    const [to201] = sent('FLEET-201').filter((f) => f[2] === 'RequestStartTransaction');
    assert.strictEqual(to201[3].idToken.idToken, 'FLEET-TAG');
    assert.strictEqual(to201[3].evseId, 1);
    assertValidOcpp16([to201], OCPP201);
  }));

  it('mixed fleet: deploys without errors, answers every event of every version with one answer, and shows each transaction\'s energy in kWh', () => withFleetPort(async () => {
    const { probe, energy, errors } = await loadFleet();
    for (const id of Object.keys(FLEET)) {
      const ended = await energy.next((m) => m.payload.station === id && m.payload.event === 'TransactionEnded', 15000);
      // Four samples of 1250 Wh after the start: 5 kWh, whatever unit the station used.
      assert.strictEqual(ended.payload.kWh % 5, 0, JSON.stringify(ended.payload));
      assert.ok(ended.payload.kWh > 0);
      assert.match(ended.topic, new RegExp(`^${id} .* kWh$`));
      assert.strictEqual(typeof ended.payload.transactionId, 'string');
    }
    const booted = probe.msgs.filter((m) => m.unified && m.unified.event === 'BootNotification').map((m) => m.ocpp.chargeBoxIdentity);
    assert.deepStrictEqual([...new Set(booted)].sort(), Object.keys(FLEET).sort());
    assert.deepStrictEqual(errors.msgs.map((m) => m.error && m.error.message), []);
  }));

  it('cluster-central-system: a station on the clustered CS is listed with its instance and reset through the flow (real Redis)', async () => {
    const { startRedis } = require('./lib/redis');
    const redis = await startRedis(await freePort());
    const { RPCClient } = require('ocpp-rpc');
    let client = null;
    try {
      const port = await freePort();
      const flow = loadExample('cluster-central-system.json', { 8840: port, 6379: redis.port });
      flow.find((n) => n.type === 'ocpp-cluster').instance = 'example-1';
      const taps = tap(flow, 'cl-tab', { answers: ['cl-request', 0], failed: ['cl-catch', 0] });
      await loadFlow(ALL_NODES, flow);
      const seen = taps();
      client = new RPCClient({ endpoint: `ws://127.0.0.1:${port}/ocpp`, identity: 'CP-1', protocols: ['ocpp1.6'], strictMode: true, reconnect: false });
      let resets = 0;
      client.handle('Reset', () => {
        resets += 1;
        return { status: 'Accepted' };
      });
      await client.connect();
      const boot = await client.call('BootNotification', { chargePointVendor: 'ocpp-rs', chargePointModel: 'example' });
      assert.strictEqual(boot.status, 'Accepted');
      for (let i = 0; i < 50; i += 1) {
        const before = seen.answers.msgs.length;
        helper.getNode('cl-list').receive({ payload: { command: 'LOCAL_GET_ONLINE_LIST' } });
        const msg = await seen.answers.next((m) => seen.answers.msgs.indexOf(m) >= before);
        // CP-1, and the station the flow ships (CLUSTER-CP-1), each with the instance holding it.
        if (msg.payload.online.includes('CP-1') && msg.payload.online.includes('CLUSTER-CP-1')) {
          assert.deepStrictEqual(msg.payload.stations.find((st) => st.cbId === 'CP-1').instance, 'example-1');
          assert.deepStrictEqual(msg.payload.stations.find((st) => st.cbId === 'CLUSTER-CP-1').instance, 'example-1');
          break;
        }
        assert.ok(i < 49, `CP-1 and CLUSTER-CP-1 were never listed: ${JSON.stringify(msg.payload)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      helper.getNode('cl-request').receive({ payload: { command: 'Reset', cbId: 'CP-1', data: { type: 'Soft' } } });
      const reset = await seen.answers.next((m) => m.ocpp && m.ocpp.command === 'Reset');
      assert.deepStrictEqual(reset.payload.data, { status: 'Accepted' });
      assert.strictEqual(reset.ocpp.instance, 'example-1');
      assert.strictEqual(resets, 1);
      // The inject resets the shipped station, which accepts it.
      helper.getNode('cl-reset').receive({});
      const own = await seen.answers.next((m) => m.ocpp && m.ocpp.command === 'Reset' && m.ocpp.chargeBoxIdentity === 'CLUSTER-CP-1');
      assert.deepStrictEqual(own.payload.data, { status: 'Accepted' });
      assert.deepStrictEqual(seen.failed.msgs, []);
    } finally {
      if (client) await client.close({ force: true });
      await helper.unload();
      await redis.stop();
    }
  });
});
