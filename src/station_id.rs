//! What a charge box id may be, the same for OCPP-J (the last segment of the
//! handshake's path, percent-decoded) and SOAP (the `chargeBoxIdentity`
//! header): at most [`MAX_CHARS`] printable ASCII characters, space included,
//! without `/`.
//!
//! Ids end up in log lines, msgs, Redis keys and tables that outlive the
//! request, so a control character could forge a log line and a megabyte id
//! would be kept. OCPP 2.0.1's `identifierString` (letters, digits and
//! `*-_=:+|@.`) is stricter; 1.6 says nothing, and stations in the field use
//! spaces and other punctuation, so every printable ASCII character except
//! `/` (which would split the path) is taken.

/// The longest charge box id accepted. OCPP 2.0.1's security whitepaper
/// limits an identity to 48 characters; 1.6 sets no limit, so this is lenient.
pub const MAX_CHARS: usize = 255;

/// Why an id was refused, worded for the station's operator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("the charge box id is empty")]
    Empty,
    #[error("the charge box id is longer than {MAX_CHARS} characters")]
    TooLong,
    #[error("the charge box id has {found} at position {at}; ids are printable ASCII (space to '~') without '/'")]
    Character { found: String, at: usize },
}

/// Whether `c` may appear in an id.
pub fn allowed(c: char) -> bool {
    matches!(c, ' '..='~') && c != '/'
}

/// Checks an id; looks at no more than its first [`MAX_CHARS`] + 1
/// characters, so a huge id costs no more than a short one.
pub fn check(id: &str) -> Result<(), IdError> {
    if id.is_empty() {
        return Err(IdError::Empty);
    }
    for (at, c) in id.chars().take(MAX_CHARS + 1).enumerate() {
        if !allowed(c) {
            return Err(IdError::Character { found: describe(c), at: at + 1 });
        }
    }
    if id.len() > MAX_CHARS {
        return Err(IdError::TooLong);
    }
    Ok(())
}

/// A character as a log line can show it: escaped, never raw.
fn describe(c: char) -> String {
    match c {
        '/' => "'/'".to_owned(),
        c if c.is_ascii_control() => format!("control character {:#04x}", c as u32),
        c => format!("'{}' (U+{:04X})", c.escape_default(), c as u32),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_ascii_without_slash_up_to_255() {
        for good in ["CP1", "CP 1", "RPC 1:a_b.c-d", "*-_=:+|@.", "CP \"1\"", "~", &"x".repeat(255)] {
            assert_eq!(check(good), Ok(()), "{good}");
        }
        assert_eq!(check(""), Err(IdError::Empty));
        assert_eq!(check(&"x".repeat(256)), Err(IdError::TooLong));
        assert_eq!(check(&"x".repeat(1 << 20)), Err(IdError::TooLong));
        let bad = check("CP\n[error] forged").unwrap_err();
        assert_eq!(bad, IdError::Character { found: "control character 0x0a".into(), at: 3 });
        assert!(!bad.to_string().contains('\n'));
        assert!(matches!(check("a/b"), Err(IdError::Character { at: 2, .. })));
        assert!(matches!(check("nul\0"), Err(IdError::Character { at: 4, .. })));
        assert!(matches!(check("del\x7f"), Err(IdError::Character { .. })));
        assert_eq!(
            check("év").unwrap_err().to_string(),
            "the charge box id has '\\u{e9}' (U+00E9) at position 1; ids are printable ASCII (space to '~') without '/'"
        );
        // A bad character past the length limit: the length is what is reported.
        assert_eq!(check(&format!("{}\n", "x".repeat(300))), Err(IdError::TooLong));
    }
}
