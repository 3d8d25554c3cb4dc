'use strict';
// A real redis-server for the cluster tests: the Debian package (installed by
// `npm test`'s pretest when missing), started on a free port with no
// persistence, and stopped (or killed and started again) by the test.
const { spawn, spawnSync } = require('child_process');
const net = require('net');

function redisBinary() {
  for (const bin of ['redis-server', '/usr/bin/redis-server', '/usr/sbin/redis-server']) {
    if (spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0) return bin;
  }
  throw new Error('redis-server is not installed: `npm test` installs it on Debian as root; else apt-get install -y redis-server');
}

function ping(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => s.write('PING\r\n'));
    s.once('data', (d) => {
      s.destroy();
      resolve(String(d).startsWith('+PONG'));
    });
    s.once('error', () => resolve(false));
  });
}

// One command over RESP, for what the tests read (INFO, HGETALL).
function command(port, ...args) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let data = '';
    s.once('connect', () => s.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).join('')}`));
    s.on('data', (d) => {
      data += d;
      clearTimeout(s.timer);
      s.timer = setTimeout(() => {
        s.destroy();
        resolve(data);
      }, 50);
    });
    s.once('error', reject);
  });
}

async function startRedis(port) {
  const child = spawn(redisBinary(), ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  for (let i = 0; i < 100; i += 1) {
    if (await ping(port)) break;
    if (child.exitCode !== null) throw new Error(`redis-server did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
    // Total commands Redis processed so far.
    async commandsProcessed() {
      const info = await command(port, 'INFO', 'stats');
      return Number(/total_commands_processed:(\d+)/.exec(info)[1]);
    },
    command: (...args) => command(port, ...args),
  };
}

// RESP for one command.
const resp = (...args) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).join('')}`;

// Sends the commands in turn, the next each time Redis answers, on one
// connection, until stop(): e.g. SCRIPT FLUSH and SCRIPT LOAD in a loop, so a
// script appears and vanishes between the commands of other clients'
// pipelines, as after a restart while other instances load it.
function hammer(port, ...commands) {
  const s = net.connect(port, '127.0.0.1');
  let sent = 0;
  let running = true;
  const next = () => {
    s.write(resp(...commands[sent % commands.length]));
    sent += 1;
  };
  s.once('connect', next);
  s.on('data', () => {
    if (running) next();
  });
  s.on('error', () => {});
  return {
    stop() {
      running = false;
      s.destroy();
      return sent;
    },
  };
}

// Subscribes to `channel` and keeps every message published on it, as text.
function spy(port, channel) {
  const s = net.connect(port, '127.0.0.1');
  const messages = [];
  let buf = Buffer.alloc(0);
  const ready = new Promise((resolve) => {
    s.once('connect', () => s.write(resp('SUBSCRIBE', channel)));
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      // Parse complete `*3 $7 message $n channel $n payload` replies (and the subscribe confirmation).
      for (;;) {
        const parsed = parseArray(buf);
        if (!parsed) break;
        buf = buf.subarray(parsed.used);
        if (parsed.items[0] === 'subscribe') resolve();
        else if (parsed.items[0] === 'message') messages.push(parsed.items[2]);
      }
    });
  });
  s.on('error', () => {});
  return { ready, messages, stop: () => s.destroy() };
}

// One RESP array of bulk strings and integers from `buf`, or null while incomplete.
function parseArray(buf) {
  let pos = 0;
  const line = () => {
    const end = buf.indexOf('\r\n', pos);
    if (end < 0) return null;
    const text = buf.subarray(pos, end).toString();
    pos = end + 2;
    return text;
  };
  const head = line();
  if (head === null) return null;
  const n = Number(head.slice(1));
  const items = [];
  for (let i = 0; i < n; i += 1) {
    const h = line();
    if (h === null) return null;
    if (h[0] === ':') {
      items.push(Number(h.slice(1)));
      continue;
    }
    const len = Number(h.slice(1));
    if (buf.length < pos + len + 2) return null;
    items.push(buf.subarray(pos, pos + len).toString());
    pos += len + 2;
  }
  return { items, used: pos };
}

// The text of one of the engine's Lua scripts (src/cs/cluster/scripts.rs), as the instances load it.
function engineScript(name) {
  const text = require('fs').readFileSync(require('path').resolve(__dirname, '..', '..', 'src', 'cs', 'cluster', 'scripts.rs'), 'utf8');
  const m = new RegExp(`pub static ${name}: LazyLock<Lua> = LazyLock::new\\(\\|\\| \\{\\s*Lua::new\\(\\s*r#"([\\s\\S]*?)"#`).exec(text);
  if (!m) throw new Error(`no script ${name} in scripts.rs`);
  return m[1];
}

// A TCP proxy to Redis on a free port. freeze(): every connection open now goes
// silent both ways without closing (what a dropped NAT entry or a dead peer
// without a FIN looks like); connections made after pass normally.
async function tcpProxy(targetPort) {
  const conns = new Set();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    const c = { frozen: false };
    conns.add(c);
    client.on('data', (d) => c.frozen || upstream.write(d));
    upstream.on('data', (d) => c.frozen || client.write(d));
    const end = () => {
      conns.delete(c);
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) {
      s.on('close', end);
      s.on('error', end);
    }
    c.end = end;
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: server.address().port,
    freeze() {
      for (const c of conns) c.frozen = true;
      return conns.size;
    },
    stop() {
      for (const c of [...conns]) c.end();
      server.close();
    },
  };
}

module.exports = { startRedis, redisBinary, hammer, spy, engineScript, tcpProxy };

// HAProxy (the Debian package) with docs/cluster/haproxy.cfg, in front of the instances.
async function startHaproxy(bindPort, backends) {
  const path = require('path');
  const bin = ['haproxy', '/usr/sbin/haproxy'].find((b) => spawnSync('sh', ['-c', `command -v ${b} || test -x ${b}`]).status === 0);
  if (!bin) throw new Error('haproxy is not installed: `npm test` installs it on Debian as root; else apt-get install -y haproxy');
  const cfg = path.resolve(__dirname, '..', '..', 'docs', 'cluster', 'haproxy.cfg');
  const env = { ...process.env, OCPP_LB_BIND: `127.0.0.1:${bindPort}`, OCPP_CS_A: `127.0.0.1:${backends[0]}`, OCPP_CS_B: `127.0.0.1:${backends[1]}` };
  const child = spawn(bin, ['-db', '-f', cfg], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  for (let i = 0; i < 100; i += 1) {
    const up = await new Promise((resolve) => {
      const s = net.connect(bindPort, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (up) break;
    if (child.exitCode !== null) throw new Error(`haproxy did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port: bindPort,
    output: () => output,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

module.exports.startHaproxy = startHaproxy;
