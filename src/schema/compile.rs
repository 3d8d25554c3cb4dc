//! Turns one version's array of JSON schemas into a flat tree of [`Node`]s.
//!
//! The compiler knows exactly the JSON Schema (draft-07) keywords that OCA's
//! OCPP schemas use and refuses any other, so a schema update that starts
//! using, say, `pattern` or `oneOf` fails the unit test instead of being
//! silently accepted as "no constraint". A keyword that does not apply to the
//! node's `type` (e.g. `maxLength` on an integer) is refused for the same
//! reason, although JSON Schema would just ignore it.
//!
//! Understood:
//! - `type`: one of object, array, string, integer, number, boolean (no type
//!   arrays). A node without `type` and without `$ref` accepts any value and
//!   may only carry annotations (2.x `DataTransfer.data`).
//! - object: `properties`, `required` (every name must be a property),
//!   `additionalProperties` (boolean only).
//! - array: `items` (a single schema), `minItems`, `maxItems`,
//!   `additionalItems` (boolean; no effect when `items` is a single schema, as
//!   in all OCA files).
//! - string: `minLength`, `maxLength`, `enum` (strings), `format`
//!   (`date-time`, `uri`).
//! - integer, number: `minimum`, `maximum`, `multipleOf`.
//! - `additionalProperties` (boolean) on any other type other than object, where
//!   it has no effect: 2.1 puts it on its enum definitions.
//! - `$ref`: `#/definitions/<Name>` of the same schema, resolved once to a
//!   node index; siblings other than annotations are refused.
//! - `definitions` (top level only).
//! - annotations, ignored: `$schema`, `$id`, `comment`, `description`,
//!   `javaType`, `default`.

use serde_json::{Map, Value};
use std::collections::HashMap;

pub(crate) type NodeId = u32;

#[derive(Debug)]
pub(crate) enum Node {
    Any,
    Boolean,
    Integer(Numeric),
    Number(Numeric),
    String(StringRule),
    Array(ArrayRule),
    Object(ObjectRule),
}

#[derive(Debug, Default)]
pub(crate) struct Numeric {
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    pub multiple_of: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    DateTime,
    Uri,
}

#[derive(Debug, Default)]
pub(crate) struct StringRule {
    pub min_length: Option<usize>,
    pub max_length: Option<usize>,
    pub allowed: Option<Box<[Box<str>]>>,
    pub format: Option<Format>,
}

#[derive(Debug)]
pub(crate) struct ArrayRule {
    pub items: Option<NodeId>,
    pub min_items: Option<usize>,
    pub max_items: Option<usize>,
}

#[derive(Debug)]
pub(crate) struct Prop {
    pub name: Box<str>,
    pub node: NodeId,
    /// `1 << i` for the i-th name of `required`, 0 when not required.
    pub required_bit: u64,
}

#[derive(Debug)]
pub(crate) struct ObjectRule {
    /// In schema order: senders usually write properties in that order, so
    /// [`ObjectRule::find`] first tries the one after the previous match.
    pub props: Box<[Prop]>,
    /// The `required` list in schema order, for reporting the first missing one.
    pub required: Box<[Box<str>]>,
    /// One bit per `required` name.
    pub required_mask: u64,
    pub additional: bool,
}

impl ObjectRule {
    /// The property called `name`, looked for from `*next` on (wrapping);
    /// `*next` is left just after the match. Linear: OCA's objects have at
    /// most a few dozen properties, and most names differ in length, which
    /// [`same`] checks first.
    #[inline]
    pub fn find(&self, name: &str, next: &mut usize) -> Option<&Prop> {
        let n = self.props.len();
        let start = if *next < n { *next } else { 0 };
        let (tail, head) = (&self.props[start..], &self.props[..start]);
        let i = match tail.iter().position(|p| same(p.name.as_bytes(), name.as_bytes())) {
            Some(i) => start + i,
            None => head.iter().position(|p| same(p.name.as_bytes(), name.as_bytes()))?,
        };
        *next = i + 1;
        Some(&self.props[i])
    }
}

/// Byte equality for the short strings of property names and enum values,
/// without a call to `memcmp`: lengths first, then eight bytes at a time.
#[inline]
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().expect("8 bytes"));
    if n >= 8 {
        let mut i = 0;
        while i + 8 <= n {
            if word(a, i) != word(b, i) {
                return false;
            }
            i += 8;
        }
        // The last, possibly overlapping, eight bytes.
        return i == n || word(a, n - 8) == word(b, n - 8);
    }
    a.iter().zip(b).all(|(x, y)| x == y)
}

/// The schemas of one action: the request (or 2.1 SEND) and the response.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct ActionSchemas {
    pub request: Option<NodeId>,
    pub response: Option<NodeId>,
}

#[derive(Debug)]
pub(crate) struct Compiled {
    pub nodes: Vec<Node>,
    pub actions: HashMap<Box<str>, ActionSchemas>,
}

impl Compiled {
    #[inline]
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize]
    }
}

const ANNOTATIONS: [&str; 6] = ["$schema", "$id", "comment", "description", "javaType", "default"];

/// Compiles a JSON array of schemas (the ocpp-rpc file layout).
pub(crate) fn compile(text: &str) -> Result<Compiled, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| format!("schema file is not JSON: {e}"))?;
    let Value::Array(schemas) = doc else { return Err("schema file is not a JSON array".into()) };
    let mut out = Compiled { nodes: Vec::new(), actions: HashMap::new() };
    for schema in &schemas {
        let id = schema.get("$id").and_then(Value::as_str).ok_or("a schema has no string $id")?;
        let (action, response) = action_of(id).ok_or_else(|| format!("cannot read an action from $id {id:?}"))?;
        let Value::Object(obj) = schema else { return Err(format!("{id}: schema is not an object")) };
        let root = SchemaCompiler::new(&mut out.nodes, id, obj)?.root()?;
        let entry = out.actions.entry(action.into()).or_default();
        let slot = if response { &mut entry.response } else { &mut entry.request };
        if slot.replace(root).is_some() {
            return Err(format!("{id}: a second schema for the same action and direction"));
        }
    }
    Ok(out)
}

/// Reads `(action, is_response)` from a schema `$id`. Handles ocpp-rpc's
/// `urn:Authorize.req` / `urn:Authorize.conf` (1.6, 2.0.1), the
/// `urn:AuthorizeRequest` / `urn:AuthorizeResponse` of 2.1 and OCA's own
/// `urn:OCPP:Cp:2:2020:3:AuthorizeRequest`. A bare name (2.1's
/// `urn:NotifyPeriodicEventStream`, a SEND message, which has no response)
/// counts as the request.
pub(crate) fn action_of(id: &str) -> Option<(&str, bool)> {
    let name = id.strip_prefix("urn:")?;
    let name = name.rsplit(':').next()?;
    let (action, response) = if let Some(a) = name.strip_suffix(".req") {
        (a, false)
    } else if let Some(a) = name.strip_suffix(".conf") {
        (a, true)
    } else if let Some(a) = name.strip_suffix("Request") {
        (a, false)
    } else if let Some(a) = name.strip_suffix("Response") {
        (a, true)
    } else {
        (name, false)
    };
    let ok = !action.is_empty() && action.bytes().all(|b| b.is_ascii_alphanumeric());
    ok.then_some((action, response))
}

enum Def {
    Todo,
    /// Being compiled: its slot is reserved, so a cycle can point at it.
    InProgress(NodeId),
    Done(NodeId),
}

struct SchemaCompiler<'a> {
    nodes: &'a mut Vec<Node>,
    id: &'a str,
    root: &'a Map<String, Value>,
    definitions: HashMap<&'a str, (Def, &'a Value)>,
}

impl<'a> SchemaCompiler<'a> {
    fn new(nodes: &'a mut Vec<Node>, id: &'a str, root: &'a Map<String, Value>) -> Result<Self, String> {
        let mut definitions = HashMap::new();
        if let Some(defs) = root.get("definitions") {
            let Value::Object(defs) = defs else { return Err(format!("{id}: definitions is not an object")) };
            for (name, def) in defs {
                definitions.insert(name.as_str(), (Def::Todo, def));
            }
        }
        Ok(Self { nodes, id, root, definitions })
    }

    fn root(mut self) -> Result<NodeId, String> {
        // Every definition is compiled, used or not, so that an unsupported
        // keyword in an unused one is still reported.
        let mut names: Vec<&'a str> = self.definitions.keys().copied().collect();
        names.sort_unstable();
        for name in names {
            self.definition(name, "#/definitions")?;
        }
        let node = self.build(self.root, "#", true)?;
        Ok(self.push(node))
    }

    fn err(&self, at: &str, what: impl std::fmt::Display) -> String {
        format!("{} {at}: {what}", self.id)
    }

    fn push(&mut self, node: Node) -> NodeId {
        self.nodes.push(node);
        NodeId::try_from(self.nodes.len() - 1).expect("fewer than 2^32 schema nodes")
    }

    fn definition(&mut self, name: &str, at: &str) -> Result<NodeId, String> {
        let Some(&(ref state, def)) = self.definitions.get(name) else {
            return Err(self.err(at, format_args!("$ref to unknown definition {name:?}")));
        };
        match *state {
            Def::Done(id) | Def::InProgress(id) => return Ok(id),
            Def::Todo => {}
        }
        let id = self.push(Node::Any);
        self.definitions.get_mut(name).expect("present").0 = Def::InProgress(id);
        let here = format!("#/definitions/{name}");
        let Value::Object(obj) = def else { return Err(self.err(&here, "definition is not an object")) };
        let node = self.build(obj, &here, false)?;
        self.nodes[id as usize] = node;
        self.definitions.get_mut(name).expect("present").0 = Def::Done(id);
        Ok(id)
    }

    fn schema(&mut self, v: &Value, at: &str) -> Result<NodeId, String> {
        let Value::Object(obj) = v else { return Err(self.err(at, "schema is not an object")) };
        if let Some(r) = obj.get("$ref") {
            for key in obj.keys() {
                if key != "$ref" && !ANNOTATIONS.contains(&key.as_str()) {
                    return Err(self.err(at, format_args!("keyword {key:?} beside $ref is not supported")));
                }
            }
            let r = r.as_str().ok_or_else(|| self.err(at, "$ref is not a string"))?;
            let name = r
                .strip_prefix("#/definitions/")
                .ok_or_else(|| self.err(at, format_args!("$ref {r:?} does not point into #/definitions")))?;
            return self.definition(name, at);
        }
        let node = self.build(obj, at, false)?;
        Ok(self.push(node))
    }

    /// Compiles one schema object (not a `$ref`) into a node; its children
    /// are pushed first.
    fn build(&mut self, obj: &Map<String, Value>, at: &str, top: bool) -> Result<Node, String> {
        let ty = match obj.get("type") {
            None => None,
            Some(Value::String(t)) => Some(t.as_str()),
            Some(other) => {
                return Err(self.err(at, format_args!("type {other} is not supported (only a single type name)")))
            }
        };
        // Which keywords this type understands; anything else is refused.
        let allowed: &[&str] = match ty {
            None => &[],
            Some("object") => &["type", "properties", "required", "additionalProperties"],
            Some("array") => &["type", "items", "minItems", "maxItems", "additionalItems"],
            Some("string") => &["type", "minLength", "maxLength", "enum", "format"],
            Some("integer") | Some("number") => &["type", "minimum", "maximum", "multipleOf"],
            Some("boolean") => &["type"],
            Some(t) => return Err(self.err(at, format_args!("type {t:?} is not supported"))),
        };
        for (key, value) in obj {
            let key = key.as_str();
            // JSON Schema applies additionalProperties to objects only; the
            // 2.1 files put `"additionalProperties": false` on every enum
            // definition (type string), where it has no effect.
            let no_op = key == "additionalProperties" && value.is_boolean();
            let known = allowed.contains(&key) || ANNOTATIONS.contains(&key) || (top && key == "definitions") || no_op;
            if !known {
                let on = ty.map_or_else(|| "an untyped schema".to_owned(), |t| format!("type {t}"));
                return Err(self.err(at, format_args!("keyword {key:?} is not supported on {on}")));
            }
        }
        Ok(match ty {
            None => Node::Any,
            Some("boolean") => Node::Boolean,
            Some("integer") => Node::Integer(self.numeric(obj, at)?),
            Some("number") => Node::Number(self.numeric(obj, at)?),
            Some("string") => Node::String(self.string(obj, at)?),
            Some("array") => Node::Array(self.array(obj, at)?),
            Some("object") => Node::Object(self.object(obj, at)?),
            Some(_) => unreachable!("refused above"),
        })
    }

    fn number_kw(&self, obj: &Map<String, Value>, key: &str, at: &str) -> Result<Option<f64>, String> {
        match obj.get(key) {
            None => Ok(None),
            Some(v) => v.as_f64().map(Some).ok_or_else(|| self.err(at, format_args!("{key} is not a number"))),
        }
    }

    fn count_kw(&self, obj: &Map<String, Value>, key: &str, at: &str) -> Result<Option<usize>, String> {
        match obj.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| self.err(at, format_args!("{key} is not a non-negative integer"))),
        }
    }

    fn numeric(&self, obj: &Map<String, Value>, at: &str) -> Result<Numeric, String> {
        let n = Numeric {
            minimum: self.number_kw(obj, "minimum", at)?,
            maximum: self.number_kw(obj, "maximum", at)?,
            multiple_of: self.number_kw(obj, "multipleOf", at)?,
        };
        if n.multiple_of.is_some_and(|m| !(m > 0.0 && m.is_finite())) {
            return Err(self.err(at, "multipleOf must be a positive number"));
        }
        Ok(n)
    }

    fn string(&self, obj: &Map<String, Value>, at: &str) -> Result<StringRule, String> {
        let allowed = match obj.get("enum") {
            None => None,
            Some(Value::Array(values)) => {
                let mut out = Vec::with_capacity(values.len());
                for v in values {
                    let s = v.as_str().ok_or_else(|| self.err(at, format_args!("enum value {v} is not a string")))?;
                    out.push(Box::from(s));
                }
                Some(out.into_boxed_slice())
            }
            Some(_) => return Err(self.err(at, "enum is not an array")),
        };
        let format = match obj.get("format") {
            None => None,
            Some(Value::String(f)) if f == "date-time" => Some(Format::DateTime),
            Some(Value::String(f)) if f == "uri" => Some(Format::Uri),
            Some(f) => return Err(self.err(at, format_args!("format {f} is not supported"))),
        };
        Ok(StringRule {
            min_length: self.count_kw(obj, "minLength", at)?,
            max_length: self.count_kw(obj, "maxLength", at)?,
            allowed,
            format,
        })
    }

    fn array(&mut self, obj: &Map<String, Value>, at: &str) -> Result<ArrayRule, String> {
        let items = match obj.get("items") {
            None => None,
            Some(v @ Value::Object(_)) => Some(self.schema(v, &format!("{at}/items"))?),
            Some(_) => return Err(self.err(at, "items must be a single schema (tuple items are not supported)")),
        };
        match obj.get("additionalItems") {
            // With a single `items` schema (or none), additionalItems has no effect.
            None | Some(Value::Bool(_)) => {}
            Some(_) => return Err(self.err(at, "additionalItems must be a boolean")),
        }
        Ok(ArrayRule {
            items,
            min_items: self.count_kw(obj, "minItems", at)?,
            max_items: self.count_kw(obj, "maxItems", at)?,
        })
    }

    fn object(&mut self, obj: &Map<String, Value>, at: &str) -> Result<ObjectRule, String> {
        let additional = match obj.get("additionalProperties") {
            None => true,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(self.err(at, "additionalProperties must be a boolean")),
        };
        let mut required: Vec<Box<str>> = Vec::new();
        match obj.get("required") {
            None => {}
            Some(Value::Array(names)) => {
                for n in names {
                    let n =
                        n.as_str().ok_or_else(|| self.err(at, format_args!("required entry {n} is not a string")))?;
                    if required.iter().any(|r| &**r == n) {
                        return Err(self.err(at, format_args!("{n:?} is listed twice in required")));
                    }
                    required.push(n.into());
                }
            }
            Some(_) => return Err(self.err(at, "required is not an array")),
        }
        let mut props = Vec::new();
        match obj.get("properties") {
            None => {}
            Some(Value::Object(map)) => {
                for (name, schema) in map {
                    let node = self.schema(schema, &format!("{at}/properties/{name}"))?;
                    let required_bit = required.iter().position(|r| **r == **name).map_or(0, |i| 1u64 << i);
                    props.push(Prop { name: name.as_str().into(), node, required_bit });
                }
            }
            Some(_) => return Err(self.err(at, "properties is not an object")),
        }
        // The validator marks the required properties it meets in a bit set,
        // so each required name must be a declared property, and 64 at most.
        if let Some(r) = required.iter().find(|r| !props.iter().any(|p| p.name == **r)) {
            return Err(self.err(at, format_args!("required {r:?} is not among the properties")));
        }
        let required_mask = match required.len() {
            64 => u64::MAX,
            n if n < 64 => (1u64 << n) - 1,
            n => return Err(self.err(at, format_args!("{n} required properties; at most 64 are supported"))),
        };
        Ok(ObjectRule {
            props: props.into_boxed_slice(),
            required: required.into_boxed_slice(),
            required_mask,
            additional,
        })
    }
}
