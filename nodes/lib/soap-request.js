'use strict';
// What `CS request SOAP` (Central System -> charge point, nodes/ocpp-req.js) and
// `CP Request SOAP` (charge point -> Central System, nodes/ocpp-cp-req.js) do
// alike: a msg in, a SOAP request out, the answer on the same msg, or a
// catchable error with the msg kept. Each of those files registers its node
// with the constructor made here and says whom it calls and where.
const { addon, loadError, engineMissing } = require('./engine');
const { throttledStatus } = require('./status');
const options = require('./options');
const { settleMsg } = require('./call-outcome');

const VERSIONS = { '1.5s': '1.5', '1.6s': '1.6', '1.5': '1.5', '1.6': '1.6' };

// The node's constructor. `target`: whom the node calls ("cp" or "cs");
// `resolve(config, msg.payload)` gives {cbId, url, ocppver, from, tls, fromStation,
// allowAddresses} for one msg from the node's config and the msg.
function soapRequestNode(RED, target, resolve) {
  function SoapRequestNode(config) {
    RED.nodes.createNode(this, config);
    const node = this;
    const status = throttledStatus(node);
    engineMissing(node);
    // TLS options per tls-config node, read once: reading them may decrypt a key.
    const tlsById = new Map();
    const tlsFor = (id) => {
      if (!tlsById.has(id)) tlsById.set(id, options.tls(RED, id));
      return tlsById.get(id);
    };
    let timeoutMs = 60000;
    try {
      timeoutMs = options.number(config.timeout, 'Timeout', { min: 0.1, max: 86400, fallback: 60 }) * 1000;
    } catch (err) {
      node.error(`${err.message}; using 60 s`);
    }
    node.on('input', async (msg, send, done) => {
      if (!addon) return done(loadError);
      const payload = msg.payload !== null && typeof msg.payload === 'object' ? msg.payload : {};
      const command = payload.command || config.command;
      if (!command) return done(new Error('no command: set msg.payload.command or choose a Command in the node'));
      const where = resolve(config, payload);
      const version = VERSIONS[where.ocppver];
      if (!version) return done(new Error(`unknown OCPP SOAP version "${where.ocppver}": use 1.5s or 1.6s`));
      if (!where.url) return done(new Error(`no SOAP URL for ${where.cbId || 'the target'}: set it in the config node or in msg.payload.url`));
      let body;
      let tls;
      try {
        body = options.requestBody(payload, config.cmddata);
        tls = tlsFor(where.tls);
      } catch (err) {
        return done(err);
      }
      const messageId = payload.MessageId || payload.MessageID;
      const request = {
        url: String(where.url),
        version,
        target,
        action: String(command),
        chargeBoxIdentity: String(where.cbId || ''),
        messageId: messageId ? String(messageId) : null,
        from: where.from || null,
        timeoutMs: Math.round(timeoutMs),
        tls,
        fromStation: !!where.fromStation,
        allowAddresses: where.allowAddresses || [],
      };
      status.set({ fill: 'green', shape: 'dot', text: `request out: ${command}` });
      let outcome;
      try {
        outcome = JSON.parse(await addon.soapCall(JSON.stringify(request), body));
      } catch (err) {
        return done(err);
      }
      const ocpp = { command: request.action, MessageId: outcome.id, chargeBoxIdentity: request.chargeBoxIdentity, url: request.url, ocppVersion: version, ocppVer: `${version}s` };
      const station = request.chargeBoxIdentity || undefined;
      const failed = settleMsg(outcome, msg, { protocol: 'soap', ocpp, peer: request.url, command, station });
      if (failed) {
        status.set({ fill: 'red', shape: failed.shape, text: `${command}: ${failed.reason}` });
        return done(failed.error);
      }
      status.set({ fill: 'green', shape: 'dot', text: `response in: ${command}` });
      send(msg);
      return done();
    });
    node.on('close', (removed, done) => {
      status.stop();
      done();
    });
  }
  return SoapRequestNode;
}

module.exports = { soapRequestNode };
