'use strict';
// Config node naming a Central System: its URL, for `CP client JSON`
// (ws:// or wss://, the charge box id is appended) and `CP Request SOAP`.
module.exports = function (RED) {
  function RemoteCs(config) {
    RED.nodes.createNode(this, config);
    this.url = config.url;
    this.name = config.name;
    // A `tls-config` node for wss:// and https:// (CA, client certificate).
    this.tls = config.tls;
  }
  RED.nodes.registerType('ocpp-remote-cs', RemoteCs);
};
