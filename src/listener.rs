//! One hyper HTTP/1.1 listener per port. Each server decides per request
//! what to do (SOAP paths, WebSocket upgrades, 404), so SOAP and OCPP-J share
//! a port the way a Central System's stations expect.

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

use crate::pending::{PendingFull, PendingGate, PendingLimits, PendingPlace};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// A response body: in memory for most answers ([`full`]), streamed for a
/// file served from disk (`cs/files.rs`), so both fit one `Response` type.
pub type Body = UnsyncBoxBody<Bytes, std::io::Error>;

/// A body held in memory.
pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).map_err(|never| match never {}).boxed_unsync()
}

/// How long a client may take to send its request head: a slow or silent
/// client does not hold a connection open for ever.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    #[error("port {port} is already in use by another program or node; choose another port")]
    InUse { port: u16 },
    #[error("cannot listen on {addr}: {source}")]
    Other { addr: SocketAddr, source: std::io::Error },
}

/// Binds now, so a busy port is reported to the node at once.
pub fn bind(addr: SocketAddr) -> Result<std::net::TcpListener, ListenError> {
    let to_error = |source: std::io::Error| match source.kind() {
        std::io::ErrorKind::AddrInUse => ListenError::InUse { port: addr.port() },
        _ => ListenError::Other { addr, source },
    };
    let listener = std::net::TcpListener::bind(addr).map_err(to_error)?;
    listener.set_nonblocking(true).map_err(to_error)?;
    Ok(listener)
}

/// Handles one request; gets the tracker so upgraded connections are tracked too.
pub trait Handler: Send + Sync + 'static {
    fn handle(self: Arc<Self>, req: Request<Incoming>) -> impl Future<Output = Response<Body>> + Send;

    /// A connection from `peer` was closed at accept, past a cap of `pending.rs`.
    fn refused_at_accept(&self, _peer: SocketAddr, _full: PendingFull) {}
}

/// Accepts connections until `cancel`; every task it starts is in `tracker`.
/// With `tls`, every connection is TLS (`wss://`, `https://`). A connection
/// past `pending`'s caps is closed at once (see `pending.rs`).
pub async fn serve<H: Handler>(
    listener: std::net::TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    handler: Arc<H>,
    cancel: CancellationToken,
    tracker: TaskTracker,
    pending: PendingLimits,
) {
    let gate = PendingGate::new(pending);
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    let listener = match TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(_) => return,
    };
    loop {
        let accepted = tokio::select! {
            _ = cancel.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => {
                let place = match gate.enter(peer.ip()) {
                    Ok(place) => place,
                    Err(full) => {
                        refuse_at_accept(stream, acceptor.is_none(), full);
                        handler.refused_at_accept(peer, full);
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                match &acceptor {
                    None => tracker.spawn(serve_connection(stream, handler.clone(), cancel.clone(), place, None)),
                    Some(acceptor) => {
                        tracker.spawn(serve_tls(acceptor.clone(), stream, handler.clone(), cancel.clone(), place))
                    }
                };
            }
            // Out of file descriptors or similar: wait instead of spinning.
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    // Dropping the listener here frees the port before `close` resolves.
}

/// Closes a connection over the caps without reading it: on a plain port it
/// first gets a 503 saying why, if the socket takes it at once (a TLS client
/// could not read one before a handshake, which would cost what the cap saves).
fn refuse_at_accept(stream: tokio::net::TcpStream, plain: bool, full: PendingFull) {
    if plain {
        let text = format!("{full}; try again shortly\n");
        let answer = format!(
            "HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\nretry-after: 5\r\n\
             content-type: text/plain; charset=utf-8\r\ncontent-length: {}\r\n\r\n{text}",
            text.len()
        );
        let _ = stream.try_write(answer.as_bytes());
    }
}

/// The TLS handshake shares the request head's deadline: a client that
/// opens a socket and stays silent is dropped either way.
async fn serve_tls<H: Handler>(
    acceptor: tokio_rustls::TlsAcceptor,
    stream: tokio::net::TcpStream,
    handler: Arc<H>,
    cancel: CancellationToken,
    place: PendingPlace,
) {
    let handshake = tokio::select! {
        _ = cancel.cancelled() => return,
        r = tokio::time::timeout(HEADER_TIMEOUT, acceptor.accept(stream)) => r,
    };
    if let Ok(Ok(stream)) = handshake {
        // Each request carries the client's certificate, for security profile 3's id check.
        let peer = crate::tls::PeerCertificate::of(stream.get_ref().1);
        serve_connection(stream, handler, cancel, place, peer).await;
    }
}

/// A server-side TLS connection, as upgraded connections are downcast to.
pub type TlsStream = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;

/// Serves HTTP on one connection. `place` is held until the connection ends
/// or is upgraded: hyper's connection future completes once the 101 is sent
/// and the stream handed to the WebSocket, which `maxConnections` counts.
async fn serve_connection<H, S>(
    stream: S,
    handler: Arc<H>,
    cancel: CancellationToken,
    place: PendingPlace,
    peer: Option<crate::tls::PeerCertificate>,
) where
    H: Handler,
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
        if let Some(peer) = &peer {
            req.extensions_mut().insert(peer.clone());
        }
        let handler = handler.clone();
        async move { Ok::<_, std::convert::Infallible>(handler.handle(req).await) }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .max_buf_size(64 * 1024)
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = cancel.cancelled() => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(Duration::from_secs(2), conn).await;
        }
    }
    drop(place);
}

pub fn text_response(status: u16, text: &str) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "text/plain; charset=utf-8")
        .body(full(text.to_owned()))
        .unwrap_or_default()
}

/// How much of a refused body is read and thrown away, and for how long,
/// before the connection is closed anyway.
const LINGER_BYTES: usize = 64 << 20;
const LINGER_TIME: Duration = Duration::from_secs(10);

/// Reads and discards what is left of a refused request's body (bounded in
/// bytes and time) while the refusal is sent: closing a socket with unread
/// bytes makes the kernel reset it, and a client still sending would see a
/// broken pipe instead of the 413.
pub fn linger(mut body: Incoming) {
    tokio::spawn(async move {
        let drain = async {
            let mut seen = 0;
            while let Some(Ok(frame)) = body.frame().await {
                seen += frame.data_ref().map_or(0, |d| d.len());
                if seen > LINGER_BYTES {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(LINGER_TIME, drain).await;
    });
}
