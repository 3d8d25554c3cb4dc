//! Refused handshakes, told to the flow's author: a station that cannot get
//! in (wrong subprotocol, bad credentials, unknown path, over a limit) gets
//! its HTTP answer, and the Node-RED log gets a warning naming the station and
//! the reason, at most one per station (or path) and reason per [`WINDOW`],
//! and at most [`MAX_WARNINGS`] per [`WINDOW`] for the whole server, so
//! neither a station retrying every second nor a flood of made-up ids or
//! paths floods the log. What is remembered is keyed by the reason and the
//! first [`SHOWN_CHARS`] characters of who was refused, so it stays small
//! whatever the requests carry.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

use crate::sync::lock;

/// At most one warning per station and reason in this time.
pub const WINDOW: Duration = Duration::from_secs(60);

/// At most this many warnings per server in a [`WINDOW`]; the refusals held
/// back past it are counted in the next warning (the metrics count every one).
pub const MAX_WARNINGS: u32 = 10;

/// Who was refused (a station's id, a path) is cut to this many characters,
/// in the table and in the warning.
pub const SHOWN_CHARS: usize = 100;

/// The answer's text is cut to this many characters in a warning.
const SHOWN_TEXT_CHARS: usize = 300;

/// Stations remembered; past this, the ones whose window is over are
/// forgotten, then all. Only a warning that goes out adds one, so at most
/// [`MAX_WARNINGS`] a window are added.
const MAX_REMEMBERED: usize = 10_000;

/// What was wrong with a refused handshake; each has its HTTP status, and
/// the metrics count refusals by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// An upgrade on a path no service is at (404).
    UnknownPath,
    /// A malformed handshake: Host, key, charge box id (400).
    BadHandshake,
    /// Not WebSocket version 13 (426).
    WebSocketVersion,
    /// No subprotocol this server speaks (400).
    Subprotocol,
    /// Missing or wrong Basic-auth credentials (401).
    Unauthorized,
    /// `maxConnections` stations are connected already (503).
    MaxConnections,
    /// An upgrade that is not a GET (405, RFC 6455 4.1).
    Method,
    /// An upgrade over HTTP/1.0 (505, RFC 6455 4.1).
    HttpVersion,
    /// A client certificate that names another station (403, security profile 3, `tlsCheckId`).
    CertificateId,
}

impl Reason {
    pub const ALL: [Reason; 9] = [
        Self::UnknownPath,
        Self::BadHandshake,
        Self::WebSocketVersion,
        Self::Subprotocol,
        Self::Unauthorized,
        Self::MaxConnections,
        Self::Method,
        Self::HttpVersion,
        Self::CertificateId,
    ];

    pub fn status(self) -> u16 {
        match self {
            Self::UnknownPath => 404,
            Self::BadHandshake | Self::Subprotocol => 400,
            Self::WebSocketVersion => 426,
            Self::Unauthorized => 401,
            Self::MaxConnections => 503,
            Self::Method => 405,
            Self::HttpVersion => 505,
            Self::CertificateId => 403,
        }
    }

    /// The `reason` label of the refusals counter.
    pub fn label(self) -> &'static str {
        match self {
            Self::UnknownPath => "unknown_path",
            Self::BadHandshake => "bad_handshake",
            Self::WebSocketVersion => "websocket_version",
            Self::Subprotocol => "subprotocol",
            Self::Unauthorized => "unauthorized",
            Self::MaxConnections => "max_connections",
            Self::Method => "method",
            Self::HttpVersion => "http_version",
            Self::CertificateId => "certificate_id",
        }
    }
}

/// Why a handshake was refused: the HTTP answer, and what the log says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub reason: Reason,
    pub status: u16,
    /// The text of the answer, one line ending in a newline.
    pub text: String,
}

impl Refusal {
    pub fn new(reason: Reason, text: impl Into<String>) -> Self {
        Self { reason, status: reason.status(), text: text.into() }
    }
}

/// Per station (or path) and reason: when its last warning went out, and
/// how many refusals were held back since; and the server's overall budget.
#[derive(Default)]
pub struct Refusals {
    table: Mutex<Table>,
}

/// What one warning is about: the reason (none for the file endpoints',
/// which have only a status), the status, and who, cut short.
type Key = (Option<Reason>, u16, String);

#[derive(Default)]
struct Table {
    seen: HashMap<Key, (Instant, u32)>,
    /// Warnings in the current window, when it started, and the refusals
    /// not told because the budget was spent.
    spent: u32,
    since: Option<Instant>,
    unlogged: u64,
}

impl Refusals {
    /// Notes a refused handshake (`who` and the answer it got); returns the
    /// warning to log, if one is due.
    pub fn note_refusal(&self, who: &str, refusal: &Refusal, now: Instant) -> Option<String> {
        self.note_as(Some(refusal.reason), who, refusal.status, &refusal.text, now)
    }

    /// Notes a refusal of `who` with an HTTP status and text (the file
    /// endpoints'); returns the warning to log, if one is due.
    pub fn note(&self, who: &str, status: u16, text: &str, now: Instant) -> Option<String> {
        self.note_as(None, who, status, text, now)
    }

    fn note_as(&self, reason: Option<Reason>, who: &str, status: u16, text: &str, now: Instant) -> Option<String> {
        let mut table = lock(&self.table);
        let key = (reason, status, cut(who, SHOWN_CHARS));
        let held_back = match table.seen.get_mut(&key) {
            Some((last, held)) if now.duration_since(*last) < WINDOW => {
                *held += 1;
                return None;
            }
            Some((_, held)) => std::mem::take(held),
            None => 0,
        };
        if table.since.is_none_or(|since| now.duration_since(since) >= WINDOW) {
            table.since = Some(now);
            table.spent = 0;
        }
        if table.spent >= MAX_WARNINGS {
            table.unlogged += 1;
            return None;
        }
        table.spent += 1;
        let unlogged = std::mem::take(&mut table.unlogged);
        if table.seen.len() >= MAX_REMEMBERED && !table.seen.contains_key(&key) {
            table.seen.retain(|_, (last, _)| now.duration_since(*last) < WINDOW);
            if table.seen.len() >= MAX_REMEMBERED {
                table.seen.clear();
            }
        }
        let text = warning(&key.2, status, text, held_back, unlogged);
        table.seen.insert(key, (now, 0));
        Some(text)
    }

    /// How many stations and paths are remembered (what the table costs is
    /// this times at most [`SHOWN_CHARS`] characters).
    pub fn remembered(&self) -> usize {
        lock(&self.table).seen.len()
    }
}

/// `text` cut to `max` characters, with an ellipsis when cut, and control
/// characters escaped (`\u{a}`): it goes into a log line.
pub fn cut(text: &str, max: usize) -> String {
    let mut shown = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == max {
            shown.push('…');
            break;
        }
        if c.is_control() {
            shown.extend(c.escape_unicode());
        } else {
            shown.push(c);
        }
    }
    shown
}

fn warning(who: &str, status: u16, answer: &str, held_back: u32, unlogged: u64) -> String {
    let mut text = format!("refused {who} (HTTP {status}): {}", cut(answer.trim_end(), SHOWN_TEXT_CHARS));
    if held_back > 0 {
        text.push_str(&format!(" ({held_back} more refusals of it since the last warning)"));
    }
    if unlogged > 0 {
        text.push_str(&format!(
            " ({unlogged} other refusals were not logged: at most {MAX_WARNINGS} warnings a minute; the metrics count them all)"
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_warning_per_station_per_window_with_the_count_held_back() {
        let refusals = Refusals::default();
        let r = Refusal::new(Reason::Subprotocol, "unsupported subprotocol(s) ocpp2.0.1; this server speaks ocpp1.6\n");
        let t0 = Instant::now();
        let note = |who: &str, at: Duration| refusals.note_refusal(who, &r, t0 + at);
        let first = note("station CP1", Duration::ZERO).unwrap();
        assert_eq!(
            first,
            "refused station CP1 (HTTP 400): unsupported subprotocol(s) ocpp2.0.1; this server speaks ocpp1.6"
        );
        assert_eq!(note("station CP1", Duration::from_secs(1)), None);
        assert_eq!(note("station CP1", Duration::from_secs(2)), None);
        assert!(note("station CP2", Duration::from_secs(2)).is_some(), "per station");
        let other = refusals.note_refusal(
            "station CP1",
            &Refusal::new(Reason::Unauthorized, "x\n"),
            t0 + Duration::from_secs(3),
        );
        assert!(other.is_some(), "per reason");
        let later = note("station CP1", WINDOW).unwrap();
        assert!(later.ends_with("(2 more refusals of it since the last warning)"), "{later}");
    }

    #[test]
    fn a_flood_of_unique_paths_gets_a_bounded_number_of_short_warnings_and_entries() {
        let refusals = Refusals::default();
        let r = Refusal::new(Reason::UnknownPath, "No OCPP service here.\n");
        let t0 = Instant::now();
        let long = "p".repeat(65_536);
        let mut told = Vec::new();
        for i in 0..3000 {
            let who = format!("a station at /u{i}/{long}");
            told.extend(refusals.note_refusal(&who, &r, t0 + Duration::from_millis(i)));
        }
        assert_eq!(told.len(), MAX_WARNINGS as usize);
        assert!(told.iter().all(|w| w.chars().count() < 200), "{}", told[0]);
        assert_eq!(refusals.remembered(), MAX_WARNINGS as usize);
        // The next window tells how many were not logged.
        let next = refusals.note_refusal("a station at /again", &r, t0 + WINDOW + WINDOW).unwrap();
        assert!(next.contains("(2990 other refusals were not logged"), "{next}");
    }

    #[test]
    fn who_is_cut_and_escaped() {
        assert_eq!(cut("CP1", 64), "CP1");
        assert_eq!(cut("abcdef", 3), "abc…");
        assert_eq!(cut("CP\n[error] x", 64), "CP\\u{a}[error] x");
    }

    #[test]
    fn the_table_stays_bounded() {
        let refusals = Refusals::default();
        let t0 = Instant::now();
        // One warning a window at most MAX_WARNINGS, so fill it over many windows.
        for i in 0..(MAX_REMEMBERED + 10) {
            let at = t0 + WINDOW * (i as u32 / MAX_WARNINGS) + Duration::from_millis(i as u64 % 10);
            refusals.note(&format!("station {i}"), 401, "x\n", at);
        }
        assert!(refusals.remembered() <= MAX_REMEMBERED);
    }
}
