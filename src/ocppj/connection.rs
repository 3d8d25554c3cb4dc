//! One station's WebSocket connection on the Central System side: reads
//! frames, answers malformed ones, hands CALLs to the flow, sends the flow's
//! answers and CALLs, keeps the link alive with pings.
//!
//! Everything about one connection happens in its own task, so no lock is
//! taken on the hot path except the process-wide answer table.

use futures_util::{SinkExt, StreamExt};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{mpsc, oneshot};
use tokio::time::{sleep_until, Instant};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::WebSocketStream;
use tokio_util::sync::CancellationToken;

use super::answers::{self, PendingAnswer};
use super::calls::CallOutcome;
use super::frame::{self, ErrorCode, Frame};
use super::msgs;
use super::server::ServerShared;
use super::session::{OutgoingCall, OutgoingQueue, QueueError};
use super::registry;

/// What other tasks ask of a connection.
pub enum ConnCmd {
    /// A finished frame to send (the flow's answer to a station CALL).
    Send(String),
    /// A CALL to the station, answered through the oneshot.
    Call(OutgoingCall<oneshot::Sender<CallOutcome>>),
    /// Close the connection (replaced by a newer one, or disconnected on request).
    Close { code: u16, reason: String },
}

/// The sending half of a connection's command channel, with the station id
/// for error messages.
#[derive(Clone)]
pub struct ConnTx {
    tx: mpsc::UnboundedSender<ConnCmd>,
    cb_id: Arc<str>,
}

impl ConnTx {
    pub fn send(&self, cmd: ConnCmd) -> Result<(), ConnCmd> {
        self.tx.send(cmd).map_err(|e| e.0)
    }

    pub fn cb_id(&self) -> Arc<str> {
        self.cb_id.clone()
    }
}

pub fn conn_channel(cb_id: Arc<str>) -> (ConnTx, mpsc::UnboundedReceiver<ConnCmd>) {
    let (tx, rx) = mpsc::unbounded_channel();
    (ConnTx { tx, cb_id }, rx)
}

/// Why a connection ended, for the OFFLINE event.
struct Ending {
    code: u16,
    reason: String,
}

pub(crate) struct Connection<S> {
    ws: WebSocketStream<S>,
    rx: mpsc::UnboundedReceiver<ConnCmd>,
    tx: ConnTx,
    cb_id: Arc<str>,
    conn_id: u64,
    shared: Arc<ServerShared>,
    outgoing: OutgoingQueue<oneshot::Sender<CallOutcome>>,
    /// Set by any frame from the station; a ping round without it ends the link.
    heard_from: bool,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Connection<S> {
    pub(crate) fn new(ws: WebSocketStream<S>, cb_id: Arc<str>, conn_id: u64, shared: Arc<ServerShared>) -> Self {
        let (tx, rx) = conn_channel(cb_id.clone());
        let max_queued = shared.config.max_queued;
        Self {
            ws,
            rx,
            tx,
            cb_id,
            conn_id,
            shared,
            outgoing: OutgoingQueue::new(max_queued),
            heard_from: true,
        }
    }

    /// Runs until the station leaves, the server closes, or the link dies.
    pub(crate) async fn run(mut self, cancel: CancellationToken) {
        let replaced = registry::register(
            self.cb_id.clone(),
            registry::Station { conn_id: self.conn_id, tx: self.tx.clone() },
        );
        if let Some(old) = replaced {
            let _ = old.tx.send(ConnCmd::Close {
                code: 1000,
                reason: "replaced by a new connection with the same charge box id".into(),
            });
        }
        self.shared.sink.emit(|out| msgs::online(out, &self.cb_id));
        let ending = self.serve(cancel).await;
        registry::unregister(&self.cb_id, self.conn_id);
        for call in self.outgoing.drain() {
            let _ = call.reply.send(CallOutcome::disconnected(&self.cb_id));
        }
        self.shared
            .sink
            .emit(|out| msgs::offline(out, &self.cb_id, ending.code, &ending.reason));
    }

    async fn serve(&mut self, cancel: CancellationToken) -> Ending {
        let ping_every = self.shared.config.ping_interval;
        let mut ping = tokio::time::interval_at(
            Instant::now() + ping_every.unwrap_or(Duration::from_secs(3600)),
            ping_every.unwrap_or(Duration::from_secs(3600)),
        );
        loop {
            let deadline = self.outgoing.next_deadline();
            tokio::select! {
                _ = cancel.cancelled() => {
                    return self.close(1012, "Central System restarting").await;
                }
                cmd = self.rx.recv() => {
                    // `self.tx` keeps the channel open, so `None` cannot happen.
                    let Some(cmd) = cmd else { continue };
                    if let Some(end) = self.on_command(cmd).await {
                        return end;
                    }
                }
                incoming = self.ws.next() => {
                    if let Some(end) = self.on_incoming(incoming).await {
                        return end;
                    }
                }
                _ = ping.tick(), if ping_every.is_some() => {
                    if !self.heard_from {
                        return self.close(1011, "no answer to ping").await;
                    }
                    self.heard_from = false;
                    if self.ws.send(Message::Ping(Default::default())).await.is_err() {
                        return Ending { code: 1006, reason: "connection lost".into() };
                    }
                }
                _ = sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => {
                    if let Some(end) = self.expire_calls().await {
                        return end;
                    }
                }
            }
        }
    }

    async fn on_command(&mut self, cmd: ConnCmd) -> Option<Ending> {
        match cmd {
            ConnCmd::Send(text) => self.send_frame(text).await,
            ConnCmd::Call(call) => {
                let text = match self.outgoing.push(call) {
                    Ok(text) => text,
                    Err((err, call)) => {
                        let outcome = match err {
                            QueueError::Full { limit } => CallOutcome::queue_full(&self.cb_id, limit),
                            QueueError::DuplicateId => CallOutcome::invalid(format!(
                                "message id {:?} is already in use for {}",
                                call.id, self.cb_id
                            )),
                        };
                        let _ = call.reply.send(outcome);
                        None
                    }
                };
                match text {
                    Some(text) => self.send_frame(text).await,
                    None => None,
                }
            }
            ConnCmd::Close { code, reason } => Some(self.close(code, &reason).await),
        }
    }

    async fn on_incoming(&mut self, incoming: Option<Result<Message, WsError>>) -> Option<Ending> {
        let message = match incoming {
            None => return Some(Ending { code: 1006, reason: "connection lost".into() }),
            Some(Err(WsError::Capacity(e))) => {
                let reason = format!("frame too large: {e}");
                return Some(self.close(1009, &reason).await);
            }
            Some(Err(e)) => return Some(Ending { code: 1006, reason: e.to_string() }),
            Some(Ok(message)) => message,
        };
        self.heard_from = true;
        match message {
            Message::Text(text) => self.on_text(text.as_str()).await,
            Message::Binary(_) => {
                let refusal = frame::call_error(
                    frame::UNREADABLE_ID,
                    ErrorCode::FormationViolation,
                    "OCPP-J frames are text frames; binary frames are not allowed",
                    None,
                );
                self.send_frame(refusal).await
            }
            Message::Close(close) => {
                let (code, reason) = close
                    .map(|c| (u16::from(c.code), c.reason.to_string()))
                    .unwrap_or((1005, String::new()));
                Some(Ending { code, reason })
            }
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => None,
        }
    }

    async fn on_text(&mut self, text: &str) -> Option<Ending> {
        let parsed = match frame::parse(text) {
            Ok(parsed) => parsed,
            Err(refusal) => {
                let cb = self.cb_id.clone();
                self.shared.sink.emit(|out| {
                    msgs::warn(out, &cb, &format!("refused a malformed frame from {cb}: {refusal}"))
                });
                return self.send_frame(refusal.to_call_error()).await;
            }
        };
        self.log_frame("CS", text);
        match parsed {
            Frame::Call { id, action, payload } => {
                self.hand_to_flow(id, &action, payload.get());
                None
            }
            Frame::CallResult { id, payload } => {
                let outcome = CallOutcome::Result(payload.get().to_owned());
                self.settle(&id, outcome).await
            }
            Frame::CallError { id, code, description, details } => {
                let outcome = CallOutcome::CallError { code, description, details: details.get().to_owned() };
                self.settle(&id, outcome).await
            }
        }
    }

    fn hand_to_flow(&self, frame_id: String, action: &str, payload: &str) {
        let msg_id = uuid::Uuid::new_v4().to_string();
        let cb = &self.cb_id;
        self.shared.sink.emit(|out| msgs::call(out, cb, &frame_id, action, &msg_id, payload));
        self.shared.deadlines.push(msg_id.clone());
        answers::wait_for_answer(msg_id, PendingAnswer { tx: self.tx.clone(), frame_id });
    }

    /// Resolves the in-flight CALL with the station's answer and starts the next.
    async fn settle(&mut self, id: &str, outcome: CallOutcome) -> Option<Ending> {
        let Some(call) = self.outgoing.answer(id) else {
            let cb = self.cb_id.clone();
            self.shared.sink.emit(|out| {
                msgs::warn(out, &cb, &format!("{cb} answered message id {id:?}, which no request is waiting for"))
            });
            return None;
        };
        let _ = call.reply.send(outcome);
        match self.outgoing.start_next() {
            Some(text) => self.send_frame(text).await,
            None => None,
        }
    }

    async fn expire_calls(&mut self) -> Option<Ending> {
        for call in self.outgoing.expire(Instant::now()) {
            let _ = call.reply.send(CallOutcome::timeout(&self.cb_id, &call.action));
        }
        match self.outgoing.start_next() {
            Some(text) => self.send_frame(text).await,
            None => None,
        }
    }

    async fn send_frame(&mut self, text: String) -> Option<Ending> {
        self.log_frame("CSMS", &text);
        match self.ws.send(Message::text(text)).await {
            Ok(()) => None,
            Err(e) => Some(Ending { code: 1006, reason: format!("send failed: {e}") }),
        }
    }

    fn log_frame(&self, from: &str, text: &str) {
        if self.shared.config.raw_log {
            self.shared.sink.emit(|out| msgs::raw_log(out, &self.cb_id, from, text));
        }
    }

    /// Sends a close frame, waiting briefly for the station's reply.
    async fn close(&mut self, code: u16, reason: &str) -> Ending {
        let frame = CloseFrame { code: CloseCode::from(code), reason: reason.to_owned().into() };
        let _ = tokio::time::timeout(Duration::from_secs(2), async {
            if self.ws.close(Some(frame)).await.is_ok() {
                while let Some(Ok(_)) = self.ws.next().await {}
            }
        })
        .await;
        Ending { code, reason: reason.to_owned() }
    }
}
