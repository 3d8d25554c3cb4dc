//! The engine's one calendar: the clock read as milliseconds since 1970,
//! RFC 3339 date-times written (answers' `currentTime`) and read (a charging
//! profile's `validFrom` / `validTo`), and the proleptic Gregorian day
//! arithmetic both need, so no other module carries date code of its own.
//! Pure std, UTC only; no time-zone database, no date crate.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds in a day.
const DAY_MS: i64 = 86_400_000;

/// Milliseconds since the Unix epoch, as JavaScript's `Date.now()`; 0 for a
/// clock set before 1970 (nothing the engine times may go negative).
pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// Now as RFC 3339 UTC with milliseconds (`currentTime` in answers).
pub fn now_rfc3339() -> String {
    rfc3339(now_ms() as i64)
}

/// `ms` since 1970 as `YYYY-MM-DDThh:mm:ss.sssZ`, the shape JavaScript's
/// `Date.toISOString()` writes for years 0 to 9999.
pub fn rfc3339(ms: i64) -> String {
    let (days, in_day) = (ms.div_euclid(DAY_MS), ms.rem_euclid(DAY_MS));
    let (year, month, day) = civil_from_days(days);
    let (h, m, s, milli) = (in_day / 3_600_000, in_day / 60_000 % 60, in_day / 1000 % 60, in_day % 1000);
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{milli:03}Z")
}

/// Seconds since 1970 (and nanoseconds) of an RFC 3339 date-time
/// (`YYYY-MM-DD[Tt ]hh:mm:ss[.frac](Z|z|±hh:mm)`), for comparing two of them;
/// `None` when it is not one. Lenient where the schema check is strict (the
/// day is not checked against its month, digits past nanoseconds are
/// dropped): that check, in strict mode, is the one that words the error.
pub fn parse_rfc3339(s: &str) -> Option<(i64, u32)> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d, h, mi, se) = (num(0..4)?, num(5..7)?, num(8..10)?, num(11..13)?, num(14..16)?, num(17..19)?);
    let mut rest = &s[19..];
    let mut nanos = 0u32;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        let text = &frac[..digits];
        for (i, c) in text.bytes().take(9).enumerate() {
            nanos += u32::from(c - b'0') * 10u32.pow(8 - i as u32);
        }
        rest = &frac[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            sign * (rest.get(1..3)?.parse::<i64>().ok()? * 3600 + rest.get(4..6)?.parse::<i64>().ok()? * 60)
        }
    };
    Some((days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se - offset, nanos))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`); `m` 1 to 12.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date (year, month 1 to 12, day) of a day counted
/// from 1970-01-01 (Howard Hinnant's `civil_from_days`), the inverse of
/// [`days_from_civil`].
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Whether `year` has a 29 February: every fourth year, but not a century
/// unless it is a fourth one (2000 is, 2100 is not).
pub fn is_leap_year(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

/// The days of `month` (1 to 12) in `year`.
pub fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc_3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(1_709_210_096_789), "2024-02-29T12:34:56.789Z");
        assert_eq!(rfc3339(4_102_444_800_000), "2100-01-01T00:00:00.000Z");
    }

    #[test]
    fn instants_compare() {
        assert!(parse_rfc3339("2026-12-01T09:00:00.5Z").unwrap() > parse_rfc3339("2026-12-01T09:00:00Z").unwrap());
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some((0, 0)));
        assert_eq!(parse_rfc3339("2000-03-01T00:00:00Z"), Some((951_868_800, 0)));
        assert_eq!(parse_rfc3339("yesterday"), None);
    }

    #[test]
    fn leap_days_are_counted() {
        // 2024 is a leap year: 29 February exists and 1 March is a day later.
        assert_eq!(days_from_civil(2024, 3, 1) - days_from_civil(2024, 2, 28), 2);
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
        assert_eq!(rfc3339(days_from_civil(2024, 2, 29) * DAY_MS), "2024-02-29T00:00:00.000Z");
        // 2023 is not: 28 February is followed by 1 March.
        assert_eq!(days_from_civil(2023, 3, 1) - days_from_civil(2023, 2, 28), 1);
        assert!(is_leap_year(2024) && !is_leap_year(2023));
        assert_eq!((days_in_month(2024, 2), days_in_month(2023, 2)), (29, 28));
        // 2000 is a fourth century: a leap year.
        assert!(is_leap_year(2000));
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn year_2100_is_not_a_leap_year() {
        assert!(!is_leap_year(2100));
        assert_eq!(days_in_month(2100, 2), 28);
        // The day after 28 February 2100 is 1 March.
        let feb28 = days_from_civil(2100, 2, 28);
        assert_eq!(civil_from_days(feb28 + 1), (2100, 3, 1));
        assert_eq!(rfc3339((feb28 + 1) * DAY_MS), "2100-03-01T00:00:00.000Z");
        assert_eq!(parse_rfc3339("2100-03-01T00:00:00Z"), Some(((feb28 + 1) * 86_400, 0)));
    }

    #[test]
    fn days_round_trip_over_four_centuries() {
        // One full Gregorian cycle (146,097 days), each way, from before 1970.
        for days in -200_000..-200_000 + 146_097 {
            let (y, m, d) = civil_from_days(days);
            assert!((1..=12).contains(&m) && d >= 1 && d <= i64::from(days_in_month(y as u32, m as u32)));
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn offsets_are_subtracted() {
        let utc = parse_rfc3339("2026-12-01T09:00:00Z").unwrap();
        assert_eq!(parse_rfc3339("2026-12-01T10:00:00+01:00"), Some(utc));
        assert_eq!(parse_rfc3339("2026-12-01T03:30:00-05:30"), Some(utc));
        assert_eq!(parse_rfc3339("2026-12-01T09:00:00z"), Some(utc));
        assert_eq!(parse_rfc3339("2026-12-01t09:00:00Z"), Some(utc));
        assert_eq!(parse_rfc3339("2026-12-01 09:00:00Z"), Some(utc));
        // An offset across midnight moves the date.
        assert_eq!(parse_rfc3339("2026-12-02T00:30:00+15:30"), Some(utc));
        // No offset, or a malformed one, is not a date-time.
        assert_eq!(parse_rfc3339("2026-12-01T09:00:00"), None);
        assert_eq!(parse_rfc3339("2026-12-01T09:00:00*01:00"), None);
        assert_eq!(parse_rfc3339("2026-12-01T09:00:00+1"), None);
    }

    #[test]
    fn fractions_are_nanoseconds() {
        let secs = parse_rfc3339("2026-12-01T09:00:00Z").unwrap().0;
        assert_eq!(parse_rfc3339("2026-12-01T09:00:00.5Z"), Some((secs, 500_000_000)));
        assert_eq!(parse_rfc3339("2026-12-01T09:00:00.123Z"), Some((secs, 123_000_000)));
        assert_eq!(parse_rfc3339("2026-12-01T09:00:00.123456789Z"), Some((secs, 123_456_789)));
        // Past nanoseconds, digits are dropped, not rounded.
        assert_eq!(parse_rfc3339("2026-12-01T09:00:00.9999999999Z"), Some((secs, 999_999_999)));
        // Milliseconds are written with three digits, always.
        assert_eq!(rfc3339(secs * 1000 + 7), "2026-12-01T09:00:00.007Z");
        assert_eq!(rfc3339(secs * 1000), "2026-12-01T09:00:00.000Z");
    }

    #[test]
    fn now_is_today() {
        let before = now_ms();
        let text = now_rfc3339();
        let (secs, nanos) = parse_rfc3339(&text).unwrap();
        let at = secs * 1000 + i64::from(nanos / 1_000_000);
        assert!(at >= before as i64 && at <= now_ms() as i64, "{text}");
        assert_eq!(text.len(), "2026-12-07T03:00:00.000Z".len());
    }
}
