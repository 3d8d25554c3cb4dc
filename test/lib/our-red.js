'use strict';
// Runs a flow in a Node-RED process of its own with this package (loaded from
// the repository through nodesDir), for what a test cannot do inside its own
// runtime: kill Node-RED with SIGKILL and start it again on the same user
// directory.
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');
const nodeRed = require('./node-red');

const root = path.resolve(__dirname, '..', '..');

// `extra`: more settings.js properties, as text, or an object of JSON values (e.g. adminAuth).
function writeSettings(userDir, editorPort, extra = '') {
  const more = typeof extra === 'string' ? extra : `...${JSON.stringify(extra || {})},`;
  fs.writeFileSync(
    path.join(userDir, 'settings.js'),
    `module.exports = {
      uiHost: '127.0.0.1', uiPort: ${editorPort}, flowFile: 'flows.json', credentialSecret: false,
      nodesDir: [${JSON.stringify(root)}],
      externalModules: { palette: { denyList: ['node-red-contrib-ocpp'] } },
      telemetry: { enabled: false, updateNotification: false },
      diagnostics: { enabled: false }, runtimeState: { enabled: false },
      logging: { console: { level: 'info' } },
      ${more}
    };`
  );
}

// Starts Node-RED on `userDir` (created by the caller) with `flow`; resolves
// once its flows started. `kill()` sends SIGKILL; `stop()` SIGTERM. `settings`:
// more settings (see writeSettings).
async function startOurRed(userDir, flow, { editorPort, settings = '' }) {
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flow));
  writeSettings(userDir, editorPort, settings);
  const child = spawn(process.execPath, [nodeRed.redJs, '--userDir', userDir, '--settings', path.join(userDir, 'settings.js')], {
    cwd: userDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const onData = (d) => (output += d);
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Node-RED did not start:\n${output}`)), 30000);
    const poll = setInterval(() => {
      if (output.includes('Started flows')) {
        clearTimeout(timer);
        clearInterval(poll);
        try {
          nodeRed.checkStarted(output, 'our-red');
        } catch (e) {
          child.kill('SIGKILL');
          reject(e);
          return;
        }
        resolve();
      }
    }, 50);
    exited.then((code) => {
      clearTimeout(timer);
      clearInterval(poll);
      reject(new Error(`Node-RED exited (${code}):\n${output}`));
    });
  });
  return {
    output: () => output,
    version: nodeRed.version,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

module.exports = { startOurRed };
