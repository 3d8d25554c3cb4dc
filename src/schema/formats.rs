//! The two string formats OCA's schemas use: `date-time` and `uri`.

use crate::time::days_in_month;

/// `date-time` as JSON Schema defines it: RFC 3339 section 5.6
/// `date-time`, i.e. `YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)`.
///
/// Strict: the `T` separator and seconds are required (RFC 3339 allows `t`
/// and `z` in lower case, section 5.6 NOTE, so those are accepted), the day
/// must exist in its month (leap years counted), hours 00-23, minutes 00-59,
/// offsets up to 23:59, and second 60 only for a leap second, i.e. at
/// 23:59:60 UTC once the offset is applied (as the JSON Schema test suite
/// reads it).
pub(crate) fn is_date_time(s: &str) -> bool {
    let b = s.as_bytes();
    // The shortest form is 2026-11-25T10:00:00Z.
    if b.len() < 20 {
        return false;
    }
    let num = |at: usize, len: usize| -> Option<u32> {
        let mut n = 0u32;
        for &c in b.get(at..at + len)? {
            if !c.is_ascii_digit() {
                return None;
            }
            n = n * 10 + u32::from(c - b'0');
        }
        Some(n)
    };
    let (Some(year), Some(month), Some(day)) = (num(0, 4), num(5, 2), num(8, 2)) else { return false };
    let (Some(hour), Some(minute), Some(second)) = (num(11, 2), num(14, 2), num(17, 2)) else { return false };
    if b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') || b[13] != b':' || b[16] != b':' {
        return false;
    }
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return false;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return false;
    }
    let mut i = 19;
    if b[i] == b'.' {
        i += 1;
        let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return false;
        }
        i += digits;
    }
    // The offset, in minutes east of UTC.
    let offset: i32 = match b.get(i) {
        Some(b'Z' | b'z') if b.len() == i + 1 => 0,
        Some(&sign @ (b'+' | b'-')) if b.len() == i + 6 && b[i + 3] == b':' => {
            let (Some(oh), Some(om)) = (num(i + 1, 2), num(i + 4, 2)) else { return false };
            if oh > 23 || om > 59 {
                return false;
            }
            let m = (oh * 60 + om) as i32;
            if sign == b'-' {
                -m
            } else {
                m
            }
        }
        _ => return false,
    };
    if second == 60 {
        let utc = ((hour * 60 + minute) as i32 - offset).rem_euclid(24 * 60);
        return utc == 23 * 60 + 59;
    }
    true
}

/// `uri` as JSON Schema defines it: an RFC 3986 `URI`, so a scheme is
/// required (`ftp://host/path`, `https://...`, `urn:x`). Every character
/// must be one RFC 3986 allows where it stands and every `%` must start a
/// `%XX` escape; spaces and non-ASCII characters (IRIs) are refused.
pub(crate) fn is_uri(s: &str) -> bool {
    let b = s.as_bytes();
    // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"
    let Some(colon) = b.iter().position(|&c| c == b':') else { return false };
    let scheme = &b[..colon];
    if scheme.is_empty()
        || !scheme[0].is_ascii_alphabetic()
        || !scheme.iter().all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
    {
        return false;
    }
    let rest = &b[colon + 1..];
    // Split off the fragment, then the query.
    let (rest, fragment) = match rest.iter().position(|&c| c == b'#') {
        Some(h) => (&rest[..h], Some(&rest[h + 1..])),
        None => (rest, None),
    };
    let (hier, query) = match rest.iter().position(|&c| c == b'?') {
        Some(q) => (&rest[..q], Some(&rest[q + 1..])),
        None => (rest, None),
    };
    let tail_ok = |part: &[u8]| chars_ok(part, |c| is_pchar(c) || c == b'/' || c == b'?');
    if !query.is_none_or(tail_ok) || !fragment.is_none_or(tail_ok) {
        return false;
    }
    let path = if let Some(after) = hier.strip_prefix(b"//") {
        let end = after.iter().position(|&c| c == b'/').unwrap_or(after.len());
        if !authority_ok(&after[..end]) {
            return false;
        }
        &after[end..]
    } else {
        hier
    };
    chars_ok(path, |c| is_pchar(c) || c == b'/')
}

fn authority_ok(a: &[u8]) -> bool {
    // authority = [ userinfo "@" ] host [ ":" port ]
    let (userinfo, hostport) = match a.iter().rposition(|&c| c == b'@') {
        Some(at) => (Some(&a[..at]), &a[at + 1..]),
        None => (None, a),
    };
    if !userinfo.is_none_or(|u| chars_ok(u, |c| is_unreserved(c) || is_sub_delim(c) || c == b':')) {
        return false;
    }
    let (host, port) = if hostport.first() == Some(&b'[') {
        // IP-literal: "[" ( IPv6address / IPvFuture ) "]", checked for its alphabet only.
        let Some(close) = hostport.iter().position(|&c| c == b']') else { return false };
        let inner = &hostport[1..close];
        if inner.is_empty() || !inner.iter().all(|&c| c.is_ascii_hexdigit() || matches!(c, b':' | b'.' | b'v' | b'V')) {
            return false;
        }
        match &hostport[close + 1..] {
            [] => (&hostport[..0], None),
            [b':', port @ ..] => (&hostport[..0], Some(port)),
            _ => return false,
        }
    } else {
        match hostport.iter().rposition(|&c| c == b':') {
            Some(c) => (&hostport[..c], Some(&hostport[c + 1..])),
            None => (hostport, None),
        }
    };
    chars_ok(host, |c| is_unreserved(c) || is_sub_delim(c)) && port.is_none_or(|p| p.iter().all(u8::is_ascii_digit))
}

/// Every byte passes `ok`, except `%`, which must start `%XX`.
fn chars_ok(part: &[u8], ok: impl Fn(u8) -> bool) -> bool {
    let mut i = 0;
    while i < part.len() {
        let c = part[i];
        if c == b'%' {
            if !(i + 2 < part.len() && part[i + 1].is_ascii_hexdigit() && part[i + 2].is_ascii_hexdigit()) {
                return false;
            }
            i += 3;
        } else if ok(c) {
            i += 1;
        } else {
            return false;
        }
    }
    true
}

fn is_unreserved(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~')
}

fn is_sub_delim(c: u8) -> bool {
    matches!(c, b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'=')
}

fn is_pchar(c: u8) -> bool {
    is_unreserved(c) || is_sub_delim(c) || c == b':' || c == b'@'
}
