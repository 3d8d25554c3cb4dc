'use strict';
// Issue 22, item 1: SetChargeLimit / ClearChargeLimit through CS request JSON,
// against strict ocpp-rpc stations (1.6, 2.0.1, 2.1) that hold the profiles
// they are given and answer GetCompositeSchedule from them: the limits read
// first, the profile built for the version, the fallback when the station
// refuses its station-wide maximum, one id per (EVSE, purpose), a W-only
// station, and clearing exactly the helper's profiles.
const assert = require('assert');
const { helper, core, ours, freePort, loadFlow } = require('./lib/harness');
const { strictStation, stationHooks, request } = require('./lib/stations');


const NODES = [ours.server, ours.remoteCs, ours.remoteCp, core.fn, core.catchNode];

// Answers the station's transaction messages: a 1.6 StartTransaction gets transactionId 42.
const ANSWER = `
if (!msg.msgId) return null;
switch (msg.payload.command) {
  case 'StartTransaction': msg.payload = { transactionId: 42, idTagInfo: { status: 'Accepted' } }; break;
  case 'TransactionEvent': msg.payload = {}; break;
  default: msg.payload = {};
}
return msg;`;

function csFlow(port, reqConfig = {}) {
  return [
    { id: 'tab', type: 'tab', label: 'charge limit' },
    {
      id: 'cs', z: 'tab', type: 'CS server', port: String(port), portType: 'num', enabled16j: true, path16j: '/ocpp',
      json16: true, json201: true, json21: true, strict: true, wires: [['answer'], []],
    },
    { id: 'answer', z: 'tab', type: 'function', func: ANSWER, outputs: 1, wires: [['resp']] },
    { id: 'resp', z: 'tab', type: 'server response' },
    { id: 'req', z: 'tab', type: 'CS request JSON', timeout: 5, ...reqConfig, wires: [['reqOut']] },
    { id: 'reqOut', z: 'tab', type: 'helper' },
    { id: 'catcher', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'tab', type: 'helper' },
  ];
}

// A station that keeps the profiles it accepts (by id) and answers
// GetCompositeSchedule with the lowest limit among them; `refuse` lists the
// purposes it rejects; `calls` every CALL it received, in order.
async function station(port, identity, protocol, { units = 'A,W', refuse = [] } = {}) {
  const v16 = protocol === 'ocpp1.6';
  const cp = strictStation(port, identity, protocol);
  const held = new Map();
  const calls = [];
  cp.on('message', ({ message, outbound }) => {
    const frame = JSON.parse(String(message));
    if (!outbound && frame[0] === 2) calls.push({ action: frame[2], params: frame[3] });
  });
  cp.handle('GetConfiguration', () => ({
    configurationKey: [
      { key: 'ChargeProfileMaxStackLevel', readonly: true, value: '5' },
      { key: 'ChargingScheduleMaxPeriods', readonly: true, value: '24' },
      { key: 'ChargingScheduleAllowedChargingRateUnit', readonly: true, value: units.replace('A', 'Current').replace('W', 'Power') },
    ],
  }));
  cp.handle('GetVariables', ({ params }) => ({
    getVariableResult: params.getVariableData.map((d) => ({
      attributeStatus: 'Accepted', component: d.component, variable: d.variable,
      attributeValue: { ProfileStackLevel: '5', PeriodsPerSchedule: '24', RateUnit: units }[d.variable.name],
    })),
  }));
  cp.handle('SetChargingProfile', ({ params }) => {
    const p = v16 ? params.csChargingProfiles : params.chargingProfile;
    if (refuse.includes(p.chargingProfilePurpose)) {
      return v16 ? { status: 'Rejected' } : { status: 'Rejected', statusInfo: { reasonCode: 'UnsupportedPurpose' } };
    }
    held.set(v16 ? p.chargingProfileId : p.id, p);
    return { status: 'Accepted' };
  });
  cp.handle('ClearChargingProfile', ({ params }) => {
    const id = v16 ? params.id : params.chargingProfileId;
    return { status: held.delete(id) ? 'Accepted' : 'Unknown' };
  });
  cp.handle('GetCompositeSchedule', ({ params }) => {
    const limits = [...held.values()].map((p) => {
      const s = v16 ? p.chargingSchedule : p.chargingSchedule[0];
      return s.chargingSchedulePeriod[0].limit;
    });
    if (!limits.length) return { status: 'Rejected' };
    const schedule = { chargingRateUnit: params.chargingRateUnit, chargingSchedulePeriod: [{ startPeriod: 0, limit: Math.min(...limits) }] };
    return v16
      ? { status: 'Accepted', connectorId: params.connectorId, scheduleStart: new Date().toISOString(), chargingSchedule: schedule }
      : { status: 'Accepted', schedule: { evseId: params.evseId, duration: params.duration, scheduleStart: new Date().toISOString(), ...schedule } };
  });
  await cp.connect();
  return { cp, held, calls };
}

// Sends a command through CS request JSON; resolves with the answer's data, or
// rejects with the refusal the Catch node got.
async function send(topic, cbId, command, data) {
  const { answered, refused } = await request(topic, cbId, command, data, { ms: 15000 });
  if (refused) throw new Error(`${topic} failed: ${refused.error.message}`);
  return answered.payload.data;
}

describe('SetChargeLimit / ClearChargeLimit (CS request JSON)', function () {
  this.timeout(30000);
  const t = stationHooks();

  for (const version of ['ocpp1.6', 'ocpp2.0.1', 'ocpp2.1']) {
    const v16 = version === 'ocpp1.6';
    const maxName = v16 ? 'ChargePointMaxProfile' : 'ChargingStationMaxProfile';

    it(`${version}: the station maximum, read back; a repeated limit reuses its id; clearing removes it`, async () => {
      await loadFlow(NODES, csFlow(t.port));
      const id = `LIMIT-${version}`;
      const { cp, held, calls } = await station(t.port, id, version);
      t.clients.push(cp);
      const first = await send('16A', id, 'SetChargeLimit', { limit: 16, unit: 'A' });
      assert.deepStrictEqual(first, { status: 'Accepted', purpose: maxName, chargingProfileId: 1000000001, effectiveLimit: 16, unit: 'A' });
      assert.deepStrictEqual(calls.map((c) => c.action), [v16 ? 'GetConfiguration' : 'GetVariables', 'SetChargingProfile', 'GetCompositeSchedule']);
      const second = await send('6A', id, 'SetChargeLimit', { limit: 6, unit: 'A', evseId: 0 });
      assert.strictEqual(second.chargingProfileId, 1000000001, 'the same id: the station replaced the profile');
      assert.strictEqual(second.effectiveLimit, 6);
      assert.strictEqual(held.size, 1, 'profiles do not pile up');
      assert.strictEqual(calls.filter((c) => /^Get(Configuration|Variables)$/.test(c.action)).length, 1, 'limits read once per connection');
      const cleared = await send('clear', id, 'ClearChargeLimit', { evseId: 0 });
      assert.deepStrictEqual(cleared, { status: 'Accepted', cleared: [1000000001] });
      assert.strictEqual(held.size, 0);
      await send('null', id, 'SetChargeLimit', { limit: 16 });
      assert.deepStrictEqual(await send('null-clear', id, 'SetChargeLimit', { limit: null }), { status: 'Accepted', cleared: [1000000001] });
    });

    it(`${version}: a station that refuses the station maximum gets a TxDefaultProfile on 0`, async () => {
      await loadFlow(NODES, csFlow(t.port));
      const id = `FALLBACK-${version}`;
      const { cp, held } = await station(t.port, id, version, { refuse: [maxName] });
      t.clients.push(cp);
      const answer = await send('fallback', id, 'SetChargeLimit', { limit: 10, unit: 'A' });
      assert.deepStrictEqual(answer, { status: 'Accepted', purpose: 'TxDefaultProfile', chargingProfileId: 1000000002, effectiveLimit: 10, unit: 'A' });
      assert.deepStrictEqual([...held.keys()], [1000000002]);
      const refusedAll = await station(t.port, `REFUSE-${version}`, version, { refuse: [maxName, 'TxDefaultProfile'] });
      t.clients.push(refusedAll.cp);
      const rejected = await send('rejected', `REFUSE-${version}`, 'SetChargeLimit', { limit: 10, unit: 'A' });
      assert.strictEqual(rejected.status, 'Rejected');
      assert.deepStrictEqual(rejected.reasons.map((r) => r.purpose), [maxName, 'TxDefaultProfile']);
      if (!v16) assert.strictEqual(rejected.reasons[0].statusInfo.reasonCode, 'UnsupportedPurpose', "the station's own reasons");
    });

    it(`${version}: an EVSE with a transaction running gets a TxProfile carrying its id; a hand-written one naming another is refused`, async () => {
      await loadFlow(NODES, csFlow(t.port));
      const id = `TX-${version}`;
      const { cp, held, calls } = await station(t.port, id, version);
      t.clients.push(cp);
      const now = new Date().toISOString();
      if (v16) {
        const started = await cp.call('StartTransaction', { connectorId: 1, idTag: 'TAG1', meterStart: 0, timestamp: now });
        assert.strictEqual(started.transactionId, 42);
      } else {
        await cp.call('TransactionEvent', {
          eventType: 'Started', timestamp: now, triggerReason: 'Authorized', seqNo: 0,
          transactionInfo: { transactionId: 'tx-201' }, idToken: { idToken: 'TAG1', type: 'ISO14443' }, evse: { id: 1, connectorId: 1 },
        });
      }
      const answer = await send('tx', id, 'SetChargeLimit', { limit: 10, unit: 'A', evseId: 1 });
      assert.deepStrictEqual(answer, { status: 'Accepted', purpose: 'TxProfile', chargingProfileId: 1000000013, effectiveLimit: 10, unit: 'A' });
      assert.strictEqual(held.get(1000000013).transactionId, v16 ? 42 : 'tx-201');
      // A hand-written TxProfile naming another transaction on that EVSE never leaves.
      const before = calls.length;
      const other = v16
        ? { connectorId: 1, csChargingProfiles: { chargingProfileId: 9, transactionId: 41, stackLevel: 0, chargingProfilePurpose: 'TxProfile', chargingProfileKind: 'Relative', chargingSchedule: { chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 6 }] } } }
        : { evseId: 1, chargingProfile: { id: 9, transactionId: 'tx-other', stackLevel: 0, chargingProfilePurpose: 'TxProfile', chargingProfileKind: 'Relative', chargingSchedule: [{ id: 9, chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 6 }] }] } };
      await assert.rejects(send('other-tx', id, 'SetChargingProfile', other), (err) => {
        const [txOther, running, field] = v16 ? ['41', '42', 'connectorId'] : ['tx-other', 'tx-201', 'evseId'];
        assert.strictEqual(err.message, `other-tx failed: Error: K01.FR.33: transaction ${txOther} is not the one running on ${field} 1, ${running} is (${v16 ? 'csChargingProfiles' : 'chargingProfile'}.transactionId is ${txOther})`);
        return true;
      });
      assert.strictEqual(calls.length, before, 'nothing was sent');
    });

    it(`${version}: a station that takes W only gets the limit in W; one EVSE without a transaction gets its TxDefaultProfile`, async () => {
      await loadFlow(NODES, csFlow(t.port));
      const id = `WATTS-${version}`;
      const { cp, held } = await station(t.port, id, version, { units: 'W' });
      t.clients.push(cp);
      const answer = await send('watts', id, 'SetChargeLimit', { limit: 16, unit: 'A', evseId: 1 });
      assert.deepStrictEqual(answer, { status: 'Accepted', purpose: 'TxDefaultProfile', chargingProfileId: 1000000012, effectiveLimit: 11040, unit: 'W' });
      const p = held.get(1000000012);
      const s = v16 ? p.chargingSchedule : p.chargingSchedule[0];
      assert.strictEqual(s.chargingRateUnit, 'W');
      assert.strictEqual(p.stackLevel, 5, "the station's maximum stack level");
    });
  }
});

describe("SetChargeLimit: the node's A ↔ W settings (limitVoltage, limitPhases)", function () {
  this.timeout(30000);
  const t = stationHooks();

  for (const version of ['ocpp1.6', 'ocpp2.0.1']) {
    it(`${version}: a W-only station gets limit × the node's voltage × phases; a msg's voltage/phases still override`, async () => {
      await loadFlow(NODES, csFlow(t.port, { limitVoltage: 120, limitPhases: 1 }));
      const id = `NODE-WATTS-${version}`;
      const { cp, held } = await station(t.port, id, version, { units: 'W' });
      t.clients.push(cp);
      const answer = await send('node-settings', id, 'SetChargeLimit', { limit: 16, unit: 'A', evseId: 1 });
      assert.deepStrictEqual(answer, { status: 'Accepted', purpose: 'TxDefaultProfile', chargingProfileId: 1000000012, effectiveLimit: 1920, unit: 'W' }, '16 A × 120 V × 1 phase');
      const p = held.get(1000000012);
      assert.strictEqual((version === 'ocpp1.6' ? p.chargingSchedule : p.chargingSchedule[0]).chargingSchedulePeriod[0].limit, 1920);
      const over = await send('msg-settings', id, 'SetChargeLimit', { limit: 16, unit: 'A', evseId: 1, voltage: 230, phases: 2 });
      assert.strictEqual(over.effectiveLimit, 7360, "16 A × 230 V × 2 phases: the msg's values win");
    });
  }

  it('a bad setting is a node error naming the key, and nothing is sent', async () => {
    await loadFlow(NODES, csFlow(t.port, { limitVoltage: 230, limitPhases: 4 }));
    const id = 'BAD-PHASES';
    const { cp, calls } = await station(t.port, id, 'ocpp1.6', { units: 'W' });
    t.clients.push(cp);
    await assert.rejects(send('bad', id, 'SetChargeLimit', { limit: 16, unit: 'A' }), /limitPhases/);
    await helper.unload();
    await loadFlow(NODES, csFlow(t.port, { limitVoltage: 'mains', limitPhases: 3 }));
    const again = await station(t.port, 'BAD-VOLTS', 'ocpp1.6', { units: 'W' });
    t.clients.push(again.cp);
    await assert.rejects(send('bad-volts', 'BAD-VOLTS', 'SetChargeLimit', { limit: 16, unit: 'A' }), /limitVoltage/);
    assert.strictEqual(calls.length + again.calls.length, 0, 'nothing was sent');
  });
});

describe('SetChargeLimit in a cluster', function () {
  this.timeout(120000);
  const { startRedis } = require('./lib/redis');
  const { startInstance, until } = require('./lib/cluster-red');
  let redis;
  let instances = [];
  let client;
  before(async () => {
    redis = await startRedis(await freePort());
  });
  after(async () => {
    if (client) await client.close({ force: true }).catch(() => {});
    for (const i of instances) {
      await i.kill();
      i.cleanup();
    }
    if (redis) await redis.stop();
  });

  it('runs on the instance holding the station when sent from the other one; the profile checks run there too', async () => {
    const prefix = `cl${Date.now().toString(36)}`;
    for (const instance of ['A', 'B']) {
      instances.push(await startInstance({ csPort: await freePort(), editorPort: await freePort(), redisPort: redis.port, prefix, instance }));
    }
    const [a, b] = instances;
    const s = await station(b.csPort, 'HELD-BY-B', 'ocpp1.6');
    client = s.cp;
    await until('B holds the station, as A sees', async () => {
      const r = await a.call('LOCAL_GET_ONLINE_LIST');
      return r.ok && r.payload.online.includes('HELD-BY-B');
    });
    const set = await a.call('SetChargeLimit', 'HELD-BY-B', { limit: 16, unit: 'A' });
    assert.strictEqual(set.ok, true, JSON.stringify(set));
    assert.deepStrictEqual(set.payload.data, { status: 'Accepted', purpose: 'ChargePointMaxProfile', chargingProfileId: 1000000001, effectiveLimit: 16, unit: 'A' });
    assert.strictEqual(set.ocpp.instance, 'B');
    assert.deepStrictEqual([...s.held.keys()], [1000000001]);
    const bad = profile16WithStart(5);
    const refused = await a.call('SetChargingProfile', 'HELD-BY-B', bad);
    assert.strictEqual(refused.ok, false, JSON.stringify(refused));
    assert.strictEqual(refused.ocpp.failure, 'Invalid');
    assert.match(refused.error, /^Error: K01\.FR\.31: the first startPeriod must be 0 \(csChargingProfiles\.chargingSchedule\.chargingSchedulePeriod\[0\]\.startPeriod is 5\)$/);
    assert.strictEqual(s.calls.filter((c) => c.action === 'SetChargingProfile').length, 1, 'the refused profile never reached the station');
    const cleared = await a.call('ClearChargeLimit', 'HELD-BY-B', {});
    assert.deepStrictEqual(cleared.payload.data, { status: 'Accepted', cleared: [1000000001] });
  });
});

function profile16WithStart(start) {
  return {
    connectorId: 1,
    csChargingProfiles: {
      chargingProfileId: 5, stackLevel: 0, chargingProfilePurpose: 'TxDefaultProfile', chargingProfileKind: 'Relative',
      chargingSchedule: { chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: start, limit: 16 }] },
    },
  };
}
