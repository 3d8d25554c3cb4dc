'use strict';
// The CS server's log file (log + pathlog) through the node, with logMaxMB:
// traffic past the limit rotates the file to <file>.1, one old file kept, and
// the live file stays under the limit (plus at most the line that crossed it).
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { helper, core, ours, freePort, collector, loadFlow, rawStation, until } = require('./lib/harness');

const ANSWER = `msg.payload = { status: 'Accepted' }; return msg;`;
const MB = 1048576;
const DATA_KB = 60;

describe('CS server log file rotation (logMaxMB) through the node', function () {
  this.timeout(20000);
  let dir;
  let port;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocpp-node-log-'));
    port = await freePort();
  });
  afterEach(async () => {
    await helper.unload();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('rotates the file past 1 MB to <file>.1 and keeps the live file under 1 MB', async () => {
    const file = path.join(dir, 'cs.log');
    await loadFlow([ours.server, core.fn], [
      { id: 'tab', type: 'tab', label: 'log' },
      {
        id: 'cs', z: 'tab', type: 'CS server', name: 'LOGGED', port: String(port), portType: 'num', enabled16j: true, path16j: '/ocpp',
        log: true, pathlog: file, logMaxMB: 1, wires: [['answer', 'out1'], []],
      },
      { id: 'answer', z: 'tab', type: 'function', func: ANSWER, outputs: 1, wires: [['resp']] },
      { id: 'resp', z: 'tab', type: 'server response' },
      { id: 'out1', z: 'tab', type: 'helper' },
    ]);
    const out1 = collector(helper.getNode('out1'));
    const station = await rawStation(`ws://127.0.0.1:${port}/ocpp/LOG-CP`);
    await out1.next((m) => m.ocpp && m.ocpp.websocket === 'ONLINE');
    // Each DataTransfer is logged as the frame received and as the msg sent
    // to the flow: about 120 KB of log per CALL, so 25 CALLs make ~3 MB.
    const calls = 25;
    for (let i = 0; i < calls; i++) {
      const data = `#${String(i).padStart(2, '0')}#` + 'x'.repeat(DATA_KB * 1024);
      const answer = await station.call([2, `log-${i}`, 'DataTransfer', { vendorId: 'v', data }]);
      assert.deepStrictEqual(answer, [3, `log-${i}`, { status: 'Accepted' }]);
    }
    station.ws.close();
    // Closing the node ends its log stream; then every entry is on disk.
    await helper.unload();
    // On disk once the live file holds the answer to the last CALL.
    await until('the last answer in the live file', () => fs.existsSync(file) && fs.readFileSync(file, 'utf8').split('\n').some((l) => l.includes('type: replied') && l.includes(`"log-${calls - 1}"`)), 5000);

    const line = DATA_KB * 1024 + 300;
    assert.deepStrictEqual(fs.readdirSync(dir).sort(), ['cs.log', 'cs.log.1'], 'one old file kept, no .2');
    const live = fs.statSync(file).size;
    const old = fs.statSync(`${file}.1`).size;
    assert.ok(live < MB + line, `the live file is ${live} bytes`);
    assert.ok(old >= MB && old < MB + line, `${file}.1 is ${old} bytes`);
    // Written in order: the newest CALL is in the live file, the rotated file
    // holds older ones, and each file has node label and type on every line.
    const liveText = fs.readFileSync(file, 'utf8');
    const oldText = fs.readFileSync(`${file}.1`, 'utf8');
    assert.ok(liveText.includes(`#${calls - 1}#`), 'the last CALL is in the live file');
    const ids = (text) => [...text.matchAll(/#(\d\d)#/g)].map((m) => Number(m[1]));
    assert.ok(Math.max(...ids(oldText)) <= Math.min(...ids(liveText)), 'the rotated file holds the older entries');
    assert.ok(!oldText.includes(`#${calls - 1}#`));
    for (const text of [liveText, oldText]) {
      for (const l of text.split(os.EOL).filter(Boolean)) assert.match(l.slice(0, 200), /\t node: LOGGED \t type: (received|replied|info) \t data: /);
    }
  });
});
