//! What the editor's OCPP sidebar shows of the Central System's OCPP-J
//! stations: counters per station, always kept, and, while someone inspects
//! a station, a bounded ring of its last frames both ways.
//!
//! The counters are a few words per station behind a lock only the station's
//! own task takes per frame (the sidebar's reads are rare), so they cost one
//! uncontended lock and a look at the frame's first bytes. Frames are copied
//! only while recording is on for the station: when it is off, a frame costs
//! one atomic load here and nothing is copied or kept.
//!
//! Recording turns on for a station when the sidebar reads its frames (a
//! lease, renewed by every read, that lapses after `leaseS`), or for every
//! station with the sidebar's switch. Memory is bounded three ways: frames
//! per station, bytes kept of one frame, and bytes of all rings together
//! (past that a station drops its own oldest frames to make room, or keeps no
//! new one). The limits are process-wide, set from Node-RED's settings.

use serde::{Deserialize, Serialize};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

use crate::sync::lock;
use crate::time::now_ms;
use crate::version::OcppVersion;

/// Why the inspector's limits cannot be taken.
#[derive(Debug, thiserror::Error)]
pub enum InspectorError {
    #[error("ocppInspector.{name} must be from {min} to {max}, got {got}")]
    Limit { name: &'static str, min: f64, max: f64, got: f64 },
    #[error("invalid ocppInspector settings: {0}")]
    Settings(String),
}

/// The inspector's limits as Node-RED's settings give them (`ocppInspector`
/// in settings.js; each documented in the README with its default).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Limits {
    /// Frames kept per station (the newest).
    pub frames: usize,
    /// KiB kept of one frame's text; the rest is cut off and the frame marked.
    #[serde(rename = "frameKB")]
    pub frame_kb: usize,
    /// MiB of all stations' rings together.
    #[serde(rename = "totalMB")]
    pub total_mb: usize,
    /// Seconds a station keeps recording after the sidebar last read its frames.
    pub lease_s: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Self { frames: 200, frame_kb: 16, total_mb: 64, lease_s: 60.0 }
    }
}

impl Limits {
    fn check(&self) -> Result<(), InspectorError> {
        let within = |name, got: f64, min: f64, max: f64| {
            if got.is_finite() && got >= min && got <= max {
                Ok(())
            } else {
                Err(InspectorError::Limit { name, min, max, got })
            }
        };
        within("frames", self.frames as f64, 1.0, 10_000.0)?;
        within("frameKB", self.frame_kb as f64, 1.0, 1024.0)?;
        within("totalMB", self.total_mb as f64, 1.0, 4096.0)?;
        within("leaseS", self.lease_s, 1.0, 86_400.0)
    }
}

/// The limits in force, read on the recording path only.
struct Settings {
    frames: AtomicUsize,
    frame_bytes: AtomicUsize,
    total_bytes: AtomicUsize,
    lease_ms: AtomicU64,
}

static SETTINGS: Settings = Settings {
    frames: AtomicUsize::new(200),
    frame_bytes: AtomicUsize::new(16 * 1024),
    total_bytes: AtomicUsize::new(64 << 20),
    lease_ms: AtomicU64::new(60_000),
};

/// Sets the limits from JSON (`{"frames","frameKB","totalMB","leaseS"}`, any
/// of them); a bad value changes nothing. Rings already longer shrink as
/// their stations' next frames come.
pub fn set_limits(json: &str) -> Result<Limits, InspectorError> {
    let limits: Limits = serde_json::from_str(json).map_err(|e| InspectorError::Settings(e.to_string()))?;
    limits.check()?;
    SETTINGS.frames.store(limits.frames, Ordering::Relaxed);
    SETTINGS.frame_bytes.store(limits.frame_kb * 1024, Ordering::Relaxed);
    SETTINGS.total_bytes.store(limits.total_mb << 20, Ordering::Relaxed);
    SETTINGS.lease_ms.store((limits.lease_s * 1000.0) as u64, Ordering::Relaxed);
    Ok(limits)
}

fn limits() -> Limits {
    Limits {
        frames: SETTINGS.frames.load(Ordering::Relaxed),
        frame_kb: SETTINGS.frame_bytes.load(Ordering::Relaxed) / 1024,
        total_mb: SETTINGS.total_bytes.load(Ordering::Relaxed) >> 20,
        lease_s: SETTINGS.lease_ms.load(Ordering::Relaxed) as f64 / 1000.0,
    }
}

/// The sidebar's switch: every station records.
static ALL: AtomicBool = AtomicBool::new(false);
/// Bytes held by all rings (see [`Frame::cost`]).
static RING_BYTES: Budget = Budget(AtomicUsize::new(0));

/// Bytes held by a set of rings: all of them, or a test's own.
struct Budget(AtomicUsize);

impl Budget {
    fn used(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }
}
static NEXT_KEY: AtomicU64 = AtomicU64::new(1);

/// A recording that does not lapse (the switch is on).
const FOREVER: u64 = u64::MAX;

/// Connected stations by id, as the registry has them (the newest connection
/// with an id wins), and the ids gone since the sidebar last asked.
#[derive(Default)]
struct Table {
    watches: HashMap<Arc<str>, Arc<Watch>>,
    gone: Vec<Arc<str>>,
    /// `gone` overflowed: the reader must fetch the whole list again.
    resync: bool,
}

static TABLE: LazyLock<Mutex<Table>> = LazyLock::new(Default::default);

/// Ids of departed stations kept for the sidebar's next look; past this it
/// is told to read the whole list again.
const MAX_GONE: usize = 10_000;

/// An OCPP-J frame's message type, as far as its first bytes tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Kind {
    Call,
    CallResult,
    CallError,
    CallResultError,
    Send,
    /// Not a frame the station may send (it got a CALLERROR for it).
    #[default]
    Unreadable,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Call => "CALL",
            Kind::CallResult => "CALLRESULT",
            Kind::CallError => "CALLERROR",
            Kind::CallResultError => "CALLRESULTERROR",
            Kind::Send => "SEND",
            Kind::Unreadable => "unreadable",
        }
    }

    /// Starts an exchange (and names its action).
    fn starts(self) -> bool {
        matches!(self, Kind::Call | Kind::Send)
    }

    fn is_error(self) -> bool {
        matches!(self, Kind::CallError | Kind::CallResultError | Kind::Unreadable)
    }
}

/// The start of a frame: `[<type>,"<id>"` and, for a CALL or SEND, `,"<action>"`.
/// Read without parsing the rest: the frame was parsed already (or refused)
/// by the link; this only labels it.
#[derive(Debug, Default, PartialEq)]
struct Head<'a> {
    kind: Kind,
    id: Option<&'a str>,
    action: Option<&'a str>,
}

impl<'a> Head<'a> {
    fn read(text: &'a str) -> Self {
        Self::try_read(text).unwrap_or_default()
    }

    fn try_read(text: &'a str) -> Option<Self> {
        let rest = text.trim_start().strip_prefix('[')?.trim_start();
        let kind = match rest.as_bytes() {
            [b'2', next, ..] if !next.is_ascii_digit() => Kind::Call,
            [b'3', next, ..] if !next.is_ascii_digit() => Kind::CallResult,
            [b'4', next, ..] if !next.is_ascii_digit() => Kind::CallError,
            [b'5', next, ..] if !next.is_ascii_digit() => Kind::CallResultError,
            [b'6', next, ..] if !next.is_ascii_digit() => Kind::Send,
            _ => return None,
        };
        let (id, rest) = next_string(&rest[1..])?;
        let action = if kind.starts() { next_string(rest).map(|(a, _)| a) } else { None };
        Some(Self { kind, id: Some(id), action })
    }
}

/// `, "<text>"` at the start of `s`: the text (when it has no escapes) and what follows.
fn next_string(s: &str) -> Option<(&str, &str)> {
    let s = s.trim_start().strip_prefix(',')?.trim_start().strip_prefix('"')?;
    let end = s.find(['"', '\\'])?;
    (s.as_bytes()[end] == b'"').then(|| (&s[..end], &s[end + 1..]))
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character.
fn prefix(s: &str, max: usize) -> &str {
    let mut end = max.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// An action name kept inline, so the counters allocate nothing per frame.
/// OCPP's longest is 33 bytes; a longer one is cut.
#[derive(Clone, Copy)]
struct Name {
    len: u8,
    bytes: [u8; NAME_MAX],
}

const NAME_MAX: usize = 40;

impl Default for Name {
    fn default() -> Self {
        Self { len: 0, bytes: [0; NAME_MAX] }
    }
}

impl Name {
    fn set(&mut self, s: &str) {
        let s = prefix(s, NAME_MAX);
        self.bytes[..s.len()].copy_from_slice(s.as_bytes());
        self.len = s.len() as u8;
    }

    fn get(&self) -> Option<&str> {
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).ok().filter(|s| !s.is_empty())
    }
}

/// The last frame seen, either way.
#[derive(Clone, Copy)]
struct Last {
    at: u64,
    kind: Kind,
    ours: bool,
}

/// A station's counters.
#[derive(Default)]
struct Stats {
    calls_in: u64,
    calls_out: u64,
    errors: u64,
    last: Option<Last>,
    /// The action of the last CALL (or SEND) each way: an answer is labelled
    /// with the other way's, as OCPP-J allows one CALL in flight per direction.
    call_in: Name,
    call_out: Name,
    /// What the last `SetChargeLimit` read back, per EVSE (0: the whole
    /// station), sorted by EVSE; at most [`MAX_CHARGE_LIMITS`].
    charge_limits: Vec<ChargeLimitEntry>,
    /// Changed since the sidebar's last look.
    dirty: bool,
}

impl Stats {
    fn note(&mut self, ours: bool, head: &Head<'_>, now: u64) {
        if head.kind.starts() {
            let (count, name) =
                if ours { (&mut self.calls_out, &mut self.call_out) } else { (&mut self.calls_in, &mut self.call_in) };
            *count += 1;
            name.set(head.action.unwrap_or(""));
        } else if head.kind.is_error() {
            self.errors += 1;
        }
        self.last = Some(Last { at: now, kind: head.kind, ours });
        self.dirty = true;
    }

    /// The action a frame of `kind` sent by us (`ours`) or the station belongs to.
    fn action_of(&self, kind: Kind, ours: bool) -> Option<&str> {
        match (kind, ours) {
            (Kind::Unreadable, _) => None,
            (k, true) if k.starts() => self.call_out.get(),
            (k, false) if k.starts() => self.call_in.get(),
            (_, true) => self.call_in.get(),
            (_, false) => self.call_out.get(),
        }
    }
}

/// One frame kept for the inspector.
struct Frame {
    seq: u64,
    at: u64,
    ours: bool,
    kind: Kind,
    /// For an answer, its CALL's (found in the ring by id).
    action: Option<Arc<str>>,
    /// Where the message id lies in `text`.
    id: Option<(u32, u32)>,
    /// The text, cut to `frameKB`.
    text: Box<str>,
    /// The whole frame's length in bytes.
    size: usize,
}

impl Frame {
    /// Bytes this frame holds: itself, its text, and its action's allocation
    /// (counted by each frame that shares it, so the count errs high).
    fn cost(&self) -> usize {
        std::mem::size_of::<Frame>() + self.text.len() + self.action.as_ref().map_or(0, |a| a.len() + 16)
    }

    fn id(&self) -> Option<&str> {
        self.id.and_then(|(at, len)| self.text.get(at as usize..(at + len) as usize))
    }
}

/// A station's last frames, oldest first.
struct Ring {
    frames: VecDeque<Frame>,
    bytes: usize,
    next_seq: u64,
    /// Frames not kept because all rings together were full.
    skipped: u64,
    budget: &'static Budget,
}

impl Ring {
    fn new(budget: &'static Budget) -> Self {
        Self { frames: VecDeque::new(), bytes: 0, next_seq: 0, skipped: 0, budget }
    }

    fn push(&mut self, frame: Frame, max_frames: usize, total_max: usize) {
        let cost = frame.cost();
        while self.frames.len() >= max_frames {
            self.evict();
        }
        while self.budget.used() + cost > total_max && !self.frames.is_empty() {
            self.evict();
        }
        if self.budget.used() + cost > total_max {
            self.skipped += 1;
            return;
        }
        self.budget.0.fetch_add(cost, Ordering::Relaxed);
        self.bytes += cost;
        self.frames.push_back(frame);
    }

    fn evict(&mut self) {
        if let Some(old) = self.frames.pop_front() {
            let cost = old.cost();
            self.bytes -= cost;
            self.budget.0.fetch_sub(cost, Ordering::Relaxed);
        }
    }

    /// The action of the CALL the other side sent with this id, if still kept.
    fn call_action(&self, id: &str, answer_ours: bool) -> Option<Arc<str>> {
        self.frames
            .iter()
            .rev()
            .find(|f| f.kind == Kind::Call && f.ours != answer_ours && f.id() == Some(id))
            .and_then(|f| f.action.clone())
    }
}

impl Drop for Ring {
    fn drop(&mut self) {
        self.budget.0.fetch_sub(self.bytes, Ordering::Relaxed);
    }
}

/// One connected station as the sidebar sees it. Its connection task owns
/// it through a [`Watched`] and reports every frame with [`Watch::frame`].
pub struct Watch {
    cb_id: Arc<str>,
    node_id: Arc<str>,
    version: OcppVersion,
    since: u64,
    key: u64,
    stats: Mutex<Stats>,
    /// 0: not recording; else recording until this time (ms), [`FOREVER`] with the switch on.
    until: AtomicU64,
    ring: Mutex<Option<Box<Ring>>>,
}

impl Watch {
    /// Whether frames may be kept for the sidebar (a lease, maybe just
    /// ended): one atomic load and no clock, so the link can skip work on
    /// frames nobody will see.
    pub fn may_record(&self) -> bool {
        self.until.load(Ordering::Relaxed) != 0
    }

    /// A frame sent (`ours`) or received.
    pub fn frame(&self, ours: bool, text: &str) {
        self.seen(ours, &Head::read(text), text);
    }

    /// A frame from the station that the link refused as malformed.
    pub fn malformed(&self, text: &str) {
        self.seen(false, &Head::default(), text);
    }

    fn seen(&self, ours: bool, head: &Head<'_>, text: &str) {
        let now = now_ms();
        lock(&self.stats).note(ours, head, now);
        let until = self.until.load(Ordering::Relaxed);
        if until != 0 {
            self.record(until, now, ours, head, text);
        }
    }

    fn record(&self, until: u64, now: u64, ours: bool, head: &Head<'_>, text: &str) {
        if now >= until {
            if self.until.compare_exchange(until, 0, Ordering::Relaxed, Ordering::Relaxed).is_ok() {
                self.drop_ring();
            }
            return;
        }
        let mut ring = lock(&self.ring);
        // Looked at again under the ring's lock: a stop in between has taken
        // the ring away, and must not find a new one made after it.
        if self.until.load(Ordering::Relaxed) == 0 {
            return;
        }
        let ring = ring.get_or_insert_with(|| Box::new(Ring::new(&RING_BYTES)));
        let kept = prefix(text, SETTINGS.frame_bytes.load(Ordering::Relaxed));
        let id = head.id.and_then(|id| {
            let at = id.as_ptr() as usize - text.as_ptr() as usize;
            (at + id.len() <= kept.len()).then_some((at as u32, id.len() as u32))
        });
        let action = match (head.kind.starts(), head.action, head.id) {
            (true, Some(action), _) => Some(Arc::from(action)),
            (false, _, Some(id)) if head.kind != Kind::Unreadable => ring.call_action(id, ours),
            _ => None,
        };
        let seq = ring.next_seq;
        ring.next_seq += 1;
        let frame = Frame { seq, at: now, ours, kind: head.kind, action, id, text: kept.into(), size: text.len() };
        ring.push(frame, SETTINGS.frames.load(Ordering::Relaxed), SETTINGS.total_bytes.load(Ordering::Relaxed));
    }

    /// Records until the lease ends (renewing it), unless the switch records already.
    fn lease(&self, now: u64) {
        let until = now.saturating_add(SETTINGS.lease_ms.load(Ordering::Relaxed));
        let before = self.until.load(Ordering::Relaxed);
        if before != FOREVER {
            self.until.store(until, Ordering::Relaxed);
        }
        if before == 0 {
            lock(&self.stats).dirty = true;
        }
    }

    fn stop(&self) {
        if self.until.swap(0, Ordering::Relaxed) != 0 {
            self.drop_ring();
            lock(&self.stats).dirty = true;
        }
    }

    fn drop_ring(&self) {
        let ring = lock(&self.ring).take();
        drop(ring);
    }

    /// Stops a recording whose lease ran out. The next frame would (see
    /// `record`); this frees the ring of a station that stays silent.
    fn lapse(&self, now: u64) {
        let until = self.until.load(Ordering::Relaxed);
        if until != 0 && until != FOREVER && now >= until {
            self.stop();
        }
    }

    fn recording(&self, now: u64) -> bool {
        let until = self.until.load(Ordering::Relaxed);
        until != 0 && now < until
    }

    fn entry(&self, now: u64) -> StationEntry {
        let (frames, ring_bytes) = lock(&self.ring).as_ref().map_or((0, 0), |r| (r.frames.len(), r.bytes));
        let stats = lock(&self.stats);
        StationEntry {
            id: self.cb_id.to_string(),
            version: self.version.label(),
            node: self.node_id.to_string(),
            since: self.since,
            calls_in: stats.calls_in,
            calls_out: stats.calls_out,
            errors: stats.errors,
            last: stats.last.map(|l| LastEntry {
                at: l.at,
                kind: l.kind.label(),
                dir: direction(l.ours),
                action: stats.action_of(l.kind, l.ours).map(str::to_owned),
            }),
            recording: self.recording(now),
            frames,
            ring_bytes,
            charge_limits: stats.charge_limits.clone(),
        }
    }
}

fn direction(ours: bool) -> &'static str {
    if ours {
        "out"
    } else {
        "in"
    }
}

/// A connection's hold on its [`Watch`]: listed while it lives.
pub struct Watched(Arc<Watch>);

impl Watched {
    /// Lists a station that just connected to the `CS server` node `node_id`;
    /// it replaces an older connection with the same id, as in the registry.
    pub fn open(cb_id: Arc<str>, node_id: Arc<str>, version: OcppVersion) -> Self {
        let all = ALL.load(Ordering::Relaxed);
        let watch = Arc::new(Watch {
            cb_id: cb_id.clone(),
            node_id,
            version,
            since: now_ms(),
            key: NEXT_KEY.fetch_add(1, Ordering::Relaxed),
            stats: Mutex::new(Stats { dirty: true, ..Default::default() }),
            until: AtomicU64::new(if all { FOREVER } else { 0 }),
            ring: Mutex::new(None),
        });
        lock(&TABLE).watches.insert(cb_id, watch.clone());
        Self(watch)
    }
}

impl std::ops::Deref for Watched {
    type Target = Watch;
    fn deref(&self) -> &Watch {
        &self.0
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        let mut table = lock(&TABLE);
        if table.watches.get(&self.0.cb_id).is_some_and(|w| w.key == self.0.key) {
            table.watches.remove(&self.0.cb_id);
            if table.gone.len() >= MAX_GONE {
                table.gone.clear();
                table.resync = true;
            }
            if !table.resync {
                table.gone.push(self.0.cb_id.clone());
            }
        }
    }
}

/// One station in the sidebar's list (`GET /ocpp/stations`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StationEntry {
    pub id: String,
    pub version: &'static str,
    /// The `CS server` node it is connected to.
    pub node: String,
    /// Connected since (ms since the epoch).
    pub since: u64,
    /// CALLs and SENDs from the station, and CALLs to it.
    pub calls_in: u64,
    pub calls_out: u64,
    /// CALLERRORs and CALLRESULTERRORs either way, and frames refused as unreadable.
    pub errors: u64,
    pub last: Option<LastEntry>,
    pub recording: bool,
    pub frames: usize,
    pub ring_bytes: usize,
    /// The charge limits `SetChargeLimit` set on this connection and read
    /// back, per EVSE; a `ClearChargeLimit` removes its EVSE's.
    pub charge_limits: Vec<ChargeLimitEntry>,
}

/// A station's effective charge limit on one EVSE, as the charge-limit
/// helper read it back (GetCompositeSchedule) after setting it.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ChargeLimitEntry {
    pub evse_id: u32,
    /// `None`: the station accepted the profile but gave no composite schedule.
    pub limit: Option<f64>,
    pub unit: &'static str,
    /// The profile's purpose, in the station's version's words.
    pub purpose: &'static str,
    /// When it was read back (ms since the epoch).
    pub at: u64,
}

/// EVSEs whose limit a station's entry keeps; the lowest ids stay (as many as
/// `cs/transactions.rs` tracks per station).
const MAX_CHARGE_LIMITS: usize = 64;

/// Sets (`Some`) or forgets (`None`) the effective limit shown for `evse_id`
/// of the station connected as `cb_id` (`cs/charge_limit.rs` calls it after
/// a read-back or a clear). Nothing happens when the station is not listed.
pub fn note_charge_limit(cb_id: &str, evse_id: u32, limit: Option<ChargeLimitEntry>) {
    let Some(watch) = find(cb_id) else { return };
    let mut stats = lock(&watch.stats);
    put_charge_limit(&mut stats.charge_limits, evse_id, limit);
    stats.dirty = true;
}

/// The list kept sorted by EVSE, one entry each, bounded.
fn put_charge_limit(list: &mut Vec<ChargeLimitEntry>, evse_id: u32, limit: Option<ChargeLimitEntry>) {
    let at = list.binary_search_by_key(&evse_id, |e| e.evse_id);
    match (at, limit) {
        (Ok(i), Some(entry)) => list[i] = entry,
        (Ok(i), None) => {
            list.remove(i);
        }
        (Err(i), Some(entry)) if i < MAX_CHARGE_LIMITS => {
            list.insert(i, entry);
            list.truncate(MAX_CHARGE_LIMITS);
        }
        (Err(_), _) => {}
    }
}

#[derive(Debug, Serialize)]
pub struct LastEntry {
    pub at: u64,
    pub kind: &'static str,
    pub dir: &'static str,
    pub action: Option<String>,
}

fn snapshot() -> Vec<Arc<Watch>> {
    lock(&TABLE).watches.values().cloned().collect()
}

fn find(cb_id: &str) -> Option<Arc<Watch>> {
    lock(&TABLE).watches.get(cb_id).cloned()
}

/// Every connected OCPP-J station, by id.
pub fn stations() -> Vec<StationEntry> {
    let now = now_ms();
    let mut list: Vec<StationEntry> = snapshot()
        .iter()
        .map(|w| {
            w.lapse(now);
            w.entry(now)
        })
        .collect();
    list.sort_by(|a, b| a.id.cmp(&b.id));
    list
}

/// What changed since the last call, for the sidebar's live updates.
#[derive(Debug, Serialize)]
pub struct Changes {
    /// Stations new or changed, at most the `limit` asked for.
    pub changed: Vec<StationEntry>,
    /// Ids that left; applied before `changed` (an id may leave and come back).
    pub gone: Vec<String>,
    /// More changed stations wait for the next call.
    pub more: bool,
    /// Departures were too many to list: read the whole list again.
    pub resync: bool,
}

/// Stations changed since the last call (each reported once), and the ids
/// gone. Meant for one reader per process: the admin API's live updates.
pub fn changes(limit: usize) -> Changes {
    let now = now_ms();
    let (watches, gone, resync) = {
        let mut table = lock(&TABLE);
        let gone = std::mem::take(&mut table.gone);
        let resync = std::mem::take(&mut table.resync);
        (table.watches.values().cloned().collect::<Vec<_>>(), gone, resync)
    };
    let mut changed = Vec::new();
    let mut more = false;
    for watch in watches {
        watch.lapse(now);
        if !lock(&watch.stats).dirty {
            continue;
        }
        if changed.len() >= limit {
            more = true;
            break;
        }
        // Read before clearing: a frame in between marks it again.
        lock(&watch.stats).dirty = false;
        changed.push(watch.entry(now));
    }
    Changes { changed, gone: gone.iter().map(|g| g.to_string()).collect(), more, resync }
}

/// One frame as the inspector shows it.
#[derive(Debug, Serialize)]
pub struct FrameEntry {
    pub seq: u64,
    pub at: u64,
    pub dir: &'static str,
    pub kind: &'static str,
    pub action: Option<String>,
    /// The whole frame's length in bytes; `text` holds at most `frameKB` of it.
    pub size: usize,
    pub truncated: bool,
    pub text: String,
}

/// A station's frames, newest first.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FramesView {
    pub id: String,
    pub recording: bool,
    /// Recording lapses at this time unless read again (absent: the switch is on).
    pub until: Option<u64>,
    pub frames: Vec<FrameEntry>,
    /// Bytes this station's ring holds, and all rings.
    pub ring_bytes: usize,
    pub total_bytes: usize,
    pub skipped: u64,
    pub limits: Limits,
}

/// The station's frames newer than `after` (all of them without), newest
/// first; with `renew`, starts or renews its recording first (a change of
/// state, which the admin API lets only users with `ocpp.write` ask for).
/// `None` when it is not connected.
pub fn frames(cb_id: &str, after: Option<u64>, renew: bool) -> Option<FramesView> {
    let watch = find(cb_id)?;
    if renew {
        watch.lease(now_ms());
    }
    let until = watch.until.load(Ordering::Relaxed);
    let ring = lock(&watch.ring);
    let (frames, ring_bytes, skipped) = ring.as_ref().map_or((Vec::new(), 0, 0), |r| {
        let frames = r
            .frames
            .iter()
            .rev()
            .take_while(|f| after.is_none_or(|a| f.seq > a))
            .map(|f| FrameEntry {
                seq: f.seq,
                at: f.at,
                dir: direction(f.ours),
                kind: f.kind.label(),
                action: f.action.as_deref().map(str::to_owned),
                size: f.size,
                truncated: f.text.len() < f.size,
                text: f.text.to_string(),
            })
            .collect();
        (frames, r.bytes, r.skipped)
    });
    Some(FramesView {
        id: cb_id.to_owned(),
        recording: until != 0,
        until: (until != FOREVER && until != 0).then_some(until),
        frames,
        ring_bytes,
        total_bytes: RING_BYTES.used(),
        skipped,
        limits: limits(),
    })
}

/// Turns recording on or off: for one station (`Some`; false when it is
/// not connected), or the switch for all (`None`). Off frees the frames.
pub fn set_recording(cb_id: Option<&str>, on: bool) -> bool {
    match cb_id {
        Some(id) => {
            let Some(watch) = find(id) else { return false };
            if on {
                watch.lease(now_ms());
            } else if !ALL.load(Ordering::Relaxed) {
                watch.stop();
            }
            true
        }
        None => {
            ALL.store(on, Ordering::Relaxed);
            for watch in snapshot() {
                if on {
                    watch.until.store(FOREVER, Ordering::Relaxed);
                    lock(&watch.stats).dirty = true;
                } else {
                    watch.stop();
                }
            }
            true
        }
    }
}

/// The inspector as a whole (`GET /ocpp/inspector`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    pub all: bool,
    pub stations: usize,
    pub recording: usize,
    pub total_bytes: usize,
    pub limits: Limits,
}

pub fn status() -> Status {
    let now = now_ms();
    let watches = snapshot();
    Status {
        all: ALL.load(Ordering::Relaxed),
        stations: watches.len(),
        recording: watches.iter().filter(|w| w.recording(now)).count(),
        total_bytes: RING_BYTES.used(),
        limits: limits(),
    }
}

/// The actions of `version` (a label such as "1.6j" or "2.0.1") a Central
/// System sends to a station, and those a station sends; and the commands in
/// the other version's words the station can be sent, translated (`words`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Actions {
    pub version: &'static str,
    pub to_station: Vec<&'static str>,
    pub from_station: Vec<&'static str>,
    pub other_words: Vec<&'static str>,
}

pub fn actions(version: &str) -> Option<Actions> {
    let version = OcppVersion::from_label(version)?;
    let (from_station, to_station) =
        crate::schema::actions(version).into_iter().partition(|a| crate::schema::station_sends(version, a));
    let mut to_station: Vec<&'static str> = to_station;
    // DataTransfer goes both ways.
    if crate::schema::knows_action(version, "DataTransfer") {
        to_station.push("DataTransfer");
        to_station.sort_unstable();
    }
    Some(Actions {
        version: version.label(),
        to_station,
        from_station,
        other_words: super::words::other_words(version),
    })
}

/// The CALL form's starting payload for `action` in `version`: its required
/// fields, the enum values offered, the optional fields' names
/// (`schema::request_template`); `now` fills date-times.
pub fn action_template(version: &str, action: &str, now: &str) -> Result<crate::schema::Template, String> {
    let v = OcppVersion::from_label(version).ok_or_else(|| unknown_version(version))?;
    crate::schema::request_template(v, action, now)
}

/// Whether the CALL form's payload matches `action`'s request schema in
/// `version`; `Err` names the field and what is wrong, for the form to show.
pub fn check_request(version: &str, action: &str, payload: &str) -> Result<(), String> {
    let v = OcppVersion::from_label(version).ok_or_else(|| unknown_version(version))?;
    crate::schema::check_schema(v, action, crate::schema::Direction::Request, payload)
}

/// Whether a Central System sends `action` in any OCPP-J version: with
/// commands written in either version's words (a 1.6 name to a 2.0.1
/// station), that is what makes an action known to the CALL API.
pub fn sent_in_any_version(action: &str) -> bool {
    OcppVersion::ALL.iter().any(|v| actions(v.label()).is_some_and(|a| a.to_station.contains(&action)))
}

fn unknown_version(version: &str) -> String {
    format!("unknown OCPP-J version {version:?}; use 1.6j, 2.0.1 or 2.1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charge_limits_one_per_evse_sorted_and_bounded() {
        let entry = |evse_id, limit| ChargeLimitEntry {
            evse_id,
            limit: Some(limit),
            unit: "A",
            purpose: "TxDefaultProfile",
            at: 1,
        };
        let mut list = Vec::new();
        put_charge_limit(&mut list, 2, Some(entry(2, 10.0)));
        put_charge_limit(&mut list, 0, Some(entry(0, 16.0)));
        put_charge_limit(&mut list, 2, Some(entry(2, 6.0)));
        assert_eq!(list.iter().map(|e| (e.evse_id, e.limit)).collect::<Vec<_>>(), [(0, Some(16.0)), (2, Some(6.0))]);
        put_charge_limit(&mut list, 0, None);
        put_charge_limit(&mut list, 7, None);
        assert_eq!(list.iter().map(|e| e.evse_id).collect::<Vec<_>>(), [2]);
        for evse in 100..300 {
            put_charge_limit(&mut list, evse, Some(entry(evse, 1.0)));
        }
        assert_eq!(list.len(), MAX_CHARGE_LIMITS);
        put_charge_limit(&mut list, 1, Some(entry(1, 1.0)));
        assert_eq!(
            (list.len(), list[0].evse_id, list[1].evse_id),
            (MAX_CHARGE_LIMITS, 1, 2),
            "a lower EVSE id displaces the highest"
        );
    }

    #[test]
    fn actions_are_known_when_some_version_sends_them() {
        assert!(sent_in_any_version("Reset"));
        assert!(sent_in_any_version("RemoteStartTransaction"));
        assert!(sent_in_any_version("RequestStartTransaction"));
        assert!(sent_in_any_version("DataTransfer"));
        assert!(!sent_in_any_version("Rest"));
        // A station's own request is not one the Central System sends.
        assert!(!sent_in_any_version("BootNotification"));
        assert!(check_request("1.6j", "Reset", r#"{"type":"Soft"}"#).is_ok());
        let err = check_request("1.6j", "Reset", "{}").unwrap_err();
        assert!(err.contains("type"), "{err}");
        assert!(action_template("9.9", "Reset", "").is_err());
    }

    #[test]
    fn heads_are_read_from_the_first_bytes() {
        let h = Head::read(r#"[2,"19223201","BootNotification",{"a":1}]"#);
        assert_eq!((h.kind, h.id, h.action), (Kind::Call, Some("19223201"), Some("BootNotification")));
        let h = Head::read(" [ 3 , \"7\" ,{}]");
        assert_eq!((h.kind, h.id, h.action), (Kind::CallResult, Some("7"), None));
        let h = Head::read(r#"[6,"s1","NotifyPeriodicEventStream",{}]"#);
        assert_eq!((h.kind, h.action), (Kind::Send, Some("NotifyPeriodicEventStream")));
        assert_eq!(Head::read(r#"[4,"-1","FormationViolation","x",{}]"#).kind, Kind::CallError);
        for bad in ["", "{}", "[", "[22,\"1\"]", "[2,1,\"Heartbeat\",{}]", "[2,\"a\\\"b\",\"X\",{}]", "[7,\"1\",{}]"] {
            assert_eq!(Head::read(bad).kind, Kind::Unreadable, "{bad}");
        }
    }

    #[test]
    fn names_are_cut_on_a_character() {
        let mut n = Name::default();
        assert_eq!(n.get(), None);
        n.set("Heartbeat");
        assert_eq!(n.get(), Some("Heartbeat"));
        n.set(&"é".repeat(30));
        assert_eq!(n.get().map(str::len), Some(40));
    }

    #[test]
    fn counters_label_answers_with_the_call_they_answer() {
        let mut s = Stats::default();
        s.note(false, &Head::read(r#"[2,"1","Heartbeat",{}]"#), 1);
        s.note(true, &Head::read(r#"[3,"1",{}]"#), 2);
        s.note(true, &Head::read(r#"[2,"a","Reset",{}]"#), 3);
        s.note(false, &Head::read(r#"[4,"a","NotSupported","",{}]"#), 4);
        assert_eq!((s.calls_in, s.calls_out, s.errors), (1, 1, 1));
        let last = s.last.unwrap();
        assert_eq!((last.at, last.kind, last.ours), (4, Kind::CallError, false));
        assert_eq!(s.action_of(last.kind, last.ours), Some("Reset"));
        assert_eq!(s.action_of(Kind::CallResult, true), Some("Heartbeat"));
        s.note(false, &Head::read("not json"), 5);
        assert_eq!(s.errors, 2);
        assert_eq!(s.action_of(Kind::Unreadable, false), None);
    }

    /// A watch outside the table, for the ring's rules.
    fn watch(until: u64) -> Watch {
        Watch {
            cb_id: "T".into(),
            node_id: "n".into(),
            version: OcppVersion::V16,
            since: 0,
            key: 0,
            stats: Mutex::default(),
            until: AtomicU64::new(until),
            ring: Mutex::new(None),
        }
    }

    fn texts(w: &Watch) -> Vec<String> {
        lock(&w.ring).as_ref().map_or(Vec::new(), |r| r.frames.iter().map(|f| f.text.to_string()).collect())
    }

    #[test]
    fn off_keeps_no_frame_and_on_keeps_the_newest_bounded() {
        let off = watch(0);
        off.frame(false, r#"[2,"1","Heartbeat",{}]"#);
        assert!(lock(&off.ring).is_none(), "no ring while off");
        assert_eq!(lock(&off.stats).calls_in, 1, "the counters still count");

        let on = watch(FOREVER);
        let limit = SETTINGS.frames.load(Ordering::Relaxed);
        for i in 0..limit + 50 {
            on.frame(false, &format!(r#"[2,"{i}","Heartbeat",{{}}]"#));
        }
        let kept = texts(&on);
        assert_eq!(kept.len(), limit);
        assert_eq!(kept.last().unwrap(), &format!(r#"[2,"{}","Heartbeat",{{}}]"#, limit + 49), "the newest stay");
        let ring_bytes = lock(&on.ring).as_ref().unwrap().bytes;
        assert_eq!(ring_bytes, lock(&on.ring).as_ref().unwrap().frames.iter().map(Frame::cost).sum::<usize>());
        on.stop();
        assert!(lock(&on.ring).is_none(), "stopping frees the frames");
    }

    #[test]
    fn a_long_frame_is_cut_and_marked_and_answers_get_their_calls_action() {
        let w = watch(FOREVER);
        let cap = SETTINGS.frame_bytes.load(Ordering::Relaxed);
        let big = format!(r#"[2,"big","DataTransfer",{{"data":"{}"}}]"#, "x".repeat(cap * 2));
        w.frame(false, &big);
        w.frame(true, r#"[3,"big",{"status":"Accepted"}]"#);
        w.frame(true, r#"[3,"nobody",{}]"#);
        let ring = lock(&w.ring);
        let ring = ring.as_ref().unwrap();
        let f = &ring.frames[0];
        assert_eq!((f.text.len(), f.size), (cap, big.len()));
        assert_eq!(f.id(), Some("big"));
        assert_eq!(ring.frames[1].action.as_deref(), Some("DataTransfer"));
        assert_eq!(ring.frames[2].action, None, "an answer to nothing kept has no action");
    }

    #[test]
    fn a_lapsed_lease_stops_recording_at_the_next_frame() {
        let w = watch(now_ms() + 60_000);
        w.frame(false, r#"[2,"1","Heartbeat",{}]"#);
        assert_eq!(texts(&w).len(), 1);
        w.until.store(1, Ordering::Relaxed);
        w.frame(false, r#"[2,"2","Heartbeat",{}]"#);
        assert_eq!(w.until.load(Ordering::Relaxed), 0);
        assert!(lock(&w.ring).is_none());
        // A silent station's ring goes when the sidebar next looks.
        w.lease(now_ms());
        w.frame(false, r#"[2,"3","Heartbeat",{}]"#);
        w.until.store(1, Ordering::Relaxed);
        w.lapse(now_ms());
        assert!(lock(&w.ring).is_none() && w.until.load(Ordering::Relaxed) == 0);
    }

    #[test]
    fn a_full_total_makes_a_station_drop_its_own_oldest_or_skip() {
        let budget: &'static Budget = Box::leak(Box::new(Budget(AtomicUsize::new(0))));
        let mut ring = Ring::new(budget);
        let frame = |seq| Frame {
            seq,
            at: 0,
            ours: false,
            kind: Kind::Call,
            action: None,
            id: None,
            text: "x".repeat(100).into(),
            size: 100,
        };
        let cost = frame(0).cost();
        for seq in 0..5 {
            ring.push(frame(seq), 200, 3 * cost);
        }
        assert_eq!(ring.frames.iter().map(|f| f.seq).collect::<Vec<_>>(), [2, 3, 4]);
        assert_eq!(budget.used(), 3 * cost);
        let mut other = Ring::new(budget);
        other.push(frame(9), 200, 3 * cost);
        assert_eq!((other.frames.len(), other.skipped), (0, 1), "an empty ring cannot make room");
        drop(ring);
        assert_eq!(budget.used(), 0, "a ring gives its bytes back when dropped");
    }

    #[test]
    fn limits_are_checked() {
        assert!(set_limits(r#"{"frames":0}"#).unwrap_err().to_string().contains("ocppInspector.frames must be"));
        assert!(set_limits(r#"{"leaseS":-1}"#).is_err());
        assert!(set_limits(r#"{"frames":"x"}"#).is_err());
        assert!(set_limits(r#"{"frame":5}"#).unwrap_err().to_string().contains("unknown field"));
        assert_eq!(Limits::default().check().ok(), Some(()));
    }

    #[test]
    fn a_central_system_sends_what_a_station_does_not_and_data_transfer_both() {
        let a = actions("1.6").unwrap();
        assert!(a.to_station.contains(&"Reset") && a.to_station.contains(&"DataTransfer"));
        assert!(a.from_station.contains(&"BootNotification") && a.from_station.contains(&"DataTransfer"));
        assert!(!a.to_station.contains(&"Heartbeat"));
        let a = actions("2.1").unwrap();
        assert!(a.to_station.contains(&"RequestStartTransaction"));
        assert!(a.from_station.contains(&"NotifyPeriodicEventStream"));
        assert!(actions("3.0").is_none());
    }

    /// The per-frame cost of the hook, off and on (docs/BENCHMARKS.md, "Inspector cost").
    #[test]
    #[ignore = "a measurement: cargo test --release --no-default-features --lib frame_cost -- --ignored --nocapture"]
    fn frame_cost() {
        let frames =
            [r#"[2,"19223201","Heartbeat",{}]"#, r#"[3,"19223201",{"currentTime":"2026-11-30T12:00:00.000Z"}]"#];
        let n = 2_000_000;
        for round in 0..3 {
            for (label, until) in [("off", 0), ("on", FOREVER)] {
                let w = watch(until);
                let t = std::time::Instant::now();
                for i in 0..n {
                    w.frame(i % 2 == 1, frames[i % 2]);
                }
                let ns = t.elapsed().as_nanos() as f64 / n as f64;
                println!("round {round}: recording {label}: {ns:.0} ns per frame");
            }
        }
        println!("always kept per station: {} bytes (the Watch in its Arc)", std::mem::size_of::<Watch>() + 16);
    }

    #[test]
    fn a_station_costs_a_few_hundred_bytes_when_nobody_records() {
        // The always-kept part: the Watch in its Arc, and the table's entry.
        let per_station = std::mem::size_of::<Watch>() + 16;
        assert!(per_station <= 256, "{per_station} bytes");
    }
}
