'use strict';
// node.status() sends a message to every open editor. Under load a station
// message per status update would cost more than the message itself, so the
// latest status is shown at most every `everyMs`.
function throttledStatus(node, everyMs = 500) {
  let latest = null;
  let shown = null;
  let timer = null;
  const flush = () => {
    timer = null;
    if (latest && latest !== shown) {
      shown = latest;
      node.status(latest);
    }
  };
  return {
    set(status) {
      latest = status;
      if (!timer) {
        flush();
        timer = setTimeout(flush, everyMs);
      }
    },
    stop() {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}

module.exports = { throttledStatus };
