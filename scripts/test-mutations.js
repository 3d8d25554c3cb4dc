#!/usr/bin/env node
// `npm run test:mutations` (not part of CI): proves that the tests named below can fail.
// Each entry breaks the feature its test is about with a text patch of the source (JavaScript
// where the issue allows, Rust where the behaviour lives only there, then `npm run build`),
// runs only that test (mocha, one file, one --grep), expects it to FAIL, restores the file,
// and at the end runs each test again on the restored code, expecting it to PASS.
//
//   node scripts/test-mutations.js              every mutation
//   node scripts/test-mutations.js --only 2,4   some of them (numbers from the table)
//   node scripts/test-mutations.js --no-recheck skip the runs on the restored code
//
// A Rust mutation costs two release builds (mutated, restored). The files are restored on
// exit, Ctrl-C included; if the process is killed hard, `git checkout src nodes` and
// `npm run build` undo it.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');

const MUTATIONS = [
  {
    what: '`server response` drops every answer',
    file: 'nodes/ocpp-server.js',
    from: 'const warning = addon.respond(String(msg.msgId), body === undefined ? null : body);',
    to: 'const warning = null; // MUTATION: the answer is dropped',
    test: 'test/interop-original.test.js',
    grep: "the original's CP client JSON completes a session with our CS server",
  },
  {
    what: '2.1 SEND: sendOneWay skipped, a fake id returned',
    file: 'nodes/ocpp-cp-json.js',
    from: 'const id = client.sendOneWay(String(command), body, messageId);',
    to: "const id = messageId || 'fake-send-id'; // MUTATION: nothing sent",
    test: 'test/ocpp2.test.js',
    grep: 'CP client JSON plays a 2.0.1 station against a strict ocpp-rpc CSMS, and a 2.1 one sends SEND',
  },
  {
    what: '`maxFrameKB` ignored (the 1 MB default applies)',
    file: 'nodes/ocpp-server.js',
    from: "options.number(config.maxFrameKB, 'Max frame size'",
    to: "options.number(undefined /* MUTATION */, 'Max frame size'",
    test: 'test/soap-limits.test.js',
    grep: 'a body under the limit is still read and answered after a refused one',
  },
  {
    what: 'a routed CALL whose holder stopped is sent again (once)',
    file: 'nodes/ocpp-server.js',
    from: 'outcome = JSON.parse(await addon.callStation(cbId, String(command), body, Math.round(timeoutMs), userId ? String(userId) : null));',
    to:
      'outcome = JSON.parse(await addon.callStation(cbId, String(command), body, Math.round(timeoutMs), userId ? String(userId) : null));' +
      ' if (outcome.failure && /may have stopped/.test(String(outcome.message))) outcome = JSON.parse(await addon.callStation(cbId, String(command), body, Math.round(timeoutMs), null)); // MUTATION: resent',
    test: 'test/cluster.test.js',
    grep: 'never sends a CALL twice',
  },
  {
    what: 'Close sent, socket dropped at once (no wait for the peer\'s Close)',
    file: 'src/ocppj/link.rs',
    from: 'while let Some(Ok(_)) = self.ws.next().await {}',
    to: '/* MUTATION: no wait for the peer\'s Close */',
    rust: true,
    test: 'test/close-handshake.test.js',
    grep: "closes with 1000 on LOCAL_DISCONNECT and waits for the station's Close",
  },
];

const args = process.argv.slice(2);
const onlyArg = args.includes('--only') ? args[args.indexOf('--only') + 1] : null;
const only = onlyArg ? new Set(onlyArg.split(',').map(Number)) : null;
const recheck = !args.includes('--no-recheck');

const originals = new Map(); // file -> its text before any mutation
function restoreAll() {
  for (const [file, text] of originals) fs.writeFileSync(path.join(root, file), text);
  originals.clear();
}
process.on('exit', restoreAll);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    restoreAll();
    console.error(`test-mutations: ${sig}: files restored; run \`npm run build\` if a Rust mutation was built`);
    process.exit(130);
  });
}

function run(cmd, cmdArgs) {
  return spawnSync('nice', ['-n', '5', cmd, ...cmdArgs], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
}

function build() {
  const t0 = Date.now();
  const r = run('npm', ['run', 'build']);
  if (r.status !== 0) throw new Error(`npm run build failed:\n${(r.stdout + r.stderr).slice(-3000)}`);
  return Math.round((Date.now() - t0) / 1000);
}

function mocha(m) {
  const bin = require.resolve('mocha/bin/mocha.js', { paths: [root] });
  const r = run(process.execPath, [bin, '--no-config', '--exit', '--timeout', '60000', '--node-option', 'expose-gc', m.test, '-g', m.grep]);
  const out = `${r.stdout}${r.stderr}`;
  const passing = Number((/(\d+) passing/.exec(out) || [0, 0])[1]);
  const failing = Number((/(\d+) failing/.exec(out) || [0, 0])[1]);
  // The first line of the failure's message, as mocha prints it.
  const tail = out.slice(out.indexOf(' failing'));
  const reason = (tail.split('\n').find((l) => /Error|not within|expected|!==/.test(l)) || '').trim();
  return { status: r.status, passing, failing, reason, out };
}

function mutate(m) {
  const file = path.join(root, m.file);
  const text = fs.readFileSync(file, 'utf8');
  const count = text.split(m.from).length - 1;
  if (count !== 1) throw new Error(`${m.file}: the text to mutate occurs ${count} times (expected once): ${m.from}`);
  if (!originals.has(m.file)) originals.set(m.file, text);
  fs.writeFileSync(file, text.replace(m.from, m.to));
}

function restore(m) {
  fs.writeFileSync(path.join(root, m.file), originals.get(m.file));
  originals.delete(m.file);
}

function main() {
  const chosen = MUTATIONS.map((m, i) => ({ ...m, n: i + 1 })).filter((m) => !only || only.has(m.n));
  const rows = [];
  let builtMutant = false;
  for (const m of chosen) {
    console.log(`test-mutations: ${m.n}. ${m.what} (${m.file}) -> ${m.test} -g "${m.grep}"`);
    mutate(m);
    let result;
    try {
      if (m.rust) console.log(`test-mutations:    npm run build (mutated): ${build()} s`);
      builtMutant = builtMutant || !!m.rust;
      result = mocha(m);
    } finally {
      restore(m);
    }
    const caught = result.failing > 0 && result.status !== 0;
    if (!caught && result.passing === 0) console.log(result.out.slice(-2000));
    rows.push({ ...m, mutated: caught ? `FAILS (expected): ${result.reason.slice(0, 110)}` : `NOT CAUGHT (${result.passing} passing, ${result.failing} failing)`, caught });
  }
  if (builtMutant) console.log(`test-mutations: npm run build (restored): ${build()} s`);
  if (recheck) {
    for (const row of rows) {
      const r = mocha(row);
      row.restored = r.status === 0 && r.passing > 0 && r.failing === 0 ? 'passes' : `FAILS: ${r.reason.slice(0, 110)}`;
      row.ok = row.caught && row.restored === 'passes';
    }
  } else {
    for (const row of rows) {
      row.restored = '(not run)';
      row.ok = row.caught;
    }
  }
  console.log('\n| # | mutation | file | test | mutated | restored |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.n} | ${r.what} | ${r.file} | ${r.test}: "${r.grep}" | ${r.mutated} | ${r.restored} |`);
  const bad = rows.filter((r) => !r.ok);
  console.log(`\ntest-mutations: ${rows.length - bad.length} of ${rows.length} mutations caught, tests pass again once restored`);
  return bad.length ? 1 : 0;
}

process.exitCode = main();
