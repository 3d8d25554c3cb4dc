#!/usr/bin/env node
// Builds the Rust engine (release) and puts the addon where nodes/lib/engine.js
// loads it from: native/ocpp-rs.<platform>-<arch>.node.
//
//   node scripts/build-addon.js            build; fail loudly if cargo is missing
//   node scripts/build-addon.js --install  npm's install hook: without a Rust
//                                          toolchain, explain and carry on, so the
//                                          package still installs and its nodes
//                                          show the reason in the editor.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const asInstallHook = process.argv.includes('--install');
const { addonPath } = require('../nodes/lib/addon-path');

function libraryName() {
  const base = 'ocpp_rs_node_red';
  if (process.platform === 'win32') return `${base}.dll`;
  if (process.platform === 'darwin') return `lib${base}.dylib`;
  return `lib${base}.so`;
}

function main() {
  const cargo = process.env.CARGO || 'cargo';
  const probe = spawnSync(cargo, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    const msg = [
      '@ocpp-rs/node-red-ocpp: no Rust toolchain found, so the OCPP engine was not built.',
      'Install Rust (https://rustup.rs, then `cargo --version` must work) and run',
      '`npm rebuild @ocpp-rs/node-red-ocpp` in your Node-RED user directory.',
    ].join('\n');
    if (asInstallHook) {
      console.warn(msg);
      return 0;
    }
    console.error(msg);
    return 1;
  }
  const targetDir = process.env.CARGO_TARGET_DIR || path.join(root, 'target');
  const build = spawnSync(cargo, ['build', '--release', '--lib'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) {
    console.error('@ocpp-rs/node-red-ocpp: `cargo build --release` failed (see above).');
    return build.status || 1;
  }
  const built = path.join(targetDir, 'release', libraryName());
  const dest = addonPath();
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  // Copy to a temporary name and rename, so a running Node-RED never loads half a file.
  const tmp = `${dest}.${process.pid}.tmp`;
  fs.copyFileSync(built, tmp);
  fs.renameSync(tmp, dest);
  console.log(`@ocpp-rs/node-red-ocpp: engine built: ${path.relative(root, dest)}`);
  return 0;
}

process.exitCode = main();
