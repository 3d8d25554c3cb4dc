'use strict';
// The optional log file stays bounded: rotated at logMaxMB, one old file kept.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { fileLogger } = require('../nodes/lib/file-log');

const fakeNode = () => ({ errors: [], warnings: [], error(t) { this.errors.push(t); }, warn(t) { this.warnings.push(t); } });
const { until } = require('./lib/wait');

describe('log file', () => {
  let dir;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocpp-log-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('rotates at logMaxMB and keeps one old file', async () => {
    const file = path.join(dir, 'cs.log');
    const node = fakeNode();
    const log = fileLogger(node, { log: true, pathlog: file, logMaxMB: 0.01 }, 'CS');
    for (let i = 0; i < 300; i++) log.log('received', { command: 'Heartbeat', n: `#${String(i).padStart(3, '0')}#`, data: 'x'.repeat(200) });
    log.close();
    // Written out: the live file ends with the last entry, and the rotated file with the one before its first.
    const ids = (f) => [...(fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '').matchAll(/#(\d{3})#[^\n]*\n/g)].map((m) => Number(m[1]));
    await until('every entry on disk', () => {
      const live = ids(file);
      const old = ids(`${file}.1`);
      return live[live.length - 1] === 299 && old.length > 0 && old[old.length - 1] === live[0] - 1;
    }, 5000);
    const limit = 0.01 * 1048576;
    assert.ok(fs.existsSync(`${file}.1`), 'rotated file');
    assert.ok(fs.statSync(file).size < limit + 400, `current file ${fs.statSync(file).size} bytes`);
    assert.ok(fs.statSync(`${file}.1`).size < limit + 400);
    assert.deepStrictEqual(fs.readdirSync(dir).sort(), ['cs.log', 'cs.log.1']);
    assert.deepStrictEqual(node.errors, []);
  });

  it('reports a logMaxMB that is not a number in range as a node error, and writes no file', () => {
    for (const logMaxMB of ['ten', -1, 0]) {
      const node = fakeNode();
      const file = path.join(dir, `bad-${logMaxMB}.log`);
      assert.strictEqual(fileLogger(node, { log: true, pathlog: file, logMaxMB }, 'CS'), null);
      assert.strictEqual(node.errors.length, 1);
      assert.match(node.errors[0], /is off: Log max size \(MB\) must be a number from 0.01 to 100000, got/);
      assert.ok(!fs.existsSync(file));
    }
  });

  it('is off without a path, and reports an unwritable one as a node error', async () => {
    assert.strictEqual(fileLogger(fakeNode(), { log: true, pathlog: '' }, 'CS'), null);
    const node = fakeNode();
    const log = fileLogger(node, { log: true, pathlog: path.join(dir, 'missing-dir', 'x.log') }, 'CS');
    log.log('info', 'x');
    await until('a node error', () => node.errors.length > 0, 5000);
    assert.match(node.errors[0], /cannot write the log file/);
    log.log('info', 'after the error');
    log.close();
  });
});
