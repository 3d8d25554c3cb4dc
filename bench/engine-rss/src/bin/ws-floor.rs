//! The floor: the least an OCPP-J 1.6 server can do per CALL, to tell what
//! the machine and its kernel cost per message from what the engine costs.
//! Each connection gets a task that answers `[2,"<id>",...]` with a fixed
//! CALLRESULT; no registry, no events, no flow. One tokio worker, as the
//! engine has by default on 2 cores.
//!
//!   cargo run --release --manifest-path bench/engine-rss/Cargo.toml --bin ws-floor -- 8841
//!   bench/loadgen/target/release/ocpp-loadgen --url ws://127.0.0.1:8841/ocpp --stations 5000 --mode b2b

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

/// The id of a CALL (`[2,"<id>",...]`), or `None` for anything else.
fn call_id(text: &str) -> Option<&str> {
    let rest = text.strip_prefix("[2,\"")?;
    Some(&rest[..rest.find('"')?])
}

async fn serve(stream: tokio::net::TcpStream) {
    let _ = stream.set_nodelay(true);
    let with_subprotocol = |_: &Request, mut response: Response| {
        response.headers_mut().insert("sec-websocket-protocol", HeaderValue::from_static("ocpp1.6"));
        Ok(response)
    };
    // Small buffers, as the engine has: tungstenite's defaults (128 KiB each) would
    // spread 5,000 connections over far more memory than the CPU caches hold.
    let config = WebSocketConfig::default().read_buffer_size(1024).write_buffer_size(0);
    let accept = tokio_tungstenite::accept_hdr_async_with_config(stream, with_subprotocol, Some(config));
    let Ok(mut ws) = accept.await else { return };
    while let Some(Ok(message)) = ws.next().await {
        let Message::Text(text) = message else { continue };
        let Some(id) = call_id(text.as_str()) else { continue };
        let answer = format!(r#"[3,"{id}",{{"currentTime":"2026-01-01T00:00:00Z","status":"Accepted","interval":300}}]"#);
        if ws.send(Message::text(answer)).await.is_err() {
            return;
        }
    }
}

fn main() {
    let port: u16 = std::env::args().nth(1).and_then(|p| p.parse().ok()).unwrap_or(8841);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    runtime.block_on(async {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.expect("listen");
        eprintln!("ws-floor listening on {port}");
        loop {
            if let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream));
            }
        }
    });
}
