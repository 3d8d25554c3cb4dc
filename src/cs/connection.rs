//! One station's connection on the Central System side: registers the
//! station, hands its CALLs to the flow, and drives its [`Link`] until the
//! station leaves, the server closes, or the link dies.
//!
//! Everything about one connection happens in its own task, so no lock is
//! taken on the hot path except the process-wide answer table.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_util::sync::CancellationToken;

use super::answers::{self, PendingAnswer, Waiter};
use super::cluster::Cluster;
use super::inspector::Watched;
use super::mailbox::{conn_channel, Answered, ConnCmd, ConnRx, ConnTx};
use super::metrics::{Action, Direction, Protocol, ServerMetrics};
use super::options::ServerConfig;
use super::registry;
use super::unify::{self, Unifier};
use super::{rotation, secrets};
use crate::events::EventSink;
use crate::flow::CallOutcome;
use crate::msgs::{self, Side};
use crate::ocppj::frame::MessageType;
use crate::ocppj::link::{Ending, Link, LinkHandler, LinkOptions, Step, Traffic};
use crate::version::OcppVersion;

/// What a station's connection needs of the server it came in on.
pub struct ServerContext {
    pub config: ServerConfig,
    /// The node's events.
    pub sink: Arc<EventSink>,
    /// Tells this server's waiting answers from other servers'.
    pub server_id: u64,
    /// OCPP-J stations admitted and not gone yet, against `maxConnections`.
    pub connections: AtomicUsize,
    /// The cluster this server's stations are announced to.
    pub cluster: Option<Arc<Cluster>>,
    /// What the server counts for `GET /ocpp/metrics`.
    pub metrics: Arc<ServerMetrics>,
    /// Unified messages, when the server has them on.
    pub unified: Option<Arc<Unifier>>,
}

/// How long a 1.6 StartTransaction waits for a block of transaction ids to be
/// reserved (the disk, or the cluster's Redis) before it goes to the flow without one.
const MINT_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// The Central System's side of a link: CALLs go to the flow.
struct StationHandler {
    cb_id: Arc<str>,
    tx: ConnTx,
    server: Arc<ServerContext>,
    /// CALLs handed to the flow and not answered yet (by the flow or by the
    /// answer timeout). OCPP-J allows one; a station that floods is refused
    /// past `maxStationCalls`, so the flow's queue and the answer table stay bounded.
    unanswered: usize,
    /// Set while CALLs are refused, so a flood gives one warning, not one per frame.
    refusing: bool,
    /// OCPP 2.1 SENDs are never answered, so nothing counts them as
    /// `unanswered`: they get a budget of their own instead.
    sends: SendBudget,
    /// What the editor's OCPP sidebar sees of this station.
    watch: Watched,
}

/// At most `maxStationCalls` SENDs per second from a station, in bursts of as
/// many; more are dropped with one warning until the station slows down.
struct SendBudget {
    tokens: f64,
    refilled: tokio::time::Instant,
    dropping: bool,
}

impl SendBudget {
    fn new(per_second: usize) -> Self {
        Self { tokens: per_second as f64, refilled: tokio::time::Instant::now(), dropping: false }
    }

    /// Whether one more SEND fits; `Some(true)` when it does not and this is
    /// the first of a run of drops (warn then).
    fn take(&mut self, per_second: usize, now: tokio::time::Instant) -> Result<(), bool> {
        let rate = per_second as f64;
        self.tokens = (self.tokens + now.duration_since(self.refilled).as_secs_f64() * rate).min(rate);
        self.refilled = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            self.dropping = false;
            return Ok(());
        }
        Err(!std::mem::replace(&mut self.dropping, true))
    }
}

impl LinkHandler for StationHandler {
    fn refuse_call(&mut self, action: &str) -> Option<String> {
        let limit = self.server.config.max_station_calls;
        if self.unanswered < limit {
            self.refusing = false;
            return None;
        }
        let why = format!(
            "{limit} CALLs from this station are still unanswered (maxStationCalls); OCPP-J allows one at a time"
        );
        if !std::mem::replace(&mut self.refusing, true) {
            self.warn(format!("refusing CALLs from {} until the flow answers, {action} first: {why}", self.cb_id));
        }
        Some(why)
    }

    fn call(&mut self, frame_id: String, action: &str, payload: &str) {
        self.unanswered += 1;
        let version = self.tx.version();
        // Unified messages: a 1.6 StartTransaction goes to the flow with its
        // minted id, so TransactionStarted names it already; when no id is
        // reserved yet the msg waits for one (never for long: blocks are
        // reserved ahead).
        let minter = self.server.unified.as_ref().filter(|_| Unifier::mints_for(version, action)).map(|u| &u.minter);
        let minted = match minter {
            None => None,
            Some(minter) => match minter.try_mint() {
                Some(id) => Some(id),
                None => {
                    let (minter, server, tx, cb) =
                        (minter.clone(), self.server.clone(), self.tx.clone(), self.cb_id.clone());
                    let (action, payload) = (action.to_owned(), payload.to_owned());
                    tokio::spawn(async move {
                        // Bounded: an unreachable Redis must not hold the station's CALL.
                        let minted = match tokio::time::timeout(MINT_WAIT, minter.mint()).await {
                            Ok(Ok(id)) => Some(id),
                            Ok(Err(e)) => {
                                server.sink.emit(|out| msgs::warn(out, &cb, &e.to_string()));
                                None
                            }
                            Err(_) => {
                                let text = format!("no transaction id could be reserved within {MINT_WAIT:?}; the flow must give this StartTransaction's transactionId");
                                server.sink.emit(|out| msgs::warn(out, &cb, &text));
                                None
                            }
                        };
                        hand_call(&server, &tx, &cb, frame_id, &action, &payload, minted);
                    });
                    return;
                }
            },
        };
        hand_call(&self.server, &self.tx, &self.cb_id, frame_id, action, payload, minted);
    }

    fn send(&mut self, frame_id: String, action: &str, payload: &str) {
        let limit = self.server.config.max_station_calls;
        if let Err(first) = self.sends.take(limit, tokio::time::Instant::now()) {
            if first {
                self.warn(format!(
                    "dropping SENDs from {} ({action} first): more than {limit} a second (maxStationCalls)",
                    self.cb_id
                ));
            }
            return;
        }
        let cb = &self.cb_id;
        let version = self.tx.version();
        self.server.sink.emit(|out| msgs::send(out, Side::Station(cb), version, &frame_id, action, payload));
    }

    fn warn(&self, text: String) {
        self.server.sink.emit(|out| msgs::warn(out, &self.cb_id, &text));
    }

    fn may_read(&self) -> bool {
        self.server.sink.has_room()
    }

    fn readable(&self) -> impl std::future::Future<Output = ()> + Send + '_ {
        self.server.sink.room()
    }

    fn log(&self, ours: bool, text: &str) {
        // Station passwords never reach the sidebar, output 2 or the log file;
        // a frame nobody is shown (the common case) is not looked into.
        let shown = self.watch.may_record() || self.server.config.raw_log;
        let text = &*if shown { secrets::redact(text) } else { std::borrow::Cow::Borrowed(text) };
        self.watch.frame(ours, text);
        if self.server.config.raw_log {
            let from = if ours { "CSMS" } else { "CS" };
            self.server.sink.emit(|out| msgs::raw_log(out, &self.cb_id, from, text));
        }
    }

    fn malformed(&self, text: &str) {
        self.watch.malformed(text);
    }

    fn traffic(&self, m: Traffic<'_>) {
        let way = if m.ours { Direction::Out } else { Direction::In };
        let proto = Protocol::Json(self.tx.version());
        self.server.metrics.message(way, proto, Action::of(m.action), m.kind, m.code);
    }

    fn settled(&self, _action: &str, after: Option<std::time::Duration>) {
        self.server.metrics.request_settled(after);
    }
}

/// Hands a station's CALL to the flow: files it for the answer, then emits
/// the msg (with `msg.unified` when the server has unified messages on); an
/// event the server answers itself (`autoAnswer`) is answered at once.
fn hand_call(
    server: &Arc<ServerContext>,
    tx: &ConnTx,
    cb: &Arc<str>,
    frame_id: String,
    action: &str,
    payload: &str,
    minted: Option<i64>,
) {
    let version = tx.version();
    let reading = unify::read(cb, version, action, payload, server.unified.as_deref(), minted);
    let msg_id = uuid::Uuid::new_v4().to_string();
    // Register before the flow can see the msg: its answer may come back
    // from another thread before `emit` returns.
    let handed = tokio::time::Instant::now();
    let deadline = handed + server.config.answer_timeout;
    // The action is kept only when the answer will be checked against its schema.
    let action_for_check = tx.strict().then(|| Box::from(action));
    let counted = Action::of(Some(action));
    let waiter = Waiter::Station { tx: tx.clone(), frame_id: frame_id.clone(), action: action_for_check, counted };
    let pending = PendingAnswer { waiter, hook: reading.hook, server: server.server_id, handed, deadline };
    answers::wait_for_answer(msg_id.clone(), pending);
    let unified = reading.unified_json.as_deref();
    server
        .sink
        .emit(|out| msgs::call_unified(out, Side::Station(cb), version, &frame_id, action, &msg_id, payload, unified));
    if reading.auto {
        if let Err(e) = answers::answer(&msg_id, Some(unify::AUTO_ANSWER)) {
            server
                .sink
                .emit(|out| msgs::warn(out, cb, &format!("{action} was not answered by the server itself: {e}")));
        }
    }
}

impl StationHandler {
    /// Counts the answer to a station's CALL, the flow's or the answer timeout's.
    fn count_answer(&mut self, answered: &Answered) {
        self.unanswered = self.unanswered.saturating_sub(1);
        let version = self.tx.version();
        let metrics = &self.server.metrics;
        let (kind, code) = match answered.error {
            Some(code) => (MessageType::CallError, Some(code.as_str(version))),
            None => (MessageType::CallResult, None),
        };
        metrics.message(Direction::Out, Protocol::Json(version), answered.action, kind, code);
        if let Some(took) = answered.flow_time {
            metrics.flow_answer.observe(took);
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
    place: Place,
}

/// A station's place in its server's count of connections.
pub(crate) struct Place(Arc<ServerContext>);

impl Place {
    /// A place, unless `maxConnections` stations are connected already.
    pub(crate) fn take(server: &Arc<ServerContext>) -> Option<Self> {
        let before = server.connections.fetch_add(1, Ordering::AcqRel);
        if before >= server.config.max_connections {
            server.connections.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        Some(Self(server.clone()))
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        self.0.connections.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Admitted {
    /// Registers the station; a previous connection with its id is told to
    /// close, unless it proved its id and this one did not (`authenticated`).
    pub(crate) fn register(
        cb_id: Arc<str>,
        conn_id: u64,
        version: OcppVersion,
        strict: bool,
        authenticated: bool,
        place: Place,
    ) -> Result<Self, registry::RegisterError> {
        let (tx, rx) = conn_channel(cb_id.clone(), version, strict);
        let replaced = registry::register(cb_id.clone(), registry::Station { conn_id, tx: tx.clone(), authenticated })?;
        if let Some(old) = replaced {
            let _ = old.tx.send(ConnCmd::Close {
                code: 1000,
                reason: "replaced by a new connection with the same charge box id".into(),
            });
        }
        if let Some(cluster) = &place.0.cluster {
            cluster.claim(cb_id.clone(), conn_id, about(version, &place.0.config.node_id));
        }
        Ok(Self { cb_id, conn_id, tx, rx, place })
    }
}

impl Drop for Admitted {
    /// The upgrade failed, or the connection ended: forget the station unless
    /// a newer connection took its place.
    fn drop(&mut self) {
        registry::unregister(&self.cb_id, self.conn_id);
        super::station_limits::forget(&self.cb_id, self.conn_id);
        if let Some(cluster) = &self.place.0.cluster {
            cluster.release(&self.cb_id, self.conn_id);
        }
    }
}

/// What the other instances of a cluster show of a station connected here
/// (JSON text): its version, the server node it is on, and since when.
fn about(version: OcppVersion, node_id: &str) -> Arc<str> {
    let json = serde_json::json!({ "version": version.label(), "node": node_id, "since": crate::time::now_ms() });
    Arc::from(json.to_string())
}

/// Serves one station until it leaves, the server closes, or the link dies.
pub(crate) async fn serve_station<S: AsyncRead + AsyncWrite + Unpin>(
    ws: WebSocketStream<S>,
    mut admitted: Admitted,
    server: Arc<ServerContext>,
    cancel: CancellationToken,
) {
    let cb_id = admitted.cb_id.clone();
    let version = admitted.tx.version();
    server.sink.emit(|out| msgs::online(out, Side::Station(&cb_id), version));
    let handler = StationHandler {
        cb_id: cb_id.clone(),
        tx: admitted.tx.clone(),
        server: server.clone(),
        unanswered: 0,
        refusing: false,
        sends: SendBudget::new(server.config.max_station_calls),
        watch: Watched::open(cb_id.clone(), server.config.node_id.clone(), version),
    };
    let config = &server.config;
    let options = LinkOptions {
        version,
        strict: config.strict,
        max_queued: config.max_queued,
        ping_every: config.ping_interval,
        queue_full_remedy: "raise the CS server's Max queued (maxQueued) or send less often",
    };
    let mut link = Link::new(ws, handler, cb_id.clone(), options);
    let ending = drive(&mut link, &mut admitted.rx, cancel).await;
    drop(admitted);
    for call in link.take_calls() {
        let _ = call.reply.send(CallOutcome::disconnected(&cb_id));
    }
    server.sink.emit(|out| msgs::offline(out, Side::Station(&cb_id), version, ending.code, &ending.reason));
}

/// What the connection does besides serving its link.
enum Turn {
    Command(ConnCmd),
    /// The server is closing.
    Shutdown,
}

async fn drive<S: AsyncRead + AsyncWrite + Unpin>(
    link: &mut Link<S, StationHandler>,
    rx: &mut ConnRx,
    cancel: CancellationToken,
) -> Ending {
    // Made once: made afresh each turn, it would join and leave the
    // server-wide list of waiters for every message.
    let cancelled = cancel.cancelled();
    tokio::pin!(cancelled);
    loop {
        let turn = async {
            tokio::select! {
                _ = &mut cancelled => Turn::Shutdown,
                cmd = rx.recv() => Turn::Command(cmd),
            }
        };
        let cmd = match link.serve_until(turn).await {
            Step::Ended(ending) => return ending,
            Step::Command(cmd) => cmd,
        };
        let ended = match cmd {
            Turn::Shutdown => Some(Box::pin(link.close(1012, "Central System restarting")).await),
            Turn::Command(ConnCmd::Answer(answered)) => {
                link.handler.count_answer(&answered);
                link.send_frame(answered.text).await
            }
            Turn::Command(ConnCmd::Call(call)) => {
                let h = &link.handler;
                let station = rotation::Station {
                    cb_id: &h.cb_id,
                    version: h.tx.version(),
                    sink: &h.server.sink,
                    cluster: h.server.cluster.as_ref(),
                };
                link.push_call(rotation::watch(*call, station)).await
            }
            Turn::Command(ConnCmd::Close { code, reason }) => Some(Box::pin(link.close(code, &reason)).await),
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

    #[test]
    fn sends_get_a_budget_per_second_and_one_warning_per_run_of_drops() {
        let t0 = tokio::time::Instant::now();
        let mut budget = SendBudget { tokens: 3.0, refilled: t0, dropping: false };
        assert_eq!((0..3).map(|_| budget.take(3, t0)).collect::<Vec<_>>(), [Ok(()), Ok(()), Ok(())]);
        assert_eq!(budget.take(3, t0), Err(true), "the first drop warns");
        assert_eq!(budget.take(3, t0), Err(false), "the next ones do not");
        assert_eq!(budget.take(3, t0 + Duration::from_millis(400)), Ok(()), "1.2 tokens back after 0.4 s");
        assert_eq!(budget.take(3, t0 + Duration::from_millis(400)), Err(true), "a new run warns again");
        assert_eq!(budget.take(3, t0 + Duration::from_secs(60)), Ok(()));
        assert!(budget.tokens <= 3.0, "no more than a second's worth is saved up");
    }
}
