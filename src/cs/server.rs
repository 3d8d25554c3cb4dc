//! A listener of the Central System (`CS server`), or of a charge point's SOAP
//! service (`CP server SOAP`): routes SOAP paths to the SOAP service and
//! `<path16j>/<chargeBoxId>` upgrades to connection tasks, owns the answer
//! deadlines, and shuts down completely (port free, tasks ended) before
//! `close` returns.

use hyper::body::Incoming;
use hyper::header::{HeaderMap, HeaderValue};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::WebSocketStream;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::answers::{self, SoapQueue};
use super::auth;
use super::cluster::{self, Cluster, ClusterError, Health};
use super::connection::{serve_station, Admitted, Place, ServerContext};
use super::files::Files;
use super::handshake::{
    charge_box_id, check_method_and_version, check_request_head, choose_subprotocol, is_websocket_upgrade,
};
use super::metrics::{self, Action, Direction, Gauges, Protocol, ServerMetrics};
use super::options::{OptionsError, ServerOptions};
use super::refusals::{self, Reason, Refusal, Refusals};
use super::registry;
use super::txids::Minter;
use super::unify::{self, Unifier};
use crate::events::{Deliver, EventSink};
use crate::listener::{self, text_response, Body, Handler, ListenError};
use crate::msgs;
use crate::ocppj::frame::MessageType;
use crate::ocppj::link::ws_config;
use crate::pending::PendingFull;
use crate::soap;
use crate::soap::server::Denied;
use crate::tls::PeerCertificate;
use crate::version::OcppVersion;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Listen(#[from] ListenError),
    #[error(transparent)]
    Options(#[from] OptionsError),
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    #[error(transparent)]
    TransactionIds(#[from] super::txids::MintError),
}

static NEXT_SERVER_ID: AtomicU64 = AtomicU64::new(1);

/// What a server's tasks share: what its connections see, and what only the
/// listener and `close` use.
pub(crate) struct ServerShared {
    ctx: Arc<ServerContext>,
    cancel: CancellationToken,
    tracker: TaskTracker,
    refusals: Refusals,
    /// SOAP requests waiting for the flow, per station.
    soap_queue: Arc<SoapQueue>,
    next_conn_id: AtomicU64,
    /// The file endpoints (`filesPath`), when on.
    files: Option<Files>,
}

/// A running Central System listener.
pub struct CsServer {
    shared: Arc<ServerShared>,
    port: u16,
}

impl CsServer {
    /// Binds the port and starts serving; must run inside the tokio runtime.
    pub fn start(options: ServerOptions, deliver: Deliver) -> Result<Self, ServerError> {
        let config = options.validate()?;
        let backlog = config.event_backlog_bytes;
        if config.strict {
            // Compile the schemas now, not on the first station's first message.
            for version in &config.versions {
                crate::schema::warm_up(*version);
            }
        }
        // Read before binding: a damaged id file leaves nothing behind.
        let minter = match &config.unified {
            Some(u) => Some(Minter::open(u.ids_file.clone(), None)?),
            None => None,
        };
        let host = options.host.unwrap_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED));
        // Bound before joining the cluster: a busy port then leaves no membership behind.
        let std_listener = listener::bind(SocketAddr::new(host, options.port))?;
        let cluster = match (&options.cluster, options.charge_point) {
            (Some(cluster), false) => Some(cluster::join(cluster.clone())?),
            _ => None,
        };
        let port = std_listener.local_addr().map(|a| a.port()).unwrap_or(options.port);
        let files = config.files.clone().map(Files::new);
        let label = metrics::unique_label(options.name.as_deref(), port);
        let unified = match (&config.unified, minter) {
            (Some(u), Some(minter)) => {
                let minter = Arc::new(minter.in_cluster(cluster.clone()));
                minter.prepare();
                Some(Arc::new(Unifier { config: u.clone(), minter }))
            }
            _ => None,
        };
        let ctx = ServerContext {
            unified,
            server_id: NEXT_SERVER_ID.fetch_add(1, Ordering::Relaxed),
            config,
            sink: EventSink::start_with_limit(deliver, backlog),
            connections: AtomicUsize::new(0),
            cluster,
            metrics: Arc::new(ServerMetrics::new(label)),
        };
        let shared = Arc::new(ServerShared {
            ctx: Arc::new(ctx),
            cancel: CancellationToken::new(),
            tracker: TaskTracker::new(),
            refusals: Refusals::default(),
            soap_queue: Arc::default(),
            next_conn_id: AtomicU64::new(1),
            files,
        });
        let tracker = shared.tracker.clone();
        tracker.spawn(listener::serve(
            std_listener,
            shared.ctx.config.tls.clone(),
            shared.clone(),
            shared.cancel.clone(),
            tracker.clone(),
            shared.ctx.config.pending,
        ));
        tracker.spawn(sweep_deadlines(shared.clone()));
        if let Some(cluster) = shared.ctx.cluster.clone() {
            tracker.spawn(report_cluster(cluster, shared.ctx.sink.clone(), shared.cancel.clone()));
        }
        // A charge point's SOAP service (`CP server SOAP`) is no Central System to monitor.
        if !shared.ctx.config.charge_point {
            metrics::register(shared.as_source());
            auth::register_server(shared.ctx.server_id, &shared.ctx.config.passwords);
        }
        Ok(Self { shared, port })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops listening, closes every station with 1012, forgets waiting
    /// answers, and returns once every task has ended (the port is free).
    pub async fn close(&self) {
        let first_close = !self.shared.cancel.is_cancelled();
        self.shared.cancel.cancel();
        self.shared.tracker.close();
        if tokio::time::timeout(Duration::from_secs(5), self.shared.tracker.wait()).await.is_err() {
            // A peer that ignores the close handshake must not hold up a redeploy;
            // the listener task ended first, so the port is already free.
        }
        answers::forget_server(self.shared.ctx.server_id);
        auth::forget_server(self.shared.ctx.server_id);
        if let (true, Some(cluster)) = (first_close, &self.shared.ctx.cluster) {
            cluster.detach();
        }
        metrics::unregister(&self.shared.as_source());
        self.shared.ctx.sink.close();
    }
}

/// Tells the node whether the cluster's Redis is reachable: once at start
/// (after a moment to connect), then at every change.
async fn report_cluster(cluster: Arc<Cluster>, sink: Arc<EventSink>, cancel: CancellationToken) {
    let mut up = cluster.watch();
    let instance = cluster.instance().clone();
    tokio::select! {
        _ = cancel.cancelled() => return,
        _ = tokio::time::timeout(CLUSTER_CONNECT_GRACE, up.wait_for(|h| *h == Health::Up)) => {}
    }
    loop {
        let now = *up.borrow_and_update();
        sink.emit(|out| msgs::cluster_state(out, &instance, now == Health::Up, now == Health::IdInUse));
        tokio::select! {
            _ = cancel.cancelled() => return,
            changed = up.changed() => if changed.is_err() { return },
        }
    }
}

/// How long a starting cluster may take to reach Redis before the node says it is unavailable.
const CLUSTER_CONNECT_GRACE: Duration = Duration::from_secs(3);

async fn sweep_deadlines(shared: Arc<ServerShared>) {
    let every = (shared.ctx.config.answer_timeout / 10).clamp(Duration::from_millis(50), Duration::from_secs(1));
    let mut tick = tokio::time::interval(every);
    loop {
        tokio::select! {
            _ = shared.cancel.cancelled() => return,
            _ = tick.tick() => {}
        }
        let secs = shared.ctx.config.answer_timeout.as_secs_f64();
        let now = tokio::time::Instant::now();
        for cb in answers::sweep(shared.ctx.server_id, now, secs, &shared.ctx.metrics) {
            shared.ctx.sink.emit(|out| {
                msgs::warn(
                    out,
                    &cb,
                    &format!(
                        "no answer from the flow to {cb} within {secs} s: the station got a CALLERROR InternalError"
                    ),
                )
            });
        }
    }
}

impl Handler for ServerShared {
    async fn handle(self: Arc<Self>, req: Request<Incoming>) -> Response<Body> {
        // WebSocket upgrades first: a station named like the files path still connects.
        let files = self.files.as_ref().filter(|_| !is_websocket_upgrade(req.headers()));
        if let Some((files, rest)) = files.and_then(|f| f.route(req.uri().path()).map(|rest| (f, rest))) {
            return files.serve(req, &rest, &self.ctx).await;
        }
        if let Some(service) = self.soap_service(req.uri().path()) {
            // A flow that lags holds SOAP requests here, unread, as it holds
            // OCPP-J frames in the sockets.
            self.ctx.sink.room().await;
            let max_body = self.ctx.config.max_frame_bytes;
            let limits = self.ctx.config.body;
            return soap::server::serve(req, &[service], max_body, limits, &*self).await;
        }
        let cb_id = self.ctx.config.json_prefix.as_deref().and_then(|prefix| charge_box_id(prefix, req.uri().path()));
        match cb_id {
            Some(cb_id) => self.upgrade(req, cb_id),
            // A station knocking at the wrong path is told, the flow's author too.
            None if is_websocket_upgrade(req.headers()) => {
                // Cut: the path is whatever the client made up, up to 64 KB.
                let path = refusals::cut(req.uri().path(), refusals::SHOWN_CHARS);
                self.refuse(
                    "",
                    &format!("a station at {path}"),
                    Refusal::new(Reason::UnknownPath, self.not_found_text()),
                )
            }
            None => text_response(404, &self.not_found_text()),
        }
    }

    /// Tells the flow's author, once a minute per address (or for the overall
    /// cap), that connections are being closed at accept and which option does it.
    fn refused_at_accept(&self, peer: SocketAddr, full: PendingFull) {
        let who = match full {
            PendingFull::Overall(_) => "connections (any address)".to_owned(),
            PendingFull::Address(_) => format!("connections from {}", peer.ip().to_canonical()),
        };
        let text = format!("{full}\n");
        if let Some(warning) = self.refusals.note(&who, 503, &text, tokio::time::Instant::now()) {
            self.ctx.sink.emit(|out| msgs::warn(out, "", &warning));
        }
    }
}

impl soap::server::HandOver for ServerShared {
    /// Registers the request for the flow's answer, then shows it to the flow.
    fn hand_over(&self, request: soap::envelope::Request) -> Result<oneshot::Receiver<(u16, String)>, String> {
        let cb = request.addressing.charge_box_identity.clone().unwrap_or_default();
        let limit = self.ctx.config.max_station_calls;
        let Some(slot) = self.soap_queue.enter(&cb, limit) else {
            return Err(format!(
                "{limit} requests from {cb} are still waiting for the Central System's answer (maxStationCalls); \
                 wait for the answers before sending more"
            ));
        };
        let (reply, answer) = oneshot::channel();
        let msg_id = uuid::Uuid::new_v4().to_string();
        // Where stations have passwords, only a station with one (checked before
        // this) may say where the Central System calls it back.
        let trusted = || auth::protected(&cb) || !auth::any_passwords(&self.ctx.config.passwords);
        if let Some(from) = request.addressing.from.as_ref().filter(|_| trusted()) {
            if registry::remember_soap_address(&cb, from) {
                if let Some(cluster) = &self.ctx.cluster {
                    cluster.share_soap_address(&cb, from);
                }
            }
        }
        let payload = request.payload.to_string();
        // SOAP stations speak OCPP 1.5 or 1.6: unified words read them as 1.6.
        let unified = self.ctx.unified.as_deref();
        let op_name = request.operation.name;
        let minted =
            unified.filter(|_| Unifier::mints_for(OcppVersion::V16, op_name)).and_then(|u| u.minter.try_mint());
        let cb_arc: Arc<str> = Arc::from(cb.as_str());
        let reading = unify::read(&cb_arc, OcppVersion::V16, op_name, &payload, unified, minted);
        let call = msgs::SoapCall {
            cb: &cb,
            version: request.service.version(),
            action: request.operation.name,
            msg_id: &msg_id,
            message_id: request.addressing.message_id.as_deref(),
            from: request.addressing.from.as_deref(),
            payload: &payload,
            unified: reading.unified_json.as_deref(),
        };
        let mut event = String::new();
        msgs::soap_call(&mut event, &call);
        let proto = Protocol::soap(request.service.version());
        let action = Action::of(Some(request.operation.name));
        self.ctx.metrics.message(Direction::In, proto, action, MessageType::Call, None);
        let waiter = answers::Waiter::Soap(answers::SoapWaiter {
            reply,
            addressing: request.addressing,
            service: request.service,
            operation: request.operation,
            strict: self.ctx.config.strict,
            slot,
            metrics: self.ctx.metrics.clone(),
        });
        let handed = tokio::time::Instant::now();
        let deadline = handed + self.ctx.config.answer_timeout;
        let pending =
            answers::PendingAnswer { waiter, hook: reading.hook, server: self.ctx.server_id, handed, deadline };
        answers::wait_for_answer(msg_id.clone(), pending);
        self.ctx.sink.emit(|out| out.push_str(&event));
        if reading.auto {
            if let Err(e) = answers::answer(&msg_id, Some(unify::AUTO_ANSWER)) {
                let text = format!("{op_name} was not answered by the server itself: {e}");
                self.ctx.sink.emit(|out| msgs::warn(out, &cb, &text));
            }
        }
        Ok(answer)
    }

    /// A charge point's own SOAP service has no station passwords to check.
    /// A Central System's checks a client certificate as a WebSocket
    /// handshake does (`tlsCheckId`), then the station's password.
    fn admit(&self, cb: &str, authorization: Option<&[u8]>, peer: Option<&PeerCertificate>) -> Result<(), Denied> {
        let config = &self.ctx.config;
        if config.charge_point {
            return Ok(());
        }
        if let Err(refused) = certified(peer, cb, config.tls_check_id) {
            return Err(Denied::Certificate(refused.text.trim_end().to_owned()));
        }
        match auth::authorised(cb, authorization, &config.passwords, config.require_auth) {
            true => Ok(()),
            false => Err(Denied::Unauthorised),
        }
    }
}

impl metrics::Source for ServerShared {
    fn metrics(&self) -> &ServerMetrics {
        &self.ctx.metrics
    }

    fn gauges(&self) -> Gauges {
        let (waiting_ocppj, waiting_soap) = answers::waiting(self.ctx.server_id);
        Gauges {
            stations: self.ctx.connections.load(Ordering::Relaxed),
            backlog_bytes: self.ctx.sink.backlog_bytes(),
            waiting_ocppj,
            waiting_soap,
        }
    }
}

impl ServerShared {
    /// How the metrics' list of servers holds this one.
    fn as_source(self: &Arc<Self>) -> Weak<dyn metrics::Source> {
        let weak: Weak<Self> = Arc::downgrade(self);
        weak
    }

    /// The SOAP service whose path this is (case-insensitive, trailing slash tolerated).
    fn soap_service(&self, path: &str) -> Option<soap::Service> {
        let path = path.trim_end_matches('/');
        let matches = |p: &Option<String>| p.as_deref().is_some_and(|p| !p.is_empty() && p.eq_ignore_ascii_case(path));
        use soap::Service::*;
        let (v15, v16) = if self.ctx.config.charge_point {
            (ChargePoint15, ChargePoint16)
        } else {
            (CentralSystem15, CentralSystem16)
        };
        if matches(&self.ctx.config.soap16_path) {
            Some(v16)
        } else if matches(&self.ctx.config.soap15_path) {
            Some(v15)
        } else {
            None
        }
    }

    fn not_found_text(&self) -> String {
        match &self.ctx.config.json_prefix {
            Some(prefix) => {
                format!("No OCPP service here. OCPP-J stations connect to ws://<host>:<port>{prefix}/<chargeBoxId>\n")
            }
            None => "No OCPP service here.\n".to_owned(),
        }
    }

    /// Checks the handshake and auth before switching protocols, so a refused
    /// station gets an HTTP answer and the flow never hears of it.
    fn upgrade(self: Arc<Self>, mut req: Request<Incoming>, cb_id: String) -> Response<Body> {
        if !is_websocket_upgrade(req.headers()) {
            // Not a handshake at all (a browser, a health check): no warning.
            return text_response(426, "OCPP-J stations connect here with a WebSocket upgrade\n");
        }
        if let Err(refusal) = check_method_and_version(req.method(), req.version()) {
            return self.refuse(&cb_id, &station_label(&cb_id), refusal);
        }
        let peer = req.extensions().get::<PeerCertificate>();
        let (version, accept, authenticated) = match self.admit(req.headers(), peer, &cb_id) {
            Ok(admitted) => admitted,
            Err(refusal) => return self.refuse(&cb_id, &station_label(&cb_id), refusal),
        };
        let protocol = version.map(OcppVersion::subprotocol);
        // An old 1.6 station that offers no subprotocol at all.
        let version = version.unwrap_or(OcppVersion::V16);
        let Some(place) = Place::take(&self.ctx) else {
            let limit = self.ctx.config.max_connections;
            let text = format!("{limit} stations are connected, the most this server takes (maxConnections)\n");
            return self.refuse(&cb_id, &station_label(&cb_id), Refusal::new(Reason::MaxConnections, text));
        };
        let on_upgrade = hyper::upgrade::on(&mut req);
        let conn_id = self.next_conn_id.fetch_add(1, Ordering::Relaxed);
        let strict = self.ctx.config.strict;
        let admitted = match Admitted::register(cb_id.as_str().into(), conn_id, version, strict, authenticated, place) {
            Ok(admitted) => admitted,
            Err(held) => {
                let refusal = Refusal::new(Reason::Unauthorized, held.to_string());
                return self.refuse(&cb_id, &station_label(&cb_id), refusal);
            }
        };
        let shared = self.clone();
        let fut = async move {
            let Ok(upgraded) = on_upgrade.await else { return };
            // Take the stream back from hyper: its `Upgraded` wrapper would
            // keep hyper's 8 KiB read buffer alive for the connection's life.
            let upgraded = match upgraded.downcast::<TokioIo<tokio::net::TcpStream>>() {
                Ok(parts) => return shared.serve_upgraded(parts.io.into_inner(), parts.read_buf, admitted).await,
                Err(upgraded) => upgraded,
            };
            if let Ok(parts) = upgraded.downcast::<TokioIo<listener::TlsStream>>() {
                // Boxed: a TLS stream's state is kilobytes, and every plain
                // connection's task would otherwise be sized for it too.
                Box::pin(shared.serve_upgraded(parts.io.into_inner(), parts.read_buf, admitted)).await;
            }
        };
        self.tracker.spawn(fut);
        let mut resp = Response::builder()
            .status(101)
            .header("connection", "Upgrade")
            .header("upgrade", "websocket")
            .header("sec-websocket-accept", accept);
        if let Some(protocol) = protocol {
            resp = resp.header("sec-websocket-protocol", protocol);
        }
        resp.body(Body::default()).unwrap_or_default()
    }

    /// What a WebSocket handshake must pass before the 101: its version
    /// (`None`: a 1.6 station that offered no subprotocol), accept key, and
    /// whether the station proved its id (a password, or with `tlsCheckId` a
    /// client certificate naming it).
    fn admit(
        &self,
        headers: &HeaderMap,
        peer: Option<&PeerCertificate>,
        cb_id: &str,
    ) -> Result<(Option<OcppVersion>, String, bool), Refusal> {
        let config = &self.ctx.config;
        check_request_head(headers, cb_id).map_err(|text| Refusal::new(Reason::BadHandshake, text))?;
        if headers.get("sec-websocket-version").map(HeaderValue::as_bytes) != Some(b"13") {
            return Err(Refusal::new(Reason::WebSocketVersion, "WebSocket version 13 is required\n"));
        }
        let key = headers
            .get("sec-websocket-key")
            .ok_or_else(|| Refusal::new(Reason::BadHandshake, "missing Sec-WebSocket-Key\n"))?;
        let version = choose_subprotocol(headers, &config.versions, config.require_subprotocol)
            .map_err(|text| Refusal::new(Reason::Subprotocol, text))?;
        let certified = certified(peer, cb_id, config.tls_check_id)?;
        let authorization = headers.get("authorization").map(HeaderValue::as_bytes);
        let Some(admission) = auth::admission(cb_id, authorization, &config.passwords, config.require_auth) else {
            return Err(Refusal::new(
                Reason::Unauthorized,
                "this charge box id needs HTTP Basic auth (user = charge box id)\n",
            ));
        };
        let authenticated = certified || admission == auth::Admission::Authenticated;
        Ok((version, derive_accept_key(key.as_bytes()), authenticated))
    }

    /// Answers a refused handshake, tells the node (which counts them), and
    /// warns the flow's author (once per station and minute) who was refused and why.
    fn refuse(&self, cb: &str, who: &str, refusal: Refusal) -> Response<Body> {
        self.ctx.metrics.refused(refusal.reason);
        let warning = self.refusals.note_refusal(who, &refusal, tokio::time::Instant::now());
        // The node only counts refusals: an id it cannot be is not handed over.
        let cb = if crate::station_id::check(cb).is_ok() { cb } else { "" };
        self.ctx.sink.emit(|out| msgs::refused(out, cb, warning.as_deref()));
        let mut resp = text_response(refusal.status, &refusal.text);
        let headers = resp.headers_mut();
        match refusal.status {
            401 => drop(headers.insert("www-authenticate", HeaderValue::from_static("Basic realm=\"OCPP\""))),
            426 => drop(headers.insert("sec-websocket-version", HeaderValue::from_static("13"))),
            405 => drop(headers.insert("allow", HeaderValue::from_static("GET"))),
            _ => {}
        }
        resp
    }

    /// Serves a station on the stream its upgrade left, plain or TLS.
    async fn serve_upgraded<S>(self: Arc<Self>, stream: S, read_buf: bytes::Bytes, admitted: Admitted)
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let config = Some(ws_config(self.ctx.config.max_frame_bytes));
        let ws = if read_buf.is_empty() {
            // An empty `Bytes` still holds the whole buffer: drop it now.
            drop(read_buf);
            WebSocketStream::from_raw_socket(stream, Role::Server, config).await
        } else {
            WebSocketStream::from_partially_read(stream, Vec::from(read_buf), Role::Server, config).await
        };
        let cancel = self.cancel.clone();
        serve_station(ws, admitted, self.ctx.clone(), cancel).await;
    }
}

/// "station <id>" for a warning, with an absurdly long id cut short and
/// characters a log line must not carry escaped.
fn station_label(cb_id: &str) -> String {
    const SHOWN: usize = 64;
    format!("station {}", refusals::cut(cb_id, SHOWN))
}

/// Whether a client certificate proves the station's id (it names it), for
/// WebSocket handshakes and SOAP requests alike; with `tlsCheckId` (profile 3,
/// certificates required), one naming another station is refused.
fn certified(peer: Option<&PeerCertificate>, cb_id: &str, check_id: bool) -> Result<bool, Refusal> {
    match peer {
        Some(cert) if cert.names_station(cb_id) => Ok(true),
        Some(cert) if check_id => Err(certificate_refusal(cert, cb_id)),
        _ => Ok(false),
    }
}

/// Security profile 3: the client certificate names another station.
fn certificate_refusal(cert: &PeerCertificate, cb_id: &str) -> Refusal {
    let names: Vec<String> = cert.names().iter().take(4).map(|n| refusals::cut(n, 64)).collect();
    let names = if names.is_empty() { "no CN or SAN DNS name".to_owned() } else { names.join(", ") };
    Refusal::new(
        Reason::CertificateId,
        format!(
            "the client certificate names {names}, not {cb_id} (OCPP security profile 3); \
             connect with the station's own certificate, or turn off tlsCheckId on the CS server\n"
        ),
    )
}
