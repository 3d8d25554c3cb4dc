'use strict';
// The Node-RED flow library's scorecard (`node-red-dev validate`), offline.
// node-red-dev fetches the flow library's catalogue and npm's dist-tags, which
// these machines cannot reach, so its rules are implemented here against what
// is installed: P01-P08 (package), D01-D03 (dependencies), N01-N02 (nodes),
// plus what a user of the library reads: help for every node, examples, README,
// and what `npm pack` ships.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const { execFileSync } = require('child_process');
// semver as Node-RED itself uses it (not a dependency of ours).
const semver = require(require.resolve('semver', { paths: [path.dirname(require.resolve('node-red/package.json'))] }));

const ROOT = path.join(__dirname, '..');
const pkg = require('../package.json');
const read = (f) => fs.readFileSync(path.join(ROOT, f), 'utf8');

// The node definitions a package's .html files register, found the way the editor
// finds them: run each text/javascript block with a RED that records registerType.
function nodeDefinitions(dir, nodes) {
  const defs = {};
  const editorJs = path.join(dir, 'resources', 'editor.js');
  for (const js of Object.values(nodes)) {
    const html = fs.readFileSync(path.join(dir, js.replace(/\.js$/, '.html')), 'utf8');
    // jQuery, RED.validators, ...: anything else is a callable that returns itself.
    const any = new Proxy(function () {}, { get: (t, k) => (k === Symbol.toPrimitive ? () => '' : any), apply: () => any });
    const registerType = (type, def) => (defs[type] = { ...def, file: js });
    const RED = new Proxy({ nodes: { registerType } }, { get: (t, k) => (k in t ? t[k] : any) });
    const sandbox = { $: any, jQuery: any, RED };
    sandbox.window = sandbox;
    vm.createContext(sandbox);
    if (fs.existsSync(editorJs)) vm.runInContext(fs.readFileSync(editorJs, 'utf8'), sandbox);
    const blocks = [...html.matchAll(/<script[^>]*type=["']text\/javascript["'][^>]*>([\s\S]*?)<\/script>/gi)].map((m) => m[1]);
    assert.ok(blocks.length > 0, `${js}: no <script type="text/javascript"> in its .html`);
    for (const b of blocks) vm.runInContext(b, sandbox);
  }
  return defs;
}

const OUR_DEFS = nodeDefinitions(ROOT, pkg['node-red'].nodes);
const OUR_TYPES = Object.keys(OUR_DEFS);
const FLOW_NODES = OUR_TYPES.filter((t) => OUR_DEFS[t].category !== 'config');

function exampleFiles() {
  const dir = path.join(ROOT, 'examples');
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => path.join(dir, f)) : [];
}

let packCache = null;
function packedFiles() {
  if (!packCache) {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
    packCache = JSON.parse(out)[0].files.map((f) => f.path.replace(/\\/g, '/'));
  }
  return packCache;
}

describe('flow library scorecard (node-red-dev validate, offline)', function () {
  this.timeout(60000);

  describe('package', () => {
    it('P01: has a license, and the LICENSE file to go with it', () => {
      assert.strictEqual(pkg.license, 'MIT');
      const text = read('LICENSE');
      assert.match(text, /^MIT License/);
      assert.match(text, /Copyright \(c\) 2026 ocpp-rs contributors/);
    });

    it('P02: the repository is a git URL of a repository named after the package', () => {
      // node-red-dev has P02 disabled (it would clone the repository and compare package.json names).
      assert.match(pkg.repository.url, /^git\+https:\/\/github\.com\/ocpp-rs\/node-red-ocpp\.git$/);
      assert.strictEqual(pkg.repository.url.replace(/\.git$/, '').split('/').pop(), pkg.name.split('/').pop());
    });

    it('P03: has a repository and a bugs URL', () => {
      assert.ok(pkg.repository && pkg.repository.type === 'git');
      assert.strictEqual(pkg.bugs.url, 'https://github.com/ocpp-rs/node-red-ocpp/issues');
      assert.strictEqual(pkg.homepage, 'https://github.com/ocpp-rs/node-red-ocpp#readme');
    });

    it('P04: uses a scoped name (required of packages new since February 2022)', () => {
      assert.match(pkg.name, /@[a-z\d][\w-.]+\/[a-z\d][\w-.]*/);
    });

    it('P05: keywords contain node-red', () => {
      assert.ok(pkg.keywords.includes('node-red'));
    });

    it('P06: declares the Node-RED version it needs, and the current Node-RED satisfies it', () => {
      // node-red-dev checks the `latest` and `maintenance` dist-tags of node-red on npm;
      // here, the Node-RED this repo tests with (the latest 4.x when it was installed).
      assert.ok(semver.validRange(pkg['node-red'].version), 'node-red.version is a semver range');
      const installed = require('node-red/package.json').version;
      assert.ok(semver.satisfies(installed, pkg['node-red'].version), `Node-RED ${installed} vs ${pkg['node-red'].version}`);
      assert.ok(semver.satisfies('4.0.0', pkg['node-red'].version));
    });

    it("P07: declares engines.node, compatible with Node-RED's own minimum", () => {
      assert.ok(pkg.engines && pkg.engines.node);
      const nodeRedMin = semver.minVersion(require('node-red/package.json').engines.node);
      assert.ok(semver.satisfies(nodeRedMin, pkg.engines.node), `Node-RED needs Node ${nodeRedMin}; engines.node is ${pkg.engines.node}`);
      assert.ok(semver.satisfies(process.version, pkg.engines.node));
    });

    it('P08: no other package with the same name in another scope', () => {
      // node-red-dev compares the unscoped name with every module in the online catalogue. The one
      // OCPP module we know of there is node-red-contrib-ocpp (installed here for the interop tests).
      const unscoped = pkg.name.split('/').pop();
      assert.strictEqual(unscoped, 'node-red-ocpp');
      // Every package installed here (the original among them): none has our unscoped name in another scope.
      const modules = path.join(ROOT, 'node_modules');
      const names = fs.readdirSync(modules).flatMap((d) => (d.startsWith('@') ? fs.readdirSync(path.join(modules, d)).map((n) => `${d}/${n}`) : [d]));
      assert.ok(names.includes('node-red-contrib-ocpp'), 'the scan sees the installed packages');
      const clashes = names.filter((n) => n !== pkg.name && n.split('/').pop() === unscoped);
      assert.deepStrictEqual(clashes, []);
      for (const opt of Object.keys(pkg.optionalDependencies || {})) assert.ok(opt.startsWith(`${pkg.name}-`), opt);
    });
  });

  describe('dependencies', () => {
    it('D01: at most 6 dependencies', () => {
      // The prebuilt engines are optionalDependencies (npm installs only the platform's own),
      // which node-red-dev does not count.
      const n = Object.keys(pkg.dependencies || {}).length;
      assert.ok(n <= 6, `${n} dependencies`);
    });

    it('D02: no known-incompatible package in the dependency tree (agent-base < 6)', () => {
      // node-red-dev's badpackages.json: {"agent-base": "<6.0.0"}. Our runtime tree is the
      // package and its prebuilt engine packages, which depend on nothing.
      assert.deepStrictEqual(Object.keys(pkg.dependencies || {}), []);
      for (const dir of fs.readdirSync(path.join(ROOT, 'npm'))) {
        const p = require(path.join(ROOT, 'npm', dir, 'package.json'));
        assert.ok(!p.dependencies && !p.optionalDependencies && !p.peerDependencies, `${p.name} has dependencies`);
      }
    });

    it('D03: production dependencies are at their latest versions', () => {
      // node-red-dev runs npm-check on `dependencies`: there are none. The optional engine
      // packages are pinned to this very version, released together.
      assert.deepStrictEqual(Object.keys(pkg.dependencies || {}), [], 'npm-check would have dependencies to check');
      const optional = pkg.optionalDependencies || {};
      assert.ok(Object.keys(optional).length > 0, 'the prebuilt engines are listed');
      for (const [name, range] of Object.entries(optional)) assert.strictEqual(range, pkg.version, name);
      // Each pinned engine package is the one in npm/, at the same version.
      const engines = fs.readdirSync(path.join(ROOT, 'npm')).map((dir) => require(path.join(ROOT, 'npm', dir, 'package.json')));
      assert.deepStrictEqual(engines.map((p) => p.name).sort(), Object.keys(optional).sort());
      for (const p of engines) assert.strictEqual(p.version, pkg.version, p.name);
    });
  });

  describe('nodes', () => {
    it('every node-red.nodes entry exists, with its .html', () => {
      for (const [set, js] of Object.entries(pkg['node-red'].nodes)) {
        assert.ok(fs.existsSync(path.join(ROOT, js)), `${set}: ${js}`);
        assert.ok(fs.existsSync(path.join(ROOT, js.replace(/\.js$/, '.html'))), `${set}: ${js} has no .html`);
      }
      assert.deepStrictEqual(OUR_TYPES.sort(), [
        'CP Request SOAP', 'CP client JSON', 'CP server SOAP', 'CS request JSON', 'CS request SOAP', 'CS server',
        'ocpp-cluster', 'ocpp-remote-cp', 'ocpp-remote-cs', 'ocpp-remotej-cp', 'server response',
      ].sort());
    });

    it('every node has an edit dialog and help text in the sidebar, and a literal category', () => {
      const html = Object.values(pkg['node-red'].nodes).map((js) => read(js.replace(/\.js$/, '.html'))).join('\n');
      for (const type of OUR_TYPES) {
        const esc = type.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        assert.match(html, new RegExp(`<script type="text/html" data-template-name="${esc}">`), `${type}: no edit dialog`);
        const help = html.match(new RegExp(`<script type="text/html" data-help-name="${esc}">([\\s\\S]*?)</script>`));
        assert.ok(help, `${type}: no help`);
        const words = help[1].replace(/<[^>]+>/g, ' ').split(/\s+/).filter(Boolean);
        assert.ok(words.length >= 20, `${type}: help is only ${words.length} words`);
        assert.ok(typeof OUR_DEFS[type].category === 'string' && OUR_DEFS[type].category, `${type}: category`);
      }
      for (const type of FLOW_NODES) {
        const help = html.match(new RegExp(`data-help-name="${type}">([\\s\\S]*?)</script>`))[1];
        assert.match(help, /<h3>(Inputs|Outputs)|class="node-ports"|message-properties/, `${type}: help documents no msg properties`);
      }
    });

    it('N01: node type names are those of node-red-contrib-ocpp by design, and the README says to remove it first', () => {
      // node-red-dev flags any type name another catalogue module registers. Ours are the
      // original's on purpose (a drop-in: its flows import unchanged), so the two cannot be
      // installed together, and the README must say so before the install command.
      const contribDir = path.dirname(require.resolve('node-red-contrib-ocpp/package.json'));
      const contrib = require('node-red-contrib-ocpp/package.json');
      const theirs = Object.keys(nodeDefinitions(contribDir, contrib['node-red'].nodes));
      const shared = OUR_TYPES.filter((t) => theirs.includes(t));
      assert.ok(shared.length >= 6, `shared types: ${shared}`);
      const readme = read('README.md');
      const uninstall = readme.indexOf('npm uninstall node-red-contrib-ocpp');
      const install = readme.indexOf('npm install @ocpp-rs/node-red-ocpp');
      assert.ok(uninstall >= 0, 'README: npm uninstall node-red-contrib-ocpp');
      assert.ok(install > uninstall, 'README: the uninstall comes before the install');
      // and every type name is unique within the package (one file per set)
      const files = Object.values(pkg['node-red'].nodes);
      for (const t of OUR_TYPES) assert.ok(files.includes(OUR_DEFS[t].file));
    });

    it('N02: the examples use every node (config nodes aside)', () => {
      const files = exampleFiles();
      assert.ok(files.length >= 1, 'no examples/*.json');
      const used = new Set();
      for (const f of files) {
        const flow = JSON.parse(fs.readFileSync(f, 'utf8'));
        assert.ok(Array.isArray(flow), `${path.basename(f)} is not a flow (array of nodes)`);
        for (const n of flow) used.add(n.type);
      }
      assert.deepStrictEqual(FLOW_NODES.filter((t) => !used.has(t)), []);
    });
  });

  describe('what users read and get', () => {
    it('README: what it is, how to install, the nodes, examples, and how the engine gets onto the machine', () => {
      const readme = read('README.md');
      assert.ok(readme.length > 2000);
      const has = (re, what) => assert.ok(re.test(readme), `README: ${what}`);
      has(/^# @ocpp-rs\/node-red-ocpp/, 'the package name as title');
      has(/## Install/, 'an install section');
      has(/npm install @ocpp-rs\/node-red-ocpp/, 'the install command');
      has(/Import > Examples/, 'where the examples are');
      for (const type of FLOW_NODES) assert.ok(readme.includes(`\`${type}\``), `README does not name ${type}`);
      const install = readme.slice(readme.indexOf('## Install'), readme.indexOf('\n## ', readme.indexOf('## Install') + 1));
      assert.ok(/prebuilt/i.test(install), 'README install section: prebuilt binaries');
      assert.ok(/OCPP_RS_BUILD_FROM_SOURCE/.test(install), 'README install section: OCPP_RS_BUILD_FROM_SOURCE');
      assert.ok(/rustup/.test(install), 'README install section: what a build from source needs');
    });

    it('npm pack ships the nodes, examples, editor resources, README, LICENSE and what a build from source needs', () => {
      const files = packedFiles();
      const want = [
        'package.json', 'README.md', 'LICENSE', 'resources/editor.js',
        'nodes/lib/engine.js', 'nodes/lib/addon-path.js',
        // the install hook, and a build from source where no prebuilt fits
        'scripts/build-addon.js', 'Cargo.toml', 'Cargo.lock', 'build.rs', 'src/lib.rs',
      ];
      for (const js of Object.values(pkg['node-red'].nodes)) want.push(js, js.replace(/\.js$/, '.html'));
      for (const f of exampleFiles()) want.push(`examples/${path.basename(f)}`);
      for (const f of want) assert.ok(files.includes(f), `npm pack leaves out ${f}`);
      assert.ok(files.includes(pkg.main), 'main');
      assert.ok(files.some((f) => f.startsWith('src/soap/wsdl/')), 'the WSDLs the SOAP tables come from');
    });

    it('npm pack leaves out tests, benchmarks, build output, CI, and binaries (those come from the platform packages)', () => {
      const files = packedFiles();
      const banned = [/^test\//, /^bench\//, /^target\//, /^native\//, /^npm\//, /^\.github\//, /^\.ci\//, /^fuzz\//, /^node_modules\//, /\.node$/, /^\.node-red-dev\//];
      for (const f of files) for (const re of banned) assert.doesNotMatch(f, re, `npm pack ships ${f}`);
      // docs/ (screenshots) is fine either way
    });
  });
});
