// Differential test cases for the Rust validator (see `against_ajv` in
// src/schema/tests.rs): for every schema, random valid payloads and single mutations of
// them, judged by ajv as ocpp-rpc (a devDependency) sets it up. Writes JSON
// lines to stdout. Run from the package root after `npm install`:
//   node tests/schema-diff-ajv.js > /tmp/cases.jsonl
// Env: N (payloads per schema, default 20), SEED (default 1), PACKAGE_ROOT.
// Generated date-times stay within RFC 3339 proper: ajv-formats also accepts
// a space for `T` and offsets without a colon, which the Rust side refuses.
const fs = require('fs');
const path = require('path');
// PACKAGE_ROOT: where node_modules is, if not this checkout (a git worktree).
const root = process.env.PACKAGE_ROOT || path.resolve(__dirname, '..');
// ocpp-rpc's own set-up (ajv + ajv-formats, and a multipleOf with a
// rounding tolerance, since plain ajv finds 19876.9 not a multiple of 0.1).
const { createValidator } = require(path.join(root, 'node_modules/ocpp-rpc/lib/validator'));

let seed = Number(process.env.SEED || 1);
function rnd() { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x80000000; }
const ri = (a, b) => a + Math.floor(rnd() * (b - a + 1));
const pick = (xs) => xs[Math.floor(rnd() * xs.length)];

const files = { V16: 'ocpp1_6.json', V201: 'ocpp2_0_1.json', V21: 'ocpp2_1.json' };
const N = Number(process.env.N || 20);
const CHARS = 'abcXYZ019 -_.é€😀';

function resolve(s, root) {
  while (s.$ref) s = root.definitions[s.$ref.split('/').pop()];
  return s;
}
function str(s) {
  if (s.enum) return pick(s.enum);
  if (s.format === 'date-time') {
    const y = ri(1970, 2099), mo = ri(1, 12), d = ri(1, 28), h = ri(0, 23), mi = ri(0, 59), se = ri(0, 59);
    const p = (n, w = 2) => String(n).padStart(w, '0');
    const frac = pick(['', '.1', '.123', '.123456']);
    const off = pick(['Z', 'z', '+01:00', '-05:30', '+00:00']);
    return `${y}-${p(mo)}-${p(d)}${pick(['T', 't'])}${p(h)}:${p(mi)}:${p(se)}${frac}${off}`;
  }
  if (s.format === 'uri') return pick(['ftp://a.example.com/x', 'https://h:8443/p?q=1#f', 'urn:x:y', 'sftp://u:p@10.0.0.1/logs/']);
  const max = s.maxLength ?? 30;
  const len = ri(s.minLength ?? 0, Math.min(max, 30));
  let out = [];
  const cs = [...CHARS];
  for (let i = 0; i < len; i++) out.push(pick(cs));
  return out.join('');
}
function num(s, integer) {
  let lo = s.minimum ?? -1000, hi = s.maximum ?? 100000;
  if (s.multipleOf) { const k = ri(Math.ceil(lo / s.multipleOf), Math.floor(hi / s.multipleOf)); return Number((k * s.multipleOf).toFixed(6)); }
  if (integer) return ri(Math.ceil(lo), Math.floor(hi));
  return pick([ri(lo, hi), Number((lo + rnd() * (hi - lo)).toFixed(3))]);
}
function gen(s, root, depth) {
  s = resolve(s, root);
  switch (s.type) {
    case 'object': {
      const o = {};
      for (const [k, v] of Object.entries(s.properties || {})) {
        if ((s.required || []).includes(k) || (depth < 6 && rnd() < 0.5)) o[k] = gen(v, root, depth + 1);
      }
      return o;
    }
    case 'array': {
      const n = ri(s.minItems ?? 0, Math.min(s.maxItems ?? 3, 3));
      return Array.from({ length: n }, () => gen(s.items, root, depth + 1));
    }
    case 'string': return str(s);
    case 'integer': return num(s, true);
    case 'number': return num(s, false);
    case 'boolean': return rnd() < 0.5;
    default: return pick([1, 'x', { a: [null] }, null]);
  }
}

// Every (pointer, subschema) pair in an instance, for mutations.
function spots(v, s, root, ptr, out) {
  s = resolve(s, root);
  out.push({ ptr, s, v });
  if (s.type === 'object' && v && typeof v === 'object') for (const [k, x] of Object.entries(v)) { const ps = (s.properties || {})[k]; if (ps) spots(x, ps, root, ptr.concat(k), out); }
  if (s.type === 'array' && Array.isArray(v)) v.forEach((x, i) => spots(x, s.items, root, ptr.concat(i), out));
  return out;
}
function setAt(obj, ptr, val) {
  if (ptr.length === 0) return val;
  let o = obj; for (const k of ptr.slice(0, -1)) o = o[k];
  o[ptr[ptr.length - 1]] = val; return obj;
}
function delAt(obj, ptr) { let o = obj; for (const k of ptr.slice(0, -1)) o = o[k]; delete o[ptr[ptr.length - 1]]; }

function mutate(payload, schema, root) {
  const p = JSON.parse(JSON.stringify(payload));
  const all = spots(p, schema, root, [], []);
  const sp = pick(all);
  const s = sp.s;
  const kinds = [];
  if (s.type === 'object') { kinds.push('unknown'); if ((s.required || []).length) kinds.push('missing'); }
  if (s.type === 'string') { kinds.push('type'); if (s.maxLength) kinds.push('long'); if (s.enum) kinds.push('enum'); if (s.format) kinds.push('format'); }
  if (s.type === 'integer') kinds.push('type', 'frac', 'intfloat');
  if (s.type === 'number') { kinds.push('type'); if (s.multipleOf) kinds.push('mult'); }
  if (s.minimum !== undefined) kinds.push('low');
  if (s.maximum !== undefined) kinds.push('high');
  if (s.type === 'array') { kinds.push('type'); if (s.minItems) kinds.push('few'); if (s.maxItems && s.maxItems < 30) kinds.push('many'); }
  if (s.type === 'boolean') kinds.push('type');
  if (!kinds.length) return null;
  const k = pick(kinds);
  let v;
  switch (k) {
    case 'unknown': sp.v['zz' + ri(0, 9)] = 1; return [k, p];
    case 'missing': delAt(p, sp.ptr.concat(pick(s.required))); return [k, p];
    case 'type': v = pick(s.type === 'string' ? [1, true, null, {}, []] : ['1', null, {}, s.type === 'array' ? 2 : []]); break;
    case 'long': v = 'é'.repeat(s.maxLength + 1); break;
    case 'enum': v = 'Nope'; break;
    case 'format': v = s.format === 'uri' ? pick(['no scheme', 'ftp://x/a b', '/rel']) : pick(['2026-13-01T00:00:00Z', '2026-02-30T00:00:00Z', '2026-11-25T10:00', '2026-11-25T25:00:00Z', 'x']); break;
    case 'frac': v = 1.5; break;
    case 'intfloat': return ['valid-intfloat', JSON.stringify(setAt(p, sp.ptr, '@@F@@')).replace('"@@F@@"', '7.0')];
    case 'mult': v = 12.34; break;
    case 'low': v = s.minimum - 1; break;
    case 'high': v = s.maximum + 1; break;
    case 'few': v = []; break;
    case 'many': v = Array.from({ length: s.maxItems + 1 }, () => gen(s.items, root, 9)); break;
  }
  return [k, setAt(p, sp.ptr, v)];
}

for (const [ver, file] of Object.entries(files)) {
  const schemas = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'src', 'schema', 'data', file)));
  const ajv = createValidator(ver, schemas)._ajv;
  for (const root of schemas) {
    const id = root.$id;
    const m = id.replace(/^urn:/, '').match(/^(.*?)(\.req|\.conf|Request|Response)?$/);
    const action = m[1], dir = (m[2] === '.conf' || m[2] === 'Response') ? 'Response' : 'Request';
    const validate = ajv.getSchema(id);
    for (let i = 0; i < N; i++) {
      const good = gen(root, root, 0);
      const cases = [['valid', good]];
      const mu = mutate(good, root, root);
      if (mu) cases.push(mu);
      for (const [kind, payload] of cases) {
        const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
        const ok = validate(JSON.parse(text));
        const e = ok ? null : validate.errors[0];
        let ptr = e ? e.instancePath : null;
        if (e && e.keyword === 'required') ptr += '/' + e.params.missingProperty;
        if (e && e.keyword === 'additionalProperties') ptr += '/' + e.params.additionalProperty;
        console.log(JSON.stringify({ v: ver, action, dir, kind, text, ok, keyword: e && e.keyword, ptr }));
      }
    }
  }
}
