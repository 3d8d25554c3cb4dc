#!/usr/bin/env node
// The editor as a user sees it: starts Node-RED the way `npm start` does, opens
// it in headless Chromium, checks the OCPP palette category holds our nodes,
// opens every node's edit dialog (and each config node's) with no console
// error, and saves screenshots under docs/.
//
//   npm run test:editor       (needs Debian's chromium: apt-get install chromium)
'use strict';
const assert = require('assert');
const { spawn } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');

const root = path.resolve(__dirname, '..', '..');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const NODE_TYPES = ['CS server', 'server response', 'CS request JSON', 'CP client JSON', 'CS request SOAP', 'CP Request SOAP', 'CP server SOAP'];
const CONFIG_TYPES = ['ocpp-remotej-cp', 'ocpp-remote-cs', 'ocpp-remote-cp'];

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startEditor() {
  const port = await freePort();
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocpp-editor-'));
  const flow = fs.readFileSync(path.join(root, 'examples', 'demo-central-system-and-stations.json'), 'utf8').replace(/\b8834\b/g, String(await freePort())).replace(/\b8835\b/g, String(await freePort()));
  fs.writeFileSync(path.join(userDir, 'flows.json'), flow);
  fs.writeFileSync(
    path.join(userDir, 'settings.js'),
    `module.exports = { uiHost: '127.0.0.1', uiPort: ${port}, flowFile: 'flows.json', nodesDir: [${JSON.stringify(root)}],
      externalModules: { palette: { denyList: ['node-red-contrib-ocpp'] } }, editorTheme: { tours: false }, telemetry: { enabled: false } };`
  );
  const red = require.resolve('node-red/red.js', { paths: [root] });
  const child = spawn(process.execPath, [red, '--userDir', userDir, '--settings', path.join(userDir, 'settings.js')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`Node-RED did not start:\n${log}`)), 30000);
    const check = setInterval(() => {
      if (log.includes('Started flows')) {
        clearTimeout(t);
        clearInterval(check);
        resolve();
      }
    }, 100);
  });
  return {
    url: `http://127.0.0.1:${port}/`,
    stop: () => {
      child.kill('SIGTERM');
      fs.rmSync(userDir, { recursive: true, force: true });
    },
  };
}

async function main() {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM)`);
  const { chromium } = require('playwright-core');
  const editor = await startEditor();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const errors = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    // This machine has no outside network: the editor's requests to other hosts fail by design.
    const offline = (text) => /ERR_NAME_NOT_RESOLVED|ERR_INTERNET_DISCONNECTED/.test(text);
    page.on('console', (m) => m.type() === 'error' && !offline(m.text()) && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(editor.url);
    await page.waitForFunction(() => window.RED && RED.nodes && RED.nodes.getType && RED.nodes.getType('CS server'), null, { timeout: 30000 });
    await page.waitForTimeout(1500);
    // The palette: an OCPP category with every node type.
    const palette = await page.evaluate(() =>
      Array.from(document.querySelectorAll('#red-ui-palette-container-OCPP .red-ui-palette-node')).map((n) => n.getAttribute('data-palette-type'))
    );
    for (const type of NODE_TYPES) assert.ok(palette.includes(type), `palette lacks ${type}: ${palette}`);
    fs.mkdirSync(path.join(root, 'docs'), { recursive: true });
    await page.screenshot({ path: path.join(root, 'docs', 'editor-demo-flow.png') });

    // Every node's dialog, opened on a node of the demo flow.
    for (const type of NODE_TYPES) {
      const id = await page.evaluate((t) => {
        let found = null;
        RED.nodes.eachNode((n) => {
          if (!found && n.type === t) found = n.id;
        });
        return found;
      }, type);
      assert.ok(id, `the demo flow has no ${type} node`);
      await page.evaluate((i) => RED.editor.edit(RED.nodes.node(i)), id);
      await page.waitForSelector('.red-ui-tray-body .form-row', { timeout: 10000 });
      await page.waitForTimeout(400);
      if (type === 'CS server') {
        // The demo's CS server has no version keys (as flows of the original): 1.6 must show checked.
        const checked = await page.evaluate(() => $('#node-input-json16').is(':checked'));
        assert.ok(checked, 'an OCPP-J CS server without version keys must show 1.6 checked');
      }
      const file = `editor-${type.toLowerCase().replace(/\s+/g, '-')}.png`;
      await page.screenshot({ path: path.join(root, 'docs', file) });
      await page.evaluate(() => RED.tray.close());
      await page.waitForTimeout(400);
    }
    for (const type of CONFIG_TYPES) {
      const id = await page.evaluate((t) => {
        let found = null;
        RED.nodes.eachConfig((n) => {
          if (!found && n.type === t) found = n.id;
        });
        return found;
      }, type);
      assert.ok(id, `the demo flow has no ${type} config node`);
      await page.evaluate((a) => RED.editor.editConfig('', a.type, a.id), { type, id });
      await page.waitForTimeout(400);
      await page.evaluate(() => RED.tray.close());
      await page.waitForTimeout(300);
    }
    assert.deepStrictEqual(errors, [], `console errors: ${errors.join('\n')}`);
    console.log(`editor check passed: palette has ${NODE_TYPES.length} OCPP node types, ${NODE_TYPES.length + CONFIG_TYPES.length} dialogs opened with no console error; screenshots in docs/`);
  } finally {
    await browser.close();
    editor.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
