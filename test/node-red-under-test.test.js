'use strict';
// Which Node-RED the end-to-end tests run on: the repo's Node-RED 4 under `npm test`,
// the one OCPP_RS_NODE_RED names under scripts/test-node-red-5.js (Node-RED 5 on Node 24).
const assert = require('assert');
const path = require('path');
const { helper, red } = require('./lib/harness');

const pkg = require('../package.json');
const semver = require(require.resolve('semver', { paths: [red] }));

describe('the Node-RED under test', () => {
  const installed = require(path.join(red, 'package.json'));

  it(`is the one OCPP_RS_NODE_RED names, else the repo's (${installed.version}, Node ${process.version})`, () => {
    const expected = process.env.OCPP_RS_NODE_RED
      ? path.resolve(process.env.OCPP_RS_NODE_RED)
      : path.dirname(require.resolve('node-red/package.json'));
    assert.strictEqual(red, expected);
    // The runtime the test helper started is that package, not another copy.
    // (A runtime started from a directory with a .git says "4.1.15-git".)
    assert.strictEqual(helper._RED.version().replace(/-git$/, ''), installed.version);
    assert.strictEqual(require.resolve(path.join(red, 'package.json')), path.join(red, 'package.json'));
  });

  it("runs on a Node it supports, and is in package.json's node-red.version and engines.node", () => {
    assert.ok(semver.satisfies(process.version, installed.engines.node), `Node-RED ${installed.version} needs Node ${installed.engines.node}; this is ${process.version}`);
    assert.ok(semver.satisfies(installed.version, pkg['node-red'].version), `Node-RED ${installed.version} vs node-red.version ${pkg['node-red'].version}`);
    assert.ok(semver.satisfies(process.version, pkg.engines.node), `Node ${process.version} vs engines.node ${pkg.engines.node}`);
  });

  it('is the one a test starts as a process of its own (test/lib/our-red.js), with this Node', async function () {
    this.timeout(60000);
    const fs = require('fs');
    const os = require('os');
    const { startOurRed } = require('./lib/our-red');
    const { freePort } = require('./lib/harness');
    const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocpp-which-red-'));
    const child = await startOurRed(userDir, [{ id: 'tab', type: 'tab', label: 'which' }], { editorPort: await freePort() });
    try {
      assert.match(child.output(), new RegExp(`Node-RED version: v${installed.version.replace(/\./g, '\\.')}(-git)?\\b`));
      assert.match(child.output(), new RegExp(`Node.js {2}version: ${process.version.replace(/\./g, '\\.')}\\b`));
      assert.strictEqual(child.version, installed.version);
    } finally {
      await child.stop();
      fs.rmSync(userDir, { recursive: true, force: true });
    }
  });

  it('loads our nodes into it', async () => {
    const { ours, freePort, loadFlow } = require('./lib/harness');
    const port = await freePort();
    await loadFlow([ours.server], [{ id: 'cs', type: 'CS server', port: String(port), portType: 'num', enabled16j: true, path16j: '/ocpp', wires: [[], []] }]);
    try {
      const node = helper.getNode('cs');
      assert.ok(node, 'the CS server node was created');
      assert.strictEqual(node.type, 'CS server');
    } finally {
      await helper.unload();
    }
  });
});
