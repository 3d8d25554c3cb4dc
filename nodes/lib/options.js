'use strict';
// Turns editor config values into numbers with a readable error, so a typo in
// a dialog becomes a node error, never a silent default.
function number(value, name, { min = 0, max = Infinity, fallback }) {
  if (value === undefined || value === null || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new Error(`${name} must be a number from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

// Reads a port the way the original did (typedInput num/env; old flows have no portType).
function port(RED, node, config) {
  let value = config.port;
  if (config.portType && config.portType !== 'num') {
    value = RED.util.evaluateNodeProperty(config.port, config.portType, node);
  }
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new Error(`port must be a whole number from 1 to 65535, got "${value}"`);
  }
  return n;
}

module.exports = { number, port };
