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

module.exports = { startRedis, redisBinary };

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
