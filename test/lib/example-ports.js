'use strict';
// The ports the example flows (examples/*.json) listen on and connect to, read
// from the flows themselves so an example added later is covered too: every
// CS server's and CP server SOAP's port (a number, or with portType "env" the
// default of the tab's environment variable, as the demo writes it:
// `$env("OCPP_DEMO_CS_PORT") ? $env("OCPP_DEMO_CS_PORT") : "8834"`), and the
// ports of the Central System URLs its stations connect to.
const fs = require('fs');
const path = require('path');

const EXAMPLES = path.join(__dirname, '..', '..', 'examples');
const SERVERS = new Set(['CS server', 'CP server SOAP']);

function exampleFiles() {
  return fs.readdirSync(EXAMPLES).filter((f) => f.endsWith('.json')).sort();
}

function readExample(file) {
  return JSON.parse(fs.readFileSync(path.join(EXAMPLES, file), 'utf8'));
}

// A tab's environment variable as the flow gives it by default (none set).
function tabEnv(flow, tabId, name) {
  const tab = flow.find((n) => n.id === tabId);
  const entry = tab && (tab.env || []).find((e) => e.name === name);
  if (!entry) return undefined;
  if (entry.type === 'jsonata') {
    // `$env("X") ? $env("X") : "8834"`: the fallback is the last quoted value.
    const quoted = entry.value.match(/"([^"]*)"\s*$/);
    return quoted ? quoted[1] : undefined;
  }
  if (entry.type === 'env') return entry.value.replace(/\$\{(\w+)\}/g, (_, v) => tabEnv(flow, tabId, v) || '');
  return String(entry.value);
}

// [{node, name, port}] for each server node of the flow that listens.
function listeningPorts(flow) {
  const out = [];
  for (const node of flow.filter((n) => SERVERS.has(n.type) && n.d !== true)) {
    const raw = node.port || node.prot;
    const value = node.portType === 'env' ? tabEnv(flow, node.z, raw) : raw;
    const port = Number(value);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${node.type} ${node.id}: port ${JSON.stringify(raw)} is not a port (${value})`);
    out.push({ node: node.id, name: node.name, port });
  }
  return out;
}

// The ports of ws:// and http:// URLs written in the flow (the Central
// Systems its stations connect to, control msgs' csmsUrl), by default.
function urlPorts(flow) {
  const ports = new Set();
  for (const node of flow) {
    const text = JSON.stringify(node).replace(/\$\{(\w+)\}/g, (_, v) => tabEnv(flow, node.z || node.id, v) || '');
    for (const m of text.matchAll(/(?:wss?|https?):\/\/[\w.[\]:-]*?:(\d{2,5})\b/g)) ports.add(Number(m[1]));
  }
  return ports;
}

module.exports = { EXAMPLES, exampleFiles, readExample, listeningPorts, urlPorts, tabEnv };
