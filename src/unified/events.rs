//! A station's CALL in unified words (`msg.unified`, docs/UNIFIED.md
//! "Events"): the same event names and fields whether the station speaks
//! OCPP 1.6, 2.0.1 or 2.1. The native payload stays in `msg.payload`; this
//! only reads it, and what it cannot read stays absent.

use crate::unified::meter::{self, Meter};
use crate::version::OcppVersion;
use serde_json::Value;

/// A connector's state in the words both versions share (2.x's
/// ConnectorStatusEnumType; 1.6's finer states are `Occupied`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Status {
    Available,
    Occupied,
    Reserved,
    Unavailable,
    Faulted,
}

impl Status {
    /// The unified status of a native one: 1.6 ChargePointStatus or 2.x
    /// ConnectorStatusEnumType. 1.6 Preparing, Charging, SuspendedEV,
    /// SuspendedEVSE and Finishing are `Occupied` (a vehicle or a user holds
    /// the connector). `None` for a value neither version defines.
    pub fn from_native(version: OcppVersion, native: &str) -> Option<Status> {
        match native {
            "Available" => Some(Status::Available),
            "Reserved" => Some(Status::Reserved),
            "Unavailable" => Some(Status::Unavailable),
            "Faulted" => Some(Status::Faulted),
            "Occupied" if version.is_2x() => Some(Status::Occupied),
            "Preparing" | "Charging" | "SuspendedEV" | "SuspendedEVSE" | "Finishing" if !version.is_2x() => {
                Some(Status::Occupied)
            }
            _ => None,
        }
    }
}

/// The IdToken type given to a 1.6 idTag, which has none. 1.6 idTags are
/// mostly the UIDs of RFID cards (ISO 14443), and a 2.x station reports the
/// same card as `{idToken: <uid>, type: "ISO14443"}`: so one card reads the same
/// in `msg.unified` on stations of either version. (A 1.6 remote start's tag
/// is labelled so too; the native payload keeps the bare idTag.)
pub const V16_ID_TOKEN_TYPE: &str = "ISO14443";

/// An identifier presented for authorisation, as 2.x writes it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IdToken {
    pub id_token: String,
    #[serde(rename = "type")]
    pub kind: String,
}

/// `msg.unified`: every field absent unless the message has it.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Unified {
    /// TransactionStarted, StatusChanged, ... or the native action name.
    pub event: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evse_id: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connector_id: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<IdToken>,
    /// Always text: a 1.6 integer id is written in decimal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// The status as the station wrote it (1.6 `status`, 2.x `connectorStatus`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub native_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meter: Option<Meter>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// Why a transaction stopped (1.6 `reason`, 2.x `stoppedReason`; "Local" when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq_no: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offline: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub charging_state: Option<String>,
    /// 2.x TransactionEvent `triggerReason`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trigger_reason: Option<String>,
    /// 2.x TransactionEvent `eventType` (Started, Updated, Ended).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    /// 1.6 StartTransaction / 2.x TransactionEvent `reservationId`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reservation_id: Option<i64>,
    /// 2.x `transactionInfo.remoteStartId`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote_start_id: Option<i64>,
    /// 1.6 StatusNotification `errorCode` (2.x reports faults through NotifyEvent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// 1.6 StatusNotification `info`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub info: Option<String>,
    /// 1.6 StatusNotification `vendorErrorCode`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor_error_code: Option<String>,
}

/// What a station's CALL means in unified words. Never fails: what it cannot read stays absent.
pub fn event(version: OcppVersion, action: &str, payload: &Value) -> Unified {
    if version.is_2x() {
        v2x(version, action, payload)
    } else {
        v16(action, payload)
    }
}

fn str_of(p: &Value, key: &str) -> Option<String> {
    p.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn u32_of(p: &Value, key: &str) -> Option<u32> {
    p.get(key).and_then(Value::as_u64).and_then(|n| u32::try_from(n).ok())
}

/// A transaction id as text: 1.6 integers in decimal, 2.x strings as they are.
fn id_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A 1.6 connector N > 0 is EVSE N's only connector; connector 0 is the
/// whole station (evseId 0, no connectorId).
fn v16_place(u: &mut Unified, p: &Value) {
    match u32_of(p, "connectorId") {
        Some(0) => u.evse_id = Some(0),
        Some(n) => {
            u.evse_id = Some(n);
            u.connector_id = Some(1);
        }
        None => {}
    }
}

fn v16_token(p: &Value) -> Option<IdToken> {
    Some(IdToken { id_token: str_of(p, "idTag")?, kind: V16_ID_TOKEN_TYPE.to_owned() })
}

fn v2x_token(p: &Value) -> Option<IdToken> {
    let t = p.get("idToken")?;
    Some(IdToken { id_token: str_of(t, "idToken")?, kind: str_of(t, "type")? })
}

fn v16(action: &str, p: &Value) -> Unified {
    let mut u = Unified::default();
    match action {
        "Authorize" => u.id_token = v16_token(p),
        "StatusNotification" => {
            u.event = "StatusChanged".into();
            v16_place(&mut u, p);
            u.native_status = str_of(p, "status");
            u.status = u.native_status.as_deref().and_then(|s| Status::from_native(OcppVersion::V16, s));
            u.timestamp = str_of(p, "timestamp");
            u.error_code = str_of(p, "errorCode");
            u.info = str_of(p, "info");
            u.vendor_error_code = str_of(p, "vendorErrorCode");
        }
        "StartTransaction" => {
            u.event = "TransactionStarted".into();
            v16_place(&mut u, p);
            u.id_token = v16_token(p);
            u.timestamp = str_of(p, "timestamp");
            u.reservation_id = p.get("reservationId").and_then(Value::as_i64);
            u.meter =
                p.get("meterStart").and_then(Value::as_f64).map(|wh| Meter { energy_wh: Some(wh), ..Meter::default() });
        }
        "StopTransaction" => {
            u.event = "TransactionEnded".into();
            u.id_token = v16_token(p);
            u.transaction_id = id_text(p.get("transactionId"));
            u.timestamp = str_of(p, "timestamp");
            u.reason = Some(str_of(p, "reason").unwrap_or_else(|| "Local".into()));
            let mut m = p
                .get("transactionData")
                .and_then(|d| meter::from_meter_values(OcppVersion::V16, d))
                .unwrap_or_default();
            if let Some(wh) = p.get("meterStop").and_then(Value::as_f64) {
                m.energy_wh = Some(wh);
            }
            u.meter = (!m.is_empty()).then_some(m);
        }
        "MeterValues" => {
            u.transaction_id = id_text(p.get("transactionId"));
            u.event = if u.transaction_id.is_some() { "TransactionUpdated" } else { "MeterValues" }.into();
            v16_place(&mut u, p);
            if let Some(mv) = p.get("meterValue") {
                u.meter = meter::from_meter_values(OcppVersion::V16, mv);
                u.timestamp = meter::last_timestamp(mv).map(str::to_owned);
            }
        }
        _ => {}
    }
    if u.event.is_empty() {
        u.event = action.to_owned();
    }
    u
}

fn v2x(version: OcppVersion, action: &str, p: &Value) -> Unified {
    let mut u = Unified::default();
    match action {
        "Authorize" => u.id_token = v2x_token(p),
        "StatusNotification" => {
            u.event = "StatusChanged".into();
            u.evse_id = u32_of(p, "evseId");
            u.connector_id = u32_of(p, "connectorId");
            u.native_status = str_of(p, "connectorStatus");
            u.status = u.native_status.as_deref().and_then(|s| Status::from_native(version, s));
            u.timestamp = str_of(p, "timestamp");
        }
        "TransactionEvent" => transaction_event(version, &mut u, p),
        "MeterValues" => {
            u.event = "MeterValues".into();
            u.evse_id = u32_of(p, "evseId");
            if let Some(mv) = p.get("meterValue") {
                u.meter = meter::from_meter_values(version, mv);
                u.timestamp = meter::last_timestamp(mv).map(str::to_owned);
            }
        }
        _ => {
            // Other 2.x messages: the place and time where they name them.
            u.evse_id = u32_of(p, "evseId");
            u.timestamp = str_of(p, "timestamp");
        }
    }
    if u.event.is_empty() {
        u.event = action.to_owned();
    }
    u
}

fn transaction_event(version: OcppVersion, u: &mut Unified, p: &Value) {
    u.event_type = str_of(p, "eventType");
    u.event = match u.event_type.as_deref() {
        Some("Started") => "TransactionStarted",
        Some("Updated") => "TransactionUpdated",
        Some("Ended") => "TransactionEnded",
        _ => "TransactionEvent",
    }
    .into();
    if let Some(evse) = p.get("evse") {
        u.evse_id = u32_of(evse, "id");
        u.connector_id = u32_of(evse, "connectorId");
    }
    u.id_token = v2x_token(p);
    u.timestamp = str_of(p, "timestamp");
    u.trigger_reason = str_of(p, "triggerReason");
    u.seq_no = p.get("seqNo").and_then(Value::as_u64);
    u.offline = p.get("offline").and_then(Value::as_bool);
    u.reservation_id = p.get("reservationId").and_then(Value::as_i64);
    if let Some(info) = p.get("transactionInfo") {
        u.transaction_id = id_text(info.get("transactionId"));
        u.charging_state = str_of(info, "chargingState");
        u.remote_start_id = info.get("remoteStartId").and_then(Value::as_i64);
        u.reason = str_of(info, "stoppedReason");
    }
    if u.event == "TransactionEnded" && u.reason.is_none() {
        u.reason = Some("Local".into());
    }
    u.meter = p.get("meterValue").and_then(|mv| meter::from_meter_values(version, mv));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const V16: OcppVersion = OcppVersion::V16;
    const V2X: [OcppVersion; 2] = [OcppVersion::V201, OcppVersion::V21];

    fn tok(id: &str, kind: &str) -> Option<IdToken> {
        Some(IdToken { id_token: id.into(), kind: kind.into() })
    }

    #[test]
    fn same_names_for_boot_heartbeat_authorize() {
        for v in OcppVersion::ALL {
            assert_eq!(event(v, "BootNotification", &json!({})).event, "BootNotification");
            assert_eq!(event(v, "Heartbeat", &json!({})).event, "Heartbeat");
        }
        let a = event(V16, "Authorize", &json!({ "idTag": "CARD1" }));
        assert_eq!((a.event.as_str(), a.id_token), ("Authorize", tok("CARD1", "ISO14443")));
        for v in V2X {
            let a = event(v, "Authorize", &json!({ "idToken": { "idToken": "E1", "type": "eMAID" } }));
            assert_eq!((a.event.as_str(), a.id_token), ("Authorize", tok("E1", "eMAID")));
        }
    }

    #[test]
    fn v16_status_notification() {
        let u = event(
            V16,
            "StatusNotification",
            &json!({ "connectorId": 2, "errorCode": "NoError", "status": "Charging", "timestamp": "2026-01-01T00:00:00Z", "info": "i", "vendorErrorCode": "E7" }),
        );
        assert_eq!(u.event, "StatusChanged");
        assert_eq!((u.evse_id, u.connector_id), (Some(2), Some(1)));
        assert_eq!(u.status, Some(Status::Occupied));
        assert_eq!(u.native_status.as_deref(), Some("Charging"));
        assert_eq!(u.error_code.as_deref(), Some("NoError"));
        assert_eq!(u.info.as_deref(), Some("i"));
        assert_eq!(u.vendor_error_code.as_deref(), Some("E7"));
        assert_eq!(u.timestamp.as_deref(), Some("2026-01-01T00:00:00Z"));
    }

    #[test]
    fn v16_connector_zero_is_evse_zero_without_connector() {
        let u = event(
            V16,
            "StatusNotification",
            &json!({ "connectorId": 0, "errorCode": "NoError", "status": "Available" }),
        );
        assert_eq!((u.evse_id, u.connector_id), (Some(0), None));
    }

    #[test]
    fn status_table_every_native_value() {
        let v16 = [
            ("Available", Status::Available),
            ("Preparing", Status::Occupied),
            ("Charging", Status::Occupied),
            ("SuspendedEV", Status::Occupied),
            ("SuspendedEVSE", Status::Occupied),
            ("Finishing", Status::Occupied),
            ("Reserved", Status::Reserved),
            ("Unavailable", Status::Unavailable),
            ("Faulted", Status::Faulted),
        ];
        for (native, unified) in v16 {
            assert_eq!(Status::from_native(V16, native), Some(unified), "{native}");
        }
        assert_eq!(Status::from_native(V16, "Occupied"), None);
        for v in V2X {
            for (native, unified) in [
                ("Available", Status::Available),
                ("Occupied", Status::Occupied),
                ("Reserved", Status::Reserved),
                ("Unavailable", Status::Unavailable),
                ("Faulted", Status::Faulted),
            ] {
                assert_eq!(Status::from_native(v, native), Some(unified), "{native}");
            }
            assert_eq!(Status::from_native(v, "Charging"), None);
        }
    }

    #[test]
    fn v2x_status_notification() {
        for v in V2X {
            let u = event(
                v,
                "StatusNotification",
                &json!({ "timestamp": "2026-01-01T00:00:00Z", "connectorStatus": "Occupied", "evseId": 3, "connectorId": 2 }),
            );
            assert_eq!(u.event, "StatusChanged");
            assert_eq!((u.evse_id, u.connector_id), (Some(3), Some(2)));
            assert_eq!((u.status, u.native_status.as_deref()), (Some(Status::Occupied), Some("Occupied")));
            let odd =
                event(v, "StatusNotification", &json!({ "connectorStatus": "Weird", "evseId": 1, "connectorId": 1 }));
            assert_eq!((odd.status, odd.native_status.as_deref()), (None, Some("Weird")));
        }
    }

    #[test]
    fn v16_start_transaction() {
        let u = event(
            V16,
            "StartTransaction",
            &json!({ "connectorId": 2, "idTag": "T1", "meterStart": 1500, "timestamp": "2026-01-01T00:00:00Z", "reservationId": 9 }),
        );
        assert_eq!(u.event, "TransactionStarted");
        assert_eq!((u.evse_id, u.connector_id), (Some(2), Some(1)));
        assert_eq!(u.id_token, tok("T1", "ISO14443"));
        assert_eq!(u.transaction_id, None, "the Central System mints it");
        assert_eq!(u.meter, Some(Meter { energy_wh: Some(1500.0), ..Meter::default() }));
        assert_eq!(u.reservation_id, Some(9));
    }

    #[test]
    fn v16_stop_transaction() {
        let u = event(
            V16,
            "StopTransaction",
            &json!({ "transactionId": 42, "meterStop": 9000, "timestamp": "2026-01-01T01:00:00Z", "reason": "EVDisconnected", "idTag": "T1",
                     "transactionData": [{ "timestamp": "2026-01-01T01:00:00Z", "sampledValue": [
                        { "value": "8.9", "unit": "kWh" }, { "value": "80", "measurand": "SoC" } ] }] }),
        );
        assert_eq!(u.event, "TransactionEnded");
        assert_eq!(u.transaction_id.as_deref(), Some("42"));
        assert_eq!((u.evse_id, u.connector_id), (None, None), "1.6 StopTransaction names no connector");
        assert_eq!(u.reason.as_deref(), Some("EVDisconnected"));
        let m = u.meter.unwrap();
        assert_eq!(m.energy_wh, Some(9000.0), "meterStop wins over transactionData");
        assert_eq!(m.soc_percent, Some(80.0), "transactionData is read too");
        let local = event(V16, "StopTransaction", &json!({ "transactionId": 1, "meterStop": 0, "timestamp": "t" }));
        assert_eq!(local.reason.as_deref(), Some("Local"), "1.6 omits reason only when it is Local");
        assert_eq!(local.id_token, None);
    }

    #[test]
    fn v16_meter_values_with_and_without_transaction() {
        let p = json!({ "connectorId": 1, "transactionId": 7, "meterValue": [{ "timestamp": "2026-01-01T00:05:00Z", "sampledValue": [{ "value": "2.5", "unit": "kWh" }] }] });
        let u = event(V16, "MeterValues", &p);
        assert_eq!(u.event, "TransactionUpdated");
        assert_eq!(u.transaction_id.as_deref(), Some("7"));
        assert_eq!((u.evse_id, u.connector_id), (Some(1), Some(1)));
        assert_eq!(u.meter.unwrap().energy_wh, Some(2500.0));
        assert_eq!(u.timestamp.as_deref(), Some("2026-01-01T00:05:00Z"));
        let u = event(V16, "MeterValues", &json!({ "connectorId": 0, "meterValue": [] }));
        assert_eq!((u.event.as_str(), u.transaction_id, u.evse_id, u.meter), ("MeterValues", None, Some(0), None));
    }

    fn tx_event(kind: &str) -> Value {
        json!({
            "eventType": kind, "timestamp": "2026-01-01T00:00:00Z", "triggerReason": "Authorized", "seqNo": 4, "offline": true,
            "reservationId": 5,
            "transactionInfo": { "transactionId": "tx-1", "chargingState": "Charging", "remoteStartId": 12 },
            "evse": { "id": 2, "connectorId": 1 },
            "idToken": { "idToken": "C1", "type": "ISO14443" },
            "meterValue": [{ "timestamp": "2026-01-01T00:00:00Z", "sampledValue": [{ "value": 3.2, "unitOfMeasure": { "unit": "kWh" } }] }]
        })
    }

    #[test]
    fn v2x_transaction_events() {
        for v in V2X {
            for (kind, name) in
                [("Started", "TransactionStarted"), ("Updated", "TransactionUpdated"), ("Ended", "TransactionEnded")]
            {
                let u = event(v, "TransactionEvent", &tx_event(kind));
                assert_eq!(u.event, name);
                assert_eq!(u.event_type.as_deref(), Some(kind));
                assert_eq!((u.evse_id, u.connector_id), (Some(2), Some(1)));
                assert_eq!(u.transaction_id.as_deref(), Some("tx-1"));
                assert_eq!(u.id_token, tok("C1", "ISO14443"));
                assert_eq!((u.seq_no, u.offline), (Some(4), Some(true)));
                assert_eq!(u.charging_state.as_deref(), Some("Charging"));
                assert_eq!(u.trigger_reason.as_deref(), Some("Authorized"));
                assert_eq!((u.reservation_id, u.remote_start_id), (Some(5), Some(12)));
                assert_eq!(u.meter.as_ref().unwrap().energy_wh, Some(3200.0));
                assert_eq!(u.reason.is_some(), kind == "Ended");
            }
            let mut ended = tx_event("Ended");
            ended["transactionInfo"]["stoppedReason"] = json!("EVDisconnected");
            assert_eq!(event(v, "TransactionEvent", &ended).reason.as_deref(), Some("EVDisconnected"));
            let odd = event(v, "TransactionEvent", &json!({ "eventType": "Other" }));
            assert_eq!(odd.event, "TransactionEvent");
        }
    }

    #[test]
    fn v2x_meter_values() {
        for v in V2X {
            let u = event(
                v,
                "MeterValues",
                &json!({ "evseId": 1, "meterValue": [{ "timestamp": "2026-01-01T00:00:00Z", "sampledValue": [{ "value": 11, "measurand": "Power.Active.Import", "unitOfMeasure": { "unit": "kW" } }] }] }),
            );
            assert_eq!((u.event.as_str(), u.evse_id), ("MeterValues", Some(1)));
            assert_eq!(u.meter.unwrap().power_w, Some(11000.0));
        }
    }

    #[test]
    fn other_actions_keep_their_native_names() {
        for v in OcppVersion::ALL {
            for a in ["DataTransfer", "FirmwareStatusNotification", "SomethingNew"] {
                assert_eq!(event(v, a, &json!({})).event, a);
            }
        }
    }

    #[test]
    fn nonsense_never_fails() {
        for v in OcppVersion::ALL {
            for a in [
                "StatusNotification",
                "StartTransaction",
                "StopTransaction",
                "MeterValues",
                "TransactionEvent",
                "Authorize",
            ] {
                for p in [
                    json!(null),
                    json!([]),
                    json!("x"),
                    json!({ "connectorId": -1, "evse": 3, "idToken": "x", "transactionId": [] }),
                ] {
                    let u = event(v, a, &p);
                    assert!(!u.event.is_empty());
                    assert_eq!(u.connector_id, None);
                }
            }
        }
    }

    #[test]
    fn serialises_camel_case_without_absent_fields() {
        let u = event(OcppVersion::V201, "TransactionEvent", &tx_event("Started"));
        let j = serde_json::to_value(&u).unwrap();
        assert_eq!(j["event"], "TransactionStarted");
        assert_eq!(j["evseId"], 2);
        assert_eq!(j["idToken"], json!({ "idToken": "C1", "type": "ISO14443" }));
        assert_eq!(j["transactionId"], "tx-1");
        assert_eq!(j["meter"], json!({ "energyWh": 3200.0 }));
        assert_eq!(j["seqNo"], 4);
        assert!(j.get("reason").is_none() && j.get("status").is_none());
        let s =
            serde_json::to_value(event(V16, "StatusNotification", &json!({ "connectorId": 1, "status": "Finishing" })))
                .unwrap();
        assert_eq!(s["status"], "Occupied");
        assert_eq!(s["nativeStatus"], "Finishing");
    }
}
