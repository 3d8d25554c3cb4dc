'use strict';
// A small sample of the differential test of the schema validator, in every
// run: tests/schema-diff-ajv.js makes random payloads per OCA schema (valid,
// and each with one mutation) and records ajv's verdict, as ocpp-rpc sets ajv
// up; the ignored Rust test `against_ajv` (src/schema/tests.rs) checks that
// the engine's validator agrees on validity, error code and JSON pointer.
//
// This calls cargo. `npm test` has built the release test binary just before
// (`cargo test --release --no-default-features`), so it only runs it; in a
// checkout without that build, cargo compiles it first (minutes, hence the
// timeout). Skipped, saying so, only where cargo is not on PATH.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const ROOT = path.resolve(__dirname, '..');
// Two payloads per schema and a fixed seed: about 1,500 cases, the same every run.
const N = '2';
const SEED = '20251130';

function cargoOnPath() {
  const r = spawnSync('cargo', ['--version'], { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

const tail = (text, n = 40) => String(text || '').split('\n').slice(-n).join('\n');

describe('schema validator vs ajv (a sample of the differential test)', function () {
  this.timeout(15 * 60 * 1000);
  let dir;

  before(function () {
    if (!cargoOnPath()) {
      console.log('      (skipped: cargo is not on PATH, so the Rust side of the differential test cannot run)');
      this.skip();
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocpp-schema-diff-'));
  });

  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('agrees with ajv on validity, error code and path for every generated case', () => {
    const cases = path.join(dir, 'cases.jsonl');
    const gen = spawnSync(process.execPath, [path.join(ROOT, 'tests/schema-diff-ajv.js')], {
      cwd: ROOT,
      env: { ...process.env, N, SEED },
      encoding: 'utf8',
      maxBuffer: 256 << 20,
    });
    assert.strictEqual(gen.status, 0, `the case generator failed: ${tail(gen.stderr)}`);
    fs.writeFileSync(cases, gen.stdout);
    const lines = gen.stdout.split('\n').filter(Boolean);
    // All three versions, valid cases and mutated ones.
    const parsed = lines.map((l) => JSON.parse(l));
    for (const v of ['V16', 'V201', 'V21']) assert.ok(parsed.some((c) => c.v === v), `no ${v} cases`);
    assert.ok(parsed.some((c) => c.ok) && parsed.some((c) => !c.ok), 'both valid and invalid cases');
    assert.ok(lines.length > 1000, `only ${lines.length} cases`);

    const run = spawnSync(
      'cargo',
      ['test', '--release', '--no-default-features', '--lib', 'schema::tests::against_ajv', '--', '--ignored', '--nocapture', '--exact'],
      { cwd: ROOT, env: { ...process.env, OCPP_SCHEMA_DIFF: cases }, encoding: 'utf8', maxBuffer: 256 << 20 }
    );
    const out = `${run.stdout}\n${run.stderr}`;
    // `<n> cases, <m> mismatches` is printed by against_ajv itself: it proves
    // the test ran (a filter matching nothing also exits 0).
    const summary = /(\d+) cases, (\d+) mismatches/.exec(out);
    assert.ok(summary, `against_ajv did not run:\n${tail(out)}`);
    assert.strictEqual(Number(summary[1]), lines.length, 'against_ajv read every case');
    assert.strictEqual(Number(summary[2]), 0, `the engine's validator disagrees with ajv:\n${tail(run.stdout, 35)}`);
    assert.strictEqual(run.status, 0, tail(out));
  });
});
