//! Commands in either version's words (`CS request JSON`, the sidebar's CALL
//! form; docs/UNIFIED.md "Commands"): what a flow wrote becomes what its
//! station's version takes, on the instance that holds the station, since
//! only there is its version known. The mapping itself is
//! `unified::commands`; this module decides when it applies and supplies the
//! ids it generates.

use std::sync::atomic::{AtomicI64, Ordering};

use crate::flow::Translation;
use crate::schema::{check_schema, Direction};
use crate::unified::commands::{self, Ids, Translated};
use crate::version::OcppVersion;

/// The station's action and payload for a command, and how its answer goes back.
pub enum ForStation {
    /// The flow's own action and payload text, byte for byte.
    Native(Native),
    /// Written in the other version's words: what the station gets instead.
    Translated(Box<Translated>),
}

/// A command that goes to the station as the flow wrote it, with what
/// deciding so found out, so the checks after it need not find it again.
#[derive(Debug)]
pub struct Native {
    /// The text passed the station's version's schema (`for_station` checked
    /// it), so strict mode's check would pass again.
    pub schema_valid: bool,
    /// The payload as a JSON value, when deciding had to parse it.
    pub value: Option<serde_json::Value>,
}

/// A command that fits neither version's words (strict stations only), and
/// the payload as parsed to find that out.
#[derive(Debug)]
pub struct Refused {
    pub message: String,
    pub value: serde_json::Value,
}

/// What a command becomes for a station of `version`.
///
/// Native (untouched) when it is valid in the station's version, so a native
/// command costs one schema walk and no copy. Otherwise translated when it is
/// the other version's words. A command that fits neither version is an error
/// naming both reasons when the station is strict; a station not in strict
/// mode gets it as written, as before translation existed (its own checks
/// decide, and a vendor's action still goes through).
pub fn for_station(version: OcppVersion, strict: bool, action: &str, payload: &str) -> Result<ForStation, Refused> {
    if check_schema(version, action, Direction::Request, payload).is_ok() {
        return Ok(ForStation::Native(Native { schema_valid: true, value: None }));
    }
    // check_call has made sure the payload is a JSON object.
    let Ok(value) = serde_json::from_str::<serde_json::Value>(payload) else {
        return Ok(ForStation::Native(Native { schema_valid: false, value: None }));
    };
    let native = |value| Ok(ForStation::Native(Native { schema_valid: false, value: Some(value) }));
    match commands::to_station(version, action, &value, &mut ProcessIds) {
        Ok(t) if t.translated => Ok(ForStation::Translated(Box::new(t))),
        Ok(_) => native(value),
        Err(e) if strict => Err(Refused { message: e.to_string(), value }),
        Err(_) => native(value),
    }
}

/// The commands whose name differs between OCPP 1.6 and 2.0.1/2.1 and which
/// `unified::commands` translates, (1.6 name, 2.x name). The others it
/// translates keep their name in both (Reset, UnlockConnector, ...).
const RENAMED: [(&str, &str); 5] = [
    ("RemoteStartTransaction", "RequestStartTransaction"),
    ("RemoteStopTransaction", "RequestStopTransaction"),
    ("GetConfiguration", "GetVariables"),
    ("ChangeConfiguration", "SetVariables"),
    ("GetDiagnostics", "GetLog"),
];

/// The actions a station of `version` can be sent in the other version's
/// words that it does not know by that name (the sidebar's CALL form lists
/// them after the station's own), sorted.
pub fn other_words(version: OcppVersion) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = RENAMED
        .iter()
        .map(|&(v16, v2)| if version.is_2x() { v16 } else { v2 })
        .filter(|name| !crate::schema::knows_action(version, name))
        .collect();
    names.sort_unstable();
    names
}

/// What the flow's ticket needs of a translated command: the two actions and
/// the way back for the station's answer (raw JSON object text in, the same
/// out when it is not JSON, which strict mode and the link rule out).
pub fn translation(cmd: Translated, version: OcppVersion) -> Translation {
    let (from, to) = (cmd.original_action.clone(), cmd.action.clone());
    let answer_back = move |answer: String| match serde_json::from_str::<serde_json::Value>(&answer) {
        Ok(value) => commands::answer_back(&cmd, version, &value).to_string(),
        Err(_) => answer,
    };
    Translation { from, to, answer_back: Box::new(answer_back) }
}

/// The values a translation generates (2.x `remoteStartId`, `requestId`):
/// one process-wide counter, seeded from the clock so that a restarted
/// process does not start again where the last one did. A station only needs
/// them unique among its own outstanding requests; they stay within a 32-bit
/// signed integer, which is what stations store them in.
struct ProcessIds;

static NEXT_ID: AtomicI64 = AtomicI64::new(0);

/// Ids repeat after this many; the seed is below it too.
const ID_SPAN: i64 = 1 << 30;

impl Ids for ProcessIds {
    fn next_id(&mut self) -> i64 {
        if NEXT_ID.load(Ordering::Relaxed) == 0 {
            let _ = NEXT_ID.compare_exchange(0, seed(), Ordering::Relaxed, Ordering::Relaxed);
        }
        next_in_span(NEXT_ID.fetch_add(1, Ordering::Relaxed))
    }
}

/// Seconds since the epoch times 1000, within the span: a restart more than a
/// second later starts past the ids of a process that issued fewer than 1000
/// a second.
fn seed() -> i64 {
    let secs = (crate::time::now_ms() / 1000) as i64;
    next_in_span(secs.wrapping_mul(1000))
}

/// Positive and below [`ID_SPAN`].
fn next_in_span(n: i64) -> i64 {
    n.rem_euclid(ID_SPAN - 1) + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_positive_32_bit_and_do_not_repeat_in_a_row() {
        let mut ids = ProcessIds;
        let a = ids.next_id();
        let b = ids.next_id();
        assert!(a > 0 && a < i64::from(i32::MAX), "{a}");
        assert_ne!(a, b);
        assert_eq!(next_in_span(ID_SPAN - 1), 1);
        assert_eq!(next_in_span(-5), ID_SPAN - 5);
    }

    #[test]
    fn the_other_words_are_those_the_station_does_not_know() {
        assert_eq!(
            other_words(OcppVersion::V201),
            [
                "ChangeConfiguration",
                "GetConfiguration",
                "GetDiagnostics",
                "RemoteStartTransaction",
                "RemoteStopTransaction"
            ]
        );
        assert_eq!(other_words(OcppVersion::V21), other_words(OcppVersion::V201));
        let v16 = other_words(OcppVersion::V16);
        for name in ["GetVariables", "RequestStartTransaction", "RequestStopTransaction", "SetVariables"] {
            assert!(v16.contains(&name), "{v16:?}");
        }
        assert!(v16.iter().all(|name| !crate::schema::knows_action(OcppVersion::V16, name)));
    }

    #[test]
    fn a_native_command_is_untouched_whatever_the_strictness() {
        for strict in [true, false] {
            let out = for_station(OcppVersion::V16, strict, "Reset", r#"{"type":"Soft"}"#).unwrap();
            assert!(matches!(out, ForStation::Native(Native { schema_valid: true, value: None })));
        }
    }

    #[test]
    fn other_words_are_translated_and_neither_is_refused_only_when_strict() {
        let out = for_station(OcppVersion::V201, true, "Reset", r#"{"type":"Soft"}"#).unwrap();
        let ForStation::Translated(t) = out else { panic!("not translated") };
        assert_eq!((t.action.as_str(), t.payload["type"].as_str()), ("Reset", Some("OnIdle")));
        let err = for_station(OcppVersion::V201, true, "Reset", r#"{"type":"Sideways"}"#).err().unwrap().message;
        assert!(err.contains("1.6") && err.contains("2.0.1"), "{err}");
        // Not strict: the station decides, as before.
        assert!(matches!(
            for_station(OcppVersion::V201, false, "Reset", r#"{"type":"Sideways"}"#),
            Ok(ForStation::Native(Native { schema_valid: false, value: Some(_) }))
        ));
        assert!(matches!(
            for_station(OcppVersion::V16, false, "VendorThing", "{}"),
            Ok(ForStation::Native(Native { schema_valid: false, value: Some(_) }))
        ));
        // Valid as written: checked once, not parsed.
        assert!(matches!(
            for_station(OcppVersion::V201, true, "Reset", r#"{"type":"OnIdle"}"#),
            Ok(ForStation::Native(Native { schema_valid: true, value: None }))
        ));
    }

    #[test]
    fn the_answer_comes_back_in_the_flow_s_words() {
        let ForStation::Translated(t) =
            for_station(OcppVersion::V201, true, "GetConfiguration", r#"{"key":["HeartbeatInterval"]}"#).unwrap()
        else {
            panic!("not translated")
        };
        assert_eq!(t.action, "GetVariables");
        let Translation { from, to, answer_back } = translation(*t, OcppVersion::V201);
        assert_eq!((from.as_str(), to.as_str()), ("GetConfiguration", "GetVariables"));
        let answer = r#"{"getVariableResult":[{"attributeStatus":"Accepted","attributeValue":"300","component":{"name":"OCPPCommCtrlr"},"variable":{"name":"HeartbeatInterval"}}]}"#;
        let back: serde_json::Value = serde_json::from_str(&answer_back(answer.into())).unwrap();
        assert_eq!(back["configurationKey"][0]["key"], "HeartbeatInterval");
        assert_eq!(back["configurationKey"][0]["value"], "300");
    }
}
