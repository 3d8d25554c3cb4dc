//! Station CALLs waiting for the flow's answer.
//!
//! Each CALL that goes out of a `CS server` carries a fresh `msgId`; the
//! `server response` node hands it back with the answer. The table is
//! process-wide because `server response` is not tied to one server, as in
//! the original. Every entry has a deadline: the server's sweeper answers the
//! station with a CALLERROR when the flow stays silent.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};
use tokio::time::Instant;

use super::mailbox::{ConnCmd, ConnTx};
use crate::ocppj::answer::{Answer, AnswerError};
use crate::ocppj::frame::{self, ErrorCode};
use crate::schema::{check_schema, Direction};
use crate::soap::envelope::{self, Addressing};
use crate::soap::operation::Operation;
use crate::soap::Service;
use crate::sync::lock;

pub struct PendingAnswer {
    pub waiter: Waiter,
    /// The server whose sweeper watches this entry.
    pub server: u64,
    pub deadline: Instant,
}

/// Who is waiting for the answer.
pub enum Waiter {
    /// An OCPP-J station: the answer is a frame on its connection.
    /// `action` is kept in strict mode, to check the answer against its schema.
    Station { tx: ConnTx, frame_id: String, action: Option<Box<str>> },
    /// A SOAP request: the answer is the HTTP response (status, body).
    Soap(SoapWaiter),
}

pub struct SoapWaiter {
    pub reply: tokio::sync::oneshot::Sender<(u16, String)>,
    pub addressing: Addressing,
    pub service: Service,
    pub operation: &'static Operation,
}

impl SoapWaiter {
    /// The envelope answering the request: the flow's payload encoded for
    /// the operation, or the Fault the payload asks for.
    fn document(&self, payload: &str) -> Result<(u16, String), RespondError> {
        let value: serde_json::Value = serde_json::from_str(payload)
            .map_err(|_| RespondError::Answer(AnswerError::NotAnObject("invalid JSON")))?;
        if !value.is_object() {
            return Err(RespondError::Answer(AnswerError::NotAnObject("not an object")));
        }
        if let Some(fault) = value.get("Fault") {
            let (code, xml) = envelope::flow_fault(self.addressing.version, fault);
            return Ok((code.http_status(), xml));
        }
        let xml = envelope::response(&self.addressing, self.service, self.operation, &value)
            .map_err(|e| RespondError::Soap(self.operation.name, e.to_string()))?;
        Ok((200, xml))
    }
}

static PENDING: LazyLock<Mutex<HashMap<String, PendingAnswer>>> = LazyLock::new(Default::default);

fn pending() -> MutexGuard<'static, HashMap<String, PendingAnswer>> {
    lock(&PENDING)
}

/// Why the flow's answer could not be sent.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RespondError {
    #[error("no station request is waiting for msgId \"{0}\": it was answered already, its answer timeout passed, or msg.msgId was changed on the way")]
    UnknownMsgId(String),
    #[error(transparent)]
    Answer(#[from] AnswerError),
    #[error("station {0} disconnected before the answer could be sent")]
    StationGone(String),
    #[error("msg.payload does not fit the SOAP {0} response: {1}")]
    Soap(&'static str, String),
    /// Strict mode: the answer does not match its schema.
    #[error("{0}")]
    Schema(String),
}

/// Remembers a CALL until the flow answers it.
pub fn wait_for_answer(msg_id: String, answer: PendingAnswer) {
    pending().insert(msg_id, answer);
}

/// Sends the flow's answer: a CALLRESULT, or a CALLERROR when the payload
/// says `msgType: 4` (the documented shape for answering with an error).
pub fn answer(msg_id: &str, payload: Option<&str>) -> Result<(), RespondError> {
    let payload = payload.ok_or(RespondError::Answer(AnswerError::NotAnObject("nothing")))?;
    let mut table = pending();
    // Check the payload before taking the entry, so a bad payload can be
    // corrected and sent again within the deadline.
    let entry = table.get(msg_id).ok_or_else(|| RespondError::UnknownMsgId(msg_id.to_owned()))?;
    let prepared = match &entry.waiter {
        Waiter::Station { frame_id, tx, action } => {
            let version = tx.version();
            let answer = Answer::read(payload, version)?;
            if let (Answer::Result, Some(action)) = (&answer, action) {
                check_schema(version, action, Direction::Response, payload.trim()).map_err(RespondError::Schema)?;
            }
            Prepared::Frame(answer.frame(version, frame_id, payload))
        }
        Waiter::Soap(waiter) => Prepared::Document(waiter.document(payload)?),
    };
    let entry = table.remove(msg_id).expect("checked above, under the same lock");
    drop(table);
    match (entry.waiter, prepared) {
        (Waiter::Station { tx, .. }, Prepared::Frame(text)) => {
            tx.send(ConnCmd::Answer(text)).map_err(|_| RespondError::StationGone(tx.cb_id().to_string()))
        }
        (Waiter::Soap(waiter), Prepared::Document(doc)) => waiter
            .reply
            .send(doc)
            .map_err(|_| RespondError::StationGone(waiter.addressing.charge_box_identity.unwrap_or_default())),
        _ => unreachable!("prepared for its own waiter"),
    }
}

enum Prepared {
    Frame(String),
    Document((u16, String)),
}

/// Answers every CALL of `server` past its deadline with a CALLERROR
/// `InternalError`; returns the stations concerned.
pub fn sweep(server: u64, now: Instant, timeout_s: f64) -> Vec<Arc<str>> {
    let mut expired = Vec::new();
    pending().retain(|_, entry| {
        if entry.server != server || entry.deadline > now {
            return true;
        }
        let why = format!("the Central System did not answer within {timeout_s} s");
        match &mut entry.waiter {
            Waiter::Station { tx, frame_id, .. } => {
                let text = frame::call_error(tx.version(), frame_id, ErrorCode::InternalError, &why, None);
                let _ = tx.send(ConnCmd::Answer(text));
                expired.push(tx.cb_id());
            }
            Waiter::Soap(waiter) => {
                let fault = envelope::fault(waiter.addressing.version, envelope::FaultCode::Receiver, &why);
                // Taking the sender out of the entry about to be dropped.
                let (dummy, _) = tokio::sync::oneshot::channel();
                let _ = std::mem::replace(&mut waiter.reply, dummy).send((500, fault));
                expired.push(Arc::from(waiter.addressing.charge_box_identity.clone().unwrap_or_default()));
            }
        }
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
    use crate::cs::mailbox::conn_channel;
    use crate::version::OcppVersion;
    use std::time::Duration;

    fn station(tx: &ConnTx, frame_id: &str, server: u64, deadline: Instant) -> PendingAnswer {
        PendingAnswer {
            waiter: Waiter::Station { tx: tx.clone(), frame_id: frame_id.into(), action: None },
            server,
            deadline,
        }
    }

    #[test]
    fn answers_become_callresults_or_callerrors() {
        let (tx, mut rx) = conn_channel("CP1".into(), OcppVersion::V16, false);
        let later = Instant::now() + Duration::from_secs(60);
        wait_for_answer("m1".into(), station(&tx, "f1", 1, later));
        answer("m1", Some(r#"{"currentTime":"2026-01-01T00:00:00Z"}"#)).unwrap();
        match rx.try_recv().unwrap() {
            ConnCmd::Answer(t) => assert_eq!(t, r#"[3,"f1",{"currentTime":"2026-01-01T00:00:00Z"}]"#),
            _ => panic!(),
        }
        assert_eq!(answer("m1", Some("{}")), Err(RespondError::UnknownMsgId("m1".into())));

        wait_for_answer("m2".into(), station(&tx, "f2", 1, later));
        let bad = answer("m2", Some(r#"{"msgType":4,"ErrorCode":"Nope"}"#)).unwrap_err();
        assert!(matches!(bad, RespondError::Answer(AnswerError::BadErrorCode(..))));
        assert_eq!(answer("m2", Some("[1]")), Err(RespondError::Answer(AnswerError::NotAnObject("an array"))));
        answer(
            "m2",
            Some(r#"{"msgType":4,"ErrorCode":"NotSupported","ErrorDescription":"no","ErrorDetails":{"a":1}}"#),
        )
        .unwrap();
        match rx.try_recv().unwrap() {
            ConnCmd::Answer(t) => assert_eq!(t, r#"[4,"f2","NotSupported","no",{"a":1}]"#),
            _ => panic!(),
        }
    }

    #[test]
    fn a_flow_written_for_one_version_answers_in_the_station_s_spelling() {
        let (tx, mut rx) = conn_channel("CP201".into(), OcppVersion::V201, false);
        let later = Instant::now() + Duration::from_secs(60);
        wait_for_answer("v1".into(), station(&tx, "f1", 1, later));
        answer("v1", Some(r#"{"msgType":4,"ErrorCode":"FormationViolation"}"#)).unwrap();
        match rx.try_recv().unwrap() {
            ConnCmd::Answer(t) => assert_eq!(t, r#"[4,"f1","FormatViolation","",{}]"#),
            _ => panic!(),
        }
    }

    #[tokio::test]
    async fn the_sweep_answers_late_calls_with_internal_error() {
        let (tx, mut rx) = conn_channel("CP-SWEEP".into(), OcppVersion::V201, false);
        let deadline = Instant::now() + Duration::from_millis(10);
        wait_for_answer("late".into(), station(&tx, "f", 77, deadline));
        wait_for_answer("other".into(), station(&tx, "g", 78, deadline));
        assert!(sweep(77, Instant::now(), 0.01).is_empty());
        let expired = sweep(77, Instant::now() + Duration::from_millis(20), 0.01);
        assert_eq!(expired.len(), 1, "only this server's entries");
        match rx.try_recv().unwrap() {
            ConnCmd::Answer(t) => assert!(t.starts_with(r#"[4,"f","InternalError","#)),
            _ => panic!(),
        }
        assert!(matches!(answer("late", Some("{}")), Err(RespondError::UnknownMsgId(_))));
        forget_server(78);
        assert!(matches!(answer("other", Some("{}")), Err(RespondError::UnknownMsgId(_))));
    }
}
