//! OCPP-J RPC frames: `[2, id, action, payload]`, `[3, id, payload]`,
//! `[4, id, code, description, details]`.
//!
//! Parsing keeps payloads as raw JSON text (`RawValue`): the engine never needs
//! to look inside a payload, so it never builds a value tree for one. It only
//! checks that the payload is an object, as the RPC framework requires.

use serde_json::value::RawValue;
use std::fmt::Write as _;

/// The longest message id OCPP-J 1.6 allows (section 4.1.3: "maximum of 36 characters").
pub const MAX_ID_LEN: usize = 36;

/// Deepest nesting accepted in a payload. OCPP's deepest messages nest about
/// eight levels; a deeper payload is refused here, because the flow's
/// JavaScript (Node-RED clones msgs recursively) would overflow its stack.
pub const MAX_DEPTH: usize = 32;

/// The id the spec gives a CALLERROR answering a frame whose own id cannot be read.
pub const UNREADABLE_ID: &str = "-1";

/// The RPC message types of OCPP-J.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageType {
    Call = 2,
    CallResult = 3,
    CallError = 4,
}

impl MessageType {
    fn from_number(n: u64) -> Option<Self> {
        match n {
            2 => Some(Self::Call),
            3 => Some(Self::CallResult),
            4 => Some(Self::CallError),
            _ => None,
        }
    }
}

/// OCPP 1.6 CALLERROR codes, spelled exactly as the 1.6 spec spells them
/// (`OccurenceConstraintViolation` with one "r" is the spec's own spelling).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    NotImplemented,
    NotSupported,
    InternalError,
    ProtocolError,
    SecurityError,
    FormationViolation,
    PropertyConstraintViolation,
    OccurenceConstraintViolation,
    TypeConstraintViolation,
    GenericError,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 10] = [
        Self::NotImplemented,
        Self::NotSupported,
        Self::InternalError,
        Self::ProtocolError,
        Self::SecurityError,
        Self::FormationViolation,
        Self::PropertyConstraintViolation,
        Self::OccurenceConstraintViolation,
        Self::TypeConstraintViolation,
        Self::GenericError,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotImplemented => "NotImplemented",
            Self::NotSupported => "NotSupported",
            Self::InternalError => "InternalError",
            Self::ProtocolError => "ProtocolError",
            Self::SecurityError => "SecurityError",
            Self::FormationViolation => "FormationViolation",
            Self::PropertyConstraintViolation => "PropertyConstraintViolation",
            Self::OccurenceConstraintViolation => "OccurenceConstraintViolation",
            Self::TypeConstraintViolation => "TypeConstraintViolation",
            Self::GenericError => "GenericError",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The list a user sees when they pass a code that does not exist.
    pub fn names() -> String {
        Self::ALL.map(|c| c.as_str()).join(", ")
    }
}

/// A parsed frame borrowing from the text it came from.
#[derive(Debug)]
pub enum Frame<'a> {
    Call { id: String, action: String, payload: &'a RawValue },
    CallResult { id: String, payload: &'a RawValue },
    CallError { id: String, code: String, description: String, details: &'a RawValue },
}

/// Why a frame was refused, with what the CALLERROR answering it must carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameError {
    /// The frame's id when it could be read; the answer then uses it, else "-1".
    pub id: Option<String>,
    pub code: ErrorCode,
    pub description: String,
}

impl FrameError {
    fn new(id: Option<&str>, code: ErrorCode, description: impl Into<String>) -> Self {
        Self { id: id.map(str::to_owned), code, description: description.into() }
    }

    /// The CALLERROR frame that answers the refused frame.
    pub fn to_call_error(&self) -> String {
        call_error(self.id.as_deref().unwrap_or(UNREADABLE_ID), self.code, &self.description, None)
    }
}

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.description)
    }
}

/// Parses one text frame.
pub fn parse(text: &str) -> Result<Frame<'_>, FrameError> {
    use ErrorCode::FormationViolation as Formation;
    let parts: Vec<&RawValue> = serde_json::from_str(text).map_err(|e| {
        let what = if e.is_syntax() || e.is_eof() { "frame is not valid JSON" } else { "frame is not a JSON array" };
        FrameError::new(None, Formation, format!("{what}: {e}"))
    })?;
    let Some(first) = parts.first() else {
        return Err(FrameError::new(None, Formation, "frame is an empty array"));
    };
    // Read the id before judging the type, so even a frame of an unknown type
    // is answered with its own id.
    let id = parts.get(1).and_then(|v| read_string(v));
    let id_ref = id.as_deref();
    let type_number: u64 = serde_json::from_str(first.get())
        .map_err(|_| FrameError::new(id_ref, Formation, "message type is not a number"))?;
    let Some(message_type) = MessageType::from_number(type_number) else {
        return Err(FrameError::new(
            id_ref,
            Formation,
            format!("unknown message type {type_number} (expected 2, 3 or 4)"),
        ));
    };
    let Some(id) = id else {
        return Err(FrameError::new(None, Formation, "message id is missing or not a string"));
    };
    if id.is_empty() || id.chars().count() > MAX_ID_LEN {
        return Err(FrameError::new(
            Some(&id),
            Formation,
            format!("message id must have 1 to {MAX_ID_LEN} characters"),
        ));
    }
    match message_type {
        MessageType::Call => parse_call(id, &parts),
        MessageType::CallResult => parse_result(id, &parts),
        MessageType::CallError => parse_error(id, &parts),
    }
}

fn parse_call<'a>(id: String, parts: &[&'a RawValue]) -> Result<Frame<'a>, FrameError> {
    if parts.len() < 4 {
        return Err(FrameError::new(
            Some(&id),
            ErrorCode::ProtocolError,
            "CALL is incomplete: expected [2, id, action, payload]",
        ));
    }
    if parts.len() > 4 {
        return Err(FrameError::new(
            Some(&id),
            ErrorCode::FormationViolation,
            "CALL has extra elements: expected [2, id, action, payload]",
        ));
    }
    let action = read_string(parts[2])
        .filter(|a| !a.is_empty())
        .ok_or_else(|| FrameError::new(Some(&id), ErrorCode::FormationViolation, "action is not a non-empty string"))?;
    let payload = object(parts[3], &id, "CALL payload")?;
    Ok(Frame::Call { id, action, payload })
}

fn parse_result<'a>(id: String, parts: &[&'a RawValue]) -> Result<Frame<'a>, FrameError> {
    if parts.len() != 3 {
        return Err(FrameError::new(Some(&id), ErrorCode::FormationViolation, "CALLRESULT must be [3, id, payload]"));
    }
    let payload = object(parts[2], &id, "CALLRESULT payload")?;
    Ok(Frame::CallResult { id, payload })
}

fn parse_error<'a>(id: String, parts: &[&'a RawValue]) -> Result<Frame<'a>, FrameError> {
    let bad = |what: &str| FrameError::new(Some(&id), ErrorCode::FormationViolation, what);
    if parts.len() != 5 {
        return Err(bad("CALLERROR must be [4, id, errorCode, errorDescription, errorDetails]"));
    }
    let code = read_string(parts[2]).ok_or_else(|| bad("CALLERROR errorCode is not a string"))?;
    let description = read_string(parts[3]).ok_or_else(|| bad("CALLERROR errorDescription is not a string"))?;
    let details = object(parts[4], &id, "CALLERROR errorDetails")?;
    Ok(Frame::CallError { id, code, description, details })
}

fn read_string(raw: &RawValue) -> Option<String> {
    serde_json::from_str::<String>(raw.get()).ok()
}

fn object<'a>(raw: &'a RawValue, id: &str, what: &str) -> Result<&'a RawValue, FrameError> {
    if !raw.get().starts_with('{') {
        return Err(FrameError::new(Some(id), ErrorCode::FormationViolation, format!("{what} is not a JSON object")));
    }
    if too_deep(raw.get(), MAX_DEPTH) {
        return Err(FrameError::new(
            Some(id),
            ErrorCode::FormationViolation,
            format!("{what} is nested deeper than {MAX_DEPTH} levels"),
        ));
    }
    Ok(raw)
}

/// Whether valid JSON text nests objects and arrays deeper than `max`.
pub fn too_deep(json: &str, max: usize) -> bool {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for b in json.bytes() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// Appends `s` as a JSON string literal.
/// On the hot path for every id, action and station name: most need no
/// escaping and are copied as they are.
pub fn push_json_str(out: &mut String, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push('"');
        out.push_str(s);
        out.push('"');
        return;
    }
    // serde_json's escaping is exact; writing into a String cannot fail.
    let _ = write!(out, "{}", serde_json::Value::from(s));
}

pub fn call(id: &str, action: &str, payload: &str) -> String {
    let mut out = String::with_capacity(payload.len() + id.len() + action.len() + 12);
    out.push_str("[2,");
    push_json_str(&mut out, id);
    out.push(',');
    push_json_str(&mut out, action);
    out.push(',');
    out.push_str(payload);
    out.push(']');
    out
}

pub fn call_result(id: &str, payload: &str) -> String {
    let mut out = String::with_capacity(payload.len() + id.len() + 8);
    out.push_str("[3,");
    push_json_str(&mut out, id);
    out.push(',');
    out.push_str(payload);
    out.push(']');
    out
}

/// `details` is raw JSON object text; `None` sends `{}`.
pub fn call_error(id: &str, code: ErrorCode, description: &str, details: Option<&str>) -> String {
    let mut out = String::with_capacity(64 + description.len());
    out.push_str("[4,");
    push_json_str(&mut out, id);
    out.push(',');
    push_json_str(&mut out, code.as_str());
    out.push(',');
    push_json_str(&mut out, description);
    out.push(',');
    out.push_str(details.unwrap_or("{}"));
    out.push(']');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> FrameError {
        parse(text).expect_err("frame should be refused")
    }

    #[test]
    fn parses_the_three_frame_types() {
        match parse(r#"[2,"19223201","BootNotification",{"chargePointVendor":"VendorX"}]"#).unwrap() {
            Frame::Call { id, action, payload } => {
                assert_eq!(id, "19223201");
                assert_eq!(action, "BootNotification");
                assert_eq!(payload.get(), r#"{"chargePointVendor":"VendorX"}"#);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(parse(r#"[3,"a",{}]"#).unwrap(), Frame::CallResult { .. }));
        match parse(r#"[4,"a","NotSupported","no",{"x":1}]"#).unwrap() {
            Frame::CallError { code, description, details, .. } => {
                assert_eq!(code, "NotSupported");
                assert_eq!(description, "no");
                assert_eq!(details.get(), r#"{"x":1}"#);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn whitespace_between_elements_is_fine() {
        assert!(matches!(parse(" [ 2 , \"x\" , \"Heartbeat\" , { } ] ").unwrap(), Frame::Call { .. }));
    }

    #[test]
    fn unreadable_frames_have_no_id() {
        for text in ["not json", "{}", "[]", "[2]", "[2, 5, \"Heartbeat\", {}]", "\"x\"", "[2,\"a\""] {
            let e = err(text);
            assert_eq!(e.id, None, "{text}");
            assert_eq!(e.code, ErrorCode::FormationViolation, "{text}");
            assert!(e.to_call_error().starts_with(r#"[4,"-1","FormationViolation","#), "{text}");
        }
    }

    #[test]
    fn readable_ids_are_echoed() {
        let e = err(r#"[2,"abc","Heartbeat"]"#);
        assert_eq!((e.id.as_deref(), e.code), (Some("abc"), ErrorCode::ProtocolError));
        let e = err(r#"[2,"abc","Heartbeat",[]]"#);
        assert_eq!((e.id.as_deref(), e.code), (Some("abc"), ErrorCode::FormationViolation));
        let e = err(r#"[2,"abc",7,{}]"#);
        assert_eq!(e.id.as_deref(), Some("abc"));
        let e = err(r#"[9,"abc",{}]"#);
        assert_eq!(e.id.as_deref(), Some("abc"));
        assert!(e.description.contains("unknown message type 9"));
        let e = err(r#"["2","abc","Heartbeat",{}]"#);
        assert_eq!(e.id.as_deref(), Some("abc"));
        let e = err(r#"[3,"abc",{},1]"#);
        assert_eq!(e.id.as_deref(), Some("abc"));
        let e = err(r#"[4,"abc","X","y"]"#);
        assert_eq!(e.id.as_deref(), Some("abc"));
    }

    #[test]
    fn ids_longer_than_36_characters_are_refused() {
        let long = "x".repeat(37);
        let e = err(&format!(r#"[2,"{long}","Heartbeat",{{}}]"#));
        assert_eq!(e.code, ErrorCode::FormationViolation);
        assert!(parse(&format!(r#"[2,"{}","Heartbeat",{{}}]"#, "x".repeat(36))).is_ok());
    }

    #[test]
    fn deep_nesting_is_refused_without_overflowing_the_stack() {
        let depth = 200_000;
        let text = format!(r#"[2,"a","DataTransfer",{}{}]"#, "[".repeat(depth), "]".repeat(depth));
        let e = err(&text);
        assert_eq!(e.code, ErrorCode::FormationViolation);
    }

    #[test]
    fn deep_payload_objects_are_refused_with_their_id() {
        let depth = 5_000;
        let text = format!(r#"[2,"deep","DataTransfer",{}1{}]"#, r#"{"a":"#.repeat(depth), "}".repeat(depth));
        let e = err(&text);
        assert_eq!((e.id.as_deref(), e.code), (Some("deep"), ErrorCode::FormationViolation));
        assert!(!too_deep(r#"{"a":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\"}"#, 2));
        assert!(too_deep(r#"{"a":[{"b":[]}]}"#, 3));
        assert!(!too_deep(r#"{"a":[{"b":[]}]}"#, 4));
    }

    #[test]
    fn serialises_frames_with_escaping() {
        assert_eq!(call("1", "Heartbeat", "{}"), r#"[2,"1","Heartbeat",{}]"#);
        assert_eq!(call_result("a\"b", r#"{"k":1}"#), r#"[3,"a\"b",{"k":1}]"#);
        let mut out = String::new();
        for s in ["plain", "tab\there", "back\\slash", "é ü", "\u{7f}"] {
            out.clear();
            push_json_str(&mut out, s);
            assert_eq!(serde_json::from_str::<String>(&out).unwrap(), s);
        }
        assert_eq!(
            call_error("-1", ErrorCode::OccurenceConstraintViolation, "bad \n", None),
            r#"[4,"-1","OccurenceConstraintViolation","bad \n",{}]"#
        );
    }

    #[test]
    fn error_codes_round_trip() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
        }
        assert_eq!(ErrorCode::parse("FormatViolation"), None);
    }
}
