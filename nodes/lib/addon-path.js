'use strict';
// Where the engine's addon for this platform comes from, in the napi-rs way.
// One place, used by the loader (engine.js) and the build script alike.
//
// Candidates, in order:
//   1. native/ocpp-rs.<platform>-<arch>.node: built from source on this machine
//      (`npm run build`, or `npm rebuild @ocpp-rs/node-red-ocpp` with a Rust
//      toolchain). A developer's own build always wins.
//   2. the prebuilt binary of this platform, an optional dependency:
//      @ocpp-rs/node-red-ocpp-<suffix>, e.g. @ocpp-rs/node-red-ocpp-linux-x64-gnu.
//      npm installs only the one whose os/cpu/libc match.
const fs = require('fs');
const path = require('path');

const PACKAGE = '@ocpp-rs/node-red-ocpp';
const ROOT = path.join(__dirname, '..', '..');

// The platforms with a prebuilt binary. `suffix` names the npm package and its
// .node file (napi-rs names); `rust` is the target the release workflow builds.
const TARGETS = [
  { suffix: 'linux-x64-gnu', platform: 'linux', arch: 'x64', libc: 'glibc', rust: 'x86_64-unknown-linux-gnu' },
  { suffix: 'linux-arm64-gnu', platform: 'linux', arch: 'arm64', libc: 'glibc', rust: 'aarch64-unknown-linux-gnu' },
  { suffix: 'linux-arm-gnueabihf', platform: 'linux', arch: 'arm', libc: 'glibc', rust: 'armv7-unknown-linux-gnueabihf' },
  { suffix: 'linux-x64-musl', platform: 'linux', arch: 'x64', libc: 'musl', rust: 'x86_64-unknown-linux-musl' },
  { suffix: 'darwin-x64', platform: 'darwin', arch: 'x64', libc: null, rust: 'x86_64-apple-darwin' },
  { suffix: 'darwin-arm64', platform: 'darwin', arch: 'arm64', libc: null, rust: 'aarch64-apple-darwin' },
  { suffix: 'win32-x64-msvc', platform: 'win32', arch: 'x64', libc: null, rust: 'x86_64-pc-windows-msvc' },
];

const packageName = (suffix) => `${PACKAGE}-${suffix}`;
const binaryName = (suffix) => `ocpp-rs.${suffix}.node`;

// `<platform>-<arch>`: the name of a build from source (native/ocpp-rs.<key>.node).
function platformKey(platform = process.platform, arch = process.arch) {
  return `${platform}-${arch}`;
}

function addonPath(platform, arch) {
  return path.join(ROOT, 'native', `ocpp-rs.${platformKey(platform, arch)}.node`);
}

// The C library on Linux, as napi-rs finds it: /usr/bin/ldd is a script (glibc)
// or a link to the musl loader, so its text says which; failing that, the
// process report names the glibc it runs on (musl has none). Elsewhere: null.
function detectLibc({ platform = process.platform, readFile = fs.readFileSync, report } = {}) {
  if (platform !== 'linux') return null;
  try {
    return readFile('/usr/bin/ldd', 'utf8').includes('musl') ? 'musl' : 'glibc';
  } catch (_) {
    // no ldd (a slim container): ask the process report
  }
  try {
    let header = report;
    if (!header && process.report && typeof process.report.getReport === 'function') {
      process.report.excludeNetwork = true;
      header = process.report.getReport().header;
    }
    if (header) return header.glibcVersionRuntime ? 'glibc' : 'musl';
  } catch (_) {
    // fall through
  }
  return 'glibc';
}

// The napi-rs platform key for platform/arch/libc: linux-x64-gnu, linux-arm-gnueabihf,
// darwin-arm64, win32-x64-msvc, ... (also for platforms without a prebuilt).
function abiKey({ platform, arch, libc }) {
  if (platform === 'linux') {
    const musl = libc === 'musl';
    if (arch === 'arm') return musl ? 'linux-arm-musleabihf' : 'linux-arm-gnueabihf';
    return `linux-${arch}-${musl ? 'musl' : 'gnu'}`;
  }
  if (platform === 'win32') return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

// The prebuilt target for this platform, or null with the reason there is none.
function prebuiltTarget({ platform, arch, libc, armVersion }) {
  const key = abiKey({ platform, arch, libc });
  const target = TARGETS.find((t) => t.suffix === key) || null;
  if (!target) return { key, target: null, reason: `no prebuilt binary is published for ${key}` };
  // The arm package is built for ARMv7 (Raspberry Pi 2 and later); on ARMv6 (Pi 1, Pi Zero) it
  // would die of an illegal instruction, so it is not a candidate there.
  if (arch === 'arm' && armVersion !== undefined && armVersion !== null && Number(armVersion) < 7) {
    return { key, target: null, reason: `the ${key} prebuilt binary needs ARMv7 or later; this is ARMv${armVersion}` };
  }
  return { key, target, reason: null };
}

function currentPlatform() {
  const vars = (process.config && process.config.variables) || {};
  return {
    platform: process.platform,
    arch: process.arch,
    libc: detectLibc(),
    armVersion: process.arch === 'arm' ? vars.arm_version : undefined,
  };
}

// Where to look for the addon, in order. Pure: no file system, no require.
//   [{kind: 'local', path}, {kind: 'package', name, suffix}]
function candidates({ platform, arch, libc = null, armVersion, root = ROOT }) {
  const list = [{ kind: 'local', path: path.join(root, 'native', `ocpp-rs.${platformKey(platform, arch)}.node`) }];
  const { target } = prebuiltTarget({ platform, arch, libc, armVersion });
  if (target) list.push({ kind: 'package', name: packageName(target.suffix), suffix: target.suffix });
  return list;
}

function describe(c) {
  return c.kind === 'local' ? `a build from source at ${c.path}` : `the prebuilt package ${c.name}`;
}

function resolvePackage(name, root) {
  // The package's `main` is its .node file. Look from this package's directory,
  // so npm's hoisted layout (../node-red-ocpp-<suffix>) and a nested one both work.
  return require.resolve(name, { paths: [root] });
}

// Which candidates exist here, first to last. `exists` and `resolve` are there for tests.
//   {key, platform: {...}, tried: [{...candidate, path, found, error}], path: first found or null,
//    prebuilt: the platform's package if one is published, else null, reason}
function resolveAddon(opts = {}) {
  const plat = currentPlatform();
  for (const k of ['platform', 'arch', 'libc', 'armVersion']) if (k in opts) plat[k] = opts[k];
  if ('platform' in opts && !('libc' in opts)) plat.libc = opts.platform === 'linux' ? 'glibc' : null;
  const root = opts.root || ROOT;
  const exists = opts.exists || fs.existsSync;
  const resolve = opts.resolve || ((name) => resolvePackage(name, root));
  const { key, target, reason } = prebuiltTarget(plat);
  const tried = candidates({ ...plat, root }).map((c) => {
    if (c.kind === 'local') return { ...c, found: exists(c.path) };
    try {
      return { ...c, path: resolve(c.name), found: true };
    } catch (err) {
      const notInstalled = err.code === 'MODULE_NOT_FOUND' && err.message.includes(`'${c.name}'`);
      return { ...c, path: null, found: false, error: notInstalled ? 'not installed' : err.message.split('\n')[0] };
    }
  });
  const first = tried.find((c) => c.found);
  return {
    key,
    platform: plat,
    tried,
    path: first ? first.path : null,
    prebuilt: target ? packageName(target.suffix) : null,
    reason,
  };
}

// The text of loadError: which platform key, what was tried and why it failed,
// and how to build from source.
function loadErrorMessage(resolved, failures = []) {
  const lines = [`the OCPP engine could not be loaded for platform ${resolved.key}.`];
  const tried = resolved.tried.map((c) => {
    const failure = failures.find((f) => f.candidate === c);
    const what = failure ? `failed to load: ${failure.error.message}` : c.found ? 'found' : c.error || 'not found';
    return `${describe(c)} (${what})`;
  });
  lines.push(`Tried: ${tried.join('; ')}.`);
  if (!resolved.prebuilt) {
    lines.push(
      `${resolved.reason[0].toUpperCase()}${resolved.reason.slice(1)} (prebuilt: ${TARGETS.map((t) => t.suffix).join(', ')}).`
    );
  } else if (!resolved.tried.some((c) => c.kind === 'package' && c.found)) {
    lines.push(
      `The prebuilt binary comes as the optional dependency ${resolved.prebuilt}: reinstall without --no-optional / --omit=optional to get it.`
    );
  }
  lines.push(
    `To build it from source: install a Rust toolchain (https://rustup.rs; \`cargo --version\` must work), run \`npm rebuild ${PACKAGE}\` in your Node-RED user directory, then restart Node-RED.`
  );
  return lines.join(' ');
}

// Loads the first candidate that exists and loads. {addon, path, error, resolved}
function loadAddon(opts = {}) {
  const load = opts.load || require;
  const resolved = resolveAddon(opts);
  const failures = [];
  for (const c of resolved.tried) {
    if (!c.found) continue;
    try {
      return { addon: load(c.path), path: c.path, error: null, resolved };
    } catch (error) {
      failures.push({ candidate: c, error });
    }
  }
  return { addon: null, path: null, error: new Error(loadErrorMessage(resolved, failures)), resolved };
}

module.exports = {
  PACKAGE,
  TARGETS,
  addonPath,
  platformKey,
  abiKey,
  detectLibc,
  candidates,
  resolveAddon,
  loadAddon,
  loadErrorMessage,
  packageName,
  binaryName,
};
