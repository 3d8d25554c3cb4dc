'use strict';
// Real stations for the tests of one CS server flow: strict ocpp-rpc clients of any version
// (OCA's schemas check every frame they send and receive), the mocha set-up that gives each
// test a free port and closes its stations and its Node-RED flow after it, and a command sent
// through the flow's `CS request JSON` node (id `req`, wired to a helper `reqOut`, with a
// Catch node wired to a helper `caught`) raced against its refusal.
const { RPCClient, createValidator } = require('ocpp-rpc');
const { helper, freePort, collector } = require('./harness');

// ocpp-rpc 2.2.1 ships OCA's 2.1 schemas with ids like urn:BootNotificationRequest but looks
// them up as urn:BootNotification.req; the same schemas under the ids it looks for keep strict
// mode on for 2.1.
const STRICT_21 = createValidator(
  'ocpp2.1',
  require('ocpp-rpc/lib/schemas/ocpp2_1.json').map((schema) => ({
    ...schema,
    $id: schema.$id.replace(/Request$/, '.req').replace(/Response$/, '.conf'),
  }))
);

// A strict ocpp-rpc client for `protocol` (ocpp1.6, ocpp2.0.1, ocpp2.1) on the CS server's
// /ocpp path, not yet connected, not reconnecting. ocpp-rpc picks a validator by the
// subprotocol, so the 2.1 one is there for every version and used only by 2.1 stations.
function strictStation(port, identity, protocol) {
  return new RPCClient({
    endpoint: `ws://127.0.0.1:${port}/ocpp`,
    identity,
    protocols: [protocol],
    strictMode: true,
    reconnect: false,
    strictModeValidators: [STRICT_21],
  });
}

// Call in a describe: each test gets `t.port`, a free port, and whatever it pushes on
// `t.clients` (ocpp-rpc clients) is closed after it, then its Node-RED flow unloaded.
function stationHooks() {
  const t = { port: 0, clients: [] };
  beforeEach(async () => {
    t.port = await freePort();
  });
  afterEach(async () => {
    for (const c of t.clients.splice(0)) await c.close({ force: true }).catch(() => {});
    await helper.unload();
  });
  return t;
}

// Sends a command through the flow's CS request JSON node; resolves with `{ answered }` (the
// msg reqOut got) or `{ refused }` (the msg the Catch node got), whichever comes within `ms`.
// `reqOut` and `caught` are collectors a test already holds, else new ones are made.
function request(topic, cbId, command, data, { ms = 8000, reqOut, caught } = {}) {
  const out = reqOut || collector(helper.getNode('reqOut'));
  const refusals = caught || collector(helper.getNode('caught'));
  helper.getNode('req').receive({ topic, payload: { cbId, command, data } });
  return Promise.race([
    out.next((m) => m.topic === topic, ms).then((m) => ({ answered: m })),
    refusals.next((m) => m.topic === topic, ms).then((m) => ({ refused: m })),
  ]);
}

module.exports = { STRICT_21, strictStation, stationHooks, request };
