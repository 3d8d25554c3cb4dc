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
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { ROOT: root, pkg, npm, mb, checks, freePort, treeBytes, packTarball, writeUserDir, startNodeRed, stopNodeRed, ourNodeSets, stationHandshake } = require('./lib/package-check');

const keep = process.argv.includes('--keep');
const LIMIT_MB = 40;
const { check, finish } = checks('test-install');

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ocpp-rs-test-install-'));
  const userDir = path.join(tmp, 'node-red-user');
  let red = null;
  try {
    // 1. The tarball.
    const tarball = packTarball(root, tmp);
    console.log(`test-install: packed ${path.basename(tarball)} (${mb(fs.statSync(tarball).size)} MB)`);

    // 2. A clean Node-RED user directory, and the install.
    const csPort = await freePort();
    const editorPort = await freePort();
    writeUserDir(userDir, [
      { id: 't1', type: 'tab', label: 'test-install' },
      { id: 'cs', z: 't1', type: 'CS server', name: '', port: String(csPort), portType: 'num', enabled16j: true, path16j: '/ocpp', wires: [[], []] },
    ]);
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
    const redVersion = require(require.resolve('node-red/package.json', { paths: [root] })).version;
    const node = await startNodeRed({ userDir, port: editorPort, timeoutMs: 60000, pollMs: 100 });
    red = node.red;
    const { started } = node;
    if (!check(`Node-RED ${redVersion} starts on the user directory`, started)) {
      console.log(node.log());
      return;
    }
    // This Node-RED also finds the repo's own node_modules, with node-red-contrib-ocpp (a
    // devDependency for the interop tests): it warns that the types are already registered
    // by our package, which the user directory's modules load before. Ours must have no error.
    const { sets, ok, errors } = await ourNodeSets(editorPort);
    const types = sets.flatMap((s) => s.types || []);
    check(`Node-RED loaded ${pkg.name} ${sets[0] ? sets[0].version : ''} from the user directory`, ok, `${sets.length} node sets, ${types.length} types: ${types.join(', ')}${errors}`);
    check('no missing node types in the log', !/Waiting for missing types|missing types/i.test(node.log()));
    let protocol = null;
    try {
      protocol = await stationHandshake(csPort, 'INSTALL-TEST');
    } catch (err) {
      console.log(`test-install: ${err.message}`);
    }
    check("the flow's CS server (the engine, loaded from the installed package) accepts an OCPP-J 1.6 station", protocol === 'ocpp1.6', `subprotocol ${protocol}`);
    console.log(`test-install: the Node-RED log:\n${node.log()}`);
    console.log(`test-install: install ${installSeconds} s, installed ${mb(bytes)} MB`);
  } finally {
    await stopNodeRed(red);
    if (keep) console.log(`test-install: kept ${tmp}`);
    else fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  () => finish(),
  (err) => {
    console.error(err);
    process.exitCode = 1;
  }
);
