//! Strict validation of OCPP-J payloads against the Open Charge Alliance's
//! JSON schemas for OCPP 1.6, 2.0.1 and 2.1, with each failure mapped to the
//! CALLERROR code the version's OCPP-J specification gives it.
//!
//! The schemas are OCA's, as bundled by the npm package `ocpp-rpc` 2.2.1
//! (MIT); the schemas themselves are © Open Charge Alliance under CC
//! BY-ND 4.0. They are embedded verbatim from `data/`; `data/README.md`
//! records their provenance, hashes and licences.
//!
//! Each version's file is parsed and compiled on first use (or by
//! [`warm_up`]) into a flat tree of nodes with every `$ref` resolved to an
//! index (`compile.rs`, which refuses any JSON Schema keyword it does not
//! implement). Validating is then one walk steered by that tree
//! (`check.rs`): over a `serde_json::Value` with [`validate`], or straight
//! over the JSON text with [`validate_str`], which builds no tree at all.
//! Neither allocates unless the payload is refused.
//!
//! # Error codes
//!
//! The codes and their meanings, from the "Valid Error Codes" table of each
//! OCPP-J specification (OCPP-J 1.6 section 4.2.3, Table 7; the RPC framework
//! chapter of OCPP 2.0.1 Part 4 and of OCPP 2.1 Part 4):
//!
//! | code (1.6 / 2.x spelling) | meaning in the table |
//! | --- | --- |
//! | `FormationViolation` / `FormatViolation` | 1.6: "Payload for Action is syntactically incorrect or not conform the PDU structure for Action"; 2.x: "Payload for Action is syntactically incorrect" |
//! | `PropertyConstraintViolation` | "Payload is syntactically correct but at least one field contains an invalid value" |
//! | `OccurenceConstraintViolation` (1.6) / `OccurrenceConstraintViolation` (2.x) | "Payload for Action is syntactically correct but at least one of the fields violates occurrence constraints" |
//! | `TypeConstraintViolation` | "Payload for Action is syntactically correct but at least one of the fields violates data type constraints (e.g. "somestring": 12)" |
//! | `NotImplemented` | "Requested Action is not known by receiver" |
//!
//! The two 1.6 spellings are the 1.6 specification's own: the OCPP-J 1.6
//! errata sheet lists both typos under section 5, "Known issues that will not
//! be fixed" (5.1 `OccurenceConstraintViolation`, 5.2 `FormationViolation`:
//! "Do not fix, this is a message level change, might break
//! implementations"), and `crate::ocppj::frame::ErrorCode` already uses
//! them. OCPP 2.0.1 and 2.1 spell them `FormatViolation` and
//! `OccurrenceConstraintViolation`. (One implementer reads 2.0.1 as still
//! spelling `OccurenceConstraintViolation` with one "r", mobilityhouse/ocpp
//! PR #490; the 2.0.1 table as quoted elsewhere, and the same library's
//! maintainers in issue #381, have two. Two it is here.)
//!
//! How a schema failure maps onto them (see [`ViolationCode`]):
//! - a value of the wrong JSON type, including a fraction where the schema
//!   says `integer`: TypeConstraintViolation;
//! - a missing required property, too few or too many array items:
//!   OccurrenceConstraintViolation (cardinality is what the specs call
//!   occurrence: `0..1`, `1..*`);
//! - a string too long or too short, a value outside `enum`, a number
//!   outside `minimum`/`maximum` or not a `multipleOf`, a malformed
//!   `date-time` or `uri`: PropertyConstraintViolation, "contains an invalid
//!   value";
//! - a property the schema does not declare (`additionalProperties: false`)
//!   and a payload that is not a JSON object: FormationViolation /
//!   FormatViolation. The 1.6 table says outright that a payload "not
//!   conform the PDU structure for Action" is a FormationViolation; an
//!   unknown field is such a payload. No value is wrong, so it is not a
//!   PropertyConstraintViolation. (2.x moved the words "not conform the PDU
//!   structure" to ProtocolError, whose 1.6 meaning was "Payload for Action
//!   is incomplete"; this module keeps one mapping for all versions and uses
//!   FormatViolation, the renamed FormationViolation. ProtocolError would be
//!   the other defensible reading for 2.x.)
//!
//! # Use
//!
//! ```text
//! // A CALL from ocppj::frame::parse, payload a &RawValue:
//! if let Err(v) = schema::validate_str(OcppVersion::V16, &action, Direction::Request, payload.get()) {
//!     // answer [4, id, v.code.as_str(OcppVersion::V16), v.message, {}]
//! }
//! ```

mod check;
mod compile;
mod formats;
mod initiators;
mod template;
#[cfg(test)]
mod tests;

pub use template::Template;

use crate::json::kind_of as kind_of_value;
use check::{Check, Ctx, Fail, Found, Seg, What};
use compile::{Compiled, Format};
use serde::de::DeserializeSeed;
use serde_json::Value;
use std::fmt::Write as _;
use std::sync::OnceLock;

pub use crate::version::OcppVersion;
pub use initiators::{station_actions, station_sends};

/// The embedded schema file of each version.
fn source(version: OcppVersion) -> &'static str {
    match version {
        OcppVersion::V16 => include_str!("data/ocpp1_6.json"),
        OcppVersion::V201 => include_str!("data/ocpp2_0_1.json"),
        OcppVersion::V21 => include_str!("data/ocpp2_1.json"),
    }
}

fn index(version: OcppVersion) -> usize {
    version as usize
}

/// Which of an action's two schemas: `<Action>Request` (1.6: `.req`; also a
/// 2.1 SEND) or `<Action>Response` (1.6: `.conf`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Request,
    Response,
}

/// What kind of rule a payload broke; [`ViolationCode::as_str`] gives the
/// CALLERROR code, spelled as the version spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViolationCode {
    /// Not a JSON object, or a property the schema does not have.
    FormationViolation,
    /// A value that is too long, too short, out of range, not in the enum or
    /// badly formatted.
    PropertyConstraintViolation,
    /// A missing required property, or too few or too many array items.
    OccurrenceConstraintViolation,
    /// A value of the wrong JSON type (including a fraction for an integer).
    TypeConstraintViolation,
    /// No schema for this action (and direction) in this version.
    NotImplemented,
}

impl ViolationCode {
    pub const ALL: [ViolationCode; 5] = [
        Self::FormationViolation,
        Self::PropertyConstraintViolation,
        Self::OccurrenceConstraintViolation,
        Self::TypeConstraintViolation,
        Self::NotImplemented,
    ];

    /// The CALLERROR `errorCode` for this violation in `version`.
    pub fn as_str(self, version: OcppVersion) -> &'static str {
        let v16 = version == OcppVersion::V16;
        match self {
            // OCPP-J 1.6 Table 7, kept by errata 5.2; 2.0.1/2.1 Part 4: FormatViolation.
            Self::FormationViolation if v16 => "FormationViolation",
            Self::FormationViolation => "FormatViolation",
            // OCPP-J 1.6 Table 7, kept by errata 5.1; 2.0.1/2.1 Part 4: double "r".
            Self::OccurrenceConstraintViolation if v16 => "OccurenceConstraintViolation",
            Self::OccurrenceConstraintViolation => "OccurrenceConstraintViolation",
            Self::PropertyConstraintViolation => "PropertyConstraintViolation",
            Self::TypeConstraintViolation => "TypeConstraintViolation",
            Self::NotImplemented => "NotImplemented",
        }
    }
}

/// Why a payload was refused: the first rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub code: ViolationCode,
    /// JSON pointer (RFC 6901) to the offending value, or to the missing or
    /// unknown property: `/idTagInfo/status`, `/meterValue/0/sampledValue/3`.
    /// Empty for the payload itself.
    pub path: String,
    /// One line for a user, e.g. `idTag: "ABCDEFGHIJKLMNOPQRSTUVWXYZ" is
    /// longer than 20 characters`; at most [`MAX_MESSAGE_CHARS`] characters.
    pub message: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Violation {}

impl Violation {
    /// The sentence a user reads: `the <what> is not valid OCPP <version>
    /// (<code>): <message>`, e.g. what = "answer to Reset".
    pub fn explain(&self, version: OcppVersion, what: &str) -> String {
        format!("{what} is not valid OCPP {} ({}): {}", version.label(), self.code.as_str(version), self.message)
    }
}

/// Messages are cut to this many characters to keep a CALLERROR's
/// errorDescription short (255 is the limit we believe OCPP-J 2.x sets on
/// it; the 1.6 text sets none).
pub const MAX_MESSAGE_CHARS: usize = 255;

static COMPILED: [OnceLock<Compiled>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];

fn compiled(version: OcppVersion) -> &'static Compiled {
    COMPILED[index(version)].get_or_init(|| {
        // The data is embedded and fixed; the unit tests compile all three files.
        compile::compile(source(version)).unwrap_or_else(|e| panic!("embedded {} schemas: {e}", version.subprotocol()))
    })
}

/// Compiles the version's schemas now rather than on the first message
/// (OCPP 2.1's take a few milliseconds).
pub fn warm_up(version: OcppVersion) {
    compiled(version);
}

/// Whether `version` has a schema for `action` (its request; for 2.1 a SEND).
pub fn knows_action(version: OcppVersion, action: &str) -> bool {
    compiled(version).actions.get(action).is_some_and(|a| a.request.is_some())
}

/// The actions `version` has schemas for, sorted.
pub fn actions(version: OcppVersion) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = compiled(version).actions.keys().map(|k| &**k).collect();
    out.sort_unstable();
    out
}

/// A request of `action` in `version` to start from: its required fields
/// filled in (date-times with `now`), the values each enum field offers, and
/// the optional fields' names (see `template.rs`). `Err` for an action the
/// version does not have, worded for the user.
pub fn request_template(version: OcppVersion, action: &str, now: &str) -> Result<Template, String> {
    let root = schema_of(version, action, Direction::Request).map_err(|v| v.message)?;
    Ok(template::template(compiled(version), root, now))
}

/// Checks `payload` against the schema of `action`'s request or response in
/// `version`. `Err` carries the first violation found; an action (or
/// direction) without a schema gives [`ViolationCode::NotImplemented`].
pub fn validate(version: OcppVersion, action: &str, dir: Direction, payload: &Value) -> Result<(), Violation> {
    let root = schema_of(version, action, dir)?;
    if !payload.is_object() {
        return Err(not_an_object(kind_of_value(payload)));
    }
    let ctx = Ctx::new(compiled(version));
    match (Check { ctx: &ctx, node: root }).deserialize(payload) {
        Ok(()) => Ok(()),
        Err(e) => Err(ctx
            .fail
            .into_inner()
            .map_or_else(|| formation(format!("the payload cannot be read: {e}")), Fail::into_violation)),
    }
}

/// [`validate`] for a payload still in JSON text, such as the `RawValue` the
/// frame parser hands out. The text is checked as it is parsed: no value
/// tree is built, so this costs about what parsing alone does, a fraction of
/// `serde_json::from_str::<Value>` followed by [`validate`]. Text that is not
/// JSON is a FormationViolation. (Of a key given twice, both values are
/// checked; a `Value` keeps only the last.)
pub fn validate_str(version: OcppVersion, action: &str, dir: Direction, payload: &str) -> Result<(), Violation> {
    let root = schema_of(version, action, dir)?;
    let first = payload.trim_start_matches([' ', '\t', '\n', '\r']).as_bytes().first().copied();
    if first != Some(b'{') {
        return Err(match first {
            Some(b'[') => not_an_object("an array"),
            Some(b'"') => not_an_object("a string"),
            Some(b't' | b'f') => not_an_object("a boolean"),
            Some(b'n') => not_an_object("null"),
            Some(b'-' | b'0'..=b'9') => not_an_object("a number"),
            _ => formation("the payload is not JSON".into()),
        });
    }
    let ctx = Ctx::new(compiled(version));
    let mut de = serde_json::Deserializer::from_str(payload);
    let result = (Check { ctx: &ctx, node: root }).deserialize(&mut de).and_then(|()| de.end());
    match result {
        Ok(()) => Ok(()),
        Err(e) => Err(ctx
            .fail
            .into_inner()
            .map_or_else(|| formation(format!("the payload is not valid JSON: {e}")), Fail::into_violation)),
    }
}

fn schema_of(version: OcppVersion, action: &str, dir: Direction) -> Result<compile::NodeId, Violation> {
    let schemas = compiled(version).actions.get(action);
    let root = schemas.and_then(|s| match dir {
        Direction::Request => s.request,
        Direction::Response => s.response,
    });
    root.ok_or_else(|| {
        let message = match (schemas, dir) {
            (Some(_), Direction::Response) => format!("{action} has no response in OCPP {}", version_name(version)),
            _ => format!("unknown action {} in OCPP {}", quote(action), version_name(version)),
        };
        Violation { code: ViolationCode::NotImplemented, path: String::new(), message: cap(message) }
    })
}

#[cold]
fn formation(message: String) -> Violation {
    Violation { code: ViolationCode::FormationViolation, path: String::new(), message: cap(message) }
}

#[cold]
fn not_an_object(kind: &str) -> Violation {
    formation(format!("the payload is {kind}, not a JSON object"))
}

fn version_name(v: OcppVersion) -> &'static str {
    match v {
        OcppVersion::V16 => "1.6",
        OcppVersion::V201 => "2.0.1",
        OcppVersion::V21 => "2.1",
    }
}

// ---------------------------------------------------------------------------
// Failure reports.

impl Fail {
    #[cold]
    fn into_violation(self) -> Violation {
        let code = match self.what {
            What::Type { .. } => ViolationCode::TypeConstraintViolation,
            What::Missing | What::TooFew { .. } | What::TooMany { .. } => ViolationCode::OccurrenceConstraintViolation,
            What::Unknown => ViolationCode::FormationViolation,
            What::TooLong { .. }
            | What::TooShort { .. }
            | What::NotAllowed { .. }
            | What::BadFormat { .. }
            | What::Below { .. }
            | What::Above { .. }
            | What::NotMultiple { .. } => ViolationCode::PropertyConstraintViolation,
        };
        // The path was collected leaf first.
        let segs: Vec<&Seg> = self.path.iter().rev().collect();
        let mut path = String::new();
        for seg in &segs {
            path.push('/');
            match seg {
                Seg::Key(k) => path.push_str(&k.replace('~', "~0").replace('/', "~1")),
                Seg::Index(i) => {
                    let _ = write!(path, "{i}");
                }
            }
        }
        // A missing or unknown property is named in the message and reported
        // against its parent; every other failure against the value itself.
        let (label_segs, name) = match (&self.what, segs.split_last()) {
            (What::Missing | What::Unknown, Some((Seg::Key(k), parent))) => (parent, Some(&**k)),
            _ => (&segs[..], None),
        };
        let label = label(label_segs);
        let mut m = String::new();
        if !label.is_empty() {
            let _ = write!(m, "{label}: ");
        }
        let _ = match &self.what {
            What::Type { expected, found } => write!(m, "expected {expected}, got {}", show(found)),
            What::Missing => write!(m, "required property {} is missing", quote(name.unwrap_or_default())),
            What::Unknown => write!(m, "unknown property {}", quote(name.unwrap_or_default())),
            What::TooLong { s, max } => {
                let len = s.chars().count();
                if len > SHOWN_CHARS {
                    write!(m, "{} ({len} characters) is longer than {max} characters", quote(s))
                } else {
                    write!(m, "{} is longer than {max} characters", quote(s))
                }
            }
            What::TooShort { s, min } => write!(m, "{} is shorter than {min} characters", quote(s)),
            What::NotAllowed { s, allowed } => write!(m, "{} is not one of {}", quote(s), list(allowed)),
            What::BadFormat { s, format: Format::DateTime } => {
                write!(m, "{} is not an RFC 3339 date-time such as 2026-11-25T10:00:00Z", quote(s))
            }
            What::BadFormat { s, format: Format::Uri } => write!(m, "{} is not a URI", quote(s)),
            What::Below { n, min } => write!(m, "{n} is less than the minimum {min}"),
            What::Above { n, max } => write!(m, "{n} is greater than the maximum {max}"),
            What::NotMultiple { n, of } => write!(m, "{n} is not a multiple of {of}"),
            What::TooFew { len, min } => write!(m, "{len} {} but at least {min} required", items(*len)),
            What::TooMany { len, max } => write!(m, "{len} {} but at most {max} allowed", items(*len)),
        };
        Violation { code, path, message: cap(m) }
    }
}

fn items(n: usize) -> &'static str {
    if n == 1 {
        "item"
    } else {
        "items"
    }
}

/// `meterValue[0].sampledValue[3].value`.
fn label(segs: &[&Seg]) -> String {
    let mut out = String::new();
    for seg in segs {
        match seg {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Index(i) => {
                let _ = write!(out, "[{i}]");
            }
        }
    }
    out
}

/// Longest string quoted whole in a message.
const SHOWN_CHARS: usize = 40;

/// A string as JSON, cut after [`SHOWN_CHARS`] characters.
fn quote(s: &str) -> String {
    match s.char_indices().nth(SHOWN_CHARS) {
        None => Value::from(s).to_string(),
        Some((cut, _)) => {
            let mut q = Value::from(&s[..cut]).to_string();
            q.insert(q.len() - 1, '…');
            q
        }
    }
}

fn show(found: &Found) -> String {
    match found {
        Found::Null => "null".into(),
        Found::Bool(b) => b.to_string(),
        Found::Num(n) => n.to_string(),
        Found::Str(s) => quote(s),
        Found::Array => "an array".into(),
        Found::Object => "an object".into(),
    }
}

/// `"Accepted", "Blocked" or "Expired"`, shortened when long.
fn list(allowed: &[Box<str>]) -> String {
    let mut out = String::new();
    for (i, a) in allowed.iter().enumerate() {
        if out.len() > 120 {
            let _ = write!(out, ", … ({} values)", allowed.len());
            return out;
        }
        if i > 0 {
            out.push_str(if i + 1 == allowed.len() { " or " } else { ", " });
        }
        out.push_str(&quote(a));
    }
    out
}

fn cap(mut m: String) -> String {
    if let Some((cut, _)) = m.char_indices().nth(MAX_MESSAGE_CHARS - 1) {
        m.truncate(cut);
        m.push('…');
    }
    m
}

/// Strict mode: whether a payload this side is about to send matches the
/// version's schema; the error says what to fix, in the flow's words.
pub fn check_schema(version: OcppVersion, action: &str, dir: Direction, payload: &str) -> Result<(), String> {
    validate_str(version, action, dir, payload).map_err(|v| {
        let what = match dir {
            Direction::Request => format!("the {action} request"),
            Direction::Response => format!("the answer to {action}"),
        };
        v.explain(version, &what)
    })
}
