//! The checks behind the fuzz targets, shared with the main crate's
//! `tests/fuzz_regressions.rs` (which includes this file by path), so a
//! crash input kept in `fuzz/regressions/` is replayed by `cargo test`.

use ocpp_rs_node_red::msgs;
use ocpp_rs_node_red::ocppj::frame::{self, ErrorCode, Frame, MAX_DEPTH, MAX_ID_LEN};
use ocpp_rs_node_red::soap::envelope::{self, FaultCode, Outgoing, Reply, SoapVersion};
use ocpp_rs_node_red::soap::{xml, Service};
use ocpp_rs_node_red::version::OcppVersion;

/// `ocppj_frame`: the OCPP-J frame parser (`ocppj::frame::parse`) on one text
/// frame, by the rules of each version (1.6, 2.0.1, 2.1).
///
/// Beyond "does not panic", it checks what the link and the node rely on:
/// - a refusal turns into a CALLERROR that itself parses, with the refused
///   frame's id (or "-1") and the refusal's code as the version spells it,
///   and into a warning event that JavaScript's `JSON.parse` reads;
/// - an accepted frame has an id of 1..=36 characters and a payload that is a
///   JSON object nested at most `MAX_DEPTH` deep that `JSON.parse` reads, the
///   event carrying a CALL (or 2.1 SEND) to the flow is JSON too, and writing
///   the frame back (`call`, `call_result`, `call_error`, `send`) gives a
///   frame that parses the same.
pub fn check_frame(text: &str) {
    for version in OcppVersion::ALL {
        check_frame_as(text, version);
    }
}

fn check_frame_as(text: &str, v: OcppVersion) {
    const MSG_ID: &str = "0b6e7f5c-2d4e-4f1a-9c3b-8a7d6e5f4c3b";
    match frame::parse(text, v) {
        Err(refusal) => {
            let answer = refusal.to_call_error(v);
            assert!(js_json_parse_accepts(&answer), "CALLERROR {answer:?} is not JSON");
            let mut event = String::new();
            msgs::warn(&mut event, "CB", &format!("refused a malformed frame from CB: {}", refusal.describe(v)));
            assert!(js_json_parse_accepts(&event), "warning event {event:?} is not JSON");
            match frame::parse(&answer, v) {
                Ok(Frame::CallError { id, code, description, details }) => {
                    assert_eq!(id, refusal.id.as_deref().unwrap_or(frame::UNREADABLE_ID), "{answer}");
                    assert_eq!(code, refusal.code.as_str(v), "{v:?}");
                    assert_eq!(description, refusal.description);
                    assert_eq!(details.get(), "{}");
                }
                other => {
                    // The id is the peer's: when it is itself the reason for the
                    // refusal (empty, too long), the CALLERROR carrying it back
                    // is refused in turn. Any other id must make a valid answer.
                    let id_ok =
                        refusal.id.as_deref().is_some_and(|id| !id.is_empty() && id.chars().count() <= MAX_ID_LEN);
                    assert!(!id_ok, "{v:?}: the CALLERROR answering {text:?} does not parse: {answer} -> {other:?}");
                }
            }
        }
        Ok(parsed) => {
            let (id, again) = match &parsed {
                Frame::Call { id, action, payload } => {
                    assert!(!action.is_empty());
                    check_payload(payload.get());
                    let mut event = String::new();
                    msgs::call(&mut event, msgs::Side::Station("CB"), v, id, action, MSG_ID, payload.get());
                    assert!(js_json_parse_accepts(&event), "the CALL event {event:?} is not JSON");
                    (id, frame::call(id, action, payload.get()))
                }
                Frame::Send { id, action, payload } => {
                    assert_eq!(v, OcppVersion::V21, "SEND is 2.1 only");
                    assert!(!action.is_empty());
                    check_payload(payload.get());
                    let mut event = String::new();
                    msgs::send(&mut event, msgs::Side::Station("CB"), v, id, action, payload.get());
                    assert!(js_json_parse_accepts(&event), "the SEND event {event:?} is not JSON");
                    (id, frame::send(id, action, payload.get()))
                }
                Frame::CallResult { id, payload } => {
                    check_payload(payload.get());
                    (id, frame::call_result(id, payload.get()))
                }
                Frame::CallError { id, code, description, details } => {
                    check_payload(details.get());
                    // Only codes this version spells this way are written back as they came.
                    let Some(code) = ErrorCode::parse(code).filter(|c| c.as_str(v) == code) else { return };
                    (id, frame::call_error(v, id, code, description, Some(details.get())))
                }
                Frame::CallResultError { id, code, details, .. } => {
                    assert_eq!(v, OcppVersion::V21, "CALLRESULTERROR is 2.1 only");
                    check_payload(details.get());
                    assert!(!id.is_empty() && id.chars().count() <= MAX_ID_LEN, "accepted id {id:?}");
                    if let Some(code) = ErrorCode::parse(code) {
                        let again = frame::call_result_error(id, code, "d");
                        assert!(matches!(frame::parse(&again, v), Ok(Frame::CallResultError { .. })), "{again}");
                    }
                    return;
                }
            };
            assert!(!id.is_empty() && id.chars().count() <= MAX_ID_LEN, "accepted id {id:?}");
            let reparsed = frame::parse(&again, v)
                .unwrap_or_else(|e| panic!("{v:?}: {again:?} written from {text:?} is refused: {e:?}"));
            assert_eq!(format!("{parsed:?}"), format!("{reparsed:?}"), "{v:?}: round trip of {text:?}");
        }
    }
}

fn check_payload(raw: &str) {
    assert!(raw.starts_with('{'), "payload {raw:?} is not an object");
    assert!(!frame::too_deep(raw, MAX_DEPTH), "payload deeper than {MAX_DEPTH}");
    assert!(js_json_parse_accepts(raw), "accepted payload {raw:?} is not JSON for JSON.parse");
}

const CENTRAL: [Service; 2] = [Service::CentralSystem15, Service::CentralSystem16];
const STATION: [Service; 2] = [Service::ChargePoint15, Service::ChargePoint16];

/// `soap_codec`: the SOAP request path, `soap::xml::parse` (the hardened XML
/// reader) and `soap::envelope::parse_request` (envelope, headers, body
/// decoded by `soap::codec::decode` against the WSDL tables), on one body.
///
/// Beyond "does not panic": an accepted request re-encodes (with
/// `envelope::request`, i.e. `codec::encode`) into an envelope that parses
/// back to the same operation and JSON payload; a refusal's Fault (with the
/// refusal's text as its reason) is XML that the reply parser reads back.
pub fn check_soap(text: &str) {
    let _ = xml::parse(text);
    for services in [&CENTRAL[..], &STATION[..]] {
        match envelope::parse_request(text, services) {
            Ok(request) => round_trip(text, &request),
            Err(e) => {
                let fault = envelope::fault(SoapVersion::V12, FaultCode::Sender, &e.to_string());
                let op = &services[1].table().operations[0];
                match envelope::parse_reply(&fault, services[1], op) {
                    Ok(Reply::Fault { reason, .. }) => assert_eq!(reason, e.to_string().trim(), "{fault}"),
                    other => panic!("the Fault for {text:?} reads back as {other:?}: {fault}"),
                }
            }
        }
    }
}

fn round_trip(text: &str, request: &envelope::Request) {
    let out = Outgoing {
        service: request.service,
        operation: request.operation,
        charge_box_identity: request.addressing.charge_box_identity.as_deref().unwrap_or("CB"),
        message_id: "urn:uuid:fuzz",
        to: "http://127.0.0.1/ocpp",
        from: request.addressing.from.as_deref(),
    };
    let xml = envelope::request(&out, &request.payload)
        .unwrap_or_else(|e| panic!("accepted payload {} of {text:?} does not encode: {e}", request.payload));
    let again = envelope::parse_request(&xml, &[request.service])
        .unwrap_or_else(|e| panic!("re-encoded {xml:?} (from {text:?}) is refused: {e}"));
    assert_eq!(again.operation.name, request.operation.name);
    assert_eq!(again.payload, request.payload, "payload round trip of {text:?} via {xml:?}");
    assert_eq!(again.addressing.charge_box_identity.as_deref(), Some(out.charge_box_identity), "{xml}");
}

/// `schema_validate`: strict mode's payload validator (`schema::validate_str`
/// over JSON text, as the link uses it) on one payload, for one action of one
/// version's OCA schemas. The input is `<selector><action>\n<payload>`: the
/// selector's low bits pick the version and the direction (`'0'`..`'5'`:
/// 1.6, 2.0.1, 2.1 requests, then their responses); an action the version
/// does not have is replaced by one of its actions picked by the name's bytes.
///
/// Checks: `validate_str` over the text and `validate` over the parsed value
/// give the same result, violation for violation (as the schema module's own
/// tests require), whenever the text is JSON with no key given twice; text
/// `JSON.parse` refuses is refused; a violation's message has at most
/// `MAX_MESSAGE_CHARS` characters and its path is a JSON pointer.
pub fn check_schema(data: &[u8]) {
    use ocpp_rs_node_red::schema::{self, Direction, MAX_MESSAGE_CHARS};
    let Some((&selector, rest)) = data.split_first() else { return };
    let Ok(rest) = std::str::from_utf8(rest) else { return };
    let (name, payload) = rest.split_once('\n').unwrap_or((rest, "{}"));
    let version = OcppVersion::ALL[usize::from(selector) % 3];
    let dir = if (selector / 3) % 2 == 0 { Direction::Request } else { Direction::Response };
    let actions = schema::actions(version);
    let action = if actions.contains(&name) {
        name
    } else {
        let pick = name.bytes().fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(usize::from(b)));
        actions[pick % actions.len()]
    };
    let text = schema::validate_str(version, action, dir, payload);
    if let Err(v) = &text {
        assert!(v.message.chars().count() <= MAX_MESSAGE_CHARS, "message too long: {}", v.message);
        assert!(v.path.is_empty() || v.path.starts_with('/'), "path {:?}", v.path);
    }
    if !js_json_parse_accepts(payload) {
        assert!(text.is_err(), "{version:?} {action} {dir:?}: accepted {payload:?}, which is not JSON");
        return;
    }
    if json_has_duplicate_keys(payload) != Some(false) {
        return;
    }
    // serde_json refuses numbers beyond f64 and nesting beyond 128 levels.
    let Ok(value) = serde_json::from_str::<serde_json::Value>(payload) else { return };
    let tree = schema::validate(version, action, dir, &value);
    assert_eq!(tree, text, "{version:?} {action} {dir:?}: validate and validate_str disagree on {payload:?}");
}

/// Whether `text` is one JSON value exactly as JavaScript's `JSON.parse`
/// (RFC 8259) accepts it: the engine hands payloads to Node-RED as raw text
/// spliced into event JSON that the node parses with `JSON.parse`, so text
/// serde_json lets through but `JSON.parse` refuses would lose a whole batch
/// of events. Numbers out of a double's range are fine here (JavaScript reads
/// them as Infinity), as RFC 8259's grammar has no range.
pub fn js_json_parse_accepts(text: &str) -> bool {
    parse_js_json(text).is_some()
}

/// Whether some object in `text` (JSON) has a key twice; `None` when `text`
/// is not JSON or a key cannot be decoded (a lone surrogate escape).
pub fn json_has_duplicate_keys(text: &str) -> Option<bool> {
    let p = parse_js_json(text)?;
    (!p.undecodable_key).then_some(p.duplicate_key)
}

fn parse_js_json(text: &str) -> Option<Parser<'_>> {
    let b = text.as_bytes();
    let mut p = Parser { b, i: 0, depth: 0, keys: Vec::new(), duplicate_key: false, undecodable_key: false };
    p.ws();
    if !p.value() {
        return None;
    }
    p.ws();
    (p.i == b.len()).then_some(p)
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
    depth: usize,
    /// The keys of each object being read, innermost last.
    keys: Vec<Vec<String>>,
    duplicate_key: bool,
    undecodable_key: bool,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn lit(&mut self, word: &[u8]) -> bool {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self) -> bool {
        // V8 has no nesting limit short of its stack; the engine's own limit is 32.
        if self.depth > 10_000 {
            return false;
        }
        match self.peek() {
            Some(b'{') => self.object(),
            Some(b'[') => self.array(),
            Some(b'"') => self.string(),
            Some(b't') => self.lit(b"true"),
            Some(b'f') => self.lit(b"false"),
            Some(b'n') => self.lit(b"null"),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => false,
        }
    }

    fn object(&mut self) -> bool {
        self.i += 1;
        self.depth += 1;
        self.keys.push(Vec::new());
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            self.depth -= 1;
            self.keys.pop();
            return true;
        }
        loop {
            self.ws();
            let start = self.i;
            if self.peek() != Some(b'"') || !self.string() {
                return false;
            }
            let raw = std::str::from_utf8(&self.b[start..self.i]).unwrap_or("");
            match serde_json::from_str::<String>(raw) {
                Ok(key) => {
                    let seen = self.keys.last_mut().expect("inside an object");
                    if seen.contains(&key) {
                        self.duplicate_key = true;
                    }
                    seen.push(key);
                }
                Err(_) => self.undecodable_key = true,
            }
            self.ws();
            if self.peek() != Some(b':') {
                return false;
            }
            self.i += 1;
            self.ws();
            if !self.value() {
                return false;
            }
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    self.depth -= 1;
                    self.keys.pop();
                    return true;
                }
                _ => return false,
            }
        }
    }

    fn array(&mut self) -> bool {
        self.i += 1;
        self.depth += 1;
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            self.depth -= 1;
            return true;
        }
        loop {
            self.ws();
            if !self.value() {
                return false;
            }
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    self.depth -= 1;
                    return true;
                }
                _ => return false,
            }
        }
    }

    fn string(&mut self) -> bool {
        self.i += 1;
        loop {
            match self.peek() {
                None => return false,
                Some(b'"') => {
                    self.i += 1;
                    return true;
                }
                Some(b'\\') => {
                    self.i += 1;
                    match self.peek() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.i += 1,
                        Some(b'u') => {
                            let hex = self.b.get(self.i + 1..self.i + 5);
                            if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                                return false;
                            }
                            self.i += 5;
                        }
                        _ => return false,
                    }
                }
                Some(c) if c < 0x20 => return false,
                Some(_) => self.i += 1,
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        self.i - start
    }

    fn number(&mut self) -> bool {
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return false,
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return false;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return false;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::js_json_parse_accepts as ok;

    #[test]
    fn agrees_with_json_parse_on_the_edges() {
        for good in [
            "{}",
            " [1, -0, 0.5, 1e5, 1E-5, 5e5555555555041] ",
            r#"{"a":"\u00e9\ud800\n","b":null}"#,
            "\"\u{2028}\u{7f}\"",
            "true",
        ] {
            assert!(ok(good), "{good}");
        }
        for bad in [
            "",
            "{",
            "[1,]",
            "{\"a\":1,}",
            "01",
            "1.",
            ".5",
            "+1",
            "NaN",
            "[1] x",
            "\"\t\"",
            r#""\x""#,
            r#""\u12""#,
            "{'a':1}",
            "\u{feff}{}",
        ] {
            assert!(!ok(bad), "{bad}");
        }
    }
}
