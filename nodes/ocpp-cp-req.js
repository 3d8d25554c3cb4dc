'use strict';
// Node set "ocpp-cp-req": CP Request SOAP, a charge point calling its Central System over SOAP.
const { soapRequestNode } = require('./lib/soap-request');

module.exports = function (RED) {
  const CpRequestSoapNode = soapRequestNode(RED, 'cs', (config, payload) => {
    const remote = config.remotecs ? RED.nodes.getNode(config.remotecs) : null;
    return {
      // The original used the node's name as the charge box id; an explicit cbId wins.
      cbId: payload.cbId || config.cbId || config.name || '',
      url: payload.url || (remote && remote.url) || '',
      ocppver: config.ocppver || '1.5s',
      from: payload.from || config.from || null,
      tls: remote && remote.tls,
    };
  });
  RED.nodes.registerType('CP Request SOAP', CpRequestSoapNode);
};
