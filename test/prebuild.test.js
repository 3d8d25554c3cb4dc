'use strict';
// scripts/prebuild.js and scripts/cross-tools.js: which targets a command line builds, what
// cargo zigbuild is given, and the ELF checks every built engine goes through, on real files:
// this machine's own build from source (linked against this machine's glibc) and, when
// `npm run prebuild` has run, the cross-built engines in npm/<suffix>/.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const ap = require('../nodes/lib/addon-path');
const { plan, zigTarget, targetEnv, npmScriptOf, GLIBC } = require('../scripts/prebuild');
const { elfFacts, elfProblems, readelf, compareVersions } = require('../scripts/cross-tools');

const ROOT = path.join(__dirname, '..');

describe('npm run prebuild', () => {
  it('builds the four Linux targets by default, or those named, and refuses the others with the reason', () => {
    assert.deepStrictEqual(
      plan([]).map((t) => t.suffix),
      ['linux-x64-gnu', 'linux-arm64-gnu', 'linux-arm-gnueabihf', 'linux-x64-musl']
    );
    assert.deepStrictEqual(
      plan(['linux-arm64-gnu']).map((t) => t.rust),
      ['aarch64-unknown-linux-gnu']
    );
    assert.throws(() => plan(['linux-arm64']), /unknown target linux-arm64: the Linux prebuilts are linux-x64-gnu/);
    assert.throws(() => plan(['darwin-arm64']), /built on its own OS/);
  });

  it('links the gnu targets against glibc 2.28 and musl with a dynamic C runtime', () => {
    assert.strictEqual(GLIBC, process.env.OCPP_RS_GLIBC || '2.28');
    const t = (s) => ap.TARGETS.find((x) => x.suffix === s);
    assert.strictEqual(zigTarget(t('linux-arm-gnueabihf'), '2.28'), 'armv7-unknown-linux-gnueabihf.2.28');
    assert.strictEqual(zigTarget(t('linux-x64-musl'), '2.28'), 'x86_64-unknown-linux-musl');
    assert.deepStrictEqual(targetEnv(t('linux-x64-musl')), { CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_RUSTFLAGS: '-C target-feature=-crt-static' });
    assert.deepStrictEqual(targetEnv(t('linux-arm64-gnu')), {});
  });

  it("tells `npm run prebuild` from `npm run build`'s pre-hook by npm's command line", () => {
    assert.strictEqual(npmScriptOf(['npm', 'run', 'prebuild']), 'prebuild');
    assert.strictEqual(npmScriptOf(['npm', 'run', 'build']), 'build');
    assert.strictEqual(npmScriptOf(['node', '/usr/bin/npm', 'run-script', '--silent', 'prebuild', '--', 'linux-x64-musl']), 'prebuild');
    assert.strictEqual(npmScriptOf(['npm', 'install']), null);
  });

  it('compares glibc versions by number', () => {
    assert.ok(compareVersions('2.28', '2.3') > 0);
    assert.ok(compareVersions('2.17', '2.28') < 0);
    assert.strictEqual(compareVersions('2.28', '2.28.0'), 0);
  });

  it('flags what would keep an engine from loading: machine, interpreter, libraries, glibc symbols', () => {
    const good = { elfClass: 'ELF64', machine: 'AArch64', interpreter: null, needed: ['libc.so.6', 'libgcc_s.so.1'], glibc: ['2.17', '2.28'], glibcMax: '2.28' };
    assert.deepStrictEqual(elfProblems('linux-arm64-gnu', good, '2.28'), []);
    assert.deepStrictEqual(elfProblems('linux-arm64-gnu', { ...good, glibc: ['2.34'], glibcMax: '2.34' }, '2.28'), ['it needs GLIBC_2.34, newer than 2.28']);
    assert.match(elfProblems('linux-arm-gnueabihf', good, '2.28').join(), /class ELF64, expected ELF32.*machine AArch64/);
    assert.match(elfProblems('linux-arm64-gnu', { ...good, needed: ['libc.so.6', 'libssl.so.3'] }, '2.28').join(), /needs libssl\.so\.3, which a glibc system may not have/);
    const musl = { elfClass: 'ELF64', machine: 'Advanced Micro Devices X86-64', interpreter: null, needed: ['libc.so'], glibc: [], glibcMax: null };
    assert.deepStrictEqual(elfProblems('linux-x64-musl', musl, '2.28'), []);
    assert.match(elfProblems('linux-x64-musl', { ...musl, interpreter: '/lib/ld-musl-x86_64.so.1' }, '2.28').join(), /program interpreter/);
    assert.match(elfProblems('linux-x64-musl', { ...musl, needed: ['libc.so.6'], glibc: ['2.2.5'], glibcMax: '2.2.5' }, '2.28').join(), /glibc/);
  });

  it("refuses this machine's own build from source as a prebuilt: it needs this machine's newer glibc", function () {
    const own = ap.addonPath();
    if (process.platform !== 'linux' || process.arch !== 'x64' || !fs.existsSync(own)) this.skip();
    const facts = elfFacts(readelf(own));
    assert.strictEqual(facts.machine, 'Advanced Micro Devices X86-64');
    if (compareVersions(facts.glibcMax, '2.28') <= 0) this.skip(); // a build host with glibc <= 2.28
    assert.deepStrictEqual(elfProblems('linux-x64-gnu', facts, '2.28'), [`it needs GLIBC_${facts.glibcMax}, newer than 2.28`]);
  });

  for (const suffix of ['linux-x64-gnu', 'linux-arm64-gnu', 'linux-arm-gnueabihf', 'linux-x64-musl']) {
    it(`the cross-built ${suffix} engine, when built, passes the checks`, function () {
      const file = path.join(ROOT, 'npm', suffix, ap.binaryName(suffix));
      if (!fs.existsSync(file)) this.skip();
      const facts = elfFacts(readelf(file));
      assert.deepStrictEqual(elfProblems(suffix, facts, '2.28'), [], JSON.stringify(facts));
    });
  }
});
