//! The Central System's OCPP-J service: routes `<path16j>/<chargeBoxId>`
//! upgrades to connection tasks, owns the answer deadlines, and shuts down
//! completely (port free, tasks ended) before `close` returns.

use hyper::body::Incoming;
use hyper::header::{HeaderMap, HeaderValue};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::WebSocketStream;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::answers;
use super::connection::{serve_station, Admitted};
use super::link::ws_config;
use super::msgs;
use super::registry::{self, Passwords};
use super::version::OcppVersion;
use crate::events::{Deliver, EventSink};
use crate::listener::{self, text_response, Body, Handler, ListenError};
use crate::soap;
use tokio::sync::oneshot;


/// Options as the node passes them (JSON, camelCase). Defaults are those of
/// the design notes; each is documented in the node's help.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ServerOptions {
    pub port: u16,
    /// Address to bind; all interfaces (IPv6 and IPv4) when absent.
    pub host: Option<IpAddr>,
    /// Path prefix of the OCPP-J service; `None` disables it.
    pub json_path: Option<String>,
    /// Paths of the SOAP 1.5 and 1.6 services on the same port; `None` disables each.
    pub soap15_path: Option<String>,
    pub soap16_path: Option<String>,
    /// Serve the charge point's SOAP services (`CP server SOAP`) instead of the Central System's.
    pub charge_point: bool,
    pub answer_timeout_s: f64,
    /// 0 turns pings off.
    pub ping_interval_s: f64,
    pub max_frame_kb: usize,
    pub max_queued: usize,
    /// CALLs a station may have waiting for the flow's answer; more are
    /// refused with a CALLERROR (OCPP-J allows one at a time).
    pub max_station_calls: usize,
    pub require_subprotocol: bool,
    /// The OCPP-J versions served on the JSON path (1.6 by default).
    pub versions: Vec<OcppVersion>,
    /// Check every OCPP-J payload, both ways, against the OCA schemas.
    pub strict: bool,
    /// Emit every frame for the node's second output.
    pub raw_log: bool,
    /// `wss://` and `https://` with this certificate (profiles 2 and 3).
    pub tls: Option<crate::tls::TlsOptions>,
    /// Basic-auth passwords per charge box id (the node's credentials).
    pub passwords: Passwords,
    /// Refuse stations that have no password (a closed list).
    pub require_auth: bool,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            port: 0,
            host: None,
            json_path: Some("/ocpp".into()),
            soap15_path: None,
            soap16_path: None,
            charge_point: false,
            answer_timeout_s: 60.0,
            ping_interval_s: 30.0,
            max_frame_kb: 1024,
            max_queued: 100,
            max_station_calls: 10,
            require_subprotocol: false,
            versions: vec![OcppVersion::V16],
            strict: false,
            raw_log: false,
            tls: None,
            passwords: Passwords::default(),
            require_auth: false,
        }
    }
}

/// Validated, ready-to-use settings.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub json_prefix: Option<String>,
    pub soap15_path: Option<String>,
    pub soap16_path: Option<String>,
    pub charge_point: bool,
    pub answer_timeout: Duration,
    pub ping_interval: Option<Duration>,
    pub max_frame_bytes: usize,
    pub max_queued: usize,
    pub max_station_calls: usize,
    pub require_subprotocol: bool,
    pub versions: Vec<OcppVersion>,
    pub strict: bool,
    pub raw_log: bool,
    pub tls: Option<Arc<rustls::ServerConfig>>,
    pub passwords: Passwords,
    pub require_auth: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Listen(#[from] ListenError),
    #[error("invalid option: {0}")]
    Option(String),
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
}

impl ServerOptions {
    fn validate(&self) -> Result<ServerConfig, ServerError> {
        let seconds = |name: &str, v: f64, min: f64| {
            if v.is_finite() && v >= min && v <= 86_400.0 {
                Ok(Duration::from_secs_f64(v))
            } else {
                Err(ServerError::Option(format!("{name} must be a number of seconds from {min} to 86400, got {v}")))
            }
        };
        let answer_timeout = seconds("answerTimeout", self.answer_timeout_s, 0.1)?;
        let ping = seconds("pingInterval", self.ping_interval_s, 0.0)?;
        if !(1..=65_536).contains(&self.max_frame_kb) {
            return Err(ServerError::Option(format!("maxFrameKB must be from 1 to 65536, got {}", self.max_frame_kb)));
        }
        if !(1..=100_000).contains(&self.max_queued) {
            return Err(ServerError::Option(format!("maxQueued must be from 1 to 100000, got {}", self.max_queued)));
        }
        if !(1..=10_000).contains(&self.max_station_calls) {
            return Err(ServerError::Option(format!(
                "maxStationCalls must be from 1 to 10000, got {}",
                self.max_station_calls
            )));
        }
        if self.json_path.is_some() && self.versions.is_empty() {
            return Err(ServerError::Option("the JSON service is on but no OCPP version is enabled".into()));
        }
        Ok(ServerConfig {
            json_prefix: self.json_path.as_deref().map(normalise_prefix),
            soap15_path: self.soap15_path.as_deref().map(normalise_prefix),
            soap16_path: self.soap16_path.as_deref().map(normalise_prefix),
            charge_point: self.charge_point,
            answer_timeout,
            ping_interval: (!ping.is_zero()).then_some(ping),
            max_frame_bytes: self.max_frame_kb * 1024,
            max_queued: self.max_queued,
            max_station_calls: self.max_station_calls,
            require_subprotocol: self.require_subprotocol,
            versions: self.versions.clone(),
            strict: self.strict,
            raw_log: self.raw_log,
            tls: self.tls.as_ref().map(|t| t.server_config()).transpose()?,
            passwords: self.passwords.clone(),
            require_auth: self.require_auth,
        })
    }
}

/// `"/"`, `""` and `"/ocpp/"` become `""`, `""` and `"/ocpp"`: the prefix the
/// id's segment follows. (The original's default `"/"` made JSON unreachable.)
fn normalise_prefix(path: &str) -> String {
    let trimmed = path.trim().trim_end_matches('/');
    if trimmed.is_empty() {
        String::new()
    } else if trimmed.starts_with('/') {
        trimmed.to_owned()
    } else {
        format!("/{trimmed}")
    }
}

/// The charge box id in `<prefix>/<id>[/]`, percent-decoded; `None` when the
/// path is not the service's. The prefix matches case-insensitively, as the
/// original's Express routes did.
pub fn charge_box_id(prefix: &str, path: &str) -> Option<String> {
    let head = path.get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let rest = path[prefix.len()..].strip_prefix('/')?;
    let segment = rest.strip_suffix('/').unwrap_or(rest);
    if segment.is_empty() || segment.contains('/') {
        return None;
    }
    let decoded = percent_encoding::percent_decode_str(segment).decode_utf8().ok()?;
    (!decoded.is_empty()).then(|| decoded.into_owned())
}

static NEXT_SERVER_ID: AtomicU64 = AtomicU64::new(1);

pub(crate) struct ServerShared {
    pub config: ServerConfig,
    pub sink: Arc<EventSink>,
    /// Tells this server's waiting answers from other servers'.
    pub id: u64,
    cancel: CancellationToken,
    tracker: TaskTracker,
    next_conn_id: AtomicU64,
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
        if config.strict {
            // Compile the schemas now, not on the first station's first message.
            for version in &config.versions {
                crate::schema::warm_up(*version);
            }
        }
        let host = options.host.unwrap_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED));
        let std_listener = listener::bind(SocketAddr::new(host, options.port))?;
        let port = std_listener.local_addr().map(|a| a.port()).unwrap_or(options.port);
        let shared = Arc::new(ServerShared {
            id: NEXT_SERVER_ID.fetch_add(1, Ordering::Relaxed),
            config,
            sink: EventSink::start(deliver),
            cancel: CancellationToken::new(),
            tracker: TaskTracker::new(),
            next_conn_id: AtomicU64::new(1),
        });
        let tracker = shared.tracker.clone();
        tracker.spawn(listener::serve(std_listener, shared.config.tls.clone(), shared.clone(), shared.cancel.clone(), tracker.clone()));
        tracker.spawn(sweep_deadlines(shared.clone()));
        Ok(Self { shared, port })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops listening, closes every station with 1012, forgets waiting
    /// answers, and returns once every task has ended (the port is free).
    pub async fn close(&self) {
        self.shared.cancel.cancel();
        self.shared.tracker.close();
        if tokio::time::timeout(Duration::from_secs(5), self.shared.tracker.wait()).await.is_err() {
            // A peer that ignores the close handshake must not hold up a redeploy;
            // the listener task ended first, so the port is already free.
        }
        answers::forget_server(self.shared.id);
        self.shared.sink.close();
    }
}

async fn sweep_deadlines(shared: Arc<ServerShared>) {
    let every = (shared.config.answer_timeout / 10).clamp(Duration::from_millis(50), Duration::from_secs(1));
    let mut tick = tokio::time::interval(every);
    loop {
        tokio::select! {
            _ = shared.cancel.cancelled() => return,
            _ = tick.tick() => {}
        }
        let secs = shared.config.answer_timeout.as_secs_f64();
        for cb in answers::sweep(shared.id, tokio::time::Instant::now(), secs) {
            shared.sink.emit(|out| {
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
        if let Some(service) = self.soap_service(req.uri().path()) {
            let max_body = self.config.max_frame_bytes;
            return soap::server::serve(req, &[service], max_body, &*self).await;
        }
        let cb_id = self.config.json_prefix.as_deref().and_then(|prefix| charge_box_id(prefix, req.uri().path()));
        match cb_id {
            Some(cb_id) => self.upgrade(req, cb_id),
            None => text_response(404, &self.not_found_text()),
        }
    }
}

impl soap::server::HandOver for ServerShared {
    /// Registers the request for the flow's answer, then shows it to the flow.
    fn hand_over(&self, request: soap::envelope::Request) -> oneshot::Receiver<(u16, String)> {
        let (reply, answer) = oneshot::channel();
        let msg_id = uuid::Uuid::new_v4().to_string();
        let cb = request.addressing.charge_box_identity.clone().unwrap_or_default();
        if let Some(from) = &request.addressing.from {
            registry::remember_soap_address(&cb, from);
        }
        let payload = request.payload.to_string();
        let call = msgs::SoapCall {
            cb: &cb,
            version: request.service.version(),
            action: request.operation.name,
            msg_id: &msg_id,
            message_id: request.addressing.message_id.as_deref(),
            from: request.addressing.from.as_deref(),
            payload: &payload,
        };
        let mut event = String::new();
        msgs::soap_call(&mut event, &call);
        let waiter = answers::Waiter::Soap(answers::SoapWaiter {
            reply,
            addressing: request.addressing,
            service: request.service,
            operation: request.operation,
        });
        let deadline = tokio::time::Instant::now() + self.config.answer_timeout;
        answers::wait_for_answer(msg_id, answers::PendingAnswer { waiter, server: self.id, deadline });
        self.sink.emit(|out| out.push_str(&event));
        answer
    }

    /// A charge point's own SOAP service has no station passwords to check.
    fn authorised(&self, cb: &str, authorization: Option<&[u8]>) -> bool {
        self.config.charge_point
            || registry::authorised(cb, authorization, &self.config.passwords, self.config.require_auth)
    }
}

impl ServerShared {
    /// The SOAP service whose path this is (case-insensitive, trailing slash tolerated).
    fn soap_service(&self, path: &str) -> Option<soap::Service> {
        let path = path.trim_end_matches('/');
        let matches = |p: &Option<String>| p.as_deref().is_some_and(|p| !p.is_empty() && p.eq_ignore_ascii_case(path));
        use soap::Service::*;
        let (v15, v16) = if self.config.charge_point { (ChargePoint15, ChargePoint16) } else { (CentralSystem15, CentralSystem16) };
        if matches(&self.config.soap16_path) {
            Some(v16)
        } else if matches(&self.config.soap15_path) {
            Some(v15)
        } else {
            None
        }
    }

    fn not_found_text(&self) -> String {
        match &self.config.json_prefix {
            Some(prefix) => {
                format!("No OCPP service here. OCPP-J stations connect to ws://<host>:<port>{prefix}/<chargeBoxId>\n")
            }
            None => "No OCPP service here.\n".to_owned(),
        }
    }

    /// Checks the handshake and auth before switching protocols, so a refused
    /// station gets an HTTP answer and the flow never hears of it.
    fn upgrade(self: Arc<Self>, mut req: Request<Incoming>, cb_id: String) -> Response<Body> {
        let headers = req.headers();
        if let Err(text) = check_request_head(headers, &cb_id) {
            return text_response(400, text);
        }
        if !is_websocket_upgrade(headers) {
            return text_response(426, "OCPP-J stations connect here with a WebSocket upgrade\n");
        }
        if headers.get("sec-websocket-version").map(HeaderValue::as_bytes) != Some(b"13") {
            let mut resp = text_response(426, "WebSocket version 13 is required\n");
            resp.headers_mut().insert("sec-websocket-version", HeaderValue::from_static("13"));
            return resp;
        }
        let Some(key) = headers.get("sec-websocket-key") else {
            return text_response(400, "missing Sec-WebSocket-Key\n");
        };
        let accept = derive_accept_key(key.as_bytes());
        let (version, protocol) = match choose_subprotocol(headers, &self.config.versions, self.config.require_subprotocol) {
            Ok(Some(version)) => (version, Some(version.subprotocol())),
            // An old 1.6 station that offers no subprotocol at all.
            Ok(None) => (OcppVersion::V16, None),
            Err(text) => return text_response(400, &text),
        };
        let authorization = headers.get("authorization").map(HeaderValue::as_bytes);
        if !registry::authorised(&cb_id, authorization, &self.config.passwords, self.config.require_auth) {
            let mut resp = text_response(401, "this charge box id needs HTTP Basic auth (user = charge box id)\n");
            resp.headers_mut().insert("www-authenticate", HeaderValue::from_static("Basic realm=\"OCPP\""));
            return resp;
        }
        let on_upgrade = hyper::upgrade::on(&mut req);
        let conn_id = self.next_conn_id.fetch_add(1, Ordering::Relaxed);
        let admitted = Admitted::register(cb_id.into(), conn_id, version, self.config.strict);
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

    /// Serves a station on the stream its upgrade left, plain or TLS.
    async fn serve_upgraded<S>(self: Arc<Self>, stream: S, read_buf: bytes::Bytes, admitted: Admitted)
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let config = Some(ws_config(self.config.max_frame_bytes));
        let ws = if read_buf.is_empty() {
            // An empty `Bytes` still holds the whole buffer: drop it now.
            drop(read_buf);
            WebSocketStream::from_raw_socket(stream, Role::Server, config).await
        } else {
            WebSocketStream::from_partially_read(stream, Vec::from(read_buf), Role::Server, config).await
        };
        let cancel = self.cancel.clone();
        serve_station(ws, admitted, self, cancel).await;
    }
}

/// The longest charge box id accepted. OCPP 2.0.1's security whitepaper
/// limits an identity to 48 characters; 1.6 sets no limit, so this is lenient.
pub const MAX_CB_ID_CHARS: usize = 255;

/// What HTTP/1.1 and RFC 6455 require of a handshake, checked before any
/// of it is used: one Host header, a 16-byte key, a bounded id.
fn check_request_head(headers: &HeaderMap, cb_id: &str) -> Result<(), &'static str> {
    if headers.get_all("host").iter().count() != 1 {
        return Err("exactly one Host header is required (RFC 9112 3.2)\n");
    }
    if headers.get("sec-websocket-key").is_some_and(|k| k.len() != 24) {
        return Err("Sec-WebSocket-Key must be 16 bytes in base64 (RFC 6455 4.1)\n");
    }
    if cb_id.chars().count() > MAX_CB_ID_CHARS {
        return Err("the charge box id is longer than 255 characters\n");
    }
    Ok(())
}

fn header_has_token(headers: &HeaderMap, name: &str, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .any(|v| v.to_str().map(|s| s.split(',').any(|t| t.trim().eq_ignore_ascii_case(token))).unwrap_or(false))
}

fn is_websocket_upgrade(headers: &HeaderMap) -> bool {
    header_has_token(headers, "connection", "upgrade") && header_has_token(headers, "upgrade", "websocket")
}

/// Picks the newest enabled version the station offers. A station that
/// offers nothing is taken for an old 1.6 station (if 1.6 is enabled and the
/// node does not require a subprotocol); one that offers only versions this
/// server does not serve is refused.
fn choose_subprotocol(
    headers: &HeaderMap,
    enabled: &[OcppVersion],
    required: bool,
) -> Result<Option<OcppVersion>, String> {
    let offered: Vec<String> = headers
        .get_all("sec-websocket-protocol")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|s| s.split(','))
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    // Versions are ordered oldest to newest.
    let best = offered.iter().filter_map(|p| OcppVersion::from_subprotocol(p)).filter(|v| enabled.contains(v)).max();
    if let Some(version) = best {
        return Ok(Some(version));
    }
    let served = OcppVersion::NEWEST_FIRST
        .into_iter()
        .filter(|v| enabled.contains(v))
        .map(|v| v.subprotocol())
        .collect::<Vec<_>>()
        .join(", ");
    if offered.is_empty() && !required && enabled.contains(&OcppVersion::V16) {
        return Ok(None);
    }
    if offered.is_empty() {
        return Err(format!("no subprotocol offered; this server requires one of {served}\n"));
    }
    Err(format!("unsupported subprotocol(s) {}; this server speaks {served}\n", offered.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_from_the_last_segment_after_the_prefix() {
        assert_eq!(charge_box_id("/ocpp", "/ocpp/CP1").as_deref(), Some("CP1"));
        assert_eq!(charge_box_id("/ocpp", "/ocpp/CP1/").as_deref(), Some("CP1"));
        assert_eq!(charge_box_id("/ocpp", "/OCPP/CP1").as_deref(), Some("CP1"));
        assert_eq!(charge_box_id("/ocpp", "/ocpp/CP%204").as_deref(), Some("CP 4"));
        assert_eq!(charge_box_id("/ocpp", "/ocpp/%C3%A9v").as_deref(), Some("év"));
        assert_eq!(charge_box_id("", "/CP1").as_deref(), Some("CP1"));
        for bad in ["/ocpp", "/ocpp/", "/ocpp//", "/ocpp/a/b", "/other/CP1", "/ocppx/CP1", "/ocpp/%FF"] {
            assert_eq!(charge_box_id("/ocpp", bad), None, "{bad}");
        }
    }

    #[test]
    fn request_heads_are_checked() {
        let mut h = HeaderMap::new();
        assert!(check_request_head(&h, "CP1").unwrap_err().contains("Host"));
        h.insert("host", HeaderValue::from_static("cs:8834"));
        assert_eq!(check_request_head(&h, "CP1"), Ok(()));
        h.append("host", HeaderValue::from_static("other"));
        assert!(check_request_head(&h, "CP1").is_err(), "two Host headers");
        h.remove("host");
        h.insert("host", HeaderValue::from_static("cs"));
        h.insert("sec-websocket-key", HeaderValue::from_static("dGhlIHNhbXBsZSBub25jZQ=="));
        assert_eq!(check_request_head(&h, "CP1"), Ok(()));
        h.insert("sec-websocket-key", HeaderValue::from_static("short"));
        assert!(check_request_head(&h, "CP1").is_err());
        h.remove("sec-websocket-key");
        assert!(check_request_head(&h, &"x".repeat(256)).is_err());
        assert_eq!(check_request_head(&h, &"é".repeat(255)), Ok(()));
    }

    #[test]
    fn prefixes_are_normalised() {
        assert_eq!(normalise_prefix("/"), "");
        assert_eq!(normalise_prefix(""), "");
        assert_eq!(normalise_prefix("/ocpp/"), "/ocpp");
        assert_eq!(normalise_prefix("ocpp"), "/ocpp");
    }

    #[test]
    fn subprotocol_choice() {
        use OcppVersion::*;
        let only16 = [V16];
        let all = [V16, V201, V21];
        let mut h = HeaderMap::new();
        assert_eq!(choose_subprotocol(&h, &only16, false), Ok(None));
        assert!(choose_subprotocol(&h, &only16, true).is_err());
        assert!(choose_subprotocol(&h, &[V201], false).is_err(), "2.x stations must offer a subprotocol");
        h.insert("sec-websocket-protocol", HeaderValue::from_static("ocpp2.0.1, ocpp1.6"));
        assert_eq!(choose_subprotocol(&h, &only16, true), Ok(Some(V16)));
        assert_eq!(choose_subprotocol(&h, &all, true), Ok(Some(V201)));
        h.insert("sec-websocket-protocol", HeaderValue::from_static("ocpp2.0.1"));
        assert!(choose_subprotocol(&h, &only16, false).unwrap_err().contains("ocpp2.0.1"));
        h.insert("sec-websocket-protocol", HeaderValue::from_static("ocpp1.6, ocpp2.1, ocpp2.0.1"));
        assert_eq!(choose_subprotocol(&h, &all, false), Ok(Some(V21)));
        assert_eq!(choose_subprotocol(&h, &[V16, V201], false), Ok(Some(V201)));
    }

    #[test]
    fn options_are_checked() {
        let bad = ServerOptions { max_frame_kb: 0, ..Default::default() };
        assert!(bad.validate().unwrap_err().to_string().contains("maxFrameKB"));
        let bad = ServerOptions { answer_timeout_s: -1.0, ..Default::default() };
        assert!(bad.validate().is_err());
        let off = ServerOptions { ping_interval_s: 0.0, ..Default::default() }.validate().unwrap();
        assert_eq!(off.ping_interval, None);
    }
}
