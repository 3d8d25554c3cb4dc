//! What the node's side of a charge point (`CpClient`, on the JavaScript
//! thread) and its task share: the commands it sends, the CALLs it hands
//! over, and the little state the node reads without asking the task.

use std::collections::VecDeque;
use std::sync::atomic::AtomicBool;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::options::Target;
use crate::flow::CallOutcome;
use crate::ocppj::session::OutgoingCall;
use crate::version::OcppVersion;

/// A CALL from the flow, before it has a deadline: the timeout starts when
/// it goes out, so a CALL kept while offline does not time out in the queue.
pub struct PendingCall {
    pub id: String,
    pub action: String,
    pub payload: String,
    pub timeout: Duration,
    pub reply: oneshot::Sender<CallOutcome>,
}

impl PendingCall {
    pub fn start(self) -> OutgoingCall<oneshot::Sender<CallOutcome>> {
        OutgoingCall {
            id: self.id,
            action: self.action,
            payload: self.payload,
            timeout: self.timeout,
            deadline: Instant::now() + self.timeout,
            reply: self.reply,
        }
    }
}

/// What the node asks of the client's task.
pub(super) enum ClientCmd {
    Call(PendingCall),
    Send(String),
    Connect(Option<Target>),
    Disconnect,
}

/// What the node reads without asking the task.
pub(super) struct ClientShared {
    pub version: OcppVersion,
    pub online: AtomicBool,
    pub target: Mutex<Target>,
    /// CALLs from the Central System waiting for the flow's answer: their
    /// message ids and actions (for strict mode's check of the answer).
    pub awaited: Mutex<VecDeque<(String, Box<str>)>>,
    pub strict: bool,
}

impl ClientShared {
    pub fn new(version: OcppVersion, target: Target, strict: bool) -> Self {
        Self { version, online: AtomicBool::new(false), target: Mutex::new(target), awaited: Mutex::default(), strict }
    }
}

/// Who hears a journaled message's outcome.
pub enum Listener {
    /// The flow, through the request's Promise.
    Flow(oneshot::Sender<CallOutcome>),
    /// Nobody waits for a message restored after a restart: its outcome is
    /// sent on as a msg of its own.
    Restored,
}
