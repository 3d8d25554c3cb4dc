//! One OCPP-J WebSocket link, whichever side of it we are: reads frames,
//! answers malformed ones with the CALLERROR the spec names, keeps one CALL
//! in flight with a bounded queue behind it, and checks the peer is alive.
//!
//! The link owns the socket, the keep-alive pings and the deadlines of the
//! CALLs it sent: [`Link::serve_until`] handles all three until the role that
//! drives it has a command of its own (an answer to send, a CALL, a close).
//! What the two roles do differently with the peer's CALLs, and where
//! warnings and the raw log go, is their [`LinkHandler`].

use futures_util::{SinkExt, StreamExt};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::oneshot;
use tokio::time::{sleep_until, Instant, Interval};
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::WebSocketStream;

use super::frame::{self, ErrorCode, Frame, MessageType};
use super::session::{Clock, OutgoingCall, OutgoingQueue, QueueError};
use crate::flow::{CallOutcome, Failure};
use crate::schema::{self, Direction, Violation};
use crate::version::OcppVersion;

pub type Call = OutgoingCall<oneshot::Sender<CallOutcome>>;

/// What the two sides do differently.
pub trait LinkHandler {
    /// A well-formed CALL from the peer.
    fn call(&mut self, id: String, action: &str, payload: &str);
    /// Why the peer's `action` CALL cannot be taken now (answered with a
    /// CALLERROR `GenericError`), or `None` to take it. The handler warns.
    fn refuse_call(&mut self, _action: &str) -> Option<String> {
        None
    }
    /// An OCPP 2.1 SEND from the peer: shown to the flow, never answered.
    fn send(&mut self, id: String, action: &str, payload: &str);
    fn warn(&self, text: String);
    /// Whether the side can take more of the peer's frames now. While it
    /// cannot, the link stops reading, and the peer feels it through TCP.
    fn may_read(&self) -> bool {
        true
    }
    /// Resolves once `may_read` may have turned true.
    fn readable(&self) -> impl Future<Output = ()> + Send + '_ {
        std::future::pending()
    }
    /// Every frame, as text, when the side keeps a raw log; `ours` is true
    /// for frames this side sent.
    fn log(&self, ours: bool, text: &str);
    /// A text frame from the peer that was refused as malformed (it is not
    /// given to `log`).
    fn malformed(&self, _text: &str) {}
    /// Every well-formed message the peer sent, and every one the link sent
    /// on its own (its CALLs, its CALLERRORs); not the role's own answers,
    /// which the role counts. For the role's metrics.
    fn traffic(&self, _message: Traffic<'_>) {}
    /// Our CALL was answered `after` it went out, or (`None`) its deadline passed.
    fn settled(&self, _action: &str, _after: Option<Duration>) {}
}

/// One OCPP message on a link, as the role's metrics see it.
#[derive(Debug, Clone, Copy)]
pub struct Traffic<'a> {
    /// Sent by this side.
    pub ours: bool,
    pub kind: MessageType,
    /// The action of a CALL or SEND, or of the CALL an answer answers;
    /// `None` when it cannot be known (a malformed frame's CALLERROR).
    pub action: Option<&'a str>,
    /// A CALLERROR's or CALLRESULTERROR's code, as written.
    pub code: Option<&'a str>,
}

impl<'a> Traffic<'a> {
    fn peers(kind: MessageType, action: Option<&'a str>) -> Self {
        Self { ours: false, kind, action, code: None }
    }

    fn our_error(action: Option<&'a str>, code: ErrorCode, version: OcppVersion) -> Self {
        Self { ours: true, kind: MessageType::CallError, action, code: Some(code.as_str(version)) }
    }
}

/// Why a link ended, for the OFFLINE event.
#[derive(Debug, Clone)]
pub struct Ending {
    pub code: u16,
    pub reason: String,
}

impl Ending {
    pub fn lost(reason: impl Into<String>) -> Self {
        Self { code: 1006, reason: reason.into() }
    }
}

/// How long a close handshake may take, either way: a peer that does not
/// answer must not hold a connection (and a redeploy) up.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// Buffer sizes set deliberately: tungstenite's defaults (128 KiB each) cost
/// far too much with thousands of stations; OCPP frames are small.
pub fn ws_config(max_frame_bytes: usize) -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(1024)
        .write_buffer_size(0)
        .max_message_size(Some(max_frame_bytes))
        .max_frame_size(Some(max_frame_bytes))
}

/// How a link behaves, the same for its whole life.
#[derive(Debug, Clone, Copy)]
pub struct LinkOptions {
    /// The RPC rules and error spellings of this link.
    pub version: OcppVersion,
    /// Strict mode: the peer's CALLs, SENDs and CALLRESULTs are checked
    /// against the version's schemas before anyone sees them.
    pub strict: bool,
    /// CALLs of ours held behind the one in flight.
    pub max_queued: usize,
    /// Keep-alive pings; `None` turns them off.
    pub ping_every: Option<Duration>,
    /// What a user can do when `max_queued` is reached (the limit is the role's).
    pub queue_full_remedy: &'static str,
}

/// What ended a wait in [`Link::serve_until`].
pub enum Step<C> {
    /// The role's command arrived; the link is still open.
    Command(C),
    /// The link is over.
    Ended(Ending),
}

pub struct Link<S, H> {
    ws: WebSocketStream<S>,
    pub handler: H,
    peer: Arc<str>,
    outgoing: OutgoingQueue<oneshot::Sender<CallOutcome>>,
    /// Set by any frame from the peer; a ping round without it ends the link.
    heard_from: bool,
    /// Malformed frames are warned about once per [`MALFORMED_WARN_EVERY`];
    /// the ones between are counted into the next warning.
    malformed: MalformedWarnings,
    version: OcppVersion,
    strict: bool,
    ping_every: Option<Duration>,
    ping_timer: Interval,
    queue_full_remedy: &'static str,
}

impl<S: AsyncRead + AsyncWrite + Unpin, H: LinkHandler> Link<S, H> {
    pub fn new(ws: WebSocketStream<S>, handler: H, peer: Arc<str>, options: LinkOptions) -> Self {
        let LinkOptions { version, strict, max_queued, ping_every, queue_full_remedy } = options;
        Self {
            ws,
            handler,
            peer,
            outgoing: OutgoingQueue::new(max_queued),
            heard_from: true,
            malformed: MalformedWarnings::default(),
            version,
            strict,
            ping_every,
            ping_timer: ping_ticker(ping_every),
            queue_full_remedy,
        }
    }

    /// Serves the link (the peer's frames, keep-alive pings, the deadlines of
    /// our CALLs) until the role's `command` is ready or the link ends.
    ///
    /// `command` is polled alongside for the whole wait, not made afresh per
    /// frame, so a role's mailbox or cancellation is registered once.
    pub async fn serve_until<C>(&mut self, command: impl Future<Output = C>) -> Step<C> {
        tokio::pin!(command);
        loop {
            let deadline = self.outgoing.next_deadline();
            let may_read = self.handler.may_read();
            if !may_read {
                // Silence while we do not read is ours, not the peer's.
                self.heard_from = true;
            }
            let ended = tokio::select! {
                cmd = &mut command => return Step::Command(cmd),
                incoming = self.ws.next(), if may_read => self.on_incoming(incoming).await,
                _ = self.handler.readable(), if !may_read => None,
                _ = self.ping_timer.tick(), if self.ping_every.is_some() => self.ping().await,
                _ = sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => self.expire_calls().await,
            };
            if let Some(ending) = ended {
                return Step::Ended(ending);
            }
        }
    }

    /// Starts each CALL's deadline when it goes out, not when it is pushed
    /// (a charge point's backlog; see [`Clock::Sent`]). Before any CALL.
    pub fn with_deadlines_from_send(mut self) -> Self {
        debug_assert!(self.outgoing.is_empty());
        self.outgoing = OutgoingQueue::with_clock(self.outgoing.max_waiting(), Clock::Sent);
        self
    }

    /// Every CALL held, sent or not, for the owner to fail or keep.
    pub fn take_calls(&mut self) -> Vec<Call> {
        self.outgoing.drain().collect()
    }

    pub async fn send_frame(&mut self, text: String) -> Option<Ending> {
        self.handler.log(true, &text);
        match self.ws.send(Message::text(text)).await {
            Ok(()) => None,
            Err(e) => Some(Ending::lost(format!("send failed: {e}"))),
        }
    }

    /// Queues a CALL (sending it if nothing is in flight).
    pub async fn push_call(&mut self, call: Call) -> Option<Ending> {
        match self.outgoing.push(call) {
            Ok(Some(text)) => self.send_call(text).await,
            Ok(None) => None,
            Err((err, call)) => {
                let outcome = match err {
                    QueueError::Full { limit } => CallOutcome::queue_full(&self.peer, limit, self.queue_full_remedy),
                    QueueError::DuplicateId => CallOutcome::invalid(format!(
                        "message id {:?} is already in use towards {}",
                        call.id, self.peer
                    )),
                };
                let _ = call.reply.send(outcome);
                None
            }
        }
    }

    async fn on_incoming(&mut self, incoming: Option<Result<Message, WsError>>) -> Option<Ending> {
        let message = match incoming {
            None => return Some(Ending::lost("connection lost")),
            Some(Err(WsError::Capacity(e))) => return Some(self.refuse(1009, &format!("frame too large: {e}")).await),
            Some(Err(WsError::Utf8(_))) => {
                return Some(self.refuse(1007, "a text frame that is not valid UTF-8").await)
            }
            // The TCP connection ended without a Close: a lost link (1006),
            // not a protocol error, and nobody is left to send a Close to.
            Some(Err(WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake))) => {
                return Some(Ending::lost("connection lost without a close handshake"))
            }
            Some(Err(WsError::Protocol(e))) => {
                return Some(self.refuse(1002, &format!("WebSocket protocol error: {e}")).await)
            }
            Some(Err(e)) => return Some(Ending::lost(e.to_string())),
            Some(Ok(message)) => message,
        };
        self.heard_from = true;
        match message {
            Message::Text(text) => self.on_text(text.as_str()).await,
            Message::Binary(_) => {
                let refusal = frame::call_error(
                    self.version,
                    frame::UNREADABLE_ID,
                    ErrorCode::FormationViolation,
                    "OCPP-J frames are text frames; binary frames are not allowed",
                    None,
                );
                self.handler.traffic(Traffic::our_error(None, ErrorCode::FormationViolation, self.version));
                self.send_frame(refusal).await
            }
            Message::Close(close) => {
                let (code, reason) =
                    close.map(|c| (u16::from(c.code), c.reason.to_string())).unwrap_or((1005, String::new()));
                // The peer closed: answer with a Close before the connection
                // ends (RFC 6455 5.5.1), or it sees 1006 instead of its own code.
                // tungstenite has queued the answer (the peer's code echoed);
                // flushing sends it.
                let _ = tokio::time::timeout(CLOSE_WAIT, self.ws.flush()).await;
                Some(Ending { code, reason })
            }
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => None,
        }
    }

    async fn on_text(&mut self, text: &str) -> Option<Ending> {
        let parsed = match frame::parse(text, self.version) {
            Ok(parsed) => parsed,
            Err(refusal) if refusal.answers_call => {
                self.handler.malformed(text);
                // No CALLERROR for an answer; the request it answers fails now
                // rather than at its deadline, so the queue behind it moves on.
                let why = refusal.describe(self.version);
                self.warn_malformed(format!("ignored a malformed answer from {}: {why}", self.peer));
                let id = refusal.id.filter(|id| self.outgoing.in_flight_action(id).is_some())?;
                let message = format!("{}'s answer is malformed: {why}", self.peer);
                return self.settle(&id, CallOutcome::Failed { failure: Failure::InvalidResponse, message }).await;
            }
            Err(refusal) => {
                self.handler.malformed(text);
                let why = refusal.describe(self.version);
                self.warn_malformed(format!("refused a malformed frame from {}: {why}", self.peer));
                self.handler.traffic(Traffic::our_error(None, refusal.code, self.version));
                return self.send_frame(refusal.to_call_error(self.version)).await;
            }
        };
        self.handler.log(false, text);
        match parsed {
            Frame::Call { id, action, payload } => {
                self.handler.traffic(Traffic::peers(MessageType::Call, Some(&action)));
                if let Some(violation) = self.check(&action, Direction::Request, payload.get()) {
                    self.handler.warn(format!("refused {action} from {}: {violation}", self.peer));
                    let code = violation.code.into();
                    self.handler.traffic(Traffic::our_error(Some(&action), code, self.version));
                    let text = frame::call_error(self.version, &id, code, &violation.message, None);
                    return self.send_frame(text).await;
                }
                if let Some(why) = self.handler.refuse_call(&action) {
                    self.handler.traffic(Traffic::our_error(Some(&action), ErrorCode::GenericError, self.version));
                    let text = frame::call_error(self.version, &id, ErrorCode::GenericError, &why, None);
                    return self.send_frame(text).await;
                }
                self.handler.call(id, &action, payload.get());
                None
            }
            Frame::CallResult { id, payload } => {
                let action = self.outgoing.in_flight_action(&id);
                self.handler.traffic(Traffic::peers(MessageType::CallResult, action));
                if let Some(message) = self.check_result(&id, payload.get()) {
                    return self.refuse_result(&id, message).await;
                }
                self.settle(&id, CallOutcome::Result(payload.get().to_owned())).await
            }
            Frame::CallError { id, code, description, details } => {
                let action = self.outgoing.in_flight_action(&id);
                self.handler.traffic(Traffic { code: Some(&code), ..Traffic::peers(MessageType::CallError, action) });
                let outcome = CallOutcome::CallError { code, description, details: details.get().to_owned() };
                self.settle(&id, outcome).await
            }
            Frame::Send { id, action, payload } => {
                self.handler.traffic(Traffic::peers(MessageType::Send, Some(&action)));
                // Nothing answers a SEND, not even a refusal: the flow is told.
                if let Some(violation) = self.check(&action, Direction::Request, payload.get()) {
                    self.handler.warn(format!("dropped the SEND {action} from {}: {violation}", self.peer));
                    return None;
                }
                self.handler.send(id, &action, payload.get());
                None
            }
            Frame::CallResultError { id, code, description, .. } => {
                self.handler
                    .traffic(Traffic { code: Some(&code), ..Traffic::peers(MessageType::CallResultError, None) });
                self.handler.warn(format!(
                    "{} could not process our answer to its message {id:?}: {code}: {description}",
                    self.peer
                ));
                None
            }
        }
    }

    /// Warns about a malformed frame, unless one was warned about lately: a
    /// peer that sends nothing else must not fill Node-RED's log. Every one
    /// is still answered as the spec says.
    fn warn_malformed(&mut self, text: String) {
        if let Some(text) = self.malformed.note(text, Instant::now()) {
            self.handler.warn(text);
        }
    }

    /// Strict mode's check of a payload from the peer.
    fn check(&self, action: &str, dir: Direction, payload: &str) -> Option<Violation> {
        if !self.strict {
            return None;
        }
        schema::validate_str(self.version, action, dir, payload).err()
    }

    /// Strict mode's check of the peer's answer to the CALL in flight: the
    /// violation and the sentence for the flow, or `None` when it is fine (or
    /// answers nothing in flight, which `settle` reports).
    fn check_result(&self, id: &str, payload: &str) -> Option<(Violation, String)> {
        if !self.strict {
            return None;
        }
        let action = self.outgoing.in_flight_action(id)?;
        let violation = self.check(action, Direction::Response, payload)?;
        let message = violation.explain(self.version, &format!("{}'s answer to {action}", self.peer));
        Some((violation, message))
    }

    /// A CALLRESULT that breaks its schema fails the request that asked for
    /// it; in OCPP 2.1 the peer also hears why (CALLRESULTERROR).
    async fn refuse_result(&mut self, id: &str, (violation, message): (Violation, String)) -> Option<Ending> {
        if self.version == OcppVersion::V21 {
            let code: ErrorCode = violation.code.into();
            let action = self.outgoing.in_flight_action(id);
            self.handler.traffic(Traffic {
                ours: true,
                kind: MessageType::CallResultError,
                action,
                code: Some(code.as_str(self.version)),
            });
            let text = frame::call_result_error(id, code, &violation.message);
            if let Some(ending) = self.send_frame(text).await {
                return Some(ending);
            }
        }
        self.settle(id, CallOutcome::Failed { failure: Failure::InvalidResponse, message }).await
    }

    /// Resolves the in-flight CALL with the peer's answer and starts the next.
    async fn settle(&mut self, id: &str, outcome: CallOutcome) -> Option<Ending> {
        if let Some((_, action, sent_at)) = self.outgoing.current().filter(|(current, _, _)| *current == id) {
            self.handler.settled(action, Some(sent_at.elapsed()));
        }
        let Some(call) = self.outgoing.answer(id) else {
            self.handler.warn(format!("{} answered message id {id:?}, which no request is waiting for", self.peer));
            return None;
        };
        let _ = call.reply.send(outcome);
        self.start_next().await
    }

    async fn expire_calls(&mut self) -> Option<Ending> {
        for call in self.outgoing.expire(Instant::now()) {
            self.handler.settled(&call.action, None);
            let _ = call.reply.send(CallOutcome::timeout(&self.peer, &call.action));
        }
        self.start_next().await
    }

    async fn start_next(&mut self) -> Option<Ending> {
        match self.outgoing.start_next() {
            Some(text) => self.send_call(text).await,
            None => None,
        }
    }

    /// Sends the CALL just put in flight.
    async fn send_call(&mut self, text: String) -> Option<Ending> {
        let action = self.outgoing.current().map(|(_, action, _)| action);
        self.handler.traffic(Traffic { ours: true, kind: MessageType::Call, action, code: None });
        self.send_frame(text).await
    }

    /// One keep-alive round: ends the link if the peer stayed silent since the last.
    async fn ping(&mut self) -> Option<Ending> {
        if !self.heard_from {
            // The peer is gone: no close handshake to wait for; dropping the
            // socket ends the link.
            return Some(Ending { code: 1011, reason: "no answer to ping".into() });
        }
        self.heard_from = false;
        match self.ws.send(Message::Ping(Default::default())).await {
            Ok(()) => None,
            Err(_) => Some(Ending::lost("connection lost")),
        }
    }

    /// Closes after a frame the link cannot read on: sends the close code, then
    /// reads and discards what the peer still sends (the rest of an oversized
    /// frame) for a moment. Closing a socket with unread bytes makes the kernel
    /// reset it, and the peer would see 1006 instead of the code.
    async fn refuse(&mut self, code: u16, reason: &str) -> Ending {
        const DRAIN_LIMIT: u64 = 64 << 20;
        let frame = CloseFrame { code: CloseCode::from(code), reason: reason.to_owned().into() };
        let _ = tokio::time::timeout(CLOSE_WAIT, async {
            if self.ws.close(Some(frame)).await.is_ok() {
                let mut rest = tokio::io::AsyncReadExt::take(self.ws.get_mut(), DRAIN_LIMIT);
                let _ = tokio::io::copy(&mut rest, &mut tokio::io::sink()).await;
            }
        })
        .await;
        Ending { code, reason: reason.to_owned() }
    }

    /// Sends a close frame, waiting briefly for the peer's reply.
    pub async fn close(&mut self, code: u16, reason: &str) -> Ending {
        let frame = CloseFrame { code: CloseCode::from(code), reason: reason.to_owned().into() };
        let _ = tokio::time::timeout(CLOSE_WAIT, async {
            if self.ws.close(Some(frame)).await.is_ok() {
                while let Some(Ok(_)) = self.ws.next().await {}
            }
        })
        .await;
        Ending { code, reason: reason.to_owned() }
    }
}

/// At most one malformed-frame warning per link in this time.
const MALFORMED_WARN_EVERY: Duration = Duration::from_secs(10);

#[derive(Default)]
struct MalformedWarnings {
    last: Option<Instant>,
    held: u32,
}

impl MalformedWarnings {
    /// The warning to give now, with the count of those held back, if any is due.
    fn note(&mut self, text: String, now: Instant) -> Option<String> {
        if self.last.is_some_and(|last| now.duration_since(last) < MALFORMED_WARN_EVERY) {
            self.held += 1;
            return None;
        }
        self.last = Some(now);
        match std::mem::take(&mut self.held) {
            0 => Some(text),
            held => Some(format!("{text} (and {held} more malformed frames since the last warning)")),
        }
    }
}

/// A ticker for keep-alive pings; with pings off it never fires.
fn ping_ticker(every: Option<Duration>) -> tokio::time::Interval {
    let period = every.unwrap_or(Duration::from_secs(86_400 * 365));
    tokio::time::interval_at(Instant::now() + period, period)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_frames_are_warned_about_once_per_interval_with_a_count() {
        let mut warnings = MalformedWarnings::default();
        let t0 = Instant::now();
        assert_eq!(warnings.note("a".into(), t0).as_deref(), Some("a"));
        assert_eq!(warnings.note("b".into(), t0 + Duration::from_secs(1)), None);
        assert_eq!(warnings.note("c".into(), t0 + Duration::from_secs(9)), None);
        assert_eq!(
            warnings.note("d".into(), t0 + MALFORMED_WARN_EVERY).as_deref(),
            Some("d (and 2 more malformed frames since the last warning)")
        );
    }
}
