'use strict';
// GET /ocpp/metrics: every running CS server's counters in the Prometheus text
// format, rendered by the engine (src/cs/metrics.rs). The route is on Node-RED's
// admin app, so its adminAuth guards it: open while adminAuth is off; with it on,
// a user or bearer token with read permission ('ocpp.read').
const { addon, loadError } = require('./engine');

// Admin apps the route is on: Node-RED calls a node module's function once per
// runtime, the test helper once per flow it loads, each time with a fresh app.
const served = new WeakSet();

function registerMetricsRoute(RED) {
  const app = RED.httpAdmin;
  if (!app || served.has(app)) return;
  served.add(app);
  app.get('/ocpp/metrics', RED.auth.needsPermission('ocpp.read'), (req, res) => {
    if (!addon) {
      res.status(503).type('text/plain').send(`the OCPP engine is not loaded: ${loadError.message}\n`);
      return;
    }
    // Not res.send: it would rewrite the Content-Type's parameters.
    res.setHeader('Content-Type', 'text/plain; version=0.0.4; charset=utf-8');
    res.end(addon.metricsText());
  });
}

module.exports = { registerMetricsRoute };
