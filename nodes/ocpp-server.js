'use strict';
// Node set "ocpp-server", named as in node-red-contrib-ocpp so flows and
// palette settings carry over:
//   `CS server`        a Central System: OCPP-J and SOAP on one port;
//   `CP server SOAP`   a charge point's SOAP service;
//   `server response`  hands the flow's answer to the engine, keyed by msg.msgId;
//   `CS request JSON`  sends a CALL to a station connected to any CS server and
//                      sends the answer on, or fails the msg (catchable) with the reason.
// The engine builds every msg; this file turns config into engine options and
// events into node.send.
const { addon, loadError, engineMissing, watchStation, stationChanged } = require('./lib/engine');
const { throttledStatus } = require('./lib/status');
const path = require('path');
const options = require('./lib/options');
const { fileLogger } = require('./lib/file-log');
const { settleMsg } = require('./lib/call-outcome');
const admin = require('./lib/admin');
const { registerMetricsRoute } = require('./lib/metrics-route');

// --- CS server and CP server SOAP ---

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
    eventBacklogMb: options.number(config.eventBacklogMB, 'Event backlog', { min: 1, max: 4096, fallback: 16, integer: true }),
    tls: options.tls(RED, config.tls, { requireClientCert: config.tlsClientAuth === true }),
  };
}

// `bindAddress` (issue 25): an IP address to listen on; empty = all interfaces.
function bindAddress(config) {
  const value = typeof config.bindAddress === 'string' ? config.bindAddress.trim() : '';
  if (!value) return null;
  if (!require('net').isIP(value)) throw new Error(`Listen on must be an IP address such as 127.0.0.1 or ::1, or empty for all interfaces; got ${JSON.stringify(value)}`);
  return value;
}

function csServerOptions(RED, node, config) {
  return {
    port: options.port(RED, node, config),
    host: bindAddress(config),
    name: node.name || node.id, // the `server` label of its metrics
    jsonPath: config.enabled16j === false ? null : config.path16j || '',
    versions: jsonVersions(config),
    strict: config.strict === true,
    soap15Path: config.enabled15 === true ? soapPath(config.path15, '1.5') : null,
    soap16Path: config.enabled16 === true ? soapPath(config.path16, '1.6') : null,
    ...common(RED, config),
    pingIntervalS: options.number(config.pingInterval, 'Ping interval', { min: 0, max: 86400, fallback: 30 }),
    maxQueued: options.number(config.maxQueued, 'Max queued requests', { min: 1, max: 100000, fallback: 100, integer: true }),
    maxStationCalls: options.number(config.maxStationCalls, 'Unanswered CALLs per station', { min: 1, max: 10000, fallback: 10, integer: true }),
    maxConnections: options.number(config.maxConnections, 'Max stations', { min: 1, max: 1000000, fallback: 50000, integer: true }),
    requireSubprotocol: config.requireSubprotocol === true,
    rawLog: output2Wired(config) || (config.log === true && !!config.pathlog),
    passwords: options.passwords(node.credentials && node.credentials.passwords),
    requireAuth: config.requireAuth === true,
    // On unless the node says otherwise: flows from before the option get the check.
    tlsCheckId: config.tlsCheckId !== false,
    cluster: clusterOptions(RED, config),
    ...options.files(RED, config),
    ...bodyLimits(config),
    nodeId: node.id,
    ...unifiedOptions(RED, node, config),
  };
}

// Unified messages (docs/UNIFIED.md): off for flows without the key (the
// original's), so they behave as before; the engine checks the values.
function unifiedOptions(RED, node, config) {
  if (config.unified !== true) return { unified: false };
  const userDir = RED.settings.userDir;
  return {
    unified: true,
    bootInterval: options.number(config.bootInterval, 'Boot interval', { min: 1, max: 86400, fallback: 300, integer: true }),
    autoAnswer: Array.isArray(config.autoAnswer) ? config.autoAnswer : [],
    // Minted 1.6 transaction ids survive restarts here; without a user directory, in memory only.
    // One file for the user directory: ids stay unique when a flow is re-imported under new node ids.
    transactionIdsFile: userDir ? path.join(userDir, 'ocpp-rs', 'transaction-ids') : null,
  };
}

// Limits on connections before their upgrade, request bodies and the file
// endpoints (issue 28); flows from before them get the engine's defaults.
function bodyLimits(config) {
  const n = (key, label, min, max, fallback, integer = true) => options.number(config[key], label, { min, max, fallback, integer });
  return {
    maxHttpConnections: n('maxHttpConnections', 'Connections not upgraded', 1, 1000000, 1000),
    maxHttpConnectionsPerIp: n('maxHttpConnectionsPerIp', 'Connections not upgraded per address', 1, 1000000, 100),
    bodyTimeoutS: n('bodyTimeout', 'Request body within', 1, 86400, 30, false),
    minBodyRate: n('minBodyRate', 'Minimum body rate', 0, 104857600, 1024),
    uploadTimeoutS: n('uploadTimeout', 'Upload within', 1, 86400, 600, false),
    filesPerRequest: n('filesPerRequest', 'Files per request', 1, 10000, 10),
    filesDirMaxMb: n('filesDirMaxMB', 'Upload folders max size', 1, 10485760, 2048),
    filesDirMaxFiles: n('filesDirMaxFiles', 'Upload folders max files', 1, 10000000, 10000),
  };
}

// The ocpp-cluster config node the server names, as engine options; null without one.
function clusterOptions(RED, config) {
  if (!config.cluster) return null;
  const cluster = RED.nodes.getNode(config.cluster);
  if (!cluster || typeof cluster.engineOptions !== 'function') throw new Error('its Cluster config node is missing: choose an ocpp-cluster or none');
  return cluster.engineOptions();
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
// `label` names the node in errors ("CS server not started: ..."); `logName`
// names it in the log file when it has no name, as the original did.
function serve(node, config, opts, label, logName) {
  const status = throttledStatus(node);
  const logger = fileLogger(node, config, config.name || `${logName} Port ${opts.port}`);
  const logToOutput2 = output2Wired(config);
  let connected = 0;
  let refused = 0;
  // In a cluster every msg names this instance; `clusterDown` while Redis is unavailable.
  const instance = opts.cluster ? opts.cluster.instance : null;
  if (instance) clusteredServers.add(node.id);
  let clusterDown = false;
  // Another process holds this instance id: this one stays out of the cluster.
  let clusterInUse = false;
  const scheme = opts.tls ? 'TLS ' : '';
  const counts = () =>
    [opts.jsonPath !== null ? `${connected} connected` : '', refused ? `${refused} refused` : '', clusterInUse ? `cluster instance id ${instance} in use` : clusterDown ? 'cluster unavailable' : '']
      .filter(Boolean)
      .join(', ');
  const idle = () => ({ fill: 'blue', shape: 'ring', text: `listening on ${scheme}${opts.port}${counts() ? `, ${counts()}` : ''}` });
  // One node.send per msg: Node-RED deep-clones every msg after the first
  // of a single send() call, and these msgs are fresh objects already.
  const sendTo = [(m) => node.send([m]), (m) => node.send([null, m])];

  function onEvents(batchText) {
    let last = null;
    for (const ev of JSON.parse(batchText)) {
      if (instance && ev.m && ev.m.ocpp) ev.m.ocpp.instance = instance;
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
        case 'upload':
          sendTo[0](ev.m);
          last = `${ev.cb || 'upload'}: ${ev.m.payload.name}`;
          if (logger) logger.log('info', `${ev.cb || 'a station'} uploaded ${ev.m.payload.name} (${ev.m.payload.size} bytes)`);
          break;
        case 'log':
          if (logToOutput2) sendTo[1](ev.m);
          if (logger) logger.log(ev.m.msgFrom === 'CS' ? 'received' : 'replied', ev.m.payload);
          break;
        case 'warn':
          node.warn(ev.text);
          break;
        case 'info':
          node.log(ev.text);
          if (logger) logger.log('info', ev.text);
          break;
        case 'cluster':
          clusterDown = !ev.up;
          clusterInUse = !!ev.inUse;
          if (clusterInUse) node.error(`cluster instance id ${ev.instance} is used by another Node-RED process: this one stays out of the cluster (it serves its own stations; requests for stations on other instances fail with ClusterUnavailable) until the id is free; give each instance its own id`);
          else if (clusterDown) node.warn(`cluster instance ${ev.instance}: Redis is unavailable; this instance serves its own stations, requests for stations on other instances fail with ClusterUnavailable`);
          else node.log(`cluster instance ${ev.instance}: connected to Redis`);
          break;
        case 'refused':
          // Every refused handshake is counted; the engine words a warning
          // (ev.text) once per station and minute.
          refused += 1;
          if (ev.text) {
            node.warn(ev.text);
            if (logger) logger.log('info', ev.text);
          }
          break;
        default:
          break;
      }
    }
    status.set(last ? { fill: 'green', shape: 'dot', text: `${counts() ? `${counts()}, ` : ''}last ${last}` } : idle());
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
    clusteredServers.delete(node.id);
    server
      .close()
      .catch((err) => node.error(`${label} did not close cleanly: ${err.message}`))
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

// --- server response ---

// The station an answer could not reach because it disconnected first (the
// engine's "station <id> disconnected before the answer could be sent"), or
// null for any other error.
const GONE = /^station (.*) disconnected before the answer could be sent/;
function goneStation(err) {
  const m = GONE.exec(String((err && err.message) || ''));
  return m ? m[1] : null;
}

// A station that disconnects with answers pending (the end of a load test) would
// fail every one of them; they come instead to one warning per station with the
// count, at most once per `everyMs`. The first waits `gatherMs`, so a burst of
// answers to a station that left is one warning; a station is forgotten once a
// whole `everyMs` passes without another.
function stationGoneWarnings(node, { everyMs = 10000, gatherMs = 1000 } = {}) {
  const stations = new Map(); // id -> { count, timer }
  function warn(id, s) {
    node.warn(
      s.count === 1
        ? `station ${id} disconnected before the answer could be sent`
        : `station ${id} disconnected before ${s.count} answers could be sent`
    );
    s.count = 0;
  }
  function tick(id) {
    const s = stations.get(id);
    if (s.count === 0) {
      stations.delete(id);
      return;
    }
    warn(id, s);
    s.timer = setTimeout(() => tick(id), everyMs);
  }
  return {
    add(id) {
      const s = stations.get(id);
      if (s) {
        s.count += 1;
        return;
      }
      stations.set(id, { count: 1, timer: setTimeout(() => tick(id), gatherMs) });
    },
    // On close: what is still counted is warned now.
    flush() {
      for (const [id, s] of stations) {
        clearTimeout(s.timer);
        if (s.count > 0) warn(id, s);
      }
      stations.clear();
    },
  };
}

// --- CS request JSON ---

// SetChargeLimit's data (JSON text) with the node's voltage and phases where the msg gave none
// (absent or null); data that is not an object goes on unchanged, for the engine to refuse.
function withLimitSettings(body, { voltage, phases }) {
  const data = JSON.parse(body);
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return body;
  if (data.voltage === undefined || data.voltage === null) data.voltage = voltage;
  if (data.phases === undefined || data.phases === null) data.phases = phases;
  return JSON.stringify(data);
}

const OCPP_VERSION = '1.6j';

// An engine outcome of a local command: its value, or an error carrying the
// failure (ClusterUnavailable) for msg.ocpp.failure.
function localValue(text) {
  const outcome = JSON.parse(text);
  if (outcome.failure) throw Object.assign(new Error(outcome.message), { failure: outcome.failure });
  return outcome.value;
}

// CS server nodes of this process that belong to a cluster (node id -> true).
const clusteredServers = new Set();

// LOCAL_GET_ONLINE_LIST's payload. Without a cluster: `{online: [ids]}`, as the
// original. In a cluster (docs/CLUSTER.md): the stations a request from here
// reaches, each with where it is: `stations: [{cbId, instance, server, clustered}]`,
// i.e. every clustered CS server's stations on every instance, and this
// instance's stations on CS servers outside the cluster (`clustered: false`).
// Another instance's unclustered stations are not listed: nothing here can reach them.
function onlineList(list) {
  const payload = { online: list.map(([id]) => id) };
  if (!list.some(([, at]) => at)) return payload;
  const here = new Map(JSON.parse(addon.stationsJson()).map((s) => [s.id, s.node]));
  payload.stations = list.map(([cbId, instance, about]) => {
    let server = here.get(cbId);
    if (server === undefined) {
      try {
        server = JSON.parse(about || '{}').node;
      } catch (_) {
        // An entry written by another version: no server to name.
      }
    }
    const clustered = !here.has(cbId) || clusteredServers.has(server);
    return { cbId, instance, server: server || null, clustered };
  });
  return payload;
}

// The original's local commands: handled here, never sent to a station. In a
// cluster they reach every instance.
async function localCommand(command, payload, defaultCbId) {
  switch (command) {
    case 'LOCAL_GET_ONLINE_LIST':
      return { payload: onlineList(localValue(await addon.onlineList())) };
    case 'LOCAL_SET_ALL_AUTH_EVSES':
      if (!payload.data || typeof payload.data !== 'object' || Array.isArray(payload.data)) {
        throw new Error('LOCAL_SET_ALL_AUTH_EVSES needs msg.payload.data as an object {"<chargeBoxId>": "<password>"}');
      }
      localValue(await addon.setPasswords(JSON.stringify(payload.data)));
      return null;
    case 'LOCAL_DISCONNECT': {
      const cbId = payload.cbId || defaultCbId;
      if (!cbId) throw new Error('LOCAL_DISCONNECT needs msg.payload.cbId or a station in the node config');
      localValue(await addon.disconnectStation(String(cbId)));
      return null;
    }
    default:
      throw new Error(`unknown local command ${command}; use LOCAL_GET_ONLINE_LIST, LOCAL_SET_ALL_AUTH_EVSES or LOCAL_DISCONNECT`);
  }
}

module.exports = function register(RED) {
  // The editor's OCPP sidebar and its admin API (once per runtime).
  admin.register(RED);
  registerMetricsRoute(RED);
  function CsServerNode(config) {
    RED.nodes.createNode(this, config);
    const anyEnabled = config.enabled15 || config.enabled16 || config.enabled16j !== false;
    const opts = prepare(this, 'CS server', anyEnabled, () => csServerOptions(RED, this, config));
    if (opts) serve(this, config, opts, 'CS server', 'OCPP Server');
  }
  RED.nodes.registerType('CS server', CsServerNode, { credentials: { passwords: { type: 'password' } } });

  function CpServerSoapNode(config) {
    RED.nodes.createNode(this, config);
    const anyEnabled = config.enabled15 === true || config.enabled16 !== false;
    const opts = prepare(this, 'CP server SOAP', anyEnabled, () => cpServerOptions(RED, this, config));
    if (opts) serve(this, config, opts, 'CP server SOAP', 'OCPP CP Server');
  }
  RED.nodes.registerType('CP server SOAP', CpServerSoapNode);

  // `server response`: the flow's answer to a request a CS server or CP server SOAP sent out.
  function ServerResponseNode(config) {
    RED.nodes.createNode(this, config);
    const node = this;
    const status = throttledStatus(node);
    let lastCommand = null;
    const showSent = () => ({ fill: 'green', shape: 'ring', text: `${lastCommand || 'answer'} sent` });
    const gone = stationGoneWarnings(node);
    engineMissing(node);
    node.on('input', (msg, send, done) => {
      if (!addon) return done(loadError);
      // The CS server answered this one itself (autoAnswer): nothing to do, nothing to report.
      if (msg.unified && msg.unified.answered === true) return done();
      if (msg.msgId === undefined || msg.msgId === null || msg.msgId === '') {
        // A connection event (ONLINE/OFFLINE) has nothing to answer. The original's
        // flows wire the CS server's output straight here, so it is a debug note, not an error.
        if (msg.ocpp && (msg.ocpp.websocket === 'ONLINE' || msg.ocpp.websocket === 'OFFLINE')) {
          node.debug(`connection event ${msg.ocpp.websocket} of ${msg.ocpp.chargeBoxIdentity || 'a station'} ignored: nothing to answer`);
          return done();
        }
        status.set({ fill: 'red', shape: 'ring', text: 'message failed' });
        return done(new Error('msg.msgId is missing: this node answers the msg a CS server sent, so keep its msgId'));
      }
      try {
        const body = msg.payload === undefined ? null : JSON.stringify(msg.payload);
        // A SOAP answer fitted to the WSDL comes back with what was changed (once per kind).
        const warning = addon.respond(String(msg.msgId), body === undefined ? null : body);
        if (warning) node.warn(warning);
      } catch (err) {
        const station = goneStation(err);
        if (station !== null) {
          // Not the flow's fault, and nothing to catch: the answers of a station
          // that left come to one warning per station (see stationGoneWarnings).
          gone.add(station);
          status.set({ fill: 'yellow', shape: 'ring', text: `${station || 'station'} disconnected, answer not sent` });
          return done();
        }
        status.set({ fill: 'red', shape: 'ring', text: 'message failed' });
        return done(err);
      }
      lastCommand = msg.ocpp && msg.ocpp.command;
      status.update(showSent);
      done();
    });
    node.on('close', (removed, done) => {
      gone.flush();
      status.stop();
      if (!removed) node.status({ fill: 'grey', shape: 'dot', text: 'stopped' });
      done();
    });
  }
  RED.nodes.registerType('server response', ServerResponseNode);

  // `CS request JSON`: one CALL per msg to a station connected to any CS server.
  function CsRequestJsonNode(config) {
    RED.nodes.createNode(this, config);
    const node = this;
    const status = throttledStatus(node);
    const remote = config.remotecb ? RED.nodes.getNode(config.remotecb) : null;
    const defaultCbId = remote && remote.cbId ? String(remote.cbId) : '';
    engineMissing(node);
    let timeoutMs = 60000;
    try {
      timeoutMs = options.number(config.timeout, 'Timeout', { min: 0.1, max: 86400, fallback: 60 }) * 1000;
    } catch (err) {
      node.error(`${err.message}; using 60 s`);
    }

    // SetChargeLimit's A <-> W conversion (docs/SMART-CHARGING.md): the node's voltage and phase
    // count, sent to the engine in the command's data unless the msg gives its own. A bad value
    // fails every SetChargeLimit with its key named, rather than converting with a wrong default.
    let limitSettings;
    try {
      limitSettings = {
        voltage: options.number(config.limitVoltage, 'limitVoltage (Voltage, for A ↔ W)', { min: 1, max: 1000, fallback: 230 }),
        phases: options.number(config.limitPhases, 'limitPhases (Phases, for A ↔ W)', { min: 1, max: 3, fallback: 3, integer: true }),
      };
    } catch (err) {
      limitSettings = err;
      node.error(err.message);
    }

    const showConnection = (online) =>
      status.set(
        online
          ? { fill: 'green', shape: 'dot', text: `Connected to ${defaultCbId}` }
          : { fill: 'grey', shape: 'dot', text: `Disconnected from ${defaultCbId}` }
      );
    let unwatch = null;
    if (addon && defaultCbId) {
      unwatch = watchStation(defaultCbId, showConnection);
      if (addon.isOnline(defaultCbId)) showConnection(true);
      else status.set({ fill: 'blue', shape: 'ring', text: `Waiting for ${defaultCbId}` });
    }

    node.on('input', async (msg, send, done) => {
      if (!addon) return done(loadError);
      const payload = msg.payload !== null && typeof msg.payload === 'object' ? msg.payload : {};
      const command = payload.command || config.command;
      if (!command) return done(new Error('no command: set msg.payload.command or choose a Command in the node'));
      if (String(command).startsWith('LOCAL_')) {
        try {
          const out = await localCommand(command, payload, defaultCbId);
          // The answer goes on in the msg that asked (its other properties kept, e.g. an HTTP request's).
          if (out) {
            msg.payload = out.payload;
            send(msg);
          }
          return done();
        } catch (err) {
          if (err.failure) {
            msg.ocpp = { command: String(command), failure: err.failure };
            status.set({ fill: 'red', shape: 'ring', text: `${command} ${err.failure}` });
          }
          return done(err);
        }
      }
      const cbId = payload.cbId !== undefined && payload.cbId !== '' ? String(payload.cbId) : defaultCbId;
      if (!cbId) return done(new Error('no target station: set msg.payload.cbId or choose a station (ocpp-remotej-cp) in the node'));
      let body;
      try {
        body = options.requestBody(payload, config.cmddata);
      } catch (err) {
        return done(err);
      }
      if (String(command) === 'SetChargeLimit') {
        if (limitSettings instanceof Error) {
          msg.ocpp = { command: String(command), failure: 'Invalid' };
          return done(limitSettings);
        }
        body = withLimitSettings(body, limitSettings);
      }
      const userId = payload.MessageId || payload.MessageID;
      status.set({ fill: 'green', shape: 'dot', text: `${cbId}:${command}` });
      let outcome;
      try {
        outcome = JSON.parse(await addon.callStation(cbId, String(command), body, Math.round(timeoutMs), userId ? String(userId) : null));
      } catch (err) {
        return done(err);
      }
      // The version the station connected with; 1.6j when it was not found.
      const ocpp = { ocppVersion: outcome.version || OCPP_VERSION, chargeBoxIdentity: cbId, MessageId: outcome.id, command: String(command) };
      // In a cluster: the instance holding the station.
      if (outcome.instance) ocpp.instance = outcome.instance;
      // A command in the other version's words: {from, to, version} (docs/UNIFIED.md, "Commands").
      if (outcome.translated) ocpp.translated = outcome.translated;
      const failed = settleMsg(outcome, msg, { protocol: 'json', ocpp, peer: cbId, command, station: cbId });
      if (failed) {
        status.set({ fill: 'red', shape: failed.shape, text: `${cbId}:${command} ${failed.reason}` });
        return done(failed.error);
      }
      if (userId) msg.msgId = outcome.id;
      send(msg);
      return done();
    });

    node.on('close', (removed, done) => {
      status.stop();
      if (unwatch) unwatch();
      done();
    });
  }
  RED.nodes.registerType('CS request JSON', CsRequestJsonNode);
};
