'use strict';
// node.status() sends a message to every open editor. Under load a station
// message per status update would cost more than the message itself, so the
// latest status is shown at most every `everyMs`. `update(build)` defers even
// building the status object until it is shown.
function throttledStatus(node, everyMs = 500) {
  let latest = null;
  let build = null;
  let shown = null;
  let timer = null;
  const flush = () => {
    timer = null;
    if (build) {
      latest = build();
      build = null;
    }
    if (latest && latest !== shown && JSON.stringify(latest) !== JSON.stringify(shown)) {
      shown = latest;
      node.status(latest);
    }
  };
  const schedule = () => {
    if (!timer) {
      flush();
      timer = setTimeout(flush, everyMs);
    }
  };
  return {
    set(status) {
      latest = status;
      build = null;
      schedule();
    },
    update(builder) {
      build = builder;
      schedule();
    },
    stop() {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}

module.exports = { throttledStatus };
