//! One station's connection on the Central System side: registers the
//! station, hands its CALLs to the flow, and drives its [`Link`] until the
//! station leaves, the server closes, or the link dies.
//!
//! Everything about one connection happens in its own task, so no lock is
//! taken on the hot path except the process-wide answer table.

use futures_util::task::AtomicWaker;
use std::sync::Arc;
use std::task::Poll;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::sleep_until;
use tokio_tungstenite::WebSocketStream;
use tokio_util::sync::CancellationToken;

use super::answers::{self, PendingAnswer, Waiter};
use super::calls::CallOutcome;
use super::link::{ping_ticker, Call, Ending, Link, LinkHandler};
use super::msgs;
use super::registry;
use super::version::OcppVersion;
use super::server::ServerShared;

/// What other tasks ask of a connection.
pub enum ConnCmd {
    /// The answer to a station CALL, as a frame: the flow's, or the CALLERROR
    /// of its answer timeout. Each CALL handed to the flow gets exactly one.
    Answer(String),
    /// A CALL to the station, answered through its oneshot. Boxed: the
    /// channel allocates slots of the largest variant for every connection.
    Call(Box<Call>),
    /// Close the connection (replaced by a newer one, or disconnected on request).
    Close { code: u16, reason: String },
}

/// The sending half of a connection's mailbox, with the station id for
/// error messages.
///
/// A mailbox rather than a tokio channel: a channel allocates a block of 32
/// slots per connection up front, which thousands of idle stations pay for.
#[derive(Clone)]
pub struct ConnTx {
    mailbox: Arc<Mailbox>,
    cb_id: Arc<str>,
    version: OcppVersion,
    /// Strict mode: payloads both ways are checked against the schemas.
    strict: bool,
}

/// Waking the task through an [`AtomicWaker`] rather than a `Notify`: a
/// `Notify` needs a fresh waiter linked into its list on every turn of the
/// connection's loop, and with thousands of stations that memory is cold.
#[derive(Default)]
struct Mailbox {
    queue: std::sync::Mutex<std::collections::VecDeque<ConnCmd>>,
    waker: AtomicWaker,
    closed: std::sync::atomic::AtomicBool,
}

impl Mailbox {
    fn queue(&self) -> std::sync::MutexGuard<'_, std::collections::VecDeque<ConnCmd>> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl ConnTx {
    /// Fails, handing the command back, once the connection has ended.
    pub fn send(&self, cmd: ConnCmd) -> Result<(), ConnCmd> {
        let mut queue = self.mailbox.queue();
        if self.mailbox.closed.load(std::sync::atomic::Ordering::Acquire) {
            return Err(cmd);
        }
        queue.push_back(cmd);
        drop(queue);
        self.mailbox.waker.wake();
        Ok(())
    }

    pub fn cb_id(&self) -> Arc<str> {
        self.cb_id.clone()
    }

    /// The version the station connected with: answers are spelled in it.
    pub fn version(&self) -> OcppVersion {
        self.version
    }

    pub fn strict(&self) -> bool {
        self.strict
    }
}

/// The receiving half; dropping it closes the mailbox.
pub struct ConnRx {
    mailbox: Arc<Mailbox>,
}

impl ConnRx {
    pub fn recv(&mut self) -> impl std::future::Future<Output = ConnCmd> + '_ {
        std::future::poll_fn(|cx| {
            if let Some(cmd) = self.mailbox.queue().pop_front() {
                return Poll::Ready(cmd);
            }
            self.mailbox.waker.register(cx.waker());
            // Looked at again: a command sent before the waker was in place woke nobody.
            match self.mailbox.queue().pop_front() {
                Some(cmd) => Poll::Ready(cmd),
                None => Poll::Pending,
            }
        })
    }

    #[cfg(test)]
    pub fn try_recv(&mut self) -> Option<ConnCmd> {
        self.mailbox.queue().pop_front()
    }
}

impl Drop for ConnRx {
    fn drop(&mut self) {
        let mut queue = self.mailbox.queue();
        self.mailbox.closed.store(true, std::sync::atomic::Ordering::Release);
        // Commands still queued are dropped here: their callers see the station gone.
        queue.clear();
    }
}

pub fn conn_channel(cb_id: Arc<str>, version: OcppVersion, strict: bool) -> (ConnTx, ConnRx) {
    let mailbox = Arc::new(Mailbox::default());
    (ConnTx { mailbox: mailbox.clone(), cb_id, version, strict }, ConnRx { mailbox })
}

/// The Central System's side of a link: CALLs go to the flow.
struct StationHandler {
    cb_id: Arc<str>,
    tx: ConnTx,
    shared: Arc<ServerShared>,
    /// CALLs handed to the flow and not answered yet (by the flow or by the
    /// answer timeout). OCPP-J allows one; a station that floods is refused
    /// past `maxStationCalls`, so the flow's queue and the answer table stay bounded.
    unanswered: usize,
    /// Set while CALLs are refused, so a flood gives one warning, not one per frame.
    refusing: bool,
}

impl LinkHandler for StationHandler {
    fn refuse_call(&mut self, action: &str) -> Option<String> {
        let limit = self.shared.config.max_station_calls;
        if self.unanswered < limit {
            self.refusing = false;
            return None;
        }
        let why = format!("{limit} CALLs from this station are still unanswered (maxStationCalls); OCPP-J allows one at a time");
        if !std::mem::replace(&mut self.refusing, true) {
            self.warn(format!("refusing CALLs from {} until the flow answers, {action} first: {why}", self.cb_id));
        }
        Some(why)
    }

    fn call(&mut self, frame_id: String, action: &str, payload: &str) {
        self.unanswered += 1;
        let msg_id = uuid::Uuid::new_v4().to_string();
        // Register before the flow can see the msg: its answer may come back
        // from another thread before `emit` returns.
        let deadline = tokio::time::Instant::now() + self.shared.config.answer_timeout;
        // The action is kept only when the answer will be checked against its schema.
        let action_for_check = self.tx.strict().then(|| Box::from(action));
        let waiter = Waiter::Station { tx: self.tx.clone(), frame_id: frame_id.clone(), action: action_for_check };
        let pending = PendingAnswer { waiter, server: self.shared.id, deadline };
        answers::wait_for_answer(msg_id.clone(), pending);
        let cb = &self.cb_id;
        let version = self.tx.version();
        self.shared.sink.emit(|out| msgs::call(out, cb, version, &frame_id, action, &msg_id, payload));
    }

    fn send(&mut self, frame_id: String, action: &str, payload: &str) {
        let cb = &self.cb_id;
        let version = self.tx.version();
        self.shared.sink.emit(|out| msgs::send(out, Some(cb), version, &frame_id, action, payload));
    }

    fn warn(&self, text: String) {
        self.shared.sink.emit(|out| msgs::warn(out, &self.cb_id, &text));
    }

    fn log(&self, ours: bool, text: &str) {
        if self.shared.config.raw_log {
            let from = if ours { "CSMS" } else { "CS" };
            self.shared.sink.emit(|out| msgs::raw_log(out, &self.cb_id, from, text));
        }
    }
}

/// A station accepted but not yet upgraded: registered already, so a CALL
/// for it right after its handshake is queued, not refused.
pub(crate) struct Admitted {
    cb_id: Arc<str>,
    conn_id: u64,
    tx: ConnTx,
    rx: ConnRx,
}

impl Admitted {
    /// Registers the station; a previous connection with its id is told to close.
    pub(crate) fn register(cb_id: Arc<str>, conn_id: u64, version: OcppVersion, strict: bool) -> Self {
        let (tx, rx) = conn_channel(cb_id.clone(), version, strict);
        let replaced = registry::register(cb_id.clone(), registry::Station { conn_id, tx: tx.clone() });
        if let Some(old) = replaced {
            let _ = old.tx.send(ConnCmd::Close {
                code: 1000,
                reason: "replaced by a new connection with the same charge box id".into(),
            });
        }
        Self { cb_id, conn_id, tx, rx }
    }
}

impl Drop for Admitted {
    /// The upgrade failed, or the connection ended: forget the station unless
    /// a newer connection took its place.
    fn drop(&mut self) {
        registry::unregister(&self.cb_id, self.conn_id);
    }
}

/// Serves one station until it leaves, the server closes, or the link dies.
pub(crate) async fn serve_station<S: AsyncRead + AsyncWrite + Unpin>(
    ws: WebSocketStream<S>,
    mut admitted: Admitted,
    shared: Arc<ServerShared>,
    cancel: CancellationToken,
) {
    let cb_id = admitted.cb_id.clone();
    let version = admitted.tx.version();
    shared.sink.emit(|out| msgs::online(out, &cb_id, version));
    let handler = StationHandler { cb_id: cb_id.clone(), tx: admitted.tx.clone(), shared: shared.clone(), unanswered: 0, refusing: false };
    let mut link = Link::new(ws, handler, cb_id.clone(), shared.config.max_queued, version, shared.config.strict);
    let ending = drive(&mut link, &mut admitted.rx, shared.config.ping_interval, cancel).await;
    drop(admitted);
    for call in link.take_calls() {
        let _ = call.reply.send(CallOutcome::disconnected(&cb_id));
    }
    shared.sink.emit(|out| msgs::offline(out, &cb_id, version, ending.code, &ending.reason));
}

async fn drive<S: AsyncRead + AsyncWrite + Unpin>(
    link: &mut Link<S, StationHandler>,
    rx: &mut ConnRx,
    ping_every: Option<std::time::Duration>,
    cancel: CancellationToken,
) -> Ending {
    let mut ping = ping_ticker(ping_every);
    // Made once: polled afresh each turn, it would join and leave the
    // server-wide list of waiters for every message.
    let cancelled = cancel.cancelled();
    tokio::pin!(cancelled);
    loop {
        let deadline = link.next_deadline();
        let ended = tokio::select! {
            _ = &mut cancelled => Some(Box::pin(link.close(1012, "Central System restarting")).await),
            cmd = rx.recv() => match cmd {
                ConnCmd::Answer(text) => {
                    link.handler.unanswered = link.handler.unanswered.saturating_sub(1);
                    link.send_frame(text).await
                }
                ConnCmd::Call(call) => link.push_call(*call).await,
                ConnCmd::Close { code, reason } => Some(Box::pin(link.close(code, &reason)).await),
            },
            incoming = futures_util::StreamExt::next(&mut link.ws) => link.on_incoming(incoming).await,
            _ = ping.tick(), if ping_every.is_some() => link.ping().await,
            _ = sleep_until(deadline.unwrap_or_else(tokio::time::Instant::now)), if deadline.is_some() => {
                link.expire_calls().await
            }
        };
        if let Some(ending) = ended {
            return ending;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_waiting_connection_wakes_for_each_command_in_order() {
        let (tx, mut rx) = conn_channel("CP1".into(), OcppVersion::V16, false);
        let reader = tokio::spawn(async move {
            let mut got = Vec::new();
            for _ in 0..3 {
                match tokio::time::timeout(Duration::from_secs(5), rx.recv()).await.expect("woken") {
                    ConnCmd::Answer(text) => got.push(text),
                    _ => panic!("not a Send"),
                }
            }
            got
        });
        // From a thread outside the runtime, as the JavaScript thread sends answers.
        std::thread::spawn(move || {
            for text in ["a", "b", "c"] {
                std::thread::sleep(Duration::from_millis(20));
                assert!(tx.send(ConnCmd::Answer(text.into())).is_ok());
            }
        });
        assert_eq!(reader.await.unwrap(), ["a", "b", "c"]);
    }

    #[test]
    fn commands_to_an_ended_connection_come_back() {
        let (tx, rx) = conn_channel("CP1".into(), OcppVersion::V16, false);
        drop(rx);
        assert!(matches!(tx.send(ConnCmd::Answer("x".into())), Err(ConnCmd::Answer(_))));
    }
}
