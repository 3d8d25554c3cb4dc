//! The events a `CS server` node receives, each carrying the Node-RED msg it
//! sends, already in the original package's shape (behaviour notes §2.3, §7).
//! Building the msg here keeps the node's JavaScript to one `node.send`.
//!
//! Event fields: `k` kind, `o` output index, `cb` station, `s` command for the
//! status text, `m` the msg, `text` for warnings.

use super::frame::push_json_str;

/// The OCPP version label on every OCPP-J msg of this engine.
pub const OCPP_16J: &str = "1.6j";

pub fn call(out: &mut String, cb: &str, frame_id: &str, action: &str, msg_id: &str, payload: &str) {
    out.push_str(r#"{"k":"call","o":0,"cb":"#);
    push_json_str(out, cb);
    out.push_str(r#","s":"#);
    push_json_str(out, action);
    out.push_str(r#","m":{"msgId":"#);
    push_json_str(out, msg_id);
    out.push_str(r#","ocpp":{"ocppVersion":"1.6j","chargeBoxIdentity":"#);
    push_json_str(out, cb);
    out.push_str(r#","MessageId":"#);
    push_json_str(out, frame_id);
    out.push_str(r#","msgType":2,"command":"#);
    push_json_str(out, action);
    out.push_str(r#"},"payload":{"command":"#);
    push_json_str(out, action);
    out.push_str(r#","data":"#);
    out.push_str(payload);
    out.push_str("}}}");
}

pub fn online(out: &mut String, cb: &str) {
    out.push_str(r#"{"k":"online","o":0,"cb":"#);
    push_json_str(out, cb);
    out.push_str(r#","m":{"ocpp":{"websocket":"ONLINE","chargeBoxIdentity":"#);
    push_json_str(out, cb);
    out.push_str(r#","ocppVersion":"1.6j"}}}"#);
}

pub fn offline(out: &mut String, cb: &str, code: u16, reason: &str) {
    out.push_str(r#"{"k":"offline","o":0,"cb":"#);
    push_json_str(out, cb);
    out.push_str(r#","m":{"ocpp":{"websocket":"OFFLINE","chargeBoxIdentity":"#);
    push_json_str(out, cb);
    out.push_str(r#","ocppVersion":"1.6j","code":"#);
    out.push_str(&code.to_string());
    out.push_str(r#","reason":"#);
    push_json_str(out, reason);
    out.push_str("}}}");
}

/// Output 2: `{timestamp, cbId, msgFrom, payload: <the raw frame>}`. `frame`
/// must be valid JSON (a frame that parsed, or one this engine wrote).
pub fn raw_log(out: &mut String, cb: &str, from: &str, frame: &str) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
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

pub fn warn(out: &mut String, cb: &str, text: &str) {
    out.push_str(r#"{"k":"warn","cb":"#);
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
        let v = parsed(|o| call(o, "CP \"1\"", "f1", "Heartbeat", "m1", "{}"));
        assert_eq!(
            v["m"],
            json!({"msgId":"m1","ocpp":{"ocppVersion":"1.6j","chargeBoxIdentity":"CP \"1\"","MessageId":"f1","msgType":2,"command":"Heartbeat"},"payload":{"command":"Heartbeat","data":{}}})
        );
    }

    #[test]
    fn connection_events_and_log_are_valid_json() {
        assert_eq!(parsed(|o| online(o, "A"))["m"]["ocpp"]["websocket"], "ONLINE");
        let off = parsed(|o| offline(o, "A", 1006, "gone"));
        assert_eq!(off["m"]["ocpp"]["code"], 1006);
        let log = parsed(|o| raw_log(o, "A", "CS", r#"[2,"1","Heartbeat",{}]"#));
        assert_eq!(log["m"]["payload"][2], "Heartbeat");
        assert_eq!(log["o"], 1);
    }
}
