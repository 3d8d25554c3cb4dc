//! What a station's WebSocket handshake must be before the Central System
//! switches protocols: the path names a charge box id, the head is what
//! HTTP/1.1 and RFC 6455 require, and the subprotocol is an OCPP version the
//! server serves. A refused station gets an HTTP answer and the flow never
//! hears of it.

use hyper::header::HeaderMap;
use hyper::http::uri::Authority;
use hyper::{Method, Version};

use super::refusals::{Reason, Refusal};
use crate::station_id;
use crate::version::OcppVersion;

/// The charge box id in `<prefix>/<id>[/]`, percent-decoded; `None` when the
/// path is not the service's. The prefix matches case-insensitively, as the
/// original's Express routes did.
pub fn charge_box_id(prefix: &str, path: &str) -> Option<String> {
    let head = path.get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let rest = path[prefix.len()..].strip_prefix('/')?;
    let segment = rest.strip_suffix('/').unwrap_or(rest);
    if segment.is_empty() || segment.contains('/') {
        return None;
    }
    let decoded = percent_encoding::percent_decode_str(segment).decode_utf8().ok()?;
    (!decoded.is_empty()).then(|| decoded.into_owned())
}

/// What HTTP/1.1 and RFC 6455 require of a handshake, checked before any
/// of it is used: GET over HTTP/1.1 or later, one Host header, a 16-byte key,
/// and an id as [`station_id`] defines it.
pub fn check_request_head(headers: &HeaderMap, cb_id: &str) -> Result<(), String> {
    let mut hosts = headers.get_all("host").iter();
    let (Some(host), None) = (hosts.next(), hosts.next()) else {
        return Err("exactly one Host header is required (RFC 9112 3.2)\n".into());
    };
    // Empty is allowed (a target without authority); anything else must be host[:port].
    if !host.is_empty() && !valid_host(host.as_bytes()) {
        return Err("the Host header is not a valid host[:port] (RFC 9112 3.2)\n".into());
    }
    if headers.get("sec-websocket-key").is_some_and(|k| k.len() != 24) {
        return Err("Sec-WebSocket-Key must be 16 bytes in base64 (RFC 6455 4.1)\n".into());
    }
    station_id::check(cb_id).map_err(|e| format!("{e}\n"))
}

/// RFC 6455 4.1: the opening handshake is a GET of HTTP/1.1 or later. Why a
/// station is refused otherwise (the reason carries the status).
pub fn check_method_and_version(method: &Method, version: Version) -> Result<(), Refusal> {
    if version < Version::HTTP_11 {
        return Err(Refusal::new(Reason::HttpVersion, "a WebSocket handshake needs HTTP/1.1 (RFC 6455 4.1)\n"));
    }
    if method != Method::GET {
        return Err(Refusal::new(Reason::Method, "a WebSocket handshake is a GET request (RFC 6455 4.1)\n"));
    }
    Ok(())
}

/// `host[:port]` without user info, as a Host header carries it.
fn valid_host(value: &[u8]) -> bool {
    Authority::try_from(value).is_ok_and(|a| !a.as_str().contains('@') && !a.host().is_empty())
}

fn header_has_token(headers: &HeaderMap, name: &str, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .any(|v| v.to_str().map(|s| s.split(',').any(|t| t.trim().eq_ignore_ascii_case(token))).unwrap_or(false))
}

pub fn is_websocket_upgrade(headers: &HeaderMap) -> bool {
    header_has_token(headers, "connection", "upgrade") && header_has_token(headers, "upgrade", "websocket")
}

/// Picks the newest enabled version the station offers. A station that
/// offers nothing is taken for an old 1.6 station (if 1.6 is enabled and the
/// node does not require a subprotocol); one that offers only versions this
/// server does not serve is refused.
pub fn choose_subprotocol(
    headers: &HeaderMap,
    enabled: &[OcppVersion],
    required: bool,
) -> Result<Option<OcppVersion>, String> {
    let offered: Vec<String> = headers
        .get_all("sec-websocket-protocol")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|s| s.split(','))
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    // Versions are ordered oldest to newest.
    let best = offered.iter().filter_map(|p| OcppVersion::from_subprotocol(p)).filter(|v| enabled.contains(v)).max();
    if let Some(version) = best {
        return Ok(Some(version));
    }
    let served = OcppVersion::NEWEST_FIRST
        .into_iter()
        .filter(|v| enabled.contains(v))
        .map(|v| v.subprotocol())
        .collect::<Vec<_>>()
        .join(", ");
    if offered.is_empty() && !required && enabled.contains(&OcppVersion::V16) {
        return Ok(None);
    }
    if offered.is_empty() {
        return Err(format!("no subprotocol offered; this server requires one of {served}\n"));
    }
    Err(format!("unsupported subprotocol(s) {}; this server speaks {served}\n", offered.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    #[test]
    fn ids_come_from_the_last_segment_after_the_prefix() {
        assert_eq!(charge_box_id("/ocpp", "/ocpp/CP1").as_deref(), Some("CP1"));
        assert_eq!(charge_box_id("/ocpp", "/ocpp/CP1/").as_deref(), Some("CP1"));
        assert_eq!(charge_box_id("/ocpp", "/OCPP/CP1").as_deref(), Some("CP1"));
        assert_eq!(charge_box_id("/ocpp", "/ocpp/CP%204").as_deref(), Some("CP 4"));
        // Decoded here; what an id may contain is checked with the rest of the head.
        assert_eq!(charge_box_id("/ocpp", "/ocpp/%C3%A9v").as_deref(), Some("év"));
        assert_eq!(charge_box_id("", "/CP1").as_deref(), Some("CP1"));
        for bad in ["/ocpp", "/ocpp/", "/ocpp//", "/ocpp/a/b", "/other/CP1", "/ocppx/CP1", "/ocpp/%FF"] {
            assert_eq!(charge_box_id("/ocpp", bad), None, "{bad}");
        }
    }

    #[test]
    fn request_heads_are_checked() {
        let mut h = HeaderMap::new();
        assert!(check_request_head(&h, "CP1").unwrap_err().contains("Host"));
        h.insert("host", HeaderValue::from_static("cs:8834"));
        assert_eq!(check_request_head(&h, "CP1"), Ok(()));
        h.append("host", HeaderValue::from_static("other"));
        assert!(check_request_head(&h, "CP1").is_err(), "two Host headers");
        h.remove("host");
        for bad in ["[[[::bad host/\\", "a b", "user@cs", ":8834"] {
            h.insert("host", HeaderValue::from_str(bad).unwrap());
            assert!(check_request_head(&h, "CP1").unwrap_err().contains("not a valid host"), "{bad}");
        }
        for good in ["cs", "cs:8834", "[::1]:8834", "127.0.0.1", ""] {
            h.insert("host", HeaderValue::from_str(good).unwrap());
            assert_eq!(check_request_head(&h, "CP1"), Ok(()), "{good}");
        }
        h.insert("host", HeaderValue::from_static("cs"));
        h.insert("sec-websocket-key", HeaderValue::from_static("dGhlIHNhbXBsZSBub25jZQ=="));
        assert_eq!(check_request_head(&h, "CP1"), Ok(()));
        h.insert("sec-websocket-key", HeaderValue::from_static("short"));
        assert!(check_request_head(&h, "CP1").is_err());
        h.remove("sec-websocket-key");
        assert!(check_request_head(&h, &"x".repeat(256)).is_err());
        assert_eq!(check_request_head(&h, &"x".repeat(255)), Ok(()));
        for bad in ["év", "CP\n[error] forged", "CP\0", "a/b", ""] {
            assert!(check_request_head(&h, bad).unwrap_err().contains("charge box id"), "{bad:?}");
        }
    }

    #[test]
    fn handshakes_are_gets_of_http_1_1() {
        assert_eq!(check_method_and_version(&Method::GET, Version::HTTP_11), Ok(()));
        assert_eq!(check_method_and_version(&Method::POST, Version::HTTP_11).unwrap_err().status, 405);
        assert_eq!(check_method_and_version(&Method::GET, Version::HTTP_10).unwrap_err().status, 505);
        assert_eq!(check_method_and_version(&Method::POST, Version::HTTP_10).unwrap_err().status, 505);
    }

    #[test]
    fn subprotocol_choice() {
        use OcppVersion::*;
        let only16 = [V16];
        let all = [V16, V201, V21];
        let mut h = HeaderMap::new();
        assert_eq!(choose_subprotocol(&h, &only16, false), Ok(None));
        assert!(choose_subprotocol(&h, &only16, true).is_err());
        assert!(choose_subprotocol(&h, &[V201], false).is_err(), "2.x stations must offer a subprotocol");
        h.insert("sec-websocket-protocol", HeaderValue::from_static("ocpp2.0.1, ocpp1.6"));
        assert_eq!(choose_subprotocol(&h, &only16, true), Ok(Some(V16)));
        assert_eq!(choose_subprotocol(&h, &all, true), Ok(Some(V201)));
        h.insert("sec-websocket-protocol", HeaderValue::from_static("ocpp2.0.1"));
        assert!(choose_subprotocol(&h, &only16, false).unwrap_err().contains("ocpp2.0.1"));
        h.insert("sec-websocket-protocol", HeaderValue::from_static("ocpp1.6, ocpp2.1, ocpp2.0.1"));
        assert_eq!(choose_subprotocol(&h, &all, false), Ok(Some(V21)));
        assert_eq!(choose_subprotocol(&h, &[V16, V201], false), Ok(Some(V201)));
    }
}
