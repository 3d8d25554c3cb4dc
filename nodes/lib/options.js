'use strict';
const path = require('path');
// Turns editor config values into numbers with a readable error, so a typo in
// a dialog becomes a node error, never a silent default.
// `integer` for counts (the engine takes whole numbers only).
function number(value, name, { min = 0, max = Infinity, fallback, integer = false }) {
  if (value === undefined || value === null || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new Error(`${name} must be a ${integer ? 'whole ' : ''}number from ${min} to ${max}, got "${value}"`);
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

// The engine's TLS options from a Node-RED `tls-config` node (its files or
// uploaded certificates), as PEM text. An encrypted key is decrypted here
// with the node's passphrase, since the engine takes plain keys only.
function tls(RED, id, { requireClientCert = false } = {}) {
  if (!id) return undefined;
  const config = RED.nodes.getNode(id);
  if (!config || typeof config.addTLSOptions !== 'function') {
    throw new Error('the TLS configuration node is missing: deploy it, or choose another');
  }
  if (config.valid === false) throw new Error('the TLS configuration could not read its certificate files (see the log)');
  const o = config.addTLSOptions({});
  const pem = (v) => (v === undefined || v === null || v === '' ? null : Buffer.isBuffer(v) ? v.toString('utf8') : String(v));
  let key = pem(o.key);
  if (key && o.passphrase) {
    try {
      key = require('crypto').createPrivateKey({ key, passphrase: o.passphrase }).export({ type: 'pkcs8', format: 'pem' });
    } catch (err) {
      throw new Error(`the TLS private key cannot be decrypted with the given passphrase (${err.message})`);
    }
  }
  return { cert: pem(o.cert), key, ca: pem(o.ca), requireClientCert, verifyServer: o.rejectUnauthorized !== false };
}

// Station passwords from the CS server's credential: one `chargeBoxId:password`
// per line (the first colon splits), or a JSON object. Errors name the line,
// never its content, which holds a secret.
function passwords(text) {
  const out = {};
  const source = String(text || '').trim();
  if (!source) return out;
  if (source.startsWith('{')) {
    let parsed;
    try {
      parsed = JSON.parse(source);
    } catch (err) {
      throw new Error('Station passwords: the JSON object is not valid JSON');
    }
    for (const [id, pw] of Object.entries(parsed)) out[id] = String(pw);
    return out;
  }
  source.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    const at = line.indexOf(':');
    if (at < 1) throw new Error(`Station passwords, line ${i + 1}: write chargeBoxId:password`);
    out[line.slice(0, at).trim()] = line.slice(at + 1);
  });
  return out;
}

// The CS server's file endpoints: a URL path and a directory, both or neither
// (the engine checks them); a relative directory is under Node-RED's user directory.
function files(RED, config) {
  const filesPath = String(config.filesPath || '').trim();
  const dir = String(config.filesDir || '').trim();
  const base = (RED.settings && RED.settings.userDir) || process.cwd();
  return {
    filesPath: filesPath || null,
    filesDir: dir ? path.resolve(base, dir) : null,
    filesMaxMb: number(config.filesMaxMB, 'Max upload', { min: 1, max: 102400, fallback: 100, integer: true }),
  };
}

module.exports = { number, port, requestBody, tls, passwords, files };
