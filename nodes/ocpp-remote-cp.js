'use strict';
// Config nodes naming a remote charge point: `ocpp-remote-cp` (SOAP, with its
// URL) and `ocpp-remotej-cp` (OCPP-J, reached through a CS server).
module.exports = function (RED) {
  function RemoteCp(config) {
    RED.nodes.createNode(this, config);
    this.cbId = config.cbId;
    this.url = config.url;
    this.name = config.name || config.cbId;
    this.ocppver = config.ocppver;
    this.tls = config.tls;
  }
  RED.nodes.registerType('ocpp-remote-cp', RemoteCp);

  function RemoteJCp(config) {
    RED.nodes.createNode(this, config);
    this.cbId = config.cbId;
    this.name = config.name || config.cbId;
    this.ocppver = config.ocppver || '1.6j';
  }
  RED.nodes.registerType('ocpp-remotej-cp', RemoteJCp);
};
