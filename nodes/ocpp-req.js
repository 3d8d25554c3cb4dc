'use strict';
// Node set "ocpp-req": CS request SOAP, a Central System calling a charge point over SOAP.
const { soapRequestNode } = require('./lib/soap-request');
const { addon } = require('./lib/engine');

// `allowAddresses`: IP addresses and CIDR ranges, separated by commas, spaces or lines.
function allowedAddresses(text) {
  return typeof text === 'string' ? text.split(/[\s,]+/).filter(Boolean) : [];
}

module.exports = function (RED) {
  const CsRequestSoapNode = soapRequestNode(RED, 'cp', (config, payload) => {
    const allowed = allowedAddresses(config.allowAddresses);
    const remote = config.remotecb ? RED.nodes.getNode(config.remotecb) : null;
    const cbId = payload.cbId || (remote && remote.cbId) || '';
    // The station's URL: the msg's, the config node's, or the one it gave in its own From.
    // The last is the station's word: the engine reaches it only at public addresses
    // or at those in allowAddresses (loopback, private, link-local need listing).
    const configured = payload.url || (remote && remote.url);
    const url = configured || (addon && cbId ? addon.soapAddress(String(cbId)) : null);
    const tls = remote && remote.tls;
    const fromStation = !configured && !!url;
    return { cbId, url, ocppver: payload.ocppver || (remote && remote.ocppver) || '1.6s', tls, fromStation, allowAddresses: allowed };
  });
  RED.nodes.registerType('CS request SOAP', CsRequestSoapNode);
};
