'use strict';
// The engine settles every call a request node makes (an OCPP-J CALL, a SOAP
// request) with one JSON text of three kinds:
//   {"id", "version"?, "result"}                          the peer answered
//   {"id", "callError": {code, description, details}}   it answered with a CALLERROR (SOAP: a Fault)
//   {"id", "failure", "message"}                          no answer: Timeout, NotConnected, Invalid, ...
// (a CS request JSON's outcome also has "translated": {from, to, version} when the command was
// written in the other OCPP version's words; the node copies it to msg.ocpp.translated.)
// `settleMsg` is the one place that turns it into what the flow sees, so the
// request nodes cannot drift apart in how an answer or an error looks.

// What each protocol's nodes put on the msg; the shapes are those of
// node-red-contrib-ocpp, whose flows read them.
const SHAPES = {
  // OCPP-J: the answer replaces msg.payload; msg.ocpp.msgType is 3 or 4 as in the frame.
  json: {
    answered(msg, ocpp, result) {
      msg.ocpp = Object.assign(ocpp, { msgType: 3 });
      msg.payload = { data: result };
    },
    callError(msg, ocpp, e) {
      msg.ocpp = Object.assign(ocpp, { msgType: 4, ErrorCode: e.code, ErrorDescription: e.description, ErrorDetails: e.details });
    },
    errorText: (peer, command, e) => `${peer} answered ${command} with CALLERROR ${e.code}${e.description ? `: ${e.description}` : ''}`,
    reason: (e) => e.code,
  },
  // SOAP: the answer goes into msg.payload.data, the msg's other payload properties kept.
  soap: {
    answered(msg, ocpp, result) {
      msg.ocpp = ocpp;
      if (msg.payload === null || typeof msg.payload !== 'object') msg.payload = {};
      msg.payload.data = result;
    },
    callError(msg, ocpp, e) {
      msg.ocpp = Object.assign(ocpp, { Fault: { code: e.code, reason: e.description } });
    },
    errorText: (peer, command, e) => `${peer} answered ${command} with a SOAP Fault (${e.code}): ${e.description}`,
    reason: () => 'SOAP Fault',
  },
};

/**
 * Puts the outcome of one call on the msg that made it.
 *
 * @param {object} outcome  the engine's outcome, parsed
 * @param {object} msg      the input msg: it goes on with the answer, or stays with the error for a Catch node
 * @param {object} how
 *   protocol  'json' or 'soap': the msg shape (see SHAPES)
 *   ocpp      msg.ocpp's fields for every outcome (MessageId, command, ...), in the order the msg shows them
 *   answered  optional fields msg.ocpp also gets with an answer (the CP client's websocket state)
 *   peer      who answered, for the error text ("CP-1", "the Central System", a URL)
 *   command   the action, for the error text
 *   station   the charge box id: msg.topic becomes "<station>/<command>" when the msg has no topic
 * @returns {null|{error: Error, shape: string, reason: string}} null when answered (send the msg on);
 *   otherwise the error for done(), and a red status's shape ('dot': the peer refused, 'ring': no answer)
 *   and short reason (the CALLERROR code, "SOAP Fault", or the failure) for nodes that show one.
 */
function settleMsg(outcome, msg, { protocol, ocpp, answered, peer, command, station }) {
  const shape = SHAPES[protocol];
  // Readable in the debug sidebar; a topic the flow set is its own.
  if (station && (msg.topic === undefined || msg.topic === '')) msg.topic = `${station}/${command}`;
  if ('result' in outcome) {
    shape.answered(msg, ocpp, outcome.result);
    if (answered) Object.assign(msg.ocpp, answered);
    return null;
  }
  if (outcome.callError) {
    shape.callError(msg, ocpp, outcome.callError);
    return { error: new Error(shape.errorText(peer, command, outcome.callError)), shape: 'dot', reason: shape.reason(outcome.callError) };
  }
  msg.ocpp = Object.assign(ocpp, { failure: outcome.failure });
  return { error: new Error(outcome.message), shape: 'ring', reason: outcome.failure };
}

module.exports = { settleMsg };
