'use strict';
// Node set "ocpp-cp-json", named as in node-red-contrib-ocpp.
module.exports = function (RED) {
  require('./lib/cp-client-json')(RED);
};
