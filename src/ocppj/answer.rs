//! A flow's answer to the peer's CALL, as `server response` and `CP client
//! JSON` take it: the payload is the CALLRESULT's, unless it says
//! `msgType: 4`, the documented shape for answering with a CALLERROR
//! (`ErrorCode`, `ErrorDescription`, `ErrorDetails`). A code the flow spells
//! in another version's words is translated to the link's.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::frame::{self, ErrorCode};
use crate::version::OcppVersion;

/// Why a flow's answer is not one.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AnswerError {
    #[error("msg.payload must be an object (the body of the answer), got {0}")]
    NotAnObject(&'static str),
    #[error("msg.payload is a CALLERROR (msgType 4) but ErrorCode {0:?} is not an OCPP error code; use one of: {1}")]
    BadErrorCode(String, String),
    #[error("msg.payload is a CALLERROR (msgType 4) but {0}")]
    BadCallError(&'static str),
}

/// A flow's answer to a CALL, checked: a CALLRESULT, or a CALLERROR when the
/// payload says `msgType: 4`. Both sides (CS server, CP client) read answers so.
pub enum Answer {
    Result,
    Error { code: ErrorCode, description: String, details: Option<String> },
}

impl Answer {
    pub fn read(payload: &str, version: OcppVersion) -> Result<Self, AnswerError> {
        classify(payload, version)
    }

    /// The frame answering CALL `frame_id`; `payload` is the text `read` checked.
    pub fn frame(&self, version: OcppVersion, frame_id: &str, payload: &str) -> String {
        match self {
            Answer::Result => frame::call_result(frame_id, payload.trim()),
            Answer::Error { code, description, details } => {
                frame::call_error(version, frame_id, *code, description, details.as_deref())
            }
        }
    }
}

#[derive(Deserialize)]
struct Peek<'a> {
    #[serde(rename = "msgType")]
    msg_type: Option<serde_json::Value>,
    #[serde(rename = "ErrorCode")]
    error_code: Option<serde_json::Value>,
    #[serde(rename = "ErrorDescription")]
    error_description: Option<serde_json::Value>,
    #[serde(rename = "ErrorDetails", borrow)]
    error_details: Option<&'a RawValue>,
}

fn classify(payload: &str, version: OcppVersion) -> Result<Answer, AnswerError> {
    let trimmed = payload.trim_start();
    let kind = match trimmed.as_bytes().first() {
        Some(b'{') => None,
        Some(b'[') => Some("an array"),
        Some(b'"') => Some("a string"),
        Some(b't' | b'f') => Some("a boolean"),
        Some(b'n') => Some("null"),
        Some(_) => Some("a number"),
        None => Some("nothing"),
    };
    if let Some(kind) = kind {
        return Err(AnswerError::NotAnObject(kind));
    }
    let peek: Peek = serde_json::from_str(trimmed).map_err(|_| AnswerError::NotAnObject("invalid JSON"))?;
    if peek.msg_type.as_ref().and_then(|v| v.as_u64()) != Some(4) {
        return Ok(Answer::Result);
    }
    let code_text = match peek.error_code {
        Some(serde_json::Value::String(s)) => s,
        Some(_) => return Err(AnswerError::BadCallError("ErrorCode is not a string")),
        None => return Err(AnswerError::BadCallError("ErrorCode is missing")),
    };
    let code =
        ErrorCode::parse(&code_text).ok_or_else(|| AnswerError::BadErrorCode(code_text, ErrorCode::names(version)))?;
    let description = match peek.error_description {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s,
        Some(_) => return Err(AnswerError::BadCallError("ErrorDescription is not a string")),
    };
    let details = match peek.error_details {
        None => None,
        Some(raw) if raw.get().starts_with('{') => Some(raw.get().to_owned()),
        Some(_) => return Err(AnswerError::BadCallError("ErrorDetails is not an object")),
    };
    Ok(Answer::Error { code, description, details })
}
