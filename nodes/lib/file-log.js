'use strict';
// The original's optional log file (config `log` + `pathlog`): one line per
// entry, `date \t node: label \t type: T \t data: D`. Writes go through one
// append stream, so entries keep their order.
const fs = require('fs');
const os = require('os');

function fileLogger(node, config, label) {
  if (!config.log || typeof config.pathlog !== 'string' || config.pathlog.trim() === '') return null;
  let stream = fs.createWriteStream(config.pathlog, { flags: 'a' });
  stream.on('error', (err) => {
    node.error(`cannot write the log file ${config.pathlog}: ${err.message}; logging is off`);
    stream = null;
  });
  return {
    log(type, data) {
      if (!stream) return;
      const text = typeof data === 'string' ? data : JSON.stringify(data);
      stream.write(`${new Date().toLocaleString()} \t node: ${label} \t type: ${type} \t data: ${String(text).replace(/[\r\n]/g, '')} ${os.EOL}`);
    },
    close() {
      if (stream) stream.end();
      stream = null;
    },
  };
}

module.exports = { fileLogger };
