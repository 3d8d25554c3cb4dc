'use strict';
// Node set "ocpp-cp-json", named as in node-red-contrib-ocpp.
// `CP client JSON`: a simulated charge point over OCPP-J 1.6, 2.0.1 or 2.1 (the
// node's OCPP option). The engine owns the link, the reconnects and the offline
// queue (in a file when persistQueue is on); this file maps msgs to calls.
const { addon, loadError, engineMissing } = require('./lib/engine');
const { throttledStatus } = require('./lib/status');
const options = require('./lib/options');
const { fileLogger } = require('./lib/file-log');
const { settleMsg } = require('./lib/call-outcome');
const path = require('path');

// The durable queue's file: one per node, under Node-RED's user directory.
// Flows without the key (written for the original) keep the queue in memory.
function queueFile(RED, node, config) {
  if (config.persistQueue !== true || config.offlineQueue === false) return null;
  const userDir = RED.settings.userDir;
  if (!userDir) {
    node.warn('persistQueue is on, but Node-RED has no user directory: the offline queue is kept in memory only');
    return null;
  }
  return path.join(userDir, 'ocpp-rs', `cp-queue-${node.id.replace(/[^A-Za-z0-9_.-]/g, '_')}.jsonl`);
}

function clientOptions(RED, node, config, remote) {
  const seconds = (value, name, fallback, min = 0) => options.number(value, name, { min, max: 86400, fallback });
  return {
    url: (remote && remote.url) || '',
    cbId: config.cbId ? String(config.cbId) : '',
    // "1.6j", "2.0.1" or "2.1"; the engine refuses anything else with a readable reason.
    ocppVersion: config.ocppver ? String(config.ocppver) : '1.6j',
    strict: config.strict === true,
    password: (node.credentials && node.credentials.password) || null,
    caFile: config.caFile || null,
    tls: options.tls(RED, remote && remote.tls),
    delayConnect: config.wsdelayconnect === true,
    reconnectMinS: seconds(config.wstomin, 'Reconnect min', 5, 0.1),
    reconnectIncS: seconds(config.wstoinc, 'Reconnect increment', 5),
    reconnectMaxS: seconds(config.wstomax, 'Reconnect max', 360, 0.1),
    pingIntervalS: seconds(config.pingInterval, 'Ping interval', 30),
    handshakeTimeoutS: seconds(config.handshakeTimeout, 'Handshake timeout', 10, 0.1),
    offlineQueue: config.offlineQueue !== false,
    queueActions: String(config.queueActions || '').split(',').map((a) => a.trim()).filter(Boolean),
    queueMax: options.number(config.queueMax, 'Queue max', { min: 1, max: 1000000, fallback: 1000, integer: true }),
    rawLog: config.log === true && !!config.pathlog,
    queueFile: queueFile(RED, node, config),
  };
}

const STATES = {
  connecting: () => ({ fill: 'yellow', shape: 'ring', text: 'Connecting...' }),
  connected: () => ({ fill: 'green', shape: 'dot', text: 'Connected...' }),
  reconnecting: (ev) => ({ fill: 'red', shape: 'dot', text: `(${ev.failures}) Reconnecting in ${ev.nextTryS} s` }),
  closed: () => ({ fill: 'grey', shape: 'dot', text: 'Closed' }),
};

module.exports = function register(RED) {
  function CpClientJsonNode(config) {
    RED.nodes.createNode(this, config);
    const node = this;
    const status = throttledStatus(node);
    if (engineMissing(node)) {
      node.on('input', (msg, send, done) => done(loadError));
      return;
    }
    const remote = config.remotecs ? RED.nodes.getNode(config.remotecs) : null;
    let client = null;
    let callTimeoutMs = 60000;
    // The id this station connects with (a connect control msg may change it), for msg.topic.
    let cbId = config.cbId ? String(config.cbId) : '';
    const logger = fileLogger(node, config, config.name || config.cbId || 'CP client JSON');
    try {
      callTimeoutMs = options.number(config.callTimeout, 'Call timeout', { min: 0.1, max: 86400, fallback: 60 }) * 1000;
      client = new addon.CpClient(JSON.stringify(clientOptions(RED, node, config, remote)), onEvents);
    } catch (err) {
      node.status({ fill: 'red', shape: 'ring', text: err.message });
      node.error(`CP client JSON not started: ${err.message}`);
    }

    function onEvents(batchText) {
      for (const ev of JSON.parse(batchText)) {
        // One node.send per msg: Node-RED clones all but the first msg of a send() call.
        if (ev.m && ev.k !== 'log') node.send(ev.m);
        if (ev.k === 'call') {
          status.set({ fill: 'green', shape: 'dot', text: `message in: ${ev.s}` });
          if (logger) logger.log('received', ev.m.payload);
        } else if (ev.k === 'state' && STATES[ev.state]) {
          status.set(STATES[ev.state](ev));
        } else if (ev.k === 'warn') {
          node.warn(ev.text);
        } else if (ev.k === 'log') {
          if (logger) logger.log(ev.m.msgFrom === 'CS' ? 'request' : 'received', ev.m.payload);
        } else if (ev.k === 'restored') {
          restoredOutcome(ev);
        }
      }
    }

    // A message restored from the queue file after a restart has no request
    // msg waiting for it: its answer (or error) comes out as a msg of its own.
    function restoredOutcome(ev) {
      const msg = { topic: ev.topic, payload: { command: ev.s } };
      const ocpp = { ocppVersion: client.version, MessageId: ev.outcome.id, command: ev.s, restored: true };
      const failed = settleMsg(ev.outcome, msg, { protocol: 'json', ocpp, peer: 'the Central System', command: ev.s });
      if (failed) node.error(failed.error, msg);
      else node.send(msg);
    }

    // OCPP 2.1 SEND: one way, so the msg goes on at once with its message id.
    function sendOneWay(msg, payload, send) {
      const command = payload.command || config.command;
      if (!command) throw new Error('no command: set msg.payload.command or choose a Command in the node');
      const body = options.requestBody(payload, config.cmddata);
      const messageId = payload.MessageId !== undefined ? String(payload.MessageId) : null;
      const id = client.sendOneWay(String(command), body, messageId);
      msg.ocpp = { ocppVersion: client.version, MessageId: id, msgType: 6, command: String(command) };
      status.set({ fill: 'green', shape: 'dot', text: `sent: ${command}` });
      send(msg);
    }

    async function sendCall(msg, payload, send, done) {
      const command = payload.command || config.command;
      if (!command) return done(new Error('no command: set msg.payload.command or choose a Command in the node'));
      let body;
      try {
        body = options.requestBody(payload, config.cmddata);
      } catch (err) {
        return done(err);
      }
      status.set({ fill: 'green', shape: 'dot', text: `request out: ${command}` });
      const messageId = payload.MessageId !== undefined ? String(payload.MessageId) : null;
      const outcome = JSON.parse(await client.call(String(command), body, Math.round(callTimeoutMs), messageId));
      const ocpp = { ocppVersion: client.version, MessageId: outcome.id, command: String(command) };
      const failed = settleMsg(outcome, msg, {
        protocol: 'json',
        ocpp,
        answered: { websocket: client.online ? 'ONLINE' : 'OFFLINE' },
        peer: 'the Central System',
        command,
        station: cbId,
      });
      if (failed) return done(failed.error);
      msg.msgId = outcome.id;
      status.set({ fill: 'green', shape: 'dot', text: `response in: ${command}` });
      send(msg);
      return done();
    }

    function control(payload, send) {
      const command = String(payload.command || '').toLowerCase();
      const data = payload.data && typeof payload.data === 'object' ? payload.data : {};
      switch (command) {
        case 'connect':
          if (data.cbId) cbId = String(data.cbId);
          client.connect(data.cbId ? String(data.cbId) : null, data.csmsUrl ? String(data.csmsUrl) : null);
          return;
        case 'close':
          client.disconnect();
          return;
        case 'ws_state':
          send({ ocpp: { websocket: client.online ? 'ONLINE' : 'OFFLINE', csmsUrl: client.url } });
          return;
        case '':
          throw new Error('a control msg (msgType 99) needs msg.payload.command: connect, close or ws_state');
        default:
          throw new Error(`unknown control command "${payload.command}": use connect, close or ws_state`);
      }
    }

    node.on('input', async (msg, send, done) => {
      if (!client) return done(new Error('CP client JSON not started: see the error logged when it was deployed'));
      const payload = msg.payload !== null && typeof msg.payload === 'object' ? msg.payload : {};
      const msgType = payload.msgType === undefined ? 2 : Number(payload.msgType);
      try {
        if (msgType === 2) return await sendCall(msg, payload, send, done);
        if (msgType === 3 || msgType === 4) {
          const id = payload.MessageId || (msg.ocpp && msg.ocpp.MessageId);
          if (!id) return done(new Error('an answer needs msg.payload.MessageId (or msg.ocpp.MessageId) of the CALL it answers'));
          const body = msgType === 3 ? (payload.data === undefined ? {} : payload.data) : payload;
          client.reply(String(id), JSON.stringify(body));
          status.set({ fill: 'green', shape: 'dot', text: 'sending response' });
          return done();
        }
        if (msgType === 99) {
          control(payload, send);
          return done();
        }
        if (msgType === 6) {
          sendOneWay(msg, payload, send);
          return done();
        }
        return done(new Error(`msg.payload.msgType must be 2 (CALL), 3 (answer), 4 (CALLERROR answer), 6 (SEND, OCPP 2.1) or 99 (control), got ${payload.msgType}`));
      } catch (err) {
        return done(err);
      }
    });

    node.on('close', (removed, done) => {
      status.stop();
      if (!client) return done();
      client
        .close()
        .then((dropped) => {
          if (dropped.length) node.warn(`stopped with ${dropped.length} queued message(s) unsent: ${dropped.join(', ')}`);
        })
        .catch((err) => node.error(`CP client JSON did not close cleanly: ${err.message}`))
        .finally(() => {
          if (logger) logger.close();
          done();
        });
    });
  }

  RED.nodes.registerType('CP client JSON', CpClientJsonNode, { credentials: { password: { type: 'password' } } });
};
