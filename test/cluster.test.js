'use strict';
// Several Node-RED processes on one real Redis act as one Central System
// (issue: a cluster through Redis). Each instance runs the same flow
// (test/lib/cluster-red.js); stations are ocpp-rpc clients in strict mode.
const assert = require('assert');
const { RPCClient } = require('ocpp-rpc');
const { freePort, sleep } = require('./lib/harness');
const { startRedis } = require('./lib/redis');
const { startInstance, until } = require('./lib/cluster-red');

function station(port, identity, handlers = {}, extra = {}) {
  const client = new RPCClient({ endpoint: `ws://127.0.0.1:${port}/ocpp`, identity, protocols: ['ocpp1.6'], strictMode: true, reconnect: false, ...extra });
  client.handle('Reset', handlers.Reset || (() => ({ status: 'Accepted' })));
  client.handle('GetConfiguration', handlers.GetConfiguration || (() => ({ configurationKey: [], unknownKey: [] })));
  client.handle('TriggerMessage', handlers.TriggerMessage || (() => ({ status: 'Accepted' })));
  return client;
}


async function startCluster(redisPort, names, extra = {}) {
  const prefix = `t${Date.now().toString(36)}`;
  const instances = [];
  for (const instance of names) {
    instances.push(await startInstance({ csPort: await freePort(), editorPort: await freePort(), redisPort, prefix, instance, ...extra }));
  }
  return instances;
}

async function connectAndBoot(client) {
  await client.connect();
  await client.call('BootNotification', { chargePointVendor: 'ocpp-rs', chargePointModel: 'cluster' });
  return client;
}

const online = async (inst) => {
  const r = await inst.call('LOCAL_GET_ONLINE_LIST');
  return r.ok ? r.payload : null;
};

describe('a Central System across Node-RED instances (Redis)', function () {
  this.timeout(120000);
  let redis;
  let instances = [];
  let clients = [];

  before(async () => {
    redis = await startRedis(await freePort());
  });
  after(async () => {
    if (redis) await redis.stop();
  });
  afterEach(async () => {
    for (const c of clients) await c.close({ force: true }).catch(() => {});
    clients = [];
    for (const i of instances) {
      await i.kill();
      i.cleanup();
    }
    instances = [];
  });

  it('LOCAL_GET_ONLINE_LIST: the stations a request from here reaches, each with its instance and server; no other instance\'s unclustered ones (issue 25)', async () => {
    const prefix = `t${Date.now().toString(36)}`;
    const plainPorts = [await freePort(), await freePort()];
    for (const [i, instance] of ['A', 'B'].entries()) {
      instances.push(await startInstance({ csPort: await freePort(), plainPort: plainPorts[i], editorPort: await freePort(), redisPort: redis.port, prefix, instance }));
    }
    const [a, b] = instances;
    clients.push(await connectAndBoot(station(a.csPort, 'S1')), await connectAndBoot(station(b.csPort, 'S2')));
    clients.push(await connectAndBoot(station(plainPorts[0], 'P1')), await connectAndBoot(station(plainPorts[1], 'P2')));
    const listA = await until('A lists S1, S2 and its own P1', async () => {
      const list = await online(a);
      return list && list.online.length === 3 && list;
    });
    assert.deepStrictEqual(listA.online, ['P1', 'S1', 'S2']);
    assert.deepStrictEqual(listA.stations, [
      { cbId: 'P1', instance: 'A', server: 'plain', clustered: false },
      { cbId: 'S1', instance: 'A', server: 'cs', clustered: true },
      { cbId: 'S2', instance: 'B', server: 'cs', clustered: true },
    ]);
    const listB = await online(b);
    assert.deepStrictEqual(listB.stations, [
      { cbId: 'P2', instance: 'B', server: 'plain', clustered: false },
      { cbId: 'S1', instance: 'A', server: 'cs', clustered: true },
      { cbId: 'S2', instance: 'B', server: 'cs', clustered: true },
    ]);
    // What the list says is what a request reaches: P1 from A, not from B.
    assert.strictEqual((await a.call('Reset', 'P1', { type: 'Soft' })).ok, true);
    const fromB = await b.call('Reset', 'P1', { type: 'Soft' });
    assert.strictEqual(fromB.ok, false);
    assert.strictEqual(fromB.ocpp.failure, 'NotConnected');
  });

  it('routes CALLs both ways, lists the whole cluster, and names the instance on every msg', async () => {
    instances = await startCluster(redis.port, ['A', 'B']);
    const [a, b] = instances;
    const s1 = await connectAndBoot(station(a.csPort, 'S1'));
    const s2 = await connectAndBoot(station(b.csPort, 'S2'));
    clients.push(s1, s2);
    await until('both stations listed', async () => {
      const list = await online(a);
      return list && list.online.length === 2 && list;
    });
    const list = await online(b);
    assert.deepStrictEqual(list.online, ['S1', 'S2']);
    assert.deepStrictEqual(list.stations, [{ cbId: 'S1', instance: 'A', server: 'cs', clustered: true }, { cbId: 'S2', instance: 'B', server: 'cs', clustered: true }]);

    const ab = await a.call('GetConfiguration', 'S2', {});
    assert.strictEqual(ab.ok, true, JSON.stringify(ab));
    assert.deepStrictEqual(ab.payload.data, { configurationKey: [], unknownKey: [] });
    assert.strictEqual(ab.ocpp.instance, 'B');
    assert.strictEqual(ab.ocpp.msgType, 3);
    const ba = await b.call('Reset', 'S1', { type: 'Soft' });
    assert.strictEqual(ba.ok, true, JSON.stringify(ba));
    assert.strictEqual(ba.ocpp.instance, 'A');
    const local = await a.call('Reset', 'S1', { type: 'Hard' });
    assert.strictEqual(local.ocpp.instance, 'A');

    // The station's CALLs are answered and reported by the instance holding it.
    const seenA = await a.seen();
    const boot = seenA.seen.find((m) => m.command === 'BootNotification');
    assert.deepStrictEqual([boot.cb, boot.instance, boot.topic], ['S1', 'A', 'S1/BootNotification']);
    assert.ok(!seenA.seen.some((m) => m.cb === 'S2'), 'S2 is reported by B only');

    // The editor's OCPP sidebar lists the whole cluster, naming the holder.
    const sidebar = await (await fetch(`http://127.0.0.1:${a.editorPort}/ocpp/stations`)).json();
    assert.deepStrictEqual(sidebar.map((x) => [x.id, x.instance, !!x.remote, x.version, x.node]).sort(), [['S1', 'A', false, '1.6j', 'cs'], ['S2', 'B', true, '1.6j', 'cs']]);
    assert.ok(sidebar.every((x) => typeof x.since === 'number' && x.since > Date.now() - 60000), JSON.stringify(sidebar));

    // Nowhere in the cluster: NotConnected, as without one.
    const nowhere = await a.call('Reset', 'NOBODY', { type: 'Soft' });
    assert.strictEqual(nowhere.ok, false);
    assert.strictEqual(nowhere.ocpp.failure, 'NotConnected');
  });

  it('brings back CALLERRORs, honours the timeout end to end, and never sends a CALL twice', async () => {
    instances = await startCluster(redis.port, ['A', 'B'], { timeout: 2 });
    const [a, b] = instances;
    let resets = 0;
    const s2 = await connectAndBoot(
      station(b.csPort, 'S2', {
        Reset: () => {
          resets += 1;
          return new Promise(() => {});
        },
        TriggerMessage: () => {
          const { createRPCError } = require('ocpp-rpc');
          throw createRPCError('NotSupported', 'not here');
        },
      })
    );
    clients.push(s2);
    await until('S2 listed on A', async () => ((await online(a)) || { online: [] }).online.includes('S2'));
    const refused = await a.call('TriggerMessage', 'S2', { requestedMessage: 'Heartbeat' });
    assert.strictEqual(refused.ok, false);
    assert.strictEqual(refused.ocpp.ErrorCode, 'NotSupported');
    assert.strictEqual(refused.ocpp.instance, 'B');
    const t0 = Date.now();
    const late = await a.call('Reset', 'S2', { type: 'Soft' });
    const took = Date.now() - t0;
    assert.strictEqual(late.ocpp.failure, 'Timeout', JSON.stringify(late));
    assert.ok(took >= 1900 && took < 3500, `timed out after ${took} ms`);
    assert.strictEqual(resets, 1);

    // The holder dies with a CALL in flight: the caller gets a failure, and no instance sends it again.
    const pending = a.call('Reset', 'S2', { type: 'Hard' });
    await sleep(300);
    await b.kill();
    const outcome = await pending;
    assert.strictEqual(outcome.ok, false);
    assert.ok(['Timeout', 'ClusterUnavailable', 'NotConnected'].includes(outcome.ocpp.failure), JSON.stringify(outcome));
    await sleep(500);
    assert.strictEqual(resets, 2, 'the in-flight Reset reached the station once');
  });

  it('one station id on two instances: the newest connection wins and the old one closes', async () => {
    instances = await startCluster(redis.port, ['A', 'B']);
    const [a, b] = instances;
    const first = await connectAndBoot(station(a.csPort, 'TWIN'));
    const closed = new Promise((resolve) => first.once('close', resolve));
    clients.push(first);
    await until('TWIN on A', async () => ((await online(b)) || { stations: [] }).stations.some((s) => s.cbId === 'TWIN' && s.instance === 'A'));
    const second = await connectAndBoot(station(b.csPort, 'TWIN'));
    clients.push(second);
    const { code } = await Promise.race([closed, sleep(5000).then(() => ({ code: 'not closed' }))]);
    assert.strictEqual(code, 1000);
    await until('TWIN on B only', async () => {
      const list = await online(a);
      return list && list.stations.length === 1 && list.stations[0].instance === 'B';
    });
    // The old connection's release did not erase the new claim.
    await sleep(500);
    const r = await a.call('Reset', 'TWIN', { type: 'Soft' });
    assert.strictEqual(r.ok, true, JSON.stringify(r));
    assert.strictEqual(r.ocpp.instance, 'B');
  });

  it('LOCAL_DISCONNECT and LOCAL_SET_ALL_AUTH_EVSES reach every instance', async () => {
    instances = await startCluster(redis.port, ['A', 'B']);
    const [a, b] = instances;
    const s2 = await connectAndBoot(station(b.csPort, 'S2'));
    clients.push(s2);
    const closed = new Promise((resolve) => s2.once('close', resolve));
    await until('S2 listed on A', async () => ((await online(a)) || { online: [] }).online.includes('S2'));
    const d = await a.call('LOCAL_DISCONNECT', 'S2');
    assert.strictEqual(d.ok, true, JSON.stringify(d));
    await Promise.race([closed, sleep(5000).then(() => assert.fail('S2 was not disconnected'))]);

    // A password set on A applies on B (and on instances that join later).
    const set = await a.call('LOCAL_SET_ALL_AUTH_EVSES', '', { P1: 'secret-one' });
    assert.strictEqual(set.ok, true, JSON.stringify(set));
    await sleep(300);
    const without = station(b.csPort, 'P1');
    await assert.rejects(without.connect(), /401|Unauthorized/);
    const withPassword = station(b.csPort, 'P1', {}, { password: 'secret-one' });
    clients.push(withPassword);
    await connectAndBoot(withPassword);
  });

  it('a redeploy with a changed ocpp-cluster node starts a new membership under the new id', async () => {
    instances = await startCluster(redis.port, ['A', 'B']);
    const [a, b] = instances;
    const base = `http://127.0.0.1:${a.editorPort}`;
    const flows = await (await fetch(`${base}/flows`)).json();
    flows.find((n) => n.type === 'ocpp-cluster').instance = 'A2';
    const res = await fetch(`${base}/flows`, { method: 'POST', headers: { 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'full' }, body: JSON.stringify(flows) });
    assert.strictEqual(res.status, 204);
    await sleep(1000);
    const s1 = await connectAndBoot(station(a.csPort, 'S1'));
    clients.push(s1);
    await until('S1 held by A2', async () => ((await online(b)) || { stations: [] }).stations.some((x) => x.cbId === 'S1' && x.instance === 'A2'));
    const r = await b.call('Reset', 'S1', { type: 'Soft' });
    assert.strictEqual(r.ocpp.instance, 'A2', JSON.stringify(r));
    assert.doesNotMatch(a.output(), /already runs cluster/);
  });
});
