'use strict';
// The admin API behind the editor's OCPP sidebar (resources/sidebar.js), on
// Node-RED's admin app and under its admin auth (`ocpp.read` to look;
// `ocpp.write` for everything that changes state: sending a CALL, starting or
// stopping a recording, the record-all switch):
//
//   GET    /ocpp/stations              every connected OCPP-J station (JSON list)
//   GET    /ocpp/stations/:id/frames   its recorded frames, newest first (?after=<seq>); reads only
//   PUT    /ocpp/stations/:id/frames   the same, after starting or renewing its recording
//                                      (ocppInspector.leaseS)
//   DELETE /ocpp/stations/:id/frames   stops its recording and frees its frames
//   POST   /ocpp/stations/:id/call     {action, payload, timeout} -> the CALL's outcome; 400 with the
//                                      station's version's actions for an action no version sends
//   GET    /ocpp/inspector             the switch, stations recording, bytes held, limits
//   PUT    /ocpp/inspector             {all: true|false}: record every station, or none
//   GET    /ocpp/actions/:version      the version's actions by who sends them
//   GET    /ocpp/actions/:version/:action/template   the CALL form's starting payload: required
//                                      fields, enum values offered, optional fields' names
//   POST   /ocpp/actions/:version/:action/check      {payload} -> {error} (null when valid, or when the
//                                      version has no such action: sending it says why)
//
// Live updates: the changed stations go out over Node-RED's comms on the topic
// `ocpp/stations` ({changed, gone, more, resync}), at most once a second and
// only for a minute after the sidebar last read the list (it reads it again
// every 30 s while shown), so nothing runs while nobody looks.
//
// The engine keeps the counters and frames (src/cs/inspector.rs); this file
// only routes. With a cluster, each station entry will name its holder in an
// `instance` field; in a single process there is none.
const { addon } = require('./engine');

const LIVE_EVERY_MS = 1000;
const LIVE_FOR_MS = 60000;
// Changed stations per update: the rest follow a second later.
const LIVE_BATCH = 500;
const DEFAULT_CALL_TIMEOUT_S = 30;

// Admin apps (one per Node-RED runtime; tests make several) already routed.
const routed = new WeakSet();
const live = { timer: null, until: 0, publish: null };

function liveTick() {
  if (Date.now() > live.until) {
    clearInterval(live.timer);
    live.timer = null;
    return;
  }
  const changes = JSON.parse(addon.stationChangesJson(LIVE_BATCH));
  if (changes.changed.length || changes.gone.length || changes.resync) live.publish('ocpp/stations', changes);
}

// Someone looks at the list: publish its changes for the next minute.
function keepLive(RED) {
  live.until = Date.now() + LIVE_FOR_MS;
  live.publish = (topic, data) => RED.comms.publish(topic, data, false);
  if (!live.timer) {
    live.timer = setInterval(liveTick, LIVE_EVERY_MS);
    live.timer.unref();
  }
}

// In a cluster: this instance's stations (with their counters) named by the
// instance, and the other instances' stations with what their holder tells
// of them (version, server node, since: their counters and frames live on
// their own instance), marked `remote`. While Redis is unavailable, this
// instance's alone.
async function clusterStations(instance) {
  const stations = JSON.parse(addon.stationsJson());
  for (const s of stations) s.instance = instance;
  const outcome = JSON.parse(await addon.onlineList());
  if (!outcome.value) return stations;
  const here = new Set(stations.map((s) => s.id));
  for (const [id, holder, about] of outcome.value) {
    if (here.has(id) || holder === instance) continue;
    let told = {};
    try {
      told = about ? JSON.parse(about) : {};
    } catch (_) {
      // An entry written by another version: id and holder are enough.
    }
    stations.push({ id, version: told.version, node: told.node, since: told.since, instance: holder, remote: true });
  }
  return stations;
}

function sendJson(res, text) {
  res.type('application/json').send(text);
}

function fail(res, status, message) {
  res.status(status).json({ error: message });
}

// `ocppInspector` from settings.js; a bad value is a warning and the defaults stay.
function applyLimits(RED) {
  const settings = RED.settings && RED.settings.ocppInspector;
  if (settings === undefined) return;
  try {
    addon.inspectorLimits(JSON.stringify(settings));
  } catch (err) {
    RED.log.warn(`OCPP sidebar: ${err.message}; the defaults stay`);
  }
}

// The CALL form's body, checked: {action, payload (an object), timeout in seconds}.
function callRequest(body) {
  const { action, payload = {}, timeout = DEFAULT_CALL_TIMEOUT_S } = body || {};
  if (typeof action !== 'string' || action.trim() === '') throw new Error('action must be the name of an OCPP action, such as "Reset"');
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) throw new Error('payload must be a JSON object');
  const seconds = Number(timeout);
  if (!Number.isFinite(seconds) || seconds < 0.1 || seconds > 86400) throw new Error('timeout must be a number of seconds from 0.1 to 86400');
  return { action: action.trim(), payload: JSON.stringify(payload), timeoutMs: Math.round(seconds * 1000) };
}

// The OCPP-J version a station connected here (or, in a cluster, elsewhere) speaks; null when unknown.
async function stationVersion(id) {
  const local = JSON.parse(addon.stationsJson()).find((s) => s.id === id);
  if (local) return local.version;
  const instance = addon.clusterInstance();
  if (!instance) return null;
  const remote = (await clusterStations(instance)).find((s) => s.id === id);
  return (remote && remote.version) || null;
}

// An action no OCPP version has the Central System send ("Rest" for "Reset")
// is refused before anything goes out, with the actions the station's version
// has (issue 25). One a version sends goes on: a command may be written in the
// other version's words (a 1.6 name to a 2.0.1 station).
async function unknownAction(id, action) {
  if (addon.knownCallAction(action)) return null;
  const version = (await stationVersion(id)) || '1.6j';
  const actions = JSON.parse(addon.actionsFor(version)).toStation;
  return { error: `unknown action ${JSON.stringify(action)}: OCPP ${version} has the Central System send ${actions.join(', ')}`, version, actions };
}

// Routes the sidebar's API on this runtime's admin app, once.
function register(RED) {
  const app = RED.httpAdmin;
  if (!addon || !app || routed.has(app)) return;
  routed.add(app);
  applyLimits(RED);
  const read = RED.auth.needsPermission('ocpp.read');
  const write = RED.auth.needsPermission('ocpp.write');

  app.get('/ocpp/stations', read, async (req, res) => {
    keepLive(RED);
    const instance = addon.clusterInstance();
    if (!instance) return sendJson(res, addon.stationsJson());
    return res.json(await clusterStations(instance));
  });

  // `renew`: start or renew the station's recording first (PUT, ocpp.write).
  const frames = (renew) => (req, res) => {
    let after = null;
    if (req.query.after !== undefined) {
      after = Number(req.query.after);
      if (!Number.isSafeInteger(after) || after < 0) return fail(res, 400, 'after must be a frame number (seq) of 0 or more');
    }
    const text = addon.stationFrames(req.params.id, after, renew);
    if (text === null) return fail(res, 404, `station ${req.params.id} is not connected`);
    return sendJson(res, text);
  };
  app.get('/ocpp/stations/:id/frames', read, frames(false));
  app.put('/ocpp/stations/:id/frames', write, frames(true));

  app.delete('/ocpp/stations/:id/frames', write, (req, res) => {
    if (!addon.setInspector(req.params.id, false)) return fail(res, 404, `station ${req.params.id} is not connected`);
    return res.status(204).end();
  });

  app.post('/ocpp/stations/:id/call', write, async (req, res) => {
    let call;
    try {
      call = callRequest(req.body);
    } catch (err) {
      return fail(res, 400, err.message);
    }
    const unknown = await unknownAction(req.params.id, call.action);
    if (unknown) return res.status(400).json(unknown);
    try {
      // The outcome as CS request JSON gets it: {id, result} | {id, callError} | {id, failure, message}.
      const outcome = await addon.callStation(req.params.id, call.action, call.payload, call.timeoutMs, null);
      // Shown in the editor: station passwords hidden, as in the frames.
      return sendJson(res, addon.redactSecrets(outcome));
    } catch (err) {
      return fail(res, 500, err.message);
    }
  });

  app.get('/ocpp/inspector', read, (req, res) => sendJson(res, addon.inspectorStatusJson()));

  app.put('/ocpp/inspector', write, (req, res) => {
    const all = req.body && req.body.all;
    if (typeof all !== 'boolean') return fail(res, 400, 'all must be true or false');
    addon.setInspector(null, all);
    return sendJson(res, addon.inspectorStatusJson());
  });

  app.get('/ocpp/actions/:version', read, (req, res) => {
    try {
      return sendJson(res, addon.actionsFor(req.params.version));
    } catch (err) {
      return fail(res, 404, err.message);
    }
  });

  app.get('/ocpp/actions/:version/:action/template', read, (req, res) => {
    try {
      return sendJson(res, addon.actionTemplate(req.params.version, req.params.action, new Date().toISOString().replace(/\.\d+Z$/, 'Z')));
    } catch (err) {
      return fail(res, 404, err.message);
    }
  });

  app.post('/ocpp/actions/:version/:action/check', read, (req, res) => {
    const payload = req.body && req.body.payload;
    if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return res.json({ error: 'the payload must be a JSON object' });
    try {
      // An action the version does not have is not this check's to refuse: sending it tells (400, or the station).
      if (!JSON.parse(addon.actionsFor(req.params.version)).toStation.includes(req.params.action)) return res.json({ error: null, schema: false });
      return res.json({ error: addon.checkRequest(req.params.version, req.params.action, JSON.stringify(payload)) || null });
    } catch (err) {
      return fail(res, 404, err.message);
    }
  });
}

module.exports = { register };
