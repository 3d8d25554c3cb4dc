'use strict';
// The suite's bounded wait: polls `fn` every 100 ms until it returns something truthy
// (returned), or fails after `ms` naming `what` and the last value seen.
async function until(what, fn, ms = 10000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not within ${ms} ms: ${what}; last: ${JSON.stringify(last)}`);
}

module.exports = { until };
