#!/usr/bin/env node
// What the OCPP sidebar's frame rings cost in memory: N stations (1,000 by
// default) exchange Heartbeats and MeterValues with a Central System, first
// with the inspector off, then with "record all" on (every ring filled to its
// 200 frames), then off again. The Central System is the engine alone (the
// addon, no Node-RED) in a child process, so its RSS holds nothing else; the
// stations are `ws` clients in this process.
//
//   node bench/inspector-memory.js [--stations 1000] [--exchanges 110]
//
// Prints the engine's own byte count of the rings (exact, see
// src/cs/inspector.rs Frame::cost) and the server's RSS after a GC at each step.
'use strict';
const { fork } = require('child_process');
const path = require('path');

if (process.argv[2] === '--server') {
  // The Central System: answers every CALL as the bench flow does.
  const { addon } = require(path.join(__dirname, '..', 'nodes', 'lib', 'engine'));
  const answers = { Heartbeat: () => ({ currentTime: new Date().toISOString() }), BootNotification: () => ({ status: 'Accepted', currentTime: new Date().toISOString(), interval: 300 }) };
  const server = new addon.CsServer(JSON.stringify({ port: 0, host: '127.0.0.1', jsonPath: '/ocpp', nodeId: 'bench-cs', pingIntervalS: 0 }), (batch) => {
    for (const ev of JSON.parse(batch)) {
      if (ev.k !== 'call') continue;
      const answer = answers[ev.m.payload.command];
      addon.respond(ev.m.msgId, JSON.stringify(answer ? answer() : {}));
    }
  });
  process.send({ port: server.port });
  process.on('message', (m) => {
    if (m.all !== undefined) addon.setInspector(null, m.all);
    global.gc();
    setTimeout(() => {
      global.gc();
      const stations = JSON.parse(addon.stationsJson());
      const ring = stations.map((s) => s.ringBytes).sort((a, b) => a - b);
      process.send({
        rssKb: Math.round(process.memoryUsage().rss / 1024),
        status: JSON.parse(addon.inspectorStatusJson()),
        ringPerStation: ring.length ? { min: ring[0], median: ring[Math.floor(ring.length / 2)], max: ring[ring.length - 1] } : null,
        framesPerStation: stations.length ? stations[0].frames : 0,
      });
    }, 1500);
  });
  process.on('disconnect', () => server.close().then(() => process.exit(0)));
  return;
}

const WebSocket = require(require.resolve('ws', { paths: [path.join(__dirname, '..')] }));

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const STATIONS = arg('--stations', 1000);
const EXCHANGES = arg('--exchanges', 110);

// A 1.6 MeterValues as stations send them: four sampled values (about 420 bytes).
function meterValues(i) {
  const ts = new Date().toISOString();
  const sv = (measurand, unit, value) => ({ value: String(value), context: 'Sample.Periodic', format: 'Raw', measurand, location: 'Outlet', unit });
  return {
    connectorId: 1,
    transactionId: 1000 + i,
    meterValue: [{ timestamp: ts, sampledValue: [sv('Energy.Active.Import.Register', 'Wh', 12345 + i), sv('Power.Active.Import', 'W', 7200), sv('Current.Import', 'A', 31.2), sv('Voltage', 'V', 230.1)] }],
  };
}

function connect(port, id) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ocpp/${id}`, ['ocpp1.6']);
    const pending = new Map();
    let next = 0;
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data));
      const done = pending.get(frame[1]);
      if (done) {
        pending.delete(frame[1]);
        done(frame);
      }
    });
    ws.on('open', () =>
      resolve({
        ws,
        call: (action, payload) =>
          new Promise((res) => {
            const msgId = String((next += 1));
            pending.set(msgId, res);
            ws.send(JSON.stringify([2, msgId, action, payload]));
          }),
      })
    );
    ws.on('error', reject);
  });
}

async function traffic(stations) {
  const t0 = Date.now();
  await Promise.all(
    stations.map(async (s, i) => {
      for (let k = 0; k < EXCHANGES; k += 1) {
        if (k % 2) await s.call('MeterValues', meterValues(i));
        else await s.call('Heartbeat', {});
      }
    })
  );
  return (Date.now() - t0) / 1000;
}

async function main() {
  const child = fork(__filename, ['--server'], { execArgv: ['--expose-gc'] });
  const ask = (m) =>
    new Promise((resolve) => {
      child.once('message', resolve);
      child.send(m);
    });
  const { port } = await new Promise((resolve) => child.once('message', resolve));
  const rows = [];
  const note = (step, r, seconds) => {
    rows.push({ step, rssMB: +(r.rssKb / 1024).toFixed(1), ringBytesAll: r.status.totalBytes, recording: r.status.recording, ringPerStation: r.ringPerStation, framesPerStation: r.framesPerStation, seconds });
    console.error(`${step}: RSS ${(r.rssKb / 1024).toFixed(1)} MB, rings ${r.status.totalBytes} B, ${r.status.recording} recording`);
  };
  note('no station', await ask({}));
  const stations = [];
  for (let i = 0; i < STATIONS; i += 1) stations.push(await connect(port, `MEM-${String(i).padStart(5, '0')}`));
  await Promise.all(stations.map((s) => s.call('BootNotification', { chargePointVendor: 'bench', chargePointModel: 'mem' })));
  note(`${STATIONS} stations booted`, await ask({}));
  let seconds = await traffic(stations);
  note(`${EXCHANGES} exchanges each, inspector off`, await ask({}), seconds);
  await ask({ all: true });
  seconds = await traffic(stations);
  note(`${EXCHANGES} exchanges each, record all on`, await ask({}), seconds);
  note('record all off again', await ask({ all: false }));
  for (const s of stations) s.ws.terminate();
  child.disconnect();
  console.log(JSON.stringify({ stations: STATIONS, exchanges: EXCHANGES, node: process.version, rows }, null, 2));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
