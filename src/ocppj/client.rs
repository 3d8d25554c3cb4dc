//! The charge point side (`CP client JSON`): connects to a Central System,
//! reconnects with back-off and jitter, and keeps transaction messages that
//! arrive while offline until the link is back.
//!
//! One task per client owns the link and every queue; the node talks to it
//! through a command channel and reads the little state it needs (online,
//! target, CALL ids awaiting the flow's answer) from [`ClientShared`].

use serde::Deserialize;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{sleep_until, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderValue, Uri};
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;

use super::answers::{Answer, AnswerError};
use super::calls::{CallOutcome, Failure, Ticket};
use super::link::{ping_ticker, Ending, Link, LinkHandler};
use super::msgs;
use super::session::OutgoingCall;
use super::version::OcppVersion;
use super::frame;
use crate::events::{Deliver, EventSink};
use crate::schema::Direction;

/// Actions kept while offline and sent once the link is back: the messages a
/// Central System needs for billing (OCPP 1.6 §4.7 asks stations to keep them).
pub const TRANSACTION_ACTIONS: [&str; 3] = ["StartTransaction", "StopTransaction", "MeterValues"];

/// CALLs from the Central System remembered for the flow's answer.
const MAX_AWAITED_ANSWERS: usize = 1000;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ClientOptions {
    /// The Central System's OCPP-J URL without the id, e.g. `ws://cs:8834/ocpp`.
    pub url: String,
    pub cb_id: String,
    /// Basic auth password (user = charge box id); user info in the URL works too.
    pub password: Option<String>,
    /// PEM file of extra CA certificates for `wss://`.
    pub ca_file: Option<String>,
    /// CA, client certificate and verification for `wss://` (from a `tls-config` node).
    pub tls: crate::tls::TlsOptions,
    /// The version to offer as subprotocol ("1.6j", "2.0.1", "2.1").
    pub ocpp_version: OcppVersion,
    /// Check every payload, both ways, against the version's OCA schemas.
    pub strict: bool,
    pub delay_connect: bool,
    pub reconnect_min_s: f64,
    pub reconnect_inc_s: f64,
    pub reconnect_max_s: f64,
    pub ping_interval_s: f64,
    pub handshake_timeout_s: f64,
    pub offline_queue: bool,
    pub queue_actions: Vec<String>,
    pub queue_max: usize,
    pub max_frame_kb: usize,
    pub raw_log: bool,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            url: String::new(),
            cb_id: String::new(),
            password: None,
            ca_file: None,
            tls: Default::default(),
            ocpp_version: OcppVersion::V16,
            strict: false,
            delay_connect: false,
            reconnect_min_s: 5.0,
            reconnect_inc_s: 5.0,
            reconnect_max_s: 360.0,
            ping_interval_s: 30.0,
            handshake_timeout_s: 10.0,
            offline_queue: true,
            queue_actions: Vec::new(),
            queue_max: 1000,
            max_frame_kb: 1024,
            raw_log: false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("invalid option: {0}")]
    Option(String),
    #[error("invalid Central System URL {url:?}: {why}")]
    Url { url: String, why: String },
    #[error("not connected to the Central System, so the answer to {0:?} cannot be sent")]
    Offline(String),
    #[error("no CALL from the Central System with MessageId {0:?} is waiting for an answer (answered already, or the connection was reset since)")]
    UnknownCall(String),
    #[error(transparent)]
    Answer(#[from] AnswerError),
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
    /// A request or answer from the flow that cannot be sent as it is.
    #[error("{0}")]
    Invalid(String),
    #[error("the CP client has stopped")]
    Stopped,
}

/// Where to connect: the part `connect` may change at run time.
#[derive(Debug, Clone)]
struct Target {
    url: String,
    cb_id: String,
}

impl Target {
    /// `<url>/<percent-encoded id>`, without user info (that becomes a header).
    fn endpoint(&self) -> Result<(Uri, Option<String>), ClientError> {
        let bad = |why: &str| ClientError::Url { url: self.url.clone(), why: why.into() };
        let base: Uri = self.url.trim().trim_end_matches('/').parse().map_err(|_| bad("not a URL"))?;
        match base.scheme_str() {
            Some("ws") | Some("wss") => {}
            _ => return Err(bad("the scheme must be ws:// or wss://")),
        }
        let authority = base.authority().ok_or_else(|| bad("no host"))?;
        let (userinfo, host) = match authority.as_str().rsplit_once('@') {
            Some((user, host)) => (Some(user.to_owned()), host.to_owned()),
            None => (None, authority.as_str().to_owned()),
        };
        if self.cb_id.is_empty() {
            return Err(ClientError::Option("the charge box id (cbId) is empty".into()));
        }
        let id = percent_encoding::utf8_percent_encode(&self.cb_id, ID_ESCAPES);
        let path = base.path().trim_end_matches('/');
        let uri = format!("{}://{host}{path}/{id}", base.scheme_str().unwrap_or("ws"))
            .parse()
            .map_err(|_| bad("cannot add the charge box id to it"))?;
        Ok((uri, userinfo))
    }

    /// The URL shown to the flow (`ws_state`): never with a password.
    fn public_url(&self) -> String {
        match self.endpoint() {
            Ok((uri, _)) => uri.to_string(),
            Err(_) => self.url.clone(),
        }
    }
}

/// Characters escaped in the id's path segment (RFC 3986 pchar is allowed as is).
const ID_ESCAPES: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'\\')
    .add(b'^')
    .add(b'|');

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
    fn start(self) -> OutgoingCall<oneshot::Sender<CallOutcome>> {
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

enum ClientCmd {
    Call(PendingCall),
    Send(String),
    Connect(Option<Target>),
    Disconnect,
}

/// What the node reads without asking the task.
struct ClientShared {
    version: OcppVersion,
    online: AtomicBool,
    target: Mutex<Target>,
    /// CALLs from the Central System waiting for the flow's answer: their
    /// message ids and actions (for strict mode's check of the answer).
    awaited: Mutex<VecDeque<(String, Box<str>)>>,
    strict: bool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub struct CpClient {
    tx: mpsc::UnboundedSender<ClientCmd>,
    shared: Arc<ClientShared>,
    cancel: CancellationToken,
    task: Mutex<Option<tokio::task::JoinHandle<Vec<PendingCall>>>>,
    sink: Arc<EventSink>,
}

struct Settings {
    reconnect_min: f64,
    reconnect_inc: f64,
    reconnect_max: f64,
    ping_interval: Option<Duration>,
    handshake_timeout: Duration,
    offline_queue: bool,
    queue_actions: Vec<String>,
    queue_max: usize,
    max_frame_bytes: usize,
    password: Option<String>,
    tls: Option<Arc<rustls::ClientConfig>>,
    raw_log: bool,
}

impl ClientOptions {
    fn settings(&self) -> Result<Settings, ClientError> {
        let secs = |name: &str, v: f64, min: f64| {
            if v.is_finite() && v >= min && v <= 86_400.0 {
                Ok(v)
            } else {
                Err(ClientError::Option(format!("{name} must be from {min} to 86400 seconds, got {v}")))
            }
        };
        let reconnect_min = secs("wstomin", self.reconnect_min_s, 0.1)?;
        let reconnect_max = secs("wstomax", self.reconnect_max_s, 0.1)?.max(reconnect_min);
        let ping = secs("pingInterval", self.ping_interval_s, 0.0)?;
        if !(1..=1_000_000).contains(&self.queue_max) {
            return Err(ClientError::Option(format!("queueMax must be from 1 to 1000000, got {}", self.queue_max)));
        }
        if !(1..=65_536).contains(&self.max_frame_kb) {
            return Err(ClientError::Option(format!("maxFrameKB must be from 1 to 65536, got {}", self.max_frame_kb)));
        }
        let tls = if self.url.trim().starts_with("wss:") { Some(self.tls_config()?) } else { None };
        Ok(Settings {
            reconnect_min,
            reconnect_inc: secs("wstoinc", self.reconnect_inc_s, 0.0)?,
            reconnect_max,
            ping_interval: (ping > 0.0).then(|| Duration::from_secs_f64(ping)),
            handshake_timeout: Duration::from_secs_f64(secs("handshakeTimeout", self.handshake_timeout_s, 0.1)?),
            offline_queue: self.offline_queue,
            queue_actions: self.queue_actions.iter().map(|a| a.trim().to_owned()).filter(|a| !a.is_empty()).collect(),
            queue_max: self.queue_max,
            max_frame_bytes: self.max_frame_kb * 1024,
            password: self.password.clone().filter(|p| !p.is_empty()),
            tls,
            raw_log: self.raw_log,
        })
    }

    /// System roots plus the node's CA file and `tls-config`, if any.
    fn tls_config(&self) -> Result<Arc<rustls::ClientConfig>, ClientError> {
        let mut tls = self.tls.clone();
        if tls.ca_file.is_none() {
            tls.ca_file = self.ca_file.clone();
        }
        Ok(tls.client_config()?)
    }
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
        let shared = Arc::new(ClientShared {
            version: options.ocpp_version,
            online: AtomicBool::new(false),
            target: Mutex::new(target),
            awaited: Mutex::new(VecDeque::new()),
            strict: options.strict,
        });
        let sink = EventSink::start(deliver);
        let (tx, rx) = mpsc::unbounded_channel();
        let cancel = CancellationToken::new();
        let task = ClientTask {
            settings,
            shared: shared.clone(),
            sink: sink.clone(),
            rx,
            cancel: cancel.clone(),
            offline: VecDeque::new(),
            want_connection: !options.delay_connect,
            failures: 0,
            connect_now: false,
        };
        let handle = tokio::spawn(task.run());
        Ok(Self { tx, shared, cancel, task: Mutex::new(Some(handle)), sink })
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
        super::calls::check_request(action, payload, id)?;
        if self.shared.strict {
            super::calls::check_schema(self.shared.version, action, Direction::Request, payload)?;
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
                super::calls::check_schema(version, action, Direction::Response, payload.trim())
                    .map_err(ClientError::Invalid)?;
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
        let actions = dropped.iter().map(|c| c.action.clone()).collect();
        for call in dropped {
            let _ =
                call.reply.send(CallOutcome::invalid("the CP client was stopped (redeploy) before sending it".into()));
        }
        self.sink.close();
        actions
    }
}

/// The charge point's side of a link: CALLs from the Central System go to the flow.
struct CentralSystemHandler {
    sink: Arc<EventSink>,
    shared: Arc<ClientShared>,
    raw_log: bool,
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
        self.sink.emit(|out| msgs::cp_call(out, version, &id, action, &msg_id, payload));
    }

    fn send(&mut self, id: String, action: &str, payload: &str) {
        let version = self.shared.version;
        self.sink.emit(|out| msgs::send(out, None, version, &id, action, payload));
    }

    fn warn(&self, text: String) {
        self.sink.emit(|out| msgs::warn(out, "", &text));
    }

    fn log(&self, ours: bool, text: &str) {
        if self.raw_log {
            let from = if ours { "CS" } else { "CSMS" };
            let cb = lock(&self.shared.target).cb_id.clone();
            self.sink.emit(|out| msgs::raw_log(out, &cb, from, text));
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

struct ClientTask {
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
}

impl ClientTask {
    /// Runs until cancelled; returns the CALLs still held.
    async fn run(mut self) -> Vec<PendingCall> {
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
                cmd = self.rx.recv() => cmd,
            };
            let Some(cmd) = cmd else { return false };
            match self.offline_command(cmd) {
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

    fn offline_command(&mut self, cmd: ClientCmd) -> Next {
        match cmd {
            ClientCmd::Call(call) => {
                self.keep_or_fail(call);
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

    /// Keeps a CALL for later if its action is one kept while offline.
    fn keep_or_fail(&mut self, call: PendingCall) {
        if !self.queueable(&call.action) {
            let message = format!(
                "not connected to the Central System; {} is not kept while offline (only StartTransaction, StopTransaction, MeterValues and the node's extra actions are)",
                call.action
            );
            let _ = call.reply.send(CallOutcome::Failed { failure: Failure::NotConnected, message });
            return;
        }
        if self.offline.len() >= self.settings.queue_max {
            let outcome = CallOutcome::queue_full("the Central System (offline queue)", self.settings.queue_max);
            let _ = call.reply.send(outcome);
            return;
        }
        self.offline.push_back(call);
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
            let value = format!("Basic {}", base64_encode(credentials.as_bytes()));
            headers.insert("authorization", HeaderValue::from_str(&value).map_err(|e| e.to_string())?);
        }
        let connector = self.settings.tls.clone().map(Connector::Rustls);
        let config = super::link::ws_config(self.settings.max_frame_bytes);
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
                Some(cmd) = self.rx.recv() => match self.offline_command(cmd) {
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
        };
        let room = self.settings.queue_max + 100;
        let peer = Arc::from(format!("the Central System ({})", target.url));
        Link::new(ws, handler, peer, room, self.shared.version, self.shared.strict)
    }

    /// Serves an open link until it ends, then keeps what must survive.
    async fn online(&mut self, mut link: ClientLink) {
        lock(&self.shared.awaited).clear();
        self.shared.online.store(true, Ordering::Release);
        let version = self.shared.version;
        self.sink.emit(|out| msgs::cp_online(out, version));
        self.state("connected", None);
        let mut ending = None;
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
        self.sink.emit(|out| msgs::cp_offline(out, version, ending.code, &ending.reason));
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
        let mut ping = ping_ticker(self.settings.ping_interval);
        loop {
            let deadline = link.next_deadline();
            let ended = tokio::select! {
                _ = self.cancel.cancelled() => Some(link.close(1000, "charge point stopping").await),
                cmd = self.rx.recv() => match cmd {
                    None => Some(link.close(1000, "charge point stopping").await),
                    Some(ClientCmd::Call(call)) => link.push_call(call.start()).await,
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
                },
                incoming = futures_util::StreamExt::next(&mut link.ws) => link.on_incoming(incoming).await,
                _ = ping.tick(), if self.settings.ping_interval.is_some() => link.ping().await,
                _ = sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => link.expire_calls().await,
            };
            if let Some(ending) = ended {
                return ending;
            }
        }
    }
}

fn base64_encode(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(url: &str, cb: &str) -> Target {
        Target { url: url.into(), cb_id: cb.into() }
    }

    #[test]
    fn endpoints_append_the_encoded_id_and_strip_user_info() {
        let (uri, user) = target("ws://localhost:8834/ocpp/", "EV 1").endpoint().unwrap();
        assert_eq!(uri.to_string(), "ws://localhost:8834/ocpp/EV%201");
        assert_eq!(user, None);
        let (uri, user) = target("wss://cp7:s3cret@cs.example:443/ocpp", "CP7").endpoint().unwrap();
        assert_eq!(uri.to_string(), "wss://cs.example:443/ocpp/CP7");
        assert_eq!(user.as_deref(), Some("cp7:s3cret"));
        assert_eq!(target("wss://a:b@cs/x", "C").public_url(), "wss://cs/x/C");
        assert!(target("http://cs/ocpp", "C").endpoint().is_err());
        assert!(target("ws://cs/ocpp", "").endpoint().is_err());
    }

    #[test]
    fn base64_matches_the_standard_alphabet() {
        assert_eq!(base64_encode(b"AUTH-CP:s3cret"), "QVVUSC1DUDpzM2NyZXQ=");
        assert_eq!(base64_encode(b"a"), "YQ==");
        assert_eq!(base64_encode(b"abc"), "YWJj");
    }

    #[test]
    fn options_are_checked() {
        let bad =
            ClientOptions { url: "ws://x/ocpp".into(), cb_id: "A".into(), reconnect_min_s: -1.0, ..Default::default() };
        assert!(bad.settings().is_err());
        let bad = ClientOptions { queue_max: 0, ..Default::default() };
        assert!(bad.settings().err().unwrap().to_string().contains("queueMax"));
    }
}
