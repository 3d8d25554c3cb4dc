#!/usr/bin/env node
// `npm run prebuild -- [suffix...]`: cross-builds the engine for the Linux prebuilt packages
// from a Linux x64 machine, each into npm/<suffix>/ocpp-rs.<suffix>.node (the file
// nodes/lib/addon-path.js loads from @ocpp-rs/node-red-ocpp-<suffix>).
//
//   npm run prebuild                          all four: linux-x64-gnu, linux-arm64-gnu,
//                                             linux-arm-gnueabihf, linux-x64-musl
//   npm run prebuild -- linux-arm64-gnu       only those named
//
// How: `cargo zigbuild` (zig as the C compiler and linker), one target at a time, into
// target/prebuild/ (cargo's build tree for the cross builds, apart from target/release).
//   - gnu targets link against glibc 2.28 (`<triple>.2.28`): Debian 10 / Raspberry Pi OS
//     Buster, the oldest a Pi still runs, and every later glibc. OCPP_RS_GLIBC overrides it.
//   - musl links the C runtime dynamically (`-C target-feature=-crt-static`): a cdylib that
//     Alpine's Node loads must share its libc.
// Missing tools are installed: the Rust targets with `rustup target add`, zig and
// cargo-zigbuild from PyPI (ziglang, cargo-zigbuild) into a venv in target/prebuild/venv,
// readelf (binutils) from Debian when this is root. Each engine is then checked: ELF class
// and machine, no interpreter, the libraries it needs, and the newest GLIBC_ symbol version
// it references, printed.
//
// The release workflow (.github/workflows/release.yml) builds its Linux packages with this
// script, so there is one way to build a release.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { TARGETS, binaryName } = require('../nodes/lib/addon-path');
const { ROOT, WORK, has, run, ensureDebs, readelf, elfFacts, elfProblems } = require('./cross-tools');

const GLIBC = process.env.OCPP_RS_GLIBC || '2.28';
// The tool versions this was built and tested with; a newer zig may change what it links.
const PY_TOOLS = ['ziglang==0.17.1', 'cargo-zigbuild==0.24.1'];
const LINUX = TARGETS.filter((t) => t.platform === 'linux');
const LIB = 'libocpp_rs_node_red.so';

// The targets to build for the command line's suffixes (all Linux ones when none). Pure.
function plan(args) {
  const names = args.filter((a) => !a.startsWith('-'));
  if (!names.length) return LINUX;
  return names.map((name) => {
    const t = TARGETS.find((x) => x.suffix === name);
    if (!t) throw new Error(`unknown target ${name}: the Linux prebuilts are ${LINUX.map((x) => x.suffix).join(', ')}`);
    if (t.platform !== 'linux') throw new Error(`${name} is built on its own OS (release.yml's ${t.platform} job), not cross-built here`);
    return t;
  });
}

// What cargo zigbuild is given as --target: glibc targets carry the glibc version. Pure.
function zigTarget(t, glibc = GLIBC) {
  return t.libc === 'glibc' ? `${t.rust}.${glibc}` : t.rust;
}

// Environment additions for a target's build. Pure.
function targetEnv(t) {
  if (t.libc !== 'musl') return {};
  // Only for the target (not for build scripts, which run here on glibc).
  const key = `CARGO_TARGET_${t.rust.toUpperCase().replace(/-/g, '_')}_RUSTFLAGS`;
  return { [key]: '-C target-feature=-crt-static' };
}

const ok = (cmd, args, env) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env });
  return r.status === 0 ? r.stdout.trim() : null;
};

// Rust targets, zig and cargo-zigbuild, readelf: installs what is missing, returns the env
// to build with (PATH with the venv's bin first when the tools come from there).
function ensureTools(targets) {
  if (!has('cargo')) throw new Error('no cargo on PATH: install Rust (https://rustup.rs) to cross-build the engine');
  if (!has('readelf')) ensureDebs(['binutils'], 'checking the built engines (readelf)');
  const installed = (ok('rustup', ['target', 'list', '--installed']) || '').split('\n');
  const want = targets.map((t) => t.rust).filter((r) => !installed.includes(r));
  if (want.length) {
    if (!has('rustup')) throw new Error(`the Rust targets ${want.join(' ')} are missing and there is no rustup to add them`);
    console.log(`prebuild: rustup target add ${want.join(' ')}`);
    run('rustup', ['target', 'add', ...want]);
  }
  const env = { ...process.env };
  const venv = path.join(WORK, 'venv');
  const venvBin = path.join(venv, 'bin');
  if (fs.existsSync(path.join(venvBin, 'cargo-zigbuild'))) env.PATH = `${venvBin}${path.delimiter}${env.PATH}`;
  const haveZig = () => ok('zig', ['version'], env) || ok('python3', ['-m', 'ziglang', 'version'], env);
  if (!ok('cargo-zigbuild', ['--version'], env) || !haveZig()) {
    if (!has('python3')) ensureDebs(['python3', 'python3-venv'], 'zig and cargo-zigbuild (PyPI)');
    if (!fs.existsSync(path.join(venvBin, 'python3'))) {
      if (spawnSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' }).status !== 0) {
        ensureDebs(['python3-venv'], 'a Python venv for zig and cargo-zigbuild');
        run('python3', ['-m', 'venv', venv]);
      }
    }
    console.log(`prebuild: installing ${PY_TOOLS.join(' ')} from PyPI into ${path.relative(ROOT, venv)}`);
    run(path.join(venvBin, 'python3'), ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', ...PY_TOOLS]);
    env.PATH = `${venvBin}${path.delimiter}${process.env.PATH}`;
  }
  console.log(`prebuild: ${ok('cargo-zigbuild', ['--version'], env)}, zig ${haveZig()}, ${ok('rustc', ['--version'])}`);
  return env;
}

// Builds one target, copies it into its package, checks it. Returns {suffix, seconds, bytes, facts}.
function buildOne(t, env) {
  const zt = zigTarget(t);
  const args = ['zigbuild', '--release', '--lib', '--target', zt, '--target-dir', WORK];
  console.log(`prebuild: ${t.suffix}: cargo ${args.join(' ')}`);
  const t0 = Date.now();
  run('cargo', args, { cwd: ROOT, env: { ...env, ...targetEnv(t) } });
  const seconds = Math.round((Date.now() - t0) / 1000);
  const built = path.join(WORK, t.rust, 'release', LIB);
  const dest = path.join(ROOT, 'npm', t.suffix, binaryName(t.suffix));
  const tmp = `${dest}.${process.pid}.tmp`;
  fs.copyFileSync(built, tmp);
  fs.renameSync(tmp, dest);
  const facts = elfFacts(readelf(dest));
  const problems = elfProblems(t.suffix, facts, GLIBC);
  const bytes = fs.statSync(dest).size;
  const libc = t.libc === 'glibc' ? `newest symbol version GLIBC_${facts.glibcMax} (limit ${GLIBC})` : `no GLIBC_ symbol versions`;
  console.log(
    `prebuild: ${t.suffix}: ${path.relative(ROOT, dest)} ${(bytes / 1048576).toFixed(1)} MB in ${seconds} s; ` +
      `${facts.elfClass} ${facts.machine}; interpreter ${facts.interpreter || 'none'}; needs ${facts.needed.join(', ')}; ${libc}`
  );
  if (problems.length) throw new Error(`${t.suffix}: the built engine is wrong: ${problems.join('; ')}`);
  return { suffix: t.suffix, seconds, bytes, facts };
}

// The npm script a `npm` ancestor of this process was asked to run, from its command line
// (['node', '/usr/bin/npm', 'run', 'build'] -> 'build'), or null. Pure.
function npmScriptOf(argv) {
  const i = argv.findIndex((a) => ['run', 'run-script', 'rum', 'urn'].includes(a));
  if (i < 0) return null;
  return argv.slice(i + 1).find((a) => !a.startsWith('-')) || null;
}

// npm runs a script named "prebuild" before "build" as its pre-hook, with the same
// environment as `npm run prebuild`; only npm's own command line tells the two apart. Walks up
// the process tree (Linux /proc) to the npm process. null when none is found.
function requestedScript() {
  let pid = process.ppid;
  for (let depth = 0; depth < 8 && pid > 1; depth++) {
    try {
      // npm sets its process title to "npm run <script>", which overwrites its argv.
      const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ').split(/\s+/);
      if (argv.slice(0, 2).some((a) => /(^|\/)npm(-cli\.js)?$/.test(a))) return npmScriptOf(argv);
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch (_) {
      return null;
    }
  }
  return null;
}

function main() {
  if (process.env.npm_lifecycle_event === 'prebuild' && requestedScript() !== 'prebuild') {
    console.log("prebuild: skipped: this is `npm run build`'s pre-hook (npm runs \"prebuild\" before \"build\"); the cross builds are `npm run prebuild`");
    return;
  }
  const targets = plan(process.argv.slice(2));
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`prebuild cross-builds from Linux x64; this is ${process.platform}-${process.arch}`);
  }
  fs.mkdirSync(WORK, { recursive: true });
  const env = ensureTools(targets);
  const done = targets.map((t) => buildOne(t, env));
  for (const d of done) console.log(`prebuild: built ${d.suffix} in ${d.seconds} s (${(d.bytes / 1048576).toFixed(1)} MB)`);
}

if (require.main === module) {
  try {
    main();
  } catch (err) {
    console.error(`prebuild: ${err.message}`);
    process.exitCode = 1;
  }
}

module.exports = { plan, zigTarget, targetEnv, npmScriptOf, GLIBC, LINUX };
