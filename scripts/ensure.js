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

// Debian packages the tests start themselves: redis-server (the cluster's
// Redis) and haproxy (the load balancer in front of several Node-REDs).
// Installed when missing and this is root on Debian (CI); elsewhere the
// cluster tests say what to install.
function ensureDebianPackages() {
  const wanted = [
    ['redis-server', 'redis-server'],
    ['haproxy', 'haproxy'],
  ].filter(([bin]) => spawnSync('sh', ['-c', `command -v ${bin} || test -x /usr/sbin/${bin}`]).status !== 0);
  if (!wanted.length) return;
  const names = wanted.map(([, pkg]) => pkg);
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get']).status === 0;
  if (!isRoot || !hasApt) {
    console.warn(`Missing ${names.join(' and ')} for the cluster tests: install ${names.join(' ')} (Debian: apt-get install -y ${names.join(' ')})`);
    return;
  }
  console.log(`Installing ${names.join(', ')} (Debian packages the cluster tests start)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const opts = { stdio: 'inherit', env };
  if (spawnSync('apt-get', ['update', '-qq'], opts).status !== 0 || spawnSync('apt-get', ['install', '-y', '-qq', ...names], opts).status !== 0) {
    console.warn(`Could not install ${names.join(' ')}; the cluster tests will fail until they are installed`);
  }
}

if (process.argv.includes('--test')) ensureDebianPackages();

const missing = missingDependencies();
if (missing.length) {
  console.log(`Installing ${missing.length} missing package(s): ${missing.join(', ')}`);
  run('npm', ['install', '--no-audit', '--no-fund']);
}
// Incremental: cargo only rebuilds what changed, in a second when nothing did.
run(process.execPath, [path.join(__dirname, 'build-addon.js')]);
