'use strict';
// What `npm run prebuild` (scripts/prebuild.js) and `npm run test:prebuilt`
// (scripts/test-prebuilt.js) share: installing missing tools the way scripts/ensure.js
// does (Debian packages when this is root on Debian, else a message saying what to
// install), running commands loudly, and reading a built engine's ELF facts.
//
// The ELF checks are pure functions over readelf's text, so they are unit-tested
// (test/prebuild.test.js) without a cross build.
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { treeBytes } = require('./lib/package-check');

const ROOT = path.resolve(__dirname, '..');
// Everything the cross builds and the emulation tests fetch or build lives here: cargo's
// build tree for the four targets, the Python venv with zig, the emulated Nodes and npm.
const WORK = path.join(ROOT, 'target', 'prebuild');

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

// Runs a command with its output shown; throws with the command line when it fails.
function run(cmd, args, opts = {}) {
  const res = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (res.error) throw new Error(`\`${cmd} ${args.join(' ')}\` could not start: ${res.error.message}`);
  if (res.status !== 0) throw new Error(`\`${cmd} ${args.join(' ')}\` failed (exit ${res.status})`);
  return res;
}

// Debian packages that are not installed yet (dpkg's view, so libraries count too).
function missingDebs(names) {
  return names.filter((n) => {
    const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', n], { encoding: 'utf8' });
    return r.status !== 0 || !/install ok installed/.test(r.stdout);
  });
}

// Installs the Debian packages that are missing, as scripts/ensure.js does for redis-server:
// only as root with apt-get (CI, a container); elsewhere throws with the command to run.
function ensureDebs(names, why) {
  const missing = has('dpkg-query') ? missingDebs(names) : names;
  if (!missing.length) return;
  if (!isRoot() || !has('apt-get')) {
    throw new Error(`${why} needs the Debian packages ${missing.join(' ')}: run \`sudo apt-get install -y ${missing.join(' ')}\``);
  }
  console.log(`Installing ${missing.join(', ')} (${why})`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], { env });
  run('apt-get', ['install', '-y', '-qq', ...missing], { env });
}

// The readelf text of a file: -h (header), -l (program headers), -d (dynamic section), -V (versions).
function readelf(file) {
  const res = spawnSync('readelf', ['-W', '-h', '-l', '-d', '-V', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (res.status !== 0) throw new Error(`readelf ${file} failed: ${res.stderr}`);
  return res.stdout;
}

// Compares dotted versions ("2.17" < "2.28" < "2.3.4" is false: numeric per part).
function compareVersions(a, b) {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] || 0) - (pb[i] || 0);
    if (d) return d;
  }
  return 0;
}

// The facts that decide where an engine loads, from readelf's text:
//   {elfClass: 'ELF64', machine: 'AArch64', interpreter: null | path, needed: [...],
//    glibc: [versions referenced], glibcMax: '2.28' | null}
function elfFacts(text) {
  const line = (re) => (text.match(re) || [])[1] || null;
  const glibc = [...new Set([...text.matchAll(/Name: GLIBC_([0-9.]+)/g)].map((m) => m[1]))].sort(compareVersions);
  return {
    elfClass: line(/^\s*Class:\s+(\S+)/m),
    machine: line(/^\s*Machine:\s+(.+?)\s*$/m),
    interpreter: line(/Requesting program interpreter: ([^\]]+)\]/),
    needed: [...text.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]),
    glibc,
    glibcMax: glibc.length ? glibc[glibc.length - 1] : null,
  };
}

// What the engine of each Linux target must look like. `needed` is every library it may ask
// for: the C library and what comes with it on every system of that kind.
const EXPECT = {
  'linux-x64-gnu': { elfClass: 'ELF64', machine: /X86-64/, libc: 'glibc' },
  'linux-arm64-gnu': { elfClass: 'ELF64', machine: /AArch64/, libc: 'glibc' },
  'linux-arm-gnueabihf': { elfClass: 'ELF32', machine: /^ARM$/, libc: 'glibc' },
  'linux-x64-musl': { elfClass: 'ELF64', machine: /X86-64/, libc: 'musl' },
};
const GLIBC_LIBS = /^(libc\.so\.6|libm\.so\.6|libdl\.so\.2|libpthread\.so\.0|librt\.so\.1|libgcc_s\.so\.1|ld-linux-[a-z0-9-]+\.so\.[0-9]+|ld-linux\.so\.[0-9]+)$/;
// musl's loader answers these names with itself (ldso/dynlink.c's reserved names), so
// `libc.so` needs no musl-dev; libgcc_s is Alpine's libgcc package, in node:*-alpine.
const MUSL_LIBS = /^(libc\.so|libc\.musl-x86_64\.so\.1|libm\.so|libdl\.so|libpthread\.so|librt\.so|libgcc_s\.so\.1)$/;

// The problems with an engine's facts for a target, [] when it is right. Pure.
function elfProblems(suffix, facts, maxGlibc) {
  const want = EXPECT[suffix];
  if (!want) return [`no ELF expectations for ${suffix}`];
  const out = [];
  if (facts.elfClass !== want.elfClass) out.push(`class ${facts.elfClass}, expected ${want.elfClass}`);
  if (!want.machine.test(facts.machine || '')) out.push(`machine ${facts.machine}, expected ${want.machine}`);
  if (facts.interpreter) out.push(`it asks for a program interpreter (${facts.interpreter}); a shared library must not`);
  const libs = want.libc === 'musl' ? MUSL_LIBS : GLIBC_LIBS;
  const odd = facts.needed.filter((n) => !libs.test(n));
  if (odd.length) out.push(`it needs ${odd.join(', ')}, which a ${want.libc} system may not have`);
  if (want.libc === 'musl') {
    if (facts.glibc.length) out.push(`it references glibc symbol versions (GLIBC_${facts.glibcMax}): it would not load on musl`);
    if (facts.needed.some((n) => /^libc\.so\.6$|^ld-linux/.test(n))) out.push('it needs the glibc C library');
  } else {
    if (!facts.glibcMax) out.push('no GLIBC_ symbol versions: not linked against glibc');
    else if (compareVersions(facts.glibcMax, maxGlibc) > 0) out.push(`it needs GLIBC_${facts.glibcMax}, newer than ${maxGlibc}`);
  }
  return out;
}

module.exports = { ROOT, WORK, isRoot, has, run, ensureDebs, readelf, compareVersions, elfFacts, elfProblems, treeBytes, EXPECT };
