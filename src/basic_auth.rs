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
/// Padding is optional, as some stations leave it out. The user (the charge
/// box id) is text; the password is bytes, as the OCPP 1.6 security
/// whitepaper's AuthorizationKey is random binary.
pub fn decode(header: &[u8]) -> Option<(String, Vec<u8>)> {
    let header = std::str::from_utf8(header).ok()?.trim();
    let (scheme, encoded) = header.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let encoded = encoded.trim().trim_end_matches('=');
    let decoded = base64::engine::general_purpose::STANDARD_NO_PAD.decode(encoded).ok()?;
    let colon = decoded.iter().position(|&b| b == b':')?;
    let user = std::str::from_utf8(&decoded[..colon]).ok()?;
    Some((user.to_owned(), decoded[colon + 1..].to_vec()))
}

/// How a password that is not UTF-8 text is written where passwords are text
/// (the password tables, Redis, the messages between cluster instances): this
/// marker, which no typed password starts with, then the bytes in hexadecimal.
const BINARY: &str = "\u{0}hex:";

/// The text form of a password's bytes: the text itself when it is UTF-8
/// (and does not look like the binary form), else [`BINARY`] and hexadecimal.
pub fn password_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) if !text.starts_with(BINARY) => text.to_owned(),
        _ => BINARY.chars().chain(bytes.iter().flat_map(|b| hex_digits(*b))).collect(),
    }
}

/// The bytes a password's text form stands for (see [`password_text`]).
pub fn password_bytes(text: &str) -> std::borrow::Cow<'_, [u8]> {
    let Some(hex) = text.strip_prefix(BINARY) else {
        return std::borrow::Cow::Borrowed(text.as_bytes());
    };
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let bytes = hex.as_bytes().chunks(2).map_while(|pair| match pair {
        [hi, lo] => Some(digit(*hi)? << 4 | digit(*lo)?),
        _ => None,
    });
    std::borrow::Cow::Owned(bytes.collect())
}

fn hex_digits(byte: u8) -> [char; 2] {
    let digit = |d: u8| char::from_digit(u32::from(d), 16).unwrap_or('0');
    [digit(byte >> 4), digit(byte & 0xf)]
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
        assert_eq!(decode(b"Basic QVVUSC1DUDpzM2NyZXQ="), Some(("AUTH-CP".into(), b"s3cret".to_vec())));
        assert_eq!(
            decode(b"basic QVVUSC1DUDpzM2NyZXQ"),
            Some(("AUTH-CP".into(), b"s3cret".to_vec())),
            "padding optional"
        );
        // "CP:" then the bytes ff 00 41: a binary password.
        assert_eq!(decode(b"Basic Q1A6/wBB"), Some(("CP".into(), vec![0xff, 0x00, 0x41])));
        assert_eq!(decode(b"Basic YQ=="), None, "no colon");
        assert_eq!(decode(b"Basic Y$=="), None);
        assert_eq!(decode(b"Bearer QVVUSC1DUDpzM2NyZXQ="), None);
    }

    #[test]
    fn binary_passwords_have_a_text_form_that_reads_back() {
        assert_eq!(password_text(b"s3cret"), "s3cret");
        let binary = [0xff, 0x00, 0x41, 0x9c];
        assert_eq!(password_text(&binary), "\u{0}hex:ff00419c");
        assert_eq!(&*password_bytes(&password_text(&binary)), &binary);
        assert_eq!(&*password_bytes("s3cret"), b"s3cret");
        // Text that looks like the binary form is itself written in it, so it reads back as typed.
        let tricky = "\u{0}hex:41";
        assert_eq!(&*password_bytes(&password_text(tricky.as_bytes())), tricky.as_bytes());
    }

    #[test]
    fn secrets_compare_in_full() {
        assert!(constant_time_eq(b"s3cret", b"s3cret"));
        assert!(!constant_time_eq(b"s3cret", b"s3cre"));
        assert!(!constant_time_eq(b"", b"x"));
        assert!(constant_time_eq(b"", b""));
    }
}
