'use strict';
// What both soaks (bench/soak.js, bench/soak-cluster.js) use to drive their
// processes: a JSON request to a Node-RED's HTTP port, and the station pool
// (bench/soak-stations.js, a forked process answering one request at a time by
// sequence number).
const { fork, spawnSync } = require('child_process');
const fs = require('fs');
const http = require('http');
const path = require('path');
const { root } = require('./red');

/** One HTTP request with a JSON body (when given) to 127.0.0.1: `{status, text}`. */
function request(port, method, urlPath, body, headers = {}, timeoutMs = 120000) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? null : JSON.stringify(body);
    const req = http.request(
      { host: '127.0.0.1', port, path: urlPath, method, timeout: timeoutMs, headers: { Accept: 'application/json', ...(data ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {}), ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode, text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath}: timeout`)));
    req.on('error', reject);
    req.end(data || undefined);
  });
}

/**
 * Forks the station pool; resolves with `{pid, exited, ask(cmd, extra), kill()}` once it is ready.
 * `owned` (a Set), when given, holds the child while it runs, for a caller that kills what it started.
 */
function startPool(owned = null) {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, '..', 'soak-stations.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    if (owned) owned.add(child);
    const waiting = new Map();
    let seq = 0;
    child.on('message', (m) => {
      if (m.ready) return resolve(pool);
      const w = waiting.get(m.seq);
      if (!w) return;
      waiting.delete(m.seq);
      if (m.error) w.reject(new Error(`station pool: ${m.error}`));
      else w.resolve(m.reply);
    });
    child.on('exit', (code, signal) => {
      if (owned) owned.delete(child);
      pool.exited = { code, signal };
      for (const w of waiting.values()) w.reject(new Error(`station pool exited (${signal || code})`));
      waiting.clear();
    });
    child.on('error', reject);
    const pool = {
      pid: child.pid,
      exited: null,
      ask(cmd, extra = {}) {
        return new Promise((res, rej) => {
          if (pool.exited) return rej(new Error('station pool is gone'));
          waiting.set(++seq, { resolve: res, reject: rej });
          child.send({ cmd, seq, ...extra });
        });
      },
      kill() {
        if (!pool.exited) child.kill('SIGKILL');
      },
    };
  });
}

/**
 * The stations' answers both soak flows give (function node code, `cmd` and `now` in scope): the usual
 * answer to each action the stations send, and CALLERROR NotImplemented to any other.
 */
const ANSWER_BY_COMMAND = `switch (cmd) {
  case 'BootNotification': msg.payload = { status: 'Accepted', currentTime: now, interval: 300 }; break;
  case 'Heartbeat': msg.payload = { currentTime: now }; break;
  case 'MeterValues': case 'StatusNotification': msg.payload = {}; break;
  case 'Authorize': msg.payload = { idTagInfo: { status: 'Accepted' } }; break;
  default: msg.payload = { msgType: 4, ErrorCode: 'NotImplemented', ErrorDescription: 'the soak flow does not handle ' + cmd, ErrorDetails: {} };
}`;

/** The checkout a run measured: commit, branch, and when the addon in native/ was built. */
function engineVersion() {
  const git = (a) => (spawnSync('git', a, { cwd: root, encoding: 'utf8' }).stdout || '').trim();
  const addon = path.join(root, 'native', `ocpp-rs.${process.platform}-${process.arch}.node`);
  return { commit: git(['rev-parse', '--short', 'HEAD']), branch: git(['rev-parse', '--abbrev-ref', 'HEAD']), addon_built: fs.statSync(addon).mtime.toISOString() };
}

module.exports = { request, startPool, ANSWER_BY_COMMAND, engineVersion };
