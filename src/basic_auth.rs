//! HTTP Basic authentication (RFC 7617), as OCPP security profile 1 uses it:
//! the user is the charge box id, the password is the station's.
//!
//! The charge point writes the header; the Central System reads it and
//! compares in constant time.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

/// `Basic <base64 of "user:password">`, the `Authorization` header's value.
pub fn header(credentials: &str) -> String {
    format!("Basic {}", STANDARD.encode(credentials))
}

/// The user and password of an `Authorization` header, if it is Basic.
/// Padding is optional, as some stations leave it out.
pub fn decode(header: &[u8]) -> Option<(String, String)> {
    let header = std::str::from_utf8(header).ok()?.trim();
    let (scheme, encoded) = header.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let encoded = encoded.trim().trim_end_matches('=');
    let decoded = base64::engine::general_purpose::STANDARD_NO_PAD.decode(encoded).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// Compares two secrets in time that depends on `a`'s length only, so the
/// time taken tells nothing about how much of a guess was right.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for (i, x) in a.iter().enumerate() {
        diff |= usize::from(x ^ b.get(i % b.len().max(1)).copied().unwrap_or(0));
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_use_the_standard_alphabet_and_read_back() {
        assert_eq!(header("AUTH-CP:s3cret"), "Basic QVVUSC1DUDpzM2NyZXQ=");
        assert_eq!(decode(b"Basic QVVUSC1DUDpzM2NyZXQ="), Some(("AUTH-CP".into(), "s3cret".into())));
        assert_eq!(decode(b"basic QVVUSC1DUDpzM2NyZXQ"), Some(("AUTH-CP".into(), "s3cret".into())), "padding optional");
        assert_eq!(decode(b"Basic YQ=="), None, "no colon");
        assert_eq!(decode(b"Basic Y$=="), None);
        assert_eq!(decode(b"Bearer QVVUSC1DUDpzM2NyZXQ="), None);
    }

    #[test]
    fn secrets_compare_in_full() {
        assert!(constant_time_eq(b"s3cret", b"s3cret"));
        assert!(!constant_time_eq(b"s3cret", b"s3cre"));
        assert!(!constant_time_eq(b"", b"x"));
        assert!(constant_time_eq(b"", b""));
    }
}
