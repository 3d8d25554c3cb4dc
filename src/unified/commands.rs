//! Commands written in either version's words (docs/UNIFIED.md, "Commands"):
//! a `CS request JSON` command in OCPP 1.6 words or in 2.0.1/2.1 words, made
//! into the words of the station it goes to, and the station's answer made
//! back into the command's words.
//!
//! The words are told apart by the schemas: a command that is valid in the
//! station's version goes out untouched; one that is not, but fits the other
//! version's schema, is translated; one that fits neither is an error naming
//! both reasons. Every translation is checked against the station's schema
//! before it is handed out, and a field that has no counterpart is refused by
//! name rather than dropped. Pure functions, no I/O: the Central System calls
//! them and supplies the ids a translation needs (`Ids`).

use serde_json::{json, Map, Value};

use super::settings::{self, Setting};
use crate::schema::{self, Direction};
use crate::version::OcppVersion;

/// Which words a command was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Words {
    V16,
    /// OCPP 2.0.1 and 2.1 (2.1 is a superset of 2.0.1 for these commands).
    V2,
}

impl Words {
    /// The words a station of `version` speaks.
    pub fn of(version: OcppVersion) -> Self {
        if version.is_2x() {
            Self::V2
        } else {
            Self::V16
        }
    }

    /// The other version's words.
    pub fn other(self) -> Self {
        match self {
            Self::V16 => Self::V2,
            Self::V2 => Self::V16,
        }
    }

    /// How errors and `msg.ocpp` name them: "1.6" or "2.0.1".
    pub fn label(self) -> &'static str {
        match self {
            Self::V16 => "1.6",
            Self::V2 => "2.0.1",
        }
    }
}

/// Values the other version needs and the command lacks (remoteStartId,
/// requestId, a charging schedule's id): the caller supplies them.
pub trait Ids {
    fn next_id(&mut self) -> i64;
}

/// Any `FnMut() -> i64` supplies ids, e.g. `&mut || counter.fetch_add(1, ..)`.
impl<F: FnMut() -> i64> Ids for F {
    fn next_id(&mut self) -> i64 {
        self()
    }
}

/// A command ready for its station.
#[derive(Debug, Clone, PartialEq)]
pub struct Translated {
    /// The station's action.
    pub action: String,
    /// In the station's words.
    pub payload: Value,
    /// The words the flow wrote the command in.
    pub written_in: Words,
    /// The action as the flow wrote it.
    pub original_action: String,
    /// `false`: native, untouched (`payload` is the flow's own).
    pub translated: bool,
    /// What [`answer_back`] needs from the command to write the answer in its
    /// words (the keys with no counterpart, the variables asked for); `Null`
    /// for most commands. Opaque to the caller: keep it with the command.
    pub context: Value,
}

/// Why a command cannot go to the station.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CommandError {
    /// The action is in neither version's schemas.
    #[error("{action} is a command of neither OCPP 1.6 nor OCPP 2.0.1/2.1")]
    UnknownAction { action: String },
    /// The payload is valid in neither version's words.
    #[error("{action} fits neither version: {v16}; {v2}")]
    FitsNeither { action: String, v16: String, v2: String },
    /// A valid command of the other version that has no counterpart in the
    /// station's.
    #[error("{action} (OCPP {from}) has no counterpart in OCPP {to}: send it to a station of {from} only")]
    NoCounterpart { action: String, from: &'static str, to: &'static str },
    /// A command of the other version whose data cannot be said in the
    /// station's words.
    #[error("{action} (OCPP {from}) cannot be sent to an OCPP {to} station: {reason}")]
    Untranslatable { action: String, from: &'static str, to: &'static str, reason: String },
}

/// The type a 1.6 `idTag` gets as a 2.x `idToken`: 1.6 tags are in practice
/// the UIDs of RFID cards. A flow that needs another type writes the command
/// in 2.x words. (The type is dropped the other way.)
pub const IDTAG_TOKEN_TYPE: &str = "ISO14443";

/// A command for a station of `station`: untouched when it is native and
/// valid (by the station's schema), else translated from the other version's
/// words when it fits that version's schema, else an error that says why it
/// fits neither.
pub fn to_station(
    station: OcppVersion,
    action: &str,
    payload: &Value,
    ids: &mut dyn Ids,
) -> Result<Translated, CommandError> {
    let native = Words::of(station);
    if let Some(stop) = stop_transaction(station, action, payload)? {
        return Ok(stop);
    }
    let native_check = check(station, action, Direction::Request, payload);
    if native_check.is_ok() {
        return Ok(Translated {
            action: action.to_owned(),
            payload: payload.clone(),
            written_in: native,
            original_action: action.to_owned(),
            translated: false,
            context: Value::Null,
        });
    }
    let from = native.other();
    if let Err(other) = check_words(from, action, payload) {
        if !OcppVersion::ALL.iter().any(|&v| schema::knows_action(v, action)) {
            return Err(CommandError::UnknownAction { action: action.to_owned() });
        }
        let native = native_check.err().unwrap_or_default();
        let (v16, v2) = if from == Words::V16 { (other, native) } else { (native, other) };
        return Err(CommandError::FitsNeither { action: action.to_owned(), v16, v2 });
    }
    let mut context = Value::Null;
    let fail = |reason: String| CommandError::Untranslatable {
        action: action.to_owned(),
        from: from.label(),
        to: native.label(),
        reason,
    };
    let mapped = match from {
        Words::V16 => v16_to_v2(action, payload, ids, &mut context),
        Words::V2 => v2_to_v16(action, payload, &mut context),
    };
    let (to_action, to_payload) = match mapped {
        Ok(Some(m)) => m,
        Ok(None) => {
            return Err(CommandError::NoCounterpart {
                action: action.to_owned(),
                from: from.label(),
                to: native.label(),
            })
        }
        Err(reason) => return Err(fail(reason)),
    };
    check(station, &to_action, Direction::Request, &to_payload).map_err(fail)?;
    Ok(Translated {
        action: to_action,
        payload: to_payload,
        written_in: from,
        original_action: action.to_owned(),
        translated: true,
        context,
    })
}

/// The station's answer, in the words the command was written in (identity
/// when not translated).
pub fn answer_back(cmd: &Translated, station: OcppVersion, answer: &Value) -> Value {
    if !cmd.translated || cmd.written_in == Words::of(station) {
        return answer.clone();
    }
    match cmd.written_in {
        Words::V16 => answer_to_v16(&cmd.original_action, answer, &cmd.context),
        Words::V2 => answer_to_v2(&cmd.original_action, answer, &cmd.context),
    }
}

// ---------------------------------------------------------------------------
// Telling the words apart

/// The schema's verdict, worded for the flow.
fn check(version: OcppVersion, action: &str, dir: Direction, payload: &Value) -> Result<(), String> {
    if !schema::knows_action(version, action) {
        return Err(format!("{action} is not a command of OCPP {}", version.label()));
    }
    let text = payload.to_string();
    schema::check_schema(version, action, dir, &text)
}

/// Whether the payload is valid in `words`: 2.x words are those of 2.0.1 or
/// of 2.1 (the 2.0.1 reason is given when both refuse).
fn check_words(words: Words, action: &str, payload: &Value) -> Result<(), String> {
    match words {
        Words::V16 => check(OcppVersion::V16, action, Direction::Request, payload),
        Words::V2 => check(OcppVersion::V201, action, Direction::Request, payload)
            .or_else(|e| check(OcppVersion::V21, action, Direction::Request, payload).map_err(|_| e)),
    }
}

/// RemoteStopTransaction / RequestStopTransaction whose only field is a
/// transactionId, string or integer, to a station of either version: the
/// string of `msg.unified.transactionId` works for both. `None`: not such a
/// command, the general path judges it.
fn stop_transaction(station: OcppVersion, action: &str, payload: &Value) -> Result<Option<Translated>, CommandError> {
    let written_in = match action {
        "RemoteStopTransaction" => Words::V16,
        "RequestStopTransaction" => Words::V2,
        _ => return Ok(None),
    };
    let Some(obj) = payload.as_object() else { return Ok(None) };
    let Some(id) = obj.get("transactionId") else { return Ok(None) };
    if obj.len() != 1 || !(id.is_string() || id.is_i64()) {
        return Ok(None);
    }
    let native = Words::of(station);
    let (to_action, to_id) = match native {
        Words::V16 => {
            let n = match id {
                Value::String(s) => {
                    i64::from(int32_id("transactionId", s).map_err(|reason| CommandError::Untranslatable {
                        action: action.to_owned(),
                        from: written_in.label(),
                        to: native.label(),
                        reason,
                    })?)
                }
                other => other.as_i64().unwrap_or_default(),
            };
            ("RemoteStopTransaction", json!(n))
        }
        Words::V2 => {
            let s = match id {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            ("RequestStopTransaction", json!(s))
        }
    };
    let to_payload = json!({ "transactionId": to_id });
    let translated = to_action != action || &to_payload != payload;
    let fail = |reason: String| CommandError::Untranslatable {
        action: action.to_owned(),
        from: written_in.label(),
        to: native.label(),
        reason,
    };
    check(station, to_action, Direction::Request, &to_payload).map_err(fail)?;
    Ok(Some(Translated {
        action: to_action.to_owned(),
        payload: if translated { to_payload } else { payload.clone() },
        written_in: if translated { written_in } else { native },
        original_action: action.to_owned(),
        translated,
        context: Value::Null,
    }))
}

// ---------------------------------------------------------------------------
// Small tools

type Obj = Map<String, Value>;
type Mapped = Result<Option<(String, Value)>, String>;

static EMPTY: std::sync::LazyLock<Obj> = std::sync::LazyLock::new(Map::new);

/// The payload (or a field) as an object; the schema has checked the shape,
/// so anything else reads as empty.
fn obj(v: &Value) -> &Obj {
    v.as_object().unwrap_or(&EMPTY)
}

/// Refuses fields that have no counterpart, by name, instead of dropping them.
fn only(o: &Obj, known: &[&str], what: &str) -> Result<(), String> {
    let extra: Vec<&str> = o.keys().map(String::as_str).filter(|k| !known.contains(k)).collect();
    if extra.is_empty() {
        Ok(())
    } else {
        Err(format!("{what}: {} has no counterpart", extra.join(", ")))
    }
}

/// Copies `from[k]` to `to[as_]` when present.
fn copy(to: &mut Obj, as_: &str, from: &Obj, k: &str) {
    if let Some(v) = from.get(k) {
        to.insert(as_.to_owned(), v.clone());
    }
}

fn done(action: &str, out: Obj) -> Mapped {
    Ok(Some((action.to_owned(), Value::Object(out))))
}

/// A 1.6 idTag as a 2.x IdTokenType.
fn token(tag: &Value) -> Value {
    json!({ "idToken": tag, "type": IDTAG_TOKEN_TYPE })
}

/// A 2.x IdTokenType as a 1.6 idTag (20 characters at most).
fn tag(token: &Value, what: &str) -> Result<Value, String> {
    let t = obj(token);
    only(t, &["idToken", "type"], what)?;
    let id = t.get("idToken").and_then(Value::as_str).unwrap_or_default();
    if id.chars().count() > 20 {
        return Err(format!("{what} {id:?} is longer than the 20 characters of a 1.6 idTag"));
    }
    Ok(json!(id))
}

/// A 2.x EVSE (`{id, connectorId?}`) as a 1.6 connector number: EVSE N
/// connector 1 (or no connector) is 1.6 connector N.
fn connector_of_evse(evse: &Value, what: &str) -> Result<i64, String> {
    let e = obj(evse);
    only(e, &["id", "connectorId"], what)?;
    let id = e.get("id").and_then(Value::as_i64).unwrap_or_default();
    match e.get("connectorId").and_then(Value::as_i64) {
        None | Some(1) => Ok(id),
        Some(c) => Err(format!(
            "{what} is EVSE {id} connector {c}, and a 1.6 station numbers only one connector per EVSE (EVSE N connector 1 is 1.6 connector N)"
        )),
    }
}

/// Maps a status-like string through `pairs`; values not listed stay.
fn rename<'a>(value: &'a str, pairs: &[(&str, &'a str)]) -> &'a str {
    pairs.iter().find(|(from, _)| *from == value).map_or(value, |(_, to)| to)
}

/// `{status}` of an answer, renamed, and nothing else.
fn status_only(answer: &Value, pairs: &[(&str, &str)]) -> Value {
    let s = answer.get("status").and_then(Value::as_str).unwrap_or("Rejected");
    json!({ "status": rename(s, pairs) })
}

const PURPOSES_16_TO_2: &[(&str, &str)] = &[("ChargePointMaxProfile", "ChargingStationMaxProfile")];
const PURPOSES_2_TO_16: &[(&str, &str)] = &[
    ("ChargingStationMaxProfile", "ChargePointMaxProfile"),
    ("TxDefaultProfile", "TxDefaultProfile"),
    ("TxProfile", "TxProfile"),
];

fn purpose_to_v16(p: &Value) -> Result<Value, String> {
    let s = p.as_str().unwrap_or_default();
    PURPOSES_2_TO_16
        .iter()
        .find(|(from, _)| *from == s)
        .map(|(_, to)| json!(to))
        .ok_or_else(|| format!("chargingProfilePurpose {s} has no 1.6 counterpart"))
}

// ---------------------------------------------------------------------------
// Charging profiles

/// A 1.6 ChargingProfile as a 2.x ChargingProfileType: chargingProfileId is
/// id, the one schedule becomes an array of one with a generated id, the
/// integer transactionId a string.
fn profile_to_v2(p: &Value, ids: &mut dyn Ids) -> Result<Value, String> {
    let p = obj(p);
    let mut out = Obj::new();
    copy(&mut out, "id", p, "chargingProfileId");
    copy(&mut out, "stackLevel", p, "stackLevel");
    if let Some(purpose) = p.get("chargingProfilePurpose").and_then(Value::as_str) {
        out.insert("chargingProfilePurpose".into(), json!(rename(purpose, PURPOSES_16_TO_2)));
    }
    copy(&mut out, "chargingProfileKind", p, "chargingProfileKind");
    copy(&mut out, "recurrencyKind", p, "recurrencyKind");
    copy(&mut out, "validFrom", p, "validFrom");
    copy(&mut out, "validTo", p, "validTo");
    if let Some(s) = p.get("chargingSchedule") {
        let mut sched = obj(s).clone();
        sched.insert("id".into(), json!(ids.next_id()));
        out.insert("chargingSchedule".into(), json!([sched]));
    }
    if let Some(t) = p.get("transactionId").and_then(Value::as_i64) {
        out.insert("transactionId".into(), json!(t.to_string()));
    }
    Ok(Value::Object(out))
}

/// A 2.x ChargingProfileType as a 1.6 ChargingProfile: one schedule only, an
/// integer transactionId, no field 1.6 lacks.
fn profile_to_v16(p: &Value) -> Result<Value, String> {
    let p = obj(p);
    only(
        p,
        &[
            "id",
            "stackLevel",
            "chargingProfilePurpose",
            "chargingProfileKind",
            "recurrencyKind",
            "validFrom",
            "validTo",
            "chargingSchedule",
            "transactionId",
        ],
        "chargingProfile",
    )?;
    let mut out = Obj::new();
    copy(&mut out, "chargingProfileId", p, "id");
    if let Some(t) = p.get("transactionId").and_then(Value::as_str) {
        let n = int32_id("chargingProfile.transactionId", t)?;
        out.insert("transactionId".into(), json!(n));
    }
    copy(&mut out, "stackLevel", p, "stackLevel");
    if let Some(purpose) = p.get("chargingProfilePurpose") {
        out.insert("chargingProfilePurpose".into(), purpose_to_v16(purpose)?);
    }
    copy(&mut out, "chargingProfileKind", p, "chargingProfileKind");
    copy(&mut out, "recurrencyKind", p, "recurrencyKind");
    copy(&mut out, "validFrom", p, "validFrom");
    copy(&mut out, "validTo", p, "validTo");
    let schedules = p.get("chargingSchedule").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
    let [schedule] = schedules else {
        return Err(format!(
            "a 1.6 charging profile has one schedule, this one has {}: send one profile per schedule",
            schedules.len()
        ));
    };
    let s = obj(schedule);
    only(
        s,
        &["id", "startSchedule", "duration", "chargingRateUnit", "chargingSchedulePeriod", "minChargingRate"],
        "chargingSchedule",
    )?;
    for period in s.get("chargingSchedulePeriod").and_then(Value::as_array).into_iter().flatten() {
        only(obj(period), &["startPeriod", "limit", "numberPhases"], "chargingSchedulePeriod")?;
    }
    let mut sched = s.clone();
    sched.remove("id");
    out.insert("chargingSchedule".into(), Value::Object(sched));
    Ok(Value::Object(out))
}

// ---------------------------------------------------------------------------
// Requests: 1.6 words to 2.x

/// `Ok(None)`: the action has no 2.x counterpart.
fn v16_to_v2(action: &str, payload: &Value, ids: &mut dyn Ids, context: &mut Value) -> Mapped {
    let p = obj(payload);
    let mut out = Obj::new();
    match action {
        "RemoteStartTransaction" => {
            if let Some(t) = p.get("idTag") {
                out.insert("idToken".into(), token(t));
            }
            out.insert("remoteStartId".into(), json!(ids.next_id()));
            if let Some(c) = p.get("connectorId").and_then(Value::as_i64).filter(|&c| c > 0) {
                out.insert("evseId".into(), json!(c));
            }
            if let Some(cp) = p.get("chargingProfile") {
                out.insert("chargingProfile".into(), profile_to_v2(cp, ids)?);
            }
            done("RequestStartTransaction", out)
        }
        "Reset" => {
            let t = p.get("type").and_then(Value::as_str).unwrap_or_default();
            out.insert("type".into(), json!(rename(t, &[("Soft", "OnIdle"), ("Hard", "Immediate")])));
            done("Reset", out)
        }
        "UnlockConnector" => {
            copy(&mut out, "evseId", p, "connectorId");
            out.insert("connectorId".into(), json!(1));
            done("UnlockConnector", out)
        }
        "ChangeAvailability" => {
            copy(&mut out, "operationalStatus", p, "type");
            if let Some(c) = p.get("connectorId").and_then(Value::as_i64).filter(|&c| c > 0) {
                out.insert("evse".into(), json!({ "id": c }));
            }
            done("ChangeAvailability", out)
        }
        "TriggerMessage" => {
            let m = p.get("requestedMessage").and_then(Value::as_str).unwrap_or_default();
            let m = rename(m, &[("DiagnosticsStatusNotification", "LogStatusNotification")]);
            out.insert("requestedMessage".into(), json!(m));
            if let Some(c) = p.get("connectorId").and_then(Value::as_i64) {
                let evse = if m == "StatusNotification" && c > 0 {
                    json!({ "id": c, "connectorId": 1 })
                } else {
                    json!({ "id": c })
                };
                out.insert("evse".into(), evse);
            }
            done("TriggerMessage", out)
        }
        "ClearCache" | "CancelReservation" | "GetLocalListVersion" => done(action, p.clone()),
        "ReserveNow" => {
            copy(&mut out, "id", p, "reservationId");
            copy(&mut out, "expiryDateTime", p, "expiryDate");
            if let Some(t) = p.get("idTag") {
                out.insert("idToken".into(), token(t));
            }
            if let Some(t) = p.get("parentIdTag") {
                out.insert("groupIdToken".into(), token(t));
            }
            if let Some(c) = p.get("connectorId").and_then(Value::as_i64).filter(|&c| c > 0) {
                out.insert("evseId".into(), json!(c));
            }
            done("ReserveNow", out)
        }
        "GetConfiguration" => get_configuration_to_v2(p, context),
        "ChangeConfiguration" => {
            let key = p.get("key").and_then(Value::as_str).unwrap_or_default();
            let setting = settings::by_key(key).ok_or_else(|| no_setting(key))?;
            let value = p.get("value").and_then(Value::as_str).unwrap_or_default();
            let mut item = variable_of(setting);
            item.insert("attributeValue".into(), json!(setting.value_to_v2(value)));
            out.insert("setVariableData".into(), json!([item]));
            done("SetVariables", out)
        }
        "GetDiagnostics" => {
            out.insert("logType".into(), json!("DiagnosticsLog"));
            out.insert("requestId".into(), json!(ids.next_id()));
            let mut log = Obj::new();
            copy(&mut log, "remoteLocation", p, "location");
            copy(&mut log, "oldestTimestamp", p, "startTime");
            copy(&mut log, "latestTimestamp", p, "stopTime");
            out.insert("log".into(), Value::Object(log));
            copy(&mut out, "retries", p, "retries");
            copy(&mut out, "retryInterval", p, "retryInterval");
            done("GetLog", out)
        }
        "UpdateFirmware" => {
            out.insert("requestId".into(), json!(ids.next_id()));
            let mut fw = Obj::new();
            copy(&mut fw, "location", p, "location");
            copy(&mut fw, "retrieveDateTime", p, "retrieveDate");
            out.insert("firmware".into(), Value::Object(fw));
            copy(&mut out, "retries", p, "retries");
            copy(&mut out, "retryInterval", p, "retryInterval");
            done("UpdateFirmware", out)
        }
        "SendLocalList" => {
            copy(&mut out, "versionNumber", p, "listVersion");
            copy(&mut out, "updateType", p, "updateType");
            let list = p.get("localAuthorizationList").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
            if !list.is_empty() {
                let entries: Vec<Value> = list.iter().map(auth_entry_to_v2).collect();
                out.insert("localAuthorizationList".into(), json!(entries));
            }
            done("SendLocalList", out)
        }
        "DataTransfer" => done("DataTransfer", p.clone()),
        "SetChargingProfile" => {
            copy(&mut out, "evseId", p, "connectorId");
            if let Some(cp) = p.get("csChargingProfiles") {
                out.insert("chargingProfile".into(), profile_to_v2(cp, ids)?);
            }
            done("SetChargingProfile", out)
        }
        "ClearChargingProfile" => {
            copy(&mut out, "chargingProfileId", p, "id");
            let mut criteria = Obj::new();
            copy(&mut criteria, "evseId", p, "connectorId");
            if let Some(purpose) = p.get("chargingProfilePurpose").and_then(Value::as_str) {
                criteria.insert("chargingProfilePurpose".into(), json!(rename(purpose, PURPOSES_16_TO_2)));
            }
            copy(&mut criteria, "stackLevel", p, "stackLevel");
            if !criteria.is_empty() {
                out.insert("chargingProfileCriteria".into(), Value::Object(criteria));
            }
            done("ClearChargingProfile", out)
        }
        "GetCompositeSchedule" => {
            copy(&mut out, "duration", p, "duration");
            copy(&mut out, "chargingRateUnit", p, "chargingRateUnit");
            copy(&mut out, "evseId", p, "connectorId");
            done("GetCompositeSchedule", out)
        }
        _ => Ok(None),
    }
}

fn no_setting(key: &str) -> String {
    format!(
        "the 1.6 key {key:?} has no 2.0.1 component.variable in the settings table (docs/UNIFIED.md, Settings): \
         write the command in 2.0.1 words with the component and variable"
    )
}

/// `{component: {name}, variable: {name, instance?}}` of a setting.
fn variable_of(s: &Setting) -> Obj {
    let mut variable = json!({ "name": s.variable });
    if let Some(i) = s.instance {
        variable["instance"] = json!(i);
    }
    let mut out = Obj::new();
    out.insert("component".into(), json!({ "name": s.component }));
    out.insert("variable".into(), variable);
    out
}

/// GetConfiguration as GetVariables: each key with a counterpart is asked
/// for; those without are kept in the context for `unknownKey`. No keys
/// means every key, so every setting of the table is asked for.
fn get_configuration_to_v2(p: &Obj, context: &mut Value) -> Mapped {
    let keys: Vec<&str> =
        p.get("key").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
    let (asked, unknown): (Vec<&str>, Vec<&str>) = if keys.is_empty() {
        (settings::SETTINGS.iter().map(|s| s.key16).collect(), Vec::new())
    } else {
        keys.iter().partition(|k| settings::by_key(k).is_some())
    };
    if asked.is_empty() {
        return Err(format!(
            "none of the keys {} has a 2.0.1 component.variable in the settings table (docs/UNIFIED.md, Settings): \
             write GetVariables with the components and variables",
            unknown.join(", ")
        ));
    }
    let data: Vec<Value> =
        asked.iter().filter_map(|k| settings::by_key(k)).map(|s| Value::Object(variable_of(s))).collect();
    *context = json!({ "unknownKey": unknown });
    let mut out = Obj::new();
    out.insert("getVariableData".into(), json!(data));
    done("GetVariables", out)
}

fn auth_entry_to_v2(entry: &Value) -> Value {
    let e = obj(entry);
    let mut out = Obj::new();
    if let Some(t) = e.get("idTag") {
        out.insert("idToken".into(), token(t));
    }
    if let Some(info) = e.get("idTagInfo") {
        let i = obj(info);
        let mut info2 = Obj::new();
        copy(&mut info2, "status", i, "status");
        copy(&mut info2, "cacheExpiryDateTime", i, "expiryDate");
        if let Some(parent) = i.get("parentIdTag") {
            info2.insert("groupIdToken".into(), token(parent));
        }
        out.insert("idTokenInfo".into(), Value::Object(info2));
    }
    Value::Object(out)
}

// ---------------------------------------------------------------------------
// Requests: 2.x words to 1.6

/// `Ok(None)`: the action has no 1.6 counterpart.
fn v2_to_v16(action: &str, payload: &Value, context: &mut Value) -> Mapped {
    let p = obj(payload);
    let mut out = Obj::new();
    match action {
        "RequestStartTransaction" => {
            only(p, &["idToken", "remoteStartId", "evseId", "chargingProfile"], "RequestStartTransaction")?;
            if let Some(c) = p.get("evseId") {
                out.insert("connectorId".into(), c.clone());
            }
            if let Some(t) = p.get("idToken") {
                out.insert("idTag".into(), tag(t, "idToken")?);
            }
            if let Some(cp) = p.get("chargingProfile") {
                out.insert("chargingProfile".into(), profile_to_v16(cp)?);
            }
            done("RemoteStartTransaction", out)
        }
        "Reset" => {
            only(p, &["type"], "Reset (a 1.6 station resets as a whole)")?;
            let t = p.get("type").and_then(Value::as_str).unwrap_or_default();
            out.insert("type".into(), json!(rename(t, &[("OnIdle", "Soft"), ("Immediate", "Hard")])));
            done("Reset", out)
        }
        "UnlockConnector" => {
            only(p, &["evseId", "connectorId"], "UnlockConnector")?;
            let evse = json!({ "id": p.get("evseId"), "connectorId": p.get("connectorId") });
            out.insert("connectorId".into(), json!(connector_of_evse(&evse, "the connector")?));
            done("UnlockConnector", out)
        }
        "ChangeAvailability" => {
            only(p, &["operationalStatus", "evse"], "ChangeAvailability")?;
            let c = match p.get("evse") {
                Some(e) => connector_of_evse(e, "evse")?,
                None => 0,
            };
            out.insert("connectorId".into(), json!(c));
            copy(&mut out, "type", p, "operationalStatus");
            done("ChangeAvailability", out)
        }
        "TriggerMessage" => {
            only(p, &["requestedMessage", "evse"], "TriggerMessage")?;
            let m = p.get("requestedMessage").and_then(Value::as_str).unwrap_or_default();
            let m16 = match m {
                "LogStatusNotification" => "DiagnosticsStatusNotification",
                "BootNotification"
                | "FirmwareStatusNotification"
                | "Heartbeat"
                | "MeterValues"
                | "StatusNotification" => m,
                _ => return Err(format!("requestedMessage {m} has no 1.6 counterpart")),
            };
            out.insert("requestedMessage".into(), json!(m16));
            if let Some(e) = p.get("evse") {
                out.insert("connectorId".into(), json!(connector_of_evse(e, "evse")?));
            }
            done("TriggerMessage", out)
        }
        "ClearCache" | "GetLocalListVersion" => {
            only(p, &[], action)?;
            done(action, out)
        }
        "CancelReservation" => {
            only(p, &["reservationId"], action)?;
            done(action, p.clone())
        }
        "ReserveNow" => {
            only(p, &["id", "expiryDateTime", "idToken", "evseId", "groupIdToken"], "ReserveNow")?;
            out.insert("connectorId".into(), p.get("evseId").cloned().unwrap_or(json!(0)));
            copy(&mut out, "expiryDate", p, "expiryDateTime");
            if let Some(t) = p.get("idToken") {
                out.insert("idTag".into(), tag(t, "idToken")?);
            }
            if let Some(t) = p.get("groupIdToken") {
                out.insert("parentIdTag".into(), tag(t, "groupIdToken")?);
            }
            copy(&mut out, "reservationId", p, "id");
            done("ReserveNow", out)
        }
        "GetVariables" => get_variables_to_v16(p, context),
        "SetVariables" => {
            only(p, &["setVariableData"], action)?;
            let items = p.get("setVariableData").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
            let [item] = items else {
                return Err(format!(
                    "a 1.6 ChangeConfiguration sets one key, this SetVariables sets {}: send one per variable",
                    items.len()
                ));
            };
            let i = obj(item);
            only(i, &["attributeType", "attributeValue", "component", "variable"], "setVariableData")?;
            if i.get("attributeType").and_then(Value::as_str).is_some_and(|t| t != "Actual") {
                return Err("a 1.6 configuration key has only its Actual value".to_owned());
            }
            let setting = setting_of(i).map_err(|name| {
                format!(
                    "{name} has no 1.6 configuration key in the settings table (docs/UNIFIED.md, Settings): \
                     write ChangeConfiguration with the station's key"
                )
            })?;
            out.insert("key".into(), json!(setting.key16));
            let value = i.get("attributeValue").and_then(Value::as_str).unwrap_or_default();
            out.insert("value".into(), json!(setting.value_to_v16(value)));
            *context = item.clone();
            done("ChangeConfiguration", out)
        }
        "GetLog" => {
            only(p, &["logType", "requestId", "log", "retries", "retryInterval"], "GetLog")?;
            if let Some(t) = p.get("logType").and_then(Value::as_str).filter(|t| *t != "DiagnosticsLog") {
                return Err(format!("logType {t} has no 1.6 counterpart (GetDiagnostics is the DiagnosticsLog)"));
            }
            let log = obj(p.get("log").unwrap_or(&Value::Null));
            only(log, &["remoteLocation", "oldestTimestamp", "latestTimestamp"], "log")?;
            copy(&mut out, "location", log, "remoteLocation");
            copy(&mut out, "retries", p, "retries");
            copy(&mut out, "retryInterval", p, "retryInterval");
            copy(&mut out, "startTime", log, "oldestTimestamp");
            copy(&mut out, "stopTime", log, "latestTimestamp");
            done("GetDiagnostics", out)
        }
        "UpdateFirmware" => {
            only(p, &["requestId", "firmware", "retries", "retryInterval"], "UpdateFirmware")?;
            let fw = obj(p.get("firmware").unwrap_or(&Value::Null));
            only(fw, &["location", "retrieveDateTime"], "firmware (signed firmware needs a 2.x station)")?;
            copy(&mut out, "location", fw, "location");
            copy(&mut out, "retries", p, "retries");
            copy(&mut out, "retrieveDate", fw, "retrieveDateTime");
            copy(&mut out, "retryInterval", p, "retryInterval");
            done("UpdateFirmware", out)
        }
        "SendLocalList" => {
            only(p, &["versionNumber", "updateType", "localAuthorizationList"], "SendLocalList")?;
            copy(&mut out, "listVersion", p, "versionNumber");
            let list = p.get("localAuthorizationList").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
            if !list.is_empty() {
                let entries = list.iter().map(auth_entry_to_v16).collect::<Result<Vec<_>, _>>()?;
                out.insert("localAuthorizationList".into(), json!(entries));
            }
            copy(&mut out, "updateType", p, "updateType");
            done("SendLocalList", out)
        }
        "DataTransfer" => {
            only(p, &["vendorId", "messageId", "data"], "DataTransfer")?;
            copy(&mut out, "vendorId", p, "vendorId");
            copy(&mut out, "messageId", p, "messageId");
            match p.get("data") {
                Some(Value::String(s)) => {
                    out.insert("data".into(), json!(s));
                }
                Some(other) => {
                    out.insert("data".into(), json!(other.to_string()));
                }
                None => {}
            }
            done("DataTransfer", out)
        }
        "SetChargingProfile" => {
            only(p, &["evseId", "chargingProfile"], "SetChargingProfile")?;
            copy(&mut out, "connectorId", p, "evseId");
            if let Some(cp) = p.get("chargingProfile") {
                out.insert("csChargingProfiles".into(), profile_to_v16(cp)?);
            }
            done("SetChargingProfile", out)
        }
        "ClearChargingProfile" => {
            only(p, &["chargingProfileId", "chargingProfileCriteria"], "ClearChargingProfile")?;
            copy(&mut out, "id", p, "chargingProfileId");
            let c = obj(p.get("chargingProfileCriteria").unwrap_or(&Value::Null));
            only(c, &["evseId", "chargingProfilePurpose", "stackLevel"], "chargingProfileCriteria")?;
            copy(&mut out, "connectorId", c, "evseId");
            if let Some(purpose) = c.get("chargingProfilePurpose") {
                out.insert("chargingProfilePurpose".into(), purpose_to_v16(purpose)?);
            }
            copy(&mut out, "stackLevel", c, "stackLevel");
            done("ClearChargingProfile", out)
        }
        "GetCompositeSchedule" => {
            only(p, &["duration", "chargingRateUnit", "evseId"], "GetCompositeSchedule")?;
            copy(&mut out, "connectorId", p, "evseId");
            copy(&mut out, "duration", p, "duration");
            copy(&mut out, "chargingRateUnit", p, "chargingRateUnit");
            *context = json!({ "evseId": p.get("evseId"), "duration": p.get("duration") });
            done("GetCompositeSchedule", out)
        }
        _ => Ok(None),
    }
}

/// The setting a 2.x `{component, variable}` item names; `Err` names the
/// component.variable that has none (an EVSE or component instance has none).
fn setting_of(item: &Obj) -> Result<&'static Setting, String> {
    let c = obj(item.get("component").unwrap_or(&Value::Null));
    let v = obj(item.get("variable").unwrap_or(&Value::Null));
    let cname = c.get("name").and_then(Value::as_str).unwrap_or_default();
    let vname = v.get("name").and_then(Value::as_str).unwrap_or_default();
    let vinst = v.get("instance").and_then(Value::as_str);
    let name = match vinst {
        Some(i) => format!("{cname}.{vname}[{i}]"),
        None => format!("{cname}.{vname}"),
    };
    if c.contains_key("evse") || c.contains_key("instance") {
        return Err(name);
    }
    settings::by_variable_instance(cname, vname, vinst).ok_or(name)
}

/// GetVariables as GetConfiguration: each variable with a 1.6 key is asked
/// for; the context keeps every item, in order, for the answer (those with
/// no key, or asking for an attribute other than Actual, are answered
/// without the station).
fn get_variables_to_v16(p: &Obj, context: &mut Value) -> Mapped {
    only(p, &["getVariableData"], "GetVariables")?;
    let mut keys = Vec::new();
    let mut asked = Vec::new();
    for item in p.get("getVariableData").and_then(Value::as_array).into_iter().flatten() {
        let i = obj(item);
        only(i, &["attributeType", "component", "variable"], "getVariableData")?;
        let mut entry = json!({ "component": i.get("component"), "variable": i.get("variable") });
        if let Some(t) = i.get("attributeType") {
            entry["attributeType"] = t.clone();
        }
        if i.get("attributeType").and_then(Value::as_str).is_some_and(|t| t != "Actual") {
            entry["status"] = json!("NotSupportedAttributeType");
        } else if let Ok(s) = setting_of(i) {
            entry["key"] = json!(s.key16);
            if !keys.contains(&s.key16) {
                keys.push(s.key16);
            }
        } else {
            entry["status"] = json!("UnknownVariable");
        }
        asked.push(entry);
    }
    if keys.is_empty() {
        return Err("none of the variables has a 1.6 configuration key in the settings table \
                    (docs/UNIFIED.md, Settings): write GetConfiguration with the station's keys"
            .to_owned());
    }
    *context = json!({ "asked": asked });
    let mut out = Obj::new();
    out.insert("key".into(), json!(keys));
    done("GetConfiguration", out)
}

fn auth_entry_to_v16(entry: &Value) -> Result<Value, String> {
    let e = obj(entry);
    only(e, &["idToken", "idTokenInfo"], "localAuthorizationList entry")?;
    let mut out = Obj::new();
    if let Some(t) = e.get("idToken") {
        out.insert("idTag".into(), tag(t, "idToken")?);
    }
    if let Some(info) = e.get("idTokenInfo") {
        let i = obj(info);
        only(i, &["status", "cacheExpiryDateTime", "groupIdToken"], "idTokenInfo")?;
        let status = i.get("status").and_then(Value::as_str).unwrap_or_default();
        if !["Accepted", "Blocked", "Expired", "Invalid", "ConcurrentTx"].contains(&status) {
            return Err(format!("idTokenInfo status {status} has no 1.6 counterpart"));
        }
        let mut info16 = Obj::new();
        copy(&mut info16, "expiryDate", i, "cacheExpiryDateTime");
        if let Some(g) = i.get("groupIdToken") {
            info16.insert("parentIdTag".into(), tag(g, "groupIdToken")?);
        }
        info16.insert("status".into(), json!(status));
        out.insert("idTagInfo".into(), Value::Object(info16));
    }
    Ok(Value::Object(out))
}

// ---------------------------------------------------------------------------
// Answers: a 2.x station's answer to a command in 1.6 words

fn answer_to_v16(original: &str, a: &Value, context: &Value) -> Value {
    let x = obj(a);
    match original {
        "RemoteStartTransaction"
        | "RemoteStopTransaction"
        | "ClearCache"
        | "CancelReservation"
        | "ReserveNow"
        | "ChangeAvailability"
        | "TriggerMessage"
        | "SetChargingProfile"
        | "ClearChargingProfile" => status_only(a, &[]),
        "Reset" => status_only(a, &[("Scheduled", "Accepted")]),
        "UnlockConnector" => {
            status_only(a, &[("OngoingAuthorizedTransaction", "UnlockFailed"), ("UnknownConnector", "NotSupported")])
        }
        "SendLocalList" => status_only(a, &[]),
        "GetLocalListVersion" => json!({ "listVersion": x.get("versionNumber").cloned().unwrap_or(json!(0)) }),
        "GetDiagnostics" => {
            let mut out = Obj::new();
            if x.get("status").and_then(Value::as_str) != Some("Rejected") {
                copy(&mut out, "fileName", x, "filename");
            }
            Value::Object(out)
        }
        "UpdateFirmware" => json!({}),
        "DataTransfer" => {
            let mut out = Obj::new();
            copy(&mut out, "status", x, "status");
            match x.get("data") {
                Some(Value::String(s)) => {
                    out.insert("data".into(), json!(s));
                }
                Some(other) => {
                    out.insert("data".into(), json!(other.to_string()));
                }
                None => {}
            }
            Value::Object(out)
        }
        "ChangeConfiguration" => {
            let status = x
                .get("setVariableResult")
                .and_then(|r| r.get(0))
                .and_then(|r| r.get("attributeStatus"))
                .and_then(Value::as_str)
                .unwrap_or("Rejected");
            let status = match status {
                "Accepted" | "Rejected" | "RebootRequired" => status,
                _ => "NotSupported",
            };
            json!({ "status": status })
        }
        "GetConfiguration" => {
            let mut known = Vec::new();
            let mut unknown: Vec<Value> =
                context.get("unknownKey").and_then(Value::as_array).cloned().unwrap_or_default();
            for r in x.get("getVariableResult").and_then(Value::as_array).into_iter().flatten() {
                let r = obj(r);
                let Ok(setting) = setting_of(r) else { continue };
                if r.get("attributeStatus").and_then(Value::as_str) == Some("Accepted") {
                    let mut entry = json!({ "key": setting.key16, "readonly": setting.readonly });
                    if let Some(v) = r.get("attributeValue").and_then(Value::as_str) {
                        entry["value"] = json!(setting.value_to_v16(v));
                    }
                    known.push(entry);
                } else {
                    unknown.push(json!(setting.key16));
                }
            }
            let mut out = json!({ "configurationKey": known });
            if !unknown.is_empty() {
                out["unknownKey"] = json!(unknown);
            }
            out
        }
        "GetCompositeSchedule" => {
            let mut out = Obj::new();
            copy(&mut out, "status", x, "status");
            if let Some(s) = x.get("schedule").map(obj) {
                copy(&mut out, "connectorId", s, "evseId");
                copy(&mut out, "scheduleStart", s, "scheduleStart");
                let periods: Vec<Value> = s
                    .get("chargingSchedulePeriod")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(period_to_v16)
                    .collect();
                if !periods.is_empty() {
                    let mut cs = Obj::new();
                    copy(&mut cs, "duration", s, "duration");
                    copy(&mut cs, "startSchedule", s, "scheduleStart");
                    copy(&mut cs, "chargingRateUnit", s, "chargingRateUnit");
                    cs.insert("chargingSchedulePeriod".into(), json!(periods));
                    out.insert("chargingSchedule".into(), Value::Object(cs));
                }
            }
            Value::Object(out)
        }
        _ => a.clone(),
    }
}

/// A 2.x period in a 1.6 answer: startPeriod, limit (1.6 writes it in
/// tenths) and numberPhases; a 2.1 period without a limit is left out.
fn period_to_v16(p: &Value) -> Option<Value> {
    let p = obj(p);
    let limit = p.get("limit").and_then(Value::as_f64)?;
    let mut out = Obj::new();
    copy(&mut out, "startPeriod", p, "startPeriod");
    out.insert("limit".into(), json!((limit * 10.0).round() / 10.0));
    copy(&mut out, "numberPhases", p, "numberPhases");
    Some(Value::Object(out))
}

// ---------------------------------------------------------------------------
// Answers: a 1.6 station's answer to a command in 2.x words

fn answer_to_v2(original: &str, a: &Value, context: &Value) -> Value {
    let x = obj(a);
    match original {
        "RequestStartTransaction"
        | "RequestStopTransaction"
        | "ClearCache"
        | "CancelReservation"
        | "ReserveNow"
        | "ChangeAvailability"
        | "TriggerMessage"
        | "Reset"
        | "ClearChargingProfile" => status_only(a, &[]),
        "UnlockConnector" => status_only(a, &[("NotSupported", "UnknownConnector")]),
        "SetChargingProfile" => status_only(a, &[("NotSupported", "Rejected")]),
        "SendLocalList" => status_only(a, &[("NotSupported", "Failed")]),
        "GetLocalListVersion" => json!({ "versionNumber": x.get("listVersion").cloned().unwrap_or(json!(0)) }),
        "GetLog" => match x.get("fileName") {
            Some(f) => json!({ "status": "Accepted", "filename": f }),
            None => json!({ "status": "Rejected" }),
        },
        "UpdateFirmware" => json!({ "status": "Accepted" }),
        "DataTransfer" => {
            let mut out = Obj::new();
            copy(&mut out, "status", x, "status");
            copy(&mut out, "data", x, "data");
            Value::Object(out)
        }
        "SetVariables" => {
            let status = x.get("status").and_then(Value::as_str).unwrap_or("Rejected");
            let status = rename(status, &[("NotSupported", "UnknownVariable")]);
            let mut r = json!({
                "attributeStatus": status,
                "component": context.get("component"),
                "variable": context.get("variable"),
            });
            if let Some(t) = context.get("attributeType") {
                r["attributeType"] = t.clone();
            }
            json!({ "setVariableResult": [r] })
        }
        "GetVariables" => {
            let keys: Vec<&Obj> =
                x.get("configurationKey").and_then(Value::as_array).into_iter().flatten().map(obj).collect();
            let results: Vec<Value> = context
                .get("asked")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|asked| variable_result(asked, &keys))
                .collect();
            json!({ "getVariableResult": results })
        }
        "GetCompositeSchedule" => {
            let mut out = Obj::new();
            copy(&mut out, "status", x, "status");
            let cs = x.get("chargingSchedule").map(obj);
            let start = x.get("scheduleStart").or_else(|| cs.and_then(|c| c.get("startSchedule")));
            if let (Some(cs), Some(start)) = (cs, start) {
                let schedule = json!({
                    "evseId": x.get("connectorId").or_else(|| context.get("evseId")),
                    "duration": cs.get("duration").or_else(|| context.get("duration")),
                    "scheduleStart": start,
                    "chargingRateUnit": cs.get("chargingRateUnit"),
                    "chargingSchedulePeriod": cs.get("chargingSchedulePeriod"),
                });
                out.insert("schedule".into(), schedule);
            }
            Value::Object(out)
        }
        _ => a.clone(),
    }
}

/// One getVariableResult of a GetVariables sent as GetConfiguration.
fn variable_result(asked: &Value, keys: &[&Obj]) -> Value {
    let mut r = json!({ "component": asked.get("component"), "variable": asked.get("variable") });
    if let Some(t) = asked.get("attributeType") {
        r["attributeType"] = t.clone();
    }
    if let Some(s) = asked.get("status") {
        r["attributeStatus"] = s.clone();
        return r;
    }
    let key = asked.get("key").and_then(Value::as_str).unwrap_or_default();
    match keys.iter().find(|k| k.get("key").and_then(Value::as_str) == Some(key)) {
        Some(k) => {
            r["attributeStatus"] = json!("Accepted");
            if let (Some(v), Some(s)) = (k.get("value").and_then(Value::as_str), settings::by_key(key)) {
                r["attributeValue"] = json!(s.value_to_v2(v));
            }
        }
        None => r["attributeStatus"] = json!("UnknownVariable"),
    }
    r
}

/// A 2.x transaction id as a 1.6 one: 1.6 ids are integers (int32 in 1.6's
/// schema), so text that is no whole number, or one out of int32's range, is
/// refused, each with its own words.
fn int32_id(field: &str, text: &str) -> Result<i32, String> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{field} {text:?} is not a number, and a 1.6 station's transactions have integer ids"));
    }
    text.parse::<i32>().map_err(|_| {
        format!("{field} {text:?} is out of the 1.6 integer range (-2147483648 to 2147483647) a 1.6 station's transaction ids have")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use OcppVersion::{V16, V201, V21};

    /// Generated ids 101, 102, ...
    struct Seq(i64);
    impl Ids for Seq {
        fn next_id(&mut self) -> i64 {
            self.0 += 1;
            self.0
        }
    }

    fn valid(v: OcppVersion, action: &str, dir: Direction, p: &Value) {
        if let Err(e) = schema::check_schema(v, action, dir, &p.to_string()) {
            panic!("{e}\n{p}");
        }
    }

    /// One command both ways: `req16` (1.6 words) to 2.0.1 and 2.1 stations
    /// must become `want2`; `req2` (2.x words) to a 1.6 station `want16`. The
    /// answers: `(a 2.x station's answer, what the 1.6 command gets)` and
    /// `(a 1.6 station's answer, what the 2.x command gets)`.
    struct Case {
        a16: &'static str,
        a2: &'static str,
        req16: Value,
        want2: Value,
        req2: Value,
        want16: Value,
        answers_for16: Vec<(Value, Value)>,
        answers_for2: Vec<(Value, Value)>,
    }

    fn run(c: &Case) {
        run_from16(c);
        run_from2(c);
    }

    /// The 1.6 half of a case.
    fn run_from16(c: &Case) {
        for station in [V201, V21] {
            let t = to_station(station, c.a16, &c.req16, &mut Seq(100)).unwrap_or_else(|e| panic!("{}: {e}", c.a16));
            assert!(t.translated, "{}", c.a16);
            assert_eq!(t.written_in, Words::V16);
            assert_eq!((t.action.as_str(), &t.payload), (c.a2, &c.want2), "{} to {station:?}", c.a16);
            valid(station, &t.action, Direction::Request, &t.payload);
            for (station_answer, want) in &c.answers_for16 {
                valid(station, c.a2, Direction::Response, station_answer);
                let back = answer_back(&t, station, station_answer);
                assert_eq!(&back, want, "{} answer {station_answer}", c.a16);
                valid(V16, c.a16, Direction::Response, &back);
            }
        }
        let native = to_station(V16, c.a16, &c.req16, &mut Seq(100)).unwrap();
        assert!(!native.translated && native.payload == c.req16 && native.written_in == Words::V16);
    }

    /// The 2.x half of a case.
    fn run_from2(c: &Case) {
        let t = to_station(V16, c.a2, &c.req2, &mut Seq(100)).unwrap_or_else(|e| panic!("{}: {e}", c.a2));
        assert!(t.translated, "{}", c.a2);
        assert_eq!(t.written_in, Words::V2);
        assert_eq!((t.action.as_str(), &t.payload), (c.a16, &c.want16), "{} to 1.6", c.a2);
        valid(V16, &t.action, Direction::Request, &t.payload);
        for (station_answer, want) in &c.answers_for2 {
            valid(V16, c.a16, Direction::Response, station_answer);
            let back = answer_back(&t, V16, station_answer);
            assert_eq!(&back, want, "{} answer {station_answer}", c.a2);
            valid(V201, c.a2, Direction::Response, &back);
            valid(V21, c.a2, Direction::Response, &back);
        }
        // Native words to their own version go out untouched.
        for station in [V201, V21] {
            let native = to_station(station, c.a2, &c.req2, &mut Seq(100)).unwrap();
            assert!(!native.translated && native.payload == c.req2, "{}", c.a2);
            assert_eq!(answer_back(&native, station, &json!({"status": "Accepted"})), json!({"status": "Accepted"}));
        }
    }

    fn st(s: &str) -> Value {
        json!({ "status": s })
    }

    /// `(2.x answer, 1.6 answer)` pairs where the status is the same word.
    fn same(statuses: &[&str]) -> Vec<(Value, Value)> {
        statuses.iter().map(|s| (st(s), st(s))).collect()
    }

    /// Attacker finding (issue 22): "2147483648" was refused as "not a number".
    #[test]
    fn a_1_6_transaction_id_out_of_int32_says_so() {
        assert_eq!(int32_id("transactionId", "2147483647"), Ok(i32::MAX));
        assert_eq!(int32_id("transactionId", "-5"), Ok(-5));
        for big in ["2147483648", "99999999999999999999"] {
            let e = int32_id("transactionId", big).unwrap_err();
            assert!(e.contains("is out of the 1.6 integer range"), "{e}");
        }
        assert!(int32_id("transactionId", "uuid-1").unwrap_err().contains("is not a number"));
        assert!(int32_id("transactionId", "").unwrap_err().contains("is not a number"));
    }

    #[test]
    fn remote_start() {
        run(&Case {
            a16: "RemoteStartTransaction",
            a2: "RequestStartTransaction",
            req16: json!({"connectorId": 2, "idTag": "TAG1"}),
            want2: json!({"idToken": {"idToken": "TAG1", "type": "ISO14443"}, "remoteStartId": 101, "evseId": 2}),
            req2: json!({"evseId": 1, "idToken": {"idToken": "T2", "type": "Central"}, "remoteStartId": 7}),
            want16: json!({"connectorId": 1, "idTag": "T2"}),
            answers_for16: vec![
                (json!({"status": "Accepted", "transactionId": "abc"}), st("Accepted")),
                (json!({"status": "Rejected", "statusInfo": {"reasonCode": "Busy"}}), st("Rejected")),
            ],
            answers_for2: same(&["Accepted", "Rejected"]),
        });
    }

    #[test]
    fn remote_start_carries_the_charging_profile() {
        let profile16 = json!({
            "chargingProfileId": 5, "stackLevel": 1, "chargingProfilePurpose": "TxProfile",
            "chargingProfileKind": "Relative",
            "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}]}
        });
        let profile2 = json!({
            "id": 5, "stackLevel": 1, "chargingProfilePurpose": "TxProfile", "chargingProfileKind": "Relative",
            "chargingSchedule": [{"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}], "id": 102}]
        });
        run(&Case {
            a16: "RemoteStartTransaction",
            a2: "RequestStartTransaction",
            req16: json!({"idTag": "TAG1", "chargingProfile": profile16}),
            want2: json!({"idToken": {"idToken": "TAG1", "type": "ISO14443"}, "remoteStartId": 101, "chargingProfile": profile2}),
            req2: json!({"idToken": {"idToken": "TAG1", "type": "ISO14443"}, "remoteStartId": 101, "chargingProfile": profile2}),
            want16: json!({"idTag": "TAG1", "chargingProfile": profile16}),
            answers_for16: vec![],
            answers_for2: vec![],
        });
    }

    #[test]
    fn reset() {
        run(&Case {
            a16: "Reset",
            a2: "Reset",
            req16: json!({"type": "Soft"}),
            want2: json!({"type": "OnIdle"}),
            req2: json!({"type": "Immediate"}),
            want16: json!({"type": "Hard"}),
            answers_for16: vec![
                (st("Accepted"), st("Accepted")),
                (st("Scheduled"), st("Accepted")),
                (st("Rejected"), st("Rejected")),
            ],
            answers_for2: same(&["Accepted", "Rejected"]),
        });
        let t = to_station(V201, "Reset", &json!({"type": "Hard"}), &mut Seq(0)).unwrap();
        assert_eq!(t.payload, json!({"type": "Immediate"}));
        let t = to_station(V16, "Reset", &json!({"type": "OnIdle"}), &mut Seq(0)).unwrap();
        assert_eq!(t.payload, json!({"type": "Soft"}));
        let e = to_station(V16, "Reset", &json!({"type": "OnIdle", "evseId": 1}), &mut Seq(0)).unwrap_err();
        assert!(e.to_string().contains("evseId has no counterpart"), "{e}");
    }

    #[test]
    fn unlock_connector() {
        run(&Case {
            a16: "UnlockConnector",
            a2: "UnlockConnector",
            req16: json!({"connectorId": 2}),
            want2: json!({"evseId": 2, "connectorId": 1}),
            req2: json!({"evseId": 3, "connectorId": 1}),
            want16: json!({"connectorId": 3}),
            answers_for16: vec![
                (st("Unlocked"), st("Unlocked")),
                (st("UnlockFailed"), st("UnlockFailed")),
                (st("OngoingAuthorizedTransaction"), st("UnlockFailed")),
                (st("UnknownConnector"), st("NotSupported")),
            ],
            answers_for2: vec![
                (st("Unlocked"), st("Unlocked")),
                (st("UnlockFailed"), st("UnlockFailed")),
                (st("NotSupported"), st("UnknownConnector")),
            ],
        });
        let e = to_station(V16, "UnlockConnector", &json!({"evseId": 1, "connectorId": 2}), &mut Seq(0)).unwrap_err();
        assert!(e.to_string().contains("EVSE 1 connector 2"), "{e}");
    }

    #[test]
    fn change_availability() {
        run(&Case {
            a16: "ChangeAvailability",
            a2: "ChangeAvailability",
            req16: json!({"connectorId": 2, "type": "Inoperative"}),
            want2: json!({"operationalStatus": "Inoperative", "evse": {"id": 2}}),
            req2: json!({"operationalStatus": "Operative", "evse": {"id": 1}}),
            want16: json!({"connectorId": 1, "type": "Operative"}),
            answers_for16: same(&["Accepted", "Rejected", "Scheduled"]),
            answers_for2: same(&["Accepted", "Rejected", "Scheduled"]),
        });
        let t = to_station(V201, "ChangeAvailability", &json!({"connectorId": 0, "type": "Operative"}), &mut Seq(0));
        assert_eq!(t.unwrap().payload, json!({"operationalStatus": "Operative"}));
        let t = to_station(V16, "ChangeAvailability", &json!({"operationalStatus": "Operative"}), &mut Seq(0));
        assert_eq!(t.unwrap().payload, json!({"connectorId": 0, "type": "Operative"}));
    }

    #[test]
    fn trigger_message() {
        run(&Case {
            a16: "TriggerMessage",
            a2: "TriggerMessage",
            req16: json!({"requestedMessage": "DiagnosticsStatusNotification", "connectorId": 1}),
            want2: json!({"requestedMessage": "LogStatusNotification", "evse": {"id": 1}}),
            req2: json!({"requestedMessage": "LogStatusNotification", "evse": {"id": 2}}),
            want16: json!({"requestedMessage": "DiagnosticsStatusNotification", "connectorId": 2}),
            answers_for16: same(&["Accepted", "Rejected", "NotImplemented"]),
            answers_for2: same(&["Accepted", "Rejected", "NotImplemented"]),
        });
        for m in ["BootNotification", "FirmwareStatusNotification", "Heartbeat", "MeterValues"] {
            let t = to_station(V201, "TriggerMessage", &json!({"requestedMessage": m, "connectorId": 3}), &mut Seq(0));
            assert_eq!(t.unwrap().payload, json!({"requestedMessage": m, "evse": {"id": 3}}));
        }
        let t = to_station(
            V201,
            "TriggerMessage",
            &json!({"requestedMessage": "StatusNotification", "connectorId": 2}),
            &mut Seq(0),
        );
        assert_eq!(
            t.unwrap().payload,
            json!({"requestedMessage": "StatusNotification", "evse": {"id": 2, "connectorId": 1}})
        );
        let t = to_station(
            V16,
            "TriggerMessage",
            &json!({"requestedMessage": "StatusNotification", "evse": {"id": 2, "connectorId": 1}}),
            &mut Seq(0),
        );
        assert_eq!(t.unwrap().payload, json!({"requestedMessage": "StatusNotification", "connectorId": 2}));
        let e = to_station(V16, "TriggerMessage", &json!({"requestedMessage": "TransactionEvent"}), &mut Seq(0))
            .unwrap_err();
        assert!(e.to_string().contains("requestedMessage TransactionEvent has no 1.6 counterpart"), "{e}");
    }

    #[test]
    fn clear_cache_and_cancel_reservation_fit_both() {
        for (action, p) in [("ClearCache", json!({})), ("CancelReservation", json!({"reservationId": 4}))] {
            for station in OcppVersion::ALL {
                let t = to_station(station, action, &p, &mut Seq(0)).unwrap();
                assert!(!t.translated, "{action} is the same in both");
            }
            let with_custom = {
                let mut p = p.clone();
                p["customData"] = json!({"vendorId": "x"});
                p
            };
            let e = to_station(V16, action, &with_custom, &mut Seq(0)).unwrap_err();
            assert!(e.to_string().contains("customData has no counterpart"), "{e}");
        }
        // Their answers lose only the 2.x statusInfo.
        let t = Translated {
            action: "ClearCache".into(),
            payload: json!({}),
            written_in: Words::V16,
            original_action: "ClearCache".into(),
            translated: true,
            context: Value::Null,
        };
        let back = answer_back(&t, V201, &json!({"status": "Rejected", "statusInfo": {"reasonCode": "x"}}));
        assert_eq!(back, st("Rejected"));
    }

    #[test]
    fn reserve_now() {
        run(&Case {
            a16: "ReserveNow",
            a2: "ReserveNow",
            req16: json!({"connectorId": 1, "expiryDate": "2030-01-01T00:00:00Z", "idTag": "T", "parentIdTag": "P", "reservationId": 9}),
            want2: json!({"id": 9, "expiryDateTime": "2030-01-01T00:00:00Z", "idToken": {"idToken": "T", "type": "ISO14443"},
                          "groupIdToken": {"idToken": "P", "type": "ISO14443"}, "evseId": 1}),
            req2: json!({"id": 9, "expiryDateTime": "2030-01-01T00:00:00Z", "idToken": {"idToken": "T", "type": "ISO14443"}}),
            want16: json!({"connectorId": 0, "expiryDate": "2030-01-01T00:00:00Z", "idTag": "T", "reservationId": 9}),
            answers_for16: same(&["Accepted", "Faulted", "Occupied", "Rejected", "Unavailable"]),
            answers_for2: same(&["Accepted", "Faulted", "Occupied", "Rejected", "Unavailable"]),
        });
        let long = json!({"id": 9, "expiryDateTime": "2030-01-01T00:00:00Z", "idToken": {"idToken": "X".repeat(21), "type": "eMAID"}});
        let e = to_station(V16, "ReserveNow", &long, &mut Seq(0)).unwrap_err();
        assert!(e.to_string().contains("longer than the 20 characters"), "{e}");
    }

    #[test]
    fn get_diagnostics_and_get_log() {
        let case = Case {
            a16: "GetDiagnostics",
            a2: "GetLog",
            req16: json!({"location": "ftp://h/d", "retries": 2, "startTime": "2030-01-01T00:00:00Z"}),
            want2: json!({"logType": "DiagnosticsLog", "requestId": 101,
                          "log": {"remoteLocation": "ftp://h/d", "oldestTimestamp": "2030-01-01T00:00:00Z"}, "retries": 2}),
            req2: json!({"logType": "DiagnosticsLog", "requestId": 5, "log": {"remoteLocation": "https://h/up", "latestTimestamp": "2030-01-01T00:00:00Z"}}),
            want16: json!({"location": "https://h/up", "stopTime": "2030-01-01T00:00:00Z"}),
            answers_for16: vec![
                (json!({"status": "Accepted", "filename": "d.zip"}), json!({"fileName": "d.zip"})),
                (json!({"status": "Rejected"}), json!({})),
            ],
            answers_for2: vec![
                (json!({"fileName": "d.zip"}), json!({"status": "Accepted", "filename": "d.zip"})),
                (json!({}), json!({"status": "Rejected"})),
            ],
        };
        run_from16(&case);
        // A 2.x GetLog is also a 1.6 command (the 1.6 security whitepaper's,
        // same shape): valid there, it goes to a 1.6 station untouched.
        let t = to_station(V16, "GetLog", &case.req2, &mut Seq(0)).unwrap();
        assert!(!t.translated);
        // With a field that 1.6 GetLog lacks it is translated to GetDiagnostics,
        // which lacks it too: refused by name.
        let mut custom = case.req2.clone();
        custom["customData"] = json!({"vendorId": "v"});
        let e = to_station(V16, "GetLog", &custom, &mut Seq(0)).unwrap_err();
        assert!(e.to_string().contains("customData has no counterpart"), "{e}");
        // The GetDiagnostics answer as a GetLog answer.
        let t = Translated {
            action: "GetDiagnostics".into(),
            payload: case.want16.clone(),
            written_in: Words::V2,
            original_action: "GetLog".into(),
            translated: true,
            context: Value::Null,
        };
        for (station_answer, want) in &case.answers_for2 {
            let back = answer_back(&t, V16, station_answer);
            assert_eq!(&back, want);
            valid(V201, "GetLog", Direction::Response, &back);
        }
    }

    #[test]
    fn update_firmware() {
        run(&Case {
            a16: "UpdateFirmware",
            a2: "UpdateFirmware",
            req16: json!({"location": "https://h/fw.bin", "retrieveDate": "2030-01-01T00:00:00Z", "retryInterval": 30}),
            want2: json!({"requestId": 101, "firmware": {"location": "https://h/fw.bin", "retrieveDateTime": "2030-01-01T00:00:00Z"}, "retryInterval": 30}),
            req2: json!({"requestId": 3, "firmware": {"location": "https://h/fw.bin", "retrieveDateTime": "2030-01-01T00:00:00Z"}}),
            want16: json!({"location": "https://h/fw.bin", "retrieveDate": "2030-01-01T00:00:00Z"}),
            answers_for16: vec![(st("Accepted"), json!({})), (st("Rejected"), json!({}))],
            answers_for2: vec![(json!({}), st("Accepted"))],
        });
        let signed = json!({"requestId": 3, "firmware": {"location": "https://h/f", "retrieveDateTime": "2030-01-01T00:00:00Z", "signature": "abc"}});
        let e = to_station(V16, "UpdateFirmware", &signed, &mut Seq(0)).unwrap_err();
        assert!(e.to_string().contains("signature has no counterpart"), "{e}");
    }

    #[test]
    fn send_local_list() {
        run(&Case {
            a16: "SendLocalList",
            a2: "SendLocalList",
            req16: json!({"listVersion": 3, "updateType": "Full", "localAuthorizationList": [
                {"idTag": "A", "idTagInfo": {"status": "Accepted", "expiryDate": "2030-01-01T00:00:00Z", "parentIdTag": "G"}},
                {"idTag": "B"}]}),
            want2: json!({"versionNumber": 3, "updateType": "Full", "localAuthorizationList": [
                {"idToken": {"idToken": "A", "type": "ISO14443"}, "idTokenInfo": {"status": "Accepted",
                  "cacheExpiryDateTime": "2030-01-01T00:00:00Z", "groupIdToken": {"idToken": "G", "type": "ISO14443"}}},
                {"idToken": {"idToken": "B", "type": "ISO14443"}}]}),
            req2: json!({"versionNumber": 4, "updateType": "Differential", "localAuthorizationList": [
                {"idToken": {"idToken": "A", "type": "ISO14443"}, "idTokenInfo": {"status": "Blocked"}}]}),
            want16: json!({"listVersion": 4, "localAuthorizationList": [{"idTag": "A", "idTagInfo": {"status": "Blocked"}}], "updateType": "Differential"}),
            answers_for16: same(&["Accepted", "Failed", "VersionMismatch"]),
            answers_for2: vec![
                (st("Accepted"), st("Accepted")),
                (st("Failed"), st("Failed")),
                (st("VersionMismatch"), st("VersionMismatch")),
                (st("NotSupported"), st("Failed")),
            ],
        });
        let empty = to_station(
            V201,
            "SendLocalList",
            &json!({"listVersion": 1, "updateType": "Full", "localAuthorizationList": []}),
            &mut Seq(0),
        );
        assert_eq!(empty.unwrap().payload, json!({"versionNumber": 1, "updateType": "Full"}));
        let nocredit = json!({"versionNumber": 4, "updateType": "Full", "localAuthorizationList": [
            {"idToken": {"idToken": "A", "type": "ISO14443"}, "idTokenInfo": {"status": "NoCredit"}}]});
        let e = to_station(V16, "SendLocalList", &nocredit, &mut Seq(0)).unwrap_err();
        assert!(e.to_string().contains("status NoCredit has no 1.6 counterpart"), "{e}");
    }

    #[test]
    fn get_local_list_version_answers() {
        let to16 = Translated {
            action: "GetLocalListVersion".into(),
            payload: json!({}),
            written_in: Words::V16,
            original_action: "GetLocalListVersion".into(),
            translated: true,
            context: Value::Null,
        };
        let back = answer_back(&to16, V201, &json!({"versionNumber": 7}));
        assert_eq!(back, json!({"listVersion": 7}));
        valid(V16, "GetLocalListVersion", Direction::Response, &back);
        let to2 = Translated { written_in: Words::V2, ..to16 };
        let back = answer_back(&to2, V16, &json!({"listVersion": 7}));
        assert_eq!(back, json!({"versionNumber": 7}));
        valid(V201, "GetLocalListVersion", Direction::Response, &back);
    }

    #[test]
    fn data_transfer() {
        // 2.x data that is not a string goes to 1.6 as its JSON text.
        let t =
            to_station(V16, "DataTransfer", &json!({"vendorId": "v", "messageId": "m", "data": {"a": 1}}), &mut Seq(0))
                .unwrap();
        assert!(t.translated);
        assert_eq!(t.payload, json!({"vendorId": "v", "messageId": "m", "data": "{\"a\":1}"}));
        let back = answer_back(&t, V16, &json!({"status": "Accepted", "data": "ok"}));
        assert_eq!(back, json!({"status": "Accepted", "data": "ok"}));
        valid(V201, "DataTransfer", Direction::Response, &back);
        // String data fits both: native.
        let t = to_station(V201, "DataTransfer", &json!({"vendorId": "v", "data": "x"}), &mut Seq(0)).unwrap();
        assert!(!t.translated);
        // A 2.x answer with object data to a command in 1.6 words.
        let t16 = Translated { written_in: Words::V16, translated: true, ..t };
        let back = answer_back(&t16, V201, &json!({"status": "Accepted", "data": [1, 2]}));
        assert_eq!(back, json!({"status": "Accepted", "data": "[1,2]"}));
        valid(V16, "DataTransfer", Direction::Response, &back);
    }

    fn profile16(purpose: &str) -> Value {
        json!({"chargingProfileId": 8, "transactionId": 42, "stackLevel": 0, "chargingProfilePurpose": purpose,
               "chargingProfileKind": "Absolute", "validTo": "2030-01-02T00:00:00Z",
               "chargingSchedule": {"duration": 3600, "startSchedule": "2030-01-01T00:00:00Z", "chargingRateUnit": "W",
                 "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 11000.0, "numberPhases": 3}, {"startPeriod": 60, "limit": 7400.0}],
                 "minChargingRate": 1400.0}})
    }

    fn profile2(purpose: &str, schedule_id: i64) -> Value {
        json!({"id": 8, "stackLevel": 0, "chargingProfilePurpose": purpose, "chargingProfileKind": "Absolute",
               "validTo": "2030-01-02T00:00:00Z",
               "chargingSchedule": [{"duration": 3600, "startSchedule": "2030-01-01T00:00:00Z", "chargingRateUnit": "W",
                 "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 11000.0, "numberPhases": 3}, {"startPeriod": 60, "limit": 7400.0}],
                 "minChargingRate": 1400.0, "id": schedule_id}],
               "transactionId": "42"})
    }

    #[test]
    fn set_charging_profile() {
        run(&Case {
            a16: "SetChargingProfile",
            a2: "SetChargingProfile",
            req16: json!({"connectorId": 1, "csChargingProfiles": profile16("TxProfile")}),
            want2: json!({"evseId": 1, "chargingProfile": profile2("TxProfile", 101)}),
            req2: json!({"evseId": 1, "chargingProfile": profile2("TxProfile", 5)}),
            want16: json!({"connectorId": 1, "csChargingProfiles": profile16("TxProfile")}),
            answers_for16: same(&["Accepted", "Rejected"]),
            answers_for2: vec![
                (st("Accepted"), st("Accepted")),
                (st("Rejected"), st("Rejected")),
                (st("NotSupported"), st("Rejected")),
            ],
        });
        let mut max16 = profile16("ChargePointMaxProfile");
        max16.as_object_mut().unwrap().remove("transactionId");
        let t = to_station(
            V201,
            "SetChargingProfile",
            &json!({"connectorId": 0, "csChargingProfiles": max16}),
            &mut Seq(0),
        )
        .unwrap();
        assert_eq!(t.payload["chargingProfile"]["chargingProfilePurpose"], "ChargingStationMaxProfile");
        let mut two = profile2("ChargingStationMaxProfile", 1);
        two.as_object_mut().unwrap().remove("transactionId");
        let s = two["chargingSchedule"][0].clone();
        two["chargingSchedule"].as_array_mut().unwrap().push(s);
        let e = to_station(V16, "SetChargingProfile", &json!({"evseId": 0, "chargingProfile": two}), &mut Seq(0))
            .unwrap_err();
        assert!(e.to_string().contains("one schedule, this one has 2"), "{e}");
        let mut ext = profile2("ChargingStationExternalConstraints", 1);
        ext.as_object_mut().unwrap().remove("transactionId");
        let e = to_station(V16, "SetChargingProfile", &json!({"evseId": 0, "chargingProfile": ext}), &mut Seq(0))
            .unwrap_err();
        assert!(e.to_string().contains("ChargingStationExternalConstraints has no 1.6 counterpart"), "{e}");
        let mut uuid = profile2("TxProfile", 1);
        uuid["transactionId"] = json!("b6a1-uuid");
        let e = to_station(V16, "SetChargingProfile", &json!({"evseId": 1, "chargingProfile": uuid}), &mut Seq(0))
            .unwrap_err();
        assert!(e.to_string().contains("is not a number"), "{e}");
    }

    #[test]
    fn clear_charging_profile() {
        run(&Case {
            a16: "ClearChargingProfile",
            a2: "ClearChargingProfile",
            req16: json!({"id": 8, "connectorId": 1, "chargingProfilePurpose": "ChargePointMaxProfile", "stackLevel": 0}),
            want2: json!({"chargingProfileId": 8, "chargingProfileCriteria": {"evseId": 1, "chargingProfilePurpose": "ChargingStationMaxProfile", "stackLevel": 0}}),
            req2: json!({"chargingProfileCriteria": {"evseId": 0, "chargingProfilePurpose": "ChargingStationMaxProfile"}}),
            want16: json!({"connectorId": 0, "chargingProfilePurpose": "ChargePointMaxProfile"}),
            answers_for16: same(&["Accepted", "Unknown"]),
            answers_for2: same(&["Accepted", "Unknown"]),
        });
    }

    #[test]
    fn get_composite_schedule() {
        let schedule2 = json!({"evseId": 1, "duration": 600, "scheduleStart": "2030-01-01T00:00:00Z", "chargingRateUnit": "A",
                               "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 13.33, "numberPhases": 3}, {"startPeriod": 300, "limit": 6.0}]});
        let schedule16 = json!({"duration": 600, "startSchedule": "2030-01-01T00:00:00Z", "chargingRateUnit": "A",
                                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 13.3, "numberPhases": 3}, {"startPeriod": 300, "limit": 6.0}]});
        run(&Case {
            a16: "GetCompositeSchedule",
            a2: "GetCompositeSchedule",
            req16: json!({"connectorId": 1, "duration": 600, "chargingRateUnit": "A"}),
            want2: json!({"duration": 600, "chargingRateUnit": "A", "evseId": 1}),
            req2: json!({"duration": 600, "evseId": 1}),
            want16: json!({"connectorId": 1, "duration": 600}),
            answers_for16: vec![
                (
                    json!({"status": "Accepted", "schedule": schedule2}),
                    json!({"status": "Accepted", "connectorId": 1, "scheduleStart": "2030-01-01T00:00:00Z", "chargingSchedule": schedule16}),
                ),
                (st("Rejected"), st("Rejected")),
            ],
            answers_for2: vec![
                (
                    json!({"status": "Accepted", "connectorId": 1, "scheduleStart": "2030-01-01T00:00:00Z", "chargingSchedule": schedule16}),
                    json!({"status": "Accepted", "schedule": {"evseId": 1, "duration": 600, "scheduleStart": "2030-01-01T00:00:00Z",
                        "chargingRateUnit": "A", "chargingSchedulePeriod": schedule16["chargingSchedulePeriod"]}}),
                ),
                (st("Rejected"), st("Rejected")),
            ],
        });
    }

    #[test]
    fn get_configuration_and_get_variables() {
        run(&Case {
            a16: "GetConfiguration",
            a2: "GetVariables",
            req16: json!({"key": ["HeartbeatInterval", "VendorThing", "ChargingScheduleAllowedChargingRateUnit"]}),
            want2: json!({"getVariableData": [
                {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}},
                {"component": {"name": "SmartChargingCtrlr"}, "variable": {"name": "RateUnit"}}]}),
            req2: json!({"getVariableData": [
                {"component": {"name": "SampledDataCtrlr"}, "variable": {"name": "TxUpdatedInterval"}},
                {"component": {"name": "VendorCtrlr"}, "variable": {"name": "X"}},
                {"component": {"name": "SmartChargingCtrlr"}, "variable": {"name": "RateUnit"}, "attributeType": "Actual"},
                {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}, "attributeType": "MaxSet"},
                {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}]}),
            want16: json!({"key": ["MeterValueSampleInterval", "ChargingScheduleAllowedChargingRateUnit", "HeartbeatInterval"]}),
            answers_for16: vec![
                (
                    json!({"getVariableResult": [
                    {"attributeStatus": "Accepted", "attributeValue": "300", "component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}},
                    {"attributeStatus": "Accepted", "attributeValue": "A,W", "component": {"name": "SmartChargingCtrlr"}, "variable": {"name": "RateUnit"}}]}),
                    json!({"configurationKey": [
                    {"key": "HeartbeatInterval", "readonly": false, "value": "300"},
                    {"key": "ChargingScheduleAllowedChargingRateUnit", "readonly": true, "value": "Current,Power"}],
                    "unknownKey": ["VendorThing"]}),
                ),
                (
                    json!({"getVariableResult": [
                    {"attributeStatus": "UnknownVariable", "component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}},
                    {"attributeStatus": "Accepted", "attributeValue": "W", "component": {"name": "SmartChargingCtrlr"}, "variable": {"name": "RateUnit"}}]}),
                    json!({"configurationKey": [{"key": "ChargingScheduleAllowedChargingRateUnit", "readonly": true, "value": "Power"}],
                       "unknownKey": ["VendorThing", "HeartbeatInterval"]}),
                ),
            ],
            answers_for2: vec![(
                json!({"configurationKey": [
                    {"key": "MeterValueSampleInterval", "readonly": false, "value": "60"},
                    {"key": "ChargingScheduleAllowedChargingRateUnit", "readonly": true, "value": "Current"}],
                    "unknownKey": ["HeartbeatInterval"]}),
                json!({"getVariableResult": [
                    {"component": {"name": "SampledDataCtrlr"}, "variable": {"name": "TxUpdatedInterval"}, "attributeStatus": "Accepted", "attributeValue": "60"},
                    {"component": {"name": "VendorCtrlr"}, "variable": {"name": "X"}, "attributeStatus": "UnknownVariable"},
                    {"component": {"name": "SmartChargingCtrlr"}, "variable": {"name": "RateUnit"}, "attributeType": "Actual", "attributeStatus": "Accepted", "attributeValue": "A"},
                    {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}, "attributeType": "MaxSet", "attributeStatus": "NotSupportedAttributeType"},
                    {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}, "attributeStatus": "UnknownVariable"}]}),
            )],
        });
        // No keys asks for every key of the table.
        let all = to_station(V201, "GetConfiguration", &json!({}), &mut Seq(0)).unwrap();
        assert_eq!(all.payload["getVariableData"].as_array().unwrap().len(), settings::SETTINGS.len());
        let e = to_station(V201, "GetConfiguration", &json!({"key": ["A", "B"]}), &mut Seq(0)).unwrap_err();
        assert!(e.to_string().contains("none of the keys A, B"), "{e}");
        let e = to_station(
            V16,
            "GetVariables",
            &json!({"getVariableData": [{"component": {"name": "C"}, "variable": {"name": "V"}}]}),
            &mut Seq(0),
        );
        assert!(e.unwrap_err().to_string().contains("none of the variables"));
        // An instance picks its own setting.
        let t =
            to_station(V201, "GetConfiguration", &json!({"key": ["TransactionMessageAttempts"]}), &mut Seq(0)).unwrap();
        assert_eq!(
            t.payload["getVariableData"][0]["variable"],
            json!({"name": "MessageAttempts", "instance": "TransactionEvent"})
        );
    }

    #[test]
    fn change_configuration_and_set_variables() {
        let cv = |status: &str| json!({"setVariableResult": [{"attributeStatus": status, "component": {"name": "SmartChargingCtrlr"}, "variable": {"name": "RateUnit"}}]});
        let sv = |status: &str| json!({"setVariableResult": [{"attributeStatus": status, "component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}]});
        run(&Case {
            a16: "ChangeConfiguration",
            a2: "SetVariables",
            req16: json!({"key": "ChargingScheduleAllowedChargingRateUnit", "value": "Current"}),
            want2: json!({"setVariableData": [{"component": {"name": "SmartChargingCtrlr"}, "variable": {"name": "RateUnit"}, "attributeValue": "A"}]}),
            req2: json!({"setVariableData": [{"attributeValue": "120", "component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}]}),
            want16: json!({"key": "HeartbeatInterval", "value": "120"}),
            answers_for16: vec![
                (cv("Accepted"), st("Accepted")),
                (cv("Rejected"), st("Rejected")),
                (cv("RebootRequired"), st("RebootRequired")),
                (cv("UnknownComponent"), st("NotSupported")),
                (cv("UnknownVariable"), st("NotSupported")),
                (cv("NotSupportedAttributeType"), st("NotSupported")),
            ],
            answers_for2: vec![
                (st("Accepted"), sv("Accepted")),
                (st("Rejected"), sv("Rejected")),
                (st("RebootRequired"), sv("RebootRequired")),
                (st("NotSupported"), sv("UnknownVariable")),
            ],
        });
        let e = to_station(V201, "ChangeConfiguration", &json!({"key": "VendorThing", "value": "1"}), &mut Seq(0))
            .unwrap_err();
        assert!(e.to_string().contains("\"VendorThing\" has no 2.0.1 component.variable"), "{e}");
        let item = json!({"attributeValue": "1", "component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}});
        let e = to_station(V16, "SetVariables", &json!({"setVariableData": [item, item]}), &mut Seq(0)).unwrap_err();
        assert!(e.to_string().contains("sets one key, this SetVariables sets 2"), "{e}");
        let e = to_station(
            V16,
            "SetVariables",
            &json!({"setVariableData": [{"attributeValue": "1", "component": {"name": "X"}, "variable": {"name": "Y"}}]}),
            &mut Seq(0),
        );
        assert!(e.unwrap_err().to_string().contains("X.Y has no 1.6 configuration key"));
    }

    #[test]
    fn stop_transaction_takes_the_unified_string_id() {
        // RemoteStop with msg.unified's string id to a 1.6 station: the integer.
        let t = to_station(V16, "RemoteStopTransaction", &json!({"transactionId": "42"}), &mut Seq(0)).unwrap();
        assert_eq!(
            (t.action.as_str(), &t.payload, t.translated),
            ("RemoteStopTransaction", &json!({"transactionId": 42}), true)
        );
        assert_eq!(answer_back(&t, V16, &st("Accepted")), st("Accepted"));
        let t = to_station(V16, "RequestStopTransaction", &json!({"transactionId": "42"}), &mut Seq(0)).unwrap();
        assert_eq!(
            (t.action.as_str(), &t.payload, t.written_in),
            ("RemoteStopTransaction", &json!({"transactionId": 42}), Words::V2)
        );
        let back = answer_back(&t, V16, &st("Rejected"));
        assert_eq!(back, st("Rejected"));
        valid(V201, "RequestStopTransaction", Direction::Response, &back);
        // Native integer: untouched.
        let t = to_station(V16, "RemoteStopTransaction", &json!({"transactionId": 42}), &mut Seq(0)).unwrap();
        assert!(!t.translated);
        // A 2.x station: always the string.
        for station in [V201, V21] {
            for id in [json!(42), json!("42")] {
                let t =
                    to_station(station, "RemoteStopTransaction", &json!({"transactionId": id}), &mut Seq(0)).unwrap();
                assert_eq!(
                    (t.action.as_str(), &t.payload),
                    ("RequestStopTransaction", &json!({"transactionId": "42"}))
                );
                valid(station, &t.action, Direction::Request, &t.payload);
                let back = answer_back(&t, station, &json!({"status": "Accepted", "statusInfo": {"reasonCode": "ok"}}));
                assert_eq!(back, st("Accepted"));
                valid(V16, "RemoteStopTransaction", Direction::Response, &back);
            }
            let t = to_station(station, "RequestStopTransaction", &json!({"transactionId": "uuid-1"}), &mut Seq(0))
                .unwrap();
            assert!(!t.translated);
        }
        // A non-numeric id cannot reach a 1.6 station.
        let e =
            to_station(V16, "RequestStopTransaction", &json!({"transactionId": "uuid-1"}), &mut Seq(0)).unwrap_err();
        assert!(matches!(e, CommandError::Untranslatable { .. }));
        assert!(e.to_string().contains("\"uuid-1\" is not a number"), "{e}");
    }

    #[test]
    fn a_command_that_fits_neither_version_names_both_reasons() {
        let e = to_station(V201, "Reset", &json!({"type": "Sometime"}), &mut Seq(0)).unwrap_err();
        let text = e.to_string();
        assert!(text.starts_with("Reset fits neither version: "), "{text}");
        assert!(text.contains("OCPP 1.6j") && text.contains("OCPP 2.0.1"), "{text}");
        let (one, two) = text.split_once("; ").unwrap();
        assert!(one.contains("1.6j") && two.contains("2.0.1"), "the 1.6 reason first: {text}");
        let e = to_station(V16, "RemoteStartTransaction", &json!({"connectorId": 1}), &mut Seq(0)).unwrap_err();
        assert!(matches!(e, CommandError::FitsNeither { .. }), "{e}");
        assert!(e.to_string().contains("RemoteStartTransaction is not a command of OCPP 2.0.1"), "{e}");
        let e = to_station(V16, "Frobnicate", &json!({}), &mut Seq(0)).unwrap_err();
        assert_eq!(e, CommandError::UnknownAction { action: "Frobnicate".into() });
        let e = to_station(V16, "Reset", &json!("Soft"), &mut Seq(0)).unwrap_err();
        assert!(matches!(e, CommandError::FitsNeither { .. }), "{e}");
    }

    #[test]
    fn a_valid_command_without_counterpart() {
        let e = to_station(V16, "GetBaseReport", &json!({"requestId": 1, "reportBase": "FullInventory"}), &mut Seq(0));
        let e = e.unwrap_err();
        assert!(matches!(e, CommandError::NoCounterpart { .. }), "{e}");
        assert!(e.to_string().contains("no counterpart in OCPP 1.6"), "{e}");
    }

    #[test]
    fn a_closure_supplies_ids() {
        let mut n = 40;
        let mut next = || {
            n += 2;
            n
        };
        let t = to_station(V201, "GetDiagnostics", &json!({"location": "ftp://h/d"}), &mut next).unwrap();
        assert_eq!(t.payload["requestId"], 42);
    }

    #[test]
    fn words_of_2_0_1_go_natively_to_a_2_1_station() {
        let p = json!({"idToken": {"idToken": "A", "type": "ISO14443"}, "remoteStartId": 1});
        let t = to_station(V21, "RequestStartTransaction", &p, &mut Seq(0)).unwrap();
        assert!(!t.translated && t.written_in == Words::V2);
    }
}
