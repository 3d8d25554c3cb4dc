#!/usr/bin/env node
// `npm run test:install`: a user's install from a packed tarball, end to end.
//
//   1. `npm pack` this checkout;
//   2. a clean Node-RED user directory (a package.json as Node-RED writes one, and a flow
//      with a CS server), `npm install --foreground-scripts <tarball>` there, building the
//      engine from source (OCPP_RS_BUILD_FROM_SOURCE=1: what happens wherever no prebuilt
//      package is installed, and today everywhere, as the prebuilt packages are not yet on
//      the registry);
//   3. checks that the installed package keeps no cargo build tree (target/) and is at
//      most 40 MB, with the engine in native/;
//   4. starts Node-RED (the repo's Node-RED 4: node_modules/node-red/red.js -u <dir> -p <port>)
//      on that directory and checks it loaded our node types (its admin API, GET /nodes) and
//      that the flow's CS server accepts an OCPP-J 1.6 station.
//
// Prints the install time and the installed size. `--keep` leaves the directory for a look.
'use strict';
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const http = require('http');
const net = require('net');
const os = require('os');
const path = require('path');

const root = path.resolve(__dirname, '..');
const pkg = require(path.join(root, 'package.json'));
const keep = process.argv.includes('--keep');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const LIMIT_MB = 40;

const results = [];
function check(what, ok, detail = '') {
  results.push({ what, ok });
  console.log(`test-install: ${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? ` (${detail})` : ''}`);
  return ok;
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
const mb = (bytes) => (bytes / 1048576).toFixed(1);

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

// An OCPP-J 1.6 station's WebSocket handshake: resolves with the subprotocol the server chose.
function stationHandshake(port, id) {
  const WebSocket = require(require.resolve('ws', { paths: [root] }));
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ocpp/${id}`, ['ocpp1.6']);
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

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ocpp-rs-test-install-'));
  const userDir = path.join(tmp, 'node-red-user');
  let red = null;
  try {
    // 1. The tarball.
    const pack = spawnSync(npm, ['pack', '--json', '--pack-destination', tmp], { cwd: root, encoding: 'utf8', shell: process.platform === 'win32' });
    if (pack.status !== 0) throw new Error(`npm pack failed:\n${pack.stderr}`);
    const tarball = path.join(tmp, JSON.parse(pack.stdout)[0].filename);
    console.log(`test-install: packed ${path.basename(tarball)} (${mb(fs.statSync(tarball).size)} MB)`);

    // 2. A clean Node-RED user directory, and the install.
    const csPort = await freePort();
    const editorPort = await freePort();
    fs.mkdirSync(userDir);
    fs.writeFileSync(
      path.join(userDir, 'package.json'),
      JSON.stringify({ name: 'node-red-project', description: 'A Node-RED Project', version: '0.0.1', private: true }, null, 4)
    );
    fs.writeFileSync(
      path.join(userDir, 'flows.json'),
      JSON.stringify([
        { id: 't1', type: 'tab', label: 'test-install' },
        { id: 'cs', z: 't1', type: 'CS server', name: '', port: String(csPort), portType: 'num', enabled16j: true, path16j: '/ocpp', wires: [[], []] },
      ])
    );
    console.log(`test-install: npm install ${path.basename(tarball)} in ${userDir} (the engine is built from source)`);
    const t0 = Date.now();
    // A user's environment: no CARGO_TARGET_DIR (with one, cargo's tree would stay there).
    const env = { ...process.env, OCPP_RS_BUILD_FROM_SOURCE: '1' };
    delete env.CARGO_TARGET_DIR;
    const install = spawnSync(npm, ['install', '--no-audit', '--no-fund', '--foreground-scripts', tarball], {
      cwd: userDir,
      stdio: 'inherit',
      env,
      shell: process.platform === 'win32',
    });
    const installSeconds = Math.round((Date.now() - t0) / 1000);
    if (!check('npm install of the tarball succeeds', install.status === 0, `exit ${install.status}, ${installSeconds} s`)) return;

    // 3. What stays installed.
    const pkgDir = path.join(userDir, 'node_modules', ...pkg.name.split('/'));
    const addon = path.join(pkgDir, 'native', `ocpp-rs.${process.platform}-${process.arch}.node`);
    check('the engine was built into native/', fs.existsSync(addon), path.relative(userDir, addon));
    check("cargo's build tree is gone", !fs.existsSync(path.join(pkgDir, 'target')));
    const bytes = treeBytes(pkgDir);
    check(`the installed package is at most ${LIMIT_MB} MB`, bytes <= LIMIT_MB * 1048576, `${mb(bytes)} MB, of which the engine ${fs.existsSync(addon) ? mb(fs.statSync(addon).size) : '?'} MB`);

    // 4. Node-RED on that user directory.
    const redJs = require.resolve('node-red/red.js', { paths: [root] });
    const redVersion = require(require.resolve('node-red/package.json', { paths: [root] })).version;
    red = spawn(process.execPath, [redJs, '-u', userDir, '-p', String(editorPort)], { cwd: userDir, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    red.stdout.on('data', (d) => (log += d));
    red.stderr.on('data', (d) => (log += d));
    const started = await new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), 60000);
      const poll = setInterval(() => {
        if (/Started flows/.test(log) || red.exitCode !== null) {
          clearTimeout(timer);
          clearInterval(poll);
          resolve(/Started flows/.test(log));
        }
      }, 100);
    });
    if (!check(`Node-RED ${redVersion} starts on the user directory`, started)) {
      console.log(log);
      return;
    }
    // This Node-RED also finds the repo's own node_modules, with node-red-contrib-ocpp (a
    // devDependency for the interop tests): it warns that the types are already registered
    // by our package, which the user directory's modules load before. Ours must have no error.
    const all = await getJson(editorPort, '/nodes');
    const sets = all.filter((s) => s.module === pkg.name);
    const types = sets.flatMap((s) => s.types || []);
    check(
      `Node-RED loaded ${pkg.name} ${sets[0] ? sets[0].version : ''} from the user directory`,
      sets.length === Object.keys(pkg['node-red'].nodes).length && sets.every((s) => s.enabled && !s.err && s.local),
      `${sets.length} node sets, ${types.length} types: ${types.join(', ')}${sets.some((s) => s.err) ? `; errors: ${JSON.stringify(sets.map((s) => s.err).filter(Boolean))}` : ''}`
    );
    check('no missing node types in the log', !/Waiting for missing types|missing types/i.test(log));
    let protocol = null;
    try {
      protocol = await stationHandshake(csPort, 'INSTALL-TEST');
    } catch (err) {
      console.log(`test-install: ${err.message}`);
    }
    check("the flow's CS server (the engine, loaded from the installed package) accepts an OCPP-J 1.6 station", protocol === 'ocpp1.6', `subprotocol ${protocol}`);
    console.log(`test-install: the Node-RED log:\n${log}`);
    console.log(`test-install: install ${installSeconds} s, installed ${mb(bytes)} MB`);
  } finally {
    if (red && red.exitCode === null) {
      const exited = new Promise((r) => red.once('exit', r));
      red.kill('SIGTERM');
      await exited;
    }
    if (keep) console.log(`test-install: kept ${tmp}`);
    else fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  () => {
    const failed = results.filter((r) => !r.ok).length;
    console.log(`test-install: ${results.length - failed} passed, ${failed} failed`);
    process.exitCode = failed || !results.length ? 1 : 0;
  },
  (err) => {
    console.error(err);
    process.exitCode = 1;
  }
);
