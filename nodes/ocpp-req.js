'use strict';
// Node set "ocpp-req": CS request SOAP, a Central System calling a charge point over SOAP.
const { soapRequestNode } = require('./lib/soap-request');
const { addon } = require('./lib/engine');

module.exports = function (RED) {
  const CsRequestSoapNode = soapRequestNode(RED, 'cp', (config, payload) => {
    const remote = config.remotecb ? RED.nodes.getNode(config.remotecb) : null;
    const cbId = payload.cbId || (remote && remote.cbId) || '';
    // The station's URL: the msg's, the config node's, or the one it gave in its own From.
    const url = payload.url || (remote && remote.url) || (addon && cbId ? addon.soapAddress(String(cbId)) : null);
    const tls = remote && remote.tls;
    return { cbId, url, ocppver: payload.ocppver || (remote && remote.ocppver) || '1.6s', tls };
  });
  RED.nodes.registerType('CS request SOAP', CsRequestSoapNode);
};
