//! Process-wide tables: which station is connected where, and the Basic-auth
//! passwords set with `LOCAL_SET_ALL_AUTH_EVSES`.
//!
//! They are process-wide because the nodes that use them are: a `CS request
//! JSON` node names a station, not a server, exactly as in the original.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};

use super::connection::ConnTx;

pub struct Station {
    pub conn_id: u64,
    pub tx: ConnTx,
}

static STATIONS: LazyLock<Mutex<HashMap<Arc<str>, Station>>> = LazyLock::new(Default::default);
static PASSWORDS: LazyLock<Mutex<HashMap<String, String>>> = LazyLock::new(Default::default);
/// Where each SOAP station said it can be reached (its WS-Addressing `From`).
static SOAP_ADDRESSES: LazyLock<Mutex<HashMap<String, String>>> = LazyLock::new(Default::default);

/// Remembers a SOAP station's own endpoint, for calling it back.
pub fn remember_soap_address(cb_id: &str, address: &str) {
    if address.starts_with("http") && !address.ends_with("/anonymous") {
        lock(&SOAP_ADDRESSES).insert(cb_id.to_owned(), address.to_owned());
    }
}

pub fn soap_address(cb_id: &str) -> Option<String> {
    lock(&SOAP_ADDRESSES).get(cb_id).cloned()
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Records a new connection; returns the one it replaces, which the caller closes.
pub fn register(cb_id: Arc<str>, station: Station) -> Option<Station> {
    lock(&STATIONS).insert(cb_id, station)
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

pub fn is_online(cb_id: &str) -> bool {
    lock(&STATIONS).contains_key(cb_id)
}

pub fn online() -> Vec<String> {
    let mut ids: Vec<String> = lock(&STATIONS).keys().map(|k| k.to_string()).collect();
    ids.sort();
    ids
}

/// Merges passwords in, as the original's `LOCAL_SET_ALL_AUTH_EVSES` does;
/// an empty password removes the station's entry.
pub fn set_passwords(entries: HashMap<String, String>) {
    let mut table = lock(&PASSWORDS);
    for (cb_id, password) in entries {
        if password.is_empty() {
            table.remove(&cb_id);
        } else {
            table.insert(cb_id, password);
        }
    }
}

/// Per-server passwords (the `CS server` node's credentials). Debug output
/// never shows them.
#[derive(Clone, Default, serde::Deserialize)]
#[serde(transparent)]
pub struct Passwords(HashMap<String, String>);

impl std::fmt::Debug for Passwords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Passwords({} stations)", self.0.len())
    }
}

impl Passwords {
    pub fn new(entries: HashMap<String, String>) -> Self {
        Self(entries.into_iter().filter(|(_, p)| !p.is_empty()).collect())
    }
}

/// OCPP security profile 1: a station with a password (the server's own, else
/// one set by `LOCAL_SET_ALL_AUTH_EVSES`) must present HTTP Basic auth with its
/// own id as user. A station without one is let in unless the server is
/// `closed` (the original let everyone in; existing installations keep working).
pub fn authorised(cb_id: &str, authorization: Option<&[u8]>, own: &Passwords, closed: bool) -> bool {
    let table = lock(&PASSWORDS);
    let Some(expected) = own.0.get(cb_id).or_else(|| table.get(cb_id)) else {
        return !closed;
    };
    let Some((user, password)) = authorization.and_then(decode_basic) else {
        return false;
    };
    // Compare both parts in full, whatever the first says, so timing tells nothing.
    let user_ok = constant_time_eq(user.as_bytes(), cb_id.as_bytes());
    let password_ok = constant_time_eq(password.as_bytes(), expected.as_bytes());
    user_ok & password_ok
}

fn decode_basic(header: &[u8]) -> Option<(String, String)> {
    let header = std::str::from_utf8(header).ok()?.trim();
    let (scheme, encoded) = header.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64_decode(encoded.trim())?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for (i, x) in a.iter().enumerate() {
        diff |= usize::from(x ^ b.get(i % b.len().max(1)).copied().unwrap_or(0));
    }
    diff == 0
}

fn base64_decode(input: &str) -> Option<Vec<u8>> {
    fn value(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }
    let bytes = input.trim_end_matches('=').as_bytes();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            acc |= value(c)? << (18 - 6 * i);
        }
        let produced = match chunk.len() {
            4 => 3,
            3 => 2,
            2 => 1,
            _ => return None,
        };
        out.extend_from_slice(&acc.to_be_bytes()[1..1 + produced]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_is_required_only_for_stations_with_a_password() {
        let none = Passwords::default();
        set_passwords(HashMap::from([("AUTH-CP".to_string(), "s3cret".to_string())]));
        assert!(authorised("OPEN-CP", None, &none, false));
        assert!(!authorised("OPEN-CP", None, &none, true));
        assert!(!authorised("AUTH-CP", None, &none, false));
        // "AUTH-CP:s3cret"
        assert!(authorised("AUTH-CP", Some(b"Basic QVVUSC1DUDpzM2NyZXQ="), &none, true));
        // "AUTH-CP:wrong"
        assert!(!authorised("AUTH-CP", Some(b"Basic QVVUSC1DUDp3cm9uZw=="), &none, false));
        // "OTHER:s3cret": the user must be the station's own id
        assert!(!authorised("AUTH-CP", Some(b"Basic T1RIRVI6czNjcmV0"), &none, false));
        assert!(!authorised("AUTH-CP", Some(b"Bearer x"), &none, false));
        // The server's own password wins over the global one.
        let own = Passwords::new(HashMap::from([("AUTH-CP".to_string(), "wrong".to_string())]));
        assert!(authorised("AUTH-CP", Some(b"Basic QVVUSC1DUDp3cm9uZw=="), &own, false));
        assert!(!authorised("AUTH-CP", Some(b"Basic QVVUSC1DUDpzM2NyZXQ="), &own, false));
        assert_eq!(format!("{own:?}"), "Passwords(1 stations)");
        set_passwords(HashMap::from([("AUTH-CP".to_string(), String::new())]));
        assert!(authorised("AUTH-CP", None, &none, false));
    }

    #[test]
    fn base64_decodes_with_and_without_padding() {
        assert_eq!(base64_decode("YQ==").unwrap(), b"a");
        assert_eq!(base64_decode("YWI").unwrap(), b"ab");
        assert_eq!(base64_decode("YWJj").unwrap(), b"abc");
        assert!(base64_decode("Y").is_none());
        assert!(base64_decode("Y$==").is_none());
    }
}
