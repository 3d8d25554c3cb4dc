'use strict';
// End to end: real Node-RED flows with our CS server, real sockets, and a
// station nobody here wrote (ocpp-rpc in strict mode, the official 1.6 schemas).
const assert = require('assert');
const WebSocket = require('ws');
const { RPCClient, createRPCError } = require('ocpp-rpc');
const { helper, core, ours, freePort, collector, loadFlow, sleep, until, rawStation, refusedWith } = require('./lib/harness');

const ANSWER_FN = `
if (!msg.payload || !msg.payload.command) return null;
const now = new Date().toISOString();
switch (msg.payload.command) {
  case 'BootNotification': msg.payload = { status: 'Accepted', currentTime: now, interval: 300 }; break;
  case 'Heartbeat': msg.payload = { currentTime: now }; break;
  case 'Authorize': msg.payload = { idTagInfo: { status: 'Accepted' } }; break;
  case 'StartTransaction': msg.payload = { transactionId: 42, idTagInfo: { status: 'Accepted' } }; break;
  case 'StopTransaction': msg.payload = { idTagInfo: { status: 'Accepted' } }; break;
  case 'DataTransfer': msg.payload = { status: 'Accepted', data: 'echo:' + msg.payload.data.data }; break;
  case 'StatusNotification': case 'MeterValues': msg.payload = {}; break;
  default: msg.payload = { msgType: 4, ErrorCode: 'NotImplemented', ErrorDescription: 'this flow does not handle ' + msg.payload.command };
}
return msg;`;

// Every node on one tab, as in the editor (catch nodes need a tab).
function onTab(nodes) {
  return [{ id: 'tab', type: 'tab', label: 'test' }, ...nodes.map((n) => (n.type.startsWith('ocpp-remote') ? n : { z: 'tab', ...n }))];
}

function csFlow(port, extra = {}) {
  return onTab([
    { id: 'cs', type: 'CS server', name: 'CS', port: String(port), portType: 'num', enabled15: false, path15: '', enabled16: false, path16: '', enabled16j: true, path16j: '/ocpp', log: false, pathlog: '', pingInterval: 30, answerTimeout: extra.answerTimeout || 60, wires: [['answer', 'out1'], extra.wire2 ? ['out2'] : []] },
    { id: 'answer', type: 'function', func: ANSWER_FN, outputs: 1, wires: [['resp']] },
    { id: 'resp', type: 'server response', name: '' },
    { id: 'out1', type: 'helper' },
    { id: 'out2', type: 'helper' },
    { id: 'rcp', type: 'ocpp-remotej-cp', cbId: 'CP-A', name: '', ocppver: '1.6j' },
    { id: 'req', type: 'CS request JSON', remotecb: 'rcp', command: '', cmddata: '', timeout: extra.timeout || 5, wires: [['reqOut']] },
    { id: 'reqOut', type: 'helper' },
    { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper' },
  ]);
}

const NODES = [ours.server, ours.remoteCp, core.fn, core.catchNode];

function station(port, identity, opts = {}) {
  return new RPCClient({
    endpoint: `ws://127.0.0.1:${port}/ocpp`,
    identity,
    protocols: ['ocpp1.6'],
    strictMode: true,
    reconnect: false,
    ...opts,
  });
}

// A raw WebSocket for frames no well-behaved client would send.
const rawSocket = (port, id) => rawStation(`ws://127.0.0.1:${port}/ocpp/${id}`);

describe('CS server (OCPP-J 1.6) in a Node-RED flow', function () {
  this.timeout(20000);
  let port;
  const clients = [];

  beforeEach(async () => {
    port = await freePort();
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) {
      try {
        await c.close({ force: true });
      } catch (_) {
        /* already closed */
      }
    }
    await helper.unload();
  });

  it('runs a whole charging session from a strict OCPP 1.6J station through the flow', async () => {
    await loadFlow(NODES, csFlow(port));
    const out1 = collector(helper.getNode('out1'));
    const cp = station(port, 'CP-A');
    clients.push(cp);
    await cp.connect();
    const online = await out1.next((m) => m.ocpp && m.ocpp.websocket === 'ONLINE');
    assert.deepStrictEqual(online.ocpp, { websocket: 'ONLINE', chargeBoxIdentity: 'CP-A', ocppVersion: '1.6j' });

    const boot = await cp.call('BootNotification', { chargePointVendor: 'Vendor', chargePointModel: 'Model' });
    assert.strictEqual(boot.status, 'Accepted');
    assert.strictEqual(boot.interval, 300);
    const hb = await cp.call('Heartbeat', {});
    assert.ok(!Number.isNaN(Date.parse(hb.currentTime)));
    assert.strictEqual((await cp.call('Authorize', { idTag: 'TAG1' })).idTagInfo.status, 'Accepted');
    await cp.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Preparing' });
    const start = await cp.call('StartTransaction', { connectorId: 1, idTag: 'TAG1', meterStart: 0, timestamp: new Date().toISOString() });
    assert.strictEqual(start.transactionId, 42);
    await cp.call('MeterValues', {
      connectorId: 1,
      transactionId: 42,
      meterValue: [{ timestamp: new Date().toISOString(), sampledValue: [{ value: '1200', measurand: 'Energy.Active.Import.Register', unit: 'Wh' }] }],
    });
    const stop = await cp.call('StopTransaction', { transactionId: 42, meterStop: 1200, timestamp: new Date().toISOString(), idTag: 'TAG1' });
    assert.strictEqual(stop.idTagInfo.status, 'Accepted');
    const dt = await cp.call('DataTransfer', { vendorId: 'acme', data: 'ping' });
    assert.deepStrictEqual(dt, { status: 'Accepted', data: 'echo:ping' });

    const bootMsg = out1.msgs.find((m) => m.ocpp && m.ocpp.command === 'BootNotification');
    assert.strictEqual(typeof bootMsg.msgId, 'string');
    assert.strictEqual(bootMsg.ocpp.ocppVersion, '1.6j');
    assert.strictEqual(bootMsg.ocpp.msgType, 2);
    assert.strictEqual(bootMsg.ocpp.chargeBoxIdentity, 'CP-A');
    assert.deepStrictEqual(bootMsg.payload, { command: 'BootNotification', data: { chargePointVendor: 'Vendor', chargePointModel: 'Model' } });
    const calls = out1.msgs.filter((m) => m.msgId);
    assert.strictEqual(new Set(calls.map((m) => m.msgId)).size, calls.length, 'every CALL gets its own msgId');
    // That every msg is a fresh object is checked below, on one wire: here
    // out1 is the second wire, so Node-RED hands it clones anyway.
  });

  it('sends every msg as a fresh object: a flow changing one msg changes no other (one wire, no clones by Node-RED)', async () => {
    // Output 1 has ONE wire, so Node-RED passes the node's own objects on;
    // the function changes the first CALL's msg in place, deep down, and
    // passes every msg on unchanged otherwise (a function's returned msg is not cloned).
    const flow = onTab([
      { id: 'cs', type: 'CS server', port: String(port), portType: 'num', enabled16j: true, path16j: '/ocpp', wires: [['mutate'], []] },
      {
        id: 'mutate', type: 'function', outputs: 1, wires: [['out1']],
        func: `if (msg.ocpp && msg.ocpp.MessageId === 'same-0') {
  msg.ocpp.chargeBoxIdentity = 'MUTATED';
  msg.ocpp.extra = 'MUTATED';
  msg.payload.data.meterValue[0].sampledValue[0].value = 'MUTATED';
  msg.payload.data.meterValue.push('MUTATED');
  msg.payload.extra = 'MUTATED';
}
return msg;`,
      },
      { id: 'out1', type: 'helper' },
    ]);
    await loadFlow(NODES, flow);
    const out1 = collector(helper.getNode('out1'));
    const raw = await rawSocket(port, 'FRESH-CP');
    await out1.next((m) => m.ocpp && m.ocpp.websocket === 'ONLINE');
    // Five identical CALLs (but their ids) in one TCP write, so the engine
    // reads them at once and hands them to the node in one batch.
    const payload = { connectorId: 1, meterValue: [{ timestamp: '2025-01-01T00:00:00Z', sampledValue: [{ value: '10', unit: 'Wh' }] }] };
    raw.ws._socket.cork();
    for (let i = 0; i < 5; i++) raw.send(JSON.stringify([2, `same-${i}`, 'MeterValues', payload]));
    raw.ws._socket.uncork();
    await out1.next((m) => m.ocpp && m.ocpp.MessageId === 'same-4');
    const calls = out1.msgs.filter((m) => m.ocpp && m.ocpp.msgType === 2);
    assert.deepStrictEqual(calls.map((m) => m.ocpp.MessageId), ['same-0', 'same-1', 'same-2', 'same-3', 'same-4']);
    // The change reached the helper: the function worked on the objects it sees.
    assert.strictEqual(calls[0].ocpp.chargeBoxIdentity, 'MUTATED');
    assert.strictEqual(calls[0].payload.data.meterValue[0].sampledValue[0].value, 'MUTATED');
    for (const m of calls.slice(1)) {
      assert.deepStrictEqual(
        { ocpp: m.ocpp, payload: m.payload },
        { ocpp: { ocppVersion: '1.6j', chargeBoxIdentity: 'FRESH-CP', MessageId: m.ocpp.MessageId, msgType: 2, command: 'MeterValues' }, payload: { command: 'MeterValues', data: payload } },
        `${m.ocpp.MessageId} was changed along with same-0`
      );
    }
    const distinct = (pick) => new Set(calls.map(pick)).size;
    assert.strictEqual(distinct((m) => m), 5, 'five msg objects');
    assert.strictEqual(distinct((m) => m.ocpp), 5, 'five msg.ocpp objects');
    assert.strictEqual(distinct((m) => m.payload), 5, 'five msg.payload objects');
    assert.strictEqual(distinct((m) => m.payload.data.meterValue[0]), 5, 'five nested meterValue objects');
    raw.ws.close();
  });

  it('sends CS request JSON calls to the station and brings the answers back', async () => {
    await loadFlow(NODES, csFlow(port));
    const cp = station(port, 'CP-A');
    clients.push(cp);
    cp.handle('GetConfiguration', ({ params }) => ({
      configurationKey: (params.key || []).map((key) => ({ key, readonly: false, value: '300' })),
    }));
    cp.handle('RemoteStartTransaction', ({ params }) => ({ status: params.idTag === 'TAG1' ? 'Accepted' : 'Rejected' }));
    await cp.connect();
    const reqOut = collector(helper.getNode('reqOut'));
    const req = helper.getNode('req');

    req.receive({ topic: 'keep me', payload: { command: 'GetConfiguration', data: { key: ['HeartbeatInterval'] } } });
    const conf = await reqOut.next();
    assert.strictEqual(conf.topic, 'keep me');
    assert.deepStrictEqual(conf.payload, { data: { configurationKey: [{ key: 'HeartbeatInterval', readonly: false, value: '300' }] } });
    assert.strictEqual(conf.ocpp.msgType, 3);
    assert.strictEqual(conf.ocpp.command, 'GetConfiguration');
    assert.strictEqual(conf.ocpp.chargeBoxIdentity, 'CP-A');
    assert.strictEqual(conf.ocpp.ocppVersion, '1.6j');

    req.receive({ payload: { command: 'RemoteStartTransaction', cbId: 'CP-A', MessageId: 'my-id-1', data: { idTag: 'TAG1', connectorId: 1 } } });
    const started = await reqOut.next((m) => m.ocpp.command === 'RemoteStartTransaction');
    assert.deepStrictEqual(started.payload, { data: { status: 'Accepted' } });
    assert.strictEqual(started.ocpp.MessageId, 'my-id-1');
    assert.strictEqual(started.msgId, 'my-id-1');
  });

  it('turns a station CALLERROR, a timeout and an absent station into catchable errors', async () => {
    await loadFlow(NODES, csFlow(port, { timeout: 0.5 }));
    const cp = station(port, 'CP-A');
    clients.push(cp);
    cp.handle('Reset', () => {
      throw createRPCError('NotSupported', 'no resets today', { why: 'test' });
    });
    cp.handle('ClearCache', () => new Promise(() => {}));
    await cp.connect();
    const caught = collector(helper.getNode('caught'));
    const req = helper.getNode('req');

    req.receive({ payload: { command: 'Reset', data: { type: 'Soft' } } });
    const err = await caught.next();
    assert.match(err.error.message, /CALLERROR NotSupported: no resets today/);
    assert.strictEqual(err.ocpp.msgType, 4);
    assert.strictEqual(err.ocpp.ErrorCode, 'NotSupported');
    assert.deepStrictEqual(err.ocpp.ErrorDetails, { why: 'test' });
    assert.deepStrictEqual(err.payload, { command: 'Reset', data: { type: 'Soft' } }, 'the request msg is kept');

    req.receive({ payload: { command: 'ClearCache', data: {} } });
    const timeout = await caught.next((m) => m.ocpp && m.ocpp.command === 'ClearCache');
    assert.strictEqual(timeout.ocpp.failure, 'Timeout');

    req.receive({ payload: { command: 'Reset', cbId: 'NOBODY', data: { type: 'Soft' } } });
    const absent = await caught.next((m) => m.ocpp && m.ocpp.chargeBoxIdentity === 'NOBODY');
    assert.strictEqual(absent.ocpp.failure, 'NotConnected');
    assert.match(absent.error.message, /NOBODY is not connected/);
  });

  it('lets the flow answer a station CALL with a CALLERROR', async () => {
    await loadFlow(NODES, csFlow(port));
    const cp = station(port, 'CP-A');
    clients.push(cp);
    await cp.connect();
    await assert.rejects(cp.call('FirmwareStatusNotification', { status: 'Idle' }), (e) => {
      assert.strictEqual(e.rpcErrorCode, 'NotImplemented');
      assert.match(e.message, /does not handle FirmwareStatusNotification/);
      return true;
    });
  });

  it('answers malformed frames with the CALLERROR the spec names and keeps serving', async () => {
    await loadFlow(NODES, csFlow(port));
    const raw = await rawSocket(port, 'BAD-CP');
    const cases = [
      ['not json', '-1', 'FormationViolation'],
      ['{"a":1}', '-1', 'FormationViolation'],
      ['[]', '-1', 'FormationViolation'],
      ['[2, 7, "Heartbeat", {}]', '-1', 'FormationViolation'],
      ['[2, "id1", "Heartbeat"]', 'id1', 'ProtocolError'],
      ['[2, "id2", "Heartbeat", [1]]', 'id2', 'FormationViolation'],
      ['[2, "id3", 5, {}]', 'id3', 'FormationViolation'],
      ['[7, "id4", {}]', 'id4', 'FormationViolation'],
      [`[2, "${'x'.repeat(37)}", "Heartbeat", {}]`, 'x'.repeat(37), 'FormationViolation'],
      ['[2, "deep", "DataTransfer", ' + '{"a":'.repeat(5000) + '1' + '}'.repeat(5000) + ']', 'deep', 'FormationViolation'],
    ];
    for (const [text, id, code] of cases) {
      raw.send(text);
      const answer = await raw.next();
      assert.strictEqual(answer[0], 4, text.slice(0, 40));
      assert.strictEqual(answer[1], id, text.slice(0, 40));
      assert.strictEqual(answer[2], code, text.slice(0, 40));
    }
    raw.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    assert.deepStrictEqual((await raw.next()).slice(0, 3), [4, '-1', 'FormationViolation']);
    // The same socket and another station are still served.
    raw.send('[2,"ok1","Heartbeat",{}]');
    const hb = await raw.next();
    assert.strictEqual(hb[0], 3);
    assert.strictEqual(hb[1], 'ok1');
    const cp = station(port, 'CP-OK');
    clients.push(cp);
    await cp.connect();
    assert.ok((await cp.call('Heartbeat', {})).currentTime);
    raw.ws.close();
  });

  it('refuses CALLs past maxStationCalls with GenericError and takes them again once the flow answers', async () => {
    const flow = csFlow(port);
    flow[1].maxStationCalls = 3;
    // The flow holds Heartbeats until a DataTransfer, then answers them all.
    flow[2].func = `
      const held = context.get('held') || [];
      const command = msg.payload && msg.payload.command;
      if (command === 'Heartbeat') { held.push(msg.msgId); context.set('held', held); return null; }
      if (command !== 'DataTransfer') return null;
      context.set('held', []);
      const now = new Date().toISOString();
      return [[...held.map((msgId) => ({ msgId, payload: { currentTime: now } })), { msgId: msg.msgId, payload: { status: 'Accepted' } }]];`;
    await loadFlow(NODES, flow);
    const seen = collector(helper.getNode('out1'));
    const warnsBefore = helper.log().args.length;
    const raw = await rawSocket(port, 'FLOODER');
    // Frames in arrival order: several can arrive between two awaits.
    const frame = async (i) => {
      for (let waited = 0; raw.frames.length <= i; waited += 10) {
        if (waited > 3000) throw new Error(`no frame #${i} within 3 s; got ${JSON.stringify(raw.frames)}`);
        await sleep(10);
      }
      return raw.frames[i];
    };
    for (let i = 1; i <= 6; i++) raw.send(`[2,"hb${i}","Heartbeat",{}]`);
    for (const [i, id] of ['hb4', 'hb5', 'hb6'].entries()) {
      const refused = await frame(i);
      assert.deepStrictEqual(refused.slice(0, 3), [4, id, 'GenericError'], JSON.stringify(refused));
      assert.match(refused[3], /3 CALLs from this station are still unanswered \(maxStationCalls\)/);
    }
    await seen.next((m) => m.ocpp && m.ocpp.command === 'Heartbeat' && m.ocpp.MessageId === 'hb3');
    const refusedWarns = helper.log().args.slice(warnsBefore).map((a) => String(a[0] && a[0].msg)).filter((m) => m.includes('refusing CALLs from FLOODER'));
    assert.strictEqual(refusedWarns.length, 1, 'one warning for the three refusals');
    // Still at the limit: the DataTransfer that would release them is refused too.
    raw.send('[2,"dt1","DataTransfer",{"vendorId":"v"}]');
    assert.deepStrictEqual((await frame(3)).slice(0, 3), [4, 'dt1', 'GenericError']);
    const held = seen.msgs.filter((m) => m.ocpp && m.ocpp.command === 'Heartbeat').map((m) => m.msgId);
    assert.strictEqual(held.length, 3, 'only the first three reached the flow');
    // One answer (from outside the function) frees one place.
    helper.getNode('resp').receive({ msgId: held[0], payload: { currentTime: new Date().toISOString() } });
    assert.deepStrictEqual((await frame(4)).slice(0, 2), [3, 'hb1']);
    raw.send('[2,"dt2","DataTransfer",{"vendorId":"v"}]');
    const answers = [await frame(5), await frame(6), await frame(7)];
    assert.deepStrictEqual(answers.map((a) => a.slice(0, 2)), [[3, 'hb2'], [3, 'hb3'], [3, 'dt2']]);
    // Under the limit again: CALLs reach the flow.
    raw.send('[2,"hb7","Heartbeat",{}]');
    await seen.next((m) => m.ocpp && m.ocpp.MessageId === 'hb7');
    raw.ws.close();
  });

  it('reports counts that are not whole numbers as a node error, in the dialog\'s words', async () => {
    const flow = csFlow(port);
    flow[1].maxStationCalls = 2.5;
    await loadFlow(NODES, flow);
    const errors = helper.log().args.filter((a) => a[0] && a[0].level === 20).map((a) => String(a[0].msg));
    assert.ok(errors.some((m) => m.includes('Unanswered CALLs per station must be a whole number from 1 to 10000, got "2.5"')), JSON.stringify(errors));
  });

  it('closes a frame over the size limit with 1009', async () => {
    const flow = csFlow(port);
    flow[1].maxFrameKB = 1;
    await loadFlow(NODES, flow);
    const raw = await rawSocket(port, 'BIG');
    const closed = new Promise((r) => raw.ws.on('close', (code) => r(code)));
    raw.send(`[2,"big","DataTransfer",{"vendorId":"v","data":"${'x'.repeat(4096)}"}]`);
    assert.strictEqual(await closed, 1009);
  });

  it('refuses upgrades without an id or with only unsupported subprotocols', async () => {
    await loadFlow(NODES, csFlow(port));
    const status = (url, protocols) =>
      new Promise((resolve) => {
        const ws = new WebSocket(url, protocols);
        ws.on('unexpected-response', (req, res) => resolve(res.statusCode));
        ws.on('open', () => {
          ws.close();
          resolve(101);
        });
        ws.on('error', () => {});
      });
    assert.strictEqual(await status(`ws://127.0.0.1:${port}/ocpp/`, ['ocpp1.6']), 404);
    assert.strictEqual(await status(`ws://127.0.0.1:${port}/elsewhere/CP1`, ['ocpp1.6']), 404);
    assert.strictEqual(await status(`ws://127.0.0.1:${port}/ocpp/CP1`, ['ocpp2.0.1']), 400);
    assert.strictEqual(await status(`ws://127.0.0.1:${port}/ocpp/CP%201/`, ['ocpp1.6']), 101);
    assert.strictEqual(await status(`ws://127.0.0.1:${port}/ocpp/CP1`, undefined), 101, 'no subprotocol is accepted by default');
  });

  it('replaces a connection when the same id connects again', async () => {
    await loadFlow(NODES, csFlow(port));
    const out1 = collector(helper.getNode('out1'));
    const first = station(port, 'DUP');
    clients.push(first);
    await first.connect();
    const firstClosed = new Promise((r) => first.once('close', r));
    const second = station(port, 'DUP');
    clients.push(second);
    await second.connect();
    await firstClosed;
    await out1.next((m) => m.ocpp && m.ocpp.websocket === 'OFFLINE' && m.ocpp.chargeBoxIdentity === 'DUP');
    assert.ok((await second.call('Heartbeat', {})).currentTime);
  });

  it('sends every frame to output 2 when it is wired', async () => {
    await loadFlow(NODES, csFlow(port, { wire2: true }));
    const out2 = collector(helper.getNode('out2'));
    const cp = station(port, 'LOG-CP');
    clients.push(cp);
    await cp.connect();
    await cp.call('Heartbeat', {});
    const fromCs = await out2.next((m) => m.msgFrom === 'CS');
    const fromCsms = await out2.next((m) => m.msgFrom === 'CSMS');
    assert.strictEqual(fromCs.cbId, 'LOG-CP');
    assert.strictEqual(fromCs.payload[2], 'Heartbeat');
    assert.strictEqual(fromCsms.payload[0], 3);
    assert.strictEqual(typeof fromCs.timestamp, 'number');
  });

  it('supports the local commands and Basic auth from LOCAL_SET_ALL_AUTH_EVSES', async () => {
    await loadFlow(NODES, csFlow(port));
    const reqOut = collector(helper.getNode('reqOut'));
    const caught = collector(helper.getNode('caught'));
    const req = helper.getNode('req');
    const cp = station(port, 'LIST-CP');
    clients.push(cp);
    await cp.connect();
    req.receive({ payload: { command: 'LOCAL_GET_ONLINE_LIST' } });
    const list = await reqOut.next((m) => m.payload && m.payload.online);
    assert.ok(list.payload.online.includes('LIST-CP'));

    req.receive({ payload: { command: 'LOCAL_SET_ALL_AUTH_EVSES', data: { 'AUTH-CP': 'pw1' } } });
    const authUrl = `ws://127.0.0.1:${port}/ocpp/AUTH-CP`;
    await until('AUTH-CP needs its password', () => refusedWith(authUrl, ['ocpp1.6']).then((status) => status === 401, () => false), 5000);
    await assert.rejects(station(port, 'AUTH-CP').connect(), /Unauthorized|401/);
    const good = station(port, 'AUTH-CP', { password: 'pw1' });
    clients.push(good);
    await good.connect();
    req.receive({ payload: { command: 'LOCAL_SET_ALL_AUTH_EVSES', data: [{ 'AUTH-CP': 'x' }] } });
    assert.match((await caught.next()).error.message, /needs msg.payload.data as an object/);
    req.receive({ payload: { command: 'LOCAL_SET_ALL_AUTH_EVSES', data: { 'AUTH-CP': '' } } });
    // An empty password removes it: the station connects without one again (once its
    // authenticated connection is gone: an unauthenticated one never replaces it).
    await good.close();
    const open = await until('AUTH-CP connects without a password', async () => {
      const c = station(port, 'AUTH-CP');
      return c.connect().then(() => c, () => false);
    }, 5000);
    clients.push(open);
    assert.ok((await open.call('Heartbeat', {})).currentTime);

    const closed = new Promise((r) => cp.once('close', r));
    req.receive({ payload: { command: 'LOCAL_DISCONNECT', cbId: 'LIST-CP' } });
    await closed;
  });

  it('reports a server response msg without a live msgId as an error', async () => {
    const flow = onTab([
      { id: 'resp', type: 'server response', name: '' },
      { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper' },
    ]);
    await loadFlow(NODES, flow);
    const caught = collector(helper.getNode('caught'));
    helper.getNode('resp').receive({ payload: {} });
    assert.match((await caught.next()).error.message, /msg.msgId is missing/);
    helper.getNode('resp').receive({ msgId: 'stale', payload: {} });
    assert.match((await caught.next((m) => m.msgId === 'stale')).error.message, /no station request is waiting/);
  });

  it('answers a CALL the flow leaves unanswered with InternalError after the answer timeout', async () => {
    const flow = csFlow(port, { answerTimeout: 0.3 });
    flow[2].func = 'return null;';
    await loadFlow(NODES, flow);
    const cp = station(port, 'SLOW-FLOW');
    clients.push(cp);
    await cp.connect();
    await assert.rejects(cp.call('Heartbeat', {}), (e) => e.rpcErrorCode === 'InternalError');
  });

  it('frees its port on redeploy, twice on the same port', async () => {
    await loadFlow(NODES, csFlow(port));
    for (let i = 0; i < 2; i++) {
      const cp = station(port, `REDEPLOY-${i}`);
      await cp.connect();
      const closed = new Promise((r) => cp.once('close', r));
      await helper.setFlows(csFlow(port));
      await closed;
      const again = station(port, `REDEPLOY-${i}-after`);
      clients.push(again);
      await again.connect();
      assert.ok((await again.call('Heartbeat', {})).currentTime);
      await again.close();
    }
  });

  it('reports a port already in use as a node error, with Node-RED still running', async () => {
    const blocker = require('net').createServer();
    await new Promise((r) => blocker.listen(port, r));
    try {
      await loadFlow(NODES, csFlow(port));
      const inUse = () => helper.log().args.filter((a) => a[0] && a[0].level === 20 && String(a[0].msg).includes('in use'));
      await until('an "in use" error', () => inUse().length > 0, 5000).catch(() =>
        assert.fail(`expected an "in use" error, got ${JSON.stringify(helper.log().args.map((a) => a[0].msg))}`)
      );
    } finally {
      await new Promise((r) => blocker.close(r));
    }
    // Node-RED is still running: a new deploy on another port serves a station.
    const other = await freePort();
    await helper.setFlows(csFlow(other));
    const cp = station(other, 'AFTER-IN-USE');
    clients.push(cp);
    await cp.connect();
    assert.ok((await cp.call('Heartbeat', {})).currentTime);
  });
});
