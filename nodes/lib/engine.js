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

module.exports = { addon, loadError, watchStation, stationChanged };
