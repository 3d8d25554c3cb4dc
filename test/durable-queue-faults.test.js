'use strict';
// CP client JSON's durable offline queue under load (issue 24, item 1): a
// backlog longer than one call timeout, against a real Central System (our
// CS server node) in a real Node-RED that answers each CALL after 0.7 s. The
// CP's callTimeout is 2 s and ten MeterValues wait offline: each CALL's
// timeout must start when it goes out, not when it was queued, so all ten
// arrive, in order, and the queue file holds none afterwards.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const http = require('http');
const WebSocket = require('ws');
const { freePort, sleep } = require('./lib/harness');
const { startOurRed } = require('./lib/our-red');

// The Central System's flow: each CALL is logged, answered 0.7 s later.
const SLOW_ANSWER = `
if (!msg.payload || !msg.payload.command) return null;
node.warn('CS-GOT ' + JSON.stringify({ id: msg.ocpp.MessageId, command: msg.payload.command, data: msg.payload.data }));
setTimeout(() => { msg.payload = {}; node.send(msg); }, 700);
return null;`;

// A charge point alone, against a Central System the test plays.
function cpOnly(csPort) {
  return flow(csPort).filter((n) => !['cs', 'slow', 'resp'].includes(n.id)).map((n) =>
    n.id === 'cp1' ? { ...n, wsdelayconnect: false, callTimeout: 1 } : n.id === 'out' ? { ...n, func: "node.warn('OUT ' + JSON.stringify(msg)); return null;" } : n
  );
}

function flow(csPort) {
  return [
    { id: 'tab', type: 'tab', label: 'faults' },
    { id: 'cs', z: 'tab', type: 'CS server', name: 'CS', port: String(csPort), portType: 'num', enabled16j: true, path16j: '/ocpp', answerTimeout: 60, wires: [['slow'], []] },
    { id: 'slow', z: 'tab', type: 'function', func: SLOW_ANSWER, outputs: 1, wires: [['resp']] },
    { id: 'resp', z: 'tab', type: 'server response', name: '' },
    { id: 'rcs', type: 'ocpp-remote-cs', name: 'CS', url: `ws://127.0.0.1:${csPort}/ocpp` },
    {
      id: 'cp1', z: 'tab', type: 'CP client JSON', name: '', cbId: 'BACKLOG-1', remotecs: 'rcs', ocppver: '1.6j',
      command: '', cmddata: '', log: false, pathlog: '', wsdelayconnect: true, wstomin: 0.2, wstoinc: 0, wstomax: 0.5,
      callTimeout: 2, pingInterval: 30, handshakeTimeout: 5, offlineQueue: true, queueActions: '', queueMax: 100,
      persistQueue: true, wires: [['out']],
    },
    { id: 'out', z: 'tab', type: 'function', func: "if (msg.ocpp && msg.ocpp.command === 'MeterValues') node.warn('OUT ' + JSON.stringify(msg.payload)); return null;", outputs: 1, wires: [[]] },
    { id: 'catcher', z: 'tab', type: 'catch', scope: ['cp1'], uncaught: false, wires: [['failed']] },
    { id: 'failed', z: 'tab', type: 'function', func: "node.warn('FAILED ' + msg.error.message); return null;", outputs: 1, wires: [[]] },
    { id: 'in', z: 'tab', type: 'http in', url: '/send', method: 'post', wires: [['toCp', 'ok']] },
    { id: 'toCp', z: 'tab', type: 'change', rules: [], wires: [['cp1']] },
    { id: 'ok', z: 'tab', type: 'http response', statusCode: '200' },
  ];
}

const post = (port, body) =>
  new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/send', method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });

async function waitFor(check, ms, what) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const value = check();
    if (value) return value;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const linesWith = (text, marker) => text.split('\n').filter((l) => l.includes(marker));

describe('CP client JSON: durable queue faults', function () {
  this.timeout(120000);
  let userDir;
  let red;

  beforeEach(() => {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocpp-durable-faults-'));
  });

  afterEach(async () => {
    if (red) await red.stop();
    red = null;
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('sends a backlog longer than one call timeout: ten queued MeterValues, 0.7 s answers, callTimeout 2 s, all arrive in order', async () => {
    const csPort = await freePort();
    const editorPort = await freePort();
    red = await startOurRed(userDir, flow(csPort), { editorPort });
    const now = new Date().toISOString();
    const sent = [];
    for (let i = 0; i < 10; i++) {
      const data = { connectorId: 1, transactionId: 7, meterValue: [{ timestamp: now, sampledValue: [{ value: String(i) }] }] };
      sent.push(data);
      assert.strictEqual(await post(editorPort, { command: 'MeterValues', data }), 200);
    }
    const file = path.join(userDir, 'ocpp-rs', 'cp-queue-cp1.jsonl');
    const lines = () => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0);
    await waitFor(() => lines() === 10, 10000, 'ten queued messages in the file');
    // Only now does the charge point connect: the whole backlog goes out on one link.
    assert.strictEqual(await post(editorPort, { msgType: 99, command: 'connect' }), 200);

    const got = () => linesWith(red.output(), 'CS-GOT ').map((l) => JSON.parse(l.slice(l.indexOf('CS-GOT ') + 7)));
    const answered = () => linesWith(red.output(), 'OUT ');
    const failed = () => linesWith(red.output(), 'FAILED ');
    await waitFor(() => answered().length + failed().length >= 10, 40000, 'an outcome for each of the ten').catch((e) => {
      throw new Error(`${e.message}: ${got().length} at the CS, ${answered().length} answered, failures: ${failed().join(' | ')}\n${red.output().slice(-3000)}`);
    });
    assert.deepStrictEqual(failed(), [], 'no message failed');
    const received = got();
    assert.strictEqual(received.length, 10, JSON.stringify(received));
    assert.deepStrictEqual(received.map((r) => r.data), sent, 'all ten, in order');
    assert.strictEqual(new Set(received.map((r) => r.id)).size, 10, 'each once');
    await waitFor(() => fs.statSync(file).size === 0, 10000, 'the queue file to hold none');
  });

  // Found by the attacker session: messages queued as one station went out under another id after `connect {cbId}`.
  it("never sends one station's queued messages under another id: connect {cbId} is refused while they wait", async () => {
    const csPort = await freePort();
    const editorPort = await freePort();
    red = await startOurRed(userDir, flow(csPort), { editorPort });
    const data = { connectorId: 1, idTag: 'TAG-1', meterStart: 0, timestamp: new Date().toISOString() };
    assert.strictEqual(await post(editorPort, { command: 'StartTransaction', data }), 200);
    const file = path.join(userDir, 'ocpp-rs', 'cp-queue-cp1.jsonl');
    await waitFor(() => fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes('StartTransaction'), 10000, 'the queued StartTransaction');
    assert.strictEqual(await post(editorPort, { msgType: 99, command: 'connect', data: { cbId: 'OTHER' } }), 200);
    const refused = await waitFor(() => linesWith(red.output(), 'FAILED ').find((l) => /OTHER/.test(l)), 10000, 'the refused switch');
    assert.match(refused, /1 message\(s\) queued for BACKLOG-1/);
    // The station connects as itself; its StartTransaction reaches the CS under its own id, and nothing as OTHER.
    assert.strictEqual(await post(editorPort, { msgType: 99, command: 'connect' }), 200);
    await waitFor(() => linesWith(red.output(), 'CS-GOT ').some((l) => l.includes('StartTransaction')), 20000, 'the StartTransaction at the CS');
    assert.ok(!/OTHER/.test(linesWith(red.output(), 'CS-GOT ').join('\n')));
    await waitFor(() => fs.statSync(file).size === 0, 10000, 'the queue file to hold none');
    // With nothing queued, the switch is taken: a Heartbeat after it reaches the CS, and no second refusal.
    assert.strictEqual(await post(editorPort, { msgType: 99, command: 'connect', data: { cbId: 'OTHER' } }), 200);
    // The switch closes the link and opens one as OTHER; a Heartbeat is not kept while offline, so one posted
    // before the new link is up fails with that reason (not with a refusal naming OTHER) and is posted again.
    const offline = () => linesWith(red.output(), 'FAILED ').filter((l) => l.includes('not kept while offline')).length;
    const heartbeatArrived = () => linesWith(red.output(), 'CS-GOT ').some((l) => l.includes('Heartbeat'));
    for (let attempt = 0; !heartbeatArrived(); attempt++) {
      assert.ok(attempt < 20, 'the Heartbeat never reached the CS after the switch');
      const failedBefore = offline();
      assert.strictEqual(await post(editorPort, { command: 'Heartbeat', data: {} }), 200);
      await waitFor(() => heartbeatArrived() || offline() > failedBefore, 20000, 'the Heartbeat at the CS');
      if (!heartbeatArrived()) await sleep(250);
    }
    assert.strictEqual(linesWith(red.output(), 'FAILED ').filter((l) => /OTHER/.test(l)).length, 1);
  });

  it('keeps a journaled message that timed out and sends it again, with the same MessageId, on the next connection', async () => {
    const csPort = await freePort();
    const editorPort = await freePort();
    const frames = [];
    let sockets = 0;
    const cs = new WebSocket.Server({ port: csPort, host: '127.0.0.1', handleProtocols: (p) => [...p][0] });
    cs.on('connection', (ws) => {
      const connection = ++sockets;
      ws.on('message', (data) => {
        const [type, id, action, payload] = JSON.parse(String(data));
        if (type !== 2) return;
        frames.push({ connection, id, action, payload });
        // The first connection never answers; the second does.
        if (connection > 1) ws.send(JSON.stringify([3, id, {}]));
      });
    });
    try {
      red = await startOurRed(userDir, cpOnly(csPort), { editorPort });
      await waitFor(() => sockets === 1, 10000, 'the charge point connected');
      const data = { connectorId: 1, transactionId: 9, meterValue: [{ timestamp: new Date().toISOString(), sampledValue: [{ value: '42' }] }] };
      assert.strictEqual(await post(editorPort, { command: 'MeterValues', data }), 200);
      const failed = await waitFor(() => linesWith(red.output(), 'FAILED ')[0], 10000, 'the Timeout');
      assert.match(failed, /did not answer MeterValues in time; it stays in .*cp-queue-cp1\.jsonl and goes out again, with the same MessageId/);
      const file = path.join(userDir, 'ocpp-rs', 'cp-queue-cp1.jsonl');
      assert.strictEqual(fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).length, 1, 'still in the queue file');
      // The link drops; on the next one the message goes out again.
      for (const ws of cs.clients) ws.terminate();
      await waitFor(() => frames.length >= 2, 15000, 'the message sent again').catch((e) => {
        throw new Error(`${e.message}: ${JSON.stringify(frames)}; file: ${JSON.stringify(fs.readFileSync(file, 'utf8'))}`);
      });
      assert.strictEqual(frames[1].connection, 2);
      assert.strictEqual(frames[1].id, frames[0].id, 'the same MessageId');
      assert.deepStrictEqual(frames[1].payload, data);
      await waitFor(() => fs.statSync(file).size === 0, 10000, 'the queue file to hold none');
      const restored = await waitFor(() => linesWith(red.output(), '"restored":true')[0], 10000, 'the answer as a restored msg');
      assert.match(restored, /"topic":"BACKLOG-1\/MeterValues"/);
      await sleep(300);
      assert.strictEqual(frames.length, 2, 'sent twice, no more');
    } finally {
      for (const ws of cs.clients) ws.terminate();
      await new Promise((r) => cs.close(r));
    }
  });
});
