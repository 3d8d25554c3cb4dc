'use strict';
// `CS request JSON`: sends a CALL to a station connected to any CS server and
// sends the answer on, or fails the msg (catchable) with the reason.
const { addon, loadError, engineMissing, watchStation } = require('./engine');
const { throttledStatus } = require('./status');
const options = require('./options');
const { settleMsg } = require('./call-outcome');

const OCPP_VERSION = '1.6j';

// The original's local commands: handled here, never sent to a station.
function localCommand(command, payload, defaultCbId) {
  switch (command) {
    case 'LOCAL_GET_ONLINE_LIST':
      return { payload: { online: addon.onlineStations() } };
    case 'LOCAL_SET_ALL_AUTH_EVSES':
      if (!payload.data || typeof payload.data !== 'object' || Array.isArray(payload.data)) {
        throw new Error('LOCAL_SET_ALL_AUTH_EVSES needs msg.payload.data as an object {"<chargeBoxId>": "<password>"}');
      }
      addon.setPasswords(JSON.stringify(payload.data));
      return null;
    case 'LOCAL_DISCONNECT': {
      const cbId = payload.cbId || defaultCbId;
      if (!cbId) throw new Error('LOCAL_DISCONNECT needs msg.payload.cbId or a station in the node config');
      addon.disconnectStation(String(cbId));
      return null;
    }
    default:
      throw new Error(`unknown local command ${command}; use LOCAL_GET_ONLINE_LIST, LOCAL_SET_ALL_AUTH_EVSES or LOCAL_DISCONNECT`);
  }
}

module.exports = function register(RED) {
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
          const out = localCommand(command, payload, defaultCbId);
          if (out) send(out);
          return done();
        } catch (err) {
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
      const failed = settleMsg(outcome, msg, { protocol: 'json', ocpp, peer: cbId, command });
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
