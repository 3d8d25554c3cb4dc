'use strict';
// Bounded memory against any peer: a server-wide cap on stations, a
// per-station cap on SOAP requests waiting for the flow, and TCP
// backpressure when the flow falls behind. Each flood runs while another
// station is being served.
const assert = require('assert');
const path = require('path');
const http = require('http');
const { spawn } = require('child_process');
const WebSocket = require('ws');
const { helper, core, ours, freePort, collector, loadFlow, sleep } = require('./lib/harness');

const ANSWER_FN = `
if (!msg.payload || !msg.payload.command) return null;
if (msg.payload.command === 'DataTransfer' && msg.payload.data.data === 'hold') return null; // never answered
const now = new Date().toISOString();
msg.payload = msg.payload.command === 'Heartbeat' ? { currentTime: now } : { status: 'Accepted' };
return msg;`;

function flow(port, extra = {}) {
  return [
    { id: 'tab', type: 'tab', label: 'bounded' },
    {
      id: 'cs', z: 'tab', type: 'CS server', name: 'CS', port: String(port), portType: 'num',
      enabled15: false, path15: '', enabled16: true, path16: '/ocpp16s', enabled16j: true, path16j: '/ocpp',
      log: false, pathlog: '', pingInterval: 30, answerTimeout: 30, maxStationCalls: 2, ...extra,
      wires: [['answer', 'out'], ['log']],
    },
    { id: 'log', z: 'tab', type: 'helper' },
    { id: 'answer', z: 'tab', type: 'function', func: ANSWER_FN, outputs: 1, wires: [['resp']] },
    { id: 'resp', z: 'tab', type: 'server response', name: '' },
    { id: 'out', z: 'tab', type: 'helper' },
  ];
}
const NODES = [ours.server, core.fn];

const opened = (url, protocols = ['ocpp1.6']) =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols);
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
    ws.once('error', reject);
  });

// A Heartbeat round trip on an open station socket.
function heartbeat(ws, id) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no Heartbeat answer within 10 s')), 10000);
    const onMessage = (data) => {
      const frame = JSON.parse(String(data));
      if (frame[1] !== id) return;
      clearTimeout(timer);
      ws.off('message', onMessage);
      resolve(frame);
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify([2, id, 'Heartbeat', {}]));
  });
}

const soapEnv = (cb, body) =>
  `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:cs="urn://Ocpp/Cs/2015/10/"><soap:Header><cs:chargeBoxIdentity>${cb}</cs:chargeBoxIdentity></soap:Header><soap:Body>${body}</soap:Body></soap:Envelope>`;

function post(port, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/ocpp16s', method: 'POST', headers: { 'content-type': 'application/soap+xml' }, agent: false }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('bounded against any peer', function () {
  this.timeout(60000);
  let port;

  beforeEach(async () => {
    port = await freePort();
  });

  afterEach(async () => {
    await helper.unload();
  });

  it('refuses stations past maxConnections with 503 before the upgrade, and takes them again once others leave', async () => {
    await loadFlow(NODES, flow(port, { maxConnections: 2 }));
    const a = await opened(`ws://127.0.0.1:${port}/ocpp/MAX-A`);
    const b = await opened(`ws://127.0.0.1:${port}/ocpp/MAX-B`);
    await assert.rejects(opened(`ws://127.0.0.1:${port}/ocpp/MAX-C`), (e) => e.status === 503);
    assert.deepStrictEqual((await heartbeat(a, 'hb-a')).slice(0, 2), [3, 'hb-a'], 'the connected ones are served');
    await new Promise((resolve) => {
      b.once('close', resolve);
      b.close(1000);
    });
    await sleep(100);
    const c = await opened(`ws://127.0.0.1:${port}/ocpp/MAX-C`);
    assert.deepStrictEqual((await heartbeat(c, 'hb-c')).slice(0, 2), [3, 'hb-c']);
    a.close();
    c.close();
  });

  it('gives a SOAP station past maxStationCalls waiting requests a 503 Fault, and serves other stations', async () => {
    await loadFlow(NODES, flow(port));
    const hold = soapEnv('SOAP-FLOOD', '<cs:dataTransferRequest><cs:vendorId>v</cs:vendorId><cs:data>hold</cs:data></cs:dataTransferRequest>');
    // Two requests wait for a flow that never answers them...
    const waiting = [post(port, hold).catch(() => null), post(port, hold).catch(() => null)];
    await sleep(300);
    // ...so more from the same station are refused at once.
    for (let i = 0; i < 20; i++) {
      const r = await post(port, hold);
      assert.strictEqual(r.status, 503, r.text);
      assert.match(r.text, /2 requests from SOAP-FLOOD are still waiting for the Central System(&apos;|')s answer \(maxStationCalls\)/);
    }
    const other = await post(port, soapEnv('SOAP-OK', '<cs:heartbeatRequest/>'));
    assert.strictEqual(other.status, 200, other.text);
    assert.match(other.text, /heartbeatResponse/);
    await helper.unload();
    await Promise.allSettled(waiting);
  });

  it('lets only an authenticated request set the SOAP address of a station that has a password', async () => {
    await loadFlow(NODES, flow(port), { cs: { passwords: 'SOAP-PW:s3cret' } });
    const { addon } = require('../nodes/lib/engine');
    const withFrom = (from) =>
      soapEnv('SOAP-PW', '<cs:heartbeatRequest/>').replace(
        '</soap:Header>',
        `<wsa:From xmlns:wsa="http://www.w3.org/2005/08/addressing"><wsa:Address>${from}</wsa:Address></wsa:From></soap:Header>`
      );
    const postAs = (body, auth) =>
      new Promise((resolve, reject) => {
        const headers = { 'content-type': 'application/soap+xml' };
        if (auth) headers.authorization = `Basic ${Buffer.from(auth).toString('base64')}`;
        const req = http.request({ host: '127.0.0.1', port, path: '/ocpp16s', method: 'POST', headers, agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode));
        });
        req.on('error', reject);
        req.end(body);
      });
    assert.strictEqual(await postAs(withFrom('http://10.0.0.7:8080/ocpp'), 'SOAP-PW:s3cret'), 200);
    assert.strictEqual(addon.soapAddress('SOAP-PW'), 'http://10.0.0.7:8080/ocpp');
    assert.strictEqual(await postAs(withFrom('http://evil.example/ocpp'), 'SOAP-PW:wrong'), 401);
    assert.strictEqual(await postAs(withFrom('http://evil.example/ocpp')), 401);
    assert.strictEqual(addon.soapAddress('SOAP-PW'), 'http://10.0.0.7:8080/ocpp', 'unchanged by refused requests');
  });

  it('stops reading from stations while the flow is stuck (TCP backpressure): memory stays bounded, nothing is lost, others are served after', async () => {
    await loadFlow(NODES, flow(port, { eventBacklogMB: 1 }));
    const out = collector(helper.getNode('out'));
    const healthy = await opened(`ws://127.0.0.1:${port}/ocpp/HEALTHY`);
    // A station in another process sends malformed frames as fast as its socket
    // takes them: each is owed a CALLERROR, and with the raw log wired (output 2)
    // each CALLERROR is a msg for the flow.
    const flooder = spawn(process.execPath, [path.join(__dirname, 'lib', 'flood-station.js'), `ws://127.0.0.1:${port}/ocpp/FLOODER`, '6000'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let report = '';
    flooder.stdout.on('data', (d) => (report += d));
    const done = new Promise((resolve) => flooder.on('exit', resolve));
    await sleep(1000);
    // The flow is stuck for 4 s (a long synchronous job on Node-RED's thread).
    global.gc();
    const before = process.memoryUsage().rss;
    const until = Date.now() + 4000;
    while (Date.now() < until) {
      /* busy */
    }
    const afterStall = process.memoryUsage().rss;
    await done;
    const sent = JSON.parse(report.trim().split('\n').pop());
    // Every frame the flooder sent is answered: none is lost, however long it waited.
    assert.strictEqual(sent.answered, sent.sent, JSON.stringify(sent));
    assert.ok(sent.sent > 100, JSON.stringify(sent));
    const grown = (afterStall - before) / 1048576;
    if (process.env.OCPP_RS_TEST_VERBOSE) console.log(`RSS grew ${grown.toFixed(1)} MB during the stall; ${JSON.stringify(sent)}`);
    // Measured: 4 to 11 MB with the backlog bounded, 79 to 151 MB with it off (4096 MB).
    assert.ok(grown < 32, `RSS grew ${grown.toFixed(1)} MB during the stall`);
    assert.deepStrictEqual((await heartbeat(healthy, 'hb-after')).slice(0, 2), [3, 'hb-after']);
    healthy.close();
  });
});
