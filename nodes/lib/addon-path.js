'use strict';
// Where the engine's addon for this platform lives. One place, used by the
// loader and the build script alike.
const path = require('path');

function platformKey(platform = process.platform, arch = process.arch) {
  return `${platform}-${arch}`;
}

function addonPath(platform, arch) {
  return path.join(__dirname, '..', '..', 'native', `ocpp-rs.${platformKey(platform, arch)}.node`);
}

module.exports = { addonPath, platformKey };
