//! A payload to start from: an action's request with its required fields
//! filled in, and the values each enum field offers. The editor's CALL form
//! opens with it, so a Reset is `{"type": "Hard"}` with Hard and Soft offered
//! rather than `{}`, which a station refuses.
//!
//! Pure: the compiled schema tree in, JSON out. A value is the first one the
//! schema allows: an enum's first value, a number's minimum (else 0), a
//! string of its minimum length, `now` for a date-time, an array's minimum
//! number of items. Optional fields are left out; their names are listed.

use super::compile::{Compiled, Format, Node, NodeId};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The most nesting a template follows: OCA's schemas nest a few levels; a
/// required field deeper than this (none in the three versions) is `{}`.
const MAX_DEPTH: usize = 16;

#[derive(Debug, Serialize, PartialEq)]
pub struct Template {
    /// The payload with every required field.
    pub payload: Value,
    /// JSON pointer of each enum field in `payload` -> the values it may take.
    pub enums: BTreeMap<String, Vec<String>>,
    /// The top-level fields left out because they are optional.
    pub optional: Vec<String>,
}

/// The template of the request whose schema starts at `root`; `now` is the
/// value given to date-time fields.
pub(crate) fn template(compiled: &Compiled, root: NodeId, now: &str) -> Template {
    let mut enums = BTreeMap::new();
    let payload = fill(compiled, root, now, "", 0, &mut enums);
    let optional = match compiled.node(root) {
        Node::Object(o) => o.props.iter().filter(|p| p.required_bit == 0).map(|p| p.name.to_string()).collect(),
        _ => Vec::new(),
    };
    Template { payload, enums, optional }
}

fn fill(
    compiled: &Compiled,
    id: NodeId,
    now: &str,
    pointer: &str,
    depth: usize,
    enums: &mut BTreeMap<String, Vec<String>>,
) -> Value {
    match compiled.node(id) {
        Node::Any => Value::Object(Map::new()),
        Node::Boolean => Value::Bool(false),
        Node::Integer(n) => Value::from(n.minimum.map_or(0, |m| m.ceil() as i64)),
        Node::Number(n) => serde_json::Number::from_f64(n.minimum.unwrap_or(0.0)).map_or(Value::from(0), Value::Number),
        Node::String(s) => {
            if let Some(allowed) = &s.allowed {
                enums.insert(pointer.to_owned(), allowed.iter().map(|v| v.to_string()).collect());
                return Value::String(allowed.first().map_or_else(String::new, |v| v.to_string()));
            }
            match s.format {
                Some(Format::DateTime) => Value::String(now.to_owned()),
                Some(Format::Uri) => Value::String("http://example.com/".to_owned()),
                None => Value::String("x".repeat(s.min_length.unwrap_or(0))),
            }
        }
        Node::Array(a) => {
            let n = a.min_items.unwrap_or(0);
            let items = match a.items {
                Some(item) if depth < MAX_DEPTH => {
                    (0..n).map(|i| fill(compiled, item, now, &format!("{pointer}/{i}"), depth + 1, enums)).collect()
                }
                _ => vec![Value::Object(Map::new()); n],
            };
            Value::Array(items)
        }
        Node::Object(o) => {
            let mut out = Map::new();
            if depth < MAX_DEPTH {
                for p in o.props.iter().filter(|p| p.required_bit != 0) {
                    let at = format!("{pointer}/{}", escape(&p.name));
                    out.insert(p.name.to_string(), fill(compiled, p.node, now, &at, depth + 1, enums));
                }
            }
            Value::Object(out)
        }
    }
}

/// A property name as a JSON pointer token (RFC 6901).
fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}
