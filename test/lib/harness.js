'use strict';
// Shared pieces of the Node-RED end-to-end tests: the test helper set up on
// the repo's Node-RED, core nodes, free ports, and small waiting utilities.
const net = require('net');
const path = require('path');
const helper = require('node-red-node-test-helper');

// The Node-RED under test: the repo's (a dev dependency), or the one that
// OCPP_RS_NODE_RED names (a node-red package directory; scripts/test-node-red-5.js sets it).
const red = require('./node-red').dir;
helper.init(require.resolve(red));

// Its own core nodes (function, inject, ...), not the repo's.
const coreNodes = path.dirname(require.resolve('@node-red/nodes/package.json', { paths: [red] }));
const core = {
  fn: require(path.join(coreNodes, 'core/function/10-function.js')),
  catchNode: require(path.join(coreNodes, 'core/common/25-catch.js')),
  inject: require(path.join(coreNodes, 'core/common/20-inject.js')),
  debug: require(path.join(coreNodes, 'core/common/21-debug.js')),
  switchNode: require(path.join(coreNodes, 'core/function/10-switch.js')),
  change: require(path.join(coreNodes, 'core/function/15-change.js')),
  link: require(path.join(coreNodes, 'core/common/60-link.js')),
  comment: require(path.join(coreNodes, 'core/common/90-comment.js')),
  tls: require(path.join(coreNodes, 'core/network/05-tls.js')),
  httpRequest: require(path.join(coreNodes, 'core/network/21-httprequest.js')),
  status: require(path.join(coreNodes, 'core/common/25-status.js')),
};

const ours = {
  server: require('../../nodes/ocpp-server.js'),
  remoteCp: require('../../nodes/ocpp-remote-cp.js'),
  remoteCs: require('../../nodes/ocpp-remote-cs.js'),
  cpJson: require('../../nodes/ocpp-cp-json.js'),
  csReqSoap: require('../../nodes/ocpp-req.js'),
  cpReqSoap: require('../../nodes/ocpp-cp-req.js'),
  cluster: require('../../nodes/ocpp-cluster.js'),
};

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// Collects every msg a helper node receives and lets a test wait for one.
function collector(node) {
  const msgs = [];
  const waiters = [];
  node.on('input', (msg) => {
    msgs.push(msg);
    for (const w of waiters.slice()) {
      if (w.pred(msg)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(msg);
      }
    }
  });
  return {
    msgs,
    next(pred = () => true, ms = 5000) {
      const seen = msgs.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const w = { pred, resolve };
        waiters.push(w);
        setTimeout(() => {
          const i = waiters.indexOf(w);
          if (i >= 0) {
            waiters.splice(i, 1);
            reject(new Error(`no matching msg within ${ms} ms; got ${JSON.stringify(msgs.slice(-5))}`));
          }
        }, ms);
      });
    },
  };
}

function loadFlow(nodes, flow, creds) {
  return new Promise((resolve, reject) => {
    helper.load(nodes, flow, creds || {}, (err) => (err ? reject(err) : resolve()));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A raw OCPP-J station (the `ws` package) for frames no well-behaved client
// sends: `send(text)`, `call(frame)` (sends, resolves with the next frame),
// `next()` (the next frame, within 3 s), and every frame received in `frames`.
function rawStation(url, protocol = 'ocpp1.6') {
  const WebSocket = require('ws');
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, [protocol]);
    const frames = [];
    const waiters = [];
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data));
      frames.push(frame);
      while (waiters.length) waiters.shift()(frame);
    });
    const next = () =>
      new Promise((r, j) => {
        waiters.push(r);
        setTimeout(() => j(new Error('no frame within 3 s')), 3000);
      });
    ws.on('open', () =>
      resolve({
        ws,
        frames,
        next,
        send: (text) => ws.send(text),
        call: (frame) => {
          const reply = next();
          ws.send(JSON.stringify(frame));
          return reply;
        },
      })
    );
    ws.on('error', reject);
  });
}

// The HTTP status a WebSocket handshake was refused with (`ws` options, e.g. headers).
function refusedWith(url, protocols, options = {}) {
  const WebSocket = require('ws');
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, options);
    ws.on('unexpected-response', (req, res) => {
      resolve(res.statusCode);
      req.destroy();
    });
    ws.on('open', () => {
      ws.close();
      reject(new Error('the handshake was accepted'));
    });
    ws.on('error', () => {});
  });
}

module.exports = { helper, red, core, ours, freePort, collector, loadFlow, sleep, until: require('./wait').until, rawStation, refusedWith };
