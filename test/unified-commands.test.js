'use strict';
// Issue 21, item 4: CS request JSON takes a command written in OCPP 1.6 words
// or in 2.0.1/2.1 words and sends it to a station of any version, translated
// where the station's version needs it; the answer comes back in the words
// the command was written in, and msg.ocpp.translated says so. The stations
// are ocpp-rpc clients in strict mode (OCA's schemas): a frame in the wrong
// words, or an answer that came back wrong, is refused by them, not by us.
const assert = require('assert');
const { helper, core, ours, freePort, collector, loadFlow, sleep, rawStation } = require('./lib/harness');
const { strictStation, stationHooks, request } = require('./lib/stations');


const NODES = [ours.server, ours.remoteCp, ours.cpJson, core.fn, core.catchNode];

// Native answers, so the flow works whether or not Unified messages is on.
const ANSWER = `
if (!msg.msgId) return null;
const now = new Date().toISOString();
const v2 = /^2\\./.test(msg.ocpp.ocppVersion);
switch (msg.payload.command) {
  case 'BootNotification': msg.payload = { status: 'Accepted', currentTime: now, interval: 300 }; break;
  case 'Heartbeat': msg.payload = { currentTime: now }; break;
  default: msg.payload = {};
}
return msg;`;

function csFlow(port) {
  return [
    { id: 'tab', type: 'tab', label: 'unified commands' },
    {
      id: 'cs', z: 'tab', type: 'CS server', port: String(port), portType: 'num', enabled16j: true, path16j: '/ocpp',
      json16: true, json201: true, json21: true, strict: true, answerTimeout: 5, wires: [['answer'], []],
    },
    { id: 'answer', z: 'tab', type: 'function', func: ANSWER, outputs: 1, wires: [['resp']] },
    { id: 'resp', z: 'tab', type: 'server response' },
    { id: 'req', z: 'tab', type: 'CS request JSON', timeout: 5, wires: [['reqOut']] },
    { id: 'reqOut', z: 'tab', type: 'helper' },
    { id: 'catcher', z: 'tab', type: 'catch', scope: ['req'], uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'tab', type: 'helper' },
  ];
}

const LABEL = { 'ocpp1.6': '1.6j', 'ocpp2.0.1': '2.0.1', 'ocpp2.1': '2.1' };

// A strict station that records every CALL it gets and answers from `answers`
// (action -> payload, or a function of the params).
async function station(port, identity, protocol, answers) {
  const client = strictStation(port, identity, protocol);
  const received = [];
  client.handle(({ method, params }) => {
    received.push({ method, params });
    const answer = answers[method];
    if (answer === undefined) throw Object.assign(new Error(`no answer for ${method} in the test`), { rpcErrorCode: 'NotImplemented' });
    return typeof answer === 'function' ? answer(params) : answer;
  });
  await client.connect();
  return { client, received, identity, protocol };
}

const later = (s) => new Date(Date.now() + s * 1000).toISOString();
const isInt = (v) => Number.isInteger(v);

// Every command of issue 21 item 4 in both words. For each: what a flow writes in
// 1.6 words (v16) and in 2.x words (v2), what each version's station answers, and
// the checks of the frame the other version's station receives and of the answer
// the flow gets back in its own words.
const CASES = [
  {
    name: 'RemoteStartTransaction <-> RequestStartTransaction',
    v16: { action: 'RemoteStartTransaction', data: { idTag: 'TAG-1', connectorId: 1 }, answer: { status: 'Accepted' } },
    v2: { action: 'RequestStartTransaction', data: { idToken: { idToken: 'TAG-2', type: 'ISO14443' }, evseId: 2, remoteStartId: 77 }, answer: { status: 'Accepted' } },
    to2(p) {
      assert.strictEqual(p.idToken.idToken, 'TAG-1');
      assert.strictEqual(p.evseId, 1);
      assert.ok(isInt(p.remoteStartId), 'remoteStartId generated');
    },
    back16: { status: 'Accepted' },
    to16(p) {
      assert.deepStrictEqual(p, { idTag: 'TAG-2', connectorId: 2 });
    },
    back2: { status: 'Accepted' },
  },
  {
    name: 'RemoteStopTransaction <-> RequestStopTransaction',
    v16: { action: 'RemoteStopTransaction', data: { transactionId: 42 }, answer: { status: 'Accepted' } },
    v2: { action: 'RequestStopTransaction', data: { transactionId: '43' }, answer: { status: 'Rejected' } },
    to2: (p) => assert.deepStrictEqual(p, { transactionId: '42' }),
    back16: { status: 'Rejected' },
    to16: (p) => assert.deepStrictEqual(p, { transactionId: 43 }),
    back2: { status: 'Accepted' },
  },
  {
    name: 'Reset Soft <-> OnIdle',
    v16: { action: 'Reset', data: { type: 'Soft' }, answer: { status: 'Accepted' } },
    v2: { action: 'Reset', data: { type: 'OnIdle' }, answer: { status: 'Accepted' } },
    to2: (p) => assert.deepStrictEqual(p, { type: 'OnIdle' }),
    back16: { status: 'Accepted' },
    to16: (p) => assert.deepStrictEqual(p, { type: 'Soft' }),
    back2: { status: 'Accepted' },
  },
  {
    name: 'Reset Hard <-> Immediate',
    v16: { action: 'Reset', data: { type: 'Hard' }, answer: { status: 'Accepted' } },
    v2: { action: 'Reset', data: { type: 'Immediate' }, answer: { status: 'Accepted' } },
    to2: (p) => assert.deepStrictEqual(p, { type: 'Immediate' }),
    back16: { status: 'Accepted' },
    to16: (p) => assert.deepStrictEqual(p, { type: 'Hard' }),
    back2: { status: 'Accepted' },
  },
  {
    name: 'UnlockConnector',
    v16: { action: 'UnlockConnector', data: { connectorId: 2 }, answer: { status: 'Unlocked' } },
    v2: { action: 'UnlockConnector', data: { evseId: 3, connectorId: 1 }, answer: { status: 'Unlocked' } },
    to2: (p) => assert.deepStrictEqual(p, { evseId: 2, connectorId: 1 }),
    back16: { status: 'Unlocked' },
    to16: (p) => assert.deepStrictEqual(p, { connectorId: 3 }),
    back2: { status: 'Unlocked' },
  },
  {
    name: 'ChangeAvailability',
    v16: { action: 'ChangeAvailability', data: { connectorId: 1, type: 'Inoperative' }, answer: { status: 'Scheduled' } },
    v2: { action: 'ChangeAvailability', data: { operationalStatus: 'Operative', evse: { id: 2 } }, answer: { status: 'Accepted' } },
    to2(p) {
      assert.strictEqual(p.operationalStatus, 'Inoperative');
      assert.strictEqual(p.evse.id, 1);
    },
    back16: { status: 'Accepted' },
    to16: (p) => assert.deepStrictEqual(p, { connectorId: 2, type: 'Operative' }),
    back2: { status: 'Scheduled' },
  },
  {
    name: 'TriggerMessage (message names mapped)',
    v16: { action: 'TriggerMessage', data: { requestedMessage: 'DiagnosticsStatusNotification' }, answer: { status: 'Accepted' } },
    v2: { action: 'TriggerMessage', data: { requestedMessage: 'LogStatusNotification' }, answer: { status: 'Accepted' } },
    to2: (p) => assert.deepStrictEqual(p, { requestedMessage: 'LogStatusNotification' }),
    back16: { status: 'Accepted' },
    to16: (p) => assert.deepStrictEqual(p, { requestedMessage: 'DiagnosticsStatusNotification' }),
    back2: { status: 'Accepted' },
  },
  {
    name: 'TriggerMessage StatusNotification for a connector',
    v16: { action: 'TriggerMessage', data: { requestedMessage: 'StatusNotification', connectorId: 2 }, answer: { status: 'Accepted' } },
    v2: { action: 'TriggerMessage', data: { requestedMessage: 'StatusNotification', evse: { id: 2, connectorId: 1 } }, answer: { status: 'Accepted' } },
    to2(p) {
      assert.strictEqual(p.requestedMessage, 'StatusNotification');
      assert.strictEqual(p.evse.id, 2);
    },
    back16: { status: 'Accepted' },
    to16: (p) => assert.deepStrictEqual(p, { requestedMessage: 'StatusNotification', connectorId: 2 }),
    back2: { status: 'Accepted' },
  },
  {
    // The same words in both versions: it goes as it is.
    name: 'ClearCache',
    v16: { action: 'ClearCache', data: {}, answer: { status: 'Accepted' } },
    v2: { action: 'ClearCache', data: {}, answer: { status: 'Accepted' } },
    to2: (p) => assert.deepStrictEqual(p, {}),
    back16: { status: 'Accepted' },
    to16: (p) => assert.deepStrictEqual(p, {}),
    back2: { status: 'Accepted' },
    native: true,
  },
  {
    name: 'ReserveNow',
    v16: { action: 'ReserveNow', data: { connectorId: 1, expiryDate: later(600), idTag: 'TAG-R', reservationId: 5 }, answer: { status: 'Occupied' } },
    v2: { action: 'ReserveNow', data: { id: 6, expiryDateTime: later(600), idToken: { idToken: 'TAG-S', type: 'ISO14443' }, evseId: 2 }, answer: { status: 'Accepted' } },
    to2(p) {
      assert.strictEqual(p.id, 5);
      assert.strictEqual(p.evseId, 1);
      assert.strictEqual(p.idToken.idToken, 'TAG-R');
      assert.ok(p.expiryDateTime);
    },
    back16: { status: 'Accepted' },
    to16(p) {
      assert.strictEqual(p.reservationId, 6);
      assert.strictEqual(p.connectorId, 2);
      assert.strictEqual(p.idTag, 'TAG-S');
      assert.ok(p.expiryDate);
    },
    back2: { status: 'Occupied' },
  },
  {
    name: 'CancelReservation',
    v16: { action: 'CancelReservation', data: { reservationId: 5 }, answer: { status: 'Accepted' } },
    v2: { action: 'CancelReservation', data: { reservationId: 6 }, answer: { status: 'Rejected' } },
    to2: (p) => assert.deepStrictEqual(p, { reservationId: 5 }),
    back16: { status: 'Rejected' },
    to16: (p) => assert.deepStrictEqual(p, { reservationId: 6 }),
    back2: { status: 'Accepted' },
    native: true,
  },
  {
    name: 'GetConfiguration <-> GetVariables (a key with no counterpart comes back in unknownKey)',
    v16: {
      action: 'GetConfiguration', data: { key: ['HeartbeatInterval', 'VendorOnlyKey'] },
      answer: { configurationKey: [{ key: 'HeartbeatInterval', readonly: false, value: '300' }], unknownKey: [] },
    },
    v2: {
      action: 'GetVariables', data: { getVariableData: [{ component: { name: 'OCPPCommCtrlr' }, variable: { name: 'HeartbeatInterval' } }] },
      answer: (p) => ({ getVariableResult: p.getVariableData.map((d) => ({ attributeStatus: 'Accepted', attributeValue: '300', component: d.component, variable: d.variable })) }),
    },
    to2(p) {
      assert.deepStrictEqual(p.getVariableData.map((d) => `${d.component.name}.${d.variable.name}`), ['OCPPCommCtrlr.HeartbeatInterval']);
    },
    back16(data) {
      assert.deepStrictEqual(data.configurationKey.map((k) => [k.key, k.value]), [['HeartbeatInterval', '300']]);
      assert.deepStrictEqual(data.unknownKey, ['VendorOnlyKey']);
    },
    to16: (p) => assert.deepStrictEqual(p, { key: ['HeartbeatInterval'] }),
    back2(data) {
      assert.strictEqual(data.getVariableResult.length, 1);
      const [r] = data.getVariableResult;
      assert.deepStrictEqual([r.attributeStatus, r.attributeValue, r.component.name, r.variable.name], ['Accepted', '300', 'OCPPCommCtrlr', 'HeartbeatInterval']);
    },
  },
  {
    name: 'ChangeConfiguration <-> SetVariables',
    v16: { action: 'ChangeConfiguration', data: { key: 'HeartbeatInterval', value: '600' }, answer: { status: 'RebootRequired' } },
    v2: {
      action: 'SetVariables', data: { setVariableData: [{ attributeValue: '900', component: { name: 'OCPPCommCtrlr' }, variable: { name: 'HeartbeatInterval' } }] },
      answer: (p) => ({ setVariableResult: p.setVariableData.map((d) => ({ attributeStatus: 'RebootRequired', component: d.component, variable: d.variable })) }),
    },
    to2(p) {
      assert.strictEqual(p.setVariableData.length, 1);
      const [d] = p.setVariableData;
      assert.deepStrictEqual([d.attributeValue, d.component.name, d.variable.name], ['600', 'OCPPCommCtrlr', 'HeartbeatInterval']);
    },
    back16: { status: 'RebootRequired' },
    to16: (p) => assert.deepStrictEqual(p, { key: 'HeartbeatInterval', value: '900' }),
    back2(data) {
      const [r] = data.setVariableResult;
      assert.deepStrictEqual([r.attributeStatus, r.component.name, r.variable.name], ['RebootRequired', 'OCPPCommCtrlr', 'HeartbeatInterval']);
    },
  },
  {
    name: 'GetDiagnostics <-> GetLog',
    v16: { action: 'GetDiagnostics', data: { location: 'ftp://logs.example.com/in/' }, answer: { fileName: 'diag-1.log' } },
    v2: { action: 'GetLog', data: { log: { remoteLocation: 'ftp://logs.example.com/in2/' }, logType: 'DiagnosticsLog', requestId: 9 }, answer: { status: 'Accepted', filename: 'diag-2.log' } },
    to2(p) {
      assert.strictEqual(p.log.remoteLocation, 'ftp://logs.example.com/in/');
      assert.strictEqual(p.logType, 'DiagnosticsLog');
      assert.ok(isInt(p.requestId), 'requestId generated');
    },
    back16: { fileName: 'diag-2.log' },
    // OCPP 1.6's security extension has GetLog too, in the same words as 2.x: a 1.6
    // station gets a 2.x GetLog as it is (native), and answers it in kind.
    to16: (p) => assert.deepStrictEqual(p, { log: { remoteLocation: 'ftp://logs.example.com/in2/' }, logType: 'DiagnosticsLog', requestId: 9 }),
    back2: { status: 'Accepted', filename: 'diag-16.log' },
    nativeIn16: true,
  },
  {
    name: 'UpdateFirmware',
    v16: { action: 'UpdateFirmware', data: { location: 'https://fw.example.com/v2.bin', retrieveDate: later(60) }, answer: {} },
    v2: { action: 'UpdateFirmware', data: { requestId: 4, firmware: { location: 'https://fw.example.com/v3.bin', retrieveDateTime: later(60) } }, answer: { status: 'Accepted' } },
    to2(p) {
      assert.strictEqual(p.firmware.location, 'https://fw.example.com/v2.bin');
      assert.ok(p.firmware.retrieveDateTime);
      assert.ok(isInt(p.requestId), 'requestId generated');
    },
    back16: {},
    to16(p) {
      assert.strictEqual(p.location, 'https://fw.example.com/v3.bin');
      assert.ok(p.retrieveDate);
    },
    back2: (data) => assert.strictEqual(data.status, 'Accepted'),
  },
  {
    name: 'SendLocalList',
    v16: {
      action: 'SendLocalList', data: { listVersion: 3, updateType: 'Full', localAuthorizationList: [{ idTag: 'TAG-L', idTagInfo: { status: 'Accepted' } }] },
      answer: { status: 'VersionMismatch' },
    },
    v2: {
      action: 'SendLocalList',
      data: { versionNumber: 4, updateType: 'Differential', localAuthorizationList: [{ idToken: { idToken: 'TAG-M', type: 'ISO14443' }, idTokenInfo: { status: 'Blocked' } }] },
      answer: { status: 'Accepted' },
    },
    to2(p) {
      assert.strictEqual(p.versionNumber, 3);
      assert.strictEqual(p.updateType, 'Full');
      assert.strictEqual(p.localAuthorizationList[0].idToken.idToken, 'TAG-L');
      assert.strictEqual(p.localAuthorizationList[0].idTokenInfo.status, 'Accepted');
    },
    back16: { status: 'Accepted' },
    to16: (p) => assert.deepStrictEqual(p, { listVersion: 4, updateType: 'Differential', localAuthorizationList: [{ idTag: 'TAG-M', idTagInfo: { status: 'Blocked' } }] }),
    back2: { status: 'VersionMismatch' },
  },
  {
    // {} is GetLocalListVersion in both versions: it goes as it is, and so does the answer.
    name: 'GetLocalListVersion',
    v16: { action: 'GetLocalListVersion', data: {}, answer: { listVersion: 3 } },
    v2: { action: 'GetLocalListVersion', data: {}, answer: { versionNumber: 4 } },
    to2: (p) => assert.deepStrictEqual(p, {}),
    back16: { versionNumber: 4 },
    to16: (p) => assert.deepStrictEqual(p, {}),
    back2: { listVersion: 3 },
    native: true,
  },
  {
    name: 'DataTransfer',
    v16: { action: 'DataTransfer', data: { vendorId: 'ocpp-rs', messageId: 'ping', data: 'x' }, answer: { status: 'Accepted', data: 'y' } },
    v2: { action: 'DataTransfer', data: { vendorId: 'ocpp-rs', messageId: 'ping', data: 'z' }, answer: { status: 'UnknownMessageId' } },
    to2: (p) => assert.deepStrictEqual(p, { vendorId: 'ocpp-rs', messageId: 'ping', data: 'x' }),
    back16: { status: 'UnknownMessageId' },
    to16: (p) => assert.deepStrictEqual(p, { vendorId: 'ocpp-rs', messageId: 'ping', data: 'z' }),
    back2: { status: 'Accepted', data: 'y' },
    native: true,
  },
  {
    name: 'SetChargingProfile',
    v16: {
      action: 'SetChargingProfile',
      data: {
        connectorId: 1,
        csChargingProfiles: {
          chargingProfileId: 11, stackLevel: 1, chargingProfilePurpose: 'TxDefaultProfile', chargingProfileKind: 'Relative',
          chargingSchedule: { chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 16 }] },
        },
      },
      answer: { status: 'Accepted' },
    },
    v2: {
      action: 'SetChargingProfile',
      data: {
        evseId: 0,
        chargingProfile: {
          id: 12, stackLevel: 0, chargingProfilePurpose: 'ChargingStationMaxProfile', chargingProfileKind: 'Absolute',
          chargingSchedule: [{ id: 1, startSchedule: '2030-01-01T00:00:00.000Z', chargingRateUnit: 'W', chargingSchedulePeriod: [{ startPeriod: 0, limit: 11000 }] }],
        },
      },
      answer: { status: 'Rejected' },
    },
    to2(p) {
      assert.strictEqual(p.evseId, 1);
      const cp = p.chargingProfile;
      assert.deepStrictEqual([cp.id, cp.stackLevel, cp.chargingProfilePurpose, cp.chargingProfileKind], [11, 1, 'TxDefaultProfile', 'Relative']);
      assert.ok(Array.isArray(cp.chargingSchedule));
      assert.strictEqual(cp.chargingSchedule[0].chargingRateUnit, 'A');
      assert.deepStrictEqual(cp.chargingSchedule[0].chargingSchedulePeriod, [{ startPeriod: 0, limit: 16 }]);
    },
    back16: { status: 'Rejected' },
    to16(p) {
      assert.strictEqual(p.connectorId, 0);
      const cp = p.csChargingProfiles;
      assert.deepStrictEqual([cp.chargingProfileId, cp.stackLevel, cp.chargingProfilePurpose, cp.chargingProfileKind], [12, 0, 'ChargePointMaxProfile', 'Absolute']);
      assert.strictEqual(cp.chargingSchedule.chargingRateUnit, 'W');
      assert.deepStrictEqual(cp.chargingSchedule.chargingSchedulePeriod, [{ startPeriod: 0, limit: 11000 }]);
    },
    back2: { status: 'Accepted' },
  },
  {
    name: 'ClearChargingProfile',
    v16: { action: 'ClearChargingProfile', data: { connectorId: 1, chargingProfilePurpose: 'TxDefaultProfile', stackLevel: 1 }, answer: { status: 'Accepted' } },
    v2: { action: 'ClearChargingProfile', data: { chargingProfileId: 12 }, answer: { status: 'Unknown' } },
    to2(p) {
      assert.strictEqual(p.chargingProfileCriteria.evseId, 1);
      assert.strictEqual(p.chargingProfileCriteria.chargingProfilePurpose, 'TxDefaultProfile');
      assert.strictEqual(p.chargingProfileCriteria.stackLevel, 1);
    },
    back16: { status: 'Unknown' },
    to16: (p) => assert.deepStrictEqual(p, { id: 12 }),
    back2: { status: 'Accepted' },
  },
  {
    name: 'GetCompositeSchedule',
    v16: {
      action: 'GetCompositeSchedule', data: { connectorId: 1, duration: 3600, chargingRateUnit: 'W' },
      answer: { status: 'Accepted', connectorId: 2, scheduleStart: '2030-01-01T00:00:00.000Z', chargingSchedule: { duration: 600, chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 10 }] } },
    },
    v2: {
      action: 'GetCompositeSchedule', data: { evseId: 2, duration: 600, chargingRateUnit: 'A' },
      answer: { status: 'Accepted', schedule: { evseId: 1, duration: 3600, scheduleStart: '2030-01-01T00:00:00.000Z', chargingRateUnit: 'W', chargingSchedulePeriod: [{ startPeriod: 0, limit: 11000 }] } },
    },
    to2: (p) => assert.deepStrictEqual(p, { evseId: 1, duration: 3600, chargingRateUnit: 'W' }),
    back16(data) {
      assert.strictEqual(data.status, 'Accepted');
      assert.strictEqual(data.connectorId, 1);
      assert.strictEqual(data.chargingSchedule.chargingRateUnit, 'W');
      assert.deepStrictEqual(data.chargingSchedule.chargingSchedulePeriod, [{ startPeriod: 0, limit: 11000 }]);
    },
    to16: (p) => assert.deepStrictEqual(p, { connectorId: 2, duration: 600, chargingRateUnit: 'A' }),
    back2(data) {
      assert.strictEqual(data.status, 'Accepted');
      assert.strictEqual(data.schedule.evseId, 2);
      assert.strictEqual(data.schedule.chargingRateUnit, 'A');
      assert.deepStrictEqual(data.schedule.chargingSchedulePeriod, [{ startPeriod: 0, limit: 10 }]);
    },
  },
];

// What a station of each version answers, by action.
const answersOf = (words) => ({
  ...Object.fromEntries(CASES.map((c) => [c[words].action, (p) => {
    const a = c[words].answer;
    return typeof a === 'function' ? a(p) : a;
  }])),
  // A 1.6 station with the security extension.
  ...(words === 'v16' ? { GetLog: { status: 'Accepted', filename: 'diag-16.log' } } : {}),
});

// Sends one command through CS request JSON; resolves with the msg that came
// out (answered) or the one the Catch node got (failed).
async function send(reqOut, caught, cbId, command, data, topic) {
  const { answered, refused } = await request(topic, cbId, command, data, { reqOut, caught });
  return answered || refused;
}

const check = (expected, data, what) => (typeof expected === 'function' ? expected(data) : assert.deepStrictEqual(data, expected, what));

describe('commands in either version\'s words (CS request JSON)', function () {
  this.timeout(60000);
  const t = stationHooks();
  let stations = [];

  // One station per version, each answering in its own words.
  async function fleet() {
    await loadFlow(NODES, csFlow(t.port));
    stations = [
      await station(t.port, 'CMD-16', 'ocpp1.6', answersOf('v16')),
      await station(t.port, 'CMD-201', 'ocpp2.0.1', answersOf('v2')),
      await station(t.port, 'CMD-21', 'ocpp2.1', answersOf('v2')),
    ];
    t.clients.push(...stations.map((s) => s.client));
    return { reqOut: collector(helper.getNode('reqOut')), caught: collector(helper.getNode('caught')) };
  }

  // Runs every case written in `words` against the station of the other version.
  async function crossAll(st, words, { reqOut, caught }) {
    const other = words === 'v16' ? 'v2' : 'v16';
    const toCheck = words === 'v16' ? 'to2' : 'to16';
    const backCheck = words === 'v16' ? 'back16' : 'back2';
    const failures = [];
    for (const [i, c] of CASES.entries()) {
      const cmd = c[words];
      const topic = `${st.identity}-${i}`;
      const before = st.received.length;
      const msg = await send(reqOut, caught, st.identity, cmd.action, cmd.data, topic);
      try {
        assert.ok(!msg.error, `the flow got an error: ${msg.error && msg.error.message}`);
        assert.strictEqual(st.received.length, before + 1, 'one CALL reached the station');
        const got = st.received[before];
        const native = c.native || (words === 'v2' && c.nativeIn16);
        assert.strictEqual(got.method, native ? cmd.action : c[other].action, 'the station\'s action');
        c[toCheck](got.params);
        assert.strictEqual(msg.ocpp.command, cmd.action, 'msg.ocpp.command is the flow\'s');
        assert.strictEqual(msg.ocpp.ocppVersion, LABEL[st.protocol]);
        check(c[backCheck], msg.payload.data, 'the answer in the command\'s words');
        if (native) {
          assert.strictEqual(msg.ocpp.translated, undefined, 'the same in both versions: untouched');
        } else {
          assert.deepStrictEqual(msg.ocpp.translated, { from: cmd.action, to: c[other].action, version: LABEL[st.protocol] });
        }
      } catch (err) {
        failures.push(`${c.name} (${words === 'v16' ? '1.6' : '2.x'} words -> ${st.protocol}): ${err.message}`);
      }
    }
    assert.deepStrictEqual(failures, []);
  }

  it('every command in 1.6 words reaches a 2.0.1 and a 2.1 station in their words; the answer comes back in 1.6 words', async () => {
    const io = await fleet();
    await crossAll(stations[1], 'v16', io);
    await crossAll(stations[2], 'v16', io);
  });

  it('every command in 2.0.1 words reaches a 1.6 station in 1.6 words; the answer comes back in 2.0.1 words', async () => {
    const io = await fleet();
    await crossAll(stations[0], 'v2', io);
  });

  it('a 1.6 RemoteStopTransaction with the string transactionId of msg.unified reaches a 1.6 station as an integer', async () => {
    const { reqOut, caught } = await fleet();
    const msg = await send(reqOut, caught, 'CMD-16', 'RemoteStopTransaction', { transactionId: '42' }, 'stop-16');
    assert.ok(!msg.error, msg.error && msg.error.message);
    assert.deepStrictEqual(stations[0].received.at(-1), { method: 'RemoteStopTransaction', params: { transactionId: 42 } });
    assert.deepStrictEqual(msg.payload.data, { status: 'Accepted' });
    // And the same words to a 2.0.1 station: RequestStopTransaction with the string.
    const msg2 = await send(reqOut, caught, 'CMD-201', 'RemoteStopTransaction', { transactionId: '42' }, 'stop-201');
    assert.ok(!msg2.error, msg2.error && msg2.error.message);
    assert.deepStrictEqual(stations[1].received.at(-1), { method: 'RequestStopTransaction', params: { transactionId: '42' } });
  });

  it("the sidebar's CALL form offers and sends either version's words", async () => {
    await fleet();
    // The action list: the station's version's own, and those of the other version it translates.
    const actions = async (v) => {
      const res = await helper.request().get(`/ocpp/actions/${v}`);
      assert.strictEqual(res.status, 200, res.text);
      return res.body;
    };
    const a201 = await actions('2.0.1');
    assert.ok(a201.toStation.includes('RequestStartTransaction'));
    for (const a of ['RemoteStartTransaction', 'RemoteStopTransaction', 'GetConfiguration', 'ChangeConfiguration', 'GetDiagnostics']) {
      assert.ok(a201.otherWords.includes(a), `2.0.1 offers ${a}: ${a201.otherWords}`);
    }
    assert.ok(!a201.otherWords.includes('BootNotification'), 'only what a Central System sends');
    const a16 = await actions('1.6j');
    for (const a of ['RequestStartTransaction', 'RequestStopTransaction', 'GetVariables', 'SetVariables']) {
      assert.ok(a16.otherWords.includes(a), `1.6 offers ${a}: ${a16.otherWords}`);
    }
    assert.ok(a16.otherWords.every((a) => !a16.toStation.includes(a)), 'no action twice');

    const res = await helper.request().post('/ocpp/stations/CMD-201/call').send({ action: 'RemoteStartTransaction', payload: { idTag: 'SIDEBAR', connectorId: 1 } });
    assert.strictEqual(res.status, 200, res.text);
    assert.deepStrictEqual(res.body.result, { status: 'Accepted' });
    assert.deepStrictEqual(res.body.translated, { from: 'RemoteStartTransaction', to: 'RequestStartTransaction', version: '2.0.1' });
    const got = stations[1].received.at(-1);
    assert.strictEqual(got.method, 'RequestStartTransaction');
    assert.strictEqual(got.params.idToken.idToken, 'SIDEBAR');
    const res16 = await helper.request().post('/ocpp/stations/CMD-16/call').send({ action: 'GetVariables', payload: { getVariableData: [{ component: { name: 'OCPPCommCtrlr' }, variable: { name: 'HeartbeatInterval' } }] } });
    assert.strictEqual(res16.status, 200, res16.text);
    assert.strictEqual(res16.body.result.getVariableResult[0].attributeValue, '300');
    assert.strictEqual(stations[0].received.at(-1).method, 'GetConfiguration');
  });

  it('a native command to a station of its own version goes out byte for byte, and its answer untouched', async () => {
    await loadFlow(NODES, csFlow(t.port));
    const reqOut = collector(helper.getNode('reqOut'));
    const caught = collector(helper.getNode('caught'));
    for (const [protocol, id, command, data, answer] of [
      ['ocpp1.6', 'RAW-16', 'Reset', { type: 'Soft' }, { status: 'Accepted' }],
      ['ocpp1.6', 'RAW-16B', 'GetConfiguration', { key: ['HeartbeatInterval'] }, { configurationKey: [{ key: 'HeartbeatInterval', readonly: false, value: '300' }], unknownKey: ['x'] }],
      ['ocpp2.0.1', 'RAW-201', 'Reset', { type: 'OnIdle', evseId: 1 }, { status: 'Scheduled' }],
      ['ocpp2.1', 'RAW-21', 'RequestStartTransaction', { evseId: 1, remoteStartId: 3, idToken: { idToken: 'T', type: 'Central' } }, { status: 'Accepted' }],
    ]) {
      const raw = await rawStation(`ws://127.0.0.1:${t.port}/ocpp/${id}`, protocol);
      const texts = [];
      raw.ws.on('message', (d) => texts.push(String(d)));
      const call = raw.next();
      helper.getNode('req').receive({ topic: id, payload: { cbId: id, command, data } });
      const frame = await call;
      assert.strictEqual(texts[0], JSON.stringify([2, frame[1], command, data]), 'the frame is the flow\'s command, byte for byte');
      raw.send(JSON.stringify([3, frame[1], answer]));
      const msg = await Promise.race([reqOut.next((m) => m.topic === id), caught.next((m) => m.topic === id)]);
      assert.ok(!msg.error, msg.error && msg.error.message);
      assert.deepStrictEqual(msg.payload.data, answer);
      assert.strictEqual(msg.ocpp.translated, undefined);
      raw.ws.close();
    }
  });

  it('a command that fits neither version is a node error naming both reasons, and nothing is sent', async () => {
    await loadFlow(NODES, csFlow(t.port));
    const reqOut = collector(helper.getNode('reqOut'));
    const caught = collector(helper.getNode('caught'));
    for (const [protocol, id] of [['ocpp1.6', 'NEITHER-16'], ['ocpp2.0.1', 'NEITHER-201']]) {
      const raw = await rawStation(`ws://127.0.0.1:${t.port}/ocpp/${id}`, protocol);
      await sleep(50);
      const started = Date.now();
      helper.getNode('req').receive({ topic: `${id}-bad`, payload: { cbId: id, command: 'Reset', data: { type: 'Sideways' } } });
      const err = await caught.next((m) => m.topic === `${id}-bad`);
      assert.ok(Date.now() - started < 2000, 'at once, not at the 5 s timeout');
      assert.strictEqual(err.ocpp.failure, 'Invalid');
      // Both versions' reasons are named.
      assert.match(err.error.message, /1\.6/);
      assert.match(err.error.message, /2\.0\.1/);
      assert.match(err.error.message, /Sideways|type/);
      // An action neither version has.
      helper.getNode('req').receive({ topic: `${id}-unknown`, payload: { cbId: id, command: 'MakeCoffee', data: {} } });
      const unknown = await caught.next((m) => m.topic === `${id}-unknown`);
      assert.strictEqual(unknown.ocpp.failure, 'Invalid');
      assert.match(unknown.error.message, /MakeCoffee/);
      // The next command is the first frame the station sees: nothing went out before it.
      const next = raw.next();
      helper.getNode('req').receive({ topic: `${id}-ok`, payload: { cbId: id, command: 'ClearCache', data: {} } });
      const frame = await next;
      assert.strictEqual(frame[2], 'ClearCache');
      assert.strictEqual(raw.frames.length, 1, 'nothing was sent for the refused commands');
      raw.send(JSON.stringify([3, frame[1], { status: 'Accepted' }]));
      await reqOut.next((m) => m.topic === `${id}-ok`);
      raw.ws.close();
    }
  });
});

describe('commands in either version\'s words through a cluster', function () {
  this.timeout(120000);
  const { startRedis } = require('./lib/redis');
  const { startInstance, until } = require('./lib/cluster-red');
  let redis;
  let instances = [];
  let client = null;
  before(async () => {
    redis = await startRedis(await freePort());
  });
  after(async () => {
    if (redis) await redis.stop();
  });
  afterEach(async () => {
    if (client) await client.close({ force: true }).catch(() => {});
    client = null;
    for (const i of instances) {
      await i.kill();
      i.cleanup();
    }
    instances = [];
  });

  it('a command in 1.6 words sent from the instance that does not hold a 2.0.1 station is translated where the station is', async () => {
    const prefix = `t${Date.now().toString(36)}`;
    for (const instance of ['A', 'B']) {
      instances.push(await startInstance({ csPort: await freePort(), editorPort: await freePort(), redisPort: redis.port, prefix, instance, strict: true }));
    }
    const [a, b] = instances;
    const received = [];
    client = strictStation(b.csPort, 'FAR-201', 'ocpp2.0.1');
    client.handle(({ method, params }) => {
      received.push({ method, params });
      if (method === 'GetVariables') {
        return { getVariableResult: params.getVariableData.map((d) => ({ attributeStatus: 'Accepted', attributeValue: '120', component: d.component, variable: d.variable })) };
      }
      return { status: 'Accepted' };
    });
    await client.connect();
    await until('FAR-201 listed on A', async () => {
      const r = await a.call('LOCAL_GET_ONLINE_LIST');
      return r.ok && r.payload.online.includes('FAR-201');
    });

    const start = await a.call('RemoteStartTransaction', 'FAR-201', { idTag: 'FAR-TAG', connectorId: 1 });
    assert.strictEqual(start.ok, true, JSON.stringify(start));
    assert.deepStrictEqual(start.payload.data, { status: 'Accepted' });
    assert.strictEqual(start.ocpp.instance, 'B');
    assert.deepStrictEqual(start.ocpp.translated, { from: 'RemoteStartTransaction', to: 'RequestStartTransaction', version: '2.0.1' });
    assert.strictEqual(received[0].method, 'RequestStartTransaction');
    assert.strictEqual(received[0].params.idToken.idToken, 'FAR-TAG');
    assert.strictEqual(received[0].params.evseId, 1);

    const conf = await a.call('GetConfiguration', 'FAR-201', { key: ['HeartbeatInterval'] });
    assert.strictEqual(conf.ok, true, JSON.stringify(conf));
    assert.deepStrictEqual(conf.payload.data.configurationKey.map((k) => [k.key, k.value]), [['HeartbeatInterval', '120']]);
    assert.strictEqual(received[1].method, 'GetVariables');

    // Neither version: refused on the holding instance, nothing sent.
    const bad = await a.call('Reset', 'FAR-201', { type: 'Sideways' });
    assert.strictEqual(bad.ok, false);
    assert.strictEqual(bad.ocpp.failure, 'Invalid');
    assert.match(bad.error, /1\.6/);
    assert.match(bad.error, /2\.0\.1/);
    assert.strictEqual(received.length, 2);
  });
});
