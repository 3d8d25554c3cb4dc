'use strict';
// What the two package checks share, `npm run test:install` (scripts/test-install.js: the
// tarball installed and the engine built from source) and `npm run test:prebuilt`
// (scripts/test-prebuilt.js: the tarballs installed on an emulated ARM device): the
// ok/FAIL lines and their count, tarballs packed, a Node-RED user directory written, that
// Node-RED started and asked which of our node sets it loaded, and a real OCPP-J 1.6 station
// against the flow's CS server.
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const http = require('http');
const net = require('net');
const path = require('path');

const ROOT = path.resolve(__dirname, '..', '..');
const pkg = require(path.join(ROOT, 'package.json'));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

const mb = (bytes) => (bytes / 1048576).toFixed(1);

// The checks of one script, each printed as `<prefix>: ok  <what> (<detail>)` or `FAIL`.
// `check` returns whether it held, so a script can stop where the rest cannot follow;
// `finish` prints the count and sets the exit code (1 when any failed, or none ran).
function checks(prefix) {
  const results = [];
  function check(what, ok, detail = '') {
    results.push({ what, ok });
    console.log(`${prefix}: ${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? ` (${detail})` : ''}`);
    return ok;
  }
  function finish() {
    const failed = results.filter((r) => !r.ok).length;
    console.log(`${prefix}: ${results.length - failed} passed, ${failed} failed`);
    process.exitCode = failed || !results.length ? 1 : 0;
  }
  return { results, check, finish };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// Bytes in a directory tree, as du counts them (allocated blocks where the platform says).
function treeBytes(dir) {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    const st = fs.lstatSync(p);
    total += st.blocks !== undefined ? st.blocks * 512 : st.size;
    if (entry.isDirectory()) total += treeBytes(p);
  }
  return total;
}

// `npm pack` of the package in `dir` into `dest`; the tarball's path.
function packTarball(dir, dest) {
  const pack = spawnSync(npm, ['pack', '--json', '--pack-destination', dest], { cwd: dir, encoding: 'utf8', shell: process.platform === 'win32' });
  if (pack.status !== 0) throw new Error(`npm pack in ${dir} failed:\n${pack.stderr}`);
  return path.join(dest, JSON.parse(pack.stdout)[0].filename);
}

// A clean Node-RED user directory: a package.json as Node-RED writes one, and `flows`.
function writeUserDir(userDir, flows) {
  fs.mkdirSync(userDir);
  fs.writeFileSync(
    path.join(userDir, 'package.json'),
    JSON.stringify({ name: 'node-red-project', description: 'A Node-RED Project', version: '0.0.1', private: true }, null, 4)
  );
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flows));
}

function getJson(port, urlPath) {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: urlPath, headers: { Accept: 'application/json' } }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => {
          try {
            resolve(JSON.parse(body));
          } catch (err) {
            reject(new Error(`GET ${urlPath}: ${res.statusCode} ${body.slice(0, 200)}`));
          }
        });
      })
      .on('error', reject);
  });
}

// The repo's Node-RED 4 (node_modules/node-red/red.js) run by `node` on `userDir`, its
// editor on `port`. Resolves with the child, its log so far (`red.log()`) and whether
// "Started flows" came within `timeoutMs` (false at once when it exits).
async function startNodeRed({ node = process.execPath, userDir, port, env, timeoutMs, pollMs }) {
  const redJs = require.resolve('node-red/red.js', { paths: [ROOT] });
  const red = spawn(node, [redJs, '-u', userDir, '-p', String(port)], { cwd: userDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  red.stdout.on('data', (d) => (log += d));
  red.stderr.on('data', (d) => (log += d));
  const started = await new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    const poll = setInterval(() => {
      if (/Started flows/.test(log) || red.exitCode !== null) {
        clearTimeout(timer);
        clearInterval(poll);
        resolve(/Started flows/.test(log));
      }
    }, pollMs);
  });
  return { red, log: () => log, started };
}

// Ends a Node-RED `startNodeRed` started (if it still runs) and waits for it to exit.
async function stopNodeRed(red) {
  if (red && red.exitCode === null) {
    const exited = new Promise((r) => red.once('exit', r));
    red.kill('SIGTERM');
    await exited;
  }
}

// The node sets of our package Node-RED on `port` loaded (its admin API, GET /nodes), and
// whether they are all of them, enabled, without error and from the user directory.
async function ourNodeSets(port) {
  const sets = (await getJson(port, '/nodes')).filter((s) => s.module === pkg.name);
  const ok = sets.length === Object.keys(pkg['node-red'].nodes).length && sets.every((s) => s.enabled && !s.err && s.local);
  const errors = sets.some((s) => s.err) ? `; errors: ${JSON.stringify(sets.map((s) => s.err).filter(Boolean))}` : '';
  return { sets, ok, errors };
}

function WebSocket() {
  return require(require.resolve('ws', { paths: [ROOT] }));
}

// An OCPP-J 1.6 station's WebSocket handshake: resolves with the subprotocol the server chose.
function stationHandshake(port, id) {
  const Ws = WebSocket();
  return new Promise((resolve, reject) => {
    const ws = new Ws(`ws://127.0.0.1:${port}/ocpp/${id}`, ['ocpp1.6']);
    const timer = setTimeout(() => reject(new Error('no handshake within 10 s')), 10000);
    ws.on('open', () => {
      clearTimeout(timer);
      const protocol = ws.protocol;
      ws.close();
      resolve(protocol);
    });
    ws.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

// A real OCPP-J 1.6 station: connects, sends BootNotification, then a Heartbeat, and resolves
// with the two CALLRESULT payloads. Runs on this machine's Node, as a charger on the network would.
function stationBoots(port, id, model) {
  const Ws = WebSocket();
  return new Promise((resolve, reject) => {
    const ws = new Ws(`ws://127.0.0.1:${port}/ocpp/${id}`, ['ocpp1.6']);
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('the station got no answer within 60 s'));
    }, 60000);
    const fail = (err) => {
      clearTimeout(timer);
      ws.terminate();
      reject(err);
    };
    const got = {};
    ws.on('open', () => {
      if (ws.protocol !== 'ocpp1.6') return fail(new Error(`subprotocol ${ws.protocol}`));
      ws.send(JSON.stringify([2, 'boot-1', 'BootNotification', { chargePointVendor: 'ocpp-rs', chargePointModel: model }]));
    });
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data));
      if (frame[0] !== 3) return fail(new Error(`unexpected frame ${String(data).slice(0, 200)}`));
      got[frame[1]] = frame[2];
      if (frame[1] === 'boot-1') ws.send(JSON.stringify([2, 'hb-1', 'Heartbeat', {}]));
      if (frame[1] === 'hb-1') {
        clearTimeout(timer);
        ws.close();
        resolve(got);
      }
    });
    ws.on('error', fail);
  });
}

module.exports = {
  ROOT,
  pkg,
  npm,
  mb,
  checks,
  freePort,
  treeBytes,
  packTarball,
  writeUserDir,
  getJson,
  startNodeRed,
  stopNodeRed,
  ourNodeSets,
  stationHandshake,
  stationBoots,
};
