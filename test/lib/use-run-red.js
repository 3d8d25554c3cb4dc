'use strict';
// Preloaded (node --require) by `scripts/test-node-red-5.js --editor` into the editor check
// (test/editor/browser-check.js), which resolves `node-red/red.js` from the repository: that
// one request resolves to the run's Node-RED instead (test/lib/node-red.js, OCPP_RS_NODE_RED),
// so the editor check runs Node-RED 5 with Node 24 under the Node-RED 5 run. Nothing else is
// redirected. (The check resolving test/lib/node-red.js's `redJs` itself would make this file
// unnecessary.)
const Module = require('module');
const { redJs, version } = require('./node-red');

const resolve = Module._resolveFilename;
Module._resolveFilename = function resolveRunRed(request, ...rest) {
  if (request === 'node-red/red.js') {
    console.log(`use-run-red: node-red/red.js is ${redJs} (Node-RED ${version}), run with Node ${process.version}`);
    return redJs;
  }
  return resolve.call(this, request, ...rest);
};
