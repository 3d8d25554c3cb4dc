'use strict';
// Where the engine comes from: a build from source in native/ first, then the
// platform's prebuilt package (napi-rs style), and what the user reads when neither loads.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const ap = require('../nodes/lib/addon-path');

const ROOT = path.join(__dirname, '..');
const pkg = require('../package.json');
const local = (platform, arch) => path.join(ROOT, 'native', `ocpp-rs.${platform}-${arch}.node`);
const REBUILD = 'npm rebuild @ocpp-rs/node-red-ocpp';

// Every platform/arch/libc Node reports that matters, and what must be tried there.
const PREBUILT = [
  // platform, arch, libc, package suffix
  ['linux', 'x64', 'glibc', 'linux-x64-gnu'],
  ['linux', 'x64', 'musl', 'linux-x64-musl'],
  ['linux', 'arm64', 'glibc', 'linux-arm64-gnu'],
  ['linux', 'arm', 'glibc', 'linux-arm-gnueabihf'],
  ['darwin', 'x64', null, 'darwin-x64'],
  ['darwin', 'arm64', null, 'darwin-arm64'],
  ['win32', 'x64', null, 'win32-x64-msvc'],
];
const UNSUPPORTED = [
  // platform, arch, libc, the key the message names
  ['linux', 'ia32', 'glibc', 'linux-ia32-gnu'],
  ['linux', 'arm64', 'musl', 'linux-arm64-musl'],
  ['linux', 'arm', 'musl', 'linux-arm-musleabihf'],
  ['linux', 'riscv64', 'glibc', 'linux-riscv64-gnu'],
  ['linux', 's390x', 'glibc', 'linux-s390x-gnu'],
  ['linux', 'ppc64', 'glibc', 'linux-ppc64-gnu'],
  ['linux', 'loong64', 'glibc', 'linux-loong64-gnu'],
  ['freebsd', 'x64', null, 'freebsd-x64'],
  ['freebsd', 'arm64', null, 'freebsd-arm64'],
  ['openbsd', 'x64', null, 'openbsd-x64'],
  ['sunos', 'x64', null, 'sunos-x64'],
  ['aix', 'ppc64', null, 'aix-ppc64'],
  ['android', 'arm64', null, 'android-arm64'],
  ['win32', 'ia32', null, 'win32-ia32-msvc'],
  ['win32', 'arm64', null, 'win32-arm64-msvc'],
];

// resolveAddon/loadAddon with a made-up file system: `files` exist, `packages` are installed.
function fake({ files = [], packages = {} } = {}) {
  return {
    exists: (p) => files.includes(p),
    resolve: (name) => {
      if (packages[name]) return packages[name];
      const err = new Error(`Cannot find module '${name}'`);
      err.code = 'MODULE_NOT_FOUND';
      throw err;
    },
  };
}

describe('addon-path: where the engine is loaded from', () => {
  describe('candidates()', () => {
    for (const [platform, arch, libc, suffix] of PREBUILT) {
      it(`${platform} ${arch}${libc ? ` ${libc}` : ''}: the local build, then @ocpp-rs/node-red-ocpp-${suffix}`, () => {
        assert.deepStrictEqual(ap.candidates({ platform, arch, libc }), [
          { kind: 'local', path: local(platform, arch) },
          { kind: 'package', name: `@ocpp-rs/node-red-ocpp-${suffix}`, suffix },
        ]);
      });
    }
    for (const [platform, arch, libc, key] of UNSUPPORTED) {
      it(`${key} (no prebuilt): only a local build`, () => {
        assert.deepStrictEqual(ap.candidates({ platform, arch, libc }), [{ kind: 'local', path: local(platform, arch) }]);
        assert.strictEqual(ap.abiKey({ platform, arch, libc }), key);
      });
    }

    it('libc matters on Linux only', () => {
      for (const libc of [null, 'glibc', 'musl']) {
        assert.strictEqual(ap.candidates({ platform: 'darwin', arch: 'arm64', libc })[1].suffix, 'darwin-arm64');
        assert.strictEqual(ap.candidates({ platform: 'win32', arch: 'x64', libc })[1].suffix, 'win32-x64-msvc');
      }
      assert.strictEqual(ap.candidates({ platform: 'linux', arch: 'x64', libc: 'glibc' })[1].suffix, 'linux-x64-gnu');
      assert.strictEqual(ap.candidates({ platform: 'linux', arch: 'x64', libc: 'musl' })[1].suffix, 'linux-x64-musl');
    });

    it('ARMv7 (Raspberry Pi 2 and later) gets the arm package; ARMv6 (Pi 1, Zero) only a local build', () => {
      assert.strictEqual(ap.candidates({ platform: 'linux', arch: 'arm', libc: 'glibc', armVersion: '7' })[1].suffix, 'linux-arm-gnueabihf');
      assert.strictEqual(ap.candidates({ platform: 'linux', arch: 'arm', libc: 'glibc', armVersion: 8 })[1].suffix, 'linux-arm-gnueabihf');
      assert.deepStrictEqual(ap.candidates({ platform: 'linux', arch: 'arm', libc: 'glibc', armVersion: '6' }), [
        { kind: 'local', path: local('linux', 'arm') },
      ]);
    });

    it('a build from source is named <platform>-<arch>, as scripts/build-addon.js writes it', () => {
      assert.strictEqual(ap.addonPath('linux', 'arm64'), local('linux', 'arm64'));
      assert.strictEqual(ap.candidates({ platform: process.platform, arch: process.arch })[0].path, ap.addonPath());
    });
  });

  describe('detectLibc()', () => {
    const noLdd = () => {
      throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    };
    it('reads /usr/bin/ldd as napi-rs does', () => {
      const ldd = (text) => (file) => {
        assert.strictEqual(file, '/usr/bin/ldd');
        return text;
      };
      assert.strictEqual(ap.detectLibc({ platform: 'linux', readFile: ldd('#! /bin/bash\n# GNU C Library ldd\nTEXTDOMAIN=libc') }), 'glibc');
      assert.strictEqual(ap.detectLibc({ platform: 'linux', readFile: ldd('\u007fELF ... /lib/ld-musl-x86_64.so.1 musl libc') }), 'musl');
    });
    it('without ldd, asks the process report for glibcVersionRuntime', () => {
      assert.strictEqual(ap.detectLibc({ platform: 'linux', readFile: noLdd, report: { glibcVersionRuntime: '2.36' } }), 'glibc');
      assert.strictEqual(ap.detectLibc({ platform: 'linux', readFile: noLdd, report: { osName: 'Linux' } }), 'musl');
    });
    it('is null off Linux, and right here', () => {
      for (const platform of ['darwin', 'win32', 'freebsd']) assert.strictEqual(ap.detectLibc({ platform }), null);
      if (process.platform === 'linux') {
        const header = process.report.getReport().header;
        assert.strictEqual(ap.detectLibc(), header.glibcVersionRuntime ? 'glibc' : 'musl');
      }
    });
  });

  describe('resolveAddon() and loadAddon()', () => {
    const linux = { platform: 'linux', arch: 'x64', libc: 'glibc' };
    const PKG = '@ocpp-rs/node-red-ocpp-linux-x64-gnu';
    const PKG_FILE = '/nr/node_modules/@ocpp-rs/node-red-ocpp-linux-x64-gnu/ocpp-rs.linux-x64-gnu.node';

    it("a developer's build wins over an installed prebuilt", () => {
      const r = ap.resolveAddon({ ...linux, ...fake({ files: [local('linux', 'x64')], packages: { [PKG]: PKG_FILE } }) });
      assert.strictEqual(r.path, local('linux', 'x64'));
      assert.deepStrictEqual(r.tried.map((c) => [c.kind, c.found]), [['local', true], ['package', true]]);
    });

    it('without a local build, the prebuilt package', () => {
      const r = ap.resolveAddon({ ...linux, ...fake({ packages: { [PKG]: PKG_FILE } }) });
      assert.strictEqual(r.key, 'linux-x64-gnu');
      assert.strictEqual(r.prebuilt, PKG);
      assert.strictEqual(r.path, PKG_FILE);
    });

    it('a local build that does not load falls back to the prebuilt', () => {
      const loaded = [];
      const load = (p) => {
        loaded.push(p);
        if (p === local('linux', 'x64')) throw new Error('invalid ELF header');
        return { fromPackage: true };
      };
      const r = ap.loadAddon({ ...linux, ...fake({ files: [local('linux', 'x64')], packages: { [PKG]: PKG_FILE } }), load });
      assert.deepStrictEqual(r.addon, { fromPackage: true });
      assert.strictEqual(r.path, PKG_FILE);
      assert.deepStrictEqual(loaded, [local('linux', 'x64'), PKG_FILE]);
    });

    it('nothing found: the error names the platform key, what was tried, and how to build from source', () => {
      const r = ap.loadAddon({ ...linux, ...fake(), load: () => assert.fail('nothing to load') });
      assert.strictEqual(r.addon, null);
      const text = r.error.message;
      assert.match(text, /platform linux-x64-gnu/);
      assert.ok(text.includes(local('linux', 'x64')), text);
      assert.match(text, /@ocpp-rs\/node-red-ocpp-linux-x64-gnu \(not installed\)/);
      assert.match(text, /--omit=optional/);
      assert.ok(text.includes(REBUILD), text);
      assert.match(text, /Rust toolchain/);
      assert.match(text, /cargo --version/);
    });

    it('found but broken: the error says what failed to load and why', () => {
      const r = ap.loadAddon({
        ...linux,
        ...fake({ packages: { [PKG]: PKG_FILE } }),
        load: () => {
          throw new Error('/lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.99` not found');
        },
      });
      assert.ok(r.error.message.includes(`the prebuilt package ${PKG} (failed to load: /lib/x86_64-linux-gnu/libc.so.6: version \`GLIBC_2.99\``), r.error.message);
      assert.ok(r.error.message.includes(REBUILD));
    });

    for (const [platform, arch, libc, key] of UNSUPPORTED) {
      it(`${key}: a clear message (no prebuilt, which platforms have one, build from source)`, () => {
        const r = ap.loadAddon({ platform, arch, libc, ...fake(), load: () => assert.fail('nothing to load') });
        const text = r.error.message;
        assert.ok(text.includes(`platform ${key}`), text);
        assert.ok(text.includes(`No prebuilt binary is published for ${key}`), text);
        for (const t of ap.TARGETS) assert.ok(text.includes(t.suffix), `${t.suffix} missing in: ${text}`);
        assert.ok(text.includes(local(platform, arch)), text);
        assert.ok(text.includes(REBUILD), text);
      });
    }

    it('an unsupported platform with its own build from source loads it', () => {
      const r = ap.loadAddon({ platform: 'freebsd', arch: 'x64', ...fake({ files: [local('freebsd', 'x64')] }), load: () => ({ ok: 1 }) });
      assert.deepStrictEqual(r.addon, { ok: 1 });
      assert.strictEqual(r.error, null);
    });

    it('ARMv6: says the prebuilt needs ARMv7', () => {
      const r = ap.loadAddon({ platform: 'linux', arch: 'arm', libc: 'glibc', armVersion: '6', ...fake(), load: () => assert.fail('no') });
      assert.match(r.error.message, /needs ARMv7 or later; this is ARMv6/);
      assert.ok(r.error.message.includes(REBUILD));
    });

    it('here, on this clone: the engine loads from native/', () => {
      const engine = require('../nodes/lib/engine');
      assert.strictEqual(engine.loadError, null);
      assert.strictEqual(typeof engine.addon.CsServer, 'function');
      assert.strictEqual(ap.resolveAddon().path, ap.addonPath());
    });
  });

  describe('packages, versions and the release workflow agree', () => {
    const suffixes = ap.TARGETS.map((t) => t.suffix).sort();

    it('one npm/<suffix>/package.json per prebuilt platform, in step with the main package', () => {
      const dirs = fs.readdirSync(path.join(ROOT, 'npm')).filter((d) => fs.statSync(path.join(ROOT, 'npm', d)).isDirectory());
      assert.deepStrictEqual(dirs.sort(), suffixes);
      for (const t of ap.TARGETS) {
        const p = JSON.parse(fs.readFileSync(path.join(ROOT, 'npm', t.suffix, 'package.json'), 'utf8'));
        assert.strictEqual(p.name, `@ocpp-rs/node-red-ocpp-${t.suffix}`);
        assert.strictEqual(p.version, pkg.version, `${p.name} version`);
        assert.deepStrictEqual(p.os, [t.platform]);
        assert.deepStrictEqual(p.cpu, [t.arch]);
        if (t.platform === 'linux') assert.deepStrictEqual(p.libc, [t.libc], `${p.name} libc`);
        else assert.strictEqual(p.libc, undefined);
        assert.strictEqual(p.main, `ocpp-rs.${t.suffix}.node`);
        assert.deepStrictEqual(p.files, [p.main]);
        assert.strictEqual(p.license, pkg.license);
        assert.ok(!p.dependencies && !p.scripts, `${p.name} has no dependencies or scripts`);
      }
    });

    it('package.json lists each platform package as an optional dependency at its own version', () => {
      const expected = Object.fromEntries(ap.TARGETS.map((t) => [`@ocpp-rs/node-red-ocpp-${t.suffix}`, pkg.version]));
      assert.deepStrictEqual(pkg.optionalDependencies, expected);
      assert.strictEqual(pkg.scripts.install, 'node scripts/build-addon.js --install');
      assert.strictEqual(pkg.scripts.build, 'node scripts/build-addon.js');
    });

    it('release.yml builds every platform for its Rust target and publishes them', () => {
      const yml = fs.readFileSync(path.join(ROOT, '.github', 'workflows', 'release.yml'), 'utf8');
      const built = [...yml.matchAll(/- suffix: (\S+)\n\s+host: (\S+)\n\s+target: (\S+)/g)].map((m) => ({ suffix: m[1], host: m[2], target: m[3] }));
      assert.deepStrictEqual(built.map((b) => b.suffix).sort(), suffixes);
      for (const b of built) {
        const t = ap.TARGETS.find((x) => x.suffix === b.suffix);
        assert.strictEqual(b.target, t.rust, b.suffix);
        assert.strictEqual(b.host.split('-')[0], { linux: 'ubuntu', darwin: 'macos', win32: 'windows' }[t.platform], b.suffix);
      }
      assert.match(yml, /tags: \['v\*'\]/);
      assert.match(yml, /NODE_AUTH_TOKEN: \$\{\{ secrets\.NPM_TOKEN \}\}/);
      assert.match(yml, /npm publish --access public/);
    });
  });

  describe('scripts/build-addon.js --install in an installed package', function () {
    this.timeout(60000);
    const here = ap.resolveAddon();
    const built = ap.addonPath();
    let tmp;
    let pkgDir;
    let prebuiltDir;

    before(function () {
      if (!here.prebuilt || !fs.existsSync(built)) this.skip();
      // ~/.node-red/node_modules/@ocpp-rs/{node-red-ocpp, node-red-ocpp-<suffix>}, as npm lays them out.
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ocpp-rs-install-'));
      pkgDir = path.join(tmp, 'node_modules', '@ocpp-rs', 'node-red-ocpp');
      prebuiltDir = path.join(tmp, 'node_modules', ...here.prebuilt.split('/'));
      for (const f of ['package.json', 'scripts/build-addon.js', 'nodes/lib/addon-path.js', 'nodes/lib/engine.js']) {
        fs.mkdirSync(path.dirname(path.join(pkgDir, f)), { recursive: true });
        fs.copyFileSync(path.join(ROOT, f), path.join(pkgDir, f));
      }
      const suffix = here.prebuilt.replace('@ocpp-rs/node-red-ocpp-', '');
      fs.mkdirSync(prebuiltDir, { recursive: true });
      fs.copyFileSync(path.join(ROOT, 'npm', suffix, 'package.json'), path.join(prebuiltDir, 'package.json'));
      fs.copyFileSync(built, path.join(prebuiltDir, `ocpp-rs.${suffix}.node`));
    });
    after(() => tmp && fs.rmSync(tmp, { recursive: true, force: true }));

    // No Rust toolchain on this "user's machine".
    const run = (args, env = {}) =>
      spawnSync(process.execPath, [path.join(pkgDir, 'scripts', 'build-addon.js'), ...args], {
        cwd: pkgDir,
        encoding: 'utf8',
        env: { ...process.env, CARGO: path.join(tmp, 'no-such-cargo'), OCPP_RS_BUILD_FROM_SOURCE: '', ...env },
      });

    it('with the prebuilt installed: one line, no build, and the engine loads from the package', () => {
      const r = run(['--install']);
      assert.strictEqual(r.status, 0, r.stderr);
      assert.strictEqual(r.stdout.trim(), `@ocpp-rs/node-red-ocpp: using the prebuilt engine ${here.prebuilt}; no build needed.`);
      assert.strictEqual(r.stderr, '');
      const probe = spawnSync(
        process.execPath,
        ['-e', `const e = require(${JSON.stringify(path.join(pkgDir, 'nodes/lib/engine.js'))}); console.log(JSON.stringify({ ok: !!e.addon, err: e.loadError && e.loadError.message }))`],
        { encoding: 'utf8' }
      );
      assert.deepStrictEqual(JSON.parse(probe.stdout), { ok: true, err: null });
    });

    it('OCPP_RS_BUILD_FROM_SOURCE=1 builds from source anyway (here: explains that cargo is missing)', () => {
      const r = run(['--install'], { OCPP_RS_BUILD_FROM_SOURCE: '1' });
      assert.strictEqual(r.status, 0);
      assert.doesNotMatch(r.stdout, /using the prebuilt/);
      assert.match(r.stderr, /no Rust toolchain found/);
    });

    it('without the prebuilt and without cargo: explains what is needed, and the install still succeeds', () => {
      fs.renameSync(prebuiltDir, `${prebuiltDir}.away`);
      try {
        const r = run(['--install']);
        assert.strictEqual(r.status, 0);
        assert.match(r.stderr, /no Rust toolchain found/);
        assert.ok(r.stderr.includes(`${here.prebuilt} is not installed`), r.stderr);
        assert.match(r.stderr, /https:\/\/rustup\.rs/);
        assert.match(r.stderr, /cargo --version/);
        assert.ok(r.stderr.includes(REBUILD), r.stderr);
        for (const t of ap.TARGETS) assert.ok(r.stderr.includes(t.suffix), r.stderr);
        // and the nodes would say so
        const probe = spawnSync(
          process.execPath,
          ['-e', `const e = require(${JSON.stringify(path.join(pkgDir, 'nodes/lib/engine.js'))}); console.log(e.loadError.message)`],
          { encoding: 'utf8' }
        );
        assert.ok(probe.stdout.includes(`platform ${here.key}`), probe.stdout);
        assert.ok(probe.stdout.includes(REBUILD), probe.stdout);
      } finally {
        fs.renameSync(`${prebuiltDir}.away`, prebuiltDir);
      }
    });

    it('a prebuilt that does not load is not used: the hook builds from source', () => {
      const file = path.join(prebuiltDir, `ocpp-rs.${here.prebuilt.replace('@ocpp-rs/node-red-ocpp-', '')}.node`);
      const good = fs.readFileSync(file);
      fs.writeFileSync(file, 'not a shared object');
      try {
        const r = run(['--install']);
        assert.strictEqual(r.status, 0);
        assert.ok(r.stderr.includes(`${here.prebuilt} does not load here`), r.stderr);
        assert.match(r.stderr, /no Rust toolchain found/);
      } finally {
        fs.writeFileSync(file, good);
      }
    });

    it('`npm run build` (no --install) always builds from source, and fails without cargo', () => {
      const r = run([]);
      assert.strictEqual(r.status, 1);
      assert.doesNotMatch(r.stdout, /using the prebuilt/);
      assert.match(r.stderr, /no Rust toolchain found/);
    });
  });
});
