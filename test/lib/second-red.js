'use strict';
// Runs a flow in a second Node-RED process with the original
// node-red-contrib-ocpp: the two packages register the same node types, so
// they can never share one runtime.
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const nodeRed = require('./node-red');

const root = path.resolve(__dirname, '..', '..');

async function startOriginalRed(flow, { editorPort }) {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocpp-original-'));
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flow));
  // The original comes from the repository's node_modules; a Node-RED installed elsewhere
  // (Node-RED 5 in .node-red-5/) finds it in the user directory's node_modules.
  try {
    require.resolve('node-red-contrib-ocpp/package.json', { paths: [nodeRed.dir] });
  } catch {
    const original = path.dirname(require.resolve('node-red-contrib-ocpp/package.json', { paths: [root] }));
    fs.mkdirSync(path.join(userDir, 'node_modules'));
    fs.symlinkSync(original, path.join(userDir, 'node_modules', 'node-red-contrib-ocpp'), 'dir');
  }
  fs.writeFileSync(
    path.join(userDir, 'settings.js'),
    `module.exports = {
      uiHost: '127.0.0.1', uiPort: ${editorPort}, flowFile: 'flows.json',
      externalModules: { palette: { denyList: ['@ocpp-rs/node-red-ocpp'] } },
      logging: { console: { level: 'info' } },
    };`
  );
  const child = spawn(process.execPath, [nodeRed.redJs, '--userDir', userDir, '--settings', path.join(userDir, 'settings.js')], {
    cwd: userDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the original's Node-RED did not start:\n${output}`)), 20000);
    const onData = (d) => {
      output += d;
      if (output.includes('Started flows')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`the original's Node-RED exited (${code}):\n${output}`)));
  });
  nodeRed.checkStarted(output, 'second-red');
  if (!/node-red-contrib-ocpp/.test(output) && /missing types|Waiting for missing/i.test(output)) {
    throw new Error(`the original package did not load:\n${output}`);
  }
  return {
    output: () => output,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(userDir, { recursive: true, force: true });
    },
  };
}

module.exports = { startOriginalRed };
