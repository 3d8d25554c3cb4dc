//! Station CALLs waiting for the flow's answer.
//!
//! Each CALL that goes out of a `CS server` carries a fresh `msgId`; the
//! `server response` node hands it back with the answer. The table is
//! process-wide because `server response` is not tied to one server, as in
//! the original. Every entry has a deadline: the server's sweeper answers the
//! station with a CALLERROR when the flow stays silent.

use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};
use tokio::time::Instant;

use super::connection::{ConnCmd, ConnTx};
use super::frame::{self, ErrorCode};

pub struct PendingAnswer {
    pub tx: ConnTx,
    pub frame_id: String,
    /// The server whose sweeper watches this entry.
    pub server: u64,
    pub deadline: Instant,
}

static PENDING: LazyLock<Mutex<HashMap<String, PendingAnswer>>> = LazyLock::new(Default::default);

fn pending() -> MutexGuard<'static, HashMap<String, PendingAnswer>> {
    PENDING.lock().unwrap_or_else(|e| e.into_inner())
}

/// Why the flow's answer could not be sent.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AnswerError {
    #[error("no station request is waiting for msgId \"{0}\": it was answered already, its answer timeout passed, or msg.msgId was changed on the way")]
    UnknownMsgId(String),
    #[error("msg.payload must be an object (the body of the answer), got {0}")]
    NotAnObject(&'static str),
    #[error(
        "msg.payload is a CALLERROR (msgType 4) but ErrorCode {0:?} is not an OCPP 1.6 error code; use one of: {1}"
    )]
    BadErrorCode(String, String),
    #[error("msg.payload is a CALLERROR (msgType 4) but {0}")]
    BadCallError(&'static str),
    #[error("station {0} disconnected before the answer could be sent")]
    StationGone(String),
}

/// Remembers a CALL until the flow answers it.
pub fn wait_for_answer(msg_id: String, answer: PendingAnswer) {
    pending().insert(msg_id, answer);
}

/// Sends the flow's answer: a CALLRESULT, or a CALLERROR when the payload
/// says `msgType: 4` (the documented shape for answering with an error).
pub fn answer(msg_id: &str, payload: Option<&str>) -> Result<(), AnswerError> {
    // Check the payload before taking the entry, so a bad payload can be
    // corrected and sent again within the deadline.
    let payload = payload.ok_or(AnswerError::NotAnObject("nothing"))?;
    let answer = Answer::read(payload)?;
    let entry = pending().remove(msg_id).ok_or_else(|| AnswerError::UnknownMsgId(msg_id.to_owned()))?;
    let text = answer.frame(&entry.frame_id, payload);
    entry.tx.send(ConnCmd::Send(text)).map_err(|_| AnswerError::StationGone(entry.tx.cb_id().to_string()))
}

/// A flow's answer to a CALL, checked: a CALLRESULT, or a CALLERROR when the
/// payload says `msgType: 4`. Both sides (CS server, CP client) read answers so.
pub enum Answer {
    Result,
    Error { code: ErrorCode, description: String, details: Option<String> },
}

impl Answer {
    pub fn read(payload: &str) -> Result<Self, AnswerError> {
        classify(payload)
    }

    /// The frame answering CALL `frame_id`; `payload` is the text `read` checked.
    pub fn frame(&self, frame_id: &str, payload: &str) -> String {
        match self {
            Answer::Result => frame::call_result(frame_id, payload.trim()),
            Answer::Error { code, description, details } => {
                frame::call_error(frame_id, *code, description, details.as_deref())
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

fn classify(payload: &str) -> Result<Answer, AnswerError> {
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
    let code = ErrorCode::parse(&code_text).ok_or_else(|| AnswerError::BadErrorCode(code_text, ErrorCode::names()))?;
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

/// Answers every CALL of `server` past its deadline with a CALLERROR
/// `InternalError`; returns the stations concerned.
pub fn sweep(server: u64, now: Instant, timeout_s: f64) -> Vec<Arc<str>> {
    let mut expired = Vec::new();
    pending().retain(|_, entry| {
        if entry.server != server || entry.deadline > now {
            return true;
        }
        let text = frame::call_error(
            &entry.frame_id,
            ErrorCode::InternalError,
            &format!("the Central System did not answer within {timeout_s} s"),
            None,
        );
        let _ = entry.tx.send(ConnCmd::Send(text));
        expired.push(entry.tx.cb_id());
        false
    });
    expired
}

/// Forgets every CALL of a server that is closing.
pub fn forget_server(server: u64) {
    pending().retain(|_, entry| entry.server != server);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ocppj::connection::conn_channel;
    use std::time::Duration;

    #[test]
    fn answers_become_callresults_or_callerrors() {
        let (tx, mut rx) = conn_channel("CP1".into());
        let later = Instant::now() + Duration::from_secs(60);
        wait_for_answer("m1".into(), PendingAnswer { tx: tx.clone(), frame_id: "f1".into(), server: 1, deadline: later });
        answer("m1", Some(r#"{"currentTime":"2026-01-01T00:00:00Z"}"#)).unwrap();
        match rx.try_recv().unwrap() {
            ConnCmd::Send(t) => assert_eq!(t, r#"[3,"f1",{"currentTime":"2026-01-01T00:00:00Z"}]"#),
            _ => panic!(),
        }
        assert_eq!(answer("m1", Some("{}")), Err(AnswerError::UnknownMsgId("m1".into())));

        wait_for_answer("m2".into(), PendingAnswer { tx, frame_id: "f2".into(), server: 1, deadline: later });
        let bad = answer("m2", Some(r#"{"msgType":4,"ErrorCode":"Nope"}"#)).unwrap_err();
        assert!(matches!(bad, AnswerError::BadErrorCode(..)));
        assert_eq!(answer("m2", Some("[1]")), Err(AnswerError::NotAnObject("an array")));
        answer(
            "m2",
            Some(r#"{"msgType":4,"ErrorCode":"NotSupported","ErrorDescription":"no","ErrorDetails":{"a":1}}"#),
        )
        .unwrap();
        match rx.try_recv().unwrap() {
            ConnCmd::Send(t) => assert_eq!(t, r#"[4,"f2","NotSupported","no",{"a":1}]"#),
            _ => panic!(),
        }
    }

    #[tokio::test]
    async fn the_sweep_answers_late_calls_with_internal_error() {
        let (tx, mut rx) = conn_channel("CP-SWEEP".into());
        let deadline = Instant::now() + Duration::from_millis(10);
        wait_for_answer("late".into(), PendingAnswer { tx: tx.clone(), frame_id: "f".into(), server: 77, deadline });
        wait_for_answer("other".into(), PendingAnswer { tx, frame_id: "g".into(), server: 78, deadline });
        assert!(sweep(77, Instant::now(), 0.01).is_empty());
        let expired = sweep(77, Instant::now() + Duration::from_millis(20), 0.01);
        assert_eq!(expired.len(), 1, "only this server's entries");
        match rx.try_recv().unwrap() {
            ConnCmd::Send(t) => assert!(t.starts_with(r#"[4,"f","InternalError","#)),
            _ => panic!(),
        }
        assert!(matches!(answer("late", Some("{}")), Err(AnswerError::UnknownMsgId(_))));
        forget_server(78);
        assert!(matches!(answer("other", Some("{}")), Err(AnswerError::UnknownMsgId(_))));
    }
}
