'use strict';
// The cluster's failures (issue: a cluster through Redis): an instance
// killed behind HAProxy (docs/cluster/haproxy.cfg), and Redis restarted
// mid-run. Real redis-server, haproxy and Node-RED processes.
const assert = require('assert');
const { RPCClient } = require('ocpp-rpc');
const { freePort } = require('./lib/harness');
const { startRedis, startHaproxy } = require('./lib/redis');
const { startInstance, until } = require('./lib/cluster-red');

function station(port, identity, extra = {}) {
  const client = new RPCClient({ endpoint: `ws://127.0.0.1:${port}/ocpp`, identity, protocols: ['ocpp1.6'], strictMode: true, reconnect: false, ...extra });
  client.handle('Reset', () => ({ status: 'Accepted' }));
  client.handle('GetConfiguration', () => ({ configurationKey: [], unknownKey: [] }));
  return client;
}


async function listed(inst) {
  const r = await inst.call('LOCAL_GET_ONLINE_LIST');
  return r.ok ? r.payload.stations || [] : [];
}

describe('cluster failures', function () {
  this.timeout(120000);
  let redis;
  let instances = [];
  let clients = [];
  let lb = null;

  afterEach(async () => {
    for (const c of clients) await c.close({ force: true }).catch(() => {});
    clients = [];
    if (lb) await lb.stop();
    lb = null;
    for (const i of instances) {
      await i.kill();
      i.cleanup();
    }
    instances = [];
    if (redis) await redis.stop();
    redis = null;
  });

  async function twoInstances(extra = {}) {
    redis = await startRedis(await freePort());
    const prefix = `f${Date.now().toString(36)}`;
    for (const instance of ['A', 'B']) {
      instances.push(await startInstance({ csPort: await freePort(), editorPort: await freePort(), redisPort: redis.port, prefix, instance, ...extra }));
    }
    return instances;
  }

  it('an instance killed: its stations reconnect through HAProxy and are reachable from the others within 10 s', async () => {
    const [a, b] = await twoInstances({ strict: true });
    const lbPort = await freePort();
    lb = await startHaproxy(lbPort, [a.csPort, b.csPort]);
    const ids = ['H1', 'H2', 'H3', 'H4', 'H5', 'H6'];
    const backoff = { initialDelay: 200, maxDelay: 1000, factor: 1.5, randomisationFactor: 0.2 };
    for (const id of ids) {
      const c = station(lbPort, id, { reconnect: true, maxReconnects: Infinity, backoff });
      clients.push(c);
      await c.connect();
      await c.call('BootNotification', { chargePointVendor: 'ocpp-rs', chargePointModel: 'lb' });
    }
    const before = await until('all six listed', async () => {
      const s = await listed(a);
      return s.length === 6 && s;
    }, 10000);
    const onB = before.filter((s) => s.instance === 'B').map((s) => s.cbId);
    assert.ok(onB.length > 0 && onB.length < 6, `HAProxy spread the stations: ${JSON.stringify(before)}`);

    const killedAt = Date.now();
    await b.kill();
    await until('every station held by A', async () => {
      const s = await listed(a);
      return s.length === 6 && s.every((x) => x.instance === 'A') && s;
    }, 10000);
    for (const id of onB) {
      const r = await a.call('Reset', id, { type: 'Soft' });
      assert.strictEqual(r.ok, true, JSON.stringify(r));
      assert.strictEqual(r.ocpp.instance, 'A');
    }
    const took = Date.now() - killedAt;
    assert.ok(took < 10000, `reachable again after ${took} ms`);
  });

  it('Redis down: local stations are served, requests for other instances fail at once, presence comes back with Redis', async () => {
    const [a, b] = await twoInstances();
    const s1 = station(a.csPort, 'S1');
    const s2 = station(b.csPort, 'S2');
    clients.push(s1, s2);
    await s1.connect();
    await s2.connect();
    await until('both listed', async () => (await listed(a)).length === 2, 10000);

    const port = redis.port;
    await redis.stop();
    // Once A has noticed (its status says so), requests for other instances fail at once:
    // no Redis round trip, so only what a loaded 2-core machine adds to one HTTP call here.
    const AT_ONCE_MS = 1000;
    await until('A noticed Redis is down', async () => /cluster unavailable/.test((await a.seen()).status), 10000);
    const t0 = Date.now();
    const remote = await a.call('Reset', 'S2', { type: 'Soft' });
    assert.strictEqual(remote.ok, false);
    assert.strictEqual(remote.ocpp.failure, 'ClusterUnavailable', JSON.stringify(remote));
    assert.ok(Date.now() - t0 < AT_ONCE_MS, `failed after ${Date.now() - t0} ms`);
    // docs/CLUSTER.md: a warning is logged.
    assert.match(a.output(), /\[warn\].*cluster instance A: Redis is unavailable; this instance serves its own stations/);
    const list = await a.call('LOCAL_GET_ONLINE_LIST');
    assert.strictEqual(list.ok, false);
    assert.strictEqual(list.ocpp.failure, 'ClusterUnavailable');
    const local = await a.call('Reset', 'S1', { type: 'Soft' });
    assert.strictEqual(local.ok, true, JSON.stringify(local));
    // A station's own CALLs are still answered by its instance.
    await s2.call('Heartbeat', {});

    // Redis comes back empty (no persistence): each instance registers its stations again.
    redis = await startRedis(port);
    let state = null;
    await until('both listed again', async () => {
      const s = await listed(b);
      state = [s, (await a.seen()).status, (await b.seen()).status];
      return s.length === 2;
    }, 10000).catch((e) => assert.fail(`${e.message}: ${JSON.stringify(state)}`));
    // Both instances have re-registered: S2 is reachable from A again (the online list also counts a
    // station its own instance has not re-registered yet, so the call itself is what is waited for).
    const back = await until('S2 reachable from A', async () => {
      const r = await a.call('Reset', 'S2', { type: 'Soft' });
      return r.ok && r;
    }, 10000);
    assert.strictEqual(back.ocpp.instance, 'B');
    await until('the status no longer says the cluster is unavailable', async () => !/cluster unavailable/.test((await a.seen()).status), 3000);
  });

  it('Redis drops with a routed request in flight: it fails with ClusterUnavailable ("may have been sent"), before its timeout, sent once', async () => {
    const TIMEOUT_MS = 10000;
    const [a, b] = await twoInstances({ timeout: TIMEOUT_MS / 1000 });
    let resets = 0;
    const s2 = station(b.csPort, 'S2');
    s2.handle('Reset', () => {
      resets += 1;
      return new Promise(() => {});
    });
    clients.push(s2);
    await s2.connect();
    await until('S2 listed on A', async () => (await listed(a)).some((s) => s.cbId === 'S2'), 10000);
    const t0 = Date.now();
    const pending = a.call('Reset', 'S2', { type: 'Soft' });
    await until('the station got the Reset', async () => resets === 1, 5000);
    await redis.stop();
    const outcome = await pending;
    const took = Date.now() - t0;
    assert.strictEqual(outcome.ok, false);
    assert.strictEqual(outcome.ocpp.failure, 'ClusterUnavailable', JSON.stringify(outcome));
    assert.match(outcome.error, /may have been sent to the station \(never twice\)/);
    assert.ok(took < TIMEOUT_MS, `failed after ${took} ms, not before the ${TIMEOUT_MS} ms timeout`);
    assert.strictEqual(resets, 1);
  });

  it('Redis unreachable from the start: the status says so, local stations are served, others fail with ClusterUnavailable', async () => {
    const nowhere = await freePort();
    const a = await startInstance({ csPort: await freePort(), editorPort: await freePort(), redisPort: nowhere, prefix: 'none', instance: 'A' });
    instances.push(a);
    await until('status says the cluster is unavailable', async () => /cluster unavailable/.test((await a.seen()).status), 6000);
    const s1 = station(a.csPort, 'S1');
    clients.push(s1);
    await s1.connect();
    const local = await a.call('Reset', 'S1', { type: 'Soft' });
    assert.strictEqual(local.ok, true, JSON.stringify(local));
    const remote = await a.call('Reset', 'ELSEWHERE', { type: 'Soft' });
    assert.strictEqual(remote.ocpp.failure, 'ClusterUnavailable', JSON.stringify(remote));
  });
});
