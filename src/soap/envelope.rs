//! SOAP envelopes: reading a request with its WS-Addressing and
//! `chargeBoxIdentity` headers, and writing the response (or Fault) that
//! carries that same request's headers and no other's.

use serde_json::Value;

use super::codec;
use super::operation::Operation;
use super::xml::{self, push_escaped};
use super::{Service, SoapError};
use crate::station_id;

pub const SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";
pub const SOAP11: &str = "http://schemas.xmlsoap.org/soap/envelope/";
pub const WSA: &str = "http://www.w3.org/2005/08/addressing";
const ANONYMOUS: &str = "http://www.w3.org/2005/08/addressing/anonymous";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SoapVersion {
    V11,
    V12,
}

impl SoapVersion {
    pub fn namespace(self) -> &'static str {
        match self {
            Self::V11 => SOAP11,
            Self::V12 => SOAP12,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::V11 => "text/xml; charset=utf-8",
            Self::V12 => "application/soap+xml; charset=utf-8",
        }
    }
}

/// The headers a response needs from its request.
#[derive(Debug, Clone)]
pub struct Addressing {
    pub version: SoapVersion,
    pub action: Option<String>,
    pub message_id: Option<String>,
    pub from: Option<String>,
    pub charge_box_identity: Option<String>,
}

/// A request a station (or Central System) sent.
#[derive(Debug)]
pub struct Request {
    pub addressing: Addressing,
    pub service: Service,
    pub operation: &'static Operation,
    pub payload: Value,
}

/// Reads a request for one of `services` (the ones served on its path).
pub fn parse_request(body: &str, services: &[Service]) -> Result<Request, SoapError> {
    let root = xml::parse(body)?;
    let version = match (root.name.as_str(), root.ns.as_str()) {
        ("Envelope", SOAP12) => SoapVersion::V12,
        ("Envelope", SOAP11) => SoapVersion::V11,
        _ => return Err(SoapError::Malformed("the document is not a SOAP 1.1 or 1.2 Envelope".into())),
    };
    let text_of = |header: Option<&xml::Element>, name: &str| {
        header.and_then(|h| h.child(name)).map(|e| e.value().to_owned()).filter(|v| !v.is_empty())
    };
    let header = root.child("Header");
    let address_of =
        |name: &str| header.and_then(|h| h.child(name)).and_then(|e| e.child("Address")).map(|a| a.value().to_owned());
    let addressing = Addressing {
        version,
        action: text_of(header, "Action"),
        message_id: text_of(header, "MessageID"),
        from: address_of("From"),
        charge_box_identity: text_of(header, "chargeBoxIdentity"),
    };
    // Before anything keeps or shows it: the same rules as an OCPP-J id.
    if let Some(cb) = &addressing.charge_box_identity {
        station_id::check(cb).map_err(SoapError::ChargeBoxIdentity)?;
    }
    let body = root.child("Body").ok_or_else(|| SoapError::Malformed("the Envelope has no Body".into()))?;
    let content = body.children.first().ok_or_else(|| SoapError::Malformed("the Body is empty".into()))?;
    let service = services
        .iter()
        .copied()
        .find(|s| s.table().namespace == content.ns)
        .ok_or_else(|| SoapError::UnknownOperation(format!("{{{}}}{}", content.ns, content.name)))?;
    let operation =
        service.table().by_request(&content.name).ok_or_else(|| SoapError::UnknownOperation(content.name.clone()))?;
    let payload = Value::Object(codec::decode(content, operation.request_fields, operation.request)?);
    Ok(Request { addressing, service, operation, payload })
}

fn open_envelope(out: &mut String, version: SoapVersion, service: Service) {
    out.push_str(r#"<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap=""#);
    out.push_str(version.namespace());
    out.push_str(r#"" xmlns:wsa=""#);
    out.push_str(WSA);
    out.push_str(r#"" xmlns:tns=""#);
    out.push_str(service.table().namespace);
    out.push_str(r#"">"#);
}

fn element(out: &mut String, tag: &str, attrs: &str, text: &str) {
    out.push('<');
    out.push_str(tag);
    out.push_str(attrs);
    out.push('>');
    push_escaped(out, text);
    out.push_str("</");
    out.push_str(tag);
    out.push('>');
}

/// The response to `request`: its own Action + "Response", RelatesTo its
/// MessageID, its chargeBoxIdentity echoed (mustUnderstand for 1.6, as the
/// original), and the body encoded from the flow's JSON answer.
pub fn response(request: &Addressing, service: Service, op: &Operation, answer: &Value) -> Result<String, SoapError> {
    let mut body = String::with_capacity(256);
    body.push_str("<tns:");
    body.push_str(op.response);
    body.push('>');
    codec::encode(&mut body, "tns:", answer, op.response_fields, op.response)?;
    body.push_str("</tns:");
    body.push_str(op.response);
    body.push('>');

    let must = if service.version() == "1.6" { r#" soap:mustUnderstand="true""# } else { "" };
    let mut out = String::with_capacity(body.len() + 600);
    open_envelope(&mut out, request.version, service);
    out.push_str("<soap:Header>");
    if let Some(cb) = &request.charge_box_identity {
        element(&mut out, "tns:chargeBoxIdentity", must, cb);
    }
    let action = match &request.action {
        Some(action) => format!("{action}Response"),
        None => format!("/{}Response", op.name),
    };
    element(&mut out, "wsa:Action", must, &action);
    if let Some(id) = &request.message_id {
        element(&mut out, "wsa:RelatesTo", r#" RelationshipType="http://www.w3.org/2005/08/addressing/reply""#, id);
    }
    element(&mut out, "wsa:To", "", ANONYMOUS);
    out.push_str("</soap:Header><soap:Body>");
    out.push_str(&body);
    out.push_str("</soap:Body></soap:Envelope>");
    Ok(out)
}

/// What a client puts in a request's headers.
pub struct Outgoing<'a> {
    pub service: Service,
    pub operation: &'a Operation,
    pub charge_box_identity: &'a str,
    pub message_id: &'a str,
    pub to: &'a str,
    /// This side's own SOAP endpoint, so the peer can call back (WS-Addressing `From`).
    pub from: Option<&'a str>,
}

/// A SOAP 1.2 request: chargeBoxIdentity, Action `/<Op>`, MessageID, To,
/// ReplyTo anonymous and, when known, From; the body encoded from JSON.
pub fn request(o: &Outgoing<'_>, payload: &Value) -> Result<String, SoapError> {
    let mut body = String::with_capacity(256);
    body.push_str("<tns:");
    body.push_str(o.operation.request);
    body.push('>');
    codec::encode(&mut body, "tns:", payload, o.operation.request_fields, o.operation.request)?;
    body.push_str("</tns:");
    body.push_str(o.operation.request);
    body.push('>');
    let must = r#" soap:mustUnderstand="true""#;
    let mut out = String::with_capacity(body.len() + 700);
    open_envelope(&mut out, SoapVersion::V12, o.service);
    out.push_str("<soap:Header>");
    element(&mut out, "tns:chargeBoxIdentity", must, o.charge_box_identity);
    element(&mut out, "wsa:Action", must, &format!("/{}", o.operation.name));
    element(&mut out, "wsa:MessageID", "", o.message_id);
    if let Some(from) = o.from {
        out.push_str("<wsa:From>");
        element(&mut out, "wsa:Address", "", from);
        out.push_str("</wsa:From>");
    }
    out.push_str("<wsa:ReplyTo>");
    element(&mut out, "wsa:Address", "", ANONYMOUS);
    out.push_str("</wsa:ReplyTo>");
    element(&mut out, "wsa:To", must, o.to);
    out.push_str("</soap:Header><soap:Body>");
    out.push_str(&body);
    out.push_str("</soap:Body></soap:Envelope>");
    Ok(out)
}

/// How a peer answered a request.
#[derive(Debug, PartialEq)]
pub enum Reply {
    Response(Value),
    Fault { code: String, reason: String },
}

/// Reads the answer to a request for `op`: its response body as JSON, or its Fault.
pub fn parse_reply(body: &str, service: Service, op: &Operation) -> Result<Reply, SoapError> {
    let root = xml::parse(body)?;
    if root.name != "Envelope" || (root.ns != SOAP12 && root.ns != SOAP11) {
        return Err(SoapError::Malformed("the answer is not a SOAP Envelope".into()));
    }
    let body = root.child("Body").ok_or_else(|| SoapError::Malformed("the answer has no Body".into()))?;
    let content = body.children.first().ok_or_else(|| SoapError::Malformed("the answer's Body is empty".into()))?;
    if content.name == "Fault" {
        let code = content
            .child("Code")
            .and_then(|c| c.child("Value"))
            .or_else(|| content.child("faultcode"))
            .map(|e| e.value().to_owned())
            .unwrap_or_default();
        let reason = content
            .child("Reason")
            .and_then(|r| r.child("Text"))
            .or_else(|| content.child("faultstring"))
            .map(|e| e.value().to_owned())
            .unwrap_or_default();
        return Ok(Reply::Fault { code, reason });
    }
    if content.name != op.response || content.ns != service.table().namespace {
        return Err(SoapError::Invalid(format!(
            "expected {{{}}}{}, the answer has {{{}}}{}",
            service.table().namespace,
            op.response,
            content.ns,
            content.name
        )));
    }
    Ok(Reply::Response(Value::Object(codec::decode(content, op.response_fields, op.response)?)))
}

/// Who a Fault blames: the sender (bad request) or the receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultCode {
    Sender,
    Receiver,
}

impl FaultCode {
    pub fn http_status(self) -> u16 {
        match self {
            Self::Sender => 400,
            Self::Receiver => 500,
        }
    }
}

pub fn fault(version: SoapVersion, code: FaultCode, reason: &str) -> String {
    let mut out = String::with_capacity(400 + reason.len());
    out.push_str(r#"<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap=""#);
    out.push_str(version.namespace());
    out.push_str(r#""><soap:Body><soap:Fault>"#);
    match version {
        SoapVersion::V12 => {
            let value = if code == FaultCode::Sender { "soap:Sender" } else { "soap:Receiver" };
            out.push_str("<soap:Code>");
            element(&mut out, "soap:Value", "", value);
            out.push_str("</soap:Code><soap:Reason>");
            element(&mut out, "soap:Text", r#" xml:lang="en""#, reason);
            out.push_str("</soap:Reason>");
        }
        SoapVersion::V11 => {
            element(&mut out, "faultcode", "", if code == FaultCode::Sender { "soap:Client" } else { "soap:Server" });
            element(&mut out, "faultstring", "", reason);
        }
    }
    out.push_str("</soap:Fault></soap:Body></soap:Envelope>");
    out
}

/// A Fault the flow asks for with `msg.payload.Fault`: node-soap's shape
/// (`{Code: {Value}, Reason: {Text}}`) or SOAP 1.1's (`faultcode`, `faultstring`).
pub fn flow_fault(version: SoapVersion, fault_value: &Value) -> (FaultCode, String) {
    let code_text = fault_value
        .pointer("/Code/Value")
        .or_else(|| fault_value.get("faultcode"))
        .and_then(Value::as_str)
        .unwrap_or("soap:Receiver");
    let code = if code_text.contains("Sender") || code_text.contains("Client") {
        FaultCode::Sender
    } else {
        FaultCode::Receiver
    };
    let reason = fault_value
        .pointer("/Reason/Text")
        .or_else(|| fault_value.get("faultstring"))
        .and_then(Value::as_str)
        .unwrap_or("the Central System refused the request")
        .to_owned();
    (code, fault(version, code, &reason))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const BOOT16: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:cs="urn://Ocpp/Cs/2015/10/" xmlns:wsa="http://www.w3.org/2005/08/addressing">
  <soap:Header>
    <cs:chargeBoxIdentity soap:mustUnderstand="true">CB1</cs:chargeBoxIdentity>
    <wsa:Action soap:mustUnderstand="true">/BootNotification</wsa:Action>
    <wsa:MessageID>urn:uuid:1234</wsa:MessageID>
    <wsa:From><wsa:Address>http://10.0.0.7:8080/ocpp</wsa:Address></wsa:From>
    <wsa:ReplyTo><wsa:Address>http://www.w3.org/2005/08/addressing/anonymous</wsa:Address></wsa:ReplyTo>
    <wsa:To soap:mustUnderstand="true">http://cs/ocpp16s</wsa:To>
  </soap:Header>
  <soap:Body>
    <cs:bootNotificationRequest>
      <cs:chargePointVendor>Vendor &amp; Co</cs:chargePointVendor>
      <cs:chargePointModel>M1</cs:chargePointModel>
    </cs:bootNotificationRequest>
  </soap:Body>
</soap:Envelope>"#;

    #[test]
    fn charge_box_identities_follow_the_websocket_ids_rules() {
        let services = [Service::CentralSystem16];
        for (id, expected) in [("CB 1:a_b", true), ("CB&#10;[error]", false), ("a/b", false), ("CB&#0;", false)] {
            let body = BOOT16.replace(">CB1<", &format!(">{id}<"));
            let parsed = parse_request(&body, &services);
            assert_eq!(parsed.is_ok(), expected, "{id}: {parsed:?}");
        }
        let body = BOOT16.replace(">CB1<", &format!(">{}<", "X".repeat(256)));
        let error = parse_request(&body, &services).unwrap_err().to_string();
        assert_eq!(error, "the chargeBoxIdentity header is refused: the charge box id is longer than 255 characters");
    }

    #[test]
    fn reads_a_station_request_with_its_headers() {
        let r = parse_request(BOOT16, &[Service::CentralSystem15, Service::CentralSystem16]).unwrap();
        assert_eq!(r.service, Service::CentralSystem16);
        assert_eq!(r.operation.name, "BootNotification");
        assert_eq!(r.addressing.charge_box_identity.as_deref(), Some("CB1"));
        assert_eq!(r.addressing.message_id.as_deref(), Some("urn:uuid:1234"));
        assert_eq!(r.addressing.from.as_deref(), Some("http://10.0.0.7:8080/ocpp"));
        assert_eq!(r.payload, json!({"chargePointVendor": "Vendor & Co", "chargePointModel": "M1"}));
    }

    #[test]
    fn answers_with_that_requests_headers() {
        let r = parse_request(BOOT16, &[Service::CentralSystem16]).unwrap();
        let xml = response(
            &r.addressing,
            r.service,
            r.operation,
            &json!({"status": "Accepted", "currentTime": "2026-01-01T00:00:00Z", "interval": 300}),
        )
        .unwrap();
        assert!(
            xml.contains(r#"<wsa:Action soap:mustUnderstand="true">/BootNotificationResponse</wsa:Action>"#),
            "{xml}"
        );
        assert!(xml.contains(">urn:uuid:1234</wsa:RelatesTo>"));
        assert!(xml.contains(r#"<tns:chargeBoxIdentity soap:mustUnderstand="true">CB1</tns:chargeBoxIdentity>"#));
        assert!(xml.contains("<tns:bootNotificationResponse><tns:status>Accepted</tns:status><tns:currentTime>2026-01-01T00:00:00Z</tns:currentTime><tns:interval>300</tns:interval></tns:bootNotificationResponse>"));
        // The answer is itself well-formed XML.
        assert!(xml::parse(&xml).is_ok());
    }

    #[test]
    fn soap_11_heartbeat_of_1_5_without_headers() {
        let body = r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><heartbeatRequest xmlns="urn://Ocpp/Cs/2012/06/"/></s:Body></s:Envelope>"#;
        let r = parse_request(body, &[Service::CentralSystem15]).unwrap();
        assert_eq!(r.addressing.version, SoapVersion::V11);
        assert_eq!(r.operation.name, "Heartbeat");
        let xml =
            response(&r.addressing, r.service, r.operation, &json!({"currentTime": "2026-01-01T00:00:00Z"})).unwrap();
        assert!(xml.contains("<wsa:Action>/HeartbeatResponse</wsa:Action>"), "no mustUnderstand for 1.5: {xml}");
        assert!(!xml.contains("RelatesTo"));
        assert!(!xml.contains("chargeBoxIdentity"));
    }

    #[test]
    fn refuses_what_is_not_an_ocpp_request() {
        let services = [Service::CentralSystem16];
        assert!(matches!(parse_request("<x/>", &services), Err(SoapError::Malformed(_))));
        let other_ns = BOOT16.replace("urn://Ocpp/Cs/2015/10/", "urn://Ocpp/Cs/2012/06/");
        assert!(matches!(parse_request(&other_ns, &services), Err(SoapError::UnknownOperation(_))));
        let unknown = BOOT16.replace("bootNotificationRequest", "rebootRequest");
        assert!(matches!(parse_request(&unknown, &services), Err(SoapError::UnknownOperation(_))));
        let bad = BOOT16.replace("<cs:chargePointModel>M1</cs:chargePointModel>", "");
        assert!(matches!(parse_request(&bad, &services), Err(SoapError::Invalid(_))));
    }

    #[test]
    fn requests_and_replies_round_trip() {
        let op = Service::ChargePoint16.table().operation("Reset").unwrap();
        let out = Outgoing {
            service: Service::ChargePoint16,
            operation: op,
            charge_box_identity: "CB1",
            message_id: "urn:uuid:9",
            to: "http://cp/ocpp",
            from: Some("http://cs/ocpp16s"),
        };
        let xml = request(&out, &json!({"type": "Soft"})).unwrap();
        let parsed = parse_request(&xml, &[Service::ChargePoint16]).unwrap();
        assert_eq!(parsed.operation.name, "Reset");
        assert_eq!(parsed.payload, json!({"type": "Soft"}));
        assert_eq!(parsed.addressing.action.as_deref(), Some("/Reset"));
        assert_eq!(parsed.addressing.from.as_deref(), Some("http://cs/ocpp16s"));
        let answer =
            response(&parsed.addressing, parsed.service, parsed.operation, &json!({"status": "Accepted"})).unwrap();
        assert_eq!(
            parse_reply(&answer, Service::ChargePoint16, op).unwrap(),
            Reply::Response(json!({"status": "Accepted"}))
        );
        let f = fault(SoapVersion::V12, FaultCode::Sender, "nope");
        assert_eq!(
            parse_reply(&f, Service::ChargePoint16, op).unwrap(),
            Reply::Fault { code: "soap:Sender".into(), reason: "nope".into() }
        );
    }

    #[test]
    fn faults_in_both_versions() {
        let f = fault(SoapVersion::V12, FaultCode::Sender, "bad <input>");
        assert!(f.contains("<soap:Value>soap:Sender</soap:Value>") && f.contains("bad &lt;input&gt;"));
        assert!(xml::parse(&f).is_ok());
        let f = fault(SoapVersion::V11, FaultCode::Receiver, "x");
        assert!(f.contains("<faultcode>soap:Server</faultcode>"));
        let (code, text) =
            flow_fault(SoapVersion::V12, &json!({"Code": {"Value": "soap:Sender"}, "Reason": {"Text": "no"}}));
        assert_eq!(code, FaultCode::Sender);
        assert!(text.contains(">no<"));
    }
}
