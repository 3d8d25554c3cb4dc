'use strict';
// Issue 25's "done when": every example (examples/*.json, those added later
// too) imported into one running Node-RED beside the demo, deployed, and left
// to run 20 s as a new user would. Fails on any error in the log, any node
// with a red status, any port clash, and any connection event (ONLINE/OFFLINE)
// that reaches a server response.
//
// The ports: each port an example writes (listening, or in a URL) is given a
// free one, the same free one wherever that number appears, so two examples
// that share a port still clash here. A URL to a Central System no example
// serves (the simulator for an external Central System) gets a real one
// (ocpp-rpc). The cluster example gets a real redis-server.
const assert = require('assert');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const { RPCServer } = require('ocpp-rpc');
const { freePort } = require('./lib/harness');
const { startOurRed } = require('./lib/our-red');
const { startRedis } = require('./lib/redis');
const { EXAMPLES, exampleFiles, readExample, listeningPorts, urlPorts } = require('./lib/example-ports');

const RUN_S = 20;

// Per tab: a status node that reports every red status as an error line in the log.
const RED_STATUS = `
if (msg.status && msg.status.fill === 'red') node.error('red status: ' + msg.status.source.type + ' ' + msg.status.source.id + ' (' + (msg.status.source.name || '') + '): ' + msg.status.text);
return null;`;

function watchStatuses(flow) {
  for (const tab of flow.filter((n) => n.type === 'tab')) {
    flow.push(
      { id: `${tab.id}.redwatch`, z: tab.id, type: 'status', name: '', scope: null, wires: [[`${tab.id}.redfn`]] },
      { id: `${tab.id}.redfn`, z: tab.id, type: 'function', name: 'red status', func: RED_STATUS, outputs: 1, wires: [[]] }
    );
  }
}

// An external Central System (ocpp-rpc) that accepts every station and answers each CALL.
async function externalCs(port) {
  const server = new RPCServer({ protocols: ['ocpp1.6', 'ocpp2.0.1'], strictMode: false });
  let nextTx = 1;
  server.on('client', (client) => {
    client.handle(({ method }) => {
      const now = new Date().toISOString();
      if (method === 'BootNotification') return { status: 'Accepted', currentTime: now, interval: 60 };
      if (method === 'Heartbeat') return { currentTime: now };
      if (method === 'Authorize' || method === 'StopTransaction') return { idTagInfo: { status: 'Accepted' } };
      if (method === 'StartTransaction') return { transactionId: nextTx++, idTagInfo: { status: 'Accepted' } };
      return {};
    });
  });
  await server.listen(port, '127.0.0.1');
  return server;
}

function accepts(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

describe('every example on first import (issue 25)', function () {
  this.timeout(120000);
  let red = null;
  let redis = null;
  const externals = [];
  let userDir = null;

  after(async () => {
    if (red) await red.stop();
    for (const s of externals) await s.close({ force: true, awaitPending: false });
    if (redis) await redis.stop();
    if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
  });

  it(`imports every example beside the demo, runs them ${RUN_S} s: no error logged, no red status, no port clash`, async () => {
    const files = exampleFiles();
    assert.ok(files.includes('demo-central-system-and-stations.json'), 'the demo is one of the examples');
    // Every port any example writes, given a free one.
    const written = new Set();
    const listening = new Set();
    for (const file of files) {
      const flow = readExample(file);
      for (const { port } of listeningPorts(flow)) {
        written.add(port);
        listening.add(port);
      }
      for (const port of urlPorts(flow)) written.add(port);
    }
    const mapped = new Map();
    for (const port of written) mapped.set(port, await freePort());
    const needsRedis = files.some((f) => readExample(f).some((n) => n.type === 'ocpp-cluster'));
    if (needsRedis) {
      redis = await startRedis(await freePort());
      mapped.set(6379, redis.port);
    }
    for (const port of written) if (!listening.has(port)) externals.push(await externalCs(mapped.get(port)));

    const flow = [];
    for (const file of files) {
      let text = fs.readFileSync(path.join(EXAMPLES, file), 'utf8');
      for (const [fixed, free] of mapped) text = text.replace(new RegExp(`\\b${fixed}\\b`, 'g'), String(free));
      flow.push(...JSON.parse(text));
    }
    // A canary: one red status on purpose, to show the watch reports them.
    flow.push(
      { id: 'canary.tab', type: 'tab', label: 'canary' },
      { id: 'canary.inj', z: 'canary.tab', type: 'inject', once: true, onceDelay: '0.5', repeat: '', props: [], wires: [['canary.fn']] },
      { id: 'canary.fn', z: 'canary.tab', type: 'function', name: 'canary', func: "node.status({ fill: 'red', shape: 'dot', text: 'canary' }); return null;", outputs: 1, wires: [[]] }
    );
    watchStatuses(flow);
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocpp-first-import-'));
    // Debug level: server response notes a connection event it was sent (and ignored); no example may send it one.
    red = await startOurRed(userDir, flow, { editorPort: await freePort(), settings: "logging: { console: { level: 'debug' } }," });
    const t0 = Date.now();
    while (Date.now() - t0 < RUN_S * 1000) await new Promise((r) => setTimeout(r, 500));
    const log = red.output();
    assert.match(log, /red status: function canary\.fn \(canary\): canary/, 'the status watch did not report the canary');
    const errors = log.split('\n').filter((l) => /\[error\]|EADDRINUSE|address already in use|Uncaught|UnhandledPromiseRejection/i.test(l) && !/canary/.test(l));
    // Every port an example listens on is taken: by Node-RED here (no example failed to bind it).
    const closed = [];
    for (const port of listening) if (!(await accepts(mapped.get(port)))) closed.push(port);
    assert.deepStrictEqual(errors, [], `errors in the log:\n${errors.join('\n')}`);
    const events = log.split('\n').filter((l) => /\[server response.*connection event/.test(l));
    assert.deepStrictEqual(events, [], 'connection events reached a server response');
    assert.deepStrictEqual(closed, [], `ports not served: ${closed}`);
    assert.match(log, /Started flows/);
  });
});
