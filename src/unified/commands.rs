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
                Value::String(s) => s.parse::<i64>().ok().filter(|n| i32::try_from(*n).is_ok()).ok_or_else(|| {
                    CommandError::Untranslatable {
                        action: action.to_owned(),
                        from: written_in.label(),
                        to: native.label(),
                        reason: format!(
                            "transactionId {s:?} is not a number, and a 1.6 station's transactions have integer ids"
                        ),
                    }
                })?,
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
        let n: i64 = t.parse().map_err(|_| {
            format!("chargingProfile.transactionId {t:?} is not a number, and a 1.6 station's transactions have integer ids")
        })?;
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
