'use strict';
// Loads the Rust engine once per process. A missing or broken addon must not
// stop Node-RED: every node still registers and shows `loadError` instead.
const { loadAddon } = require('./addon-path');

// A build from source in native/ first, then this platform's prebuilt package
// (see addon-path.js); loadError names the platform key, what was tried, and
// how to build from source.
const { addon, error: loadError } = loadAddon();

// Nodes that follow one station's connection state (CS request JSON's status).
const watchers = new Map();

function watchStation(cbId, fn) {
  if (!watchers.has(cbId)) watchers.set(cbId, new Set());
  watchers.get(cbId).add(fn);
  return () => {
    const set = watchers.get(cbId);
    if (!set) return;
    set.delete(fn);
    if (set.size === 0) watchers.delete(cbId);
  };
}

function stationChanged(cbId) {
  const set = watchers.get(cbId);
  if (!set) return;
  const online = addon.isOnline(cbId);
  for (const fn of set) fn(online);
}

// Every node's first step: when the engine did not load, the node still
// deploys (so the rest of the flow runs) but shows why it cannot work, with
// a red status and the load error in the log. True when the engine is missing:
// a node with an input then fails each msg with `loadError` (catchable).
function engineMissing(node) {
  if (addon) return false;
  node.status({ fill: 'red', shape: 'ring', text: 'engine not loaded' });
  node.error(loadError.message);
  return true;
}

module.exports = { addon, loadError, engineMissing, watchStation, stationChanged };
