//! A charge point's task: connects to the Central System, reconnects with
//! back-off and jitter, keeps transaction messages that arrive while offline
//! until the link is back, and serves the link while it is up.
//!
//! One task per client owns the link and every queue; the node talks to it
//! through a command channel ([`super::shared`]).

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{sleep_until, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;

use super::journal::{Entry, Journal};
use super::options::{Settings, Target};
use super::shared::{ClientCmd, ClientShared, Listener, PendingCall};
use crate::basic_auth;
use crate::events::EventSink;
use crate::flow::{CallOutcome, Failure};
use crate::msgs::{self, Side};
use crate::ocppj::link::{ws_config, Ending, Link, LinkHandler, LinkOptions, Step};
use crate::ocppj::session::OutgoingCall;
use crate::sync::lock;

/// Actions kept while offline and sent once the link is back: the messages a
/// Central System needs for billing (OCPP 1.6 §4.7 asks stations to keep them).
pub const TRANSACTION_ACTIONS: [&str; 3] = ["StartTransaction", "StopTransaction", "MeterValues"];

/// What a user can do about a full queue: the limit is the node's own.
const QUEUE_FULL_REMEDY: &str = "raise the node's Keep at most (queueMax) or send less often";

/// CALLs from the Central System remembered for the flow's answer.
const MAX_AWAITED_ANSWERS: usize = 1000;

/// CALLs from the flow journaled together: one write and one sync for all
/// the CALLs that arrived while the last sync ran.
const MAX_JOURNAL_BATCH: usize = 256;

/// The charge point's side of a link: CALLs from the Central System go to the flow.
pub(super) struct CentralSystemHandler {
    sink: Arc<EventSink>,
    shared: Arc<ClientShared>,
    raw_log: bool,
    /// The id this link connected with.
    cb_id: Arc<str>,
}

impl LinkHandler for CentralSystemHandler {
    fn call(&mut self, id: String, action: &str, payload: &str) {
        let msg_id = uuid::Uuid::new_v4().to_string();
        // Remember the id before the flow sees the CALL: its answer may come first.
        {
            let mut awaited = lock(&self.shared.awaited);
            if awaited.len() >= MAX_AWAITED_ANSWERS {
                awaited.pop_front();
            }
            awaited.push_back((id.clone(), Box::from(action)));
        }
        let version = self.shared.version;
        self.sink.emit(|out| msgs::call(out, Side::ChargePoint(&self.cb_id), version, &id, action, &msg_id, payload));
    }

    fn send(&mut self, id: String, action: &str, payload: &str) {
        let version = self.shared.version;
        self.sink.emit(|out| msgs::send(out, Side::ChargePoint(&self.cb_id), version, &id, action, payload));
    }

    fn warn(&self, text: String) {
        self.sink.emit(|out| msgs::warn(out, "", &text));
    }

    fn may_read(&self) -> bool {
        self.sink.has_room()
    }

    fn readable(&self) -> impl std::future::Future<Output = ()> + Send + '_ {
        self.sink.room()
    }

    fn log(&self, ours: bool, text: &str) {
        if self.raw_log {
            let from = if ours { "CS" } else { "CSMS" };
            self.sink.emit(|out| msgs::raw_log(out, &self.cb_id, from, text));
        }
    }
}

type ClientLink = Link<MaybeTlsStream<tokio::net::TcpStream>, CentralSystemHandler>;

/// What a command asks of the state machine.
enum Next {
    Stay,
    /// Connect now (again), maybe to a new target.
    Connect,
    /// Stop connecting; wait for `connect`.
    Idle,
}

pub(super) struct ClientTask {
    settings: Settings,
    shared: Arc<ClientShared>,
    sink: Arc<EventSink>,
    rx: mpsc::UnboundedReceiver<ClientCmd>,
    cancel: CancellationToken,
    /// CALLs kept while offline, in the order they must go out.
    offline: VecDeque<PendingCall>,
    want_connection: bool,
    /// Failed attempts since the last success: drives the back-off.
    failures: u32,
    /// A `connect` from the flow ended the link: reconnect without waiting.
    connect_now: bool,
    /// The durable offline queue, when the node keeps one.
    journal: Option<Arc<Journal>>,
    /// Journaled messages that timed out: they go out first on the next connection.
    retry: Retries,
    /// A command taken while gathering a batch of CALLs, handled next.
    deferred: Option<ClientCmd>,
}

type Retries = Arc<Mutex<VecDeque<PendingCall>>>;

/// What a journaled message's watcher needs: it notes the final outcome, or
/// keeps a timed-out message for the next connection.
#[derive(Clone)]
struct Watcher {
    journal: Option<Arc<Journal>>,
    sink: Arc<EventSink>,
    shared: Arc<ClientShared>,
    retry: Retries,
}

impl ClientTask {
    pub(super) fn new(
        settings: Settings,
        shared: Arc<ClientShared>,
        sink: Arc<EventSink>,
        rx: mpsc::UnboundedReceiver<ClientCmd>,
        cancel: CancellationToken,
        want_connection: bool,
        journal: (Option<Arc<Journal>>, Vec<Entry>),
    ) -> Self {
        let (journal, restored) = journal;
        let mut task = Self {
            settings,
            shared,
            sink,
            rx,
            cancel,
            offline: VecDeque::new(),
            want_connection,
            failures: 0,
            connect_now: false,
            journal,
            retry: Retries::default(),
            deferred: None,
        };
        // Read from the file, and sent even when it cannot be written.
        for entry in restored {
            let (reply, outcome) = oneshot::channel();
            task.watcher().watch(&entry, outcome, Listener::Restored);
            let Entry { id, action, payload, timeout } = entry;
            task.offline.push_back(PendingCall { id, action, payload, timeout, reply });
        }
        task
    }

    fn watcher(&self) -> Watcher {
        Watcher {
            journal: self.journal.clone(),
            sink: self.sink.clone(),
            shared: self.shared.clone(),
            retry: self.retry.clone(),
        }
    }

    /// The next command: one deferred while gathering a batch, else the channel's.
    async fn next_cmd(
        deferred: &mut Option<ClientCmd>,
        rx: &mut mpsc::UnboundedReceiver<ClientCmd>,
    ) -> Option<ClientCmd> {
        match deferred.take() {
            Some(cmd) => Some(cmd),
            None => rx.recv().await,
        }
    }

    /// `first` and the CALLs queued right behind it, up to a batch; a
    /// command of another kind is kept for next.
    fn gather(&mut self, first: PendingCall) -> Vec<PendingCall> {
        let mut calls = vec![first];
        while calls.len() < MAX_JOURNAL_BATCH {
            match self.rx.try_recv() {
                Ok(ClientCmd::Call(call)) => calls.push(call),
                Ok(other) => {
                    self.deferred = Some(other);
                    break;
                }
                Err(_) => break,
            }
        }
        calls
    }

    /// Keeps the transaction messages among `calls` in the journal, if the
    /// node has one, before they go anywhere: one write and one sync for the
    /// batch, on a blocking thread, not on the runtime's workers. Their final
    /// outcomes are noted there and passed on. Returns `calls`, in order.
    async fn journal(&self, mut calls: Vec<PendingCall>) -> Vec<PendingCall> {
        let Some(journal) = self.journal.clone() else { return calls };
        let picked: Vec<usize> = (0..calls.len()).filter(|&i| self.queueable(&calls[i].action)).collect();
        if picked.is_empty() {
            return calls;
        }
        let entries: Vec<Entry> = picked.iter().map(|&i| entry_of(&calls[i])).collect();
        let kept = tokio::task::spawn_blocking(move || {
            let result = journal.add_all(&entries);
            (entries, result)
        })
        .await;
        let entries = match kept {
            Ok((entries, Ok(()))) => entries,
            Ok((_, Err(e))) => {
                let text = format!("{e}; {} message(s) are kept in memory only", picked.len());
                self.sink.emit(|out| msgs::warn(out, "", &text));
                return calls;
            }
            Err(e) => {
                let text = format!("the queue file could not be written ({e}); the messages are kept in memory only");
                self.sink.emit(|out| msgs::warn(out, "", &text));
                return calls;
            }
        };
        let watcher = self.watcher();
        for (i, entry) in picked.into_iter().zip(entries) {
            let (reply, outcome) = oneshot::channel();
            let flow = std::mem::replace(&mut calls[i].reply, reply);
            watcher.watch(&entry, outcome, Listener::Flow(flow));
        }
        calls
    }

    /// Runs until cancelled; returns the CALLs still held.
    pub(super) async fn run(mut self) -> Vec<PendingCall> {
        loop {
            if self.cancel.is_cancelled() {
                break;
            }
            if !self.want_connection {
                self.state("closed", None);
                if !self.wait_for(None).await {
                    break;
                }
                continue;
            }
            self.state("connecting", None);
            match self.connect().await {
                Ok(Some(link)) => {
                    self.failures = 0;
                    self.online(link).await;
                }
                Ok(None) => {}
                Err(why) => {
                    self.failures += 1;
                    let delay = self.backoff();
                    self.sink.emit(|out| {
                        msgs::warn(out, "", &format!("connecting failed: {why}; next try in {delay:.1} s"))
                    });
                    self.state("reconnecting", Some(delay));
                    if !self.wait_for(Some(Instant::now() + Duration::from_secs_f64(delay))).await {
                        break;
                    }
                }
            }
        }
        self.offline.drain(..).collect()
    }

    /// The original's back-off (min, then +inc per failure, capped at max),
    /// with ±20 % jitter so a fleet of stations does not return in lockstep.
    fn backoff(&self) -> f64 {
        let s = &self.settings;
        let base =
            (s.reconnect_min + s.reconnect_inc * f64::from(self.failures.saturating_sub(1))).min(s.reconnect_max);
        let unit = (uuid::Uuid::new_v4().as_u128() % 10_000) as f64 / 10_000.0;
        (base * (0.8 + 0.4 * unit)).max(0.05)
    }

    fn state(&self, state: &str, next_try_s: Option<f64>) {
        self.sink.emit(|out| msgs::cp_state(out, state, self.failures, next_try_s));
    }

    /// Waits offline until the deadline (or for ever) while serving commands.
    /// False when the client is stopping.
    async fn wait_for(&mut self, until: Option<Instant>) -> bool {
        loop {
            let cmd = tokio::select! {
                _ = self.cancel.cancelled() => return false,
                _ = sleep_until(until.unwrap_or_else(Instant::now)), if until.is_some() => return true,
                cmd = Self::next_cmd(&mut self.deferred, &mut self.rx) => cmd,
            };
            let Some(cmd) = cmd else { return false };
            match self.offline_command(cmd).await {
                Next::Stay => {}
                Next::Connect => {
                    self.want_connection = true;
                    return true;
                }
                Next::Idle => {
                    self.want_connection = false;
                    return true;
                }
            }
        }
    }

    async fn offline_command(&mut self, cmd: ClientCmd) -> Next {
        match cmd {
            ClientCmd::Call(call) => {
                let calls = self.gather(call);
                self.keep_or_fail(calls).await;
                Next::Stay
            }
            // `reply` checks the link is up; one racing a drop goes nowhere.
            ClientCmd::Send(_) => Next::Stay,
            ClientCmd::Connect(target) => {
                if let Some(target) = target {
                    *lock(&self.shared.target) = target;
                }
                self.failures = 0;
                Next::Connect
            }
            ClientCmd::Disconnect => Next::Idle,
        }
    }

    fn queueable(&self, action: &str) -> bool {
        self.settings.offline_queue
            && (TRANSACTION_ACTIONS.contains(&action) || self.settings.queue_actions.iter().any(|a| a == action))
    }

    /// Keeps CALLs for later if their action is one kept while offline.
    async fn keep_or_fail(&mut self, calls: Vec<PendingCall>) {
        let mut kept = Vec::new();
        for call in calls {
            if !self.queueable(&call.action) {
                let message = format!(
                    "not connected to the Central System; {} is not kept while offline (only StartTransaction, StopTransaction, MeterValues and the node's extra actions are)",
                    call.action
                );
                let _ = call.reply.send(CallOutcome::Failed { failure: Failure::NotConnected, message });
            } else if self.offline.len() + kept.len() >= self.settings.queue_max {
                let outcome = CallOutcome::queue_full(
                    "the Central System (offline queue)",
                    self.settings.queue_max,
                    QUEUE_FULL_REMEDY,
                );
                let _ = call.reply.send(outcome);
            } else {
                kept.push(call);
            }
        }
        let kept = self.journal(kept).await;
        self.offline.extend(kept);
    }

    /// One connection attempt, with the handshake timeout; `Ok(None)` when a
    /// command cancelled it.
    async fn connect(&mut self) -> Result<Option<ClientLink>, String> {
        let target = lock(&self.shared.target).clone();
        let (uri, userinfo) = target.endpoint().map_err(|e| e.to_string())?;
        let mut request = uri.into_client_request().map_err(|e| e.to_string())?;
        let headers = request.headers_mut();
        let version = self.shared.version;
        headers.insert("sec-websocket-protocol", HeaderValue::from_static(version.subprotocol()));
        let credentials = match (&userinfo, &self.settings.password) {
            (Some(info), _) => Some(percent_encoding::percent_decode_str(info).decode_utf8_lossy().into_owned()),
            (None, Some(password)) => Some(format!("{}:{password}", target.cb_id)),
            (None, None) => None,
        };
        if let Some(credentials) = credentials {
            let value = basic_auth::header(&credentials);
            headers.insert("authorization", HeaderValue::from_str(&value).map_err(|e| e.to_string())?);
        }
        let connector = self.settings.tls.clone().map(Connector::Rustls);
        let config = ws_config(self.settings.max_frame_bytes);
        let attempt = tokio::time::timeout(
            self.settings.handshake_timeout,
            tokio_tungstenite::connect_async_tls_with_config(request, Some(config), true, connector),
        );
        tokio::pin!(attempt);
        loop {
            tokio::select! {
                _ = self.cancel.cancelled() => return Ok(None),
                result = &mut attempt => {
                    let (ws, response) = match result {
                        Err(_) => return Err(format!("no WebSocket handshake within {:?}", self.settings.handshake_timeout)),
                        Ok(Err(e)) => return Err(e.to_string()),
                        Ok(Ok(pair)) => pair,
                    };
                    let confirmed = response.headers().get("sec-websocket-protocol").map(|v| v.as_bytes());
                    if confirmed != Some(version.subprotocol().as_bytes()) {
                        if version.is_2x() {
                            // OCPP 2.x requires the CSMS to confirm the subprotocol.
                            return Err(format!("the Central System did not accept the {} subprotocol", version.subprotocol()));
                        }
                        self.sink.emit(|out| msgs::warn(out, "", "the Central System did not confirm the ocpp1.6 subprotocol; continuing"));
                    }
                    return Ok(Some(self.new_link(ws, &target)));
                }
                Some(cmd) = Self::next_cmd(&mut self.deferred, &mut self.rx) => match self.offline_command(cmd).await {
                    Next::Stay => {}
                    Next::Connect => return Ok(None),
                    Next::Idle => {
                        self.want_connection = false;
                        return Ok(None);
                    }
                },
            }
        }
    }

    fn new_link(&self, ws: WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>, target: &Target) -> ClientLink {
        let handler = CentralSystemHandler {
            sink: self.sink.clone(),
            shared: self.shared.clone(),
            raw_log: self.settings.raw_log,
            cb_id: Arc::from(target.cb_id.as_str()),
        };
        let room = self.settings.queue_max + 100;
        let peer = Arc::from(format!("the Central System ({})", target.url));
        let options = LinkOptions {
            version: self.shared.version,
            strict: self.shared.strict,
            max_queued: room,
            ping_every: self.settings.ping_interval,
            queue_full_remedy: QUEUE_FULL_REMEDY,
        };
        // A backlog sent at once must not time out in the queue.
        Link::new(ws, handler, peer, options).with_deadlines_from_send()
    }

    /// Serves an open link until it ends, then keeps what must survive.
    async fn online(&mut self, mut link: ClientLink) {
        lock(&self.shared.awaited).clear();
        self.shared.online.store(true, Ordering::Release);
        let version = self.shared.version;
        let cb_id = link.handler.cb_id.clone();
        self.sink.emit(|out| msgs::online(out, Side::ChargePoint(&cb_id), version));
        self.state("connected", None);
        let mut ending = None;
        // Messages that timed out on the last link go first, in their order.
        let retries: Vec<PendingCall> = lock(&self.retry).drain(..).collect();
        for call in retries.into_iter().rev() {
            self.offline.push_front(call);
        }
        while let Some(call) = self.offline.pop_front() {
            if let Some(end) = link.push_call(call.start()).await {
                ending = Some(end);
                break;
            }
        }
        let ending = match ending {
            Some(end) => end,
            None => self.drive(&mut link).await,
        };
        self.shared.online.store(false, Ordering::Release);
        self.requeue(link.take_calls());
        // The socket ends here, not after the back-off below: a Central
        // System that closed is waiting for the TCP connection to end.
        drop(link);
        self.sink.emit(|out| msgs::offline(out, Side::ChargePoint(&cb_id), version, ending.code, &ending.reason));
        if std::mem::take(&mut self.connect_now) {
            self.failures = 0;
        } else if self.want_connection && !self.cancel.is_cancelled() {
            // A lost link is retried after the first back-off step, not at once.
            self.failures = 1;
            let delay = self.backoff();
            self.state("reconnecting", Some(delay));
            self.wait_for(Some(Instant::now() + Duration::from_secs_f64(delay))).await;
        }
    }

    /// CALLs that were sent or waiting when the link dropped: transaction
    /// messages go back to the front of the offline queue, in order (the
    /// Central System may see one twice, never zero times); others fail.
    fn requeue(&mut self, calls: Vec<OutgoingCall<oneshot::Sender<CallOutcome>>>) {
        let mut kept = Vec::new();
        for call in calls {
            if self.queueable(&call.action) {
                // The full timeout again: it restarts when the CALL goes out on the new link.
                kept.push(PendingCall {
                    id: call.id,
                    action: call.action,
                    payload: call.payload,
                    timeout: call.timeout,
                    reply: call.reply,
                });
            } else {
                let _ = call.reply.send(CallOutcome::disconnected("the Central System"));
            }
        }
        for call in kept.into_iter().rev() {
            self.offline.push_front(call);
        }
    }

    async fn drive(&mut self, link: &mut ClientLink) -> Ending {
        let cancelled = self.cancel.clone().cancelled_owned();
        tokio::pin!(cancelled);
        loop {
            let next = Self::next_cmd(&mut self.deferred, &mut self.rx);
            let turn = async {
                tokio::select! {
                    _ = &mut cancelled => None,
                    cmd = next => cmd,
                }
            };
            let cmd = match link.serve_until(turn).await {
                Step::Ended(ending) => return ending,
                Step::Command(cmd) => cmd,
            };
            let ended = match cmd {
                None => Some(link.close(1000, "charge point stopping").await),
                Some(ClientCmd::Call(call)) => {
                    let calls = self.gather(call);
                    let mut ended = None;
                    for call in self.journal(calls).await {
                        match ended {
                            // The link ended: transaction messages wait for the next one.
                            Some(_) if self.queueable(&call.action) => self.offline.push_back(call),
                            Some(_) => {
                                let _ = call.reply.send(CallOutcome::disconnected("the Central System"));
                            }
                            None => ended = link.push_call(call.start()).await,
                        }
                    }
                    ended
                }
                Some(ClientCmd::Send(text)) => link.send_frame(text).await,
                Some(ClientCmd::Connect(target)) => {
                    if let Some(target) = target {
                        *lock(&self.shared.target) = target;
                    }
                    self.connect_now = true;
                    Some(link.close(1000, "reconnecting").await)
                }
                Some(ClientCmd::Disconnect) => {
                    self.want_connection = false;
                    Some(link.close(1000, "closed by the flow").await)
                }
            };
            if let Some(ending) = ended {
                return ending;
            }
        }
    }
}

fn entry_of(call: &PendingCall) -> Entry {
    Entry { id: call.id.clone(), action: call.action.clone(), payload: call.payload.clone(), timeout: call.timeout }
}

impl Watcher {
    /// Waits for a journaled message's outcome. A final one is noted in the
    /// journal and passed on. A timeout is not final: the message stays in
    /// the journal and goes out again, with the same message id, first on
    /// the next connection. None (the client stopped with the message still
    /// queued) leaves it in the journal for the next start.
    fn watch(&self, entry: &Entry, outcome: oneshot::Receiver<CallOutcome>, to: Listener) {
        let watcher = self.clone();
        let entry = entry.clone();
        tokio::spawn(async move {
            let Ok(outcome) = outcome.await else {
                if let (Listener::Flow(flow), Some(journal)) = (to, &watcher.journal) {
                    let message = format!(
                        "{} is kept in {}: it goes out when this node runs again",
                        entry.action,
                        journal.path().display()
                    );
                    let _ = flow.send(CallOutcome::Failed { failure: Failure::Disconnected, message });
                }
                return;
            };
            match (&watcher.journal, &outcome) {
                (Some(journal), CallOutcome::Failed { failure: Failure::Timeout, message }) => {
                    let message = format!(
                        "{message}; it stays in {} and goes out again, with the same MessageId {:?}, on the next connection",
                        journal.path().display(),
                        entry.id
                    );
                    watcher.retry_later(&entry);
                    watcher.tell(to, &entry, CallOutcome::Failed { failure: Failure::Timeout, message });
                }
                (Some(journal), _) => {
                    let (journal, id) = (journal.clone(), entry.id.clone());
                    let noted = tokio::task::spawn_blocking(move || journal.done(&id)).await;
                    if let Ok(Err(e)) = noted {
                        watcher.sink.emit(|out| msgs::warn(out, "", &e.to_string()));
                    }
                    watcher.tell(to, &entry, outcome);
                }
                (None, _) => watcher.tell(to, &entry, outcome),
            }
        });
    }

    /// Keeps a timed-out message for the next connection; nobody waits for
    /// its outcome any more, so it comes out as a restored msg.
    fn retry_later(&self, entry: &Entry) {
        let (reply, outcome) = oneshot::channel();
        self.watch(entry, outcome, Listener::Restored);
        let Entry { id, action, payload, timeout } = entry.clone();
        lock(&self.retry).push_back(PendingCall { id, action, payload, timeout, reply });
    }

    fn tell(&self, to: Listener, entry: &Entry, outcome: CallOutcome) {
        match to {
            Listener::Flow(flow) => {
                let _ = flow.send(outcome);
            }
            Listener::Restored => {
                let cb = lock(&self.shared.target).cb_id.clone();
                let json = outcome.to_json(&entry.id, Some(self.shared.version));
                self.sink.emit(|out| msgs::restored(out, Side::ChargePoint(&cb), &entry.action, &json));
            }
        }
    }
}
