//! Who may connect: OCPP security profile 1's Basic-auth passwords, per
//! server (the `CS server` node's credentials) and process-wide (set by the
//! flow with `LOCAL_SET_ALL_AUTH_EVSES`, as in the original).
//!
//! A station is one station in the whole process: the registry of connected
//! stations, `CS request JSON`, SOAP addresses and uploads all go by its id
//! alone. So a password a station has on any running server protects its id
//! on every server of the process: an open server does not let another
//! client in under that id.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use crate::basic_auth;
use crate::sync::lock;

static PASSWORDS: LazyLock<Mutex<HashMap<String, String>>> = LazyLock::new(Default::default);

/// The running servers' own passwords, by server id.
static SERVERS: LazyLock<Mutex<HashMap<u64, Passwords>>> = LazyLock::new(Default::default);

/// Makes a server's passwords protect its stations' ids on every server
/// (until [`forget_server`]).
pub fn register_server(server_id: u64, passwords: &Passwords) {
    if !passwords.0.is_empty() {
        lock(&SERVERS).insert(server_id, passwords.clone());
    }
}

/// A server closed: its passwords no longer protect anything.
pub fn forget_server(server_id: u64) {
    lock(&SERVERS).remove(&server_id);
}

/// How a station got in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// With the password its id has (here, process-wide or on another server).
    Authenticated,
    /// Its id has no password anywhere, and the server takes such stations.
    Open,
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

/// OCPP security profile 1: a station with a password must present HTTP
/// Basic auth with its own id as user. The password is the one set at run time
/// (by `LOCAL_SET_ALL_AUTH_EVSES`, or adopted from the station by
/// `rotation.rs`): it is newer than any deployed credentials. Else the
/// server's own; else the one any other running server has for the id (any of
/// them, if several). A station without a password anywhere is let in unless
/// the server is `closed` (the original let everyone in; existing
/// installations keep working). `None`: refused.
pub fn admission(cb_id: &str, authorization: Option<&[u8]>, own: &Passwords, closed: bool) -> Option<Admission> {
    let global = lock(&PASSWORDS);
    let servers = lock(&SERVERS);
    let expected: Vec<&str> = match global.get(cb_id).or_else(|| own.0.get(cb_id)) {
        Some(one) => vec![one.as_str()],
        None => servers.values().filter_map(|p| p.0.get(cb_id)).map(String::as_str).collect(),
    };
    if expected.is_empty() {
        return (!closed).then_some(Admission::Open);
    }
    let (user, password) = authorization.and_then(basic_auth::decode)?;
    // Compare every part in full, whatever the first says, so timing tells nothing.
    let user_ok = basic_auth::constant_time_eq(user.as_bytes(), cb_id.as_bytes());
    let password_ok = expected
        .iter()
        .fold(false, |ok, p| ok | basic_auth::constant_time_eq(&password, &basic_auth::password_bytes(p)));
    (user_ok & password_ok).then_some(Admission::Authenticated)
}

/// Whether a request for `cb_id` may go ahead ([`admission`], either way).
pub fn authorised(cb_id: &str, authorization: Option<&[u8]>, own: &Passwords, closed: bool) -> bool {
    admission(cb_id, authorization, own, closed).is_some()
}

/// Whether `cb_id` has a password anywhere in the process: then no server
/// takes a request for it without that password.
pub fn protected(cb_id: &str) -> bool {
    lock(&PASSWORDS).contains_key(cb_id) || lock(&SERVERS).values().any(|p| p.0.contains_key(cb_id))
}

/// Whether any station has a password, on any running server or process-wide: then
/// the file endpoints, which learn the station only from its credentials,
/// take no request without them.
pub fn any_passwords(own: &Passwords) -> bool {
    // SERVERS holds only servers that have passwords.
    !own.0.is_empty() || !lock(&PASSWORDS).is_empty() || !lock(&SERVERS).is_empty()
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
        // The run-time password wins over the server's own.
        let own = Passwords::new(HashMap::from([("AUTH-CP".to_string(), "wrong".to_string())]));
        assert!(!authorised("AUTH-CP", Some(b"Basic QVVUSC1DUDp3cm9uZw=="), &own, false));
        assert!(authorised("AUTH-CP", Some(b"Basic QVVUSC1DUDpzM2NyZXQ="), &own, false));
        assert_eq!(format!("{own:?}"), "Passwords(1 stations)");
        set_passwords(HashMap::from([("AUTH-CP".to_string(), String::new())]));
        assert!(authorised("AUTH-CP", None, &none, false));
        assert!(authorised("AUTH-CP", Some(b"Basic QVVUSC1DUDp3cm9uZw=="), &own, false), "the server's own again");
    }

    #[test]
    fn a_password_on_one_server_protects_the_id_on_every_server() {
        let on_a = Passwords::new(HashMap::from([("ONLY-ON-A".to_string(), "s3cret".to_string())]));
        let open = Passwords::default();
        assert_eq!(admission("ONLY-ON-A", None, &open, false), Some(Admission::Open), "before A starts");
        register_server(9_001, &on_a);
        assert!(protected("ONLY-ON-A"));
        assert_eq!(admission("ONLY-ON-A", None, &open, false), None, "no credentials on an open server");
        // "ONLY-ON-A:wrong"
        assert_eq!(admission("ONLY-ON-A", Some(b"Basic T05MWS1PTi1BOndyb25n"), &open, false), None);
        // "ONLY-ON-A:s3cret"
        let right = Some(&b"Basic T05MWS1PTi1BOnMzY3JldA=="[..]);
        assert_eq!(admission("ONLY-ON-A", right, &open, false), Some(Admission::Authenticated));
        assert_eq!(admission("ONLY-ON-A", right, &on_a, true), Some(Admission::Authenticated));
        assert_eq!(admission("SOMEONE-ELSE", None, &open, false), Some(Admission::Open));
        forget_server(9_001);
        assert!(!protected("ONLY-ON-A"));
        assert_eq!(admission("ONLY-ON-A", None, &open, false), Some(Admission::Open), "after A closed");
    }
}
