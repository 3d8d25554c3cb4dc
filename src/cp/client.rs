//! A simulated charge point (`CP client JSON`) as the node sees it: start it,
//! hand it CALLs and answers, (re)connect it, close it. Everything else
//! happens in its task ([`super::task`]).

use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::journal::{Entry, Journal, Opened};
use super::options::{ClientOptions, OptionsError, Target};
use super::shared::{ClientCmd, ClientShared, PendingCall};
use super::task::ClientTask;
use crate::events::{Deliver, EventSink};
use crate::flow::{CallOutcome, Ticket};
use crate::msgs;
use crate::ocppj::answer::{Answer, AnswerError};
use crate::ocppj::frame::{self, check_call};
use crate::schema::{check_schema, Direction};
use crate::sync::lock;
use crate::version::OcppVersion;

/// Why the node's request of a charge point failed; each becomes a node error.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(transparent)]
    Options(#[from] OptionsError),
    #[error("not connected to the Central System, so the answer to {0:?} cannot be sent")]
    Offline(String),
    #[error("no CALL from the Central System with MessageId {0:?} is waiting for an answer (answered already, or the connection was reset since)")]
    UnknownCall(String),
    #[error(transparent)]
    Answer(#[from] AnswerError),
    /// A request or answer from the flow that cannot be sent as it is.
    #[error("{0}")]
    Invalid(String),
    #[error("the CP client has stopped")]
    Stopped,
    #[error(
        "cannot connect as {new}: {count} message(s) queued for {station} would go out under another id; \
         connect as {station} until they are sent"
    )]
    QueuedForStation { station: String, new: String, count: usize },
}

/// The node's handle on a running charge point.
pub struct CpClient {
    tx: mpsc::UnboundedSender<ClientCmd>,
    shared: Arc<ClientShared>,
    cancel: CancellationToken,
    task: Mutex<Option<tokio::task::JoinHandle<Vec<PendingCall>>>>,
    sink: Arc<EventSink>,
    journal: Option<Arc<Journal>>,
}

/// Opens the durable queue, telling the node what came back and what could
/// not be read. A file that cannot be written is a warning too: the client
/// runs with its queue in memory, and what could be read from the file is
/// sent all the same.
fn open_journal(path: &str, sink: &EventSink) -> (Option<Arc<Journal>>, Vec<Entry>) {
    let Opened { journal, restored, warnings } = Journal::open(Path::new(path));
    for text in warnings {
        sink.emit(|out| msgs::warn(out, "", &text));
    }
    let journal = match journal {
        Ok(journal) => Some(Arc::new(journal)),
        Err(e) => {
            let read = if restored.is_empty() {
                String::new()
            } else {
                format!(
                    "; the {} message(s) read from it are sent all the same, but stay in that file until it can be written (after a restart they may go out again)",
                    restored.len()
                )
            };
            sink.emit(|out| msgs::warn(out, "", &format!("{e}; the offline queue is kept in memory only{read}")));
            None
        }
    };
    if !restored.is_empty() {
        let text =
            format!("{} queued message(s) restored from {path}; they go out in order once connected", restored.len());
        sink.emit(|out| msgs::warn(out, "", &text));
    }
    (journal, restored)
}

impl CpClient {
    /// Starts the client's task on the current runtime.
    pub fn start(options: ClientOptions, deliver: Deliver) -> Result<Self, ClientError> {
        let settings = options.settings()?;
        if options.strict {
            crate::schema::warm_up(options.ocpp_version);
        }
        let target = Target { url: options.url.clone(), cb_id: options.cb_id.clone() };
        // A node that connects later (`wsdelayconnect`) may get its URL or id then.
        if !options.delay_connect {
            target.endpoint()?;
        }
        let shared = Arc::new(ClientShared::new(options.ocpp_version, target, options.strict));
        let sink = EventSink::start(deliver);
        let (tx, rx) = mpsc::unbounded_channel();
        let cancel = CancellationToken::new();
        let (kept, restored) = match options.queue_file.as_deref().filter(|_| options.offline_queue) {
            Some(path) => open_journal(path, &sink),
            None => (None, Vec::new()),
        };
        let journal = (kept.clone(), restored);
        let want_connection = !options.delay_connect;
        let task =
            ClientTask::new(settings, shared.clone(), sink.clone(), rx, cancel.clone(), want_connection, journal);
        let handle = tokio::spawn(task.run());
        Ok(Self { tx, shared, cancel, task: Mutex::new(Some(handle)), sink, journal: kept })
    }

    /// Hands a CALL to the client's task, in the caller's order.
    pub fn call(&self, action: String, payload: String, timeout: Duration, message_id: Option<String>) -> Ticket {
        let id = message_id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        if let Err(message) = self.check_request(&action, &payload, &id) {
            return Ticket::settled(id, CallOutcome::invalid(message));
        }
        let (reply, outcome) = oneshot::channel();
        let call = PendingCall { id: id.clone(), action, payload, timeout, reply };
        if self.tx.send(ClientCmd::Call(call)).is_err() {
            return Ticket::settled(id, CallOutcome::invalid("the CP client has stopped".into()));
        }
        Ticket::waiting(id, outcome, "the Central System".into())
    }

    /// What the flow asks to send, checked before it is queued anywhere; in
    /// strict mode also against its schema.
    fn check_request(&self, action: &str, payload: &str, id: &str) -> Result<(), String> {
        check_call(action, payload, id)?;
        if self.shared.strict {
            check_schema(self.shared.version, action, Direction::Request, payload)?;
        }
        Ok(())
    }

    /// The version this station speaks ("1.6j", "2.0.1", "2.1").
    pub fn version(&self) -> OcppVersion {
        self.shared.version
    }

    /// Answers a CALL from the Central System (CALLRESULT, or CALLERROR for `msgType: 4`).
    pub fn reply(&self, message_id: &str, payload: Option<&str>) -> Result<(), ClientError> {
        let payload = payload.ok_or(AnswerError::NotAnObject("nothing"))?;
        let version = self.shared.version;
        let answer = Answer::read(payload, version)?;
        if !self.shared.online.load(Ordering::Acquire) {
            return Err(ClientError::Offline(message_id.to_owned()));
        }
        {
            let mut awaited = lock(&self.shared.awaited);
            let pos = awaited.iter().position(|(id, _)| id == message_id);
            let Some(pos) = pos else { return Err(ClientError::UnknownCall(message_id.to_owned())) };
            // Checked before the entry goes, so a corrected answer can follow.
            if let (true, Answer::Result) = (self.shared.strict, &answer) {
                let action = &awaited[pos].1;
                check_schema(version, action, Direction::Response, payload.trim()).map_err(ClientError::Invalid)?;
            }
            awaited.remove(pos);
        }
        self.tx.send(ClientCmd::Send(answer.frame(version, message_id, payload))).map_err(|_| ClientError::Stopped)
    }

    /// Sends an OCPP 2.1 SEND (message type 6): one way, nothing answers it,
    /// so it is sent only while online. Returns the message id used.
    pub fn send_one_way(&self, action: &str, payload: &str, message_id: Option<String>) -> Result<String, ClientError> {
        if self.shared.version != OcppVersion::V21 {
            return Err(ClientError::Invalid(format!(
                "SEND (msgType 6) exists in OCPP 2.1 only; this station speaks {}",
                self.shared.version.label()
            )));
        }
        let id = message_id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        self.check_request(action, payload, &id).map_err(ClientError::Invalid)?;
        if !self.shared.online.load(Ordering::Acquire) {
            return Err(ClientError::Offline(action.to_owned()));
        }
        self.tx.send(ClientCmd::Send(frame::send(&id, action, payload))).map_err(|_| ClientError::Stopped)?;
        Ok(id)
    }

    /// (Re)connects, optionally to another id or Central System.
    pub fn connect(&self, cb_id: Option<String>, url: Option<String>) -> Result<(), ClientError> {
        let target = if cb_id.is_some() || url.is_some() {
            let mut target = lock(&self.shared.target).clone();
            if let Some(cb_id) = cb_id.filter(|c| !c.is_empty()) {
                // What the durable queue keeps belongs to the station that queued it.
                let count = self.journal.as_ref().map_or(0, |j| j.pending());
                if cb_id != target.cb_id && count > 0 {
                    return Err(ClientError::QueuedForStation { station: target.cb_id, new: cb_id, count });
                }
                target.cb_id = cb_id;
            }
            if let Some(url) = url.filter(|u| !u.is_empty()) {
                target.url = url;
            }
            target.endpoint()?;
            Some(target)
        } else {
            None
        };
        self.tx.send(ClientCmd::Connect(target)).map_err(|_| ClientError::Stopped)
    }

    /// Closes the link and stays offline until `connect`.
    pub fn disconnect(&self) -> Result<(), ClientError> {
        self.tx.send(ClientCmd::Disconnect).map_err(|_| ClientError::Stopped)
    }

    pub fn is_online(&self) -> bool {
        self.shared.online.load(Ordering::Acquire)
    }

    /// The URL in use, without any password.
    pub fn public_url(&self) -> String {
        lock(&self.shared.target).public_url()
    }

    /// Stops the client; returns the actions of the CALLs it had to drop.
    pub async fn close(&self) -> Vec<String> {
        self.cancel.cancel();
        let task = lock(&self.task).take();
        let dropped = match task {
            Some(handle) => handle.await.unwrap_or_default(),
            None => Vec::new(),
        };
        // Journaled messages stay in their file for the next start; the rest are lost.
        let kept = |call: &PendingCall| self.journal.as_ref().is_some_and(|j| j.holds(&call.id));
        let (_, dropped): (Vec<_>, Vec<_>) = dropped.into_iter().partition(kept);
        let actions = dropped.iter().map(|c| c.action.clone()).collect();
        for call in dropped {
            let _ =
                call.reply.send(CallOutcome::invalid("the CP client was stopped (redeploy) before sending it".into()));
        }
        self.sink.close();
        actions
    }
}
