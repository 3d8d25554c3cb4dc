'use strict';
// Config node `ocpp-cluster`: the Redis through which several Node-RED
// instances running the same flows act as one Central System. A `CS server`
// names it in its `cluster` property; the engine speaks Redis itself.
const os = require('os');

// This instance's id: the node's own, else OCPP_CLUSTER_INSTANCE, else the
// host name and Node-RED's port (two Node-REDs on one host differ by port).
function instanceId(RED, config) {
  const own = String(config.instance || '').trim();
  if (own) return own;
  const fromEnv = String(process.env.OCPP_CLUSTER_INSTANCE || '').trim();
  if (fromEnv) return fromEnv;
  const port = RED.settings.uiPort || process.pid;
  return `${os.hostname()}-${port}`.replace(/[^A-Za-z0-9._:-]/g, '-').slice(0, 100);
}

module.exports = function (RED) {
  function OcppCluster(config) {
    RED.nodes.createNode(this, config);
    this.name = config.name;
    this.url = String(config.url || '').trim();
    this.prefix = String(config.prefix || '').trim() || 'ocpp';
    this.instance = instanceId(RED, config);
    this.maxPending = Number(config.maxPending) || 10000;
    // What the CS server hands the engine (the password is a credential).
    this.engineOptions = () => ({
      url: this.url,
      password: (this.credentials && this.credentials.password) || null,
      prefix: this.prefix,
      instance: this.instance,
      maxPending: this.maxPending,
    });
  }
  RED.nodes.registerType('ocpp-cluster', OcppCluster, { credentials: { password: { type: 'password' } } });
};
