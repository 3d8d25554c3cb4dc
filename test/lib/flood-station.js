'use strict';
// A station in its own process that floods a Central System with malformed
// frames as fast as its socket takes them, for `ms` milliseconds, then waits
// for the CALLERROR each one is owed (until none came for 15 s). Prints {sent, answered} as JSON.
//   node test/lib/flood-station.js <ws url> <ms>
const WebSocket = require('ws');

const [url, ms] = process.argv.slice(2);
const ws = new WebSocket(url, ['ocpp1.6']);
let sent = 0;
let answered = 0;

ws.on('message', (data) => {
  const frame = JSON.parse(String(data));
  if (frame[0] === 4) answered += 1;
});

function finish() {
  process.stdout.write(`${JSON.stringify({ sent, answered })}\n`);
  ws.terminate();
  process.exit(0);
}

ws.on('open', () => {
  const stopAt = Date.now() + Number(ms);
  const frame = '[2,"x","Heartbeat",{"unterminated":';
  (function pump() {
    if (Date.now() >= stopAt) {
      // Until every frame is answered, or no answer came for 15 s: on a loaded machine
      // the CALLERRORs of 100,000 frames take longer than any fixed deadline, and
      // what counts is that none is lost, not how fast they come.
      let seen = answered;
      let quietSince = Date.now();
      (function wait() {
        if (answered !== seen) {
          seen = answered;
          quietSince = Date.now();
        }
        if (answered >= sent || Date.now() - quietSince > 15000) return finish();
        setTimeout(wait, 20);
      })();
      return;
    }
    // Only what the socket takes: a blocked socket blocks us, as it would a station.
    while (ws.bufferedAmount < 64 * 1024 && Date.now() < stopAt) {
      ws.send(frame);
      sent += 1;
    }
    setImmediate(pump);
  })();
});
ws.on('error', (e) => {
  process.stderr.write(`flood-station: ${e.message}\n`);
  process.exit(1);
});
