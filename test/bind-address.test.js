'use strict';
// The CS server's bindAddress (issue 25): the port opened on one address
// only, e.g. 127.0.0.1, so uploads without station passwords are not open to
// the network; empty keeps all interfaces, as before. On Linux every 127.x.y.z
// reaches the loopback interface, so 127.0.0.2 tells the two apart.
const assert = require('assert');
const net = require('net');
const { helper, ours, freePort, loadFlow } = require('./lib/harness');

function reaches(host, port) {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

const flow = (port, bindAddress) => [
  { id: 't', type: 'tab' },
  { id: 'cs', z: 't', type: 'CS server', port: String(port), portType: 'num', enabled16j: true, path16j: '/ocpp', bindAddress, wires: [[], []] },
];

describe('CS server bindAddress (issue 25)', function () {
  this.timeout(30000);
  afterEach(() => helper.unload());

  it('listens on the address given, and on every interface without one', async () => {
    const port = await freePort();
    await loadFlow([ours.server], flow(port, '127.0.0.1'));
    assert.strictEqual(await reaches('127.0.0.1', port), true);
    assert.strictEqual(await reaches('127.0.0.2', port), false, '127.0.0.2 must not reach a port bound to 127.0.0.1');
    await helper.unload();
    // Flows from before the key (no bindAddress) and an empty one: all interfaces.
    for (const bind of [undefined, '']) {
      const p = await freePort();
      await loadFlow([ours.server], flow(p, bind));
      assert.strictEqual(await reaches('127.0.0.2', p), true);
      await helper.unload();
    }
  });

  it('refuses an address that is not an IP address, saying what it takes', async () => {
    const port = await freePort();
    await loadFlow([ours.server], flow(port, 'localhost'));
    const log = helper.log();
    const errors = log.args.filter((a) => a[0].level === log.ERROR).map((a) => String(a[0].msg));
    assert.ok(errors.some((e) => /Listen on must be an IP address/.test(e)), errors.join('; '));
    assert.strictEqual(await reaches('127.0.0.1', port), false);
  });
});
