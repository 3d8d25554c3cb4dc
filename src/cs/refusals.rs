//! Refused handshakes, told to the flow's author: a station that cannot get
//! in (wrong subprotocol, bad credentials, unknown path, over a limit) gets
//! its HTTP answer, and the Node-RED log gets a warning naming the station and
//! the reason, at most one per station per [`WINDOW`], so a station retrying
//! every second does not flood the log.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

use crate::sync::lock;

/// At most one warning per station in this time.
pub const WINDOW: Duration = Duration::from_secs(60);

/// Stations remembered; past this, the oldest are forgotten (a flood of
/// made-up ids must not grow the table).
const MAX_REMEMBERED: usize = 10_000;

/// What was wrong with a refused handshake; each has its HTTP status, and
/// the metrics count refusals by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
}

impl Reason {
    pub const ALL: [Reason; 6] = [
        Self::UnknownPath,
        Self::BadHandshake,
        Self::WebSocketVersion,
        Self::Subprotocol,
        Self::Unauthorized,
        Self::MaxConnections,
    ];

    pub fn status(self) -> u16 {
        match self {
            Self::UnknownPath => 404,
            Self::BadHandshake | Self::Subprotocol => 400,
            Self::WebSocketVersion => 426,
            Self::Unauthorized => 401,
            Self::MaxConnections => 503,
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

/// Per station: when its last warning went out, and how many refusals were
/// held back since.
#[derive(Default)]
pub struct Refusals {
    seen: Mutex<HashMap<String, (Instant, u32)>>,
}

impl Refusals {
    /// Notes a refusal of `who` (the HTTP status and text it got); returns
    /// the warning to log, if one is due.
    pub fn note(&self, who: &str, status: u16, text: &str, now: Instant) -> Option<String> {
        let mut seen = lock(&self.seen);
        if let Some((last, held)) = seen.get_mut(who) {
            if now.duration_since(*last) < WINDOW {
                *held += 1;
                return None;
            }
            let held_back = std::mem::take(held);
            *last = now;
            return Some(warning(who, status, text, held_back));
        }
        if seen.len() >= MAX_REMEMBERED {
            seen.retain(|_, (last, _)| now.duration_since(*last) < WINDOW);
            if seen.len() >= MAX_REMEMBERED {
                seen.clear();
            }
        }
        seen.insert(who.to_owned(), (now, 0));
        Some(warning(who, status, text, 0))
    }
}

fn warning(who: &str, status: u16, answer: &str, held_back: u32) -> String {
    let mut text = format!("refused {who} (HTTP {status}): {}", answer.trim_end());
    if held_back > 0 {
        text.push_str(&format!(" ({held_back} more refusals of it since the last warning)"));
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
        let first = refusals.note("station CP1", r.status, &r.text, t0).unwrap();
        assert_eq!(
            first,
            "refused station CP1 (HTTP 400): unsupported subprotocol(s) ocpp2.0.1; this server speaks ocpp1.6"
        );
        assert_eq!(refusals.note("station CP1", r.status, &r.text, t0 + Duration::from_secs(1)), None);
        assert_eq!(refusals.note("station CP1", r.status, &r.text, t0 + Duration::from_secs(2)), None);
        assert!(refusals.note("station CP2", r.status, &r.text, t0 + Duration::from_secs(2)).is_some(), "per station");
        let later = refusals.note("station CP1", r.status, &r.text, t0 + WINDOW).unwrap();
        assert!(later.ends_with("(2 more refusals of it since the last warning)"), "{later}");
    }

    #[test]
    fn the_table_stays_bounded() {
        let refusals = Refusals::default();
        let r = Refusal::new(Reason::Unauthorized, "x\n");
        let t0 = Instant::now();
        for i in 0..MAX_REMEMBERED + 10 {
            refusals.note(&format!("station {i}"), r.status, &r.text, t0);
        }
        assert!(lock(&refusals.seen).len() <= MAX_REMEMBERED);
    }
}
