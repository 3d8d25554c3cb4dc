//! The walk: a `serde::de::DeserializeSeed` steered by the compiled schema.
//!
//! One implementation serves both inputs. Over a `serde_json::Value` it walks
//! the tree (`&Value` is a `Deserializer`); over raw JSON text it runs
//! serde_json's parser and checks each value as it is read, so no tree is
//! built and, on success, nothing is allocated (a key with an escape sequence
//! is the one exception, copied for the path a failure would need).
//!
//! Numbers must reach the visitor as numbers: serde_json's
//! `arbitrary_precision` feature (not enabled in this crate) would hand them
//! over as maps, and the tests would fail.
//!
//! Values are checked in document order and the first violation stops the
//! walk. An object's missing required properties are reported after its
//! present ones are checked; an array with more than `maxItems` items is
//! reported on reaching the first extra item (its earlier items are checked,
//! the extra ones not); `minItems` after the last item.

use super::compile::{same, Compiled, Format, Node, NodeId, Numeric, StringRule};
use super::formats;
use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;

/// A JSON number as the parser reports it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Num {
    I(i64),
    U(u64),
    F(f64),
}

impl Num {
    /// JSON Schema: "integer" is any number with a zero fractional part, so 1.0 is one.
    #[inline]
    pub fn is_integer(self) -> bool {
        match self {
            Num::I(_) | Num::U(_) => true,
            Num::F(f) => f.is_finite() && f.fract() == 0.0,
        }
    }

    fn as_f64(self) -> f64 {
        match self {
            Num::I(i) => i as f64,
            Num::U(u) => u as f64,
            Num::F(f) => f,
        }
    }

    fn as_i64(self) -> Option<i64> {
        match self {
            Num::I(i) => Some(i),
            Num::U(u) => i64::try_from(u).ok(),
            Num::F(_) => None,
        }
    }
}

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Num::I(i) => write!(f, "{i}"),
            Num::U(u) => write!(f, "{u}"),
            // As serde_json writes it (1.0 stays 1.0).
            Num::F(x) => match serde_json::Number::from_f64(x) {
                Some(n) => write!(f, "{n}"),
                None => write!(f, "{x}"),
            },
        }
    }
}

/// What a value of the wrong type was, for the message.
#[derive(Debug)]
pub(crate) enum Found {
    Null,
    Bool(bool),
    Num(Num),
    Str(String),
    Array,
    Object,
}

/// What went wrong; built only on failure, so it owns its data.
#[derive(Debug)]
pub(crate) enum What {
    Type { expected: &'static str, found: Found },
    Missing,
    Unknown,
    TooLong { s: String, max: usize },
    TooShort { s: String, min: usize },
    NotAllowed { s: String, allowed: &'static [Box<str>] },
    BadFormat { s: String, format: Format },
    Below { n: Num, min: f64 },
    Above { n: Num, max: f64 },
    NotMultiple { n: Num, of: f64 },
    TooFew { len: usize, min: usize },
    TooMany { len: usize, max: usize },
}

#[derive(Debug)]
pub(crate) enum Seg {
    Key(Box<str>),
    Index(usize),
}

#[derive(Debug)]
pub(crate) struct Fail {
    pub what: What,
    /// Leaf first: segments are pushed while the walk unwinds.
    pub path: Vec<Seg>,
}

/// Shared by every seed of one walk: the schema, and the failure once there is one.
pub(crate) struct Ctx {
    pub c: &'static Compiled,
    pub fail: RefCell<Option<Fail>>,
}

impl Ctx {
    pub fn new(c: &'static Compiled) -> Self {
        Self { c, fail: RefCell::new(None) }
    }

    /// Records the violation and returns the error that unwinds the parse.
    #[cold]
    fn abort<E: de::Error>(&self, what: What, at: Option<Seg>) -> E {
        *self.fail.borrow_mut() = Some(Fail { what, path: at.into_iter().collect() });
        E::custom("schema violation")
    }

    /// Adds a step to the path of the recorded failure, if any (a JSON syntax
    /// error has none).
    #[cold]
    fn step(&self, seg: impl FnOnce() -> Seg) {
        if let Some(fail) = self.fail.borrow_mut().as_mut() {
            fail.path.push(seg());
        }
    }
}

/// Checks one value against one node.
#[derive(Clone, Copy)]
pub(crate) struct Check<'a> {
    pub ctx: &'a Ctx,
    pub node: NodeId,
}

impl<'de> DeserializeSeed<'de> for Check<'_> {
    type Value = ();

    #[inline]
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        match self.ctx.c.node(self.node) {
            Node::Any => IgnoredAny::deserialize(d).map(|_| ()),
            _ => d.deserialize_any(self),
        }
    }
}

impl Check<'_> {
    #[cold]
    fn wrong_type<E: de::Error>(self, found: Found) -> E {
        let expected = match self.ctx.c.node(self.node) {
            Node::Boolean => "a boolean",
            Node::Integer(_) => "an integer",
            Node::Number(_) => "a number",
            Node::String(_) => "a string",
            Node::Array(_) => "an array",
            Node::Object(_) => "an object",
            Node::Any => "any value",
        };
        self.ctx.abort(What::Type { expected, found }, None)
    }

    #[inline]
    fn number<E: de::Error>(self, n: Num) -> Result<(), E> {
        let rule = match self.ctx.c.node(self.node) {
            Node::Integer(rule) if n.is_integer() => rule,
            Node::Number(rule) => rule,
            _ => return Err(self.wrong_type(Found::Num(n))),
        };
        match numeric(rule, n) {
            None => Ok(()),
            Some(what) => Err(self.ctx.abort(what, None)),
        }
    }

    #[inline]
    fn string<E: de::Error>(self, s: &str) -> Result<(), E> {
        match self.ctx.c.node(self.node) {
            Node::String(rule) => match string(rule, s) {
                None => Ok(()),
                Some(what) => Err(self.ctx.abort(what, None)),
            },
            _ => Err(self.wrong_type(Found::Str(s.to_owned()))),
        }
    }
}

impl<'de> Visitor<'de> for Check<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        match self.ctx.c.node(self.node) {
            Node::Boolean => Ok(()),
            _ => Err(self.wrong_type(Found::Bool(v))),
        }
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.number(Num::I(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.number(Num::U(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.number(Num::F(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.string(v)
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Err(self.wrong_type(Found::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Node::Array(rule) = self.ctx.c.node(self.node) else { return Err(self.wrong_type(Found::Array)) };
        let mut len = 0;
        loop {
            if rule.max_items == Some(len) {
                // Count what is left: the message gives the length.
                let mut total = len;
                while seq.next_element::<IgnoredAny>()?.is_some() {
                    total += 1;
                }
                if total > len {
                    return Err(self.ctx.abort(What::TooMany { len: total, max: len }, None));
                }
                break;
            }
            let more = match rule.items {
                Some(item) => seq
                    .next_element_seed(Check { ctx: self.ctx, node: item })
                    .inspect_err(|_| self.ctx.step(|| Seg::Index(len)))?,
                None => seq.next_element::<IgnoredAny>()?.map(|_| ()),
            };
            if more.is_none() {
                break;
            }
            len += 1;
        }
        if let Some(min) = rule.min_items.filter(|&m| len < m) {
            return Err(self.ctx.abort(What::TooFew { len, min }, None));
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Node::Object(rule) = self.ctx.c.node(self.node) else { return Err(self.wrong_type(Found::Object)) };
        let mut seen = 0u64;
        let mut next = 0;
        while let Some(key) = map.next_key_seed(KeySeed)? {
            match rule.find(&key, &mut next) {
                Some(prop) => {
                    seen |= prop.required_bit;
                    map.next_value_seed(Check { ctx: self.ctx, node: prop.node })
                        .inspect_err(|_| self.ctx.step(|| Seg::Key(key.as_ref().into())))?;
                }
                None if rule.additional => {
                    map.next_value::<IgnoredAny>()?;
                }
                None => return Err(self.ctx.abort(What::Unknown, Some(Seg::Key(key.as_ref().into())))),
            }
        }
        let missing = rule.required_mask & !seen;
        if missing != 0 {
            // Bits follow the schema's `required` order.
            let name = &rule.required[missing.trailing_zeros() as usize];
            return Err(self.ctx.abort(What::Missing, Some(Seg::Key(name.clone()))));
        }
        Ok(())
    }
}

/// Reads an object key, borrowing it from the input when it has no escapes.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    #[inline]
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Cow<'de, str>, D::Error> {
        d.deserialize_str(KeySeed)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v))
    }
}

#[inline]
pub(crate) fn numeric(rule: &Numeric, n: Num) -> Option<What> {
    if rule.minimum.is_none() && rule.maximum.is_none() && rule.multiple_of.is_none() {
        return None;
    }
    if let Some(min) = rule.minimum.filter(|&m| !at_least(n, m)) {
        return Some(What::Below { n, min });
    }
    if let Some(max) = rule.maximum.filter(|&m| !at_most(n, m)) {
        return Some(What::Above { n, max });
    }
    if let Some(of) = rule.multiple_of.filter(|&m| !is_multiple(n, m)) {
        return Some(What::NotMultiple { n, of });
    }
    None
}

/// Whether a bound is an integer an `i64` compares exactly.
fn integral(bound: f64) -> bool {
    bound.fract() == 0.0 && bound.abs() < 9.0e15
}

/// `n >= min`, exact for integers.
fn at_least(n: Num, min: f64) -> bool {
    match n.as_i64() {
        Some(i) if integral(min) => i >= min as i64,
        _ => n.as_f64() >= min,
    }
}

/// `n <= max`, exact for integers.
fn at_most(n: Num, max: f64) -> bool {
    match n.as_i64() {
        Some(i) if integral(max) => i <= max as i64,
        _ => n.as_f64() <= max,
    }
}

/// `n` is a multiple of `of`. Exact for integers and an integral `of`;
/// otherwise within a rounding tolerance, so 12.3 counts as a multiple of
/// 0.1 although 12.3 / 0.1 is 122.99999999999999 in binary floating point.
fn is_multiple(n: Num, of: f64) -> bool {
    if let (Some(i), true) = (n.as_i64(), integral(of)) {
        return i % (of as i64) == 0;
    }
    let q = n.as_f64() / of;
    q.is_finite() && (q - q.round()).abs() <= 1e-9 * q.abs().max(1.0)
}

#[inline]
pub(crate) fn string(rule: &'static StringRule, s: &str) -> Option<What> {
    if let Some(max) = rule.max_length {
        // Lengths count Unicode code points; bytes >= code points, so the
        // count is only needed when the byte length is over the limit.
        if s.len() > max && s.chars().count() > max {
            return Some(What::TooLong { s: s.to_owned(), max });
        }
    }
    if let Some(min) = rule.min_length {
        // A code point takes 1 to 4 bytes.
        if s.len() < min || (s.len() < min.saturating_mul(4) && s.chars().count() < min) {
            return Some(What::TooShort { s: s.to_owned(), min });
        }
    }
    if let Some(allowed) = &rule.allowed {
        if !allowed.iter().any(|a| same(a.as_bytes(), s.as_bytes())) {
            return Some(What::NotAllowed { s: s.to_owned(), allowed });
        }
    }
    match rule.format {
        Some(format @ Format::DateTime) if !formats::is_date_time(s) => {
            Some(What::BadFormat { s: s.to_owned(), format })
        }
        Some(format @ Format::Uri) if !formats::is_uri(s) => Some(What::BadFormat { s: s.to_owned(), format }),
        _ => None,
    }
}
