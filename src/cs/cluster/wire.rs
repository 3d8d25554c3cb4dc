//! What instances say to each other over Redis Pub/Sub: JSON envelopes on
//! an instance's own channel (calls, replies, disconnects, kicks) or on the
//! cluster's broadcast channel (passwords, SOAP addresses).
//!
//! Adjacently tagged (`{"t": kind, "c": content}`), not internally: serde
//! buffers an internally tagged enum's fields, and a buffered payload can no
//! longer be kept as raw JSON text.
//!
//! Pub/Sub delivers at most once, which is what a command to a station
//! needs: a RemoteStartTransaction run twice is worse than one that failed.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::collections::HashMap;

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "t", content = "c", rename_all = "lowercase")]
pub enum Envelope {
    /// A `CS request JSON` on instance `from` for a station this instance holds.
    /// `run`: the caller's run id, which the reply carries back: request ids
    /// start again at 1 in each run (a redeploy), so a late reply to an earlier
    /// run must not settle this run's request of the same number.
    Call {
        rid: u64,
        #[serde(default)]
        run: String,
        from: String,
        cb: String,
        action: String,
        id: String,
        timeout_ms: u64,
        payload: Box<RawValue>,
    },
    /// The outcome of a routed call, as the holder's engine wrote it for
    /// JavaScript, for request `rid` of the caller's run `run`.
    Reply {
        rid: u64,
        #[serde(default)]
        run: String,
        outcome: Box<RawValue>,
    },
    /// `LOCAL_DISCONNECT` for a station this instance holds.
    Disconnect { cb: String },
    /// Instance `by` claimed `cb`; the holder of claim `token` closes its connection.
    Kick { cb: String, token: String, by: String },
    /// `LOCAL_SET_ALL_AUTH_EVSES` on instance `from`.
    Passwords { from: String, entries: HashMap<String, String> },
    /// A SOAP station's address, learned by instance `from`.
    Soap { from: String, cb: String, address: String },
    /// An instance's heartbeat on its own channel: proof that its subscription still delivers.
    Ping { run: String },
}

impl Envelope {
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).expect("an envelope always serialises")
    }

    pub fn parse(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_round_trip_and_keep_payloads_as_they_were() {
        let payload = RawValue::from_string(r#"{"type":"Soft", "x":1.50}"#.into()).unwrap();
        let call = Envelope::Call {
            rid: 7,
            run: "r1".into(),
            from: "a".into(),
            cb: "CP1".into(),
            action: "Reset".into(),
            id: "m1".into(),
            timeout_ms: 5000,
            payload,
        };
        match Envelope::parse(&call.to_text()).unwrap() {
            Envelope::Call { rid: 7, payload, .. } => assert_eq!(payload.get(), r#"{"type":"Soft", "x":1.50}"#),
            other => panic!("{other:?}"),
        }
        // What the presence script writes (cjson) parses as a kick.
        let kick = Envelope::parse(r#"{"c":{"by":"b","cb":"CP1","token":"42"},"t":"kick"}"#).unwrap();
        assert!(matches!(kick, Envelope::Kick { ref token, .. } if token == "42"));
        assert!(Envelope::parse(r#"{"t":"nonsense"}"#).is_err());
    }
}
