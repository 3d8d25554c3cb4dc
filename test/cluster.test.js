'use strict';
// Several Node-RED processes on one real Redis act as one Central System
// (issue: a cluster through Redis). Each instance runs the same flow
// (test/lib/cluster-red.js); stations are ocpp-rpc clients in strict mode.
const assert = require('assert');
const { RPCClient } = require('ocpp-rpc');
const { freePort, sleep, refusedWith } = require('./lib/harness');
const { startRedis, startHaproxy } = require('./lib/redis');
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
// Who holds what, as `online` says it ([] while the list is empty: it then has no `stations`).
const holders = async (inst) => ((await online(inst)) || {}).stations || [];

describe('a Central System across Node-RED instances (Redis)', function () {
  this.timeout(120000);
  let redis;
  let instances = [];
  let clients = [];
  let lb = null;

  before(async () => {
    redis = await startRedis(await freePort());
  });
  after(async () => {
    if (redis) await redis.stop();
  });
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
    // docs/CLUSTER.md: the holder times the station out and replies; the caller gives up
    // GRACE after the timeout when no reply comes (the holder stopped).
    const TIMEOUT = 2000;
    const GRACE = 3000;
    // What a loaded 2-core machine adds to any deadline here, stated once.
    const MARGIN = 1500;
    instances = await startCluster(redis.port, ['A', 'B'], { timeout: TIMEOUT / 1000 });
    // The station reaches the cluster through HAProxy (docs/cluster/haproxy.cfg) and reconnects
    // through it, so a Reset sent again after its holder died could reach it on the survivor.
    lb = await startHaproxy(await freePort(), [instances[0].csPort, instances[1].csPort]);
    let resets = 0;
    const backoff = { initialDelay: 200, maxDelay: 500, factor: 1.5, randomisationFactor: 0.2 };
    const s2 = await connectAndBoot(
      station(lb.port, 'S2', {
        Reset: () => {
          resets += 1;
          return new Promise(() => {});
        },
        TriggerMessage: () => {
          const { createRPCError } = require('ocpp-rpc');
          throw createRPCError('NotSupported', 'not here');
        },
      }, { reconnect: true, maxReconnects: Infinity, backoff })
    );
    clients.push(s2);
    // Whichever instance HAProxy chose holds S2; the other one calls it.
    const where = await until('S2 listed', async () => (await holders(instances[0])).find((x) => x.cbId === 'S2'));
    const holder = instances.find((i) => i.instance === where.instance);
    const caller = instances.find((i) => i !== holder);
    await until('S2 listed on the caller', async () => ((await online(caller)) || { online: [] }).online.includes('S2'));
    const refused = await caller.call('TriggerMessage', 'S2', { requestedMessage: 'Heartbeat' });
    assert.strictEqual(refused.ok, false);
    assert.strictEqual(refused.ocpp.ErrorCode, 'NotSupported');
    assert.strictEqual(refused.ocpp.instance, holder.instance);
    let t0 = Date.now();
    const late = await caller.call('Reset', 'S2', { type: 'Soft' });
    let took = Date.now() - t0;
    assert.strictEqual(late.ocpp.failure, 'Timeout', JSON.stringify(late));
    assert.ok(took >= TIMEOUT - 100 && took < TIMEOUT + MARGIN, `timed out after ${took} ms (timeout ${TIMEOUT} ms)`);
    assert.strictEqual(resets, 1);

    // The holder dies once the station has the CALL: the caller gets a failure within the
    // timeout and its grace, and no instance sends it again, although the station is back
    // (through HAProxy, on the caller) before that failure comes.
    t0 = Date.now();
    const pending = caller.call('Reset', 'S2', { type: 'Hard' });
    await until('the station got the second Reset', async () => resets === 2, 5000);
    await holder.kill();
    const outcome = await pending;
    took = Date.now() - t0;
    assert.strictEqual(outcome.ok, false);
    assert.ok(['Timeout', 'ClusterUnavailable'].includes(outcome.ocpp.failure), JSON.stringify(outcome));
    assert.strictEqual(resets, 2, 'not sent again before the failure came');
    if (outcome.ocpp.failure === 'Timeout') {
      // No reply from a dead holder: the caller gives up GRACE after the timeout, not before.
      assert.match(outcome.error, /may have stopped/);
      assert.ok(took >= TIMEOUT + GRACE - 100, `the caller gave up after ${took} ms, before timeout ${TIMEOUT} + grace ${GRACE} ms`);
    }
    assert.ok(took < TIMEOUT + GRACE + MARGIN, `the caller gave up after ${took} ms (timeout ${TIMEOUT} + grace ${GRACE} ms)`);
    // A later marker: S2 answers a call on the survivor, so anything sent again would have arrived before it.
    const back = await until('S2 reachable on the survivor', async () => {
      const r = await caller.call('GetConfiguration', 'S2', {});
      return r.ok && r;
    }, 15000);
    assert.strictEqual(back.ocpp.instance, caller.instance);
    assert.strictEqual(resets, 2, 'the in-flight Reset reached the station once');
  });

  it('more routed requests waiting than maxPending: the rest fail at once with QueueFull', async () => {
    const MAX_PENDING = 2;
    instances = await startCluster(redis.port, ['A', 'B'], { maxPending: MAX_PENDING, timeout: 3 });
    const [a, b] = instances;
    let resets = 0;
    const s2 = await connectAndBoot(
      station(b.csPort, 'S2', {
        Reset: () => {
          resets += 1;
          return new Promise(() => {});
        },
      })
    );
    clients.push(s2);
    await until('S2 listed on A', async () => ((await online(a)) || { online: [] }).online.includes('S2'));
    const outcomes = await a.burst('Reset', 'S2', { type: 'Soft' }, 5);
    const failures = outcomes.map((o) => (o.ok ? 'ok' : o.ocpp && o.ocpp.failure)).sort();
    // MAX_PENDING went to B and timed out there; the others never left A.
    assert.deepStrictEqual(failures, ['QueueFull', 'QueueFull', 'QueueFull', 'Timeout', 'Timeout'], JSON.stringify(outcomes));
    assert.ok(resets >= 1 && resets <= MAX_PENDING, `the station got ${resets} Resets: only requests that left A can reach it`);
  });

  it('shared SOAP addresses: a station heard by one instance is called over SOAP from another', async () => {
    instances = await startCluster(redis.port, ['A', 'B'], { soap: true });
    const [a, b] = instances;
    // The station's own SOAP service (a charge point's endpoint), on loopback (allowed in the flow).
    const requests = [];
    const service = require('http').createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        requests.push(body);
        res.writeHead(200, { 'content-type': 'application/soap+xml; charset=utf-8' });
        res.end('<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:cp="urn://Ocpp/Cp/2015/10/"><soap:Body><cp:resetResponse><cp:status>Accepted</cp:status></cp:resetResponse></soap:Body></soap:Envelope>');
      });
    });
    await new Promise((r) => service.listen(0, '127.0.0.1', r));
    try {
      const from = `http://127.0.0.1:${service.address().port}/station`;
      // Not heard of yet: A has no address for it.
      const before = await a.soapCall('Reset', 'SOAP-1', { type: 'Soft' });
      assert.strictEqual(before.ok, false, JSON.stringify(before));
      assert.match(before.error, /no SOAP URL for SOAP-1/);
      // The station talks to B only, giving its address in WS-Addressing From.
      const heartbeat = await fetch(`http://127.0.0.1:${b.csPort}/ocpp16s`, {
        method: 'POST',
        headers: { 'content-type': 'application/soap+xml; charset=utf-8' },
        body: `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:cs="urn://Ocpp/Cs/2015/10/" xmlns:wsa="http://www.w3.org/2005/08/addressing"><soap:Header><cs:chargeBoxIdentity>SOAP-1</cs:chargeBoxIdentity><wsa:From><wsa:Address>${from}</wsa:Address></wsa:From><wsa:Action>/Heartbeat</wsa:Action><wsa:MessageID>hb-1</wsa:MessageID></soap:Header><soap:Body><cs:heartbeatRequest/></soap:Body></soap:Envelope>`,
      });
      assert.strictEqual(heartbeat.status, 200, await heartbeat.clone().text());
      assert.match(await heartbeat.text(), /heartbeatResponse/);
      // A calls it at that address (from Redis: A never heard the station).
      const r = await until('A reaches SOAP-1 at the address B heard', async () => {
        const x = await a.soapCall('Reset', 'SOAP-1', { type: 'Soft' });
        return x.ok ? x : null;
      }, 10000);
      assert.strictEqual(r.payload.data.status, 'Accepted', JSON.stringify(r));
      assert.strictEqual(r.ocpp.url, from);
      assert.strictEqual(requests.length, 1);
      assert.match(requests[0], /resetRequest/);
      assert.match(requests[0], /SOAP-1/);
    } finally {
      service.close();
    }
  });

  it('one station id on two instances: the newest connection wins and the old one closes', async () => {
    instances = await startCluster(redis.port, ['A', 'B']);
    const [a, b] = instances;
    const first = await connectAndBoot(station(a.csPort, 'TWIN'));
    const closed = new Promise((resolve) => first.once('close', resolve));
    clients.push(first);
    await until('TWIN on A', async () => (await holders(b)).some((s) => s.cbId === 'TWIN' && s.instance === 'A'));
    const second = await connectAndBoot(station(b.csPort, 'TWIN'));
    clients.push(second);
    const { code } = await Promise.race([closed, sleep(5000).then(() => ({ code: 'not closed' }))]);
    assert.strictEqual(code, 1000);
    await until('TWIN on B only', async () => {
      const list = await online(a);
      return list && list.stations.length === 1 && list.stations[0].instance === 'B';
    });
    // The old connection's release did not erase the new claim: A has reported the old
    // connection gone (its release was sent then), and B still holds TWIN afterwards.
    await until('A reported the old TWIN offline', async () => (await a.seen()).seen.some((m) => m.topic === 'TWIN/OFFLINE'));
    await until('TWIN still on B', async () => {
      const list = await online(a);
      return list && list.stations.length === 1 && list.stations[0].instance === 'B';
    });
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
    const needsPassword = (inst) => () => refusedWith(`ws://127.0.0.1:${inst.csPort}/ocpp/P1`, ['ocpp1.6']).then((status) => status === 401, () => false);
    await until('B refuses P1 without its password', needsPassword(b), 5000);
    const without = station(b.csPort, 'P1');
    await assert.rejects(without.connect(), /401|Unauthorized/);
    const withPassword = station(b.csPort, 'P1', {}, { password: 'secret-one' });
    clients.push(withPassword);
    await connectAndBoot(withPassword);

    // docs/CLUSTER.md: an instance that joins later gets the passwords too (from Redis).
    const c = await startInstance({ csPort: await freePort(), editorPort: await freePort(), redisPort: redis.port, prefix: a.prefix, instance: 'C' });
    instances.push(c);
    await until('C refuses P1 without its password', needsPassword(c), 10000);
    const late = station(c.csPort, 'P1', {}, { password: 'secret-one' });
    clients.push(late);
    await connectAndBoot(late);
  });

  it('a redeploy with a changed ocpp-cluster node starts a new membership under the new id', async () => {
    instances = await startCluster(redis.port, ['A', 'B']);
    const [a, b] = instances;
    const base = `http://127.0.0.1:${a.editorPort}`;
    const flows = await (await fetch(`${base}/flows`)).json();
    flows.find((n) => n.type === 'ocpp-cluster').instance = 'A2';
    const res = await fetch(`${base}/flows`, { method: 'POST', headers: { 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'full' }, body: JSON.stringify(flows) });
    assert.strictEqual(res.status, 204);
    // Its flows are back (its HTTP routes answer again) and it answers the online list from Redis.
    await until('A is a member again', async () => (await online(a).catch(() => null)) !== null);
    const s1 = await connectAndBoot(station(a.csPort, 'S1'));
    clients.push(s1);
    await until('S1 held by A2', async () => (await holders(b)).some((x) => x.cbId === 'S1' && x.instance === 'A2'));
    const r = await b.call('Reset', 'S1', { type: 'Soft' });
    assert.strictEqual(r.ocpp.instance, 'A2', JSON.stringify(r));
    assert.doesNotMatch(a.output(), /already runs cluster/);
  });
});
