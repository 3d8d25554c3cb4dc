'use strict';
// `server response`: hands the flow's answer to the engine, keyed by msg.msgId.
const { addon, loadError, engineMissing } = require('./engine');
const { throttledStatus } = require('./status');

module.exports = function register(RED) {
  function ServerResponseNode(config) {
    RED.nodes.createNode(this, config);
    const node = this;
    const status = throttledStatus(node);
    let lastCommand = null;
    const showSent = () => ({ fill: 'green', shape: 'ring', text: `${lastCommand || 'answer'} sent` });
    engineMissing(node);
    node.on('input', (msg, send, done) => {
      if (!addon) return done(loadError);
      if (msg.msgId === undefined || msg.msgId === null || msg.msgId === '') {
        status.set({ fill: 'red', shape: 'ring', text: 'message failed' });
        return done(new Error('msg.msgId is missing: this node answers the msg a CS server sent, so keep its msgId'));
      }
      try {
        const body = msg.payload === undefined ? null : JSON.stringify(msg.payload);
        addon.respond(String(msg.msgId), body === undefined ? null : body);
      } catch (err) {
        status.set({ fill: 'red', shape: 'ring', text: 'message failed' });
        return done(err);
      }
      lastCommand = msg.ocpp && msg.ocpp.command;
      status.update(showSent);
      done();
    });
    node.on('close', (removed, done) => {
      status.stop();
      if (!removed) node.status({ fill: 'grey', shape: 'dot', text: 'stopped' });
      done();
    });
  }
  RED.nodes.registerType('server response', ServerResponseNode);
};
