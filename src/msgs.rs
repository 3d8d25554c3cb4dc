//! The events a node receives (`CS server`, `CP server SOAP`, `CP client
//! JSON`), each carrying the Node-RED msg it sends, already in the shape
//! `node-red-contrib-ocpp` gave it (`msgId`, `ocpp.command`,
//! `ocpp.chargeBoxIdentity`, `payload.command` and `payload.data`), so flows
//! written for it run unchanged. Building the msg here keeps the node's
//! JavaScript to one `node.send`.
//!
//! Event fields: `k` kind, `o` output index, `cb` station, `s` command for the
//! status text, `m` the msg, `text` for warnings.

use crate::json::{push_json_str, push_json_str_parts};
use crate::version::OcppVersion;

/// Whose msg it is. A station at the Central System is named in
/// `ocpp.chargeBoxIdentity`, as the original did; the charge point's own msgs
/// (`CP client JSON`) are not, as in the original. Both are named in
/// `msg.topic`, `<chargeBoxId>/<command>`, so the debug sidebar tells them apart.
#[derive(Debug, Clone, Copy)]
pub enum Side<'a> {
    /// A station connected to a `CS server`.
    Station(&'a str),
    /// The charge point a `CP client JSON` plays.
    ChargePoint(&'a str),
}

impl<'a> Side<'a> {
    fn id(self) -> &'a str {
        match self {
            Self::Station(id) | Self::ChargePoint(id) => id,
        }
    }

    /// The id for `ocpp.chargeBoxIdentity` and the event's `cb`.
    fn shown(self) -> Option<&'a str> {
        match self {
            Self::Station(id) => Some(id),
            Self::ChargePoint(_) => None,
        }
    }
}

/// `{"k":<kind>,"o":0[,"cb":<cb>]`: the start of every event on output 1, left open.
fn event_head(out: &mut String, kind: &str, cb: Option<&str>) {
    out.push_str(r#"{"k":""#);
    out.push_str(kind);
    out.push_str(r#"","o":0"#);
    if let Some(cb) = cb {
        out.push_str(r#","cb":"#);
        push_json_str(out, cb);
    }
}

/// `"topic":"<id>/<command>",`
fn topic(out: &mut String, id: &str, command: &str) {
    out.push_str(r#""topic":"#);
    push_json_str_parts(out, &[id, "/", command]);
    out.push(',');
}

/// The peer's CALL: a station's on a `CS server`'s first output, the Central
/// System's on a `CP client JSON`'s output.
pub fn call(
    out: &mut String,
    side: Side<'_>,
    version: OcppVersion,
    frame_id: &str,
    action: &str,
    msg_id: &str,
    payload: &str,
) {
    event_head(out, "call", side.shown());
    call_msg(out, side, version, frame_id, 2, action, Some(msg_id), payload, None);
}

/// A station's CALL on a `CS server`, with `msg.unified` (JSON object text)
/// when the server has unified messages on.
#[allow(clippy::too_many_arguments)]
pub fn call_unified(
    out: &mut String,
    side: Side<'_>,
    version: OcppVersion,
    frame_id: &str,
    action: &str,
    msg_id: &str,
    payload: &str,
    unified: Option<&str>,
) {
    event_head(out, "call", side.shown());
    call_msg(out, side, version, frame_id, 2, action, Some(msg_id), payload, unified);
}

/// An OCPP 2.1 SEND (message type 6): like a CALL, but without `msgId`,
/// since nothing answers it.
pub fn send(out: &mut String, side: Side<'_>, version: OcppVersion, frame_id: &str, action: &str, payload: &str) {
    event_head(out, "call", side.shown());
    call_msg(out, side, version, frame_id, 6, action, None, payload, None);
}

/// `,"s":<action>,"m":{msgId, topic, ocpp, payload}}`: the rest of a call event.
#[allow(clippy::too_many_arguments)]
fn call_msg(
    out: &mut String,
    side: Side<'_>,
    version: OcppVersion,
    frame_id: &str,
    msg_type: u8,
    action: &str,
    msg_id: Option<&str>,
    payload: &str,
    unified: Option<&str>,
) {
    out.push_str(r#","s":"#);
    push_json_str(out, action);
    out.push_str(r#","m":{"#);
    if let Some(msg_id) = msg_id {
        out.push_str(r#""msgId":"#);
        push_json_str(out, msg_id);
        // Node-RED's own `_msgid`, set here because generating it in JavaScript
        // costs the flow's thread a few percent at full load. 64 bits of the UUID.
        out.push_str(r#","_msgid":""#);
        out.extend(msg_id.chars().filter(|c| c.is_ascii_hexdigit()).take(16));
        out.push_str(r#"","#);
    }
    topic(out, side.id(), action);
    out.push_str(r#""ocpp":{"ocppVersion":""#);
    out.push_str(version.label());
    out.push_str(r#"","#);
    if let Some(cb) = side.shown() {
        out.push_str(r#""chargeBoxIdentity":"#);
        push_json_str(out, cb);
        out.push(',');
    }
    out.push_str(r#""MessageId":"#);
    push_json_str(out, frame_id);
    out.push_str(r#","msgType":"#);
    out.push(char::from(b'0' + msg_type));
    out.push_str(r#","command":"#);
    push_json_str(out, action);
    out.push_str(r#"},"payload":{"command":"#);
    push_json_str(out, action);
    out.push_str(r#","data":"#);
    out.push_str(payload);
    out.push('}');
    push_unified(out, unified);
    out.push_str("}}");
}

/// `,"unified":<json>` when there is one.
fn push_unified(out: &mut String, unified: Option<&str>) {
    if let Some(unified) = unified {
        out.push_str(r#","unified":"#);
        out.push_str(unified);
    }
}

/// `"ocpp":{"websocket":<state>,["chargeBoxIdentity":<cb>,]"ocppVersion":<v>`, left open.
fn connection_event(out: &mut String, kind: &str, side: Side<'_>, version: OcppVersion) {
    event_head(out, kind, side.shown());
    let state = if kind == "online" { "ONLINE" } else { "OFFLINE" };
    out.push_str(r#","m":{"#);
    topic(out, side.id(), state);
    out.push_str(r#""ocpp":{"websocket":""#);
    out.push_str(state);
    out.push('"');
    if let Some(cb) = side.shown() {
        out.push_str(r#","chargeBoxIdentity":"#);
        push_json_str(out, cb);
    }
    out.push_str(r#","ocppVersion":""#);
    out.push_str(version.label());
    out.push('"');
}

fn close_details(out: &mut String, code: u16, reason: &str) {
    out.push_str(r#","code":"#);
    out.push_str(&code.to_string());
    out.push_str(r#","reason":"#);
    push_json_str(out, reason);
    out.push_str("}}}");
}

/// The link came up: `{ocpp:{websocket:"ONLINE"}}` as the original.
pub fn online(out: &mut String, side: Side<'_>, version: OcppVersion) {
    connection_event(out, "online", side, version);
    out.push_str("}}}");
}

/// The link ended, with the close code and reason.
pub fn offline(out: &mut String, side: Side<'_>, version: OcppVersion, code: u16, reason: &str) {
    connection_event(out, "offline", side, version);
    close_details(out, code, reason);
}

/// Connection state for the node's status: `connecting`, `connected`,
/// `reconnecting` (with the failures so far and the seconds to the next try), `closed`.
pub fn cp_state(out: &mut String, state: &str, failures: u32, next_try_s: Option<f64>) {
    out.push_str(r#"{"k":"state","state":"#);
    push_json_str(out, state);
    out.push_str(r#","failures":"#);
    out.push_str(&failures.to_string());
    if let Some(s) = next_try_s {
        out.push_str(r#","nextTryS":"#);
        out.push_str(&format!("{s:.1}"));
    }
    out.push('}');
}

/// A SOAP station's request, in the shape the original gave it:
/// `ocppVersion` "1.5"/"1.6", `MessageID` (capital D, "Unknown" when absent)
/// and `From` when the station sent one.
pub struct SoapCall<'a> {
    pub cb: &'a str,
    pub version: &'a str,
    pub action: &'a str,
    pub msg_id: &'a str,
    pub message_id: Option<&'a str>,
    pub from: Option<&'a str>,
    /// JSON object text.
    pub payload: &'a str,
    /// `msg.unified` (JSON object text) with unified messages on.
    pub unified: Option<&'a str>,
}

pub fn soap_call(out: &mut String, c: &SoapCall<'_>) {
    event_head(out, "call", Some(c.cb));
    out.push_str(r#","s":"#);
    push_json_str(out, c.action);
    out.push_str(r#","m":{"msgId":"#);
    push_json_str(out, c.msg_id);
    out.push(',');
    topic(out, c.cb, c.action);
    out.push_str(r#""ocpp":{"command":"#);
    push_json_str(out, c.action);
    out.push_str(r#","chargeBoxIdentity":"#);
    push_json_str(out, c.cb);
    out.push_str(r#","ocppVersion":"#);
    push_json_str(out, c.version);
    if let Some(from) = c.from {
        out.push_str(r#","From":"#);
        push_json_str(out, from);
    }
    out.push_str(r#","MessageID":"#);
    push_json_str(out, c.message_id.unwrap_or("Unknown"));
    out.push_str(r#"},"payload":{"command":"#);
    push_json_str(out, c.action);
    out.push_str(r#","data":"#);
    out.push_str(c.payload);
    out.push('}');
    push_unified(out, c.unified);
    out.push_str("}}");
}

/// A file a station uploaded to the `CS server`'s file endpoints
/// (`cs/files.rs`): where it landed and how big it is. `cb` is the station
/// that sent it (its Basic-auth user), empty when it did not say.
pub struct Upload<'a> {
    pub cb: &'a str,
    /// `PUT` or `POST`.
    pub method: &'a str,
    pub name: &'a str,
    /// The file's full path on disk.
    pub path: &'a str,
    pub size: u64,
}

/// Output 1: `{topic: "<cb>/upload", ocpp: {command: "upload",
/// chargeBoxIdentity, method}, payload: {name, path, size}}`, named like a
/// station's CALL so a switch on `msg.ocpp.command` or the topic finds it.
pub fn upload(out: &mut String, u: &Upload<'_>) {
    event_head(out, "upload", Some(u.cb));
    out.push_str(r#","s":"upload","m":{"#);
    topic(out, u.cb, "upload");
    out.push_str(r#""ocpp":{"command":"upload","chargeBoxIdentity":"#);
    push_json_str(out, u.cb);
    out.push_str(r#","method":"#);
    push_json_str(out, u.method);
    out.push_str(r#"},"payload":{"name":"#);
    push_json_str(out, u.name);
    out.push_str(r#","path":"#);
    push_json_str(out, u.path);
    out.push_str(r#","size":"#);
    out.push_str(&u.size.to_string());
    out.push_str("}}}");
}

/// Output 2: `{timestamp, cbId, msgFrom, payload: <the raw frame>}`. `frame`
/// must be valid JSON (a frame that parsed, or one this engine wrote).
pub fn raw_log(out: &mut String, cb: &str, from: &str, frame: &str) {
    let now = crate::time::now_ms();
    out.push_str(r#"{"k":"log","o":1,"m":{"timestamp":"#);
    out.push_str(&now.to_string());
    out.push_str(r#","cbId":"#);
    push_json_str(out, cb);
    out.push_str(r#","msgFrom":"#);
    push_json_str(out, from);
    out.push_str(r#","payload":"#);
    out.push_str(frame);
    out.push_str("}}");
}

/// The outcome of a transaction message restored from the durable queue
/// after a restart: no flow is waiting for it, so the node sends it on.
pub fn restored(out: &mut String, side: Side<'_>, action: &str, outcome_json: &str) {
    out.push_str(r#"{"k":"restored","s":"#);
    push_json_str(out, action);
    out.push_str(r#","topic":"#);
    push_json_str_parts(out, &[side.id(), "/", action]);
    out.push_str(r#","outcome":"#);
    out.push_str(outcome_json);
    out.push('}');
}

/// A refused handshake, which the node counts in its status; with the
/// warning for the log when one is due.
pub fn refused(out: &mut String, cb: &str, warning: Option<&str>) {
    text_event(out, "refused", cb, warning.unwrap_or(""));
}

/// The cluster's Redis went away (`up` false) or is reachable (again).
/// `in_use`: another process holds the instance id, so this one stays out of the cluster.
pub fn cluster_state(out: &mut String, instance: &str, up: bool, in_use: bool) {
    out.push_str(r#"{"k":"cluster","up":"#);
    out.push_str(if up { "true" } else { "false" });
    if in_use {
        out.push_str(r#","inUse":true"#);
    }
    out.push_str(r#","instance":"#);
    push_json_str(out, instance);
    out.push('}');
}

pub fn warn(out: &mut String, cb: &str, text: &str) {
    text_event(out, "warn", cb, text);
}

/// A line for Node-RED's log (and the node's log file), not a warning.
pub fn info(out: &mut String, cb: &str, text: &str) {
    text_event(out, "info", cb, text);
}

fn text_event(out: &mut String, kind: &str, cb: &str, text: &str) {
    out.push_str(r#"{"k":""#);
    out.push_str(kind);
    out.push_str(r#"","cb":"#);
    push_json_str(out, cb);
    out.push_str(r#","text":"#);
    push_json_str(out, text);
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn parsed(write: impl FnOnce(&mut String)) -> Value {
        let mut s = String::new();
        write(&mut s);
        serde_json::from_str(&s).unwrap()
    }

    #[test]
    fn call_msg_has_the_original_shape_plus_version() {
        let v = parsed(|o| call(o, Side::Station("CP \"1\""), OcppVersion::V16, "f1", "Heartbeat", "m1", "{}"));
        assert_eq!(
            v["m"],
            json!({"msgId":"m1","_msgid":"1","topic":"CP \"1\"/Heartbeat","ocpp":{"ocppVersion":"1.6j","chargeBoxIdentity":"CP \"1\"","MessageId":"f1","msgType":2,"command":"Heartbeat"},"payload":{"command":"Heartbeat","data":{}}})
        );
    }

    #[test]
    fn charge_point_msgs_have_the_original_shape() {
        let v = parsed(|o| {
            let side = Side::ChargePoint("SIM-1");
            call(o, side, OcppVersion::V16, "f1", "Reset", "7d0f3c2a-1111-4222-8333-444455556666", r#"{"type":"Soft"}"#)
        });
        assert_eq!(
            v["m"],
            json!({"msgId":"7d0f3c2a-1111-4222-8333-444455556666","_msgid":"7d0f3c2a11114222","topic":"SIM-1/Reset","ocpp":{"ocppVersion":"1.6j","MessageId":"f1","msgType":2,"command":"Reset"},"payload":{"command":"Reset","data":{"type":"Soft"}}})
        );
        assert_eq!(
            parsed(|o| online(o, Side::ChargePoint("SIM-1"), OcppVersion::V201))["m"],
            json!({"topic":"SIM-1/ONLINE","ocpp":{"websocket":"ONLINE","ocppVersion":"2.0.1"}})
        );
        assert_eq!(
            parsed(|o| offline(o, Side::ChargePoint("SIM-1"), OcppVersion::V16, 1006, "x"))["m"],
            json!({"topic":"SIM-1/OFFLINE","ocpp":{"websocket":"OFFLINE","ocppVersion":"1.6j","code":1006,"reason":"x"}})
        );
        assert_eq!(parsed(|o| cp_state(o, "reconnecting", 2, Some(5.25)))["nextTryS"], 5.2);
    }

    #[test]
    fn a_unified_call_carries_msg_unified_beside_the_native_payload() {
        let v = parsed(|o| {
            call_unified(
                o,
                Side::Station("CB"),
                OcppVersion::V16,
                "f",
                "Heartbeat",
                "m",
                "{}",
                Some(r#"{"event":"Heartbeat"}"#),
            )
        });
        assert_eq!(v["m"]["unified"]["event"], "Heartbeat");
        assert_eq!(v["m"]["payload"]["data"], serde_json::json!({}));
        let plain = parsed(|o| call(o, Side::Station("CB"), OcppVersion::V16, "f", "Heartbeat", "m", "{}"));
        assert!(plain["m"].get("unified").is_none());
    }

    #[test]
    fn soap_msgs_have_the_original_shape() {
        let call = SoapCall {
            cb: "CB1",
            version: "1.6",
            action: "Heartbeat",
            msg_id: "m",
            message_id: None,
            from: Some("http://cp"),
            payload: "{}",
            unified: None,
        };
        let v = parsed(|o| soap_call(o, &call));
        assert_eq!(
            v["m"],
            json!({"msgId":"m","topic":"CB1/Heartbeat","ocpp":{"command":"Heartbeat","chargeBoxIdentity":"CB1","ocppVersion":"1.6","From":"http://cp","MessageID":"Unknown"},"payload":{"command":"Heartbeat","data":{}}})
        );
    }

    #[test]
    fn upload_msg_names_the_station_and_the_file() {
        let u =
            Upload { cb: "CP-1", method: "PUT", name: "diag \"1\".zip", path: "/srv/files/diag \"1\".zip", size: 42 };
        let v = parsed(|o| upload(o, &u));
        assert_eq!(
            (&v["k"], &v["o"], &v["cb"], &v["s"]),
            (&json!("upload"), &json!(0), &json!("CP-1"), &json!("upload"))
        );
        assert_eq!(
            v["m"],
            json!({"topic":"CP-1/upload","ocpp":{"command":"upload","chargeBoxIdentity":"CP-1","method":"PUT"},"payload":{"name":"diag \"1\".zip","path":"/srv/files/diag \"1\".zip","size":42}})
        );
    }

    #[test]
    fn connection_events_and_log_are_valid_json() {
        let on = parsed(|o| online(o, Side::Station("A"), OcppVersion::V21));
        assert_eq!(on["cb"], "A");
        assert_eq!(
            on["m"],
            json!({"topic":"A/ONLINE","ocpp":{"websocket":"ONLINE","chargeBoxIdentity":"A","ocppVersion":"2.1"}})
        );
        let off = parsed(|o| offline(o, Side::Station("A"), OcppVersion::V16, 1006, "gone"));
        assert_eq!(off["m"]["ocpp"]["code"], 1006);
        assert_eq!(off["k"], "offline");
        let sent = parsed(|o| send(o, Side::Station("A"), OcppVersion::V21, "s1", "NotifyPeriodicEventStream", "{}"));
        assert_eq!(
            sent["m"],
            json!({"topic":"A/NotifyPeriodicEventStream","ocpp":{"ocppVersion":"2.1","chargeBoxIdentity":"A","MessageId":"s1","msgType":6,"command":"NotifyPeriodicEventStream"},"payload":{"command":"NotifyPeriodicEventStream","data":{}}})
        );
        let log = parsed(|o| raw_log(o, "A", "CS", r#"[2,"1","Heartbeat",{}]"#));
        assert_eq!(log["m"]["payload"][2], "Heartbeat");
        assert_eq!(log["o"], 1);
    }
}
