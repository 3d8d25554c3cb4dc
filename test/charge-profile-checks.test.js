'use strict';
// Issue 22, item 2: every SetChargingProfile a flow sends through CS request
// JSON is checked before it leaves, strict mode on or off, in OCPP 1.6, 2.0.1
// and 2.1. A profile the station would reject is refused at once with
// msg.ocpp.failure "Invalid" and a message naming the rule and the field, and
// the station (a strict ocpp-rpc client) receives no frame for it. The
// station's own limits count only once its GetConfiguration / GetVariables
// answer has passed through the engine.
const assert = require('assert');
const { helper, core, ours, loadFlow } = require('./lib/harness');
const { strictStation, stationHooks, request } = require('./lib/stations');


const NODES = [ours.server, ours.remoteCs, core.fn, core.catchNode];

function csFlow(port, strict) {
  return [
    { id: 'tab', type: 'tab', label: 'profile checks' },
    {
      id: 'cs', z: 'tab', type: 'CS server', port: String(port), portType: 'num', enabled16j: true, path16j: '/ocpp',
      json16: true, json201: true, json21: true, strict, wires: [[], []],
    },
    { id: 'req', z: 'tab', type: 'CS request JSON', timeout: 5, wires: [['reqOut']] },
    { id: 'reqOut', z: 'tab', type: 'helper' },
    { id: 'catcher', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'tab', type: 'helper' },
  ];
}

// A strict ocpp-rpc station that accepts every profile and tells the limits
// it was given when asked; `profiles` lists the ids of every
// SetChargingProfile frame that reached it (valid or not).
async function station(port, identity, protocol, limits) {
  const cp = strictStation(port, identity, protocol);
  const profiles = [];
  const starts = [];
  cp.on('message', ({ message, outbound }) => {
    if (outbound) return;
    const frame = JSON.parse(String(message));
    if (frame[0] === 2 && /^(Remote|Request)StartTransaction$/.test(frame[2])) {
      const p = frame[3].chargingProfile;
      starts.push(p ? p.chargingProfileId ?? p.id : null);
    }
    if (frame[0] === 2 && frame[2] === 'SetChargingProfile') {
      const p = frame[3].csChargingProfiles || frame[3].chargingProfile;
      profiles.push(Array.isArray(p) ? p[0].chargingProfileId : p.chargingProfileId ?? p.id);
    }
  });
  cp.handle('SetChargingProfile', () => ({ status: 'Accepted' }));
  cp.handle('RemoteStartTransaction', () => ({ status: 'Accepted' }));
  cp.handle('RequestStartTransaction', () => ({ status: 'Accepted' }));
  cp.handle('GetConfiguration', () => ({
    configurationKey: [
      { key: 'ChargeProfileMaxStackLevel', readonly: true, value: String(limits.stack) },
      { key: 'ChargingScheduleMaxPeriods', readonly: true, value: String(limits.periods) },
      { key: 'ChargingScheduleAllowedChargingRateUnit', readonly: true, value: limits.units16 },
    ],
  }));
  cp.handle('GetVariables', ({ params }) => ({
    getVariableResult: params.getVariableData.map((d) => {
      const value = { ProfileStackLevel: String(limits.stack), PeriodsPerSchedule: String(limits.periods), RateUnit: limits.units2 }[d.variable.name];
      return value === undefined
        ? { attributeStatus: 'UnknownVariable', component: d.component, variable: d.variable }
        : { attributeStatus: 'Accepted', attributeValue: value, component: d.component, variable: d.variable };
    }),
  }));
  await cp.connect();
  return { cp, profiles, starts };
}

// One profile in `version`'s shape, with `change` applied to the profile
// (p), its first schedule (s) and its periods.
function profile(version, id, change = () => {}) {
  const periods = [{ startPeriod: 0, limit: 16 }, { startPeriod: 600, limit: 10 }];
  if (version === 'ocpp1.6') {
    const s = { chargingRateUnit: 'A', chargingSchedulePeriod: periods };
    const p = { chargingProfileId: id, stackLevel: 0, chargingProfilePurpose: 'TxDefaultProfile', chargingProfileKind: 'Relative', chargingSchedule: s };
    const payload = { connectorId: 1, csChargingProfiles: p };
    change(p, s, payload);
    return payload;
  }
  const s = { id, chargingRateUnit: 'A', chargingSchedulePeriod: periods };
  const p = { id, stackLevel: 0, chargingProfilePurpose: 'TxDefaultProfile', chargingProfileKind: 'Relative', chargingSchedule: [s] };
  const payload = { evseId: 1, chargingProfile: p };
  change(p, s, payload);
  return payload;
}

// The hand-written mistakes of issue 22 (and of the original package's
// tracker #64), each with the message the engine must give.
function mistakes(version) {
  const v16 = version === 'ocpp1.6';
  const root = v16 ? 'csChargingProfiles' : 'chargingProfile';
  const sched = v16 ? `${root}.chargingSchedule` : `${root}.chargingSchedule[0]`;
  const list = [
    ['first startPeriod 5', (p, s) => { s.chargingSchedulePeriod[0].startPeriod = 5; },
      `K01.FR.31: the first startPeriod must be 0 (${sched}.chargingSchedulePeriod[0].startPeriod is 5)`],
    ['periods out of order', (p, s) => { s.chargingSchedulePeriod.push({ startPeriod: 300, limit: 6 }); },
      `K01.FR.35: each startPeriod must be greater than the one before (${sched}.chargingSchedulePeriod[2].startPeriod is 300, after 600)`],
    ['TxProfile without transactionId', (p) => { p.chargingProfilePurpose = 'TxProfile'; },
      `K01.FR.03: a TxProfile must name its transaction (${root}.transactionId is missing)`],
    ['TxProfile for the whole station', (p, s, payload) => { p.chargingProfilePurpose = 'TxProfile'; p.transactionId = v16 ? 7 : 'tx-7'; payload[v16 ? 'connectorId' : 'evseId'] = 0; },
      `K01.FR.16: a TxProfile applies to one ${v16 ? 'connector' : 'EVSE'} above 0 (${v16 ? 'connectorId' : 'evseId'} is 0); use a TxDefaultProfile for the whole station`],
    ['validFrom after validTo', (p) => { p.validFrom = '2026-12-02T00:00:00Z'; p.validTo = '2026-12-01T00:00:00Z'; },
      `ChargingProfile validity: validFrom must be before validTo (${root}.validFrom is 2026-12-02T00:00:00Z, ${root}.validTo is 2026-12-01T00:00:00Z)`],
    ['Absolute without startSchedule', (p) => { p.chargingProfileKind = 'Absolute'; },
      `K01.FR.40: a profile of kind Absolute needs a startSchedule (${sched}.startSchedule is missing)`],
    ['Recurring without startSchedule', (p) => { p.chargingProfileKind = 'Recurring'; p.recurrencyKind = 'Daily'; },
      `K01.FR.40: a profile of kind Recurring needs a startSchedule (${sched}.startSchedule is missing)`],
  ];
  if (v16) {
    list.push(['csChargingProfiles as an array', (p, s, payload) => { payload.csChargingProfiles = [p]; },
      'OCPP 1.6 §6.43: csChargingProfiles must be one ChargingProfile object, not an array (csChargingProfiles is an array of 1)']);
  }
  return list;
}

const LIMITS = { stack: 3, periods: 2, units16: 'Power', units2: 'W' };

for (const strict of [false, true]) {
  describe(`profile checks before a SetChargingProfile leaves (strict mode ${strict ? 'on' : 'off'})`, function () {
    this.timeout(30000);
    const t = stationHooks();

    async function refused(topic, cbId, data, message, command = 'SetChargingProfile') {
      const r = await request(topic, cbId, command, data);
      assert.ok(r.refused, `${topic}: the profile went out and the station answered ${JSON.stringify(r.answered && r.answered.payload)}`);
      assert.strictEqual(r.refused.ocpp.failure, 'Invalid', topic);
      // The catch node's error.message is the Error's toString().
      assert.strictEqual(r.refused.error.message, `Error: ${message}`, topic);
    }

    async function accepted(topic, cbId, command, data) {
      const r = await request(topic, cbId, command, data);
      assert.ok(r.answered, `${topic}: refused: ${r.refused && r.refused.error.message}`);
      return r.answered.payload.data;
    }

    for (const version of ['ocpp1.6', 'ocpp2.0.1', 'ocpp2.1']) {
      it(`${version}: each rule refuses a hand-written profile, nothing reaches the station, a valid one still goes out`, async () => {
        await loadFlow(NODES, csFlow(t.port, strict));
        const id = `CHK-${version}`;
        const { cp, profiles } = await station(t.port, id, version, LIMITS);
        t.clients.push(cp);
        let n = 100;
        for (const [name, change, message] of mistakes(version)) {
          await refused(name, id, profile(version, ++n, change), message);
        }
        assert.deepStrictEqual(profiles, [], 'no refused profile reached the station');
        const answer = await accepted('valid', id, 'SetChargingProfile', profile(version, 1));
        assert.strictEqual(answer.status, 'Accepted');
        assert.deepStrictEqual(profiles, [1], 'only the valid profile reached the station');
      });

      // Issue 22 (attacker): a profile inside a remote start was never checked.
      // The same rules hold there, except those about a transaction that does
      // not exist yet: F01.FR.09 (a TxProfile) and F01.FR.11 (no transactionId)
      // instead. Native words, and the other version's words translated.
      for (const words of ['ocpp1.6', 'ocpp2.x']) {
        it(`${version}: a profile in a remote start in ${words} words is checked, nothing sent; a valid one goes out`, async () => {
          await loadFlow(NODES, csFlow(t.port, strict));
          const id = `START-${version}-${words}`;
          const { cp, starts } = await station(t.port, id, version, LIMITS);
          t.clients.push(cp);
          const w16 = words === 'ocpp1.6';
          const command = w16 ? 'RemoteStartTransaction' : 'RequestStartTransaction';
          const sent = version === 'ocpp1.6' ? 'RemoteStartTransaction' : 'RequestStartTransaction';
          // In the station's words, whichever words the flow wrote.
          const sched = version === 'ocpp1.6' ? 'chargingProfile.chargingSchedule' : 'chargingProfile.chargingSchedule[0]';
          const start = (pid, change = () => {}) => {
            const { ...payload } = profile(w16 ? 'ocpp1.6' : 'ocpp2.0.1', pid, (p, s) => { p.chargingProfilePurpose = 'TxProfile'; change(p, s); });
            const p = payload.csChargingProfiles || payload.chargingProfile;
            return w16
              ? { idTag: 'T1', connectorId: 1, chargingProfile: p }
              : { idToken: { idToken: 'T1', type: 'ISO14443' }, remoteStartId: pid, evseId: 1, chargingProfile: p };
          };
          await refused('start period 5', id, start(11, (p, s) => { s.chargingSchedulePeriod[0].startPeriod = 5; }),
            `K01.FR.31: the first startPeriod must be 0 (${sched}.chargingSchedulePeriod[0].startPeriod is 5)`, command);
          await refused('start TxDefaultProfile', id, start(12, (p) => { p.chargingProfilePurpose = 'TxDefaultProfile'; }),
            `F01.FR.09: the profile in a ${sent} must be a TxProfile (chargingProfile.chargingProfilePurpose is TxDefaultProfile)`, command);
          await refused('start with transactionId', id, start(13, (p) => { p.transactionId = w16 ? 7 : 'tx-7'; }),
            `F01.FR.11: the profile in a ${sent} must not name a transaction, none exists yet (chargingProfile.transactionId is set)`, command);
          assert.deepStrictEqual(starts, [], 'no refused start reached the station');
          const answer = await accepted('valid start', id, command, start(14));
          assert.strictEqual(answer.status, 'Accepted');
          assert.deepStrictEqual(starts, [14], 'only the valid start reached the station');
        });
      }

      it(`${version}: the station's maxima and units count once its answer was seen`, async () => {
        await loadFlow(NODES, csFlow(t.port, strict));
        const id = `LIM-${version}`;
        const { cp, profiles } = await station(t.port, id, version, LIMITS);
        t.clients.push(cp);
        const v16 = version === 'ocpp1.6';
        const root = v16 ? 'csChargingProfiles' : 'chargingProfile';
        const sched = v16 ? `${root}.chargingSchedule` : `${root}.chargingSchedule[0]`;
        const high = (p) => { p.stackLevel = 9; };
        // Not read yet: the station judges, and this one accepts.
        assert.strictEqual((await accepted('before', id, 'SetChargingProfile', profile(version, 2, high))).status, 'Accepted');
        if (v16) {
          const keys = await accepted('read', id, 'GetConfiguration', { key: ['ChargeProfileMaxStackLevel', 'ChargingScheduleMaxPeriods', 'ChargingScheduleAllowedChargingRateUnit'] });
          assert.strictEqual(keys.configurationKey.length, 3);
        } else {
          const smart = (name) => ({ component: { name: 'SmartChargingCtrlr' }, variable: { name } });
          const vars = await accepted('read', id, 'GetVariables', { getVariableData: ['ProfileStackLevel', 'PeriodsPerSchedule', 'RateUnit'].map(smart) });
          assert.strictEqual(vars.getVariableResult.length, 3);
        }
        const stackKey = v16 ? 'ChargeProfileMaxStackLevel' : 'SmartChargingCtrlr.ProfileStackLevel';
        const periodsKey = v16 ? 'ChargingScheduleMaxPeriods' : 'SmartChargingCtrlr.PeriodsPerSchedule';
        const unitsKey = v16 ? 'ChargingScheduleAllowedChargingRateUnit' : 'SmartChargingCtrlr.RateUnit';
        const inW = (p, s) => { s.chargingRateUnit = 'W'; s.chargingSchedulePeriod = [{ startPeriod: 0, limit: 11000 }, { startPeriod: 60, limit: 7000 }]; };
        await refused('stack', id, profile(version, 3, (p, s) => { inW(p, s); high(p); }),
          `${stackKey}: the stackLevel must be at most 3, the station's maximum (${root}.stackLevel is 9)`);
        await refused('periods', id, profile(version, 4, (p, s) => { inW(p, s); s.chargingSchedulePeriod.push({ startPeriod: 120, limit: 5000 }); }),
          `${periodsKey}: the station takes at most 2 periods per schedule (${sched}.chargingSchedulePeriod has 3)`);
        await refused('unit', id, profile(version, 5),
          `K01.FR.26: the station takes chargingRateUnit W only (${unitsKey}; ${sched}.chargingRateUnit is "A")`);
        const ok = await accepted('within', id, 'SetChargingProfile', profile(version, 6, (p, s) => { inW(p, s); p.stackLevel = 3; }));
        assert.strictEqual(ok.status, 'Accepted');
        assert.deepStrictEqual(profiles, [2, 6], 'the refused profiles never reached the station');
      });
    }
  });
}
