'use strict';
// The original's optional log file (config `log` + `pathlog`): one line per
// entry, `date \t node: label \t type: T \t data: D`. Writes go through one
// append stream, so entries keep their order.
//
// Bounded, unlike the original's: the file is rotated to `<path>.1` when it
// passes `logMaxMB` (default 10), so the log uses at most twice that on disk;
// and when the disk cannot keep up, entries are dropped (and counted) rather
// than queued in memory without limit.
const fs = require('fs');
const os = require('os');
const options = require('./options');

const DEFAULT_MAX_MB = 10;
// Entries waiting for the disk beyond this are dropped.
const MAX_PENDING_BYTES = 1 << 20;

function maxBytes(config) {
  return options.number(config.logMaxMB, 'Log max size (MB)', { min: 0.01, max: 100000, fallback: DEFAULT_MAX_MB }) * 1048576;
}

function fileLogger(node, config, label) {
  if (!config.log || typeof config.pathlog !== 'string' || config.pathlog.trim() === '') return null;
  const file = config.pathlog;
  let limit;
  try {
    limit = maxBytes(config);
  } catch (err) {
    // The node itself runs; only its log file stays off, and the user is told why.
    node.error(`the log file ${file} is off: ${err.message}`);
    return null;
  }
  let stream = null;
  let size = 0;
  let dropped = 0;

  function failed(err) {
    node.error(`cannot write the log file ${file}: ${err.message}; logging is off`);
    stream = null;
  }

  // Opened synchronously, so a rotation right after renames a file that exists
  // and the entries already written go on into the renamed file.
  function open() {
    let fd;
    try {
      fd = fs.openSync(file, 'a');
      size = fs.fstatSync(fd).size;
    } catch (err) {
      failed(err);
      return;
    }
    stream = fs.createWriteStream(null, { fd });
    stream.on('error', failed);
  }

  function rotate() {
    const old = stream;
    old.end();
    try {
      fs.renameSync(file, `${file}.1`);
    } catch (err) {
      node.warn(`cannot rotate the log file ${file}: ${err.message}`);
    }
    open();
  }

  open();
  return {
    log(type, data) {
      if (!stream) return;
      if (stream.writableLength > MAX_PENDING_BYTES) {
        if (dropped++ === 0) node.warn(`the log file ${file} cannot keep up; dropping entries until it does`);
        return;
      }
      if (dropped > 0) {
        stream.write(`${new Date().toLocaleString()} \t node: ${label} \t type: info \t data: ${dropped} entries dropped ${os.EOL}`);
        dropped = 0;
      }
      const text = typeof data === 'string' ? data : JSON.stringify(data);
      const line = `${new Date().toLocaleString()} \t node: ${label} \t type: ${type} \t data: ${String(text).replace(/[\r\n]/g, '')} ${os.EOL}`;
      stream.write(line);
      size += Buffer.byteLength(line);
      if (size >= limit) rotate();
    },
    close() {
      if (stream) stream.end();
      stream = null;
    },
  };
}

module.exports = { fileLogger, DEFAULT_MAX_MB };
