#!/usr/bin/env node
// The editor as a user sees it: starts Node-RED the way `npm start` does, opens
// it in headless Chromium, checks the OCPP palette category holds our nodes
// (one line each, one colour per role), opens every node's edit dialog (and
// each config node's) with no console error, checks what the dialogs show
// (numeric fields' placeholders are their defaults, Command params open the
// JSON editor, config dialogs have a title in words), saves each dialog and
// checks every config key the node had kept its value, opens the OCPP sidebar
// tab with the demo's stations connected (sends a CALL from its form, inspects
// the frames, filters and copies them), and saves screenshots under docs/.
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
const CONFIG_TYPES = ['ocpp-remotej-cp', 'ocpp-remote-cs', 'ocpp-remote-cp', 'ocpp-cluster'];
const ROLES = { cs: ['CS server', 'server response', 'CS request JSON', 'CS request SOAP'], cp: ['CP client JSON', 'CP server SOAP', 'CP Request SOAP'] };

// Keys whose value changed on saving a dialog: a key the node had must keep its value
// (numbers may come back as their text, as Node-RED's own dialogs save them).
function changedKeys(before, after) {
  return Object.keys(before).filter((k) => before[k] !== undefined && String(after[k]) !== String(before[k]));
}

// In the page, with the dialog open: what it shows, for the checks below.
function dialogFacts(prefix) {
  const placeholders = {};
  $(`.red-ui-tray-body [id^="${prefix}-"]`).each(function () {
    if (this.placeholder) placeholders[this.id.slice(prefix.length + 1)] = this.placeholder;
  });
  const params = $(`#${prefix}-cmddata`);
  return {
    placeholders,
    paramsJson: params.length ? params.next('.red-ui-typedInput-container').length === 1 && params.typedInput('type') === 'json' : null,
    title: $('.red-ui-tray-titlebar').last().text().trim(),
  };
}

// A numeric field must show its default as a placeholder; no placeholder is a Docker path.
function checkFacts(type, defaults, facts) {
  for (const [key, d] of Object.entries(defaults)) {
    if (typeof d.value === 'number') assert.strictEqual(facts.placeholders[key], String(d.value), `${type}: the ${key} field's placeholder`);
  }
  for (const [key, text] of Object.entries(facts.placeholders)) assert.ok(!/^\/data\b/.test(text), `${type}: ${key} placeholder ${text}`);
  if ('cmddata' in defaults) assert.strictEqual(facts.paramsJson, true, `${type}: Command params is not a JSON field`);
}

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

// The OCPP sidebar tab with the demo's stations connected: the live list, a
// station's inspector with a frame in it, its filters and copy button, and a
// CALL sent from its form with the answer shown; a screenshot in docs/.
async function checkSidebar(page) {
  // A wider sidebar, as a user drags it for a table.
  const separator = await page.$('#red-ui-sidebar-separator');
  const box = await separator.boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + 200);
  await page.mouse.down();
  await page.mouse.move(box.x - 420, box.y + 200, { steps: 10 });
  await page.mouse.up();
  await page.evaluate(() => RED.sidebar.show('ocpp'));
  const row = (id) => `.ocpp-sb-table tbody tr[data-station="${id}"]`;
  for (const id of ['DEMO-CP-1', 'DEMO-CP-2', 'DEMO-CP-3']) await page.waitForSelector(row(id), { timeout: 20000 });
  const cells = await page.$$eval(`${row('DEMO-CP-1')} td`, (tds) => tds.map((td) => td.textContent));
  assert.strictEqual(cells[1], '1.6j', `DEMO-CP-1's row: ${cells}`);
  assert.match(cells[2], /Central System/, `the server column names the CS server node: ${cells}`);
  await page.click(row('DEMO-CP-1'));
  await page.waitForSelector('.ocpp-sb-detail .ocpp-sb-call-action option[value="GetConfiguration"]', { state: 'attached', timeout: 10000 });
  // A CALL from the form: its answer shows, and its two frames in the inspector.
  await page.selectOption('.ocpp-sb-call-action', 'GetConfiguration');
  await page.click('.ocpp-sb-detail button:has(.fa-paper-plane)');
  await page.waitForFunction(() => /^CALLRESULT/.test($('.ocpp-sb-answer').text()), null, { timeout: 15000 });
  await page.waitForSelector('.ocpp-sb-frame.in .ocpp-sb-frame-action:text-is("GetConfiguration")', { timeout: 10000 });
  // The station's answer (the demo station may have sent a CALL of its own since: newest first).
  const frame = await page.$eval('.ocpp-sb-frame.in:has(.ocpp-sb-frame-action:text-is("GetConfiguration"))', (el) => ({
    head: el.querySelector('.ocpp-sb-frame-head').textContent,
    body: el.querySelector('pre').textContent,
  }));
  assert.match(frame.head, /CALLRESULT/);
  assert.ok(Array.isArray(JSON.parse(frame.body)) && frame.body.includes('\n  '), `pretty-printed: ${frame.body}`);
  // Newest first.
  const seqs = await page.$$eval('.ocpp-sb-frame', (els) => els.map((e) => Number(e.getAttribute('data-seq'))));
  assert.deepStrictEqual(seqs, [...seqs].sort((a, b) => b - a), 'frames newest first');
  // Filters: one direction only, then one action only.
  await page.selectOption('.ocpp-sb-dir-filter', 'out');
  const dirs = await page.$$eval('.ocpp-sb-frame', (els) => els.map((e) => (e.classList.contains('out') ? 'out' : 'in')));
  assert.ok(dirs.length > 0 && dirs.every((d) => d === 'out'), `direction filter: ${dirs}`);
  await page.selectOption('.ocpp-sb-dir-filter', '');
  await page.selectOption('.ocpp-sb-action-filter', 'GetConfiguration');
  const actions = await page.$$eval('.ocpp-sb-frame-action', (els) => els.map((e) => e.textContent));
  assert.ok(actions.length >= 2 && actions.every((a) => a === 'GetConfiguration'), `action filter: ${actions}`);
  // Copy as JSON: the shown frames, as a JSON array, on the clipboard.
  await page.click('.ocpp-sb-detail button:has(.fa-clipboard)');
  const copied = JSON.parse(await page.evaluate(() => navigator.clipboard.readText()));
  assert.ok(copied.length === actions.length && copied.every((f) => f.action === 'GetConfiguration' && f.station === 'DEMO-CP-1'), `copied ${JSON.stringify(copied).slice(0, 300)}`);
  await page.selectOption('.ocpp-sb-action-filter', '');
  // Issue 25: Reset from the form as it fills itself (the required type, Hard and Soft offered) is Accepted.
  await page.selectOption('.ocpp-sb-call-action', 'Reset');
  await page.waitForFunction(() => /type: Hard \| Soft/.test($('.ocpp-sb-call-hint').text()), null, { timeout: 10000 });
  assert.deepStrictEqual(JSON.parse(await page.evaluate(() => window.OcppSidebar.payload())), { type: 'Hard' });
  await page.click('.ocpp-sb-detail button:has(.fa-paper-plane)');
  await page.waitForFunction(() => /^CALLRESULT[\s\S]*"Accepted"/.test($('.ocpp-sb-answer').text()), null, { timeout: 15000 });
  // A payload against the schema is not sent: the error shows under the editor.
  await page.evaluate(() => window.OcppSidebar.payload('{"type": "Sideways"}'));
  await page.click('.ocpp-sb-detail button:has(.fa-paper-plane)');
  await page.waitForFunction(() => $('.ocpp-sb-call-error').is(':visible') && /Not sent: .*type/.test($('.ocpp-sb-call-error').text()), null, { timeout: 10000 });
  // An action no OCPP version has: the API's 400, shown inline.
  await page.evaluate(() => $('.ocpp-sb-call-action').append($('<option>').val('Rest').text('Rest')));
  await page.selectOption('.ocpp-sb-call-action', 'Rest');
  await page.evaluate(() => window.OcppSidebar.payload('{"type": "Soft"}'));
  await page.click('.ocpp-sb-detail button:has(.fa-paper-plane)');
  // The API's own words (not a check in the page): `unknown action "Rest": OCPP 1.6j has the Central System send ...`.
  await page.waitForFunction(() => /unknown action "Rest": OCPP 1\.6j has the Central System send .*Reset/.test($('.ocpp-sb-call-error').text()), null, { timeout: 10000 });
  // Issue 22: the inspector's Charge limit row sets 16 A on the demo station, which holds the profile: the answer,
  // the read-back under the row and in the list's limit column; clear removes it.
  const limitCell = () => page.$eval(`${row('DEMO-CP-1')} td.ocpp-sb-limit`, (td) => td.textContent);
  await page.fill('.ocpp-sb-charge-limit input[type="number"] >> nth=0', '16');
  await page.click('.ocpp-sb-charge-limit button:text-is("set")');
  await page.waitForFunction(() => /^CALLRESULT[\s\S]*"effectiveLimit": 16/.test($('.ocpp-sb-answer').text()), null, { timeout: 15000 });
  await page.waitForFunction((sel) => $(sel).text() === '16 A', `${row('DEMO-CP-1')} td.ocpp-sb-limit`, { timeout: 10000 });
  await page.waitForFunction(() => /Read back: 16 A/.test($('.ocpp-sb-charge-limit .ocpp-sb-note').text()), null, { timeout: 10000 });
  await page.click('.ocpp-sb-charge-limit button:text-is("clear")');
  await page.waitForFunction(() => /"cleared": \[\s*1000000001\s*\]/.test($('.ocpp-sb-answer').text()), null, { timeout: 15000 });
  await page.waitForFunction((sel) => $(sel).text() === '', `${row('DEMO-CP-1')} td.ocpp-sb-limit`, { timeout: 10000 });
  assert.strictEqual(await limitCell(), '');
  await page.selectOption('.ocpp-sb-call-action', 'GetConfiguration');
  await page.waitForTimeout(1200);
  await page.screenshot({ path: path.join(root, 'docs', 'editor-sidebar.png') });
  const rows = await page.$$eval('.ocpp-sb-table tbody tr', (trs) => trs.length);
  return `${rows} stations listed, GetConfiguration sent to DEMO-CP-1 and answered, ${seqs.length} frames inspected, Reset from the template Accepted, a bad payload and an unknown action shown inline, a 16 A charge limit set, read back and cleared from the inspector`;
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
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, permissions: ['clipboard-read', 'clipboard-write'] });
    const page = await context.newPage();
    // This machine has no outside network: the editor's requests to other hosts fail by design.
    const offline = (text) => /ERR_NAME_NOT_RESOLVED|ERR_INTERNET_DISCONNECTED/.test(text);
    page.on('console', (m) => m.type() === 'error' && !offline(m.text()) && errors.push(`${m.text()} (${m.location().url || 'page'})`));
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(editor.url);
    await page.waitForFunction(() => window.RED && RED.nodes && RED.nodes.getType && RED.nodes.getType('CS server'), null, { timeout: 30000 });
    await page.waitForTimeout(1500);
    // The palette: an OCPP category with every node type.
    const palette = await page.evaluate(() =>
      Array.from(document.querySelectorAll('#red-ui-palette-container-OCPP .red-ui-palette-node')).map((n) => n.getAttribute('data-palette-type'))
    );
    for (const type of NODE_TYPES) assert.ok(palette.includes(type), `palette lacks ${type}: ${palette}`);
    // Each palette label is one line, and each role has its colour and font-awesome icons.
    const looks = await page.evaluate(() =>
      Array.from(document.querySelectorAll('#red-ui-palette-container-OCPP .red-ui-palette-node')).map((n) => {
        const type = n.getAttribute('data-palette-type');
        const def = RED.nodes.getType(type);
        const icon = String(def.icon || '');
        return {
          type,
          label: n.getAttribute('data-palette-label'),
          lines: n.querySelector('.red-ui-palette-label').innerHTML.split(/<br\/?>/i).length,
          color: def.color,
          icon,
          iconKnown: !!RED.nodes.fontAwesome.getIconUnicode(icon.replace('font-awesome/', '')),
        };
      })
    );
    for (const l of looks) {
      assert.strictEqual(l.lines, 1, `${l.type}: the palette label "${l.label}" takes ${l.lines} lines`);
      assert.ok(l.icon.startsWith('font-awesome/') && l.iconKnown, `${l.type}: icon ${l.icon}`);
    }
    const colorOf = (t) => looks.find((l) => l.type === t).color;
    for (const types of Object.values(ROLES)) for (const t of types) assert.strictEqual(colorOf(t), colorOf(types[0]), `${t}: the colour of its role`);
    assert.notStrictEqual(colorOf(ROLES.cs[0]), colorOf(ROLES.cp[0]), 'the two roles have one colour');
    fs.mkdirSync(path.join(root, 'docs'), { recursive: true });
    await page.screenshot({ path: path.join(root, 'docs', 'editor-demo-flow.png') });
    // The OCPP palette category on its own.
    // Its palette category scrolled to the top, and shown alone.
    await page.evaluate(() => {
      const category = document.querySelector('#red-ui-palette-container-OCPP');
      document.querySelectorAll('.red-ui-palette-category').forEach((c) => {
        if (c !== category) c.style.display = 'none';
      });
    });
    await page.waitForTimeout(200);
    const category = await page.$('#red-ui-palette-container-OCPP');
    await category.screenshot({ path: path.join(root, 'docs', 'editor-palette.png') });
    await page.evaluate(() => document.querySelectorAll('.red-ui-palette-category').forEach((c) => (c.style.display = '')));

    // Every node's dialog, opened on a node of the demo flow.
    const saved = [];
    // A node's config values, by its defaults' keys.
    await page.evaluate(() => {
      window.configOf = (n) => Object.fromEntries(Object.keys(n._def.defaults).map((k) => [k, n[k]]));
    });
    for (const type of NODE_TYPES) {
      const id = await page.evaluate((t) => {
        let found = null;
        RED.nodes.eachNode((n) => {
          if (!found && n.type === t) found = n.id;
        });
        return found;
      }, type);
      assert.ok(id, `the demo flow has no ${type} node`);
      // Command params as a flow of the original may hold it: JSON text, spaced as typed.
      const before = await page.evaluate((i) => {
        const n = RED.nodes.node(i);
        if ('cmddata' in n._def.defaults) n.cmddata = '{"type": "Soft"}';
        return configOf(n);
      }, id);
      await page.evaluate((i) => RED.editor.edit(RED.nodes.node(i)), id);
      await page.waitForSelector('.red-ui-tray-body .form-row', { timeout: 10000 });
      await page.waitForTimeout(400);
      if (type === 'CS server') {
        // The demo's CS server has no version keys (as flows of the original): 1.6 must show checked.
        const checked = await page.evaluate(() => $('#node-input-json16').is(':checked'));
        assert.ok(checked, 'an OCPP-J CS server without version keys must show 1.6 checked');
      }
      const facts = await page.evaluate(dialogFacts, 'node-input');
      checkFacts(type, await page.evaluate((t) => RED.nodes.getType(t).defaults, type), facts);
      const file = `editor-${type.toLowerCase().replace(/\s+/g, '-')}.png`;
      await page.screenshot({ path: path.join(root, 'docs', file) });
      if (facts.paramsJson) {
        // Its button opens the JSON editor on the params; Cancel leaves them as they were.
        await page.click('#node-input-cmddata + .red-ui-typedInput-container .red-ui-typedInput-option-expand');
        await page.waitForTimeout(500);
        const title = await page.evaluate(() => $('.red-ui-tray-titlebar').last().text());
        assert.match(title, /JSON editor$/, `${type}: Command params' button opened "${title}"`);
        await page.evaluate(() => RED.tray.close());
        await page.waitForTimeout(400);
      }
      // Done: the dialog saves, and every key the node had keeps its value.
      await page.click('#node-dialog-ok');
      await page.waitForTimeout(400);
      const after = await page.evaluate((i) => configOf(RED.nodes.node(i)), id);
      assert.deepStrictEqual(changedKeys(before, after), [], `${type}: saving its dialog changed these keys`);
      saved.push(`${type} (${Object.keys(before).filter((k) => before[k] !== undefined).length} keys kept)`);
    }
    // The demo runs without a cluster: an ocpp-cluster node is imported for its dialog.
    await page.evaluate(() =>
      RED.view.importNodes([{ id: 'check-cluster', type: 'ocpp-cluster', name: '', url: 'redis://127.0.0.1:6379/0', prefix: 'ocpp', instance: '', maxPending: 10000 }])
    );
    for (const type of CONFIG_TYPES) {
      const id = await page.evaluate((t) => {
        let found = null;
        RED.nodes.eachConfig((n) => {
          if (!found && n.type === t) found = n.id;
        });
        return found;
      }, type);
      assert.ok(id, `the demo flow has no ${type} config node`);
      const before = await page.evaluate((i) => configOf(RED.nodes.node(i)), id);
      await page.evaluate((a) => RED.editor.editConfig('', a.type, a.id), { type, id });
      await page.waitForTimeout(400);
      const facts = await page.evaluate(dialogFacts, 'node-config-input');
      checkFacts(type, await page.evaluate((t) => RED.nodes.getType(t).defaults, type), facts);
      // The title reads as words ("Edit OCPP-J charge point node"), not as the type name.
      assert.ok(!facts.title.includes(type) && /^Edit OCPP.* node$/.test(facts.title), `${type}: dialog title "${facts.title}"`);
      await page.click('#node-config-dialog-ok');
      await page.waitForTimeout(300);
      const after = await page.evaluate((i) => configOf(RED.nodes.node(i)), id);
      assert.deepStrictEqual(changedKeys(before, after), [], `${type}: saving its dialog changed these keys`);
      saved.push(`${type} "${facts.title}"`);
    }
    const sidebar = await checkSidebar(page);
    // The unknown action the sidebar check sends on purpose is answered 400, which the browser logs once.
    const expected = errors.filter((e) => /status of 400 \(Bad Request\)/.test(e));
    assert.strictEqual(expected.length, 1, `the unknown action's 400: ${expected.length} logged`);
    const unexpected = errors.filter((e) => !expected.includes(e));
    assert.deepStrictEqual(unexpected, [], `console errors: ${unexpected.join('\n')}`);
    console.log(`OCPP sidebar: ${sidebar}`);
    console.log(`palette labels: ${looks.map((l) => `${l.type} = "${l.label}"`).join(', ')}`);
    console.log(`dialogs saved: ${saved.join('; ')}`);
    console.log(
      `editor check passed: palette has ${NODE_TYPES.length} OCPP node types on one line each, ${NODE_TYPES.length + CONFIG_TYPES.length} dialogs opened and saved with no console error and no key changed; screenshots in docs/`
    );
  } finally {
    await browser.close();
    editor.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

