//! Answers a flow writes once (docs/UNIFIED.md, "Answers"): `{status:
//! "Accepted"}`, or `{}` where there is nothing to decide, completed into the
//! native answer a station of each version expects.
//!
//! The rule that tells a native answer from a unified one: an answer that
//! already validates against the version's schema for the action's response
//! is native and goes out exactly as written. Anything else is unified and
//! is completed here, then validated; what cannot be completed is an
//! [`AnswerError`] saying what to write instead.

use crate::json::kind_of;
use crate::schema::{self, Direction};
use crate::version::OcppVersion;
use serde_json::{Map, Value};

/// What the Central System knows that the flow's answer may leave out.
pub struct AnswerContext<'a> {
    /// RFC 3339 time for `currentTime`.
    pub now: &'a str,
    /// The node's BootNotification interval in seconds (default 300).
    pub heartbeat_interval: u32,
    /// A 1.6 StartTransaction's id when the flow gives none.
    pub minted_transaction_id: Option<i64>,
}

/// Why a unified answer cannot become the native one; each message says
/// what to write instead.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnswerError {
    #[error("the answer to {action} must be a JSON object, not {found}")]
    NotAnObject { action: String, found: &'static str },
    #[error("the answer to {action} needs a status: one of {allowed}")]
    MissingStatus { action: String, allowed: String },
    #[error("status {status:?} is not an answer to {action} in OCPP {version}: use one of {allowed}")]
    UnknownStatus { action: String, version: &'static str, status: String, allowed: String },
    #[error(
        "{action} has nothing to accept or refuse: answer {{}} or {{status: \"Accepted\"}}, not status {status:?}"
    )]
    NothingToDecide { action: String, status: String },
    #[error(
        "{action} without {token} has nothing to accept or refuse: answer {{}} or {{status: \"Accepted\"}}, not status {status:?}"
    )]
    NoTokenToDecide { action: String, token: &'static str, status: String },
    #[error("the answer to a 1.6 StartTransaction needs a transactionId (an integer) and none was given or minted")]
    MissingTransactionId,
    #[error("transactionId {0} is not an integer: a 1.6 StartTransaction's transactionId is a whole number (or its decimal text)")]
    BadTransactionId(String),
    #[error("{field} in the answer to {action} must be {expected}")]
    BadField { action: String, field: &'static str, expected: &'static str },
    /// The completed answer breaks the schema (the schema module's words).
    #[error("{0}")]
    Schema(String),
}

/// Keys only the unified answer has; they never reach the station except
/// where the native answer has a field of that name and the action uses it.
const UNIFIED_KEYS: [&str; 6] = ["status", "interval", "currentTime", "transactionId", "expiryDate", "groupIdToken"];

/// 1.6 AuthorizationStatus (idTagInfo.status).
const AUTH_16: &[&str] = &["Accepted", "Blocked", "Expired", "Invalid", "ConcurrentTx"];
/// 2.0.1 and 2.1 AuthorizationStatusEnumType (idTokenInfo.status).
const AUTH_2X: &[&str] = &[
    "Accepted",
    "Blocked",
    "ConcurrentTx",
    "Expired",
    "Invalid",
    "NoCredit",
    "NotAllowedTypeEVSE",
    "NotAtThisLocation",
    "NotAtThisTime",
    "Unknown",
];
const REGISTRATION: &[&str] = &["Accepted", "Pending", "Rejected"];
const DATA_TRANSFER: &[&str] = &["Accepted", "Rejected", "UnknownMessageId", "UnknownVendorId"];
const ACCEPTED_REJECTED: &[&str] = &["Accepted", "Rejected"];
const ACCEPTED_FAILED: &[&str] = &["Accepted", "Failed"];
const EV_NEEDS_201: &[&str] = &["Accepted", "Rejected", "Processing"];
const EV_NEEDS_21: &[&str] = &["Accepted", "Rejected", "Processing", "NoChargingProfile"];

/// The type given to a `groupIdToken` written as bare text for a 2.x
/// station: group ids are assigned by the Central System.
const GROUP_ID_TOKEN_TYPE: &str = "Central";

/// How an action's answer is built from the unified one.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Shape {
    /// `{currentTime}`.
    Heartbeat,
    /// `{status, currentTime, interval}`.
    Boot,
    /// A required top-level `status` from this list.
    TopStatus(&'static [&'static str]),
    /// `idTagInfo` (1.6) or `idTokenInfo` (2.x) from `status`; `always`: the
    /// answer requires it, otherwise built only when the request carried a token.
    TokenInfo { always: bool },
    /// 1.6 StartTransaction: `idTagInfo` and `transactionId`.
    StartTransaction16,
    /// Nothing to decide: `{}` (and whatever native fields the flow adds).
    Nothing,
}

fn shape(version: OcppVersion, action: &str) -> Shape {
    use OcppVersion::*;
    match (version, action) {
        (_, "Heartbeat") => Shape::Heartbeat,
        (_, "BootNotification") => Shape::Boot,
        (_, "Authorize") => Shape::TokenInfo { always: true },
        (_, "DataTransfer") => Shape::TopStatus(DATA_TRANSFER),
        (_, "SignCertificate") => Shape::TopStatus(ACCEPTED_REJECTED),
        (V16, "StartTransaction") => Shape::StartTransaction16,
        (V16, "StopTransaction") => Shape::TokenInfo { always: false },
        (V201 | V21, "TransactionEvent") => Shape::TokenInfo { always: false },
        (V201 | V21, "Get15118EVCertificate" | "GetCertificateStatus") => Shape::TopStatus(ACCEPTED_FAILED),
        (V201 | V21, "NotifyEVChargingSchedule") => Shape::TopStatus(ACCEPTED_REJECTED),
        (V201, "NotifyEVChargingNeeds") => Shape::TopStatus(EV_NEEDS_201),
        (V21, "NotifyEVChargingNeeds") => Shape::TopStatus(EV_NEEDS_21),
        (V21, "OpenPeriodicEventStream" | "PullDynamicScheduleUpdate" | "VatNumberValidation") => {
            Shape::TopStatus(ACCEPTED_REJECTED)
        }
        _ => Shape::Nothing,
    }
}

/// The statuses a flow may write for (version, action); empty where the
/// answer has nothing to decide (there only "Accepted" is taken, and ignored).
pub fn allowed_statuses(version: OcppVersion, action: &str) -> &'static [&'static str] {
    match shape(version, action) {
        Shape::Boot => REGISTRATION,
        Shape::TopStatus(list) => list,
        Shape::TokenInfo { .. } | Shape::StartTransaction16 if version.is_2x() => AUTH_2X,
        Shape::TokenInfo { .. } | Shape::StartTransaction16 => AUTH_16,
        Shape::Heartbeat | Shape::Nothing => &[],
    }
}

/// Completes a flow's unified answer (`{status}`, `{}` and the optional fields) into the native answer
/// of (version, action) for this request. A native answer (already complete) goes out exactly as written:
/// native means it validates against the version's schema for the action's response. An action the
/// version has no schema for has nothing to complete against, and its answer goes out as written too.
pub fn complete(
    version: OcppVersion,
    action: &str,
    request: &Value,
    answer: &Value,
    ctx: &AnswerContext<'_>,
) -> Result<Value, AnswerError> {
    let Value::Object(given) = answer else {
        return Err(AnswerError::NotAnObject { action: action.to_owned(), found: kind_of(answer) });
    };
    if !schema::knows_action(version, action) || schema::validate(version, action, Direction::Response, answer).is_ok()
    {
        return Ok(answer.clone());
    }
    let mut out = Map::new();
    let status = string_field(action, given, "status", "a string such as \"Accepted\"")?;
    let status = check_status(version, action, status)?;
    match shape(version, action) {
        Shape::Heartbeat => {
            out.insert("currentTime".into(), current_time(action, given, ctx)?);
        }
        Shape::Boot => {
            out.insert("status".into(), required(version, action, status)?.into());
            out.insert("currentTime".into(), current_time(action, given, ctx)?);
            let interval = match given.get("interval") {
                None => Value::from(ctx.heartbeat_interval),
                Some(v) if v.is_i64() || v.is_u64() => v.clone(),
                Some(_) => return Err(bad(action, "interval", "a whole number of seconds")),
            };
            out.insert("interval".into(), interval);
        }
        Shape::TopStatus(_) => {
            out.insert("status".into(), required(version, action, status)?.into());
            if action == "VatNumberValidation" {
                carry(request, &mut out, "vatNumber");
                carry(request, &mut out, "evseId");
            }
        }
        Shape::TokenInfo { always } => {
            let token = if version.is_2x() { "idToken" } else { "idTag" };
            if always || request.get(token).is_some() {
                let needed = always && !given.contains_key(info_key(version));
                if let Some(info) = token_info(version, action, given, status, needed)? {
                    out.insert(info_key(version).into(), info);
                }
            } else if let Some(refused) = status.filter(|s| *s != "Accepted") {
                // No token to refuse: a refusal would go out as `{}`, silently lost.
                return Err(AnswerError::NoTokenToDecide { action: action.to_owned(), token, status: refused.into() });
            }
        }
        Shape::StartTransaction16 => {
            // An idTagInfo the flow wrote itself goes out as written (below).
            if let Some(info) = token_info(version, action, given, status, !given.contains_key("idTagInfo"))? {
                out.insert("idTagInfo".into(), info);
            }
            out.insert("transactionId".into(), transaction_id(given, ctx)?.into());
        }
        Shape::Nothing => {}
    }
    // Native fields the flow wrote beside the unified ones go out as written.
    for (k, v) in given {
        if !UNIFIED_KEYS.contains(&k.as_str()) {
            out.insert(k.clone(), v.clone());
        }
    }
    let done = Value::Object(out);
    schema::check_schema(version, action, Direction::Response, &done.to_string()).map_err(AnswerError::Schema)?;
    Ok(done)
}

fn bad(action: &str, field: &'static str, expected: &'static str) -> AnswerError {
    AnswerError::BadField { action: action.to_owned(), field, expected }
}

fn string_field<'a>(
    action: &str,
    given: &'a Map<String, Value>,
    field: &'static str,
    expected: &'static str,
) -> Result<Option<&'a str>, AnswerError> {
    match given.get(field) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(bad(action, field, expected)),
    }
}

/// The status if (version, action) allows it. Where there is nothing to
/// decide, "Accepted" is taken (a flow may answer everything alike) and
/// dropped; any other status is an error, as it would be lost.
fn check_status<'a>(
    version: OcppVersion,
    action: &str,
    status: Option<&'a str>,
) -> Result<Option<&'a str>, AnswerError> {
    let Some(s) = status else { return Ok(None) };
    let allowed = allowed_statuses(version, action);
    if allowed.is_empty() {
        return if s == "Accepted" {
            Ok(None)
        } else {
            Err(AnswerError::NothingToDecide { action: action.to_owned(), status: s.to_owned() })
        };
    }
    if allowed.contains(&s) {
        Ok(Some(s))
    } else {
        Err(AnswerError::UnknownStatus {
            action: action.to_owned(),
            version: version.label(),
            status: s.to_owned(),
            allowed: allowed.join(", "),
        })
    }
}

fn required<'a>(version: OcppVersion, action: &str, status: Option<&'a str>) -> Result<&'a str, AnswerError> {
    status.ok_or_else(|| missing_status(version, action))
}

fn missing_status(version: OcppVersion, action: &str) -> AnswerError {
    AnswerError::MissingStatus { action: action.to_owned(), allowed: allowed_statuses(version, action).join(", ") }
}

fn current_time(action: &str, given: &Map<String, Value>, ctx: &AnswerContext<'_>) -> Result<Value, AnswerError> {
    Ok(string_field(action, given, "currentTime", "an RFC 3339 date-time text")?.unwrap_or(ctx.now).into())
}

fn carry(request: &Value, out: &mut Map<String, Value>, key: &str) {
    if let Some(v) = request.get(key) {
        out.insert(key.to_owned(), v.clone());
    }
}

fn info_key(version: OcppVersion) -> &'static str {
    if version.is_2x() {
        "idTokenInfo"
    } else {
        "idTagInfo"
    }
}

/// `idTagInfo` (1.6: status, expiryDate, parentIdTag) or `idTokenInfo` (2.x:
/// status, cacheExpiryDateTime, groupIdToken) from the unified status,
/// `expiryDate` and `groupIdToken`. Without a status: an error where the
/// answer requires one, else nothing.
fn token_info(
    version: OcppVersion,
    action: &str,
    given: &Map<String, Value>,
    status: Option<&str>,
    needed: bool,
) -> Result<Option<Value>, AnswerError> {
    let status = match status {
        Some(s) => s,
        None if needed => return Err(missing_status(version, action)),
        None => return Ok(None),
    };
    let mut info = Map::new();
    info.insert("status".into(), status.into());
    if let Some(expiry) = string_field(action, given, "expiryDate", "an RFC 3339 date-time text")? {
        let key = if version.is_2x() { "cacheExpiryDateTime" } else { "expiryDate" };
        info.insert(key.into(), expiry.into());
    }
    if let Some(group) = given.get("groupIdToken") {
        let (id, kind) = match group {
            Value::String(s) => (s.clone(), Value::from(GROUP_ID_TOKEN_TYPE)),
            Value::Object(o) => match (o.get("idToken"), o.get("type")) {
                (Some(Value::String(id)), Some(kind @ Value::String(_))) => (id.clone(), kind.clone()),
                _ => return Err(bad(action, "groupIdToken", "a text or {idToken, type}")),
            },
            _ => return Err(bad(action, "groupIdToken", "a text or {idToken, type}")),
        };
        if version.is_2x() {
            let mut g = Map::new();
            g.insert("idToken".into(), id.into());
            g.insert("type".into(), kind);
            info.insert("groupIdToken".into(), Value::Object(g));
        } else {
            info.insert("parentIdTag".into(), id.into());
        }
    }
    Ok(Some(Value::Object(info)))
}

/// The flow's `transactionId` (an integer, or its decimal text), else the minted one.
fn transaction_id(given: &Map<String, Value>, ctx: &AnswerContext<'_>) -> Result<i64, AnswerError> {
    match given.get("transactionId") {
        None | Some(Value::Null) => ctx.minted_transaction_id.ok_or(AnswerError::MissingTransactionId),
        Some(Value::Number(n)) => n.as_i64().ok_or_else(|| AnswerError::BadTransactionId(n.to_string())),
        Some(Value::String(s)) => s.trim().parse::<i64>().map_err(|_| AnswerError::BadTransactionId(format!("{s:?}"))),
        Some(other) => Err(AnswerError::BadTransactionId(other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: &str = "2026-12-06T23:40:00Z";
    const V16: OcppVersion = OcppVersion::V16;
    const V2X: [OcppVersion; 2] = [OcppVersion::V201, OcppVersion::V21];

    fn ctx() -> AnswerContext<'static> {
        AnswerContext { now: NOW, heartbeat_interval: 300, minted_transaction_id: Some(77) }
    }

    fn done(v: OcppVersion, action: &str, request: Value, answer: Value) -> Value {
        let out = complete(v, action, &request, &answer, &ctx()).unwrap_or_else(|e| panic!("{v:?} {action}: {e}"));
        schema::check_schema(v, action, Direction::Response, &out.to_string())
            .unwrap_or_else(|e| panic!("{v:?} {action}: {out} fails the schema: {e}"));
        out
    }

    fn err(v: OcppVersion, action: &str, request: Value, answer: Value) -> AnswerError {
        complete(v, action, &request, &answer, &ctx()).expect_err("must not complete")
    }

    fn accepted() -> Value {
        json!({ "status": "Accepted" })
    }

    /// A request of each station-sent action, with a token where the action can carry one.
    fn request(v: OcppVersion, action: &str) -> Value {
        match (v.is_2x(), action) {
            (false, "Authorize") => json!({ "idTag": "CARD1" }),
            (false, "StartTransaction") => {
                json!({ "connectorId": 1, "idTag": "CARD1", "meterStart": 0, "timestamp": NOW })
            }
            (false, "StopTransaction") => {
                json!({ "transactionId": 1, "idTag": "CARD1", "meterStop": 10, "timestamp": NOW })
            }
            (true, "Authorize") => json!({ "idToken": { "idToken": "C1", "type": "ISO14443" } }),
            (true, "TransactionEvent") => {
                json!({ "eventType": "Started", "timestamp": NOW, "triggerReason": "Authorized", "seqNo": 0,
                "transactionInfo": { "transactionId": "t1" }, "idToken": { "idToken": "C1", "type": "ISO14443" } })
            }
            (true, "VatNumberValidation") => json!({ "vatNumber": "NL123", "evseId": 1 }),
            _ => json!({}),
        }
    }

    /// Actions whose answer needs data only the flow has: `{status}` cannot complete them.
    fn needs_more(v: OcppVersion, action: &str) -> bool {
        matches!((v, action), (OcppVersion::V201 | OcppVersion::V21, "Get15118EVCertificate"))
            || matches!((v, action), (OcppVersion::V21, "GetCertificateChainStatus" | "NotifyPeriodicEventStream"))
    }

    #[test]
    fn every_station_action_every_version_completes_accepted_into_a_valid_answer() {
        for v in OcppVersion::ALL {
            for action in schema::station_actions(v) {
                let req = request(v, action);
                let got = complete(v, action, &req, &accepted(), &ctx());
                if needs_more(v, action) {
                    assert!(got.is_err(), "{v:?} {action}: {got:?}");
                    continue;
                }
                let out = got.unwrap_or_else(|e| panic!("{v:?} {action}: {e}"));
                schema::check_schema(v, action, Direction::Response, &out.to_string())
                    .unwrap_or_else(|e| panic!("{v:?} {action}: {out}: {e}"));
                assert!(out.get("expiryDate").is_none() && out.get("groupIdToken").is_none());
            }
        }
    }

    #[test]
    fn empty_answer_completes_where_nothing_is_decided() {
        for v in OcppVersion::ALL {
            for action in ["Heartbeat", "StatusNotification", "MeterValues", "FirmwareStatusNotification"] {
                done(v, action, json!({}), json!({}));
            }
        }
        done(V16, "StopTransaction", json!({ "transactionId": 1, "meterStop": 1, "timestamp": NOW }), json!({}));
        for v in V2X {
            done(v, "TransactionEvent", json!({ "eventType": "Updated" }), json!({}));
            for action in ["NotifyEvent", "NotifyReport", "SecurityEventNotification", "LogStatusNotification"] {
                assert_eq!(done(v, action, json!({}), json!({})), json!({}));
            }
        }
    }

    #[test]
    fn heartbeat_gets_current_time() {
        for v in OcppVersion::ALL {
            assert_eq!(done(v, "Heartbeat", json!({}), json!({})), json!({ "currentTime": NOW }));
            assert_eq!(done(v, "Heartbeat", json!({}), accepted()), json!({ "currentTime": NOW }));
        }
    }

    #[test]
    fn boot_notification_gets_time_and_interval() {
        for v in OcppVersion::ALL {
            let out = done(v, "BootNotification", json!({}), accepted());
            assert_eq!(out, json!({ "status": "Accepted", "currentTime": NOW, "interval": 300 }));
            let out = done(v, "BootNotification", json!({}), json!({ "status": "Pending", "interval": 60 }));
            assert_eq!(out["interval"], 60);
            assert_eq!(out["status"], "Pending");
            assert!(matches!(err(v, "BootNotification", json!({}), json!({})), AnswerError::MissingStatus { .. }));
            assert!(matches!(
                err(v, "BootNotification", json!({}), json!({ "status": "Accepted", "interval": "60" })),
                AnswerError::BadField { field: "interval", .. }
            ));
        }
        let out = done(
            OcppVersion::V201,
            "BootNotification",
            json!({}),
            json!({ "status": "Rejected", "statusInfo": { "reasonCode": "Unknown" } }),
        );
        assert_eq!(out["statusInfo"]["reasonCode"], "Unknown", "native fields beside unified ones are kept");
    }

    #[test]
    fn authorize_builds_id_tag_info_and_id_token_info() {
        let out = done(
            V16,
            "Authorize",
            request(V16, "Authorize"),
            json!({ "status": "Blocked", "expiryDate": "2027-01-01T00:00:00Z", "groupIdToken": "FLEET" }),
        );
        assert_eq!(
            out,
            json!({ "idTagInfo": { "status": "Blocked", "expiryDate": "2027-01-01T00:00:00Z", "parentIdTag": "FLEET" } })
        );
        for v in V2X {
            let out = done(
                v,
                "Authorize",
                request(v, "Authorize"),
                json!({ "status": "NoCredit", "expiryDate": "2027-01-01T00:00:00Z", "groupIdToken": "FLEET" }),
            );
            assert_eq!(
                out,
                json!({ "idTokenInfo": { "status": "NoCredit", "cacheExpiryDateTime": "2027-01-01T00:00:00Z",
                    "groupIdToken": { "idToken": "FLEET", "type": "Central" } } })
            );
            let out = done(
                v,
                "Authorize",
                request(v, "Authorize"),
                json!({ "status": "Accepted", "groupIdToken": { "idToken": "G", "type": "Local" } }),
            );
            assert_eq!(out["idTokenInfo"]["groupIdToken"], json!({ "idToken": "G", "type": "Local" }));
        }
        let out = done(
            V16,
            "Authorize",
            request(V16, "Authorize"),
            json!({ "status": "Accepted", "groupIdToken": { "idToken": "G", "type": "Local" } }),
        );
        assert_eq!(out["idTagInfo"]["parentIdTag"], "G");
    }

    #[test]
    fn a_status_the_action_does_not_know_names_the_allowed_ones() {
        let e = err(V16, "Authorize", request(V16, "Authorize"), json!({ "status": "NoCredit" }));
        assert_eq!(
            e.to_string(),
            "status \"NoCredit\" is not an answer to Authorize in OCPP 1.6j: use one of Accepted, Blocked, Expired, Invalid, ConcurrentTx"
        );
        let e = err(OcppVersion::V201, "BootNotification", json!({}), json!({ "status": "Blocked" }));
        assert!(e.to_string().contains("Accepted, Pending, Rejected"), "{e}");
        let e = err(OcppVersion::V21, "Heartbeat", json!({}), json!({ "status": "Rejected" }));
        assert!(matches!(e, AnswerError::NothingToDecide { .. }), "{e}");
        let e = err(V16, "DataTransfer", json!({ "vendorId": "x" }), json!({}));
        assert_eq!(
            e.to_string(),
            "the answer to DataTransfer needs a status: one of Accepted, Rejected, UnknownMessageId, UnknownVendorId"
        );
        let e = err(V16, "Authorize", request(V16, "Authorize"), json!({ "status": 1 }));
        assert!(matches!(e, AnswerError::BadField { field: "status", .. }));
    }

    #[test]
    fn start_transaction_16_transaction_id() {
        let req = request(V16, "StartTransaction");
        let out = done(V16, "StartTransaction", req.clone(), accepted());
        assert_eq!(out, json!({ "idTagInfo": { "status": "Accepted" }, "transactionId": 77 }));
        assert_eq!(
            done(V16, "StartTransaction", req.clone(), json!({ "status": "Accepted", "transactionId": 5 }))
                ["transactionId"],
            5
        );
        assert_eq!(
            done(V16, "StartTransaction", req.clone(), json!({ "status": "Accepted", "transactionId": " 12 " }))
                ["transactionId"],
            12
        );
        for bad in [json!("x1"), json!(1.5), json!(true)] {
            let e = err(V16, "StartTransaction", req.clone(), json!({ "status": "Accepted", "transactionId": bad }));
            assert!(matches!(e, AnswerError::BadTransactionId(_)), "{e}");
        }
        let half_native = json!({ "idTagInfo": { "status": "Blocked", "parentIdTag": "P" } });
        assert_eq!(
            done(V16, "StartTransaction", req.clone(), half_native),
            json!({ "transactionId": 77, "idTagInfo": { "status": "Blocked", "parentIdTag": "P" } }),
            "a native idTagInfo without the id gets the minted id"
        );
        let none = AnswerContext { now: NOW, heartbeat_interval: 300, minted_transaction_id: None };
        assert_eq!(complete(V16, "StartTransaction", &req, &accepted(), &none), Err(AnswerError::MissingTransactionId));
        assert!(matches!(err(V16, "StartTransaction", req, json!({})), AnswerError::MissingStatus { .. }));
    }

    #[test]
    fn stop_transaction_16_id_tag_info_only_with_id_tag() {
        let with = request(V16, "StopTransaction");
        assert_eq!(done(V16, "StopTransaction", with, accepted()), json!({ "idTagInfo": { "status": "Accepted" } }));
        let without = json!({ "transactionId": 1, "meterStop": 10, "timestamp": NOW });
        assert_eq!(done(V16, "StopTransaction", without.clone(), accepted()), json!({}));
        assert!(matches!(
            err(V16, "StopTransaction", without, json!({ "status": "Nope" })),
            AnswerError::UnknownStatus { .. }
        ));
    }

    /// Attacker finding (issue 22): `{status: "Blocked"}` for a stop without
    /// a token went out as `{}`, the refusal silently dropped.
    #[test]
    fn a_refusal_where_no_token_was_given_is_an_error() {
        let without = json!({ "transactionId": 1, "meterStop": 10, "timestamp": NOW });
        let e = err(V16, "StopTransaction", without, json!({ "status": "Blocked" }));
        assert_eq!(
            e.to_string(),
            "StopTransaction without idTag has nothing to accept or refuse: answer {} or {status: \"Accepted\"}, not status \"Blocked\""
        );
        for v in V2X {
            let e = err(v, "TransactionEvent", json!({ "eventType": "Updated" }), json!({ "status": "Invalid" }));
            assert!(matches!(e, AnswerError::NoTokenToDecide { .. }), "{e}");
            assert!(e.to_string().starts_with("TransactionEvent without idToken has nothing"), "{e}");
        }
    }

    #[test]
    fn transaction_event_id_token_info_only_with_id_token() {
        for v in V2X {
            let out = done(
                v,
                "TransactionEvent",
                request(v, "TransactionEvent"),
                json!({ "status": "Invalid", "totalCost": 1.5 }),
            );
            assert_eq!(out, json!({ "idTokenInfo": { "status": "Invalid" }, "totalCost": 1.5 }));
            assert_eq!(done(v, "TransactionEvent", json!({ "eventType": "Updated" }), accepted()), json!({}));
        }
    }

    #[test]
    fn unified_only_keys_never_leak() {
        let all = json!({ "status": "Accepted", "interval": 10, "currentTime": NOW, "transactionId": 3, "expiryDate": NOW, "groupIdToken": "G" });
        for v in OcppVersion::ALL {
            for action in schema::station_actions(v) {
                if needs_more(v, action) {
                    continue;
                }
                let out = done(v, action, request(v, action), all.clone());
                for (k, _) in out.as_object().unwrap() {
                    let native_here = match k.as_str() {
                        "status" => {
                            !allowed_statuses(v, action).is_empty()
                                && !matches!(shape(v, action), Shape::TokenInfo { .. } | Shape::StartTransaction16)
                        }
                        "interval" => action == "BootNotification",
                        "currentTime" => matches!(action, "BootNotification" | "Heartbeat"),
                        "transactionId" => v == V16 && action == "StartTransaction",
                        "expiryDate" | "groupIdToken" => false,
                        _ => true,
                    };
                    assert!(native_here, "{v:?} {action}: {k} leaked into {out}");
                }
            }
        }
    }

    #[test]
    fn native_answers_go_out_exactly_as_written() {
        let native = json!({ "currentTime": "2020-01-01T00:00:00Z", "interval": 5, "status": "Accepted" });
        for v in OcppVersion::ALL {
            assert_eq!(done(v, "BootNotification", json!({}), native.clone()), native);
        }
        let native = json!({ "transactionId": 9, "idTagInfo": { "status": "Accepted" } });
        assert_eq!(done(V16, "StartTransaction", request(V16, "StartTransaction"), native.clone()), native);
        let unknown = json!({ "anything": 1 });
        assert_eq!(complete(V16, "NoSuchAction", &json!({}), &unknown, &ctx()), Ok(unknown));
    }

    #[test]
    fn answers_that_are_not_objects_or_break_the_schema() {
        let e = err(V16, "Heartbeat", json!({}), json!([1]));
        assert_eq!(e.to_string(), "the answer to Heartbeat must be a JSON object, not an array");
        let e = err(V16, "Heartbeat", json!({}), json!({ "stauts": "Accepted" }));
        assert!(matches!(e, AnswerError::Schema(ref m) if m.contains("stauts")), "{e}");
        let e =
            err(V16, "Authorize", request(V16, "Authorize"), json!({ "status": "Accepted", "expiryDate": "tomorrow" }));
        assert!(matches!(e, AnswerError::Schema(_)), "{e}");
        let bad_time = AnswerContext { now: "not a time", heartbeat_interval: 300, minted_transaction_id: None };
        assert!(matches!(complete(V16, "Heartbeat", &json!({}), &json!({}), &bad_time), Err(AnswerError::Schema(_))));
        assert!(matches!(complete(V16, "Heartbeat", &json!({}), &accepted(), &bad_time), Err(AnswerError::Schema(_))));
    }

    #[test]
    fn vat_number_validation_carries_the_request() {
        let out =
            done(OcppVersion::V21, "VatNumberValidation", request(OcppVersion::V21, "VatNumberValidation"), accepted());
        assert_eq!(out, json!({ "status": "Accepted", "vatNumber": "NL123", "evseId": 1 }));
    }

    /// The status tables above against the schemas: every listed value
    /// validates in its place, and a value outside the list does not.
    #[test]
    fn status_tables_match_the_schemas() {
        for v in OcppVersion::ALL {
            for action in schema::station_actions(v) {
                let allowed = allowed_statuses(v, action);
                if allowed.is_empty() || needs_more(v, action) {
                    continue;
                }
                for s in allowed.iter().copied().chain(["NotAStatus"]) {
                    let answer = json!({ "status": s, "transactionId": 1 });
                    let native = match shape(v, action) {
                        Shape::TokenInfo { .. } => json!({ (info_key(v)): { "status": s } }),
                        Shape::StartTransaction16 => json!({ "idTagInfo": { "status": s }, "transactionId": 1 }),
                        _ => complete(v, action, &request(v, action), &json!({ "status": "Accepted" }), &ctx())
                            .map(|mut o| {
                                o["status"] = json!(s);
                                o
                            })
                            .unwrap(),
                    };
                    let ok = schema::validate(v, action, Direction::Response, &native).is_ok();
                    assert_eq!(ok, s != "NotAStatus", "{v:?} {action} {s}: {native}");
                    assert_eq!(
                        complete(v, action, &request(v, action), &answer, &ctx()).is_ok(),
                        s != "NotAStatus",
                        "{v:?} {action} {s}"
                    );
                }
            }
        }
    }
}
