//! The engine alone, without Node.js: a CS server whose "flow" answers in
//! Rust, printing the process RSS every second. Run the load generator's
//! `idle` mode against it to see what the Rust side holds per connection:
//!
//!   cargo run --release --manifest-path bench/engine-rss/Cargo.toml -- 8840
//!   bench/loadgen/target/release/ocpp-loadgen --url ws://127.0.0.1:8840/ocpp --stations 5000 --mode idle

use ocpp_rs_node_red::cs::{answers, server, ServerOptions};
use std::time::Duration;

fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

/// Answers every CALL in a batch the way the bench flow does.
fn answer_batch(batch: &str) {
    let Ok(events) = serde_json::from_str::<Vec<serde_json::Value>>(batch) else { return };
    for ev in events {
        if ev["k"] != "call" {
            continue;
        }
        let Some(msg_id) = ev["m"]["msgId"].as_str() else { continue };
        let answer = match ev["m"]["payload"]["command"].as_str() {
            Some("BootNotification") => r#"{"status":"Accepted","currentTime":"2026-01-01T00:00:00Z","interval":300}"#,
            Some("Heartbeat") => r#"{"currentTime":"2026-01-01T00:00:00Z"}"#,
            _ => "{}",
        };
        let _ = answers::answer(msg_id, Some(answer));
    }
}

fn main() {
    let port: u16 = std::env::args().nth(1).and_then(|p| p.parse().ok()).unwrap_or(8840);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    runtime.block_on(async {
        let options: ServerOptions =
            serde_json::from_value(serde_json::json!({ "port": port, "host": "127.0.0.1", "jsonPath": "/ocpp" })).expect("options");
        let before = rss_mb();
        let _server = server::CsServer::start(options, Box::new(|batch, done| {
            answer_batch(&batch);
            done();
        })).expect("listen");
        eprintln!("listening on {port}; RSS {before:.1} MB");
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            eprintln!("RSS {:.1} MB, stations {}", rss_mb(), ocpp_rs_node_red::cs::registry::online().len());
        }
    });
}
