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

// The request body as JSON text: msg.payload.data, else the node's Command
// params (JSON text), else {}.
function requestBody(payload, cmddata) {
  let data = payload.data;
  if (data === undefined) {
    if (cmddata === undefined || cmddata === null || String(cmddata).trim() === '') return '{}';
    try {
      data = JSON.parse(cmddata);
    } catch (err) {
      throw new Error(`the node's Command params are not valid JSON: ${err.message}`);
    }
  }
  const body = JSON.stringify(data);
  if (body === undefined) throw new Error('msg.payload.data cannot be turned into JSON');
  return body;
}

module.exports = { number, port, requestBody };
