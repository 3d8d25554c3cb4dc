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

use super::mailbox::{Answered, ConnCmd, ConnTx};
use super::metrics::{Action, Direction as Way, Protocol, ServerMetrics};
use super::transactions;
use crate::ocppj::answer::{Answer, AnswerError};
use crate::ocppj::frame::{self, ErrorCode, MessageType};
use crate::schema::{check_schema, Direction};
use crate::soap::codec::{self, Fitted};
use crate::soap::envelope::{self, Addressing};
use crate::soap::operation::Operation;
use crate::soap::Service;
use crate::sync::lock;
use crate::unified::answers::{self as unified_answers, AnswerContext};
use crate::version::OcppVersion;

pub struct PendingAnswer {
    pub waiter: Waiter,
    /// What the answer needs beyond being sent (unified completion, the
    /// transaction tracker); none for most CALLs while unified messages are off.
    pub hook: Option<Box<AnswerHook>>,
    /// The server whose sweeper watches this entry.
    pub server: u64,
    /// When the request was handed to the flow, for the answer-time metric.
    pub handed: Instant,
    pub deadline: Instant,
}

/// Who is waiting for the answer.
pub enum Waiter {
    /// An OCPP-J station: the answer is a frame on its connection.
    /// `action` is kept in strict mode, to check the answer against its schema;
    /// `counted` is the action's place in the metrics.
    Station { tx: ConnTx, frame_id: String, action: Option<Box<str>>, counted: Action },
    /// A SOAP request: the answer is the HTTP response (status, body).
    Soap(SoapWaiter),
}

pub struct SoapWaiter {
    pub reply: tokio::sync::oneshot::Sender<(u16, String)>,
    pub addressing: Addressing,
    pub service: Service,
    pub operation: &'static Operation,
    /// Strict mode: an answer must fit the WSDL as it is; otherwise fields it
    /// does not have are dropped and the other version's names taken.
    pub strict: bool,
    /// Its place in the station's count of waiting requests.
    pub slot: SoapSlot,
    /// The server's counters: the answer is counted when it is sent.
    pub metrics: Arc<ServerMetrics>,
}

/// How many SOAP requests of each station are waiting for the flow, on one
/// server. A station may have at most `maxStationCalls`: SOAP has no rule of
/// one at a time, and a station that posts without waiting must not fill the
/// answer table.
#[derive(Default)]
pub struct SoapQueue {
    waiting: Mutex<HashMap<String, usize>>,
}

/// One request's place in its station's count; dropping it (answered, timed
/// out, or forgotten with its server) frees it.
pub struct SoapSlot {
    queue: Arc<SoapQueue>,
    cb: String,
}

impl SoapQueue {
    /// A place for one more request of `cb`, unless `limit` are waiting already.
    pub fn enter(self: &Arc<Self>, cb: &str, limit: usize) -> Option<SoapSlot> {
        let mut waiting = lock(&self.waiting);
        let count = waiting.entry(cb.to_owned()).or_default();
        if *count >= limit {
            return None;
        }
        *count += 1;
        Some(SoapSlot { queue: self.clone(), cb: cb.to_owned() })
    }

    #[cfg(test)]
    fn stations(&self) -> usize {
        lock(&self.waiting).len()
    }
}

impl Drop for SoapSlot {
    fn drop(&mut self) {
        let mut waiting = lock(&self.queue.waiting);
        if let Some(count) = waiting.get_mut(&self.cb) {
            *count -= 1;
            if *count == 0 {
                waiting.remove(&self.cb);
            }
        }
    }
}

impl SoapWaiter {
    /// The envelope answering the request (the flow's payload encoded for the
    /// operation, or the Fault the payload asks for), and what was changed to
    /// make the payload fit.
    fn document(&self, payload: Option<&str>) -> Result<((u16, String), Vec<Fitted>), RespondError> {
        let payload = payload.ok_or(AnswerError::NotAnObject("nothing"))?;
        let mut value: serde_json::Value =
            serde_json::from_str(payload).map_err(|_| AnswerError::NotAnObject("invalid JSON"))?;
        if !value.is_object() {
            return Err(AnswerError::NotAnObject(crate::json::kind_of(&value)).into());
        }
        if let Some(fault) = value.get("Fault") {
            let (code, xml) = envelope::flow_fault(self.addressing.version, fault);
            return Ok(((code.http_status(), xml), Vec::new()));
        }
        let op = self.operation;
        let mut notes = Vec::new();
        if !self.strict {
            codec::fit(&mut value, op.name, op.response_fields, op.response, &mut notes);
        }
        let xml = envelope::response(&self.addressing, self.service, op, &value)
            .map_err(|e| RespondError::Soap(op.name, e.to_string()))?;
        Ok(((200, xml), notes))
    }

    /// The Fault a station gets when the flow's answer cannot be sent.
    fn refusal(&self, why: &RespondError) -> (u16, String) {
        let text = format!("no valid answer: {why}");
        (500, envelope::fault(self.addressing.version, envelope::FaultCode::Receiver, &text))
    }

    /// Counts the response (200) or Fault about to be sent.
    fn count(&self, status: u16) {
        let kind = if status == 200 { MessageType::CallResult } else { MessageType::CallError };
        let proto = Protocol::soap(self.service.version());
        self.metrics.message(Way::Out, proto, Action::of(Some(self.operation.name)), kind, None);
    }
}

/// What happens to a station request's answer besides being sent.
pub struct AnswerHook {
    pub cb_id: Arc<str>,
    /// A 1.6 StartTransaction's connector: its accepted answer starts a
    /// transaction in the tracker (`cs/transactions.rs`).
    pub start_connector: Option<u32>,
    /// The server has unified messages on: the flow's answer is completed.
    pub unified: Option<UnifiedAnswer>,
}

/// What completing a unified answer needs of its request (`unified::answers::complete`).
pub struct UnifiedAnswer {
    pub version: OcppVersion,
    pub action: Box<str>,
    pub request: serde_json::Value,
    /// A 1.6 StartTransaction's minted id.
    pub minted: Option<i64>,
    pub boot_interval: u32,
}

impl AnswerHook {
    /// The flow's answer completed into the native one, as text and as the
    /// value it was written from (checked against its schema already); `None`
    /// sends it as written (unified messages off, a CALLERROR or Fault, or
    /// text the usual checks will word an error for).
    fn complete(&self, payload: Option<&str>) -> Result<Option<Completed>, RespondError> {
        let (Some(u), Some(text)) = (&self.unified, payload) else { return Ok(None) };
        let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else { return Ok(None) };
        let error = value.get("msgType").and_then(serde_json::Value::as_u64) == Some(4);
        if !value.is_object() || error || value.get("Fault").is_some() {
            return Ok(None);
        }
        let now = crate::time::now_rfc3339();
        let ctx = AnswerContext { now: &now, heartbeat_interval: u.boot_interval, minted_transaction_id: u.minted };
        let done = unified_answers::complete(u.version, &u.action, &u.request, &value, &ctx)
            .map_err(|e| RespondError::Unified(u.action.to_string(), e.to_string()))?;
        Ok(Some(Completed { text: done.to_string(), value: done }))
    }

    /// The answer went out: an accepted 1.6 StartTransaction runs from now.
    /// `completed`: the answer's value when it was completed (not parsed again).
    fn sent(&self, answer: Option<&str>, completed: Option<&serde_json::Value>) {
        let Some(connector) = self.start_connector else { return };
        if let Some(value) = completed {
            transactions::start_answered(&self.cb_id, connector, value);
        } else if let Some(Ok(value)) = answer.map(serde_json::from_str::<serde_json::Value>) {
            transactions::start_answered(&self.cb_id, connector, &value);
        }
    }
}

/// A unified answer completed into its version's own (`AnswerHook::complete`).
struct Completed {
    /// What goes to the station.
    text: String,
    /// The value `text` was written from, for the tracker.
    value: serde_json::Value,
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
    /// Unified messages: the flow's answer cannot be completed.
    #[error("the unified answer to {0} cannot be completed: {1}")]
    Unified(String, String),
    /// Strict mode: the answer does not match its schema.
    #[error("{0}")]
    Schema(String),
    /// The answer could not be sent, so the station got an error instead.
    #[error("{0}; the station got {1} instead")]
    StationTold(Box<RespondError>, &'static str),
}

/// Remembers a CALL until the flow answers it.
pub fn wait_for_answer(msg_id: String, answer: PendingAnswer) {
    pending().insert(msg_id, answer);
}

/// Sends the flow's answer: a CALLRESULT, or a CALLERROR when the payload
/// says `msgType: 4` (the documented shape for answering with an error); for
/// SOAP, the response envelope or a Fault. Returns what the flow's author
/// should hear about (a SOAP answer fitted to the WSDL), once per kind.
///
/// An answer that cannot be sent does not leave the station waiting for the
/// answer timeout: it gets a CALLERROR `InternalError` (SOAP: a Fault) at once,
/// and the flow an error saying so.
pub fn answer(msg_id: &str, payload: Option<&str>) -> Result<Option<String>, RespondError> {
    let entry = pending().remove(msg_id).ok_or_else(|| RespondError::UnknownMsgId(msg_id.to_owned()))?;
    let flow_time = entry.handed.elapsed();
    let hook = entry.hook;
    // Unified messages: the flow's answer completed first; one that cannot be
    // is refused like any answer that cannot be sent.
    let (completed, refused) = match hook.as_deref().map(|h| h.complete(payload)) {
        Some(Ok(Some(done))) => (Some(done), None),
        Some(Err(why)) => (None, Some(why)),
        _ => (None, None),
    };
    let payload = completed.as_ref().map(|done| done.text.as_str()).or(payload);
    let outcome = match entry.waiter {
        Waiter::Station { tx, frame_id, action, counted } => {
            let version = tx.version();
            let framed = match (refused, &completed) {
                (Some(why), _) => Err(why),
                // A completed answer is an object without msgType 4, checked
                // against its schema as it was completed: a CALLRESULT as it is.
                (None, Some(done)) => Ok((Answer::Result.frame(version, &frame_id, &done.text), None)),
                (None, None) => station_frame(version, &frame_id, action.as_deref(), payload),
            };
            let sent_ok = matches!(framed, Ok((_, None)));
            let ((text, error), outcome) = match framed {
                Ok(framed) => (framed, Ok(None)),
                Err(why) => {
                    let description = format!("no valid answer: {why}");
                    let code = ErrorCode::InternalError;
                    let text = frame::call_error(version, &frame_id, code, &description, None);
                    ((text, Some(code)), Err(RespondError::StationTold(Box::new(why), "a CALLERROR InternalError")))
                }
            };
            let answered = Answered { text, action: counted, error, flow_time: Some(flow_time) };
            tx.send(ConnCmd::Answer(answered)).map_err(|_| RespondError::StationGone(tx.cb_id().to_string()))?;
            (outcome, sent_ok)
        }
        Waiter::Soap(waiter) => {
            let document = match refused {
                Some(why) => Err(why),
                None => waiter.document(payload),
            };
            let (document, outcome) = match document {
                Ok((document, notes)) => (document, Ok(first_time(waiter.operation.name, &notes))),
                Err(why) => (waiter.refusal(&why), Err(RespondError::StationTold(Box::new(why), "a SOAP Fault"))),
            };
            let sent_ok = document.0 == 200;
            waiter.count(document.0);
            waiter.metrics.flow_answer.observe(flow_time);
            let cb = waiter.addressing.charge_box_identity.unwrap_or_default();
            waiter.reply.send(document).map_err(|_| RespondError::StationGone(cb))?;
            (outcome, sent_ok)
        }
    };
    let (outcome, sent_ok) = outcome;
    if let (Some(hook), true) = (hook, sent_ok) {
        hook.sent(payload, completed.as_ref().map(|done| &done.value));
    }
    outcome
}

/// The frame answering an OCPP-J station's CALL with the flow's payload, and
/// its CALLERROR code when the flow answers with one.
fn station_frame(
    version: OcppVersion,
    frame_id: &str,
    action: Option<&str>,
    payload: Option<&str>,
) -> Result<(String, Option<ErrorCode>), RespondError> {
    let payload = payload.ok_or(AnswerError::NotAnObject("nothing"))?;
    let answer = Answer::read(payload, version)?;
    if let (Answer::Result, Some(action)) = (&answer, action) {
        check_schema(version, action, Direction::Response, payload.trim()).map_err(RespondError::Schema)?;
    }
    let code = match &answer {
        Answer::Result => None,
        Answer::Error { code, .. } => Some(*code),
    };
    Ok((answer.frame(version, frame_id, payload), code))
}

/// What a fitted answer's author should hear: each kind of change once per
/// process, so a flow answering every station the same way warns once.
fn first_time(operation: &str, notes: &[Fitted]) -> Option<String> {
    static SEEN: LazyLock<Mutex<std::collections::HashSet<String>>> = LazyLock::new(Default::default);
    const MAX_SEEN: usize = 1000;
    if notes.is_empty() {
        return None;
    }
    let text = format!(
        "the answer to {operation} was fitted to the WSDL: {}",
        notes.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
    );
    let mut seen = lock(&SEEN);
    if seen.len() >= MAX_SEEN {
        seen.clear();
    }
    seen.insert(text.clone()).then_some(text)
}

/// Answers every CALL of `server` past its deadline with a CALLERROR
/// `InternalError`; returns the stations concerned.
pub fn sweep(server: u64, now: Instant, timeout_s: f64, metrics: &ServerMetrics) -> Vec<Arc<str>> {
    let mut expired = Vec::new();
    pending().retain(|_, entry| {
        if entry.server != server || entry.deadline > now {
            return true;
        }
        metrics.flow_timed_out();
        let why = format!("the Central System did not answer within {timeout_s} s");
        match &mut entry.waiter {
            Waiter::Station { tx, frame_id, counted, .. } => {
                let code = ErrorCode::InternalError;
                let text = frame::call_error(tx.version(), frame_id, code, &why, None);
                let _ =
                    tx.send(ConnCmd::Answer(Answered { text, action: *counted, error: Some(code), flow_time: None }));
                expired.push(tx.cb_id());
            }
            Waiter::Soap(waiter) => {
                waiter.count(500);
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

/// How many requests of `server` wait for the flow: OCPP-J CALLs and SOAP
/// requests. A scan of the table, for a scrape, not for every message.
pub fn waiting(server: u64) -> (usize, usize) {
    let table = pending();
    let mine = table.values().filter(|entry| entry.server == server);
    mine.fold((0, 0), |(json, soap), entry| match entry.waiter {
        Waiter::Station { .. } => (json + 1, soap),
        Waiter::Soap(_) => (json, soap + 1),
    })
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
            waiter: Waiter::Station {
                tx: tx.clone(),
                frame_id: frame_id.into(),
                action: None,
                counted: Action::of(None),
            },
            hook: None,
            server,
            handed: Instant::now(),
            deadline,
        }
    }

    #[test]
    fn soap_requests_per_station_are_capped_and_their_places_freed() {
        let queue = Arc::new(SoapQueue::default());
        let a1 = queue.enter("A", 2).unwrap();
        let a2 = queue.enter("A", 2).unwrap();
        assert!(queue.enter("A", 2).is_none(), "a third waits for none of the first two");
        let b = queue.enter("B", 2).unwrap();
        drop(a1);
        let a3 = queue.enter("A", 2).unwrap();
        drop((a2, a3, b));
        assert_eq!(queue.stations(), 0, "no entry is left behind");
    }

    #[test]
    fn answers_become_callresults_or_callerrors() {
        let (tx, mut rx) = conn_channel("CP1".into(), OcppVersion::V16, false);
        let later = Instant::now() + Duration::from_secs(60);
        wait_for_answer("m1".into(), station(&tx, "f1", 1, later));
        answer("m1", Some(r#"{"currentTime":"2026-01-01T00:00:00Z"}"#)).unwrap();
        match rx.try_recv().unwrap() {
            ConnCmd::Answer(Answered { text: t, .. }) => {
                assert_eq!(t, r#"[3,"f1",{"currentTime":"2026-01-01T00:00:00Z"}]"#)
            }
            _ => panic!(),
        }
        assert_eq!(answer("m1", Some("{}")), Err(RespondError::UnknownMsgId("m1".into())));

        wait_for_answer("m2".into(), station(&tx, "f2", 1, later));
        answer(
            "m2",
            Some(r#"{"msgType":4,"ErrorCode":"NotSupported","ErrorDescription":"no","ErrorDetails":{"a":1}}"#),
        )
        .unwrap();
        match rx.try_recv().unwrap() {
            ConnCmd::Answer(Answered { text: t, .. }) => assert_eq!(t, r#"[4,"f2","NotSupported","no",{"a":1}]"#),
            _ => panic!(),
        }
    }

    #[test]
    fn an_answer_that_cannot_be_sent_gets_the_station_an_internal_error_at_once() {
        let (tx, mut rx) = conn_channel("CP2".into(), OcppVersion::V16, false);
        let later = Instant::now() + Duration::from_secs(60);
        type Case = (Option<&'static str>, fn(&AnswerError) -> bool);
        let cases: [Case; 3] = [
            (Some(r#"{"msgType":4,"ErrorCode":"Nope"}"#), |e| matches!(e, AnswerError::BadErrorCode(..))),
            (Some("[1]"), |e| *e == AnswerError::NotAnObject("an array")),
            (None, |e| *e == AnswerError::NotAnObject("nothing")),
        ];
        for (payload, expected) in cases {
            wait_for_answer("bad".into(), station(&tx, "f9", 1, later));
            match answer("bad", payload).unwrap_err() {
                RespondError::StationTold(why, told) => {
                    assert!(matches!(*why, RespondError::Answer(ref e) if expected(e)), "{why:?}");
                    assert_eq!(told, "a CALLERROR InternalError");
                }
                other => panic!("{other:?}"),
            }
            match rx.try_recv().unwrap() {
                ConnCmd::Answer(Answered { text: t, .. }) => {
                    assert!(t.starts_with(r#"[4,"f9","InternalError","no valid answer: "#), "{t}")
                }
                _ => panic!(),
            }
            assert_eq!(answer("bad", Some("{}")), Err(RespondError::UnknownMsgId("bad".into())), "answered once");
        }
    }

    #[test]
    fn a_flow_written_for_one_version_answers_in_the_station_s_spelling() {
        let (tx, mut rx) = conn_channel("CP201".into(), OcppVersion::V201, false);
        let later = Instant::now() + Duration::from_secs(60);
        wait_for_answer("v1".into(), station(&tx, "f1", 1, later));
        answer("v1", Some(r#"{"msgType":4,"ErrorCode":"FormationViolation"}"#)).unwrap();
        match rx.try_recv().unwrap() {
            ConnCmd::Answer(Answered { text: t, .. }) => assert_eq!(t, r#"[4,"f1","FormatViolation","",{}]"#),
            _ => panic!(),
        }
    }

    #[tokio::test]
    async fn the_sweep_answers_late_calls_with_internal_error() {
        let (tx, mut rx) = conn_channel("CP-SWEEP".into(), OcppVersion::V201, false);
        let deadline = Instant::now() + Duration::from_millis(10);
        wait_for_answer("late".into(), station(&tx, "f", 77, deadline));
        wait_for_answer("other".into(), station(&tx, "g", 78, deadline));
        let metrics = ServerMetrics::new("sweep".into());
        assert_eq!(waiting(77), (1, 0));
        assert!(sweep(77, Instant::now(), 0.01, &metrics).is_empty());
        let expired = sweep(77, Instant::now() + Duration::from_millis(20), 0.01, &metrics);
        assert_eq!(expired.len(), 1, "only this server's entries");
        assert_eq!(waiting(77), (0, 0));
        assert_eq!(waiting(78), (1, 0));
        match rx.try_recv().unwrap() {
            ConnCmd::Answer(Answered { text: t, .. }) => assert!(t.starts_with(r#"[4,"f","InternalError","#)),
            _ => panic!(),
        }
        assert!(matches!(answer("late", Some("{}")), Err(RespondError::UnknownMsgId(_))));
        forget_server(78);
        assert!(matches!(answer("other", Some("{}")), Err(RespondError::UnknownMsgId(_))));
    }
}
