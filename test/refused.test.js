'use strict';
// A refused station is not invisible: every refused handshake (unsupported
// subprotocol, bad credentials, unknown path) is a warning in Node-RED's log
// naming the station and the reason, once per station and minute, and is
// counted in the CS server's status.
const assert = require('assert');
const { RPCClient } = require('ocpp-rpc');
const { helper, ours, freePort, loadFlow, until, refusedWith } = require('./lib/harness');

// The warnings Node-RED logged since `from` (an index into helper.log()).
const warnings = (from) =>
  helper
    .log()
    .args.slice(from)
    .filter((a) => a[0] && a[0].level === 30)
    .map((a) => String(a[0].msg));


// The last status text the CS server showed.
const lastStatus = (statuses) => String((statuses[statuses.length - 1] || {}).text);

describe('refused stations', function () {
  this.timeout(20000);
  let port;
  let statuses;

  beforeEach(async () => {
    port = await freePort();
    await loadFlow(
      [ours.server],
      [
        { id: 'tab', type: 'tab', label: 'refused' },
        {
          id: 'cs', z: 'tab', type: 'CS server', name: 'CS', port: String(port), portType: 'num',
          enabled15: false, path15: '', enabled16: false, path16: '', enabled16j: true, path16j: '/ocpp',
          log: false, pathlog: '', pingInterval: 30, answerTimeout: 5, wires: [[], []],
        },
      ],
      { cs: { passwords: 'LOCKED-1:s3cret' } }
    );
    statuses = [];
    const cs = helper.getNode('cs');
    const status = cs.status.bind(cs);
    cs.status = (s) => {
      statuses.push(s);
      return status(s);
    };
  });

  afterEach(async () => {
    await helper.unload();
  });

  it('warns about a 2.0.1 station at a 1.6-only server, naming it and the reason, and counts it', async () => {
    const from = helper.log().args.length;
    const client = new RPCClient({ endpoint: `ws://127.0.0.1:${port}/ocpp`, identity: 'NEW-201', protocols: ['ocpp2.0.1'], reconnect: false });
    await assert.rejects(client.connect(), /Bad Request/);
    const wanted = /refused station NEW-201 \(HTTP 400\): unsupported subprotocol\(s\) ocpp2\.0\.1; this server speaks ocpp1\.6/;
    await until('the warning naming NEW-201', () => warnings(from).some((w) => wanted.test(w)), 5000);
    // The status is throttled (at most once a second).
    await until('the status counts the refusal', () => /(?<!\d)0 connected, 1 refused(?!\d)/.test(lastStatus(statuses)), 5000);
  });

  it('warns about bad credentials and an unknown path, once per station and minute, counting every refusal', async () => {
    const from = helper.log().args.length;
    for (let i = 0; i < 3; i++) {
      const status = await refusedWith(`ws://127.0.0.1:${port}/ocpp/LOCKED-1`, ['ocpp1.6'], { headers: { authorization: `Basic ${Buffer.from('LOCKED-1:wrong').toString('base64')}` } });
      assert.strictEqual(status, 401);
    }
    assert.strictEqual(await refusedWith(`ws://127.0.0.1:${port}/wrong/path/CP9`, ['ocpp1.6']), 404);
    // The 404 came last: once its warning is there, every LOCKED-1 warning there will be is too.
    await until('the 404 warning', () => warnings(from).some((w) => w.includes('refused a station at /wrong/path/CP9 (HTTP 404)')), 5000);
    const seen = warnings(from);
    const locked = seen.filter((w) => w.includes('refused station LOCKED-1 (HTTP 401)'));
    assert.strictEqual(locked.length, 1, JSON.stringify(seen));
    await until('the status counts all four refusals', () => /(?<!\d)4 refused(?!\d)/.test(lastStatus(statuses)), 5000);
  });

  it('stays quiet about requests that are not handshakes (a browser, a health check)', async () => {
    const from = helper.log().args.length;
    const res = await fetch(`http://127.0.0.1:${port}/ocpp/CP1`);
    assert.strictEqual(res.status, 426);
    const other = await fetch(`http://127.0.0.1:${port}/favicon.ico`);
    assert.strictEqual(other.status, 404);
    // A later marker: a real refused handshake after them is warned about, and is the only warning.
    assert.strictEqual(await refusedWith(`ws://127.0.0.1:${port}/wrong/MARKER`, ['ocpp1.6']), 404);
    await until('the marker\'s warning', () => warnings(from).some((w) => w.includes('/wrong/MARKER')), 5000);
    assert.deepStrictEqual(
      warnings(from).filter((w) => w.includes('refused')),
      warnings(from).filter((w) => w.includes('/wrong/MARKER'))
    );
    assert.strictEqual(warnings(from).filter((w) => w.includes('refused')).length, 1);
  });
});
