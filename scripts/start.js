#!/usr/bin/env node
// `npm start`: a local Node-RED on http://127.0.0.1:1880 that loads this
// package from the working copy, with the demo flow deployed.
//
//   npm start                 keep the flows you edited since the last start
//   npm start -- --reset      deploy the demo flow again
//   PORT=1881 npm start       another editor port (HOST=0.0.0.0 to listen on every interface)
//   OCPP_DEMO_CS_PORT=9834 OCPP_DEMO_SOAP_PORT=9835 npm start
//                             the demo's Central System port (8834) and SOAP station port (8835)
//   OCPP_RS_USER_DIR=/tmp/x   another Node-RED user directory (default .node-red-dev/)
//   OCPP_RS_NODE_RED=.node-red-5/node_modules/node-red
//                             another Node-RED (here the one `npm run test:node-red-5` installs;
//                             Node-RED 5 needs Node >= 22.9)
//
// Ctrl-C, SIGTERM or SIGHUP to this script (or to npm) stops Node-RED too, and so does
// npm going away (killed, or hung up): nothing is left running on the ports.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawn } = require('child_process');

const root = path.resolve(__dirname, '..');
const userDir = process.env.OCPP_RS_USER_DIR ? path.resolve(process.env.OCPP_RS_USER_DIR) : path.join(root, '.node-red-dev');
const flowFile = path.join(userDir, 'flows.json');
const demoFlow = path.join(root, 'examples', 'demo-central-system-and-stations.json');
const port = Number(process.env.PORT) || 1880;
const host = process.env.HOST || '127.0.0.1';
const redDir = process.env.OCPP_RS_NODE_RED
  ? path.resolve(process.env.OCPP_RS_NODE_RED)
  : path.dirname(require.resolve('node-red/package.json', { paths: [root] }));

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

const red = path.join(redDir, 'red.js');
const csPort = process.env.OCPP_DEMO_CS_PORT || '8834';
const soapPort = process.env.OCPP_DEMO_SOAP_PORT || '8835';
console.log(`Node-RED ${require(path.join(redDir, 'package.json')).version} with @ocpp-rs/node-red-ocpp: http://${host}:${port}/`);
console.log(
  `The demo flow's Central System: ws://127.0.0.1:${csPort}/ocpp/<station id> (OCPP_DEMO_CS_PORT), ` +
    `its SOAP station: port ${soapPort} (OCPP_DEMO_SOAP_PORT).`
);
const child = spawn(
  process.execPath,
  ['--require', path.join(__dirname, 'stop-with-parent.js'), red, '--userDir', userDir, '--settings', path.join(userDir, 'settings.js')],
  { cwd: root, stdio: 'inherit', env: { ...process.env, OCPP_RS_START_PID: String(process.pid) } }
);

// Stops Node-RED (it closes its flows and ports on SIGTERM, SIGINT or SIGHUP), and
// kills it if it has not exited 10 s later. This script exits when Node-RED has.
let stopping = false;
function stop(signal) {
  if (stopping) return;
  stopping = true;
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  setTimeout(() => child.kill('SIGKILL'), 10000).unref();
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => stop(sig));

// npm (or whatever started this script) gone, e.g. killed with SIGKILL or sent a SIGHUP it
// does not pass on: stop rather than keep Node-RED running for nobody. npm runs this script
// through \`sh -c\`, and that shell stays when npm goes: so, on Linux, watch the parent's
// parent as well (an orphan is handed to another parent).
function parentOf(pid) {
  try {
    return Number(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
  } catch (_) {
    return null;
  }
}
const lineage = () => [process.ppid, parentOf(process.ppid)];
const started = lineage();
const watch = setInterval(() => {
  const now = lineage();
  if (now[0] !== started[0] || (started[1] !== null && now[1] !== started[1])) stop('SIGTERM');
}, 500);
watch.unref();

child.on('exit', (code, signal) => {
  clearInterval(watch);
  // Stopped by us: a clean exit. Node-RED ending by itself: its code (1 if a signal killed it).
  process.exit(stopping ? 0 : code === null ? (signal ? 1 : 0) : code);
});
