#!/usr/bin/env node
// Generates src/soap/tables.rs from the OCA WSDLs in src/soap/wsdl/: for each
// service, every operation with its request and response elements, and every
// type they use, fields in schema order with occurrence and value type.
//
//   node scripts/gen-soap-tables.js        (then `cargo fmt`)
//
// The WSDLs are well-formed and simple, so a small XML reader does.
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const SERVICES = [
  { id: 'CS15', file: 'ocpp_centralsystemservice_1.5_final.wsdl' },
  { id: 'CS16', file: 'OCPP_CentralSystemService_1.6.wsdl' },
  { id: 'CP15', file: 'ocpp_chargepointservice_1.5_final.wsdl' },
  { id: 'CP16', file: 'OCPP_ChargePointService_1.6.wsdl' },
];

// --- a minimal XML reader: elements, attributes, children (text ignored) ---
function parseXml(text) {
  text = text.replace(/<!--[\s\S]*?-->/g, '').replace(/<\?[\s\S]*?\?>/g, '');
  const rootNode = { name: '#root', attrs: {}, children: [] };
  const stack = [rootNode];
  const tag = /<(\/?)([\w:.-]+)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/g;
  let m;
  while ((m = tag.exec(text))) {
    const [, closing, name, attrText, selfClosing] = m;
    if (closing) {
      const open = stack.pop();
      if (open.name !== name) throw new Error(`mismatched </${name}> (open <${open.name}>)`);
      continue;
    }
    const attrs = {};
    for (const a of attrText.matchAll(/([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) attrs[a[1]] = a[2] !== undefined ? a[2] : a[3];
    const node = { name, attrs, children: [] };
    stack[stack.length - 1].children.push(node);
    if (!selfClosing) stack.push(node);
  }
  return rootNode;
}

const local = (qname) => qname.split(':').pop();
const all = (node, name) => node.children.filter((c) => local(c.name) === name);
const one = (node, name) => all(node, name)[0];
function walk(node, fn) {
  fn(node);
  node.children.forEach((c) => walk(c, fn));
}

// --- the schema model ---
const XSD = { string: 'Str', int: 'Int', integer: 'Int', long: 'Int', decimal: 'Decimal', float: 'Decimal', double: 'Decimal', boolean: 'Bool', dateTime: 'DateTime', anyURI: 'Str' };

function readService({ id, file }) {
  const doc = parseXml(fs.readFileSync(path.join(root, 'src', 'soap', 'wsdl', file), 'utf8'));
  const definitions = one(doc, 'definitions');
  const namespace = definitions.attrs.targetNamespace;
  const schema = one(one(definitions, 'types'), 'schema');
  const simple = {};
  const complex = {};
  const elements = {};
  for (const c of schema.children) {
    const kind = local(c.name);
    if (kind === 'simpleType') simple[c.attrs.name] = c;
    else if (kind === 'complexType') complex[c.attrs.name] = c;
    else if (kind === 'element') elements[c.attrs.name] = local(c.attrs.type);
  }
  const messages = {};
  for (const msg of all(definitions, 'message')) {
    const part = all(msg, 'part').find((p) => p.attrs.name === 'parameters');
    if (part) messages[msg.attrs.name] = local(part.attrs.element);
  }
  const portType = one(definitions, 'portType');
  const operations = all(portType, 'operation').map((op) => {
    const request = messages[local(one(op, 'input').attrs.message)];
    const response = messages[local(one(op, 'output').attrs.message)];
    return { name: op.attrs.name, request, requestType: elements[request], response, responseType: elements[response] };
  });
  return { id, namespace, simple, complex, operations };
}

// A simple type as a Rust `Ty` expression.
function simpleTy(svc, name) {
  if (XSD[name]) return XSD[name] === 'Str' ? 'Ty::Str(None)' : `Ty::${XSD[name]}`;
  const node = svc.simple[name];
  if (!node) throw new Error(`${svc.id}: unknown simple type ${name}`);
  const restriction = one(node, 'restriction');
  const enums = all(restriction, 'enumeration').map((e) => e.attrs.value);
  if (enums.length) return `Ty::Enum(&[${enums.map((e) => JSON.stringify(e)).join(', ')}])`;
  const max = one(restriction, 'maxLength');
  const base = local(restriction.attrs.base);
  if (max) return `Ty::Str(Some(${max.attrs.value}))`;
  return simpleTy(svc, base);
}

function rustName(svc, typeName) {
  return `${svc.id}_${typeName.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;
}

// Fields of a complex type; nested anonymous types get their own statics.
function fieldsOf(svc, node, name, out) {
  const fields = [];
  const sequence = one(node, 'sequence');
  const simpleContent = one(node, 'simpleContent');
  if (simpleContent) {
    // 1.5's meter value: text with attributes. JSON keeps OCPP-J's shape: `value` plus siblings.
    const ext = one(simpleContent, 'extension');
    fields.push(`Field { name: "value", ty: ${simpleTy(svc, local(ext.attrs.base))}, min: 1, many: false, place: Place::Text }`);
    for (const a of all(ext, 'attribute')) {
      fields.push(`Field { name: ${JSON.stringify(a.attrs.name)}, ty: ${simpleTy(svc, local(a.attrs.type))}, min: ${a.attrs.use === 'required' ? 1 : 0}, many: false, place: Place::Attribute }`);
    }
  }
  for (const el of sequence ? all(sequence, 'element') : []) {
    const min = el.attrs.minOccurs === undefined ? 1 : Number(el.attrs.minOccurs);
    const max = el.attrs.maxOccurs === undefined ? 1 : el.attrs.maxOccurs === 'unbounded' ? Infinity : Number(el.attrs.maxOccurs);
    let ty;
    if (el.attrs.type) {
      const t = local(el.attrs.type);
      ty = svc.complex[t] ? `Ty::Complex(${declare(svc, t, svc.complex[t], out)})` : simpleTy(svc, t);
    } else {
      const inline = one(el, 'complexType');
      ty = `Ty::Complex(${declare(svc, `${name}${el.attrs.name[0].toUpperCase()}${el.attrs.name.slice(1)}`, inline, out)})`;
    }
    fields.push(`Field { name: ${JSON.stringify(el.attrs.name)}, ty: ${ty}, min: ${min}, many: ${max > 1}, place: Place::Element }`);
  }
  return fields;
}

function declare(svc, typeName, node, out) {
  const ident = rustName(svc, typeName);
  if (!out.has(ident)) {
    out.set(ident, null);
    const fields = fieldsOf(svc, node, typeName, out);
    out.set(ident, `static ${ident}: &[Field] = &[\n${fields.map((f) => `    ${f},`).join('\n')}\n];`);
  }
  return ident;
}

function generate() {
  const statics = new Map();
  const services = [];
  for (const spec of SERVICES) {
    const svc = readService(spec);
    const ops = svc.operations.map((op) => {
      const req = declare(svc, op.requestType, svc.complex[op.requestType], statics);
      const res = declare(svc, op.responseType, svc.complex[op.responseType], statics);
      return `    Operation { name: ${JSON.stringify(op.name)}, request: ${JSON.stringify(op.request)}, request_fields: ${req}, response: ${JSON.stringify(op.response)}, response_fields: ${res} },`;
    });
    services.push(`pub static ${svc.id}: Table = Table {\n    namespace: ${JSON.stringify(svc.namespace)},\n    operations: &[\n${ops.join('\n')}\n    ],\n};`);
  }
  return [
    '//! Message tables of the OCPP 1.5 and 1.6 SOAP services, generated from the',
    '//! OCA WSDLs in `src/soap/wsdl/` by `scripts/gen-soap-tables.js`. Do not edit:',
    '//! run `node scripts/gen-soap-tables.js && cargo fmt` instead.',
    '',
    'use super::schema::{Field, Operation, Place, Table, Ty};',
    '',
    ...services.flatMap((s) => [s, '']),
    ...[...statics.values()].flatMap((s) => [s, '']),
  ].join('\n');
}

fs.writeFileSync(path.join(root, 'src', 'soap', 'tables.rs'), generate());
console.log('src/soap/tables.rs written');
