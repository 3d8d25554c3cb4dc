'use strict';
// The Node-RED of the run a test belongs to: the repository's (a dev dependency) under
// `npm test`, or the package directory OCPP_RS_NODE_RED names (scripts/test-node-red-5.js
// sets it to its Node-RED 5). Everything that starts Node-RED, in this process (the test
// helper) or as a child process (our-red.js, second-red.js, cluster-red.js, the editor
// check), takes it from here, with the Node that runs the test (process.execPath).
const path = require('path');

const root = path.resolve(__dirname, '..', '..');
const dir = process.env.OCPP_RS_NODE_RED
  ? path.resolve(process.env.OCPP_RS_NODE_RED)
  : path.dirname(require.resolve('node-red/package.json', { paths: [root] }));
const version = require(path.join(dir, 'package.json')).version;
const redJs = path.join(dir, 'red.js');

// Throws unless a child's start-up log names this run's Node-RED version ("Node-RED version: v5.0.0").
// OCPP_RS_SHOW_RED=1 prints what each child ran, for a run's log.
function checkStarted(output, what = 'Node-RED') {
  const m = /Node-RED version: v(\S+)/.exec(output);
  const started = m ? m[1].replace(/-git$/, '') : null;
  if (started !== version) throw new Error(`${what} started Node-RED ${started}, not this run's ${version} (${dir})`);
  if (process.env.OCPP_RS_SHOW_RED) console.log(`      [${what}: Node-RED ${started} on Node ${process.version}]`);
  return started;
}

module.exports = { dir, version, redJs, checkStarted };
