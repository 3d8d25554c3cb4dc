//! Numbers for the operator's monitoring: what each `CS server` counts, and
//! the Prometheus text format (`GET /ocpp/metrics`) they are read in.
//!
//! Counting must cost next to nothing per message, so every counter is an
//! [`AtomicU64`] in a table of fixed size, indexed by what is counted; no lock
//! is taken and nothing is allocated. Label values come from fixed sets (the
//! OCPP actions of the schemas and WSDLs, the error codes, the refusal
//! reasons): an action no version knows is counted as `other`, so a hostile
//! station cannot grow the series. Only the servers' list, touched when a
//! server starts or stops and at a scrape, is behind a lock.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, Weak};
use std::time::Duration;

use super::refusals::Reason;
use crate::alloc;
use crate::ocppj::frame::{ErrorCode, MessageType};
use crate::sync::lock;
use crate::version::OcppVersion;

/// Every action of OCPP-J 1.6, 2.0.1 and 2.1 (the schemas) and of the SOAP
/// 1.5 and 1.6 services (the WSDLs), sorted (the order they are listed in).
/// A unit test checks it against both sources.
const ACTIONS: [&str; 102] = [
    "AFRRSignal",
    "AdjustPeriodicEventStream",
    "Authorize",
    "BatterySwap",
    "BootNotification",
    "CancelReservation",
    "CertificateSigned",
    "ChangeAvailability",
    "ChangeConfiguration",
    "ChangeTransactionTariff",
    "ClearCache",
    "ClearChargingProfile",
    "ClearDERControl",
    "ClearDisplayMessage",
    "ClearTariffs",
    "ClearVariableMonitoring",
    "ClearedChargingLimit",
    "ClosePeriodicEventStream",
    "CostUpdated",
    "CustomerInformation",
    "DataTransfer",
    "DeleteCertificate",
    "DiagnosticsStatusNotification",
    "ExtendedTriggerMessage",
    "FirmwareStatusNotification",
    "Get15118EVCertificate",
    "GetBaseReport",
    "GetCertificateChainStatus",
    "GetCertificateStatus",
    "GetChargingProfiles",
    "GetCompositeSchedule",
    "GetConfiguration",
    "GetDERControl",
    "GetDiagnostics",
    "GetDisplayMessages",
    "GetInstalledCertificateIds",
    "GetLocalListVersion",
    "GetLog",
    "GetMonitoringReport",
    "GetPeriodicEventStream",
    "GetReport",
    "GetTariffs",
    "GetTransactionStatus",
    "GetVariables",
    "Heartbeat",
    "InstallCertificate",
    "LogStatusNotification",
    "MeterValues",
    "NotifyAllowedEnergyTransfer",
    "NotifyChargingLimit",
    "NotifyCustomerInformation",
    "NotifyDERAlarm",
    "NotifyDERStartStop",
    "NotifyDisplayMessages",
    "NotifyEVChargingNeeds",
    "NotifyEVChargingSchedule",
    "NotifyEvent",
    "NotifyMonitoringReport",
    "NotifyPeriodicEventStream",
    "NotifyPriorityCharging",
    "NotifyReport",
    "NotifySettlement",
    "NotifyWebPaymentStarted",
    "OpenPeriodicEventStream",
    "PublishFirmware",
    "PublishFirmwareStatusNotification",
    "PullDynamicScheduleUpdate",
    "RemoteStartTransaction",
    "RemoteStopTransaction",
    "ReportChargingProfiles",
    "ReportDERControl",
    "RequestBatterySwap",
    "RequestStartTransaction",
    "RequestStopTransaction",
    "ReservationStatusUpdate",
    "ReserveNow",
    "Reset",
    "SecurityEventNotification",
    "SendLocalList",
    "SetChargingProfile",
    "SetDERControl",
    "SetDefaultTariff",
    "SetDisplayMessage",
    "SetMonitoringBase",
    "SetMonitoringLevel",
    "SetNetworkProfile",
    "SetVariableMonitoring",
    "SetVariables",
    "SignCertificate",
    "SignedFirmwareStatusNotification",
    "SignedUpdateFirmware",
    "StartTransaction",
    "StatusNotification",
    "StopTransaction",
    "TransactionEvent",
    "TriggerMessage",
    "UnlockConnector",
    "UnpublishFirmware",
    "UpdateDynamicSchedule",
    "UpdateFirmware",
    "UsePriorityCharging",
    "VatNumberValidation",
];

/// Slots of the hash table that finds an action's place, a power of two well
/// above the number of actions, so a name not in it meets an empty slot soon.
const SLOTS: usize = 512;

/// FNV-1a: a few instructions per byte. A binary search over the names took
/// 90 ns per lookup here, most of what counting a CALL cost.
const fn fnv1a(name: &[u8]) -> usize {
    let mut hash: u32 = 0x811c_9dc5;
    let mut i = 0;
    while i < name.len() {
        hash = (hash ^ name[i] as u32).wrapping_mul(0x0100_0193);
        i += 1;
    }
    hash as usize
}

/// Open addressing, built at compile time: each slot holds an action's index
/// plus one, 0 when empty.
const TABLE: [u8; SLOTS] = {
    let mut table = [0u8; SLOTS];
    let mut a = 0;
    while a < ACTIONS.len() {
        let mut slot = fnv1a(ACTIONS[a].as_bytes()) % SLOTS;
        while table[slot] != 0 {
            slot = (slot + 1) % SLOTS;
        }
        table[slot] = a as u8 + 1;
        a += 1;
    }
    table
};

/// The longest action name: a longer one is `other` without hashing it.
const LONGEST: usize = {
    let mut longest = 0;
    let mut a = 0;
    while a < ACTIONS.len() {
        if ACTIONS[a].len() > longest {
            longest = ACTIONS[a].len();
        }
        a += 1;
    }
    longest
};

/// An action's place in the counters: one of [`ACTIONS`], or `other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Action(u8);

impl Action {
    const OTHER: Action = Action(ACTIONS.len() as u8);
    const COUNT: usize = ACTIONS.len() + 1;

    /// `name`'s place; an action no version knows, or none, is `other`.
    pub fn of(name: Option<&str>) -> Self {
        let Some(name) = name.filter(|n| n.len() <= LONGEST) else { return Self::OTHER };
        let mut slot = fnv1a(name.as_bytes()) % SLOTS;
        loop {
            let Some(index) = TABLE[slot].checked_sub(1) else { return Self::OTHER };
            if ACTIONS[usize::from(index)] == name {
                return Action(index);
            }
            slot = (slot + 1) % SLOTS;
        }
    }

    fn label(self) -> &'static str {
        ACTIONS.get(usize::from(self.0)).copied().unwrap_or("other")
    }
}

/// The protocol and version a message was spoken in: the `version` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Json(OcppVersion),
    Soap15,
    Soap16,
}

impl Protocol {
    const ALL: [Protocol; 5] = [
        Self::Json(OcppVersion::V16),
        Self::Json(OcppVersion::V201),
        Self::Json(OcppVersion::V21),
        Self::Soap15,
        Self::Soap16,
    ];

    /// The SOAP service's version as `msg.ocpp.ocppVersion` writes it ("1.5", "1.6").
    pub fn soap(version: &str) -> Self {
        if version == "1.5" {
            Self::Soap15
        } else {
            Self::Soap16
        }
    }

    fn index(self) -> usize {
        match self {
            Self::Json(OcppVersion::V16) => 0,
            Self::Json(OcppVersion::V201) => 1,
            Self::Json(OcppVersion::V21) => 2,
            Self::Soap15 => 3,
            Self::Soap16 => 4,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Json(v) => v.label(),
            Self::Soap15 => "soap1.5",
            Self::Soap16 => "soap1.6",
        }
    }

    /// How this version spells an error code (1.6 spells three alike).
    fn json_version(self) -> OcppVersion {
        match self {
            Self::Json(v) => v,
            Self::Soap15 | Self::Soap16 => OcppVersion::V16,
        }
    }
}

/// Which way a message went, seen from the Central System.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From a station.
    In,
    /// To a station.
    Out,
}

impl Direction {
    const ALL: [Direction; 2] = [Self::In, Self::Out];

    fn label(self) -> &'static str {
        match self {
            Self::In => "in",
            Self::Out => "out",
        }
    }
}

/// The `type` label: OCPP-J's message types; a SOAP request counts as a
/// `call`, its response as a `callresult`, a Fault as a `callerror`.
const KINDS: [MessageType; 5] = [
    MessageType::Call,
    MessageType::CallResult,
    MessageType::CallError,
    MessageType::CallResultError,
    MessageType::Send,
];

fn kind_index(kind: MessageType) -> usize {
    match kind {
        MessageType::Call => 0,
        MessageType::CallResult => 1,
        MessageType::CallError => 2,
        MessageType::CallResultError => 3,
        MessageType::Send => 4,
    }
}

fn kind_label(kind: MessageType) -> &'static str {
    match kind {
        MessageType::Call => "call",
        MessageType::CallResult => "callresult",
        MessageType::CallError => "callerror",
        MessageType::CallResultError => "callresulterror",
        MessageType::Send => "send",
    }
}

/// Error codes counted: [`ErrorCode::ALL`] by meaning, then `other` for a
/// code a station made up.
const CODES: usize = ErrorCode::ALL.len() + 1;

/// Upper bounds of the histograms' buckets, in microseconds and as the `le`
/// label writes them: 100 µs to the longest answer timeout worth telling apart.
const BOUNDS: [(u64, &str); 18] = [
    (100, "0.0001"),
    (250, "0.00025"),
    (500, "0.0005"),
    (1_000, "0.001"),
    (2_500, "0.0025"),
    (5_000, "0.005"),
    (10_000, "0.01"),
    (25_000, "0.025"),
    (50_000, "0.05"),
    (100_000, "0.1"),
    (250_000, "0.25"),
    (500_000, "0.5"),
    (1_000_000, "1"),
    (2_500_000, "2.5"),
    (5_000_000, "5"),
    (10_000_000, "10"),
    (30_000_000, "30"),
    (60_000_000, "60"),
];

/// A histogram of durations: a count per bucket (not cumulative, so one
/// observation is one add) and the sum, all atomics.
pub struct Histogram {
    buckets: [AtomicU64; BOUNDS.len() + 1],
    sum_micros: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self { buckets: std::array::from_fn(|_| AtomicU64::new(0)), sum_micros: AtomicU64::new(0) }
    }
}

impl Histogram {
    pub fn observe(&self, took: Duration) {
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        let bucket = BOUNDS.partition_point(|&(bound, _)| bound < micros);
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// The cumulative counts per bound (the last is `+Inf`, the count) and
    /// the sum in seconds.
    fn snapshot(&self) -> ([u64; BOUNDS.len() + 1], f64) {
        let mut cumulative = [0; BOUNDS.len() + 1];
        let mut total = 0u64;
        for (slot, bucket) in cumulative.iter_mut().zip(&self.buckets) {
            total += bucket.load(Ordering::Relaxed);
            *slot = total;
        }
        (cumulative, self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6)
    }
}

/// What one server counts.
pub struct ServerMetrics {
    /// The `server` label: the node's name, or its id.
    label: String,
    /// By direction, protocol, action and message type.
    messages: Box<[AtomicU64]>,
    /// CALLERRORs by direction, protocol and code.
    call_errors: Box<[AtomicU64]>,
    refused: [AtomicU64; Reason::ALL.len()],
    /// From a station's request being handed to the flow to the flow's answer.
    pub flow_answer: Histogram,
    /// Requests the flow left unanswered past the answer timeout.
    flow_timeouts: AtomicU64,
    /// From our CALL going out to the station's answer.
    pub round_trip: Histogram,
    /// Our CALLs that got no answer before their deadline.
    request_timeouts: AtomicU64,
}

fn zeroes(n: usize) -> Box<[AtomicU64]> {
    (0..n).map(|_| AtomicU64::new(0)).collect()
}

const MESSAGE_SLOTS: usize = 2 * Protocol::ALL.len() * Action::COUNT * KINDS.len();
const ERROR_SLOTS: usize = 2 * Protocol::ALL.len() * CODES;

fn message_slot(dir: Direction, proto: Protocol, action: Action, kind: MessageType) -> usize {
    (((dir as usize) * Protocol::ALL.len() + proto.index()) * Action::COUNT + usize::from(action.0)) * KINDS.len()
        + kind_index(kind)
}

fn error_slot(dir: Direction, proto: Protocol, code: usize) -> usize {
    ((dir as usize) * Protocol::ALL.len() + proto.index()) * CODES + code
}

/// A code's place in the counters, by meaning; 1.6 spells three codes alike,
/// so they are counted as the one it writes.
fn code_index(proto: Protocol, code: &str) -> usize {
    let Some(code) = ErrorCode::parse(code) else { return ErrorCode::ALL.len() };
    let version = proto.json_version();
    let spelled = ErrorCode::parse(code.as_str(version)).unwrap_or(code);
    ErrorCode::ALL.iter().position(|c| *c == spelled).unwrap_or(ErrorCode::ALL.len())
}

impl ServerMetrics {
    pub fn new(label: String) -> Self {
        Self {
            label,
            messages: zeroes(MESSAGE_SLOTS),
            call_errors: zeroes(ERROR_SLOTS),
            refused: std::array::from_fn(|_| AtomicU64::new(0)),
            flow_answer: Histogram::default(),
            flow_timeouts: AtomicU64::new(0),
            round_trip: Histogram::default(),
            request_timeouts: AtomicU64::new(0),
        }
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    /// One message; `code` is a CALLERROR's (or CALLRESULTERROR's) code as written.
    pub fn message(&self, dir: Direction, proto: Protocol, action: Action, kind: MessageType, code: Option<&str>) {
        self.messages[message_slot(dir, proto, action, kind)].fetch_add(1, Ordering::Relaxed);
        if let (MessageType::CallError, Some(code)) = (kind, code) {
            self.call_errors[error_slot(dir, proto, code_index(proto, code))].fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn refused(&self, reason: Reason) {
        self.refused[reason as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub fn flow_timed_out(&self) {
        self.flow_timeouts.fetch_add(1, Ordering::Relaxed);
    }

    /// Our CALL was answered `after` it went out, or (`None`) timed out.
    pub fn request_settled(&self, after: Option<Duration>) {
        match after {
            Some(after) => self.round_trip.observe(after),
            None => drop(self.request_timeouts.fetch_add(1, Ordering::Relaxed)),
        }
    }
}

/// A server's levels at the moment of a scrape.
#[derive(Debug, Clone, Copy, Default)]
pub struct Gauges {
    pub stations: usize,
    pub backlog_bytes: usize,
    pub waiting_ocppj: usize,
    pub waiting_soap: usize,
}

/// A running server, as the scrape sees it.
pub trait Source: Send + Sync {
    fn metrics(&self) -> &ServerMetrics;
    fn gauges(&self) -> Gauges;
}

/// The servers running now; held weakly, so a server that is gone without
/// unregistering is skipped and pruned.
static SERVERS: LazyLock<Mutex<Vec<Weak<dyn Source>>>> = LazyLock::new(Default::default);

/// A `server` label no running server has: `wanted`, else `wanted` with the
/// port, so two nodes of one name still make distinct series.
pub fn unique_label(wanted: Option<&str>, port: u16) -> String {
    let wanted = wanted.map(str::trim).filter(|w| !w.is_empty());
    let Some(wanted) = wanted else { return format!("port {port}") };
    let taken = live().iter().any(|s| s.metrics().label() == wanted);
    if taken {
        format!("{wanted} (port {port})")
    } else {
        wanted.to_owned()
    }
}

pub fn register(source: Weak<dyn Source>) {
    let mut servers = lock(&SERVERS);
    servers.retain(|s| s.strong_count() > 0);
    servers.push(source);
}

/// Forgets a stopping server: its counters leave the scrape with it.
pub fn unregister(source: &Weak<dyn Source>) {
    lock(&SERVERS).retain(|s| s.strong_count() > 0 && !Weak::ptr_eq(s, source));
}

fn live() -> Vec<Arc<dyn Source>> {
    lock(&SERVERS).iter().filter_map(Weak::upgrade).collect()
}

/// Every running server's metrics in the Prometheus text format (0.0.4).
pub fn render() -> String {
    let servers = live();
    let shown: Vec<(&ServerMetrics, Gauges)> = servers.iter().map(|s| (s.metrics(), s.gauges())).collect();
    let mut out = render_servers(&shown);
    render_engine(&mut out);
    out
}

/// The engine's own heap (`alloc.rs`), process-wide: the figure that shows a
/// leak in the engine, where RSS also moves with V8 and the system allocator.
fn render_engine(out: &mut String) {
    let usage = alloc::usage();
    let name = "ocpp_engine_heap_bytes";
    family(out, name, "Bytes the engine's allocator holds now (its Rust heap, all servers and clients).", "gauge");
    sample(out, name, &[], usage.live_bytes as f64);
    let name = "ocpp_engine_allocations_total";
    family(out, name, "Allocations the engine made since it was loaded.", "counter");
    sample(out, name, &[], usage.allocations as f64);
    if let Some(tasks) = live_tasks() {
        let name = "ocpp_engine_tasks";
        family(out, name, "Tokio tasks of the engine alive now (links, listeners, timers).", "gauge");
        sample(out, name, &[], tasks as f64);
    }
}

/// The engine runtime's live tasks, when called inside it (the bindings
/// enter it): a task left behind by a closed server or link shows as growth.
pub fn live_tasks() -> Option<usize> {
    tokio::runtime::Handle::try_current().ok().map(|h| h.metrics().num_alive_tasks())
}

/// A metric's name, its help, and how to read it from a server.
type Described<R> = (&'static str, &'static str, R);
type ReadGauge = fn(&Gauges) -> usize;
type ReadHistogram = fn(&ServerMetrics) -> &Histogram;
type ReadCounter = fn(&ServerMetrics) -> &AtomicU64;

fn render_servers(servers: &[(&ServerMetrics, Gauges)]) -> String {
    let mut out = String::with_capacity(4096);
    let gauges: [Described<ReadGauge>; 2] = [
        ("ocpp_stations_connected", "OCPP-J stations connected (admitted and not gone yet).", |g| g.stations),
        ("ocpp_event_backlog_bytes", "Bytes of events waiting for the flow (eventBacklogMB bounds them).", |g| {
            g.backlog_bytes
        }),
    ];
    for (name, help, read) in gauges {
        family(&mut out, name, help, "gauge");
        for (m, g) in servers {
            sample(&mut out, name, &[("server", m.label())], read(g) as f64);
        }
    }
    family(&mut out, "ocpp_flow_answers_waiting", "Station requests waiting for the flow's answer.", "gauge");
    for (m, g) in servers {
        for (protocol, n) in [("ocppj", g.waiting_ocppj), ("soap", g.waiting_soap)] {
            sample(&mut out, "ocpp_flow_answers_waiting", &[("server", m.label()), ("protocol", protocol)], n as f64);
        }
    }
    render_messages(&mut out, servers);
    render_call_errors(&mut out, servers);
    family(&mut out, "ocpp_handshakes_refused_total", "WebSocket handshakes refused, by reason.", "counter");
    for (m, _) in servers {
        for reason in Reason::ALL {
            let n = m.refused[reason as usize].load(Ordering::Relaxed);
            sample(
                &mut out,
                "ocpp_handshakes_refused_total",
                &[("server", m.label()), ("reason", reason.label())],
                n as f64,
            );
        }
    }
    let histograms: [Described<ReadHistogram>; 2] = [
        (
            "ocpp_flow_answer_seconds",
            "Time from a station's request being handed to the flow to the flow's answer.",
            |m| &m.flow_answer,
        ),
        (
            "ocpp_cs_request_seconds",
            "Round trip of the Central System's CALLs: sent to the station's answer read.",
            |m| &m.round_trip,
        ),
    ];
    for (name, help, read) in histograms {
        family(&mut out, name, help, "histogram");
        for (m, _) in servers {
            histogram(&mut out, name, m.label(), read(m));
        }
    }
    let timeouts: [Described<ReadCounter>; 2] = [
        (
            "ocpp_flow_answer_timeouts_total",
            "Station requests the flow did not answer within the answer timeout.",
            |m| &m.flow_timeouts,
        ),
        ("ocpp_cs_request_timeouts_total", "Central System CALLs that got no answer in time.", |m| &m.request_timeouts),
    ];
    for (name, help, read) in timeouts {
        family(&mut out, name, help, "counter");
        for (m, _) in servers {
            sample(&mut out, name, &[("server", m.label())], read(m).load(Ordering::Relaxed) as f64);
        }
    }
    out
}

/// Messages, only the series that counted something: most of the table
/// (actions of other versions) stays zero for good.
fn render_messages(out: &mut String, servers: &[(&ServerMetrics, Gauges)]) {
    const NAME: &str = "ocpp_messages_total";
    family(
        out,
        NAME,
        "OCPP messages by direction, version, action and type (an answer has its request's action).",
        "counter",
    );
    for (m, _) in servers {
        for dir in Direction::ALL {
            for proto in Protocol::ALL {
                for a in 0..Action::COUNT {
                    let action = Action(a as u8);
                    for kind in KINDS {
                        let n = m.messages[message_slot(dir, proto, action, kind)].load(Ordering::Relaxed);
                        if n == 0 {
                            continue;
                        }
                        let labels = [
                            ("server", m.label()),
                            ("direction", dir.label()),
                            ("version", proto.label()),
                            ("action", action.label()),
                            ("type", kind_label(kind)),
                        ];
                        sample(out, NAME, &labels, n as f64);
                    }
                }
            }
        }
    }
}

fn render_call_errors(out: &mut String, servers: &[(&ServerMetrics, Gauges)]) {
    const NAME: &str = "ocpp_callerrors_total";
    family(out, NAME, "CALLERRORs by direction, version and error code (as the version spells it).", "counter");
    for (m, _) in servers {
        for dir in Direction::ALL {
            for proto in Protocol::ALL {
                for code in 0..CODES {
                    let n = m.call_errors[error_slot(dir, proto, code)].load(Ordering::Relaxed);
                    if n == 0 {
                        continue;
                    }
                    let spelled = ErrorCode::ALL.get(code).map_or("other", |c| c.as_str(proto.json_version()));
                    let labels = [
                        ("server", m.label()),
                        ("direction", dir.label()),
                        ("version", proto.label()),
                        ("code", spelled),
                    ];
                    sample(out, NAME, &labels, n as f64);
                }
            }
        }
    }
}

fn family(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = write!(out, "# HELP {name} ");
    escape_help(out, help);
    let _ = writeln!(out, "\n# TYPE {name} {kind}");
}

fn sample(out: &mut String, name: &str, labels: &[(&str, &str)], value: f64) {
    out.push_str(name);
    if !labels.is_empty() {
        out.push('{');
        for (i, (key, value)) in labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(key);
            out.push_str("=\"");
            escape_label(out, value);
            out.push('"');
        }
        out.push('}');
    }
    let _ = writeln!(out, " {value}");
}

fn histogram(out: &mut String, name: &str, server: &str, h: &Histogram) {
    let (cumulative, sum) = h.snapshot();
    let bucket = format!("{name}_bucket");
    for ((_, le), n) in BOUNDS.iter().zip(&cumulative) {
        sample(out, &bucket, &[("server", server), ("le", le)], *n as f64);
    }
    let count = cumulative[BOUNDS.len()];
    sample(out, &bucket, &[("server", server), ("le", "+Inf")], count as f64);
    sample(out, &format!("{name}_sum"), &[("server", server)], sum);
    sample(out, &format!("{name}_count"), &[("server", server)], count as f64);
}

/// A label value: backslash, double quote and line feed escaped.
fn escape_label(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// A HELP text: backslash and line feed escaped.
fn escape_help(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of<'a>(text: &'a str, prefix: &str) -> Vec<&'a str> {
        text.lines().filter(|l| l.starts_with(prefix)).collect()
    }

    #[test]
    fn the_action_list_is_sorted_and_has_every_action_of_the_schemas_and_wsdls() {
        assert!(ACTIONS.windows(2).all(|w| w[0] < w[1]), "sorted, no duplicates");
        for version in OcppVersion::ALL {
            for action in crate::schema::actions(version) {
                assert_ne!(Action::of(Some(action)), Action::OTHER, "{action} of {}", version.label());
            }
        }
        for service in [crate::soap::Service::CentralSystem15, crate::soap::Service::ChargePoint16] {
            for op in service.table().operations {
                assert_ne!(Action::of(Some(op.name)), Action::OTHER, "SOAP {}", op.name);
            }
        }
        for (i, name) in ACTIONS.iter().enumerate() {
            assert_eq!(Action::of(Some(name)), Action(i as u8), "{name}");
        }
        assert_eq!(Action::of(Some("heartbeat")), Action::OTHER, "names are case-sensitive");
        assert_eq!(Action::of(Some(&"Heartbeat".repeat(1000))), Action::OTHER);
        assert_eq!(Action::of(Some("Heartbeat")).label(), "Heartbeat");
        assert_eq!(Action::of(Some("MadeUp\"Action")).label(), "other");
        assert_eq!(Action::of(None), Action::OTHER);
    }

    #[test]
    fn label_values_and_help_are_escaped() {
        let mut out = String::new();
        sample(&mut out, "m", &[("server", "a \"b\" \\c\nd")], 1.0);
        assert_eq!(out, "m{server=\"a \\\"b\\\" \\\\c\\nd\"} 1\n");
        let mut out = String::new();
        family(&mut out, "m", "x \\ y\nz \"q\"", "counter");
        assert_eq!(out, "# HELP m x \\\\ y\\nz \"q\"\n# TYPE m counter\n");
    }

    #[test]
    fn histogram_buckets_are_cumulative_with_le_inclusive_bounds() {
        let h = Histogram::default();
        h.observe(Duration::from_micros(100)); // on the first bound: counted in it
        h.observe(Duration::from_micros(101));
        h.observe(Duration::from_millis(3));
        h.observe(Duration::from_secs(600)); // past the last bound: +Inf only
        let mut out = String::new();
        histogram(&mut out, "h", "s", &h);
        assert!(out.contains("h_bucket{server=\"s\",le=\"0.0001\"} 1\n"), "{out}");
        assert!(out.contains("h_bucket{server=\"s\",le=\"0.00025\"} 2\n"));
        assert!(out.contains("h_bucket{server=\"s\",le=\"0.0025\"} 2\n"));
        assert!(out.contains("h_bucket{server=\"s\",le=\"0.005\"} 3\n"));
        assert!(out.contains("h_bucket{server=\"s\",le=\"60\"} 3\n"));
        assert!(out.contains("h_bucket{server=\"s\",le=\"+Inf\"} 4\n"));
        assert!(out.contains("h_count{server=\"s\"} 4\n"));
        assert!(out.contains("h_sum{server=\"s\"} 600.003201\n"), "{out}");
        let buckets = lines_of(&out, "h_bucket");
        assert_eq!(buckets.len(), BOUNDS.len() + 1);
        let counts: Vec<u64> = buckets.iter().map(|l| l.rsplit(' ').next().unwrap().parse().unwrap()).collect();
        assert!(counts.windows(2).all(|w| w[0] <= w[1]), "cumulative: {counts:?}");
    }

    #[test]
    fn messages_and_errors_are_counted_by_their_labels_and_made_up_names_are_other() {
        let m = ServerMetrics::new("CS \"main\"".into());
        let v16 = Protocol::Json(OcppVersion::V16);
        let v201 = Protocol::Json(OcppVersion::V201);
        let heartbeat = Action::of(Some("Heartbeat"));
        m.message(Direction::In, v16, heartbeat, MessageType::Call, None);
        m.message(Direction::In, v16, heartbeat, MessageType::Call, None);
        m.message(Direction::Out, v16, heartbeat, MessageType::CallResult, None);
        m.message(Direction::In, v201, Action::of(Some("x".repeat(1000).as_str())), MessageType::Call, None);
        m.message(Direction::Out, v201, Action::OTHER, MessageType::CallError, Some("RpcFrameworkError"));
        m.message(Direction::Out, v16, Action::OTHER, MessageType::CallError, Some("RpcFrameworkError"));
        m.message(Direction::Out, v16, Action::OTHER, MessageType::CallError, Some("FormationViolation"));
        m.message(Direction::In, v16, heartbeat, MessageType::CallError, Some("NoSuchCode"));
        m.message(Direction::In, Protocol::soap("1.5"), Action::of(Some("Authorize")), MessageType::Call, None);
        m.refused(Reason::Unauthorized);
        m.request_settled(None);
        let text = render_servers(&[(&m, Gauges { stations: 3, ..Gauges::default() })]);
        let s = "server=\"CS \\\"main\\\"\"";
        for line in [
            format!("ocpp_stations_connected{{{s}}} 3"),
            format!("ocpp_messages_total{{{s},direction=\"in\",version=\"1.6j\",action=\"Heartbeat\",type=\"call\"}} 2"),
            format!(
                "ocpp_messages_total{{{s},direction=\"out\",version=\"1.6j\",action=\"Heartbeat\",type=\"callresult\"}} 1"
            ),
            format!("ocpp_messages_total{{{s},direction=\"in\",version=\"2.0.1\",action=\"other\",type=\"call\"}} 1"),
            format!(
                "ocpp_messages_total{{{s},direction=\"in\",version=\"soap1.5\",action=\"Authorize\",type=\"call\"}} 1"
            ),
            format!("ocpp_callerrors_total{{{s},direction=\"out\",version=\"2.0.1\",code=\"RpcFrameworkError\"}} 1"),
            format!("ocpp_callerrors_total{{{s},direction=\"out\",version=\"1.6j\",code=\"FormationViolation\"}} 2"),
            format!("ocpp_callerrors_total{{{s},direction=\"in\",version=\"1.6j\",code=\"other\"}} 1"),
            format!("ocpp_handshakes_refused_total{{{s},reason=\"unauthorized\"}} 1"),
            format!("ocpp_handshakes_refused_total{{{s},reason=\"subprotocol\"}} 0"),
            format!("ocpp_cs_request_timeouts_total{{{s}}} 1"),
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing from\n{text}");
        }
        assert_eq!(lines_of(&text, "ocpp_messages_total{").len(), 7, "only series that counted something");
        let families = lines_of(&text, "# TYPE ");
        assert_eq!(families.len(), 10);
        for family in families {
            let name = family.split(' ').nth(2).unwrap();
            assert_eq!(lines_of(&text, &format!("# TYPE {name} ")).len(), 1, "{name} once");
        }
    }

    /// What counting costs one station CALL and its answer (an upper bound:
    /// it also takes the `Instant` the answer deadline takes anyway), on one
    /// thread and on two threads counting into the same cells.
    #[test]
    #[ignore = "a measurement: cargo test --release --lib per_call_cost -- --ignored --nocapture"]
    fn per_call_cost() {
        fn one_call(m: &ServerMetrics) {
            let v16 = Protocol::Json(OcppVersion::V16);
            let action = std::hint::black_box("Heartbeat");
            m.message(Direction::In, v16, Action::of(Some(action)), MessageType::Call, None);
            let counted = Action::of(Some(action));
            let handed = std::time::Instant::now();
            m.message(Direction::Out, v16, counted, MessageType::CallResult, None);
            m.flow_answer.observe(handed.elapsed());
        }
        const N: u32 = 5_000_000;
        let m = ServerMetrics::new("bench".into());
        let t0 = std::time::Instant::now();
        (0..N).for_each(|_| one_call(&m));
        let alone = t0.elapsed() / N;
        let t0 = std::time::Instant::now();
        std::thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| (0..N).for_each(|_| one_call(&m)));
            }
        });
        let shared = t0.elapsed() / N;
        println!("per station CALL and answer: {alone:?} on one thread, {shared:?} per pair with two threads counting");
    }

    struct Fake(ServerMetrics);

    impl Source for Fake {
        fn metrics(&self) -> &ServerMetrics {
            &self.0
        }
        fn gauges(&self) -> Gauges {
            Gauges::default()
        }
    }

    #[test]
    fn servers_of_one_name_get_distinct_labels_and_leave_when_unregistered() {
        let name = "metrics-test-twin";
        let first = unique_label(Some(name), 1);
        assert_eq!(first, name);
        let a: Arc<dyn Source> = Arc::new(Fake(ServerMetrics::new(first)));
        let weak_a = Arc::downgrade(&a);
        register(weak_a.clone());
        let second = unique_label(Some(name), 2);
        assert_eq!(second, "metrics-test-twin (port 2)");
        assert_eq!(unique_label(Some("  "), 3), "port 3");
        assert!(render().contains("ocpp_stations_connected{server=\"metrics-test-twin\"} 0"));
        unregister(&weak_a);
        assert!(!render().contains("metrics-test-twin"));
        assert_eq!(unique_label(Some(name), 2), name, "free again");
    }
}
