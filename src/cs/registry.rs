//! Process-wide tables of stations: which OCPP-J station is connected to
//! which connection, and where each SOAP station said it can be reached.
//!
//! They are process-wide because the nodes that use them are: a `CS request
//! JSON` node names a station, not a server, exactly as in the original.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use super::mailbox::{ConnCmd, ConnTx};
use crate::sync::lock;

pub struct Station {
    pub conn_id: u64,
    pub tx: ConnTx,
    /// It proved its id (a password, or a client certificate naming it):
    /// only a connection that did too may replace it.
    pub authenticated: bool,
}

/// Why a connection could not take a station's place.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegisterError {
    #[error(
        "{0} is connected with credentials (a password or a client certificate naming it); \
         a connection without them cannot replace it\n"
    )]
    HeldByAuthenticated(String),
}

static STATIONS: LazyLock<Mutex<HashMap<Arc<str>, Station>>> = LazyLock::new(Default::default);

/// Where each SOAP station said it can be reached (its WS-Addressing `From`).
static SOAP_ADDRESSES: LazyLock<Mutex<Addresses>> =
    LazyLock::new(|| Mutex::new(Addresses::new(MAX_ADDRESSES, MAX_ADDRESS_BYTES, ADDRESS_TTL)));

/// SOAP stations whose address is kept. Any POST that passes authentication
/// can add one, so the table is bounded: past this, or past
/// [`MAX_ADDRESS_BYTES`], expired addresses go, then the oldest tenth.
const MAX_ADDRESSES: usize = 100_000;

/// What the addresses may take, counting ids, addresses and a fixed cost per
/// entry: 100,000 stations with 255-character ids and 2 KB addresses would
/// be 230 MB, so the count alone does not bound it.
const MAX_ADDRESS_BYTES: usize = 32 << 20;

/// What an entry costs besides its two strings (the map's slot, the strings' headers, the time).
const ENTRY_OVERHEAD: usize = 96;

/// An address no request has confirmed for this long is forgotten: a SOAP
/// station repeats its `From` with every request, heartbeats included.
const ADDRESS_TTL: Duration = Duration::from_secs(24 * 3600);

/// The longest address kept.
const MAX_ADDRESS_LEN: usize = 2048;

/// Remembers a SOAP station's own endpoint, for calling it back. Called only
/// for requests that passed authentication: for a station with a password,
/// only a request with that password can move its address.
/// True when the address is new or changed (a cluster then shares it).
pub fn remember_soap_address(cb_id: &str, address: &str) -> bool {
    if address.starts_with("http") && !address.ends_with("/anonymous") && address.len() <= MAX_ADDRESS_LEN {
        return lock(&SOAP_ADDRESSES).insert(cb_id, address, Instant::now());
    }
    false
}

pub fn soap_address(cb_id: &str) -> Option<String> {
    lock(&SOAP_ADDRESSES).get(cb_id, Instant::now())
}

/// A table of addresses with an expiry, bounded in entries and in bytes.
struct Addresses {
    entries: HashMap<String, (String, Instant)>,
    cap: usize,
    max_bytes: usize,
    /// What the entries take, by [`cost`].
    bytes: usize,
    ttl: Duration,
}

/// What an entry is counted as against [`MAX_ADDRESS_BYTES`].
fn cost(cb_id: &str, address: &str) -> usize {
    cb_id.len() + address.len() + ENTRY_OVERHEAD
}

impl Addresses {
    fn new(cap: usize, max_bytes: usize, ttl: Duration) -> Self {
        Self { entries: HashMap::new(), cap, max_bytes, bytes: 0, ttl }
    }

    /// True when the address is new or changed.
    fn insert(&mut self, cb_id: &str, address: &str, now: Instant) -> bool {
        if let Some(entry) = self.entries.get_mut(cb_id) {
            let changed = entry.0 != address;
            self.bytes = self.bytes - entry.0.len() + address.len();
            *entry = (address.to_owned(), now);
            return changed;
        }
        let more = cost(cb_id, address);
        if self.entries.len() >= self.cap || self.bytes + more > self.max_bytes {
            self.make_room(now, more);
        }
        self.bytes += more;
        self.entries.insert(cb_id.to_owned(), (address.to_owned(), now));
        true
    }

    fn get(&self, cb_id: &str, now: Instant) -> Option<String> {
        let (address, seen) = self.entries.get(cb_id)?;
        (now.duration_since(*seen) < self.ttl).then(|| address.clone())
    }

    /// Makes room for an entry of `more` bytes: drops the expired entries,
    /// and while that is not enough, the oldest tenth.
    fn make_room(&mut self, now: Instant, more: usize) {
        let ttl = self.ttl;
        self.retain(|seen| now.duration_since(seen) < ttl);
        while !self.entries.is_empty() && (self.entries.len() >= self.cap || self.bytes + more > self.max_bytes) {
            let mut seen: Vec<Instant> = self.entries.values().map(|(_, t)| *t).collect();
            let tenth = (seen.len() / 10).max(1);
            let (_, cut, _) = seen.select_nth_unstable(tenth - 1);
            let cut = *cut;
            self.retain(|t| t > cut);
        }
    }

    /// Keeps the entries last seen when `keep` says, counting the bytes freed.
    fn retain(&mut self, keep: impl Fn(Instant) -> bool) {
        let mut freed = 0;
        self.entries.retain(|cb_id, (address, seen)| {
            let kept = keep(*seen);
            if !kept {
                freed += cost(cb_id, address);
            }
            kept
        });
        self.bytes -= freed;
    }
}

/// Records a new connection; returns the one it replaces, which the caller
/// closes. A connection that did not prove its id never replaces one that did.
pub fn register(cb_id: Arc<str>, station: Station) -> Result<Option<Station>, RegisterError> {
    let mut stations = lock(&STATIONS);
    if !station.authenticated && stations.get(&cb_id).is_some_and(|s| s.authenticated) {
        return Err(RegisterError::HeldByAuthenticated(cb_id.to_string()));
    }
    Ok(stations.insert(cb_id, station))
}

/// Forgets a connection, unless a newer one with the same id took its place.
pub fn unregister(cb_id: &str, conn_id: u64) {
    let mut stations = lock(&STATIONS);
    if stations.get(cb_id).is_some_and(|s| s.conn_id == conn_id) {
        stations.remove(cb_id);
    }
}

pub fn lookup(cb_id: &str) -> Option<ConnTx> {
    lock(&STATIONS).get(cb_id).map(|s| s.tx.clone())
}

/// [`lookup`], with the connection's id (what per-connection state is keyed by).
pub fn lookup_conn(cb_id: &str) -> Option<(u64, ConnTx)> {
    lock(&STATIONS).get(cb_id).map(|s| (s.conn_id, s.tx.clone()))
}

pub fn is_online(cb_id: &str) -> bool {
    lock(&STATIONS).contains_key(cb_id)
}

pub fn online() -> Vec<String> {
    let mut ids: Vec<String> = lock(&STATIONS).keys().map(|k| k.to_string()).collect();
    ids.sort();
    ids
}

/// Closes one connection of a station, unless a newer one took its place.
pub fn close_conn(cb_id: &str, conn_id: u64, code: u16, reason: &str) -> bool {
    let tx = lock(&STATIONS).get(cb_id).filter(|s| s.conn_id == conn_id).map(|s| s.tx.clone());
    tx.is_some_and(|tx| tx.send(ConnCmd::Close { code, reason: reason.into() }).is_ok())
}

/// Closes a station's connection (`LOCAL_DISCONNECT`); false when it is not connected.
pub fn disconnect(cb_id: &str) -> bool {
    let close = || ConnCmd::Close { code: 1000, reason: "disconnected by the Central System".into() };
    lookup(cb_id).is_some_and(|tx| tx.send(close()).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soap_addresses_expire_and_stay_bounded() {
        let t0 = Instant::now();
        let mut table = Addresses::new(100, usize::MAX, Duration::from_secs(60));
        assert!(table.insert("CP1", "http://cp1:8080/", t0));
        assert!(!table.insert("CP1", "http://cp1:8080/", t0), "unchanged");
        assert_eq!(table.get("CP1", t0 + Duration::from_secs(59)).as_deref(), Some("http://cp1:8080/"));
        assert_eq!(table.get("CP1", t0 + Duration::from_secs(60)), None, "expired");
        assert!(table.insert("CP1", "http://cp1:9090/", t0 + Duration::from_secs(61)));
        assert_eq!(table.get("CP1", t0 + Duration::from_secs(62)).as_deref(), Some("http://cp1:9090/"), "renewed");
        for i in 0..1000 {
            table.insert(&format!("FLOOD-{i}"), "http://x/", t0 + Duration::from_millis(62_000 + i));
        }
        assert!(table.entries.len() <= 100, "{}", table.entries.len());
        assert!(table.get("FLOOD-999", t0 + Duration::from_secs(63)).is_some(), "the newest are kept");
    }

    #[test]
    fn an_unauthenticated_connection_never_replaces_an_authenticated_one() {
        let id: Arc<str> = Arc::from("REGISTRY-TEST-CP");
        let station = |conn_id, authenticated| {
            let (tx, _rx) = super::super::mailbox::conn_channel(id.clone(), crate::version::OcppVersion::V16, false);
            Station { conn_id, tx, authenticated }
        };
        assert!(register(id.clone(), station(1, false)).unwrap().is_none());
        // Open replaces open (a station reconnecting), authenticated replaces anything.
        assert_eq!(register(id.clone(), station(2, false)).unwrap().map(|s| s.conn_id), Some(1));
        assert_eq!(register(id.clone(), station(3, true)).unwrap().map(|s| s.conn_id), Some(2));
        let Err(refused) = register(id.clone(), station(4, false)) else { panic!("replaced") };
        assert!(refused.to_string().starts_with("REGISTRY-TEST-CP is connected with credentials"), "{refused}");
        assert_eq!(lock(&STATIONS).get(&id).map(|s| s.conn_id), Some(3), "the authenticated one stays");
        assert_eq!(register(id.clone(), station(5, true)).unwrap().map(|s| s.conn_id), Some(3));
        unregister(&id, 5);
        assert!(!is_online(&id));
    }

    #[test]
    fn soap_addresses_are_bounded_in_bytes() {
        let t0 = Instant::now();
        let max = 64 * 1024;
        let mut table = Addresses::new(100_000, max, Duration::from_secs(3600));
        let address = format!("http://{}/", "a".repeat(2000));
        for i in 0..1000 {
            table.insert(&format!("{i:0>255}"), &address, t0 + Duration::from_millis(i));
            assert!(table.bytes <= max, "{} bytes after {i}", table.bytes);
        }
        let counted: usize = table.entries.iter().map(|(id, (a, _))| cost(id, a)).sum();
        assert_eq!(table.bytes, counted);
        assert!(table.entries.len() >= 10, "{}", table.entries.len());
        // A changed address is counted as it is now.
        let id = format!("{:0>255}", 999);
        table.insert(&id, "http://short/", t0 + Duration::from_secs(2));
        let counted: usize = table.entries.iter().map(|(id, (a, _))| cost(id, a)).sum();
        assert_eq!(table.bytes, counted);
    }
}
