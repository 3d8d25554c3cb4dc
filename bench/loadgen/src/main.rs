//! OCPP-J 1.6 load generator: N charging stations against one Central System.
//!
//! Each station opens `<url>/<prefix><i>` with subprotocol `ocpp1.6` and sends a
//! BootNotification. When every station has its answer (or the connect budget is
//! spent), the load starts for all booted stations at once:
//!
//! - `b2b`: back to back, the next CALL as soon as the previous CALLRESULT arrived
//!   (one CALL in flight per station, as OCPP-J requires);
//! - `paced`: one CALL every `--interval` seconds per station, the stations' start
//!   times spread evenly over the interval; a tick that comes while the previous
//!   CALL is still unanswered is skipped and counted as `missed`;
//! - `idle`: no CALLs, the stations stay connected (memory with N stations);
//! - `storm`: every station connects at the same instant (no ramp); the result is
//!   the time until all have their BootNotification answer.
//!
//! The measured window starts after a warm-up of at least `--warmup` seconds and,
//! for b2b and paced, after every live station has completed one CALL (so that a
//! slow server is measured in its steady state, not on its first queue), capped by
//! `--max-warmup`. Calls and latencies (send -> matching CALLRESULT) count when
//! they complete inside the window; errors count over the whole run.
//!
//! Prints one JSON line on stdout. Progress and phase markers go to stderr.

use futures_util::{SinkExt, StreamExt};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::watch;
use tokio::time::{sleep_until, timeout_at};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    B2b,
    Paced,
    Idle,
    Storm,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::B2b => "b2b",
            Mode::Paced => "paced",
            Mode::Idle => "idle",
            Mode::Storm => "storm",
        }
    }
}

struct Args {
    url: String,
    stations: usize,
    mode: Mode,
    action: String,
    warmup: f64,
    max_warmup: f64,
    duration: f64,
    max_duration: f64,
    interval: f64,
    ramp: f64,
    prefix: String,
    threads: usize,
    timeout: f64,
    connect_timeout: f64,
    hold: f64,
    progress: f64,
}

const USAGE: &str = "ocpp-loadgen [options]
  --url URL              ws://127.0.0.1:1880/ocpp; stations connect to URL/<prefix><i>
  --stations N           number of stations (100)
  --mode M               b2b | paced | idle | storm (b2b)
  --action A             Heartbeat | MeterValues (b2b: Heartbeat, paced: MeterValues)
  --interval S           paced: seconds between two CALLs of one station (5)
  --ramp R               connections started per second, 0 = all at once (1000; storm: 0)
  --warmup S             minimum warm-up before the measured window (5)
  --max-warmup S         the warm-up waits for every station's first CALL, at most this (60)
  --duration S           measured window (20); stretched to 4 warm-ups when the warm-up had
                         to wait for slow first answers, at most --max-duration (120)
  --hold S               idle/storm: seconds to stay connected after the connect phase (default: warmup + duration for idle, 2 for storm)
  --timeout S            CALL timeout, BootNotification included (60)
  --connect-timeout S    connect phase budget beyond the ramp time (60)
  --prefix P             station id prefix (LG)
  --threads N            tokio worker threads (1 = current-thread runtime)
  --progress S           progress line on stderr every S seconds, 0 = off (2)";

fn parse_args() -> Args {
    let mut a = Args {
        url: "ws://127.0.0.1:1880/ocpp".into(),
        stations: 100,
        mode: Mode::B2b,
        action: String::new(),
        warmup: 5.0,
        max_warmup: 60.0,
        duration: 20.0,
        max_duration: 120.0,
        interval: 5.0,
        ramp: -1.0,
        prefix: "LG".into(),
        threads: 1,
        timeout: 60.0,
        connect_timeout: 60.0,
        hold: -1.0,
        progress: 2.0,
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let fail = |msg: String| -> ! {
        eprintln!("ocpp-loadgen: {msg}\n\n{USAGE}");
        std::process::exit(2)
    };
    let mut i = 0;
    while i < argv.len() {
        let flag = argv[i].as_str();
        if flag == "--help" || flag == "-h" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        let value = match argv.get(i + 1) {
            Some(v) => v.clone(),
            None => fail(format!("{flag} needs a value")),
        };
        let num = |v: &str| -> f64 { v.parse().unwrap_or_else(|_| fail(format!("{flag}: not a number: {v}"))) };
        match flag {
            "--url" => a.url = value,
            "--stations" => a.stations = num(&value) as usize,
            "--mode" => {
                a.mode = match value.as_str() {
                    "b2b" => Mode::B2b,
                    "paced" => Mode::Paced,
                    "idle" => Mode::Idle,
                    "storm" => Mode::Storm,
                    other => fail(format!("unknown --mode {other}")),
                }
            }
            "--action" => a.action = value,
            "--interval" => a.interval = num(&value),
            "--ramp" => a.ramp = num(&value),
            "--warmup" => a.warmup = num(&value),
            "--max-warmup" => a.max_warmup = num(&value),
            "--duration" => a.duration = num(&value),
            "--max-duration" => a.max_duration = num(&value),
            "--hold" => a.hold = num(&value),
            "--timeout" => a.timeout = num(&value),
            "--connect-timeout" => a.connect_timeout = num(&value),
            "--prefix" => a.prefix = value,
            "--threads" => a.threads = num(&value).max(1.0) as usize,
            "--progress" => a.progress = num(&value),
            other => fail(format!("unknown argument {other}")),
        }
        i += 2;
    }
    if a.stations == 0 {
        fail("--stations must be at least 1".into());
    }
    if a.action.is_empty() {
        a.action = if a.mode == Mode::Paced { "MeterValues" } else { "Heartbeat" }.into();
    }
    if a.action != "Heartbeat" && a.action != "MeterValues" {
        fail(format!("--action {}: Heartbeat or MeterValues", a.action));
    }
    if a.ramp < 0.0 {
        a.ramp = if a.mode == Mode::Storm { 0.0 } else { 1000.0 };
    }
    if a.mode == Mode::Storm {
        a.ramp = 0.0;
    }
    if a.hold < 0.0 {
        a.hold = if a.mode == Mode::Storm { 2.0 } else { a.warmup + a.duration };
    }
    a
}

/// Latencies in microseconds. Exact below 2.048 ms, then 1024 sub-buckets per
/// power of two (relative error under 0.1 %), up to about 30 min. Lock-free,
/// fixed memory, shared by all stations.
struct Histogram {
    buckets: Vec<AtomicU64>,
}

const LINEAR: u64 = 2048;
const SUB: u64 = 1024;
const OCTAVES: u64 = 21;

impl Histogram {
    fn new() -> Self {
        Self { buckets: (0..(LINEAR + OCTAVES * SUB)).map(|_| AtomicU64::new(0)).collect() }
    }
    fn index(us: u64) -> usize {
        if us < LINEAR {
            return us as usize;
        }
        let e = 63 - u64::from(us.leading_zeros()); // e >= 11
        let i = LINEAR + (e - 11) * SUB + ((us >> (e - 10)) & (SUB - 1));
        i.min(LINEAR + OCTAVES * SUB - 1) as usize
    }
    /// The upper edge of bucket `i`, so percentiles never understate.
    fn upper(i: usize) -> u64 {
        let i = i as u64;
        if i < LINEAR {
            return i;
        }
        let e = (i - LINEAR) / SUB + 11;
        let sub = (i - LINEAR) % SUB;
        ((SUB + sub + 1) << (e - 10)) - 1
    }
    fn record(&self, d: Duration) {
        self.buckets[Self::index(d.as_micros() as u64)].fetch_add(1, Relaxed);
    }
    fn reset(&self) {
        self.buckets.iter().for_each(|b| b.store(0, Relaxed));
    }
    /// p50, p90, p99, max in milliseconds, and the count.
    fn summary(&self) -> ([f64; 4], u64) {
        let counts: Vec<u64> = self.buckets.iter().map(|b| b.load(Relaxed)).collect();
        let total: u64 = counts.iter().sum();
        let mut out = [0.0; 4];
        if total == 0 {
            return (out, 0);
        }
        for (slot, q) in [0.5, 0.9, 0.99, 1.0].iter().enumerate() {
            let rank = ((total as f64) * q).ceil().max(1.0) as u64;
            let mut seen = 0;
            for (i, c) in counts.iter().enumerate() {
                seen += c;
                if seen >= rank {
                    out[slot] = Self::upper(i) as f64 / 1000.0;
                    break;
                }
            }
        }
        (out, total)
    }
}

/// Load phase: warm-up, then the measured window, then stopped.
const WARMUP: u8 = 0;
const WINDOW: u8 = 1;
const STOPPED: u8 = 2;

#[derive(Default)]
struct Stats {
    // connect phase
    booted: AtomicU64,
    connect_failures: AtomicU64,
    boot_failures: AtomicU64,
    late: AtomicU64,
    // load phase
    warm: AtomicU64, // live stations that completed their first CALL of the load phase
    calls: AtomicU64,
    sent: AtomicU64,
    missed: AtomicU64,
    all_calls: AtomicU64,
    // errors over the whole run
    call_errors: AtomicU64,
    timeouts: AtomicU64,
    disconnects: AtomicU64,
    server_calls: AtomicU64,
}

struct Shared {
    args: Args,
    stats: Stats,
    latency: Histogram,
    boot_latency: Histogram,
    phase: AtomicU8,
    connect_closed: AtomicBool,
    start: watch::Receiver<Option<Instant>>,
    stop: watch::Receiver<bool>,
    meter_time: String,
    epoch: Instant,
    /// Per station, inside the window: first and last answer (µs since `epoch`) and count.
    slots: Vec<Slot>,
}

#[derive(Default)]
struct Slot {
    first: AtomicU64,
    last: AtomicU64,
    count: AtomicU64,
}

enum Outcome {
    Answered(Duration),
    CallError,
    Timeout,
    Closed,
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// `[3,"id",...]` or `[4,"id",...]` -> (type, id). Tolerates blanks between tokens.
fn reply_header(text: &str) -> Option<(u8, &str)> {
    let s = text.trim_start().strip_prefix('[')?.trim_start();
    let kind = s.as_bytes().first()?.wrapping_sub(b'0');
    let s = s[1..].trim_start().strip_prefix(',')?.trim_start().strip_prefix('"')?;
    let end = s.find('"')?;
    Some((kind, &s[..end]))
}

/// Sends one CALL and waits for the CALLRESULT or CALLERROR with its id.
async fn call(ws: &mut Ws, sh: &Shared, id: &str, frame: String) -> Outcome {
    let t0 = Instant::now();
    if ws.send(Message::text(frame)).await.is_err() {
        return Outcome::Closed;
    }
    let deadline = t0 + Duration::from_secs_f64(sh.args.timeout);
    loop {
        match timeout_at(deadline.into(), ws.next()).await {
            Err(_) => return Outcome::Timeout,
            Ok(Some(Ok(Message::Text(text)))) => match reply_header(text.as_str()) {
                Some((3, rid)) if rid == id => return Outcome::Answered(t0.elapsed()),
                Some((4, rid)) if rid == id => return Outcome::CallError,
                Some((2, _)) => {
                    sh.stats.server_calls.fetch_add(1, Relaxed);
                }
                _ => {} // a late answer to a CALL that timed out
            },
            Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) => return Outcome::Closed,
            Ok(Some(Ok(_))) => {} // ping, pong, binary
        }
    }
}

/// Frame for the load-phase CALL number `n`.
fn frame(sh: &Shared, id: &str, n: u64) -> String {
    if sh.args.action == "MeterValues" {
        format!(
            r#"[2,"{id}","MeterValues",{{"connectorId":1,"transactionId":1,"meterValue":[{{"timestamp":"{}","sampledValue":[{{"value":"{}","context":"Sample.Periodic","measurand":"Energy.Active.Import.Register","unit":"Wh"}}]}}]}}]"#,
            sh.meter_time,
            1000 + n * 10
        )
    } else {
        format!(r#"[2,"{id}","Heartbeat",{{}}]"#)
    }
}

/// Waits until `until` (or the stop), reading the socket meanwhile. False if the link closed.
async fn wait_reading(ws: &mut Ws, sh: &Shared, until: Option<Instant>, stop: &mut watch::Receiver<bool>) -> bool {
    let sleep = async {
        match until {
            Some(t) => sleep_until(t.into()).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(sleep);
    loop {
        if *stop.borrow() {
            return true;
        }
        tokio::select! {
            _ = &mut sleep => return true,
            _ = stop.changed() => return true,
            msg = ws.next() => match msg {
                Some(Ok(Message::Text(text))) => {
                    if let Some((2, _)) = reply_header(text.as_str()) {
                        sh.stats.server_calls.fetch_add(1, Relaxed);
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return false,
                Some(Ok(_)) => {}
            }
        }
    }
}

fn count(sh: &Shared, i: usize, outcome: &Outcome) -> bool {
    let in_window = sh.phase.load(Relaxed) == WINDOW;
    match outcome {
        Outcome::Answered(latency) => {
            sh.stats.all_calls.fetch_add(1, Relaxed);
            if in_window {
                sh.stats.calls.fetch_add(1, Relaxed);
                sh.latency.record(*latency);
                let slot = &sh.slots[i];
                let now = sh.epoch.elapsed().as_micros() as u64;
                if slot.count.fetch_add(1, Relaxed) == 0 {
                    slot.first.store(now, Relaxed);
                }
                slot.last.store(now, Relaxed);
            }
        }
        Outcome::CallError => {
            sh.stats.call_errors.fetch_add(1, Relaxed);
        }
        Outcome::Timeout => {
            sh.stats.timeouts.fetch_add(1, Relaxed);
        }
        Outcome::Closed => {
            if sh.phase.load(Relaxed) != STOPPED {
                sh.stats.disconnects.fetch_add(1, Relaxed);
            }
            return false;
        }
    }
    true
}

async fn station(i: usize, sh: Arc<Shared>, connect_deadline: Instant) {
    let args = &sh.args;
    let spawned = Instant::now();
    let url = format!("{}/{}{}", args.url.trim_end_matches('/'), args.prefix, i);
    let mut req = match url.into_client_request() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("bad --url: {e}");
            std::process::exit(2);
        }
    };
    req.headers_mut().insert("sec-websocket-protocol", "ocpp1.6".parse().unwrap());
    // Small buffers: 10,000 stations must not cost the machine the server runs on.
    let config = WebSocketConfig::default().read_buffer_size(4096).write_buffer_size(0);
    let connect = tokio_tungstenite::connect_async_with_config(req, Some(config), true);
    let mut ws = match timeout_at(connect_deadline.into(), connect).await {
        Ok(Ok((ws, _))) => ws,
        _ => {
            sh.stats.connect_failures.fetch_add(1, Relaxed);
            return;
        }
    };
    let boot = r#"[2,"boot","BootNotification",{"chargePointVendor":"ocpp-loadgen","chargePointModel":"bench","chargePointSerialNumber":"LG","firmwareVersion":"1.0"}]"#;
    let boot_deadline = connect_deadline.min(Instant::now() + Duration::from_secs_f64(args.timeout));
    let booted = tokio::select! {
        o = call(&mut ws, &sh, "boot", boot.to_string()) => matches!(o, Outcome::Answered(_)),
        _ = sleep_until(boot_deadline.into()) => false,
    };
    if !booted {
        sh.stats.boot_failures.fetch_add(1, Relaxed);
        return;
    }
    if sh.connect_closed.load(Relaxed) {
        sh.stats.late.fetch_add(1, Relaxed);
        return;
    }
    sh.boot_latency.record(spawned.elapsed());
    sh.stats.booted.fetch_add(1, Relaxed);

    // Wait for the common start, reading the socket meanwhile.
    let mut start_rx = sh.start.clone();
    let mut stop = sh.stop.clone();
    let start = loop {
        if let Some(t) = *start_rx.borrow_and_update() {
            break t;
        }
        tokio::select! {
            r = start_rx.changed() => if r.is_err() { return },
            msg = ws.next() => match msg {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => {
                    sh.stats.disconnects.fetch_add(1, Relaxed);
                    return;
                }
                _ => {}
            }
        }
    };

    let mut n = 0u64;
    let mut warm = false;
    let mut id = String::with_capacity(16);
    match args.mode {
        Mode::Idle | Mode::Storm => {
            if !wait_reading(&mut ws, &sh, None, &mut stop).await && sh.phase.load(Relaxed) != STOPPED {
                sh.stats.disconnects.fetch_add(1, Relaxed);
            }
        }
        Mode::B2b => {
            while !*stop.borrow() {
                n += 1;
                id.clear();
                use std::fmt::Write;
                let _ = write!(id, "{n}");
                let outcome = call(&mut ws, &sh, &id, frame(&sh, &id, n)).await;
                if !count(&sh, i, &outcome) {
                    break;
                }
                if !warm {
                    warm = true;
                    sh.stats.warm.fetch_add(1, Relaxed);
                }
            }
        }
        Mode::Paced => {
            let period = Duration::from_secs_f64(args.interval);
            let offset = period.mul_f64(i as f64 / args.stations as f64);
            let mut k: u32 = 0;
            loop {
                let tick = start + offset + period * k;
                if !wait_reading(&mut ws, &sh, Some(tick), &mut stop).await {
                    if sh.phase.load(Relaxed) != STOPPED {
                        sh.stats.disconnects.fetch_add(1, Relaxed);
                    }
                    break;
                }
                if *stop.borrow() {
                    break;
                }
                n += 1;
                id.clear();
                use std::fmt::Write;
                let _ = write!(id, "{n}");
                if sh.phase.load(Relaxed) == WINDOW {
                    sh.stats.sent.fetch_add(1, Relaxed);
                }
                let outcome = call(&mut ws, &sh, &id, frame(&sh, &id, n)).await;
                if !count(&sh, i, &outcome) {
                    break;
                }
                if !warm {
                    warm = true;
                    sh.stats.warm.fetch_add(1, Relaxed);
                }
                // Ticks that passed while this CALL was in flight are lost, not made up.
                let now = Instant::now();
                k += 1;
                while start + offset + period * k <= now {
                    k += 1;
                    if sh.phase.load(Relaxed) == WINDOW {
                        sh.stats.missed.fetch_add(1, Relaxed);
                    }
                }
            }
        }
    }
    if !warm && matches!(args.mode, Mode::B2b | Mode::Paced) {
        // A station that died before its first CALL must not hold up the warm-up.
        sh.stats.warm.fetch_add(1, Relaxed);
    }
}

fn raise_fd_limit() -> u64 {
    // One socket per station; the soft limit is often 1024.
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
    unsafe {
        if getrlimit(RLIMIT_NOFILE, &mut lim) != 0 {
            return 0;
        }
        if lim.cur < lim.max {
            let want = Rlimit { cur: lim.max, max: lim.max };
            if setrlimit(RLIMIT_NOFILE, &want) == 0 {
                return lim.max;
            }
        }
    }
    lim.cur
}

/// CPU seconds (user + system) this process used, from /proc/self/stat.
fn cpu_seconds() -> f64 {
    extern "C" {
        fn sysconf(name: i32) -> i64;
    }
    const SC_CLK_TCK: i32 = 2;
    let hz = unsafe { sysconf(SC_CLK_TCK) }.max(1) as f64;
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, s)| s).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    // after ')' : state is field 3, utime 14, stime 15 (1-based in proc(5)).
    let get = |n: usize| f.get(n - 3).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (get(14) + get(15)) / hz
}

/// Current UTC time as an OCPP timestamp, without a date crate.
fn iso_now() -> String {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0) as i64;
    let (days, rem) = (secs.div_euclid(86400), secs.rem_euclid(86400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.000Z", rem / 3600, rem / 60 % 60, rem % 60)
}

fn main() {
    let nofile = raise_fd_limit();
    let args = parse_args();
    if nofile > 0 && (nofile as usize) < args.stations + 64 {
        eprintln!("[loadgen] warning: open-file limit {nofile} is below {} stations", args.stations);
    }
    let mut builder = if args.threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(args.threads);
        b
    };
    let runtime = builder.enable_all().build().expect("tokio runtime");
    let code = runtime.block_on(run(args));
    // Leave without closing 10,000 links one by one: the server is stopped next.
    std::process::exit(code);
}

async fn run(args: Args) -> i32 {
    let (start_tx, start_rx) = watch::channel(None);
    let (stop_tx, stop_rx) = watch::channel(false);
    let stations = args.stations;
    let sh = Arc::new(Shared {
        meter_time: iso_now(),
        args,
        stats: Stats::default(),
        latency: Histogram::new(),
        boot_latency: Histogram::new(),
        phase: AtomicU8::new(WARMUP),
        connect_closed: AtomicBool::new(false),
        start: start_rx,
        stop: stop_rx,
        epoch: Instant::now(),
        slots: (0..stations).map(|_| Slot::default()).collect(),
    });
    let args = &sh.args;
    let st = &sh.stats;
    let progress = |line: String| {
        if args.progress > 0.0 {
            eprintln!("[loadgen] {line}");
        }
    };
    let cpu0 = cpu_seconds();

    // Connect phase: spawn on the ramp, until every station is booted or failed.
    let t0 = Instant::now();
    let ramp_s = if args.ramp > 0.0 { stations as f64 / args.ramp } else { 0.0 };
    let connect_deadline = t0 + Duration::from_secs_f64(ramp_s + args.connect_timeout);
    eprintln!("[loadgen] phase connect {} stations, ramp {}", stations, if args.ramp > 0.0 { format!("{}/s", args.ramp) } else { "none (all at once)".into() });
    let mut spawned = 0usize;
    let mut next_report = t0 + Duration::from_secs_f64(args.progress.max(0.5));
    let settled = |st: &Stats| (st.booted.load(Relaxed) + st.connect_failures.load(Relaxed) + st.boot_failures.load(Relaxed)) as usize;
    loop {
        let now = Instant::now();
        let due = if args.ramp > 0.0 { ((now - t0).as_secs_f64() * args.ramp).ceil() as usize } else { stations };
        while spawned < due.min(stations) {
            tokio::spawn(station(spawned, sh.clone(), connect_deadline));
            spawned += 1;
        }
        if spawned == stations && settled(st) >= stations {
            break;
        }
        if now >= connect_deadline {
            progress(format!("connect budget spent: {} of {} booted", st.booted.load(Relaxed), stations));
            break;
        }
        if now >= next_report {
            next_report += Duration::from_secs_f64(args.progress.max(0.5));
            progress(format!(
                "connect {:.1}s: {} booted, {} connect failures, {} boot failures",
                (now - t0).as_secs_f64(),
                st.booted.load(Relaxed),
                st.connect_failures.load(Relaxed),
                st.boot_failures.load(Relaxed)
            ));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    sh.connect_closed.store(true, Relaxed);
    let connect_ms = t0.elapsed().as_secs_f64() * 1000.0;
    let booted = st.booted.load(Relaxed);
    eprintln!("[loadgen] phase connected {booted}/{stations} booted in {connect_ms:.0} ms");

    let mut warmup_s = 0.0;
    let mut window_s = 0.0;
    if booted > 0 {
        let load_start = Instant::now();
        let _ = start_tx.send(Some(load_start));
        match args.mode {
            Mode::Idle | Mode::Storm => {
                sleep_until((load_start + Duration::from_secs_f64(args.hold)).into()).await;
            }
            Mode::B2b | Mode::Paced => {
                eprintln!("[loadgen] phase warmup");
                let min = load_start + Duration::from_secs_f64(args.warmup);
                let max = load_start + Duration::from_secs_f64(args.warmup.max(args.max_warmup));
                let mut next_report = load_start + Duration::from_secs_f64(args.progress.max(0.5));
                loop {
                    let now = Instant::now();
                    let live = st.booted.load(Relaxed);
                    if (now >= min && st.warm.load(Relaxed) >= live) || now >= max {
                        break;
                    }
                    if now >= next_report {
                        next_report += Duration::from_secs_f64(args.progress.max(0.5));
                        progress(format!(
                            "warm-up {:.1}s: {} calls answered, {}/{} stations past their first CALL",
                            (now - load_start).as_secs_f64(),
                            st.all_calls.load(Relaxed),
                            st.warm.load(Relaxed),
                            live
                        ));
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                sh.latency.reset();
                sh.phase.store(WINDOW, Relaxed);
                let window_start = Instant::now();
                warmup_s = (window_start - load_start).as_secs_f64();
                // A slow server answers the stations in rounds (all of them at once
                // every few seconds), and the warm-up lasted one round: the window
                // then spans at least four.
                let mut duration = args.duration;
                let expected = if args.mode == Mode::Paced { args.warmup.max(args.interval) } else { args.warmup };
                if warmup_s > expected + 1.0 {
                    duration = duration.max(4.0 * warmup_s).min(args.max_duration.max(args.duration));
                }
                eprintln!("[loadgen] phase window {duration:.1}s after a {warmup_s:.1}s warm-up");
                let end = window_start + Duration::from_secs_f64(duration);
                let mut last = (window_start, 0u64);
                loop {
                    let now = Instant::now();
                    if now >= end {
                        break;
                    }
                    let wake = end.min(now + Duration::from_secs_f64(args.progress.max(0.5)));
                    sleep_until(wake.into()).await;
                    if wake < end && args.progress > 0.0 {
                        let calls = st.calls.load(Relaxed);
                        let dt = (wake - last.0).as_secs_f64();
                        progress(format!("window {:.1}s: {:.0} calls/s", (wake - window_start).as_secs_f64(), (calls - last.1) as f64 / dt));
                        last = (wake, calls);
                    }
                }
                window_s = window_start.elapsed().as_secs_f64();
            }
        }
    }
    sh.phase.store(STOPPED, Relaxed);
    let _ = stop_tx.send(true);
    eprintln!("[loadgen] phase done");

    let calls = st.calls.load(Relaxed);
    let ([p50, p90, p99, max], _) = sh.latency.summary();
    let ([b50, b90, b99, bmax], _) = sh.boot_latency.summary();
    let offered = if args.mode == Mode::Paced { stations as f64 / args.interval } else { 0.0 };
    let connect_failures = st.connect_failures.load(Relaxed);
    let boot_failures = st.boot_failures.load(Relaxed) + st.late.load(Relaxed);
    let call_errors = st.call_errors.load(Relaxed);
    let timeouts = st.timeouts.load(Relaxed);
    let disconnects = st.disconnects.load(Relaxed);
    let errors = connect_failures + boot_failures + call_errors + timeouts + disconnects;
    let counted_per_s = if window_s > 0.0 { calls as f64 / window_s } else { 0.0 };
    // The sum of each station's rate between its first and last answer in the
    // window. Unlike the plain count it does not depend on where the window's edges
    // fall between two rounds of answers. The plain count when too few stations
    // had two answers in the window.
    let (mut station_rate, mut regular) = (0.0, 0u64);
    for slot in &sh.slots {
        let k = slot.count.load(Relaxed);
        let span = slot.last.load(Relaxed).saturating_sub(slot.first.load(Relaxed));
        if k >= 2 && span > 0 {
            station_rate += (k - 1) as f64 * 1e6 / span as f64;
            regular += 1;
        }
    }
    let by_station = booted > 0 && regular as f64 >= 0.9 * booted as f64;
    let per_s = if by_station { station_rate } else { counted_per_s };
    let sent_per_s = if window_s > 0.0 { st.sent.load(Relaxed) as f64 / window_s } else { 0.0 };
    println!(
        concat!(
            r#"{{"stations":{},"mode":"{}","action":"{}","threads":{},"ramp_per_s":{},"interval_s":{},"#,
            r#""booted":{},"connect_ms":{:.0},"boot_p50_ms":{:.3},"boot_p90_ms":{:.3},"boot_p99_ms":{:.3},"boot_max_ms":{:.3},"#,
            r#""warmup_s":{:.2},"duration":{:.2},"calls":{},"calls_per_s":{:.1},"counted_per_s":{:.1},"rate_method":"{}","offered_per_s":{:.1},"sent_per_s":{:.1},"missed":{},"#,
            r#""p50_ms":{:.3},"p90_ms":{:.3},"p99_ms":{:.3},"max_ms":{:.3},"#,
            r#""errors":{},"connect_failures":{},"boot_failures":{},"call_errors":{},"timeouts":{},"disconnects":{},"server_calls":{},"#,
            r#""loadgen_cpu_s":{:.2}}}"#
        ),
        stations,
        args.mode.name(),
        if matches!(args.mode, Mode::B2b | Mode::Paced) { args.action.as_str() } else { "" },
        args.threads,
        args.ramp,
        if args.mode == Mode::Paced { args.interval } else { 0.0 },
        booted,
        connect_ms,
        b50,
        b90,
        b99,
        bmax,
        warmup_s,
        window_s,
        calls,
        per_s,
        counted_per_s,
        if by_station { "per-station" } else { "counted" },
        offered,
        sent_per_s,
        st.missed.load(Relaxed),
        p50,
        p90,
        p99,
        max,
        errors,
        connect_failures,
        boot_failures,
        call_errors,
        timeouts,
        disconnects,
        st.server_calls.load(Relaxed),
        cpu_seconds() - cpu0,
    );
    0
}
