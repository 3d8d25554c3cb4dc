'use strict';
// The edit dialogs as the editor builds them, without a browser: each .html's
// node definitions registered with a RED that records them, and each dialog's
// template after OcppEditor.dialog() has written the shared rows into it.
// (test/editor/browser-check.js opens the same dialogs in Chromium.)
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const vm = require('vm');

const ROOT = path.join(__dirname, '..');
const pkg = require('../package.json');

function load() {
  const defs = {};
  const templates = {};
  for (const js of Object.values(pkg['node-red'].nodes)) {
    const html = fs.readFileSync(path.join(ROOT, js.replace(/\.js$/, '.html')), 'utf8');
    for (const m of html.matchAll(/<script type="text\/html" data-template-name="([^"]+)">([\s\S]*?)<\/script>/g)) templates[m[1]] = m[2];
    // Just enough jQuery for OcppEditor.dialog(): a template's text, read and written.
    const $ = (selector) => {
      const m = /^script\[data-template-name="([^"]+)"\]$/.exec(selector);
      assert.ok(m, `unexpected $(${selector}) at registration`);
      return { text: (v) => (v === undefined ? templates[m[1]] : (templates[m[1]] = v)) };
    };
    const RED = { nodes: { registerType: (type, def) => (defs[type] = def) } };
    const sandbox = { $, RED };
    sandbox.window = sandbox;
    vm.createContext(sandbox);
    vm.runInContext(fs.readFileSync(path.join(ROOT, 'resources', 'editor.js'), 'utf8'), sandbox);
    for (const m of html.matchAll(/<script type="text\/javascript">([\s\S]*?)<\/script>/g)) vm.runInContext(m[1], sandbox);
  }
  return { defs, templates };
}

const { defs, templates } = load();
const prefixOf = (type) => (defs[type].category === 'config' ? 'node-config-input' : 'node-input');
// The attributes of the element with this id in a template.
function element(type, id) {
  const m = new RegExp(`<(input|select|textarea)\\b[^>]*\\bid="${id}"[^>]*>`).exec(templates[type]);
  if (!m) return null;
  return Object.fromEntries([...m[0].matchAll(/([\w-]+)="([^"]*)"/g)].map((a) => [a[1], a[2]]));
}

describe('edit dialogs', () => {
  it('every numeric field shows its default as placeholder', () => {
    let checked = 0;
    for (const [type, def] of Object.entries(defs)) {
      for (const [key, d] of Object.entries(def.defaults)) {
        if (typeof d.value !== 'number') continue;
        const el = element(type, `${prefixOf(type)}-${key}`);
        assert.ok(el, `${type}: no field for ${key}`);
        assert.strictEqual(el.placeholder, String(d.value), `${type}: ${key}'s placeholder`);
        checked += 1;
      }
    }
    assert.ok(checked >= 20, `${checked} numeric fields`);
  });

  it('no placeholder is a path of a Docker image', () => {
    for (const [type, text] of Object.entries(templates)) {
      for (const m of text.matchAll(/placeholder="([^"]*)"/g)) assert.doesNotMatch(m[1], /^\/data\b/, `${type}: placeholder ${m[1]}`);
    }
  });

  it('a colour per role, font-awesome icons, and palette labels short enough for one line', () => {
    const roles = { cs: ['CS server', 'server response', 'CS request JSON', 'CS request SOAP'], cp: ['CP client JSON', 'CP server SOAP', 'CP Request SOAP'] };
    for (const types of Object.values(roles)) {
      for (const t of types) {
        assert.strictEqual(defs[t].color, defs[types[0]].color, `${t}: colour`);
        assert.match(defs[t].icon, /^font-awesome\/fa-[a-z-]+$/, `${t}: icon`);
        // Node-RED wraps a palette label at 82 px of 13 px text: about 11 characters.
        assert.ok(defs[t].paletteLabel && defs[t].paletteLabel.length <= 11, `${t}: palette label "${defs[t].paletteLabel}"`);
      }
    }
    assert.notStrictEqual(defs['CS server'].color, defs['CP client JSON'].color);
    for (const t of ['ocpp-remote-cp', 'ocpp-remotej-cp', 'ocpp-remote-cs']) assert.match(defs[t].paletteLabel, /^OCPP[ -]/, `${t}: title`);
  });

  it("CS server: maxConnections and eventBacklogMB, with the engine's ranges", () => {
    const def = defs['CS server'].defaults;
    const ok = (key, v) => def[key].validate.call({}, v) === true;
    assert.strictEqual(def.maxConnections.value, 50000);
    for (const v of [1, 50000, 1000000, '', '200']) assert.ok(ok('maxConnections', v), `maxConnections ${v}`);
    for (const v of [0, 1000001, 1.5, 'many']) assert.ok(!ok('maxConnections', v), `maxConnections ${v}`);
    assert.strictEqual(def.eventBacklogMB.value, 16);
    for (const v of [1, 16, 4096, '']) assert.ok(ok('eventBacklogMB', v), `eventBacklogMB ${v}`);
    for (const v of [0, 4097, 2.5]) assert.ok(!ok('eventBacklogMB', v), `eventBacklogMB ${v}`);
    for (const key of ['maxConnections', 'eventBacklogMB']) assert.ok(element('CS server', `node-input-${key}`), `no ${key} field`);
  });

  it('CP client JSON: persistQueue is a checkbox, on for new nodes', () => {
    assert.strictEqual(defs['CP client JSON'].defaults.persistQueue.value, true);
    assert.strictEqual(element('CP client JSON', 'node-input-persistQueue').type, 'checkbox');
  });

  it('CS server: Unified messages is a checkbox on for new nodes, with bootInterval and the autoAnswer multi-select', () => {
    const def = defs['CS server'].defaults;
    assert.strictEqual(def.unified.value, true);
    assert.strictEqual(element('CS server', 'node-input-unified').type, 'checkbox');
    assert.strictEqual(def.bootInterval.value, 300);
    for (const v of [1, 300, 86400]) assert.strictEqual(def.bootInterval.validate.call({}, v), true, `bootInterval ${v}`);
    for (const v of [0, 86401, 1.5]) assert.notStrictEqual(def.bootInterval.validate.call({}, v), true, `bootInterval ${v}`);
    assert.deepStrictEqual([...def.autoAnswer.value], ['Heartbeat']);
    assert.ok('multiple' in element('CS server', 'node-input-autoAnswer') || /<select[^>]*id="node-input-autoAnswer"[^>]*multiple/.test(templates['CS server']));
    const offered = [...templates['CS server'].matchAll(/<option value="(\w+)">/g)].map((m) => m[1]);
    for (const e of ['Heartbeat', 'StatusChanged', 'MeterValues', 'TransactionUpdated', 'BootNotification', 'Authorize']) assert.ok(offered.includes(e), `offers ${e}`);
  });

  it('Command params is JSON text wherever a node has it', () => {
    for (const [type, def] of Object.entries(defs)) {
      if (!('cmddata' in def.defaults)) continue;
      assert.match(String(def.oneditprepare), /OcppEditor\.paramsEditor\(\)/, `${type}: Command params is no JSON field`);
      assert.strictEqual(def.defaults.cmddata.value, '');
      assert.strictEqual(def.defaults.cmddata.validate(''), true);
      assert.strictEqual(def.defaults.cmddata.validate('{"type": "Soft"}'), true);
      assert.notStrictEqual(def.defaults.cmddata.validate('{type'), true);
    }
  });
});
