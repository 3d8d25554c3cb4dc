//! Who may connect: OCPP security profile 1's Basic-auth passwords, per
//! server (the `CS server` node's credentials) and process-wide (set by the
//! flow with `LOCAL_SET_ALL_AUTH_EVSES`, as in the original).

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use crate::basic_auth;
use crate::sync::lock;

static PASSWORDS: LazyLock<Mutex<HashMap<String, String>>> = LazyLock::new(Default::default);

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

/// OCPP security profile 1: a station with a password (one set at run time by
/// `LOCAL_SET_ALL_AUTH_EVSES` or adopted from the station (`rotation.rs`), else
/// the server's own) must present HTTP Basic auth with its own id as user. The
/// run-time one wins: it is newer than the deployed credentials. A station
/// without one is let in unless the server is `closed` (the original let
/// everyone in; existing installations keep working).
pub fn authorised(cb_id: &str, authorization: Option<&[u8]>, own: &Passwords, closed: bool) -> bool {
    let table = lock(&PASSWORDS);
    let Some(expected) = table.get(cb_id).or_else(|| own.0.get(cb_id)) else {
        return !closed;
    };
    let Some((user, password)) = authorization.and_then(basic_auth::decode) else {
        return false;
    };
    // Compare both parts in full, whatever the first says, so timing tells nothing.
    let user_ok = basic_auth::constant_time_eq(user.as_bytes(), cb_id.as_bytes());
    let password_ok = basic_auth::constant_time_eq(password.as_bytes(), expected.as_bytes());
    user_ok & password_ok
}

/// Whether any station has a password, on this server or process-wide: then
/// the file endpoints, which learn the station only from its credentials,
/// take no request without them.
pub fn any_passwords(own: &Passwords) -> bool {
    !own.0.is_empty() || !lock(&PASSWORDS).is_empty()
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
}
