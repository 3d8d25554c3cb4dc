#!/usr/bin/env node
// Builds the Rust engine (release) and puts the addon where nodes/lib/engine.js
// loads it from first: native/ocpp-rs.<platform>-<arch>.node.
//
//   node scripts/build-addon.js            build from source; fail loudly if cargo is missing
//   node scripts/build-addon.js --install  npm's install hook: if this platform's prebuilt
//                                          package (@ocpp-rs/node-red-ocpp-<suffix>, an
//                                          optional dependency) is installed and loads, do
//                                          nothing; else build from source, and without a
//                                          Rust toolchain explain and carry on, so the
//                                          package still installs and its nodes show the
//                                          reason in the editor.
//
// OCPP_RS_BUILD_FROM_SOURCE=1 makes --install build from source even when a prebuilt is there.
//
// Where cargo builds: in a clone (`npm run build`, `npm start`, `npm test`, and `npm install`
// there), in target/, kept between builds so they are incremental. When this package is
// installed as a dependency (it sits in a node_modules/), in target/ too, but target/ is
// removed once the .node is copied out: cargo's build tree is ~270 MB and the installed
// package keeps only native/ocpp-rs.<platform>-<arch>.node (~8 MB). CARGO_TARGET_DIR, if
// set, is used and kept as it is, in both cases. (docs/INSTALL.md has the figures.)
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const asInstallHook = process.argv.includes('--install');
const { addonPath, resolveAddon, TARGETS, PACKAGE } = require('../nodes/lib/addon-path');

const forced = () => ['1', 'true', 'yes'].includes(String(process.env.OCPP_RS_BUILD_FROM_SOURCE || '').toLowerCase());

// This platform's prebuilt package, if it is installed and loads in a fresh Node
// (a child process: loading starts the engine's runtime, which this script does
// not need). Returns {prebuilt: {name, path} or null, why: the reason when null, key}.
function usablePrebuilt() {
  const resolved = resolveAddon();
  const pkg = resolved.tried.find((c) => c.kind === 'package');
  if (!resolved.prebuilt) return { prebuilt: null, why: resolved.reason, key: resolved.key };
  if (!pkg || !pkg.found) return { prebuilt: null, why: `${resolved.prebuilt} is not installed`, key: resolved.key };
  const probe = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(pkg.path)})`], { encoding: 'utf8', timeout: 30000 });
  if (probe.status !== 0) {
    const reason = (probe.stderr || '').split('\n').find((l) => /Error/.test(l)) || `exit ${probe.status}`;
    return { prebuilt: null, why: `${resolved.prebuilt} does not load here (${reason.trim()})`, key: resolved.key };
  }
  return { prebuilt: { name: pkg.name, path: pkg.path }, key: resolved.key };
}

function libraryName() {
  const base = 'ocpp_rs_node_red';
  if (process.platform === 'win32') return `${base}.dll`;
  if (process.platform === 'darwin') return `lib${base}.dylib`;
  return `lib${base}.so`;
}

// Installed as a dependency (in some node_modules/), not a clone being developed.
function installedAsDependency() {
  return root.split(path.sep).includes('node_modules');
}

function main() {
  let found = null;
  if (asInstallHook) {
    found = usablePrebuilt();
    if (found.prebuilt && !forced()) {
      console.log(`${PACKAGE}: using the prebuilt engine ${found.prebuilt.name}; no build needed.`);
      return 0;
    }
  }
  const cargo = process.env.CARGO || 'cargo';
  const probe = spawnSync(cargo, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    const msg = [
      `${PACKAGE}: no Rust toolchain found, so the OCPP engine was not built from source` +
        (found && found.why ? ` (no prebuilt binary: ${found.why}).` : '.'),
      `Prebuilt binaries exist for: ${TARGETS.map((t) => t.suffix).join(', ')} (this platform: ${found ? found.key : resolveAddon().key}).`,
      'To build from source, install Rust (https://rustup.rs; then `cargo --version` must work) and run',
      `\`npm rebuild ${PACKAGE}\` in your Node-RED user directory.`,
    ].join('\n');
    if (asInstallHook) {
      console.warn(msg);
      return 0;
    }
    console.error(msg);
    return 1;
  }
  // A build for an installed package leaves only the .node behind (see the top of this file).
  const forInstall = installedAsDependency();
  const targetDir = process.env.CARGO_TARGET_DIR || path.join(root, 'target');
  const removeTarget = forInstall && !process.env.CARGO_TARGET_DIR;
  const args = ['build', '--release', '--lib'];
  if (forInstall) {
    console.log(
      `${PACKAGE}: building the OCPP engine from source with \`cargo ${args.join(' ')}\` ` +
        '(a few minutes on a first build; `npm install --foreground-scripts` shows its progress)...'
    );
  }
  const t0 = Date.now();
  const build = spawnSync(cargo, args, { cwd: root, stdio: 'inherit', env: { ...process.env, CARGO_TARGET_DIR: targetDir } });
  try {
    if (build.status !== 0) {
      console.error(`${PACKAGE}: \`cargo ${args.join(' ')}\` failed (see above).`);
      return build.status || 1;
    }
    const built = path.join(targetDir, 'release', libraryName());
    const dest = addonPath();
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    // Copy to a temporary name and rename, so a running Node-RED never loads half a file.
    const tmp = `${dest}.${process.pid}.tmp`;
    fs.copyFileSync(built, tmp);
    fs.renameSync(tmp, dest);
    const took = forInstall ? ` in ${Math.round((Date.now() - t0) / 1000)} s` : '';
    console.log(`${PACKAGE}: engine built${took}: ${path.relative(root, dest)}`);
    return 0;
  } finally {
    // Failed or not: a failed build's tree is as large, and the next try starts over.
    if (removeTarget) fs.rmSync(targetDir, { recursive: true, force: true });
  }
}

process.exitCode = main();
