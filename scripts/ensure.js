#!/usr/bin/env node
// Runs before `npm start` and `npm test`: installs what is missing and builds
// the engine, so a fresh clone needs no step before either command.
'use strict';
const { spawnSync } = require('child_process');
const path = require('path');

const root = path.resolve(__dirname, '..');
const pkg = require(path.join(root, 'package.json'));

function missingDependencies() {
  const wanted = Object.keys({ ...(pkg.dependencies || {}), ...(pkg.devDependencies || {}) });
  return wanted.filter((name) => {
    try {
      require.resolve(`${name}/package.json`, { paths: [root] });
      return false;
    } catch (_) {
      return true;
    }
  });
}

function run(cmd, args) {
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.status !== 0) {
    console.error(`\`${cmd} ${args.join(' ')}\` failed`);
    process.exit(result.status || 1);
  }
}

const missing = missingDependencies();
if (missing.length) {
  console.log(`Installing ${missing.length} missing package(s): ${missing.join(', ')}`);
  run('npm', ['install', '--no-audit', '--no-fund']);
}
// Incremental: cargo only rebuilds what changed, in a second when nothing did.
run(process.execPath, [path.join(__dirname, 'build-addon.js')]);
