'use strict';
// Node set "ocpp-server", named as in node-red-contrib-ocpp so flows and
// palette settings carry over.
module.exports = function (RED) {
  require('./lib/cs-server')(RED);
  require('./lib/server-response')(RED);
  require('./lib/cs-request-json')(RED);
};
