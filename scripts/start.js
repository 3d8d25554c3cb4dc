#!/usr/bin/env node
// `npm start`: a local Node-RED on http://127.0.0.1:1880 that loads this
// package from the working copy, with the demo flow deployed.
//
//   npm start                 keep the flows you edited since the last start
//   npm start -- --reset      deploy the demo flow again
//   PORT=1881 npm start       another editor port
'use strict';
const fs = require('fs');
const path = require('path');
const { spawn } = require('child_process');

const root = path.resolve(__dirname, '..');
const userDir = path.join(root, '.node-red-dev');
const flowFile = path.join(userDir, 'flows.json');
const demoFlow = path.join(root, 'examples', 'demo-central-system-and-stations.json');
const port = Number(process.env.PORT) || 1880;
const host = process.env.HOST || '127.0.0.1';

fs.mkdirSync(userDir, { recursive: true });
if (process.argv.includes('--reset') || !fs.existsSync(flowFile)) {
  fs.copyFileSync(demoFlow, flowFile);
  console.log(`Deployed the demo flow (${path.relative(root, demoFlow)}).`);
}

const settings = `// Written by scripts/start.js on every start.
module.exports = {
  uiHost: ${JSON.stringify(host)},
  uiPort: ${port},
  flowFile: 'flows.json',
  // Load this package from the working copy...
  nodesDir: [${JSON.stringify(root)}],
  // ...and never the original node-red-contrib-ocpp (a devDependency for the
  // interoperability tests): both register the same node types.
  externalModules: { palette: { denyList: ['node-red-contrib-ocpp'] } },
  editorTheme: { tours: false, projects: { enabled: false } },
  // No update-check prompt: this sandbox is for developing the package.
  telemetry: { enabled: false },
  logging: { console: { level: 'info', metrics: false, audit: false } },
};
`;
fs.writeFileSync(path.join(userDir, 'settings.js'), settings);

const red = require.resolve('node-red/red.js', { paths: [root] });
console.log(`Node-RED with @ocpp-rs/node-red-ocpp: http://${host}:${port}/`);
const child = spawn(process.execPath, [red, '--userDir', userDir, '--settings', path.join(userDir, 'settings.js')], {
  cwd: root,
  stdio: 'inherit',
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code) => process.exit(code === null ? 0 : code));
