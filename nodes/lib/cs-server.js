'use strict';
// `CS server` (a Central System: OCPP-J and SOAP on one port) and
// `CP server SOAP` (a charge point's SOAP service). The engine builds every
// msg; this file turns config into engine options and events into node.send.
const { addon, engineMissing, stationChanged } = require('./engine');
const { throttledStatus } = require('./status');
const options = require('./options');
const { fileLogger } = require('./file-log');

function output2Wired(config) {
  const wires = config.wires || [];
  return Array.isArray(wires[1]) && wires[1].length > 0;
}

function soapPath(path, version) {
  const p = String(path || '').trim();
  if (!p.startsWith('/') || p === '/') throw new Error(`OCPP ${version} SOAP is enabled but its path "${p}" is not a path like /ocpp16s`);
  return p;
}

// The OCPP-J versions served on the JSON path; flows of the original have
// none of these keys and get 1.6 alone.
function jsonVersions(config) {
  const versions = [];
  if (config.json16 !== false) versions.push('1.6j');
  if (config.json201 === true) versions.push('2.0.1');
  if (config.json21 === true) versions.push('2.1');
  if (config.enabled16j !== false && versions.length === 0) throw new Error('OCPP-J is enabled but none of its versions (1.6, 2.0.1, 2.1) is checked');
  return versions;
}

// What both server nodes configure alike: their limits and TLS.
function common(RED, config) {
  return {
    answerTimeoutS: options.number(config.answerTimeout, 'Answer timeout', { min: 0.1, max: 86400, fallback: 60 }),
    maxFrameKb: options.number(config.maxFrameKB, 'Max frame size', { min: 1, max: 65536, fallback: 1024, integer: true }),
    tls: options.tls(RED, config.tls, { requireClientCert: config.tlsClientAuth === true }),
  };
}

function csServerOptions(RED, node, config) {
  return {
    port: options.port(RED, node, config),
    jsonPath: config.enabled16j === false ? null : config.path16j || '',
    versions: jsonVersions(config),
    strict: config.strict === true,
    soap15Path: config.enabled15 === true ? soapPath(config.path15, '1.5') : null,
    soap16Path: config.enabled16 === true ? soapPath(config.path16, '1.6') : null,
    ...common(RED, config),
    pingIntervalS: options.number(config.pingInterval, 'Ping interval', { min: 0, max: 86400, fallback: 30 }),
    maxQueued: options.number(config.maxQueued, 'Max queued requests', { min: 1, max: 100000, fallback: 100, integer: true }),
    maxStationCalls: options.number(config.maxStationCalls, 'Unanswered CALLs per station', { min: 1, max: 10000, fallback: 10, integer: true }),
    requireSubprotocol: config.requireSubprotocol === true,
    rawLog: output2Wired(config) || (config.log === true && !!config.pathlog),
    passwords: options.passwords(node.credentials && node.credentials.passwords),
    requireAuth: config.requireAuth === true,
  };
}

// The original read `config.prot` (a typo), so its flows may carry either key.
function cpServerOptions(RED, node, config) {
  const port = config.port !== undefined && config.port !== '' ? config : { ...config, port: config.prot, portType: 'num' };
  return {
    port: options.port(RED, node, port),
    jsonPath: null,
    soap15Path: config.enabled15 === true ? soapPath(config.path15, '1.5') : null,
    soap16Path: config.enabled16 !== false ? soapPath(config.path16, '1.6') : null,
    chargePoint: true,
    ...common(RED, config),
  };
}

// Starts the engine's listener for a node and wires its events to the node.
function serve(node, config, opts, label) {
  const status = throttledStatus(node);
  const logger = fileLogger(node, config, config.name || `${label} Port ${opts.port}`);
  const logToOutput2 = output2Wired(config);
  let connected = 0;
  const scheme = opts.tls ? 'TLS ' : '';
  const idle = () => ({ fill: 'blue', shape: 'ring', text: `listening on ${scheme}${opts.port}${opts.jsonPath !== null ? `, ${connected} connected` : ''}` });
  // One node.send per msg: Node-RED deep-clones every msg after the first
  // of a single send() call, and these msgs are fresh objects already.
  const sendTo = [(m) => node.send([m]), (m) => node.send([null, m])];

  function onEvents(batchText) {
    let last = null;
    for (const ev of JSON.parse(batchText)) {
      switch (ev.k) {
        case 'call':
          sendTo[0](ev.m);
          last = `${ev.cb}: ${ev.s}`;
          if (logger) logger.log('received', ev.m.payload);
          break;
        case 'online':
        case 'offline':
          connected += ev.k === 'online' ? 1 : -1;
          sendTo[0](ev.m);
          stationChanged(ev.cb);
          if (logger) logger.log('info', `${ev.cb} ${ev.k}`);
          break;
        case 'log':
          if (logToOutput2) sendTo[1](ev.m);
          if (logger) logger.log(ev.m.msgFrom === 'CS' ? 'received' : 'replied', ev.m.payload);
          break;
        case 'warn':
          node.warn(ev.text);
          break;
        default:
          break;
      }
    }
    status.set(last ? { fill: 'green', shape: 'dot', text: `${opts.jsonPath !== null ? `${connected} connected, ` : ''}last ${last}` } : idle());
  }

  let server;
  try {
    server = new addon.CsServer(JSON.stringify(opts), onEvents);
  } catch (err) {
    node.status({ fill: 'red', shape: 'ring', text: err.message });
    node.error(`${label} not started: ${err.message}`);
    if (logger) logger.close();
    return;
  }
  node.status(idle());
  if (logger) logger.log('info', `listening on port ${opts.port}`);

  node.on('close', (removed, done) => {
    status.stop();
    server
      .close()
      .catch((err) => node.error(`closing the ${label}: ${err.message}`))
      .finally(() => {
        if (logger) logger.close();
        node.status({ fill: 'grey', shape: 'dot', text: 'stopped' });
        done();
      });
  });
}

// Common start-up checks; returns the options or null when the node cannot start.
function prepare(node, label, anyEnabled, build) {
  if (engineMissing(node)) return null;
  if (!anyEnabled) {
    node.status({ fill: 'red', shape: 'dot', text: 'Disabled' });
    node.warn(`No OCPP service is enabled in this ${label}, so it does not listen.`);
    return null;
  }
  try {
    return build();
  } catch (err) {
    node.status({ fill: 'red', shape: 'ring', text: err.message });
    node.error(`${label} not started: ${err.message}`);
    return null;
  }
}

module.exports = function register(RED) {
  function CsServerNode(config) {
    RED.nodes.createNode(this, config);
    const anyEnabled = config.enabled15 || config.enabled16 || config.enabled16j !== false;
    const opts = prepare(this, 'CS server', anyEnabled, () => csServerOptions(RED, this, config));
    if (opts) serve(this, config, opts, 'OCPP Server');
  }
  RED.nodes.registerType('CS server', CsServerNode, { credentials: { passwords: { type: 'password' } } });

  function CpServerSoapNode(config) {
    RED.nodes.createNode(this, config);
    const anyEnabled = config.enabled15 === true || config.enabled16 !== false;
    const opts = prepare(this, 'CP server SOAP', anyEnabled, () => cpServerOptions(RED, this, config));
    if (opts) serve(this, config, opts, 'OCPP CP Server');
  }
  RED.nodes.registerType('CP server SOAP', CpServerSoapNode);
};
