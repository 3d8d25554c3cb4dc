'use strict';
// The admin API behind the editor's OCPP sidebar (nodes/lib/admin.js): real
// Node-RED flows, real stations (ocpp-rpc and raw sockets), the API read
// through Node-RED's admin app; and admin auth in a Node-RED process of its own.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { RPCClient } = require('ocpp-rpc');
const { helper, red, core, ours, freePort, loadFlow, sleep, rawStation } = require('./lib/harness');
const { startOurRed } = require('./lib/our-red');

const ANSWER = `
const now = new Date().toISOString();
switch (msg.payload && msg.payload.command) {
  case 'BootNotification': msg.payload = { status: 'Accepted', currentTime: now, interval: 300 }; break;
  case 'Heartbeat': msg.payload = { currentTime: now }; break;
  default: return null;
}
return msg;`;

// Two CS servers, so the list names each station's own.
function flow(port1, port2) {
  return [
    { id: 'tab', type: 'tab', label: 'sidebar' },
    { id: 'cs1', z: 'tab', type: 'CS server', name: 'one', port: String(port1), portType: 'num', enabled16j: true, path16j: '/ocpp', wires: [['answer'], []] },
    { id: 'cs2', z: 'tab', type: 'CS server', name: 'two', port: String(port2), portType: 'num', enabled16j: true, path16j: '/ocpp', json16: false, json201: true, wires: [['answer'], []] },
    { id: 'answer', z: 'tab', type: 'function', func: ANSWER, outputs: 1, wires: [['resp']] },
    { id: 'resp', z: 'tab', type: 'server response' },
  ];
}

const NODES = [ours.server, core.fn];

function station(port, identity, protocol = 'ocpp1.6') {
  return new RPCClient({ endpoint: `ws://127.0.0.1:${port}/ocpp`, identity, protocols: [protocol], strictMode: true, reconnect: false });
}

// Polls `fn` until it returns something truthy (or throws the last reason after `ms`).
async function until(fn, ms = 5000) {
  const end = Date.now() + ms;
  for (;;) {
    let last;
    try {
      const got = await fn();
      if (got) return got;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw last || new Error(`not within ${ms} ms`);
    await sleep(50);
  }
}

const get = async (url) => {
  const res = await helper.request().get(url);
  assert.strictEqual(res.status, 200, `${url}: ${res.status} ${res.text}`);
  return res.body;
};
const stationsById = async () => Object.fromEntries((await get('/ocpp/stations')).map((s) => [s.id, s]));

describe('the OCPP sidebar admin API', function () {
  this.timeout(30000);
  let port1;
  let port2;
  const clients = [];

  beforeEach(async () => {
    port1 = await freePort();
    port2 = await freePort();
    await loadFlow(NODES, flow(port1, port2));
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) {
      try {
        if (c.close) await c.close({ force: true });
        else c.ws.terminate();
      } catch (_) {
        /* gone already */
      }
    }
    await helper.unload();
  });

  it('lists every connected station with its version, server node, since and counters', async () => {
    const started = Date.now();
    const a = station(port1, 'SB-A');
    const b = station(port2, 'SB-B', 'ocpp2.0.1');
    clients.push(a, b);
    await a.connect();
    await b.connect();
    await a.call('BootNotification', { chargePointVendor: 'v', chargePointModel: 'm' });
    await a.call('Heartbeat', {});
    await b.call('BootNotification', { reason: 'PowerUp', chargingStation: { model: 'm', vendorName: 'v' } });
    // A frame the engine refuses counts as an error.
    const raw = await rawStation(`ws://127.0.0.1:${port1}/ocpp/SB-RAW`);
    clients.push(raw);
    assert.strictEqual((await raw.call([2, 'x', 'Heartbeat'])).at(0), 4);

    const list = await until(async () => {
      const l = await get('/ocpp/stations');
      const byId = Object.fromEntries(l.map((s) => [s.id, s]));
      return byId['SB-A'] && byId['SB-A'].last && byId['SB-A'].last.kind === 'CALLRESULT' && byId['SB-RAW'] && byId['SB-RAW'].errors === 2 && l;
    });
    assert.deepStrictEqual(list.map((s) => s.id), ['SB-A', 'SB-B', 'SB-RAW'], 'sorted by id');
    const [sa, sb, sraw] = list;
    assert.strictEqual(sa.version, '1.6j');
    assert.strictEqual(sa.node, 'cs1');
    assert.strictEqual(sb.version, '2.0.1');
    assert.strictEqual(sb.node, 'cs2');
    assert.ok(sa.since >= started - 1000 && sa.since <= Date.now(), `since ${sa.since}`);
    assert.strictEqual(sa.callsIn, 2);
    assert.strictEqual(sa.callsOut, 0);
    assert.strictEqual(sa.errors, 0);
    assert.strictEqual(sa.last.dir, 'out');
    assert.strictEqual(sa.last.action, 'Heartbeat', 'an answer is labelled with the CALL it answers');
    assert.ok(sa.last.at >= sa.since);
    assert.strictEqual(sraw.errors, 2, 'the malformed frame and our CALLERROR for it');
    assert.strictEqual(sraw.callsIn, 0, 'a malformed CALL is no CALL');
    assert.ok(!('instance' in sa), 'no instance field without a cluster');
    assert.strictEqual(sa.recording, false);
    assert.strictEqual(sa.frames, 0, 'no frame is kept while nobody inspects');

    // The versions' actions for the CALL form come from the engine.
    const actions = await get('/ocpp/actions/2.0.1');
    assert.ok(actions.toStation.includes('RequestStartTransaction') && !actions.toStation.includes('BootNotification'));
    assert.ok(actions.fromStation.includes('TransactionEvent'));
    assert.strictEqual((await helper.request().get('/ocpp/actions/9.9')).status, 404);

    // A station that leaves is no longer listed.
    await b.close({ force: true });
    await until(async () => !(await stationsById())['SB-B']);
  });

  it('keeps frames only while inspected: newest first, bounded to 200, stopped on request', async () => {
    const a = station(port1, 'SB-F');
    clients.push(a);
    await a.connect();
    await a.call('BootNotification', { chargePointVendor: 'v', chargePointModel: 'm' });
    assert.strictEqual((await get('/ocpp/stations/SB-F/frames')).recording, false, 'reading the frames (GET) changes nothing');
    const first = (await helper.request().put('/ocpp/stations/SB-F/frames')).body;
    assert.strictEqual(first.recording, true, 'PUT starts recording');
    assert.deepStrictEqual(first.frames, [], 'nothing from before');
    assert.strictEqual(first.limits.frames, 200);

    for (let i = 0; i < 120; i += 1) await a.call('Heartbeat', {});
    const view = await until(async () => {
      const v = await get('/ocpp/stations/SB-F/frames');
      return v.frames.length === 200 && v;
    });
    const seqs = view.frames.map((f) => f.seq);
    assert.deepStrictEqual(seqs, [...seqs].sort((x, y) => y - x), 'newest first');
    assert.strictEqual(seqs[0], 239, '240 frames seen (120 CALLs and their answers), the last 200 kept');
    assert.strictEqual(seqs[199], 40);
    const [newest, before] = view.frames;
    assert.strictEqual(newest.dir, 'out');
    assert.strictEqual(newest.kind, 'CALLRESULT');
    assert.strictEqual(newest.action, 'Heartbeat');
    assert.ok(JSON.parse(newest.text)[2].currentTime);
    assert.strictEqual(before.dir, 'in');
    assert.strictEqual(before.kind, 'CALL');
    assert.deepStrictEqual(JSON.parse(before.text).slice(2), ['Heartbeat', {}]);
    assert.strictEqual(newest.truncated, false);
    assert.strictEqual(newest.size, Buffer.byteLength(newest.text));
    assert.ok(view.ringBytes > 200 * 40 && view.ringBytes < 200 * 400, `ring bytes ${view.ringBytes}`);

    await a.call('Heartbeat', {});
    const newer = await until(async () => {
      const v = await get('/ocpp/stations/SB-F/frames?after=239');
      return v.frames.length === 2 && v;
    });
    assert.deepStrictEqual(newer.frames.map((f) => f.seq), [241, 240], 'only frames after the one given');
    assert.strictEqual((await helper.request().get('/ocpp/stations/SB-F/frames?after=-1')).status, 400);
    assert.strictEqual((await helper.request().get('/ocpp/stations/NOBODY/frames')).status, 404);

    const listed = (await stationsById())['SB-F'];
    assert.strictEqual(listed.recording, true);
    assert.strictEqual(listed.frames, 200);
    assert.strictEqual((await get('/ocpp/inspector')).recording, 1);

    assert.strictEqual((await helper.request().delete('/ocpp/stations/SB-F/frames')).status, 204);
    const stopped = (await stationsById())['SB-F'];
    assert.strictEqual(stopped.recording, false);
    assert.strictEqual(stopped.frames, 0, 'stopping frees the frames');
    const status = await get('/ocpp/inspector');
    assert.strictEqual(status.recording, 0);
    assert.strictEqual(status.totalBytes, 0, 'no ring holds memory');
  });

  it('records every station with the switch on, and none once it is off', async () => {
    const a = station(port1, 'SB-S');
    clients.push(a);
    await a.connect();
    const on = await helper.request().put('/ocpp/inspector').send({ all: true });
    assert.strictEqual(on.status, 200);
    assert.strictEqual(on.body.all, true);
    await a.call('BootNotification', { chargePointVendor: 'v', chargePointModel: 'm' });
    await until(async () => (await stationsById())['SB-S'].frames === 2);
    assert.strictEqual((await helper.request().put('/ocpp/inspector').send({ all: 'yes' })).status, 400);
    const off = await helper.request().put('/ocpp/inspector').send({ all: false });
    assert.strictEqual(off.body.all, false);
    assert.strictEqual(off.body.totalBytes, 0);
    await a.call('Heartbeat', {});
    assert.strictEqual((await stationsById())['SB-S'].frames, 0);
  });

  it('sends a CALL to a station and gives its answer', async () => {
    const a = station(port1, 'SB-C');
    clients.push(a);
    a.handle('Reset', ({ params }) => ({ status: params.type === 'Soft' ? 'Accepted' : 'Rejected' }));
    await a.connect();
    await until(async () => (await stationsById())['SB-C']);
    const res = await helper.request().post('/ocpp/stations/SB-C/call').send({ action: 'Reset', payload: { type: 'Soft' } });
    assert.strictEqual(res.status, 200, res.text);
    assert.deepStrictEqual(res.body.result, { status: 'Accepted' });
    assert.strictEqual(typeof res.body.id, 'string');
    // The station's refusal comes back as its CALLERROR.
    const refused = await helper.request().post('/ocpp/stations/SB-C/call').send({ action: 'Reset', payload: { type: 'Sideways' } });
    assert.strictEqual(refused.status, 200);
    assert.ok(refused.body.callError, refused.text);
    const listed = await until(async () => {
      const s = (await stationsById())['SB-C'];
      return s.callsOut === 2 && s;
    });
    assert.strictEqual(listed.errors, 1);
    // Bad requests say what is wrong; an absent station is an outcome.
    const bad = await helper.request().post('/ocpp/stations/SB-C/call').send({ action: 'Reset', payload: [1] });
    assert.strictEqual(bad.status, 400);
    assert.match(bad.body.error, /payload must be a JSON object/);
    assert.strictEqual((await helper.request().post('/ocpp/stations/SB-C/call').send({ payload: {} })).status, 400);
    const absent = await helper.request().post('/ocpp/stations/NOBODY/call').send({ action: 'Reset', payload: { type: 'Soft' } });
    assert.strictEqual(absent.body.failure, 'NotConnected');
  });

  it('refuses an unknown action with 400 and the version\'s actions; sends one any version has (issue 25)', async () => {
    const a = station(port1, 'SB-U');
    clients.push(a);
    let resets = 0;
    a.handle('Reset', () => {
      resets += 1;
      return { status: 'Accepted' };
    });
    await a.connect();
    await until(async () => (await stationsById())['SB-U']);
    const typo = await helper.request().post('/ocpp/stations/SB-U/call').send({ action: 'Rest', payload: { type: 'Soft' } });
    assert.strictEqual(typo.status, 400, typo.text);
    assert.match(typo.body.error, /unknown action "Rest"/);
    assert.strictEqual(typo.body.version, '1.6j');
    assert.ok(typo.body.actions.includes('Reset') && typo.body.actions.includes('GetConfiguration'), typo.text);
    assert.ok(!typo.body.actions.includes('BootNotification'), 'a station\'s own requests are not offered');
    // Nothing reached the station.
    assert.strictEqual((await stationsById())['SB-U'].callsOut, 0);
    // An action of another version goes on (the station answers it).
    const other = await helper.request().post('/ocpp/stations/SB-U/call').send({ action: 'RequestStartTransaction', payload: { remoteStartId: 1, idToken: { idToken: 'T', type: 'Central' } }, timeout: 5 });
    assert.strictEqual(other.status, 200, other.text);
    const sent = await helper.request().post('/ocpp/stations/SB-U/call').send({ action: 'Reset', payload: { type: 'Soft' } });
    assert.deepStrictEqual(sent.body.result, { status: 'Accepted' });
    assert.strictEqual(resets, 1);
  });

  it("shows a station's effective charge limit (SetChargeLimit's read-back) and sets and clears one through the call endpoint (issue 22)", async () => {
    const a = station(port1, 'SB-L');
    clients.push(a);
    const held = new Map();
    a.handle('GetConfiguration', () => ({ configurationKey: [{ key: 'ChargeProfileMaxStackLevel', readonly: true, value: '3' }] }));
    a.handle('SetChargingProfile', ({ params }) => {
      held.set(params.csChargingProfiles.chargingProfileId, { connectorId: params.connectorId, ...params.csChargingProfiles });
      return { status: 'Accepted' };
    });
    a.handle('ClearChargingProfile', ({ params }) => ({ status: held.delete(params.id) ? 'Accepted' : 'Unknown' }));
    a.handle('GetCompositeSchedule', ({ params }) => {
      const limits = [...held.values()].filter((p) => params.connectorId === 0 || p.connectorId === params.connectorId).map((p) => p.chargingSchedule.chargingSchedulePeriod[0].limit);
      if (!limits.length) return { status: 'Rejected' };
      return { status: 'Accepted', connectorId: params.connectorId, chargingSchedule: { chargingRateUnit: params.chargingRateUnit, chargingSchedulePeriod: [{ startPeriod: 0, limit: Math.min(...limits) }] } };
    });
    await a.connect();
    assert.deepStrictEqual((await until(async () => (await stationsById())['SB-L'])).chargeLimits, [], 'none until one is set');
    const set = await helper.request().post('/ocpp/stations/SB-L/call').send({ action: 'SetChargeLimit', payload: { limit: 16, unit: 'A' } });
    assert.strictEqual(set.status, 200, set.text);
    assert.deepStrictEqual(set.body.result, { status: 'Accepted', purpose: 'ChargePointMaxProfile', chargingProfileId: 1000000001, effectiveLimit: 16, unit: 'A' });
    const shown = (await stationsById())['SB-L'].chargeLimits;
    assert.strictEqual(shown.length, 1, JSON.stringify(shown));
    assert.deepStrictEqual({ ...shown[0], at: 0 }, { evseId: 0, limit: 16, unit: 'A', purpose: 'ChargePointMaxProfile', at: 0 });
    assert.ok(Math.abs(shown[0].at - Date.now()) < 10000);
    const evse = await helper.request().post('/ocpp/stations/SB-L/call').send({ action: 'SetChargeLimit', payload: { limit: 10, evseId: 1 } });
    assert.strictEqual(evse.body.result.effectiveLimit, 10, evse.text);
    assert.deepStrictEqual((await stationsById())['SB-L'].chargeLimits.map((l) => [l.evseId, l.limit]), [[0, 16], [1, 10]]);
    const cleared = await helper.request().post('/ocpp/stations/SB-L/call').send({ action: 'ClearChargeLimit', payload: { evseId: 0 } });
    assert.deepStrictEqual(cleared.body.result, { status: 'Accepted', cleared: [1000000001] });
    assert.deepStrictEqual((await stationsById())['SB-L'].chargeLimits.map((l) => [l.evseId, l.limit]), [[1, 10]], 'EVSE 0 cleared, EVSE 1 kept');
    // The sidebar's inspector offers both commands.
    const sidebar = fs.readFileSync(path.join(__dirname, '..', 'resources', 'sidebar.js'), 'utf8');
    assert.match(sidebar, /send\(state.selected, 'SetChargeLimit', \{ limit, unit: limitUnit.val\(\), evseId \}\)/);
    assert.match(sidebar, /send\(state.selected, 'ClearChargeLimit', \{ evseId \}\)/);
  });

  it('gives the CALL form a template of the action\'s required fields with enum values, and checks a payload (issue 25)', async () => {
    const t16 = await get('/ocpp/actions/1.6j/Reset/template');
    assert.deepStrictEqual(t16.payload, { type: 'Hard' });
    assert.deepStrictEqual(t16.enums, { '/type': ['Hard', 'Soft'] });
    const t201 = await get('/ocpp/actions/2.0.1/RequestStartTransaction/template');
    assert.deepStrictEqual(Object.keys(t201.payload).sort(), ['idToken', 'remoteStartId']);
    assert.ok(t201.enums['/idToken/type'].includes('Central'), JSON.stringify(t201.enums));
    assert.ok(t201.optional.includes('evseId'));
    assert.strictEqual((await helper.request().get('/ocpp/actions/1.6j/Rest/template')).status, 404);
    const ok = await helper.request().post('/ocpp/actions/1.6j/Reset/check').send({ payload: { type: 'Soft' } });
    assert.deepStrictEqual(ok.body, { error: null });
    const bad = await helper.request().post('/ocpp/actions/1.6j/Reset/check').send({ payload: { type: 'Sideways' } });
    assert.match(bad.body.error, /type/);
    assert.match(bad.body.error, /Hard|Soft/);
    // An action the version lacks is not refused here: sending it is (400, above).
    const other = await helper.request().post('/ocpp/actions/1.6j/Rest/check').send({ payload: {} });
    assert.deepStrictEqual(other.body, { error: null, schema: false });
  });

  it('publishes the changed stations over comms, at most once a second, while someone looks', async () => {
    const { events } = require(require.resolve('@node-red/util', { paths: [red] }));
    const published = [];
    const listen = (e) => e.topic === 'ocpp/stations' && published.push({ at: Date.now(), data: e.data });
    events.on('comms', listen);
    try {
      await get('/ocpp/stations');
      const a = station(port1, 'SB-L');
      clients.push(a);
      await a.connect();
      await until(() => published.some((p) => p.data.changed.some((s) => s.id === 'SB-L')), 4000);
      for (let i = 0; i < 30; i += 1) await a.call('Heartbeat', {});
      await a.close({ force: true });
      await until(() => published.some((p) => p.data.gone.includes('SB-L')), 4000);
      const gaps = published.slice(1).map((p, i) => p.at - published[i].at);
      assert.ok(gaps.every((g) => g >= 900), `updates came ${gaps} ms apart`);
      // Once per update: no update names SB-L twice, and its 30 Heartbeats (at most ~1 s apart in
      // updates) never come one update per call.
      for (const p of published) assert.ok(p.data.changed.filter((s) => s.id === 'SB-L').length <= 1, JSON.stringify(p.data));
      const counts = published.flatMap((p) => p.data.changed.filter((s) => s.id === 'SB-L').map((s) => s.callsIn));
      assert.ok(counts.length >= 1, 'SB-L was published');
      assert.ok(counts.every((c, i) => i === 0 || c > counts[i - 1]), `each update carries newer counters: ${counts}`);
      assert.ok(published.length < 30, `${published.length} updates for 30 calls`);
    } finally {
      events.removeListener('comms', listen);
    }
  });
});

describe('the OCPP sidebar admin API under admin auth', function () {
  this.timeout(60000);
  let redProcess;
  let userDir;
  let base;

  before(async () => {
    // startOurRed runs the run's Node-RED (test/lib/node-red.js); bcryptjs from it, else from the repository's.
    const repoRed = path.dirname(require.resolve('node-red/package.json', { paths: [path.join(__dirname, '..')] }));
    const bcrypt = require(require.resolve('bcryptjs', { paths: [require('./lib/node-red').dir, repoRed] }));
    const hash = bcrypt.hashSync('secret', 8);
    const editorPort = await freePort();
    base = `http://127.0.0.1:${editorPort}`;
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocpp-admin-'));
    const settings = `adminAuth: { type: 'credentials', users: [
        { username: 'admin', password: '${hash}', permissions: '*' },
        { username: 'viewer', password: '${hash}', permissions: 'read' } ] },
      ocppInspector: { frames: 5, leaseS: 30 },`;
    redProcess = await startOurRed(userDir, flow(await freePort(), await freePort()), { editorPort, settings });
  });

  after(async () => {
    if (redProcess) await redProcess.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  async function token(username, scope) {
    const res = await fetch(`${base}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope, username, password: 'secret' }),
    });
    assert.strictEqual(res.status, 200, await res.clone().text());
    return (await res.json()).access_token;
  }

  it('answers 401 without a token, reads with a reader\'s, and sends CALLs only with a writer\'s', async () => {
    assert.strictEqual((await fetch(`${base}/ocpp/stations`)).status, 401);
    assert.strictEqual((await fetch(`${base}/ocpp/stations/X/frames`)).status, 401);
    assert.strictEqual((await fetch(`${base}/ocpp/stations/X/call`, { method: 'POST' })).status, 401);
    const viewer = { authorization: `Bearer ${await token('viewer', 'read')}` };
    const list = await fetch(`${base}/ocpp/stations`, { headers: viewer });
    assert.strictEqual(list.status, 200);
    assert.deepStrictEqual(await list.json(), []);
    const inspector = await (await fetch(`${base}/ocpp/inspector`, { headers: viewer })).json();
    assert.deepStrictEqual(inspector.limits, { frames: 5, frameKB: 16, totalMB: 64, leaseS: 30 }, 'limits from settings.js');
    const call = { method: 'POST', body: JSON.stringify({ action: 'Reset', payload: { type: 'Soft' } }) };
    const asViewer = await fetch(`${base}/ocpp/stations/X/call`, { ...call, headers: { ...viewer, 'content-type': 'application/json' } });
    assert.strictEqual(asViewer.status, 401, 'read permission does not send CALLs');
    const admin = { authorization: `Bearer ${await token('admin', '*')}`, 'content-type': 'application/json' };
    const asAdmin = await fetch(`${base}/ocpp/stations/X/call`, { ...call, headers: admin });
    assert.strictEqual(asAdmin.status, 200);
    assert.strictEqual((await asAdmin.json()).failure, 'NotConnected');
  });
});

describe('the OCPP sidebar\'s live updates in a Node-RED process nobody has looked at yet', function () {
  this.timeout(60000);
  // nodes/lib/admin.js: a tick every second, only within a minute of a read of the list.
  const LIVE_EVERY_MS = 1000;
  let redProcess;
  let userDir;
  let comms;

  after(async () => {
    if (comms) comms.terminate();
    if (redProcess) await redProcess.stop();
    if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('publishes nothing while nobody looks, and starts once someone reads the list', async () => {
    const WebSocket = require('ws');
    const editorPort = await freePort();
    const csPort = await freePort();
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocpp-live-'));
    redProcess = await startOurRed(userDir, flow(csPort, await freePort()), { editorPort });
    const base = `http://127.0.0.1:${editorPort}`;
    // What an open editor hears: Node-RED's comms WebSocket, subscribed to the sidebar's topic.
    const published = [];
    comms = new WebSocket(`ws://127.0.0.1:${editorPort}/comms`);
    await new Promise((resolve, reject) => {
      comms.once('open', resolve);
      comms.once('error', reject);
    });
    comms.on('message', (d) => {
      for (const m of [].concat(JSON.parse(String(d)))) if (m.topic === 'ocpp/stations') published.push({ at: Date.now(), data: m.data });
    });
    comms.send(JSON.stringify({ subscribe: 'ocpp/stations' }));
    const a = station(csPort, 'LIVE-1');
    await a.connect();
    await a.call('BootNotification', { chargePointVendor: 'V', chargePointModel: 'M' });
    // Two ticks' time with changes to publish: a running ticker would have sent them.
    for (const end = Date.now() + 2 * LIVE_EVERY_MS; Date.now() < end; ) await a.call('Heartbeat', {});
    assert.deepStrictEqual(published, [], 'nothing published while nobody looks');
    // Someone looks: the next change is published (the later marker that the channel works).
    const looked = Date.now();
    const list = await (await fetch(`${base}/ocpp/stations`)).json();
    assert.ok(list.some((s) => s.id === 'LIVE-1'), JSON.stringify(list));
    await a.call('Heartbeat', {});
    await until(() => published.some((p) => p.data.changed.some((s) => s.id === 'LIVE-1')), 5000);
    assert.ok(published.every((p) => p.at >= looked), 'published only after the look');
    await a.close({ force: true });
  });
});
