// Loaded into the Node-RED that scripts/start.js runs (`node --require` this file):
// when start.js is gone without stopping it (killed with SIGKILL, say), Node-RED stops
// too (SIGTERM: it closes its flows and ports) instead of running on with no owner.
'use strict';
const owner = Number(process.env.OCPP_RS_START_PID);
if (owner && process.ppid === owner) {
  const timer = setInterval(() => {
    if (process.ppid !== owner) {
      clearInterval(timer);
      process.kill(process.pid, 'SIGTERM');
    }
  }, 500);
  timer.unref();
}
