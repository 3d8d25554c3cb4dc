//! OCPP-J 1.6 load generator: N stations against one Central System.
//!
//! Each station connects to `<url>/<prefix><i>` with subprotocol `ocpp1.6`,
//! sends a BootNotification, then, by mode:
//! - `b2b`: the next CALL as soon as the previous CALLRESULT arrives;
//! - `paced`: one CALL every `--interval` seconds, start times spread evenly;
//! - `idle`: nothing (for memory with all stations connected);
//! - `storm`: all connect at once; reports the time until every one is booted.
//!
//! Prints one JSON line: calls/s over the measured window (after a warm-up),
//! latency percentiles (send -> matching CALLRESULT), errors, connect time.

use futures_util::{SinkExt, StreamExt};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    B2b,
    Paced,
    Idle,
    Storm,
}

#[derive(Clone)]
struct Args {
    url: String,
    stations: usize,
    mode: Mode,
    action: String,
    warmup: f64,
    duration: f64,
    interval: f64,
    ramp: f64,
    prefix: String,
    threads: usize,
    timeout: f64,
}

fn parse_args() -> Args {
    let mut a = Args {
        url: "ws://127.0.0.1:8834/ocpp".into(),
        stations: 100,
        mode: Mode::B2b,
        action: "Heartbeat".into(),
        warmup: 5.0,
        duration: 20.0,
        interval: 5.0,
        ramp: 0.0,
        prefix: "LG".into(),
        threads: 1,
        timeout: 30.0,
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < argv.len() {
        let value = argv.get(i + 1).cloned().unwrap_or_default();
        match argv[i].as_str() {
            "--url" => a.url = value,
            "--stations" => a.stations = value.parse().expect("--stations N"),
            "--mode" => {
                a.mode = match value.as_str() {
                    "b2b" => Mode::B2b,
                    "paced" => Mode::Paced,
                    "idle" => Mode::Idle,
                    "storm" => Mode::Storm,
                    other => panic!("unknown --mode {other}: b2b, paced, idle or storm"),
                }
            }
            "--action" => a.action = value,
            "--warmup" => a.warmup = value.parse().expect("--warmup seconds"),
            "--duration" => a.duration = value.parse().expect("--duration seconds"),
            "--interval" => a.interval = value.parse().expect("--interval seconds"),
            "--ramp" => a.ramp = value.parse().expect("--ramp connections per second (0 = all at once)"),
            "--prefix" => a.prefix = value,
            "--threads" => a.threads = value.parse().expect("--threads N"),
            "--timeout" => a.timeout = value.parse().expect("--timeout seconds"),
            other => panic!("unknown argument {other}"),
        }
        i += 2;
    }
    a
}

/// Latencies in microseconds, log-linear buckets (1024 per octave above 2 ms):
/// under 0.1 % error, lock-free, fixed memory.
struct Histogram {
    buckets: Vec<AtomicU64>,
}

const LINEAR: u64 = 2048;
const SUB: u64 = 1024;

impl Histogram {
    fn new() -> Self {
        Self { buckets: (0..(LINEAR + 30 * SUB)).map(|_| AtomicU64::new(0)).collect() }
    }
    fn index(us: u64) -> usize {
        if us < LINEAR {
            return us as usize;
        }
        let e = 63 - u64::from(us.leading_zeros());
        let i = LINEAR + (e - 11) * SUB + ((us >> (e - 10)) & (SUB - 1));
        (i as usize).min(((LINEAR + 30 * SUB) - 1) as usize)
    }
    fn value(i: usize) -> u64 {
        let i = i as u64;
        if i < LINEAR {
            return i;
        }
        let e = (i - LINEAR) / SUB + 11;
        let sub = (i - LINEAR) % SUB;
        (SUB + sub) << (e - 10)
    }
    fn record(&self, us: u64) {
        self.buckets[Self::index(us)].fetch_add(1, Relaxed);
    }
    fn reset(&self) {
        self.buckets.iter().for_each(|b| b.store(0, Relaxed));
    }
    fn percentile(&self, q: f64) -> f64 {
        let counts: Vec<u64> = self.buckets.iter().map(|b| b.load(Relaxed)).collect();
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return 0.0;
        }
        let rank = ((total as f64) * q).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, c) in counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Self::value(i) as f64 / 1000.0;
            }
        }
        0.0
    }
}

#[derive(Default)]
struct Stats {
    calls: AtomicU64,
    call_errors: AtomicU64,
    timeouts: AtomicU64,
    connect_failures: AtomicU64,
    disconnects: AtomicU64,
    booted: AtomicU64,
}

fn payload(action: &str) -> String {
    match action {
        "MeterValues" => format!(
            r#"{{"connectorId":1,"transactionId":1,"meterValue":[{{"timestamp":"{}","sampledValue":[{{"value":"1234.5","measurand":"Energy.Active.Import.Register","unit":"Wh"}}]}}]}}"#,
            "2026-01-01T00:00:00.000Z"
        ),
        _ => "{}".into(),
    }
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Sends one CALL and waits for its answer; Err when the link is gone.
async fn call(ws: &mut Ws, id: u64, action: &str, body: &str, args: &Args, stats: &Stats) -> Result<Duration, ()> {
    let t0 = Instant::now();
    let frame = format!(r#"[2,"{id}","{action}",{body}]"#);
    ws.send(Message::text(frame)).await.map_err(|_| ())?;
    let want = format!(r#""{id}""#);
    let deadline = tokio::time::sleep(Duration::from_secs_f64(args.timeout));
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            _ = &mut deadline => {
                stats.timeouts.fetch_add(1, Relaxed);
                return Ok(t0.elapsed());
            }
            msg = ws.next() => match msg {
                Some(Ok(Message::Text(text))) => {
                    if !text.as_str().contains(&want) {
                        continue;
                    }
                    if text.as_str().starts_with("[4") {
                        stats.call_errors.fetch_add(1, Relaxed);
                    }
                    return Ok(t0.elapsed());
                }
                Some(Ok(_)) => continue,
                _ => return Err(()),
            }
        }
    }
}

async fn station(i: usize, args: Arc<Args>, stats: Arc<Stats>, hist: Arc<Histogram>, start: Instant, stop: Arc<AtomicBool>) {
    let url = format!("{}/{}{}", args.url.trim_end_matches('/'), args.prefix, i);
    let mut req = url.into_client_request().expect("bad --url");
    req.headers_mut().insert("sec-websocket-protocol", "ocpp1.6".parse().unwrap());
    let connect = tokio::time::timeout(Duration::from_secs_f64(args.timeout), tokio_tungstenite::connect_async(req));
    let mut ws = match connect.await {
        Ok(Ok((ws, _))) => ws,
        _ => {
            stats.connect_failures.fetch_add(1, Relaxed);
            return;
        }
    };
    let boot = r#"{"chargePointVendor":"ocpp-loadgen","chargePointModel":"bench"}"#;
    if call(&mut ws, 0, "BootNotification", boot, &args, &stats).await.is_err() {
        stats.disconnects.fetch_add(1, Relaxed);
        return;
    }
    stats.booted.fetch_add(1, Relaxed);
    let body = payload(&args.action);
    let mut id = 0u64;
    match args.mode {
        Mode::Idle | Mode::Storm => {
            while !stop.load(Relaxed) {
                tokio::select! {
                    msg = ws.next() => if msg.is_none() || matches!(msg, Some(Err(_))) { stats.disconnects.fetch_add(1, Relaxed); return },
                    _ = tokio::time::sleep(Duration::from_millis(200)) => {}
                }
            }
        }
        Mode::B2b => {
            while !stop.load(Relaxed) {
                id += 1;
                match call(&mut ws, id, &args.action, &body, &args, &stats).await {
                    Ok(latency) => {
                        stats.calls.fetch_add(1, Relaxed);
                        hist.record(latency.as_micros() as u64);
                    }
                    Err(()) => {
                        stats.disconnects.fetch_add(1, Relaxed);
                        return;
                    }
                }
            }
        }
        Mode::Paced => {
            let period = Duration::from_secs_f64(args.interval);
            let offset = period.mul_f64(i as f64 / args.stations as f64);
            let mut next = start + offset;
            while !stop.load(Relaxed) {
                tokio::time::sleep_until(next.into()).await;
                next += period;
                id += 1;
                match call(&mut ws, id, &args.action, &body, &args, &stats).await {
                    Ok(latency) => {
                        stats.calls.fetch_add(1, Relaxed);
                        hist.record(latency.as_micros() as u64);
                    }
                    Err(()) => {
                        stats.disconnects.fetch_add(1, Relaxed);
                        return;
                    }
                }
            }
        }
    }
    let _ = ws.close(None).await;
}

fn raise_fd_limit() {
    // Each station is a socket; the soft limit is often 1024.
    #[cfg(target_os = "linux")]
    unsafe {
        #[repr(C)]
        struct Rlimit {
            cur: u64,
            max: u64,
        }
        extern "C" {
            fn getrlimit(resource: i32, rlim: *mut Rlimit) -> i32;
            fn setrlimit(resource: i32, rlim: *const Rlimit) -> i32;
        }
        const RLIMIT_NOFILE: i32 = 7;
        let mut lim = Rlimit { cur: 0, max: 0 };
        if getrlimit(RLIMIT_NOFILE, &mut lim) == 0 {
            lim.cur = lim.max;
            setrlimit(RLIMIT_NOFILE, &lim);
        }
    }
}

fn main() {
    raise_fd_limit();
    let args = Arc::new(parse_args());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads.max(1))
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(run(args));
}

async fn run(args: Arc<Args>) {
    let stats = Arc::new(Stats::default());
    let hist = Arc::new(Histogram::new());
    let stop = Arc::new(AtomicBool::new(false));
    let t0 = Instant::now();
    let mut tasks = Vec::with_capacity(args.stations);
    for i in 0..args.stations {
        if args.ramp > 0.0 && args.mode != Mode::Storm {
            tokio::time::sleep_until((t0 + Duration::from_secs_f64(i as f64 / args.ramp)).into()).await;
        }
        tasks.push(tokio::spawn(station(i, args.clone(), stats.clone(), hist.clone(), t0, stop.clone())));
    }
    // Everyone booted (or failed), within the timeout.
    let boot_deadline = t0 + Duration::from_secs_f64(args.timeout + args.stations as f64 / args.ramp.max(1.0));
    loop {
        let settled = stats.booted.load(Relaxed) + stats.connect_failures.load(Relaxed) + stats.disconnects.load(Relaxed);
        if settled >= args.stations as u64 || Instant::now() > boot_deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let connect_ms = t0.elapsed().as_secs_f64() * 1000.0;
    let booted = stats.booted.load(Relaxed);
    let (calls, window) = if args.mode == Mode::Storm {
        (0, 0.0)
    } else {
        tokio::time::sleep(Duration::from_secs_f64(args.warmup)).await;
        hist.reset();
        let before = stats.calls.load(Relaxed);
        let window_start = Instant::now();
        tokio::time::sleep(Duration::from_secs_f64(args.duration)).await;
        (stats.calls.load(Relaxed) - before, window_start.elapsed().as_secs_f64())
    };
    stop.store(true, Relaxed);
    let mode = match args.mode {
        Mode::B2b => "b2b",
        Mode::Paced => "paced",
        Mode::Idle => "idle",
        Mode::Storm => "storm",
    };
    let offered = if args.mode == Mode::Paced { args.stations as f64 / args.interval } else { 0.0 };
    println!(
        r#"{{"stations":{},"mode":"{mode}","action":"{}","booted":{booted},"connect_ms":{connect_ms:.0},"window_s":{window:.2},"calls":{calls},"calls_per_s":{:.1},"offered_per_s":{offered:.1},"p50_ms":{:.3},"p90_ms":{:.3},"p99_ms":{:.3},"max_ms":{:.3},"call_errors":{},"timeouts":{},"connect_failures":{},"disconnects":{}}}"#,
        args.stations,
        args.action,
        if window > 0.0 { calls as f64 / window } else { 0.0 },
        hist.percentile(0.50),
        hist.percentile(0.90),
        hist.percentile(0.99),
        hist.percentile(1.0),
        stats.call_errors.load(Relaxed),
        stats.timeouts.load(Relaxed),
        stats.connect_failures.load(Relaxed),
        stats.disconnects.load(Relaxed),
    );
    // Close the links briefly, then leave: a stuck peer must not hold up the run.
    let _ = tokio::time::timeout(Duration::from_secs(3), futures_util::future::join_all(tasks)).await;
    std::process::exit(0);
}
