'use strict';
// `npm start` (scripts/start.js): a signal to it, or its parent (npm) going away, stops
// the Node-RED it started, so nothing keeps the editor and demo ports.
const assert = require('assert');
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');
const { freePort, sleep, red } = require('./lib/harness');

const START = path.join(__dirname, '..', 'scripts', 'start.js');

// A process that has exited (a zombie not yet reaped counts as gone).
function alive(pid) {
  try {
    process.kill(pid, 0);
  } catch (_) {
    return false;
  }
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1][0] !== 'Z';
  } catch (_) {
    return false;
  }
}

const childrenOf = (pid) =>
  fs
    .readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map(Number);

async function until(what, pred, ms = 20000) {
  const t0 = Date.now();
  while (!(await pred())) {
    if (Date.now() - t0 > ms) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(100);
  }
}

const get = (port) =>
  new Promise((resolve) => {
    http
      .get({ host: '127.0.0.1', port, path: '/' }, (res) => {
        res.resume();
        resolve(res.statusCode);
      })
      .on('error', () => resolve(null));
  });

// Some process listens on the port (read from /proc/net/tcp*, which a connect
// attempt could not tell from a TCP self-connect on an ephemeral port).
function listening(port) {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/tcp', '/proc/net/tcp6'].some((file) => {
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (_) {
      return false;
    }
    return text
      .split('\n')
      .slice(1)
      .some((line) => {
        const cols = line.trim().split(/\s+/);
        return cols.length > 3 && cols[1].endsWith(`:${hex}`) && cols[3] === '0A';
      });
  });
}

const cmdline = (pid) => {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch (_) {
    return [];
  }
};
const descendants = (pid) => childrenOf(pid).flatMap((c) => [c, ...descendants(c)]);

// Runs start.js on free ports with a fresh user directory, directly or as `npm start` in a
// package whose start script runs it (npm runs it through `sh -c`, as it does ours); resolves
// once the editor answers and the demo's Central System listens.
async function startIt({ viaNpm = false } = {}) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ocpp-start-'));
  const userDir = path.join(tmp, 'user');
  const ports = { editor: await freePort(), cs: await freePort(), soap: await freePort() };
  const env = {
    ...process.env,
    PORT: String(ports.editor),
    OCPP_RS_USER_DIR: userDir,
    OCPP_DEMO_CS_PORT: String(ports.cs),
    OCPP_DEMO_SOAP_PORT: String(ports.soap),
    // The Node-RED the other tests run on.
    OCPP_RS_NODE_RED: red,
  };
  let proc;
  if (viaNpm) {
    const pkg = { name: 'start-probe', version: '1.0.0', private: true, scripts: { start: `node ${JSON.stringify(START)}` } };
    fs.writeFileSync(path.join(tmp, 'package.json'), JSON.stringify(pkg));
    proc = spawn('npm', ['start'], { cwd: tmp, env, stdio: ['ignore', 'pipe', 'pipe'] });
  } else {
    proc = spawn(process.execPath, [START], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  }
  let output = '';
  proc.stdout.on('data', (d) => (output += d));
  proc.stderr.on('data', (d) => (output += d));
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  try {
    await until('the editor answers', async () => (await get(ports.editor)) === 200, 30000);
    await until('the demo Central System listens', () => listening(ports.cs), 10000);
  } catch (err) {
    for (const pid of [...descendants(proc.pid), proc.pid]) process.kill(pid, 'SIGKILL');
    throw new Error(`${err.message}\n${output}`);
  }
  const startPid = viaNpm ? descendants(proc.pid).find((pid) => cmdline(pid).includes(START)) : proc.pid;
  const [redPid] = childrenOf(startPid);
  assert.ok(redPid && alive(redPid), `no Node-RED under start.js (${startPid}):\n${output}`);
  const all = [...descendants(proc.pid), proc.pid];
  return {
    proc,
    startPid,
    redPid,
    all,
    ports,
    exited,
    output: () => output,
    cleanup() {
      for (const pid of all) if (alive(pid)) process.kill(pid, 'SIGKILL');
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}

async function assertAllGone(run) {
  await until(`start.js (${run.startPid}) exits`, () => !alive(run.startPid));
  await until(`Node-RED (${run.redPid}) exits`, () => !alive(run.redPid));
  // A process whose main thread is a zombie can still be tearing down its other threads
  // and, with them, its sockets: give the ports a moment.
  await until('the editor port closes', () => !listening(run.ports.editor), 5000);
  await until('the demo Central System port closes', () => !listening(run.ports.cs), 5000);
}

describe('npm start (scripts/start.js) stops its Node-RED', function () {
  this.timeout(60000);
  before(function () {
    // Child processes are read from /proc.
    if (process.platform !== 'linux') this.skip();
  });

  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
    it(`on ${signal}`, async () => {
      const run = await startIt();
      try {
        process.kill(run.startPid, signal);
        const { code } = await run.exited;
        assert.strictEqual(code, 0, run.output());
        await assertAllGone(run);
        assert.match(run.output(), /Stopped flows/);
      } finally {
        run.cleanup();
      }
    });
  }

  // npm passes SIGINT and SIGTERM on to the script; a SIGHUP or a SIGKILL to npm leaves
  // the shell it ran the script with, and that shell's children, to themselves.
  for (const signal of ['SIGTERM', 'SIGHUP', 'SIGKILL']) {
    it(`when npm start's npm gets ${signal}`, async () => {
      const run = await startIt({ viaNpm: true });
      try {
        process.kill(run.proc.pid, signal);
        await run.exited;
        await assertAllGone(run);
        for (const pid of run.all) assert.strictEqual(alive(pid), false, `${cmdline(pid).join(' ')} (${pid}) is still running`);
      } finally {
        run.cleanup();
      }
    });
  }

  it('when start.js itself is killed with SIGKILL', async () => {
    const run = await startIt();
    try {
      process.kill(run.startPid, 'SIGKILL');
      await run.exited;
      await until(`Node-RED (${run.redPid}) exits`, () => !alive(run.redPid));
      await until('the editor port closes', () => !listening(run.ports.editor), 5000);
    } finally {
      run.cleanup();
    }
  });
});
