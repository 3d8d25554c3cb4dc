//! OCPP-J RPC frames: `[2, id, action, payload]`, `[3, id, payload]`,
//! `[4, id, code, description, details]`, and in OCPP 2.1 also
//! `[5, id, code, description, details]` (CALLRESULTERROR) and
//! `[6, id, action, payload]` (SEND, unanswered).
//!
//! Parsing keeps payloads as raw JSON text (`RawValue`): the engine never needs
//! to look inside a payload, so it never builds a value tree for one. It only
//! checks that the payload is an object, as the RPC framework requires.

use serde_json::value::RawValue;

use crate::json::push_json_str;
use crate::schema::ViolationCode;
use crate::version::OcppVersion;

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
    /// OCPP 2.1: the receiver of a CALLRESULT could not process it.
    CallResultError = 5,
    /// OCPP 2.1: a one-way message, never answered.
    Send = 6,
}

impl MessageType {
    fn from_number(n: u64, version: OcppVersion) -> Option<Self> {
        match (n, version) {
            (2, _) => Some(Self::Call),
            (3, _) => Some(Self::CallResult),
            (4, _) => Some(Self::CallError),
            (5, OcppVersion::V21) => Some(Self::CallResultError),
            (6, OcppVersion::V21) => Some(Self::Send),
            _ => None,
        }
    }

    fn expected(version: OcppVersion) -> &'static str {
        if version == OcppVersion::V21 {
            "2 to 6"
        } else {
            "2, 3 or 4"
        }
    }
}

/// CALLERROR codes by meaning. Each version spells some differently:
/// 1.6 writes `FormationViolation` and `OccurenceConstraintViolation` (one
/// "r", the spec's own spelling); 2.0.1 and 2.1 write `FormatViolation` and
/// `OccurrenceConstraintViolation`, and add `RpcFrameworkError` and
/// `MessageTypeNotSupported`, which 1.6 reports as `FormationViolation`.
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
    /// 2.x: the frame is not a valid RPC message (e.g. its id cannot be read).
    RpcFrameworkError,
    /// 2.x: a message type number this side does not support.
    MessageTypeNotSupported,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 12] = [
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
        Self::RpcFrameworkError,
        Self::MessageTypeNotSupported,
    ];

    /// The code as `version`'s spec spells it.
    pub fn as_str(self, version: OcppVersion) -> &'static str {
        let v2 = version.is_2x();
        match self {
            Self::NotImplemented => "NotImplemented",
            Self::NotSupported => "NotSupported",
            Self::InternalError => "InternalError",
            Self::ProtocolError => "ProtocolError",
            Self::SecurityError => "SecurityError",
            Self::FormationViolation if v2 => "FormatViolation",
            Self::FormationViolation => "FormationViolation",
            Self::PropertyConstraintViolation => "PropertyConstraintViolation",
            Self::OccurenceConstraintViolation if v2 => "OccurrenceConstraintViolation",
            Self::OccurenceConstraintViolation => "OccurenceConstraintViolation",
            Self::TypeConstraintViolation => "TypeConstraintViolation",
            Self::GenericError => "GenericError",
            Self::RpcFrameworkError if v2 => "RpcFrameworkError",
            Self::MessageTypeNotSupported if v2 => "MessageTypeNotSupported",
            Self::RpcFrameworkError | Self::MessageTypeNotSupported => "FormationViolation",
        }
    }

    /// Reads a code a flow or a peer wrote, in either version's spelling, so a
    /// flow written for 1.6 answers a 2.0.1 station correctly.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "FormatViolation" => Some(Self::FormationViolation),
            "OccurrenceConstraintViolation" => Some(Self::OccurenceConstraintViolation),
            "RpcFrameworkError" => Some(Self::RpcFrameworkError),
            "MessageTypeNotSupported" => Some(Self::MessageTypeNotSupported),
            _ => Self::ALL.into_iter().find(|c| c.as_str(OcppVersion::V16) == s),
        }
    }

    /// The list a user sees when they pass a code that does not exist (1.6
    /// spells three codes alike, so each name once).
    pub fn names(version: OcppVersion) -> String {
        let mut names: Vec<&str> = Vec::new();
        for name in Self::ALL.map(|c| c.as_str(version)) {
            if !names.contains(&name) {
                names.push(name);
            }
        }
        names.join(", ")
    }
}

/// The CALLERROR code of a strict-mode violation.
impl From<ViolationCode> for ErrorCode {
    fn from(code: ViolationCode) -> Self {
        match code {
            ViolationCode::FormationViolation => ErrorCode::FormationViolation,
            ViolationCode::PropertyConstraintViolation => ErrorCode::PropertyConstraintViolation,
            ViolationCode::OccurrenceConstraintViolation => ErrorCode::OccurenceConstraintViolation,
            ViolationCode::TypeConstraintViolation => ErrorCode::TypeConstraintViolation,
            ViolationCode::NotImplemented => ErrorCode::NotImplemented,
        }
    }
}

/// A parsed frame borrowing from the text it came from.
#[derive(Debug)]
pub enum Frame<'a> {
    Call {
        id: String,
        action: String,
        payload: &'a RawValue,
    },
    CallResult {
        id: String,
        payload: &'a RawValue,
    },
    CallError {
        id: String,
        code: String,
        description: String,
        details: &'a RawValue,
    },
    /// 2.1: our CALLRESULT `id` could not be processed by the peer.
    CallResultError {
        id: String,
        code: String,
        description: String,
        details: &'a RawValue,
    },
    /// 2.1: a one-way message.
    Send {
        id: String,
        action: String,
        payload: &'a RawValue,
    },
}

/// Why a frame was refused, with what the CALLERROR answering it must carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameError {
    /// The frame's id when it could be read; the answer then uses it, else "-1".
    pub id: Option<String>,
    pub code: ErrorCode,
    pub description: String,
    /// The frame claims to answer a CALL (CALLRESULT, CALLERROR, CALLRESULTERROR):
    /// the RPC framework answers only CALLs with a CALLERROR, so the refusal
    /// is not sent; the CALL it answers fails instead.
    pub answers_call: bool,
}

impl FrameError {
    fn new(id: Option<&str>, code: ErrorCode, description: impl Into<String>) -> Self {
        Self { id: id.map(str::to_owned), code, description: description.into(), answers_call: false }
    }

    /// The CALLERROR frame that answers the refused frame.
    pub fn to_call_error(&self, version: OcppVersion) -> String {
        call_error(version, self.id.as_deref().unwrap_or(UNREADABLE_ID), self.code, &self.description, None)
    }

    pub fn describe(&self, version: OcppVersion) -> String {
        format!("{}: {}", self.code.as_str(version), self.description)
    }
}

/// Parses one text frame by `version`'s RPC rules. Frames that are not an
/// RPC message at all are `RpcFrameworkError` (1.6: `FormationViolation`);
/// a malformed payload is `FormationViolation` (2.x: `FormatViolation`).
pub fn parse(text: &str, version: OcppVersion) -> Result<Frame<'_>, FrameError> {
    use ErrorCode::RpcFrameworkError as Formation;
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
    let Some(message_type) = MessageType::from_number(type_number, version) else {
        return Err(FrameError::new(
            id_ref,
            ErrorCode::MessageTypeNotSupported,
            format!("unknown message type {type_number} (expected {})", MessageType::expected(version)),
        ));
    };
    let is_answer =
        matches!(message_type, MessageType::CallResult | MessageType::CallError | MessageType::CallResultError);
    let answer = |e: FrameError| FrameError { answers_call: is_answer, ..e };
    let Some(id) = id else {
        return Err(answer(FrameError::new(None, Formation, "message id is missing or not a string")));
    };
    if id.is_empty() || id.chars().count() > MAX_ID_LEN {
        return Err(answer(FrameError::new(
            Some(&id),
            Formation,
            format!("message id must have 1 to {MAX_ID_LEN} characters"),
        )));
    }
    match message_type {
        MessageType::Call => {
            let (action, payload) = call_parts(&id, &parts, "CALL", 2)?;
            Ok(Frame::Call { id, action, payload })
        }
        MessageType::Send => {
            let (action, payload) = call_parts(&id, &parts, "SEND", 6)?;
            Ok(Frame::Send { id, action, payload })
        }
        MessageType::CallResult => {
            let payload = result_payload(&id, &parts).map_err(answer)?;
            Ok(Frame::CallResult { id, payload })
        }
        MessageType::CallError => {
            let (code, description, details) = error_parts(&id, &parts, "CALLERROR", 4).map_err(answer)?;
            Ok(Frame::CallError { id, code, description, details })
        }
        MessageType::CallResultError => {
            let (code, description, details) = error_parts(&id, &parts, "CALLRESULTERROR", 5).map_err(answer)?;
            Ok(Frame::CallResultError { id, code, description, details })
        }
    }
}

/// `[n, id, action, payload]` (CALL, SEND): the action and the payload.
fn call_parts<'a>(
    id: &str,
    parts: &[&'a RawValue],
    name: &str,
    number: u8,
) -> Result<(String, &'a RawValue), FrameError> {
    if parts.len() < 4 {
        return Err(FrameError::new(
            Some(id),
            ErrorCode::ProtocolError,
            format!("{name} is incomplete: expected [{number}, id, action, payload]"),
        ));
    }
    if parts.len() > 4 {
        return Err(FrameError::new(
            Some(id),
            ErrorCode::RpcFrameworkError,
            format!("{name} has extra elements: expected [{number}, id, action, payload]"),
        ));
    }
    let action = read_string(parts[2])
        .filter(|a| !a.is_empty())
        .ok_or_else(|| FrameError::new(Some(id), ErrorCode::RpcFrameworkError, "action is not a non-empty string"))?;
    let payload = object(parts[3], id, &format!("{name} payload"))?;
    Ok((action, payload))
}

/// `[3, id, payload]`: the payload.
fn result_payload<'a>(id: &str, parts: &[&'a RawValue]) -> Result<&'a RawValue, FrameError> {
    if parts.len() != 3 {
        return Err(FrameError::new(Some(id), ErrorCode::RpcFrameworkError, "CALLRESULT must be [3, id, payload]"));
    }
    object(parts[2], id, "CALLRESULT payload")
}

/// `[n, id, code, description, details]` (CALLERROR, CALLRESULTERROR).
fn error_parts<'a>(
    id: &str,
    parts: &[&'a RawValue],
    name: &str,
    number: u8,
) -> Result<(String, String, &'a RawValue), FrameError> {
    let bad = |what: String| FrameError::new(Some(id), ErrorCode::RpcFrameworkError, what);
    if parts.len() != 5 {
        return Err(bad(format!("{name} must be [{number}, id, errorCode, errorDescription, errorDetails]")));
    }
    let code = read_string(parts[2]).ok_or_else(|| bad(format!("{name} errorCode is not a string")))?;
    let description = read_string(parts[3]).ok_or_else(|| bad(format!("{name} errorDescription is not a string")))?;
    let details = object(parts[4], id, &format!("{name} errorDetails"))?;
    Ok((code, description, details))
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

/// Checks the parts of a CALL a flow supplies (action, payload, message id),
/// before it is queued anywhere, so a bad one fails at once with a reason.
pub fn check_call(action: &str, payload: &str, id: &str) -> Result<(), String> {
    if action.is_empty() {
        return Err("no command: set msg.payload.command or the node's Command".into());
    }
    if !action.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!("command {action:?} is not an OCPP action name"));
    }
    if id.is_empty() || id.chars().count() > MAX_ID_LEN {
        return Err(format!("MessageId {id:?} must have 1 to 36 characters"));
    }
    match serde_json::from_str::<&serde_json::value::RawValue>(payload) {
        Ok(raw) if raw.get().starts_with('{') => Ok(()),
        _ => Err("the request's data must be a JSON object".into()),
    }
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
pub fn call_error(version: OcppVersion, id: &str, code: ErrorCode, description: &str, details: Option<&str>) -> String {
    error_frame(4, version, id, code, description, details)
}

/// OCPP 2.1's answer to a CALLRESULT that could not be processed.
pub fn call_result_error(id: &str, code: ErrorCode, description: &str) -> String {
    error_frame(5, OcppVersion::V21, id, code, description, None)
}

/// OCPP 2.1's one-way message.
pub fn send(id: &str, action: &str, payload: &str) -> String {
    let mut out = call(id, action, payload);
    out.replace_range(1..2, "6");
    out
}

fn error_frame(
    number: u8,
    version: OcppVersion,
    id: &str,
    code: ErrorCode,
    description: &str,
    details: Option<&str>,
) -> String {
    let mut out = String::with_capacity(64 + description.len());
    out.push('[');
    out.push(char::from(b'0' + number));
    out.push(',');
    push_json_str(&mut out, id);
    out.push(',');
    push_json_str(&mut out, code.as_str(version));
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

    #[test]
    fn strict_mode_violations_are_spelled_as_the_version_spells_error_codes() {
        for version in OcppVersion::ALL {
            for violation in ViolationCode::ALL {
                let code = ErrorCode::from(violation);
                assert_eq!(code.as_str(version), violation.as_str(version), "{violation:?} in {version:?}");
                assert_eq!(ErrorCode::parse(violation.as_str(version)), Some(code));
            }
        }
    }
    use OcppVersion::{V16, V201, V21};

    fn parse16(text: &str) -> Result<Frame<'_>, FrameError> {
        parse(text, V16)
    }

    fn err(text: &str) -> FrameError {
        parse16(text).expect_err("frame should be refused")
    }

    #[test]
    fn parses_the_three_frame_types() {
        match parse16(r#"[2,"19223201","BootNotification",{"chargePointVendor":"VendorX"}]"#).unwrap() {
            Frame::Call { id, action, payload } => {
                assert_eq!(id, "19223201");
                assert_eq!(action, "BootNotification");
                assert_eq!(payload.get(), r#"{"chargePointVendor":"VendorX"}"#);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(parse16(r#"[3,"a",{}]"#).unwrap(), Frame::CallResult { .. }));
        match parse16(r#"[4,"a","NotSupported","no",{"x":1}]"#).unwrap() {
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
        assert!(matches!(parse16(" [ 2 , \"x\" , \"Heartbeat\" , { } ] ").unwrap(), Frame::Call { .. }));
    }

    #[test]
    fn unreadable_frames_have_no_id() {
        for text in ["not json", "{}", "[]", "[2]", "[2, 5, \"Heartbeat\", {}]", "\"x\"", "[2,\"a\""] {
            let e = err(text);
            assert_eq!(e.id, None, "{text}");
            assert_eq!(e.code, ErrorCode::RpcFrameworkError, "{text}");
            assert!(e.to_call_error(V16).starts_with(r#"[4,"-1","FormationViolation","#), "{text}");
            assert!(e.to_call_error(V201).starts_with(r#"[4,"-1","RpcFrameworkError","#), "{text}");
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
        assert!(e.answers_call, "a malformed CALLERROR is not answered with one");
        assert!(err(r#"[3,"abc"]"#).answers_call);
        assert!(!err(r#"[2,"abc","Heartbeat"]"#).answers_call);
    }

    #[test]
    fn ids_longer_than_36_characters_are_refused() {
        let long = "x".repeat(37);
        let e = err(&format!(r#"[2,"{long}","Heartbeat",{{}}]"#));
        assert_eq!(e.code, ErrorCode::RpcFrameworkError);
        assert!(parse16(&format!(r#"[2,"{}","Heartbeat",{{}}]"#, "x".repeat(36))).is_ok());
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
            call_error(V16, "-1", ErrorCode::OccurenceConstraintViolation, "bad \n", None),
            r#"[4,"-1","OccurenceConstraintViolation","bad \n",{}]"#
        );
        assert_eq!(
            call_error(V201, "a", ErrorCode::OccurenceConstraintViolation, "", None),
            r#"[4,"a","OccurrenceConstraintViolation","",{}]"#
        );
        assert_eq!(call_result_error("a", ErrorCode::FormationViolation, "x"), r#"[5,"a","FormatViolation","x",{}]"#);
        assert_eq!(send("s", "NotifyPeriodicEventStream", "{}"), r#"[6,"s","NotifyPeriodicEventStream",{}]"#);
    }

    #[test]
    fn version_2x_rules() {
        // Types 5 and 6 exist in 2.1 only.
        assert!(matches!(parse(r#"[6,"s","NotifyPeriodicEventStream",{}]"#, V21).unwrap(), Frame::Send { .. }));
        assert!(matches!(parse(r#"[5,"r","FormatViolation","",{}]"#, V21).unwrap(), Frame::CallResultError { .. }));
        let e = parse(r#"[6,"s","X",{}]"#, V201).unwrap_err();
        assert_eq!((e.id.as_deref(), e.code), (Some("s"), ErrorCode::MessageTypeNotSupported));
        assert!(e.to_call_error(V201).starts_with(r#"[4,"s","MessageTypeNotSupported","#));
        assert!(e.to_call_error(V16).starts_with(r#"[4,"s","FormationViolation","#));
        let e = parse(r#"[2,"p","Heartbeat",[]]"#, V201).unwrap_err();
        assert!(e.to_call_error(V201).starts_with(r#"[4,"p","FormatViolation","#));
    }

    #[test]
    fn error_codes_round_trip() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(code.as_str(V201)), Some(code));
        }
        for code in &ErrorCode::ALL[..10] {
            assert_eq!(ErrorCode::parse(code.as_str(V16)), Some(*code));
        }
        assert_eq!(ErrorCode::parse("FormatViolation"), Some(ErrorCode::FormationViolation));
        assert_eq!(ErrorCode::parse("Nope"), None);
        assert!(!ErrorCode::names(V16).contains("RpcFrameworkError"));
        assert!(ErrorCode::names(V21).contains("RpcFrameworkError"));
    }
}
