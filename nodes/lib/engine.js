'use strict';
// Loads the Rust engine once per process. A missing or broken addon must not
// stop Node-RED: every node still registers and shows `loadError` instead.
const { addonPath } = require('./addon-path');

let addon = null;
let loadError = null;
try {
  addon = require(addonPath());
} catch (err) {
  loadError = new Error(
    `the OCPP engine could not be loaded (${err.message}). ` +
      'Run `npm rebuild @ocpp-rs/node-red-ocpp` in your Node-RED user directory (it needs a Rust toolchain), then restart Node-RED.'
  );
}

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

module.exports = { addon, loadError, watchStation, stationChanged };
