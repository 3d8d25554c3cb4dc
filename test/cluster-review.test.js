'use strict';
// The cluster's faults found by the independent review (issue 24, items 4 to 8),
// each reproduced with real processes: Node-RED instances redeployed, started
// twice under one id, stopped with SIGSTOP; redis-server restarted without
// persistence, its script cache flushed while a burst of routed calls goes out.
const assert = require('assert');
const { RPCClient } = require('ocpp-rpc');
const net = require('net');
const { freePort, sleep } = require('./lib/harness');
const { startRedis, hammer, spy, engineScript, tcpProxy } = require('./lib/redis');
const { startInstance, until } = require('./lib/cluster-red');

function station(port, identity, handlers = {}) {
  const client = new RPCClient({ endpoint: `ws://127.0.0.1:${port}/ocpp`, identity, protocols: ['ocpp1.6'], strictMode: true, reconnect: false, pingIntervalMs: 120000 });
  client.handle('Reset', handlers.Reset || (() => ({ status: 'Accepted' })));
  client.handle('TriggerMessage', handlers.TriggerMessage || (() => ({ status: 'Accepted' })));
  return client;
}

async function connectAndBoot(client) {
  await client.connect();
  await client.call('BootNotification', { chargePointVendor: 'ocpp-rs', chargePointModel: 'review' });
  return client;
}

async function listedOn(inst, id) {
  const r = await inst.call('LOCAL_GET_ONLINE_LIST');
  return r.ok && (r.payload.stations || []).find((s) => s.cbId === id);
}

describe('cluster faults from the review', function () {
  this.timeout(90000);
  let redis;
  let instances = [];
  let clients = [];
  let stopped = [];
  let proxy = null;

  afterEach(async () => {
    if (proxy) proxy.stop();
    proxy = null;
    for (const pid of stopped) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch (_) {
        // already gone
      }
    }
    stopped = [];
    for (const c of clients) await c.close({ force: true }).catch(() => {});
    clients = [];
    for (const i of instances) {
      await i.kill();
      i.cleanup();
    }
    instances = [];
    if (redis) await redis.stop();
    redis = null;
  });

  async function start(names, extra = {}) {
    if (!redis) redis = await startRedis(await freePort());
    const prefix = extra.prefix || `r${Date.now().toString(36)}`;
    const started = [];
    for (const instance of names) {
      const inst = await startInstance({ csPort: await freePort(), editorPort: await freePort(), redisPort: redis.port, prefix, instance, ...extra });
      instances.push(inst);
      started.push(inst);
    }
    return started;
  }

  it('4. after a redeploy, a late reply to the old run does not settle the new run\'s request', async () => {
    const [a, b] = await start(['A', 'B'], { timeout: 8 });
    let resetAnswered;
    const answered = new Promise((r) => (resetAnswered = r));
    const s2 = await connectAndBoot(
      station(b.csPort, 'S2', {
        // The Reset is answered after 4 s, once A has been redeployed.
        Reset: async () => {
          await sleep(4000);
          resetAnswered();
          return { status: 'Rejected' };
        },
        // The TriggerMessage is answered only after the Reset's reply went out.
        TriggerMessage: async () => {
          await answered;
          await sleep(500);
          return { status: 'Accepted' };
        },
      })
    );
    clients.push(s2);
    await until('S2 listed on A', () => listedOn(a, 'S2'));
    const reset = a.call('Reset', 'S2', { type: 'Soft' }).catch((e) => ({ lost: e.message }));
    await sleep(300);
    await a.redeploy();
    // (While the flows restart, /call answers an HTML 404.)
    await until('A routes again after the redeploy', async () => (await a.call('LOCAL_GET_ONLINE_LIST').catch(() => ({}))).ok);
    const trigger = await a.call('TriggerMessage', 'S2', { requestedMessage: 'Heartbeat' });
    assert.strictEqual(trigger.ok, true, JSON.stringify(trigger));
    assert.strictEqual(trigger.payload.data.status, 'Accepted', `the TriggerMessage got another request's answer: ${JSON.stringify(trigger)}`);
    // The Reset's own request went with the old flow (its HTTP answer never comes): not awaited.
    reset.then(() => {});
  });

  it('5. a second process with the same instance id does not join: error, status, its own stations served', async () => {
    const [a, b] = await start(['A', 'B']);
    const s1 = await connectAndBoot(station(a.csPort, 'S1'));
    const s2 = await connectAndBoot(station(b.csPort, 'S2'));
    clients.push(s1, s2);
    await until('S1 and S2 listed on B', async () => (await listedOn(b, 'S1')) && (await listedOn(b, 'S2')));
    const prefix = (await redis.command('KEYS', '*:alive:A')).match(/\n(\S+):alive:A/)[1];
    const [twin] = await start(['A'], { prefix });
    // Its own station is served.
    const s3 = await connectAndBoot(station(twin.csPort, 'S3'));
    clients.push(s3);
    const local = await twin.call('Reset', 'S3', { type: 'Soft' });
    assert.strictEqual(local.ok, true, JSON.stringify(local));
    // For 8 s (more than a reaper pass, every 6 s), calls between A and B keep reaching the right process.
    const end = Date.now() + 8000;
    let n = 0;
    while (Date.now() < end) {
      const ba = await b.call('Reset', 'S1', { type: 'Soft' });
      assert.strictEqual(ba.ok, true, `call ${n} from B to S1 on A: ${JSON.stringify(ba)}`);
      assert.strictEqual(ba.ocpp.instance, 'A');
      const ab = await a.call('Reset', 'S2', { type: 'Soft' });
      assert.strictEqual(ab.ok, true, `call ${n} from A to S2 on B: ${JSON.stringify(ab)}`);
      n += 1;
      await sleep(200);
    }
    await until('the twin says why it is not in the cluster', async () => /instance id A in use/.test((await twin.seen()).status), 5000);
    assert.match(twin.output(), /\[error\].*instance id A is used by another Node-RED process/);
    const held = await listedOn(b, 'S3');
    assert.ok(!held, `S3 is not announced by the twin: ${JSON.stringify(held)}`);
  });

  it('6. a burst of routed calls while the script cache is flushed and loaded concurrently: no call is published twice', async () => {
    const [a, b] = await start(['A', 'B']);
    const seen = new Map();
    const s2 = await connectAndBoot(
      station(b.csPort, 'S2', {
        Reset: ({ messageId }) => {
          seen.set(messageId, (seen.get(messageId) || 0) + 1);
          return { status: 'Accepted' };
        },
      })
    );
    clients.push(s2);
    await until('S2 listed on A', () => listedOn(a, 'S2'));
    const prefix = (await redis.command('KEYS', '*:alive:B')).match(/\n(\S+):alive:B/)[1];
    const channel = spy(redis.port, `${prefix}:i:B`);
    await channel.ready;
    // The route script vanishes (as after a restart) and is loaded again (as by another instance), over and over.
    const flusher = hammer(redis.port, ['SCRIPT', 'FLUSH'], ['SCRIPT', 'LOAD', engineScript('ROUTE')]);
    const outcomes = [];
    for (let round = 0; round < 4; round += 1) outcomes.push(...(await a.burst('Reset', 'S2', { type: 'Soft' }, 256)));
    const flushes = flusher.stop();
    await sleep(300); // the last publications reach the spy
    channel.stop();
    const ids = channel.messages.map((m) => JSON.parse(m)).filter((e) => e.t === 'call').map((e) => e.c.id);
    const twice = ids.filter((id, i) => ids.indexOf(id) !== i);
    const ok = outcomes.filter((o) => o.ok).length;
    const dupAtStation = [...seen.values()].filter((n) => n > 1).length;
    console.log(`      ${flushes} flushes, ${ids.length} published, ${ok} ok, ${twice.length} published twice, ${dupAtStation} seen twice by the station`);
    assert.deepStrictEqual(twice, [], `${twice.length} of ${ids.length} calls were published twice`);
    assert.ok(ok > 0, 'some calls went through');
    const failures = [...new Set(outcomes.filter((x) => !x.ok).map((o) => `${o.ocpp && o.ocpp.failure}: ${o.error}`))];
    // What may fail: a call whose script could not be run (ClusterUnavailable), or one past the holder's queue for the station.
    assert.ok(failures.every((f) => /^(ClusterUnavailable|QueueFull)/.test(f)), JSON.stringify(failures));
  });

  it('7. an instance stopped (SIGSTOP) past its liveness TTL takes its stations back when it resumes', async () => {
    const [a, b] = await start(['A', 'B']);
    const s1 = await connectAndBoot(station(a.csPort, 'S1'));
    clients.push(s1);
    await until('S1 listed on B', () => listedOn(b, 'S1'));
    const pid = await a.pid();
    process.kill(pid, 'SIGSTOP');
    stopped.push(pid);
    // The liveness key expires (10 s) and B's reaper removes A's entries.
    await until('S1 gone from B\'s list', async () => !(await listedOn(b, 'S1')), 25000);
    const prefix = (await redis.command('KEYS', '*:alive:B')).match(/\n(\S+):alive:B/)[1];
    await until('B\'s reaper removed A\'s entry', async () => /^:0/.test(await redis.command('HEXISTS', `${prefix}:stations`, 'S1')), 15000);
    process.kill(pid, 'SIGCONT');
    stopped = [];
    let last = null;
    await until('S1 reachable from B again', async () => {
      last = await b.call('Reset', 'S1', { type: 'Soft' });
      return last.ok;
    }, 12000).catch((e) => assert.fail(`${e.message}: ${JSON.stringify(last)}`));
    assert.strictEqual(last.ocpp.instance, 'A');
  });

  it('8. Redis restarted empty while a station reconnected: its new claim is not deleted by the old release', async () => {
    const [a, b] = await start(['A', 'B']);
    const first = await connectAndBoot(station(a.csPort, 'S1'));
    clients.push(first);
    await until('S1 listed on B', () => listedOn(b, 'S1'));
    const port = redis.port;
    await redis.stop();
    await until('A sees Redis gone', async () => /cluster unavailable/.test((await a.seen()).status), 5000);
    // The station reconnects to A during the outage: the old connection's release and the new claim wait.
    await first.close({ force: true });
    const second = await connectAndBoot(station(a.csPort, 'S1'));
    clients.push(second);
    redis = await startRedis(port);
    let last = null;
    await until('S1 reachable from B', async () => {
      last = await b.call('Reset', 'S1', { type: 'Soft' });
      return last.ok;
    }, 12000).catch((e) => assert.fail(`${e.message}: ${JSON.stringify(last)}`));
    // And it stays so (the queued release must not remove it afterwards).
    await sleep(1000);
    const again = await b.call('Reset', 'S1', { type: 'Soft' });
    assert.strictEqual(again.ok, true, JSON.stringify(again));
  });

  it('a CS server whose port is busy does not join the cluster (it binds first)', async () => {
    const busy = net.createServer();
    const port = await freePort();
    await new Promise((r) => busy.listen(port, r));
    try {
      const [c] = await start(['C'], { csPort: port });
      await until('the node says the port is in use', async () => /already in use/.test(c.output()), 5000);
      // For 3 s (more than a heartbeat), no trace of C in Redis.
      const end = Date.now() + 3000;
      while (Date.now() < end) {
        const keys = await redis.command('KEYS', '*');
        assert.doesNotMatch(keys, /:alive:C|:instances/, keys);
        await sleep(100);
      }
    } finally {
      busy.close();
    }
  });

  it('a subscription dropped silently (no FIN) is noticed and made again: the instance is reachable again', async () => {
    redis = await startRedis(await freePort());
    proxy = await tcpProxy(redis.port);
    const prefix = `p${Date.now().toString(36)}`;
    const a = await startInstance({ csPort: await freePort(), editorPort: await freePort(), redisPort: proxy.port, prefix, instance: 'A', timeout: 2 });
    instances.push(a);
    const [b] = await start(['B'], { prefix, timeout: 2 });
    const s1 = await connectAndBoot(station(a.csPort, 'S1'));
    clients.push(s1);
    await until('S1 listed on B', () => listedOn(b, 'S1'));
    assert.strictEqual((await b.call('Reset', 'S1', { type: 'Soft' })).ok, true);
    const frozen = proxy.freeze();
    assert.ok(frozen >= 2, `A's command and subscription connections frozen (${frozen})`);
    let last = null;
    await until('S1 reachable from B again', async () => {
      last = await b.call('Reset', 'S1', { type: 'Soft' });
      return last.ok;
    }, 25000).catch((e) => assert.fail(`${e.message}: ${JSON.stringify(last)}`));
    assert.strictEqual(last.ocpp.instance, 'A');
  });

  it('SOAP addresses in Redis: past the most entries, those heard of longest ago are forgotten, new ones kept', async () => {
    redis = await startRedis(await freePort());
    const script = engineScript('SOAP_ADDRESS');
    const keys = ['t:soap', 't:soap:seen'];
    // The engine's script, run by the real Redis with a limit of 3 instead of 100,000.
    const store = (cb, at) => redis.command('EVAL', script, 2, ...keys, cb, `http://${cb}/`, 3, 't:all', '{}', at);
    for (const [i, cb] of ['S1', 'S2', 'S3', 'S4'].entries()) await store(cb, 1000 + i);
    await store('S2', 2000); // heard of again: now the most recent
    await store('S5', 2001);
    const held = (await redis.command('HKEYS', 't:soap')).match(/S\d/g).sort();
    assert.deepStrictEqual(held, ['S2', 'S4', 'S5']);
    const seen = (await redis.command('ZRANGE', 't:soap:seen', 0, -1)).match(/S\d/g).sort();
    assert.deepStrictEqual(seen, held);
  });
});
