'use strict';
// What bench/run.js and bench/soak.js share: a Node-RED of its own in a
// temporary userDir (settings, start, stop), and /proc and network helpers.
// Node built-ins only.
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const http = require('http');
const net = require('net');
const os = require('os');
const path = require('path');

const root = path.resolve(__dirname, '..', '..');

/** settings.js for a bench Node-RED: `nodesDir` (array or null) and the denyList `deny` (array). */
function settingsJs({ nodesDir = null, deny = [], more = '' }) {
  // Node-RED scans every node_modules folder above its own install, so both
  // packages would load in one process and register the same type names. Each
  // process denies the other package (the denyList applies to loading, see
  // @node-red/registry/lib/localfilesystem.js), and ours comes from the repo
  // root through nodesDir. The bench logger forwards the registry's start-up
  // messages, so the log shows what was skipped.
  return `'use strict';
let startup = true;
module.exports = {
  uiHost: '127.0.0.1',
  flowFile: 'flows.json',
  credentialSecret: false,
  ${nodesDir ? `nodesDir: ${JSON.stringify(nodesDir)},` : ''}
  externalModules: { palette: { allowInstall: false, denyList: ${JSON.stringify(deny)} }, modules: { allowInstall: false } },
  diagnostics: { enabled: false, ui: false },
  runtimeState: { enabled: false, ui: false },
  telemetry: { enabled: false, updateNotification: false },
  editorTheme: { projects: { enabled: false }, tours: false },
  ${more}
  logging: {
    console: { level: 'warn', metrics: false, audit: false },
    bench: {
      level: 'debug', metrics: false, audit: false,
      handler: () => (msg) => {
        if (!startup && msg.level > 30 && msg.level !== 40) return;
        const text = String(msg.msg && msg.msg.stack ? msg.msg.stack : msg.msg);
        if (!startup && msg.level === 40 && !/Stopping flows|Stopped flows/.test(text)) return;
        if (/Started flows/.test(text)) startup = false;
        if (msg.level <= 40 || /denyList|Module:/.test(text)) {
          console.log('[bench-log] ' + text.split('\\n')[0]);
        }
      },
    },
  },
};
`;
}

// ---------------------------------------------------------------- /proc helpers
const CLK_TCK = Number((spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout || '100').trim()) || 100;

function rssKb(pid) {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch (_) {
    return null;
  }
}
function procCpuS(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK; // utime, stime
  } catch (_) {
    return null;
  }
}
function systemBusyS() {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  return (f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] || 0)) / CLK_TCK;
}
function nofileLimit(pid) {
  try {
    const m = /Max open files\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/limits`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch (_) {
    return null;
  }
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- network helpers
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function portOpen(port) {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    sock.setTimeout(1000);
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
    sock.once('timeout', () => {
      sock.destroy();
      resolve(false);
    });
  });
}

function getJson(port, urlPath) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, headers: { Accept: 'application/json' }, timeout: 10000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => {
        try {
          resolve(JSON.parse(body));
        } catch (e) {
          reject(new Error(`GET ${urlPath}: ${res.statusCode} ${body.slice(0, 200)}`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${urlPath}: timeout`)));
    req.on('error', reject);
  });
}

// ---------------------------------------------------------------- Node-RED
const children = new Set();
const userDirs = new Set();

/**
 * Starts Node-RED in a temporary userDir with `flow(ocppPort)` and the text `settings`
 * (settingsJs), resolves once the OCPP port accepts connections. `key` names the
 * userDir and the process title; `onLine(line)`, when given, sees every output line.
 */
async function startRed({ key, flow, settings, onLine = null, runtime = null }) {
  const ocppPort = await freePort();
  const uiPort = await freePort();
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), `ocpp-bench-${key}-`));
  userDirs.add(userDir);
  const flowsFile = path.join(userDir, 'flows.json');
  const settingsFile = path.join(userDir, 'settings.js');
  fs.writeFileSync(flowsFile, JSON.stringify(flow(ocppPort), null, 2));
  fs.writeFileSync(settingsFile, settings);
  // `runtime` ({nodeBin, redDir}): another Node and Node-RED (bench/soak.js --node-red-5).
  const red = runtime ? path.join(runtime.redDir, 'red.js') : require.resolve('node-red/red.js', { paths: [root] });
  const nodeBin = runtime ? runtime.nodeBin : process.execPath;
  // `exec` keeps one pid: the one we sample is Node-RED itself.
  const script = 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"';
  // --title: a broad \`pkill node-red\` elsewhere on the machine must not stop a run.
  // OCPP_BENCH_NODE_ARGS: extra Node.js flags for Node-RED, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = (process.env.OCPP_BENCH_NODE_ARGS || '').split(' ').filter(Boolean);
  const child = spawn('bash', ['-c', script, nodeBin, ...nodeArgs, red, '--title', `ocpp-bench-${key}`, '--userDir', userDir, '--port', String(uiPort), '--settings', settingsFile, flowsFile], {
    cwd: userDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  children.add(child);
  let log = '';
  let partial = '';
  const keep = (d) => {
    log += d;
    if (log.length > 200000) log = log.slice(-100000);
    if (onLine) {
      const lines = (partial + d).split('\n');
      partial = lines.pop();
      for (const line of lines) onLine(line);
    }
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exit = null;
  const exited = new Promise((r) =>
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      children.delete(child);
      r();
    }),
  );
  const handle = {
    pid: child.pid,
    ocppPort,
    uiPort,
    userDir,
    log: () => log,
    exit: () => exit,
    async stop() {
      if (!exit) {
        child.kill('SIGTERM');
        await Promise.race([exited, sleep(15000)]);
        if (!exit) {
          child.kill('SIGKILL');
          await Promise.race([exited, sleep(5000)]);
        }
      }
      fs.rmSync(userDir, { recursive: true, force: true });
      userDirs.delete(userDir);
    },
  };
  const t0 = Date.now();
  const until = t0 + 60000;
  for (;;) {
    if (exit) throw Object.assign(new Error(`Node-RED exited during start-up (${JSON.stringify(exit)})`), { handle });
    if (await portOpen(ocppPort)) break;
    if (Date.now() > until) throw Object.assign(new Error(`the OCPP port ${ocppPort} did not open within 60 s`), { handle });
    await sleep(200);
  }
  handle.startMs = Date.now() - t0;
  return handle;
}

/** The machine, and the Node and Node-RED a run used (`runtime`: see startRed). */
function machine(runtime = null) {
  const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  const meminfo = fs.readFileSync('/proc/meminfo', 'utf8');
  const first = (re, text) => ((re.exec(text) || [])[1] || '').trim();
  const cmd = (c, a) => (spawnSync(c, a, { encoding: 'utf8' }).stdout || '').trim();
  return {
    nproc: Number(cmd('nproc', [])) || os.cpus().length,
    cpu_model: first(/model name\s*:\s*(.*)/, cpuinfo) || os.cpus()[0].model,
    cpu_mhz: Number(first(/cpu MHz\s*:\s*(.*)/, cpuinfo)) || null,
    memory_gb: Math.round(Number(first(/MemTotal:\s*(\d+)/, meminfo)) / 1024 / 1024),
    kernel: `${os.type()} ${os.release()}`,
    node: runtime ? runtime.nodeVersion : process.version,
    node_red: runtime ? runtime.redVersion : require(require.resolve('node-red/package.json', { paths: [root] })).version,
    rustc: cmd('rustc', ['--version']),
    nofile_hard: Number(cmd('bash', ['-c', 'ulimit -Hn'])) || null,
  };
}

/** Open file descriptors of a process (entries of /proc/<pid>/fd), null when gone. */
function fdCount(pid) {
  try {
    return fs.readdirSync(`/proc/${pid}/fd`).length;
  } catch (_) {
    return null;
  }
}

/** Kills the Node-RED processes still running (SIGKILL) and removes their userDirs. */
function cleanup() {
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch (_) {
      /* gone */
    }
  }
  for (const d of userDirs) fs.rmSync(d, { recursive: true, force: true });
}

module.exports = { root, settingsJs, CLK_TCK, rssKb, procCpuS, systemBusyS, nofileLimit, fdCount, sleep, freePort, portOpen, getJson, children, userDirs, startRed, machine, cleanup };
