'use strict';
// Unified messages on the CS server (issue 21, docs/UNIFIED.md): one flow
// answering {status: "Accepted"} serves 1.6, 2.0.1 and 2.1 stations (ocpp-rpc
// in strict mode checks every answer against OCA's schemas), msg.unified
// carries what the stations sent with units applied, auto-answers, minted
// 1.6 transaction ids across a restart and across clustered instances, and
// an answer that cannot be completed.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { helper, core, ours, freePort, collector, loadFlow } = require('./lib/harness');
const { strictStation: station, stationHooks } = require('./lib/stations');
const { startOurRed } = require('./lib/our-red');
const { startRedis } = require('./lib/redis');
const { startInstance } = require('./lib/cluster-red');


const NODES = [ours.server, core.fn, core.catchNode];
// The whole answering flow: the same words for every event of every version.
const ACCEPT = "if (!msg.msgId) return null; msg.payload = { status: 'Accepted' }; return msg;";

function csFlow(port, cs = {}, func = ACCEPT) {
  return [
    { id: 'tab', type: 'tab', label: 'unified' },
    {
      id: 'cs', z: 'tab', type: 'CS server', port: String(port), portType: 'num', enabled16j: true, path16j: '/ocpp',
      json16: true, json201: true, json21: true, unified: true, autoAnswer: [], wires: [['answer', 'seen'], []], ...cs,
    },
    { id: 'answer', z: 'tab', type: 'function', func, outputs: 1, wires: [['resp']] },
    { id: 'resp', z: 'tab', type: 'server response' },
    { id: 'seen', z: 'tab', type: 'helper' },
    { id: 'catcher', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'tab', type: 'helper' },
  ];
}

const near = (actual, expected, what) => assert.ok(typeof actual === 'number' && Math.abs(actual - expected) < 1e-6, `${what}: ${actual} is not ${expected}`);
const now = () => new Date().toISOString();

describe('unified messages (CS server)', function () {
  this.timeout(60000);
  const t = stationHooks();

  const unifiedOf = (seen, cb, command, extra = () => true) =>
    seen.next((m) => m.ocpp && m.ocpp.chargeBoxIdentity === cb && m.payload && m.payload.command === command && extra(m));

  it('one flow answering {status: "Accepted"} completes a 1.6 session, and each event carries what was sent', async () => {
    await loadFlow(NODES, csFlow(t.port));
    const seen = collector(helper.getNode('seen'));
    const caught = collector(helper.getNode('caught'));
    const cp = station(t.port, 'U16', 'ocpp1.6');
    t.clients.push(cp);
    await cp.connect();
    const boot = await cp.call('BootNotification', { chargePointVendor: 'ocpp-rs', chargePointModel: 'u16' });
    assert.strictEqual(boot.status, 'Accepted');
    assert.strictEqual(boot.interval, 300, 'the node\'s default interval');
    assert.ok(!Number.isNaN(Date.parse(boot.currentTime)));
    assert.strictEqual((await unifiedOf(seen, 'U16', 'BootNotification')).unified.event, 'BootNotification');
    const auth = await cp.call('Authorize', { idTag: 'TAG16' });
    assert.strictEqual(auth.idTagInfo.status, 'Accepted');
    const authMsg = await unifiedOf(seen, 'U16', 'Authorize');
    assert.deepStrictEqual(authMsg.unified.idToken && authMsg.unified.idToken.idToken, 'TAG16');
    await cp.call('StatusNotification', { connectorId: 2, errorCode: 'NoError', status: 'Preparing' });
    const status = (await unifiedOf(seen, 'U16', 'StatusNotification')).unified;
    assert.deepStrictEqual([status.event, status.evseId, status.connectorId, status.status, status.nativeStatus], ['StatusChanged', 2, 1, 'Occupied', 'Preparing']);
    const start = await cp.call('StartTransaction', { connectorId: 2, idTag: 'TAG16', meterStart: 1000, timestamp: now() });
    assert.strictEqual(start.idTagInfo.status, 'Accepted');
    assert.ok(Number.isInteger(start.transactionId), `a minted integer id: ${JSON.stringify(start)}`);
    const started = await unifiedOf(seen, 'U16', 'StartTransaction');
    assert.strictEqual(started.unified.event, 'TransactionStarted');
    assert.strictEqual(started.unified.transactionId, String(start.transactionId), 'TransactionStarted names the id its answer carries');
    assert.strictEqual(started.unified.evseId, 2);
    near(started.unified.meter.energyWh, 1000, 'meterStart');
    assert.deepStrictEqual(started.payload.data.connectorId, 2, 'msg.payload stays native');
    await cp.call('MeterValues', {
      connectorId: 2, transactionId: start.transactionId,
      meterValue: [{ timestamp: now(), sampledValue: [
        { value: '1.5', measurand: 'Energy.Active.Import.Register', unit: 'kWh' },
        { value: '7.4', measurand: 'Power.Active.Import', unit: 'kW' },
      ] }],
    });
    const updated = (await unifiedOf(seen, 'U16', 'MeterValues')).unified;
    assert.strictEqual(updated.event, 'TransactionUpdated');
    assert.strictEqual(updated.transactionId, String(start.transactionId));
    near(updated.meter.energyWh, 1500, '1.5 kWh');
    near(updated.meter.powerW, 7400, '7.4 kW');
    const stop = await cp.call('StopTransaction', { transactionId: start.transactionId, meterStop: 2500, timestamp: now(), reason: 'Local', idTag: 'TAG16' });
    assert.strictEqual(stop.idTagInfo.status, 'Accepted');
    const ended = (await unifiedOf(seen, 'U16', 'StopTransaction')).unified;
    assert.strictEqual(ended.event, 'TransactionEnded');
    assert.strictEqual(ended.transactionId, String(start.transactionId));
    assert.strictEqual(ended.evseId, 2, 'a 1.6 stop names no connector: the tracker knows it');
    assert.strictEqual(ended.reason, 'Local');
    near(ended.meter.energyWh, 2500, 'meterStop');
    const hb = await cp.call('Heartbeat', {});
    assert.ok(!Number.isNaN(Date.parse(hb.currentTime)));
    assert.strictEqual(caught.msgs.length, 0, `no errors: ${JSON.stringify(caught.msgs.map((m) => m.error))}`);
  });

  for (const protocol of ['ocpp2.0.1', 'ocpp2.1']) {
    it(`the same flow completes a ${protocol} session, units and multipliers applied`, async () => {
      await loadFlow(NODES, csFlow(t.port, { bootInterval: 120 }));
      const seen = collector(helper.getNode('seen'));
      const caught = collector(helper.getNode('caught'));
      const id = `U-${protocol}`;
      const cp = station(t.port, id, protocol);
      t.clients.push(cp);
      await cp.connect();
      const boot = await cp.call('BootNotification', { reason: 'PowerUp', chargingStation: { model: 'u2', vendorName: 'ocpp-rs' } });
      assert.deepStrictEqual([boot.status, boot.interval], ['Accepted', 120]);
      const token = { idToken: 'TAG2', type: 'ISO14443' };
      const auth = await cp.call('Authorize', { idToken: token });
      assert.strictEqual(auth.idTokenInfo.status, 'Accepted');
      await cp.call('StatusNotification', { timestamp: now(), connectorStatus: 'Occupied', evseId: 3, connectorId: 1 });
      const status = (await unifiedOf(seen, id, 'StatusNotification')).unified;
      assert.deepStrictEqual([status.event, status.evseId, status.status], ['StatusChanged', 3, 'Occupied']);
      const energy = (value, unit, multiplier) => ({ value, measurand: 'Energy.Active.Import.Register', unitOfMeasure: { unit, multiplier } });
      const tx = (eventType, seqNo, extra) => ({ eventType, timestamp: now(), triggerReason: 'MeterValuePeriodic', seqNo, transactionInfo: { transactionId: 'tx-u2' }, ...extra });
      const started = await cp.call('TransactionEvent', tx('Started', 0, {
        triggerReason: 'Authorized', idToken: token, evse: { id: 3, connectorId: 1 },
        meterValue: [{ timestamp: now(), sampledValue: [energy(1.5, 'kWh', 0)] }],
      }));
      assert.strictEqual(started.idTokenInfo.status, 'Accepted');
      const s = (await unifiedOf(seen, id, 'TransactionEvent', (m) => m.payload.data.eventType === 'Started')).unified;
      assert.deepStrictEqual([s.event, s.transactionId, s.evseId, s.seqNo], ['TransactionStarted', 'tx-u2', 3, 0]);
      near(s.meter.energyWh, 1500, '1.5 kWh');
      await cp.call('TransactionEvent', tx('Updated', 1, {
        transactionInfo: { transactionId: 'tx-u2', chargingState: 'Charging' },
        meterValue: [{ timestamp: now(), sampledValue: [energy(2, 'Wh', 3), { value: 7.4, measurand: 'Power.Active.Import', unitOfMeasure: { unit: 'kW' } }] }],
      }));
      const u = (await unifiedOf(seen, id, 'TransactionEvent', (m) => m.payload.data.eventType === 'Updated')).unified;
      assert.deepStrictEqual([u.event, u.evseId, u.chargingState], ['TransactionUpdated', 3, 'Charging'], 'an Updated event without evse: the tracker knows it');
      near(u.meter.energyWh, 2000, '2 Wh x 10^3');
      near(u.meter.powerW, 7400, '7.4 kW');
      await cp.call('TransactionEvent', tx('Ended', 2, {
        triggerReason: 'EVCommunicationLost', transactionInfo: { transactionId: 'tx-u2', stoppedReason: 'EVDisconnected' },
        meterValue: [{ timestamp: now(), sampledValue: [energy(3.25, 'kWh', 0)] }],
      }));
      const e = (await unifiedOf(seen, id, 'TransactionEvent', (m) => m.payload.data.eventType === 'Ended')).unified;
      assert.deepStrictEqual([e.event, e.evseId, e.reason], ['TransactionEnded', 3, 'EVDisconnected']);
      near(e.meter.energyWh, 3250, '3.25 kWh');
      await cp.call('MeterValues', { evseId: 3, meterValue: [{ timestamp: now(), sampledValue: [energy(4, 'kWh', 0)] }] });
      const mv = (await unifiedOf(seen, id, 'MeterValues')).unified;
      assert.strictEqual(mv.event, 'MeterValues');
      near(mv.meter.energyWh, 4000, '4 kWh');
      assert.ok(!Number.isNaN(Date.parse((await cp.call('Heartbeat', {})).currentTime)));
      assert.strictEqual(caught.msgs.length, 0, `no errors: ${JSON.stringify(caught.msgs.map((m) => m.error))}`);
    });
  }

  it('answers auto-answered Heartbeats itself; the msg reaches the flow marked answered, server response ignores it', async () => {
    // No answering function: the CS server's station msgs go, as they came, into server response.
    const flow = csFlow(t.port, { autoAnswer: ['Heartbeat'] }, 'return msg.msgId ? msg : null;');
    await loadFlow(NODES, flow);
    const seen = collector(helper.getNode('seen'));
    const caught = collector(helper.getNode('caught'));
    for (const [protocol, id] of [['ocpp1.6', 'AUTO16'], ['ocpp2.0.1', 'AUTO201']]) {
      const cp = station(t.port, id, protocol);
      t.clients.push(cp);
      await cp.connect();
      const hb = await cp.call('Heartbeat', {});
      assert.ok(!Number.isNaN(Date.parse(hb.currentTime)), `the station got its answer: ${JSON.stringify(hb)}`);
      const msg = await unifiedOf(seen, id, 'Heartbeat');
      assert.strictEqual(msg.unified.answered, true);
      assert.strictEqual(msg.unified.event, 'Heartbeat');
    }
    await new Promise((r) => setTimeout(r, 200));
    assert.strictEqual(caught.msgs.length, 0, `server response reports nothing: ${JSON.stringify(caught.msgs.map((m) => m.error))}`);
  });

  it('an answer that cannot be completed gets the station a CALLERROR at once and the flow a node error', async () => {
    const func = "if (!msg.msgId) return null; msg.payload = { status: msg.payload.command === 'Authorize' ? 'Maybe' : 'Accepted' }; return msg;";
    await loadFlow(NODES, csFlow(t.port, { answerTimeout: 60 }, func));
    const caught = collector(helper.getNode('caught'));
    const cp = station(t.port, 'BADANS', 'ocpp1.6');
    t.clients.push(cp);
    await cp.connect();
    const t0 = Date.now();
    await assert.rejects(cp.call('Authorize', { idTag: 'T' }), (err) => {
      assert.strictEqual(err.rpcErrorCode, 'InternalError', `${err.rpcErrorCode}: ${err.message}`);
      return true;
    });
    assert.ok(Date.now() - t0 < 5000, 'at once, not at the answer timeout');
    const error = await caught.next();
    assert.match(error.error.message, /Maybe/);
    assert.match(error.error.message, /Accepted/, 'names what the flow may write instead');
  });

  it('a SOAP 1.6 station gets msg.unified, completed answers and a minted id; an uncompletable answer gets a Fault', async () => {
    const soap = require('soap');
    const wsdl = path.join(path.dirname(require.resolve('node-red-contrib-ocpp/package.json')), 'ocpp', 'OCPP_CentralSystemService_1.6.wsdl');
    const func = "if (!msg.msgId) return null; msg.payload = { status: msg.payload.data.idTag === 'ODD' ? 'Maybe' : 'Accepted' }; return msg;";
    await loadFlow(NODES, csFlow(t.port, { enabled16: true, path16: '/ocpp16s' }, func));
    const seen = collector(helper.getNode('seen'));
    const caught = collector(helper.getNode('caught'));
    const client = await soap.createClientAsync(wsdl, { forceSoap12Headers: true, endpoint: `http://127.0.0.1:${t.port}/ocpp16s` });
    client.addSoapHeader('<chargeBoxIdentity xmlns="urn://Ocpp/Cs/2015/10/">USOAP</chargeBoxIdentity>');
    const [boot] = await client.BootNotificationAsync({ chargePointVendor: 'Vendor', chargePointModel: 'Model' });
    assert.deepStrictEqual([boot.status, Number(boot.interval)], ['Accepted', 300]);
    assert.strictEqual((await unifiedOf(seen, 'USOAP', 'BootNotification')).unified.event, 'BootNotification');
    const [start] = await client.StartTransactionAsync({ connectorId: 2, idTag: 'T', meterStart: 5, timestamp: now() });
    const started = (await unifiedOf(seen, 'USOAP', 'StartTransaction')).unified;
    assert.strictEqual(started.transactionId, String(start.transactionId), `minted: ${JSON.stringify(start)}`);
    assert.strictEqual(start.idTagInfo.status, 'Accepted');
    await client.StopTransactionAsync({ transactionId: start.transactionId, meterStop: 9, timestamp: now() });
    const ended = (await unifiedOf(seen, 'USOAP', 'StopTransaction')).unified;
    assert.deepStrictEqual([ended.event, ended.evseId, ended.transactionId], ['TransactionEnded', 2, String(start.transactionId)]);
    await assert.rejects(client.AuthorizeAsync({ idTag: 'ODD' }), (err) => /Maybe/.test(err.body || err.message));
    assert.match((await caught.next()).error.message, /Maybe/);
  });

  it('a bad autoAnswer or bootInterval is a node error naming the key, and the server does not start', async () => {
    for (const [cs, key] of [[{ autoAnswer: ['StartTransaction'] }, 'autoAnswer'], [{ bootInterval: 0 }, 'Boot interval']]) {
      await loadFlow(NODES, csFlow(t.port, cs));
      const errors = helper.log().args.filter((a) => a[0] && a[0].level === 20).map((a) => String(a[0].msg));
      assert.ok(errors.some((m) => m.includes('CS server not started') && m.includes(key)), `${key}: ${JSON.stringify(errors)}`);
      const cp = station(t.port, 'NOSERVER', 'ocpp1.6');
      await assert.rejects(cp.connect(), 'nothing listens');
      await helper.unload();
    }
  });

  it('a flow of the original package (no unified key) gets no msg.unified and its native answers unchanged', async () => {
    const flow = csFlow(t.port, {}, "if (!msg.msgId) return null; msg.payload = { currentTime: new Date().toISOString() }; return msg;");
    delete flow[1].unified;
    delete flow[1].autoAnswer;
    await loadFlow(NODES, flow);
    const seen = collector(helper.getNode('seen'));
    const cp = station(t.port, 'OLD', 'ocpp1.6');
    t.clients.push(cp);
    await cp.connect();
    await cp.call('Heartbeat', {});
    const msg = await unifiedOf(seen, 'OLD', 'Heartbeat');
    assert.strictEqual(msg.unified, undefined);
  });

  it('keeps the key off in the editor for imported flows without it (Node-RED leaves a missing key undefined)', () => {
    // What the editor does on import (node_modules/@node-red/editor-client, importNodes): a default is applied
    // to a missing key only with applyNodeDefaults, which plain imports and deploys do not set.
    const red = fs.readFileSync(require.resolve('@node-red/editor-client/public/red/red.js'), 'utf8');
    assert.match(red, /if \(applyNodeDefaults && n\[d\] === undefined\)/);
    assert.match(red, /applyNodeDefaults: false,/);
    // The runtime reads a missing key as off; the dialog's checkbox shows undefined unchecked.
    const js = fs.readFileSync(path.join(__dirname, '..', 'nodes', 'ocpp-server.js'), 'utf8');
    assert.match(js, /if \(config\.unified !== true\) return \{ unified: false \};/);
  });

  it('mints 1.6 transaction ids that stay unique across a restart of Node-RED', async () => {
    const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocpp-unified-'));
    const flow = csFlow(t.port).filter((n) => n.type !== 'helper' && n.type !== 'catch');
    flow[1].wires = [['answer'], []];
    const ids = [];
    try {
      for (let round = 0; round < 2; round += 1) {
        const red = await startOurRed(userDir, flow, { editorPort: await freePort() });
        try {
          const cp = station(t.port, `RESTART${round}`, 'ocpp1.6');
          await cp.connect();
          for (let i = 0; i < 3; i += 1) {
            const start = await cp.call('StartTransaction', { connectorId: 1, idTag: 'T', meterStart: 0, timestamp: now() });
            ids.push(start.transactionId);
          }
          await cp.close({ force: true });
        } finally {
          await red.kill();
        }
      }
      assert.strictEqual(new Set(ids).size, ids.length, `unique across a SIGKILL and restart: ${ids}`);
      assert.ok(ids.every(Number.isInteger));
      assert.ok(fs.existsSync(path.join(userDir, 'ocpp-rs', 'transaction-ids')), 'kept under the user directory');
    } finally {
      fs.rmSync(userDir, { recursive: true, force: true });
    }
  });

  it('a flow answering StartTransaction with its own transactionId replaces the minted one (as documented)', async () => {
    const own = "if (!msg.msgId) return null; msg.payload = msg.payload.command === 'StartTransaction' ? { status: 'Accepted', transactionId: 777001 } : { status: 'Accepted' }; return msg;";
    await loadFlow(NODES, csFlow(t.port, {}, own));
    const seen = collector(helper.getNode('seen'));
    const cp = station(t.port, 'OWNID', 'ocpp1.6');
    t.clients.push(cp);
    await cp.connect();
    const start = await cp.call('StartTransaction', { connectorId: 1, idTag: 'T', meterStart: 0, timestamp: now() });
    assert.strictEqual(start.transactionId, 777001, 'the station gets the flow\'s id');
    const started = await unifiedOf(seen, 'OWNID', 'StartTransaction');
    assert.ok(/^\d+$/.test(started.unified.transactionId) && started.unified.transactionId !== '777001', `TransactionStarted named the minted id: ${started.unified.transactionId}`);
    await cp.call('StopTransaction', { transactionId: 777001, meterStop: 10, timestamp: now() });
    const stopped = await unifiedOf(seen, 'OWNID', 'StopTransaction');
    assert.strictEqual(stopped.unified.transactionId, '777001', 'later events carry the flow\'s id');
    assert.strictEqual(stopped.unified.evseId, 1, 'the tracker kept the flow\'s id');
  });

  it('mints 1.6 transaction ids that keep rising when the flow is redeployed under another node id', async () => {
    const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocpp-unified-'));
    const base = csFlow(t.port).filter((n) => n.type !== 'helper' && n.type !== 'catch');
    base[1].wires = [['answer'], []];
    const ids = [];
    try {
      for (const nodeId of ['cs', 'cs-copy']) {
        // The same flow re-imported: the server node has a new id.
        const flow = base.map((n) => (n.id === 'cs' ? { ...n, id: nodeId } : n));
        const red = await startOurRed(userDir, flow, { editorPort: await freePort() });
        try {
          const cp = station(t.port, `NODEID-${nodeId}`, 'ocpp1.6');
          await cp.connect();
          for (let i = 0; i < 3; i += 1) {
            ids.push((await cp.call('StartTransaction', { connectorId: 1, idTag: 'T', meterStart: 0, timestamp: now() })).transactionId);
          }
          await cp.close({ force: true });
        } finally {
          await red.kill();
        }
      }
      assert.ok(ids.every(Number.isInteger), `integers: ${ids}`);
      assert.ok(Math.min(...ids.slice(3)) > Math.max(...ids.slice(0, 3)), `the new node id's ids are higher: ${ids}`);
      assert.ok(fs.existsSync(path.join(userDir, 'ocpp-rs', 'transaction-ids')), 'one file for the user directory');
    } finally {
      fs.rmSync(userDir, { recursive: true, force: true });
    }
  });

  it('migrates the highest mark of the old per-node id files when the shared file does not exist yet', async () => {
    const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocpp-unified-'));
    fs.mkdirSync(path.join(userDir, 'ocpp-rs'));
    fs.writeFileSync(path.join(userDir, 'ocpp-rs', 'transaction-ids-old1'), '700\n');
    fs.writeFileSync(path.join(userDir, 'ocpp-rs', 'transaction-ids-old2'), '4200\n');
    const flow = csFlow(t.port).filter((n) => n.type !== 'helper' && n.type !== 'catch');
    flow[1].wires = [['answer'], []];
    try {
      const red = await startOurRed(userDir, flow, { editorPort: await freePort() });
      try {
        const cp = station(t.port, 'MIGRATE', 'ocpp1.6');
        await cp.connect();
        const start = await cp.call('StartTransaction', { connectorId: 1, idTag: 'T', meterStart: 0, timestamp: now() });
        await cp.close({ force: true });
        assert.ok(start.transactionId > 4200, `above the old files' highest mark: ${start.transactionId}`);
      } finally {
        await red.kill();
      }
    } finally {
      fs.rmSync(userDir, { recursive: true, force: true });
    }
  });

  it('mints 1.6 transaction ids unique across two clustered instances (Redis)', async function () {
    this.timeout(120000);
    const prefix = `u${Date.now().toString(36)}`;
    await withTwoInstances(['ua', 'ub'], 'CL', prefix, async ({ redis, stations }) => {
      const ids = [];
      // Interleaved: both instances mint at the same time.
      await Promise.all(stations.map(async (cp) => {
        for (let i = 0; i < 5; i += 1) {
          ids.push((await cp.call('StartTransaction', { connectorId: 1, idTag: 'T', meterStart: 0, timestamp: now() })).transactionId);
        }
      }));
      assert.strictEqual(ids.length, 10);
      assert.strictEqual(new Set(ids).size, 10, `unique across instances: ${ids}`);
      const reply = await redis.command('GET', `${prefix}:transaction-ids`); // RESP: $<len>\r\n<value>\r\n
      const counter = Number((/\r\n(\d+)\r\n/.exec(reply) || [])[1]);
      assert.ok(counter >= Math.max(...ids), `reserved in Redis (${prefix}:transaction-ids = ${counter})`);
    });
  });

  it('mints 1.6 transaction ids unique across two clustered instances when Redis restarts empty (FLUSHALL)', async function () {
    this.timeout(180000);
    await withTwoInstances(['fa', 'fb'], 'FL', `uf${Date.now().toString(36)}`, async ({ redis, stations }) => {
      const ids = [];
      const mint = async (cp, count) => {
        for (let i = 0; i < count; i += 1) {
          ids.push((await cp.call('StartTransaction', { connectorId: 1, idTag: 'T', meterStart: 0, timestamp: now() })).transactionId);
        }
      };
      // One instance mints little, the other a lot (its blocks are above the first one's mark).
      await mint(stations[0], 1);
      await mint(stations[1], 160);
      await redis.command('FLUSHALL');
      // Enough for the first instance to use up its block and reserve new ones from the empty Redis.
      await mint(stations[0], 150);
      await mint(stations[1], 50);
      const dups = ids.filter((id, i) => ids.indexOf(id) !== i);
      assert.deepStrictEqual(dups, [], `no id twice across a Redis that restarted empty (${ids.length} ids)`);
      assert.ok(ids.every((id) => Number.isInteger(id) && id <= 2147483647));
    });
  });
});

// A Redis and two clustered instances (unified messages on, answering ACCEPT) named `names`,
// each with a connected 1.6 station `<idPrefix>-<instance>`; `body` gets the Redis and the
// stations, and all of it is closed and stopped after it, whatever happens.
async function withTwoInstances(names, idPrefix, prefix, body) {
  const redis = await startRedis(await freePort());
  const instances = [];
  const stations = [];
  try {
    for (const instance of names) {
      instances.push(await startInstance({ csPort: await freePort(), editorPort: await freePort(), redisPort: redis.port, prefix, instance, cs: { unified: true }, answer: ACCEPT }));
    }
    for (const inst of instances) {
      const cp = station(inst.csPort, `${idPrefix}-${inst.instance}`, 'ocpp1.6');
      stations.push(cp);
      await cp.connect();
    }
    await body({ redis, stations });
  } finally {
    for (const cp of stations) await cp.close({ force: true }).catch(() => {});
    for (const inst of instances) {
      await inst.kill();
      inst.cleanup();
    }
    await redis.stop();
  }
}
