use super::check::{Check, Ctx};
use super::compile::{Compiled, StringRule};
use super::*;
use serde::de::IgnoredAny;
use serde_json::json;
use Direction::{Request as Req, Response as Res};
use OcppVersion::{V16, V201, V21};

/// Validates both ways, as a `Value` and as JSON text, which must agree.
#[track_caller]
fn both(v: OcppVersion, action: &str, dir: Direction, payload: &Value) -> Result<(), Violation> {
    let tree = validate(v, action, dir, payload);
    let text = validate_str(v, action, dir, &payload.to_string());
    assert_eq!(tree, text, "validate and validate_str disagree on {payload}");
    let pretty = validate_str(v, action, dir, &serde_json::to_string_pretty(payload).unwrap());
    assert_eq!(tree, pretty, "pretty-printed {payload}");
    tree
}

#[track_caller]
fn ok(v: OcppVersion, action: &str, dir: Direction, payload: Value) {
    if let Err(e) = both(v, action, dir, &payload) {
        panic!("{v:?} {action} {dir:?} refused: {} at {:?}: {}", e.code.as_str(v), e.path, e.message);
    }
}

#[track_caller]
fn bad(v: OcppVersion, action: &str, dir: Direction, payload: Value) -> Violation {
    match both(v, action, dir, &payload) {
        Ok(()) => panic!("{v:?} {action} {dir:?} accepted {payload}"),
        Err(e) => e,
    }
}

/// Checks code, path and (if given) message of the violation.
#[track_caller]
fn refused(v: OcppVersion, action: &str, dir: Direction, payload: Value, code: &str, path: &str, message: &str) {
    let e = bad(v, action, dir, payload);
    assert_eq!((e.code.as_str(v), e.path.as_str()), (code, path), "{}", e.message);
    if !message.is_empty() {
        assert_eq!(e.message, message);
    }
}

// ---------------------------------------------------------------------------
// Compiling.

#[test]
fn all_three_files_compile() {
    for v in OcppVersion::ALL {
        let c = compile::compile(source(v)).unwrap_or_else(|e| panic!("{v:?}: {e}"));
        let (pairs, sends): (Vec<_>, Vec<_>) = c.actions.iter().partition(|(_, s)| s.response.is_some());
        assert!(c.actions.values().all(|s| s.request.is_some()), "{v:?}: a response without request");
        let sends: Vec<&str> = sends.iter().map(|(a, _)| &***a).collect();
        match v {
            V16 => assert_eq!((pairs.len(), sends), (39, vec![])),
            V201 => assert_eq!((pairs.len(), sends), (64, vec![])),
            V21 => assert_eq!((pairs.len(), sends), (90, vec!["NotifyPeriodicEventStream"])),
        }
    }
}

#[test]
fn schema_ids_name_actions() {
    assert_eq!(compile::action_of("urn:Authorize.req"), Some(("Authorize", false)));
    assert_eq!(compile::action_of("urn:Authorize.conf"), Some(("Authorize", true)));
    assert_eq!(compile::action_of("urn:AFRRSignalRequest"), Some(("AFRRSignal", false)));
    assert_eq!(compile::action_of("urn:AFRRSignalResponse"), Some(("AFRRSignal", true)));
    assert_eq!(compile::action_of("urn:OCPP:Cp:2:2020:3:BootNotificationRequest"), Some(("BootNotification", false)));
    assert_eq!(compile::action_of("urn:OCPP:1.6:2019:12:BootNotificationResponse"), Some(("BootNotification", true)));
    assert_eq!(compile::action_of("urn:NotifyPeriodicEventStream"), Some(("NotifyPeriodicEventStream", false)));
    assert_eq!(compile::action_of("Authorize.req"), None);
    assert_eq!(compile::action_of("urn:.req"), None);
}

#[track_caller]
fn compile_err(schema: Value) -> String {
    let text = json!([schema]).to_string();
    match compile::compile(&text) {
        Ok(_) => panic!("compiled {schema}"),
        Err(e) => e,
    }
}

#[test]
fn the_compiler_refuses_what_it_does_not_implement() {
    let obj = |props: Value| json!({"$id": "urn:X.req", "type": "object", "properties": props});
    let cases = [
        (obj(json!({"a": {"type": "string", "pattern": "^a$"}})), "\"pattern\""),
        (obj(json!({"a": {"oneOf": [{"type": "string"}]}})), "\"oneOf\""),
        (obj(json!({"a": {"type": "integer", "exclusiveMinimum": 0}})), "\"exclusiveMinimum\""),
        (obj(json!({"a": {"type": "integer", "maxLength": 3}})), "\"maxLength\" is not supported on type integer"),
        (obj(json!({"a": {"type": "integer", "enum": [1, 2]}})), "\"enum\""),
        (obj(json!({"a": {"type": ["string", "null"]}})), "only a single type"),
        (obj(json!({"a": {"type": "null"}})), "type \"null\""),
        (obj(json!({"a": {"type": "string", "format": "email"}})), "format \"email\""),
        (obj(json!({"a": {"type": "array", "items": [{"type": "string"}]}})), "tuple items"),
        (obj(json!({"a": {"type": "object", "additionalProperties": {"type": "string"}}})), "boolean"),
        (obj(json!({"a": {"$ref": "#/definitions/Nope"}})), "unknown definition \"Nope\""),
        (obj(json!({"a": {"$ref": "other.json#/x"}})), "does not point into #/definitions"),
        (obj(json!({"a": {"$ref": "#/definitions/A", "maxLength": 2}})), "beside $ref"),
        (obj(json!({"a": {"type": "number", "multipleOf": 0}})), "positive"),
        (obj(json!({"a": {"description": "x", "minimum": 1}})), "untyped"),
        (json!({"$id": "urn:X.req", "type": "object", "required": ["b"], "properties": {}}), "\"b\" is not among"),
        (
            json!({"$id": "urn:X.req", "type": "object", "definitions": {"A": {"type": "string", "title": "t"}}}),
            "\"title\"",
        ),
        (
            json!({"$id": "urn:X.req", "type": "object", "properties": {"a": {"type": "object", "definitions": {}}}}),
            "\"definitions\"",
        ),
        (json!({"$id": "X", "type": "object"}), "cannot read an action"),
    ];
    for (schema, needle) in cases {
        let e = compile_err(schema.clone());
        assert!(e.contains(needle), "{schema}: {e:?} lacks {needle:?}");
    }
    // A definition used by nobody is checked too.
    let e = compile_err(
        json!({"$id": "urn:X.req", "type": "object", "definitions": {"U": {"type": "string", "pattern": "x"}}}),
    );
    assert!(e.contains("#/definitions/U"), "{e}");
    // Two schemas for one action and direction.
    let twice = json!([{"$id": "urn:X.req", "type": "object"}, {"$id": "urn:XRequest", "type": "object"}]).to_string();
    assert!(compile::compile(&twice).unwrap_err().contains("second schema"));
}

#[test]
fn the_compiler_accepts_the_whole_subset() {
    let text = json!([{
        "$schema": "http://json-schema.org/draft-07/schema", "$id": "urn:XRequest", "comment": "c",
        "definitions": {
            "Leaf": {"javaType": "Leaf", "type": "string", "minLength": 2, "maxLength": 3, "default": "ab"},
            "Node": {"type": "object", "additionalProperties": false, "properties": {"next": {"$ref": "#/definitions/Node"}}}
        },
        "type": "object", "additionalProperties": false, "required": ["n"],
        "properties": {
            "n": {"type": "number", "minimum": -1.5, "maximum": 10, "multipleOf": 0.5, "description": "d"},
            "i": {"type": "integer", "minimum": 0},
            "l": {"$ref": "#/definitions/Leaf", "description": "annotations may sit beside $ref"},
            "a": {"type": "array", "items": {"$ref": "#/definitions/Leaf"}, "minItems": 1, "maxItems": 2, "additionalItems": false},
            "e": {"type": "string", "enum": ["A", "B"]},
            "t": {"type": "string", "format": "date-time"},
            "u": {"type": "string", "format": "uri"},
            "b": {"type": "boolean"},
            "any": {"description": "anything"},
            "tree": {"$ref": "#/definitions/Node"}
        }
    }])
    .to_string();
    let c: &'static Compiled = Box::leak(Box::new(compile::compile(&text).unwrap()));
    let root = c.actions["X"].request.unwrap();
    let run = |p: Value| {
        let ctx = Ctx::new(c);
        let tree =
            Check { ctx: &ctx, node: root }.deserialize(&p).map_err(|_| ctx.fail.take().unwrap().into_violation());
        let text = p.to_string();
        let ctx = Ctx::new(c);
        let raw = Check { ctx: &ctx, node: root }
            .deserialize(&mut serde_json::Deserializer::from_str(&text))
            .map_err(|_| ctx.fail.take().unwrap().into_violation());
        assert_eq!(tree, raw, "{p}");
        tree
    };
    assert!(run(json!({"n": 9.5, "i": 0, "l": "abc", "a": ["ab", "cd"], "e": "B", "t": "2026-11-25T10:00:00Z",
        "u": "ftp://x/y", "b": false, "any": [null, {"x": 1}], "tree": {"next": {"next": {}}}}))
    .is_ok());
    let code = |p: Value| run(p).map_err(|v| (v.code, v.path)).unwrap_err();
    use ViolationCode::*;
    assert_eq!(code(json!({"n": -2})), (PropertyConstraintViolation, "/n".into()));
    assert_eq!(code(json!({"n": 10.5})), (PropertyConstraintViolation, "/n".into()));
    assert_eq!(code(json!({"n": 0.25})), (PropertyConstraintViolation, "/n".into()));
    assert_eq!(code(json!({"n": 1, "i": -1})), (PropertyConstraintViolation, "/i".into()));
    assert_eq!(code(json!({"n": 1, "l": "a"})), (PropertyConstraintViolation, "/l".into()));
    assert_eq!(code(json!({"n": 1, "a": []})), (OccurrenceConstraintViolation, "/a".into()));
    assert_eq!(code(json!({"n": 1, "a": ["ab", "ab", "ab"]})), (OccurrenceConstraintViolation, "/a".into()));
    assert_eq!(code(json!({"n": 1, "a": ["ab", "abcd"]})), (PropertyConstraintViolation, "/a/1".into()));
    assert_eq!(code(json!({"n": 1, "u": "no scheme"})), (PropertyConstraintViolation, "/u".into()));
    assert_eq!(code(json!({"n": 1, "b": "true"})), (TypeConstraintViolation, "/b".into()));
    assert_eq!(
        code(json!({"n": 1, "tree": {"next": {"next": {"x": 1}}}})),
        (FormationViolation, "/tree/next/next/x".into())
    );
    assert_eq!(code(json!({})), (OccurrenceConstraintViolation, "/n".into()));
}

// ---------------------------------------------------------------------------
// Valid payloads, a dozen common actions per version.

const T: &str = "2026-11-25T10:00:00Z";

fn sampled_16(n: usize) -> Value {
    let measurands = ["Energy.Active.Import.Register", "Power.Active.Import", "Current.Import", "Voltage", "SoC"];
    let values: Vec<Value> = (0..n)
        .map(|i| {
            json!({"value": format!("{}.{}", 1000 + i, i % 10), "context": "Sample.Periodic", "format": "Raw",
                "measurand": measurands[i % measurands.len()], "phase": "L1", "location": "Outlet", "unit": "Wh"})
        })
        .collect();
    json!(values)
}

fn meter_values_16(n: usize) -> Value {
    json!({"connectorId": 1, "transactionId": 42, "meterValue": [{"timestamp": T, "sampledValue": sampled_16(n)}]})
}

#[test]
fn valid_16_payloads_pass() {
    let v = V16;
    ok(
        v,
        "BootNotification",
        Req,
        json!({"chargePointVendor": "Vendor", "chargePointModel": "Model",
        "chargePointSerialNumber": "SN-1", "firmwareVersion": "1.2.3", "iccid": "", "meterType": "M"}),
    );
    ok(v, "BootNotification", Res, json!({"status": "Accepted", "currentTime": T, "interval": 300}));
    ok(v, "Heartbeat", Req, json!({}));
    ok(v, "Heartbeat", Res, json!({"currentTime": "2026-11-25T10:00:00.123+01:00"}));
    ok(
        v,
        "StatusNotification",
        Req,
        json!({"connectorId": 1, "errorCode": "NoError", "status": "Charging",
        "timestamp": T, "info": "ok", "vendorId": "acme", "vendorErrorCode": "0"}),
    );
    ok(v, "StatusNotification", Res, json!({}));
    ok(v, "Authorize", Req, json!({"idTag": "ABCDEFGHIJKLMNOPQRST"}));
    ok(v, "Authorize", Res, json!({"idTagInfo": {"status": "Accepted", "expiryDate": T, "parentIdTag": "P"}}));
    ok(
        v,
        "StartTransaction",
        Req,
        json!({"connectorId": 1, "idTag": "TAG", "meterStart": 0, "timestamp": T, "reservationId": 3}),
    );
    ok(v, "StartTransaction", Res, json!({"idTagInfo": {"status": "ConcurrentTx"}, "transactionId": 42}));
    ok(
        v,
        "StopTransaction",
        Req,
        json!({"meterStop": 1500, "timestamp": T, "transactionId": 42, "reason": "Local",
        "transactionData": [{"timestamp": T, "sampledValue": sampled_16(3)}]}),
    );
    ok(v, "StopTransaction", Res, json!({}));
    ok(v, "MeterValues", Req, meter_values_16(10));
    ok(v, "MeterValues", Res, json!({}));
    ok(v, "DataTransfer", Req, json!({"vendorId": "com.acme", "messageId": "x", "data": "{\"a\":1}"}));
    ok(v, "DataTransfer", Res, json!({"status": "Accepted", "data": "text"}));
    let profile = json!({"chargingProfileId": 7, "stackLevel": 0, "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Recurring", "recurrencyKind": "Daily", "validFrom": T,
        "chargingSchedule": {"duration": 86400, "startSchedule": "2026-11-25T00:00:00Z", "chargingRateUnit": "A",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}, {"startPeriod": 3600, "limit": 12.3, "numberPhases": 3},
                {"startPeriod": 7200, "limit": 6.0}],
            "minChargingRate": 4.2}});
    ok(v, "SetChargingProfile", Req, json!({"connectorId": 0, "csChargingProfiles": profile}));
    ok(v, "SetChargingProfile", Res, json!({"status": "Accepted"}));
    ok(
        v,
        "RemoteStartTransaction",
        Req,
        json!({"connectorId": 1, "idTag": "TAG", "chargingProfile": {
        "chargingProfileId": 8, "stackLevel": 1, "chargingProfilePurpose": "TxProfile", "chargingProfileKind": "Relative",
        "chargingSchedule": {"chargingRateUnit": "W", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 11000.0}]}}}),
    );
    ok(
        v,
        "GetConfiguration",
        Res,
        json!({"configurationKey": [{"key": "HeartbeatInterval", "readonly": false, "value": "300"}],
        "unknownKey": ["Foo"]}),
    );
    ok(v, "ChangeConfiguration", Req, json!({"key": "HeartbeatInterval", "value": "60"}));
    ok(
        v,
        "GetDiagnostics",
        Req,
        json!({"location": "ftp://user:pw@diag.example.com:2121/upload/", "retries": 3,
        "startTime": T}),
    );
    ok(v, "UpdateFirmware", Req, json!({"location": "https://fw.example.com/v2.bin?sig=a%20b", "retrieveDate": T}));
    ok(v, "TriggerMessage", Req, json!({"requestedMessage": "MeterValues", "connectorId": 1}));
    // Both spellings of Celsius, as the 1.6 errata asks a Central System to accept.
    let mut mv = meter_values_16(2);
    mv["meterValue"][0]["sampledValue"][0]["unit"] = json!("Celcius");
    mv["meterValue"][0]["sampledValue"][1]["unit"] = json!("Celsius");
    ok(v, "MeterValues", Req, mv);
}

fn sampled_2x(n: usize) -> Value {
    let measurands = ["Energy.Active.Import.Register", "Power.Active.Import", "Current.Import", "Voltage", "SoC"];
    let values: Vec<Value> = (0..n)
        .map(|i| {
            json!({"value": 1000.5 + i as f64, "context": "Sample.Periodic", "measurand": measurands[i % measurands.len()],
                "phase": "L1-N", "location": "Outlet", "unitOfMeasure": {"unit": "Wh", "multiplier": 0}})
        })
        .collect();
    json!(values)
}

fn valid_2x_common(v: OcppVersion) {
    let custom = json!({"vendorId": "com.acme", "anything": {"goes": [1, 2]}});
    ok(
        v,
        "BootNotification",
        Req,
        json!({"reason": "PowerUp", "customData": custom,
        "chargingStation": {"model": "M1", "vendorName": "Acme", "serialNumber": "SN", "firmwareVersion": "1.0",
            "modem": {"iccid": "8931", "imsi": "2040"}}}),
    );
    ok(
        v,
        "BootNotification",
        Res,
        json!({"currentTime": T, "interval": 300, "status": "Accepted",
        "statusInfo": {"reasonCode": "OK", "additionalInfo": "fine"}}),
    );
    ok(v, "Heartbeat", Req, json!({}));
    ok(v, "Heartbeat", Res, json!({"currentTime": "2026-11-25t10:00:00.5z"}));
    ok(
        v,
        "StatusNotification",
        Req,
        json!({"timestamp": T, "connectorStatus": "Occupied", "evseId": 1, "connectorId": 1}),
    );
    ok(v, "StatusNotification", Res, json!({}));
    ok(v, "Authorize", Req, json!({"idToken": {"idToken": "04A2B3C4D5E6F7", "type": "ISO14443"}}));
    ok(
        v,
        "Authorize",
        Res,
        json!({"idTokenInfo": {"status": "Accepted", "cacheExpiryDateTime": T, "evseId": [1, 2],
        "personalMessage": {"format": "UTF8", "language": "nl", "content": "Welkom — ñ"}}}),
    );
    ok(
        v,
        "TransactionEvent",
        Req,
        json!({"eventType": "Started", "timestamp": T, "triggerReason": "Authorized",
        "seqNo": 0, "offline": false, "numberOfPhasesUsed": 3,
        "transactionInfo": {"transactionId": "f2a6b0c4-1", "chargingState": "Charging", "remoteStartId": 5},
        "evse": {"id": 1, "connectorId": 1}, "idToken": {"idToken": "04A2B3C4D5E6F7", "type": "ISO14443"},
        "meterValue": [{"timestamp": T, "sampledValue": sampled_2x(3)}]}),
    );
    ok(v, "TransactionEvent", Res, json!({"totalCost": 12.5, "idTokenInfo": {"status": "Accepted"}}));
    ok(v, "MeterValues", Req, json!({"evseId": 1, "meterValue": [{"timestamp": T, "sampledValue": sampled_2x(10)}]}));
    ok(v, "MeterValues", Res, json!({}));
    // DataTransfer.data has no type: any JSON value.
    for data in [json!({"a": [1, {"b": null}]}), json!("text"), json!(3.5), json!(null), json!([true])] {
        ok(v, "DataTransfer", Req, json!({"vendorId": "com.acme", "messageId": "m", "data": data.clone()}));
        ok(v, "DataTransfer", Res, json!({"status": "Accepted", "data": data}));
    }
    ok(
        v,
        "SetChargingProfile",
        Req,
        json!({"evseId": 0, "chargingProfile": {"id": 1, "stackLevel": 0,
        "chargingProfilePurpose": "ChargingStationMaxProfile", "chargingProfileKind": "Absolute",
        "chargingSchedule": [{"id": 1, "startSchedule": T, "duration": 3600, "chargingRateUnit": "W",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 22000, "numberPhases": 3},
                {"startPeriod": 1800, "limit": 11000.5, "numberPhases": 1, "phaseToUse": 1}],
            "minChargingRate": 1400.0}]}}),
    );
    ok(v, "SetChargingProfile", Res, json!({"status": "Accepted"}));
    ok(
        v,
        "RequestStartTransaction",
        Req,
        json!({"evseId": 1, "remoteStartId": 7,
        "idToken": {"idToken": "TAG", "type": "Central"}}),
    );
    ok(v, "RequestStartTransaction", Res, json!({"status": "Accepted", "transactionId": "abc"}));
    ok(
        v,
        "GetVariables",
        Req,
        json!({"getVariableData": [{"component": {"name": "OCPPCommCtrlr"},
        "variable": {"name": "HeartbeatInterval"}, "attributeType": "Actual"}]}),
    );
    ok(v, "Reset", Req, json!({"type": "Immediate"}));
}

#[test]
fn valid_201_payloads_pass() {
    valid_2x_common(V201);
    ok(
        V201,
        "Authorize",
        Req,
        json!({"idToken": {"idToken": "X", "type": "KeyCode"},
        "iso15118CertificateHashData": [{"hashAlgorithm": "SHA256", "issuerNameHash": "a", "issuerKeyHash": "b",
            "serialNumber": "c", "responderURL": "http://ocsp.example.com"}]}),
    );
}

#[test]
fn valid_21_payloads_pass() {
    valid_2x_common(V21);
    ok(
        V21,
        "SetChargingProfile",
        Req,
        json!({"evseId": 1, "chargingProfile": {"id": 2, "stackLevel": 1,
        "chargingProfilePurpose": "TxProfile", "chargingProfileKind": "Dynamic", "transactionId": "tx-1",
        "chargingSchedule": [{"id": 3, "chargingRateUnit": "A", "limitAtSoC": {"soc": 80, "limit": 16},
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 32, "dischargeLimit": -10.5,
                "operationMode": "ChargingOnly", "v2xFreqWattCurve": [{"frequency": 50.1, "power": -1000}]}]}]}}),
    );
    ok(
        V21,
        "NotifyPeriodicEventStream",
        Req,
        json!({"id": 1, "pending": 0, "basetime": T,
        "data": [{"t": 0.5, "v": "230.1"}, {"t": 1, "v": "230.4"}]}),
    );
    ok(V21, "AFRRSignal", Req, json!({"timestamp": T, "signal": -1}));
}

// ---------------------------------------------------------------------------
// Violations: code spelled per version, path, message.

#[test]
fn each_violation_kind_has_its_code_and_path() {
    // 1.6
    let v = V16;
    refused(
        v,
        "Authorize",
        Req,
        json!({"idTag": "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}),
        "PropertyConstraintViolation",
        "/idTag",
        r#"idTag: "ABCDEFGHIJKLMNOPQRSTUVWXYZ" is longer than 20 characters"#,
    );
    refused(
        v,
        "Authorize",
        Req,
        json!({}),
        "OccurenceConstraintViolation",
        "/idTag",
        r#"required property "idTag" is missing"#,
    );
    refused(
        v,
        "Authorize",
        Res,
        json!({"idTagInfo": {}}),
        "OccurenceConstraintViolation",
        "/idTagInfo/status",
        r#"idTagInfo: required property "status" is missing"#,
    );
    refused(
        v,
        "Authorize",
        Res,
        json!({"idTagInfo": {"status": "Maybe"}}),
        "PropertyConstraintViolation",
        "/idTagInfo/status",
        r#"idTagInfo.status: "Maybe" is not one of "Accepted", "Blocked", "Expired", "Invalid" or "ConcurrentTx""#,
    );
    refused(
        v,
        "Authorize",
        Req,
        json!({"idTag": "A", "extra": 1}),
        "FormationViolation",
        "/extra",
        r#"unknown property "extra""#,
    );
    refused(
        v,
        "Authorize",
        Res,
        json!({"idTagInfo": {"status": "Accepted", "colour": "red"}}),
        "FormationViolation",
        "/idTagInfo/colour",
        r#"idTagInfo: unknown property "colour""#,
    );
    refused(
        v,
        "StartTransaction",
        Req,
        json!({"connectorId": "1", "idTag": "T", "meterStart": 0, "timestamp": T}),
        "TypeConstraintViolation",
        "/connectorId",
        r#"connectorId: expected an integer, got "1""#,
    );
    refused(
        v,
        "StartTransaction",
        Req,
        json!({"connectorId": 1, "idTag": "T", "meterStart": 0, "timestamp": "2026-11-25 10:00"}),
        "PropertyConstraintViolation",
        "/timestamp",
        r#"timestamp: "2026-11-25 10:00" is not an RFC 3339 date-time such as 2026-11-25T10:00:00Z"#,
    );
    let mut mv = meter_values_16(3);
    mv["meterValue"][0]["sampledValue"][2]["value"] = json!(12);
    refused(
        v,
        "MeterValues",
        Req,
        mv,
        "TypeConstraintViolation",
        "/meterValue/0/sampledValue/2/value",
        "meterValue[0].sampledValue[2].value: expected a string, got 12",
    );
    refused(
        v,
        "SetChargingProfile",
        Req,
        json!({"connectorId": 1, "csChargingProfiles": {"chargingProfileId": 1,
        "stackLevel": 0, "chargingProfilePurpose": "TxProfile", "chargingProfileKind": "Absolute",
        "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 12.34}]}}}),
        "PropertyConstraintViolation",
        "/csChargingProfiles/chargingSchedule/chargingSchedulePeriod/0/limit",
        "csChargingProfiles.chargingSchedule.chargingSchedulePeriod[0].limit: 12.34 is not a multiple of 0.1",
    );
    refused(
        v,
        "GetDiagnostics",
        Req,
        json!({"location": "diag.example.com/upload"}),
        "PropertyConstraintViolation",
        "/location",
        r#"location: "diag.example.com/upload" is not a URI"#,
    );
    refused(v, "Heartbeat", Req, json!([]), "FormationViolation", "", "the payload is an array, not a JSON object");
    refused(
        v,
        "Heartbeat",
        Res,
        json!({"currentTime": null}),
        "TypeConstraintViolation",
        "/currentTime",
        "currentTime: expected a string, got null",
    );

    // 2.0.1 and 2.1 spell two codes differently.
    for v in [V201, V21] {
        refused(
            v,
            "Authorize",
            Req,
            json!({"idToken": {"idToken": "X"}}),
            "OccurrenceConstraintViolation",
            "/idToken/type",
            r#"idToken: required property "type" is missing"#,
        );
        refused(
            v,
            "Heartbeat",
            Req,
            json!({"extra": true}),
            "FormatViolation",
            "/extra",
            r#"unknown property "extra""#,
        );
        refused(v, "Heartbeat", Req, json!("x"), "FormatViolation", "", "the payload is a string, not a JSON object");
        refused(
            v,
            "StatusNotification",
            Req,
            json!({"timestamp": T, "connectorStatus": "Charging", "evseId": 1,
            "connectorId": 1}),
            "PropertyConstraintViolation",
            "/connectorStatus",
            "",
        );
        refused(
            v,
            "MeterValues",
            Req,
            json!({"evseId": 1, "meterValue": []}),
            "OccurrenceConstraintViolation",
            "/meterValue",
            "meterValue: 0 items but at least 1 required",
        );
        refused(
            v,
            "MeterValues",
            Req,
            json!({"evseId": 1, "meterValue": [{"timestamp": T, "sampledValue": [{"value": "1"}]}]}),
            "TypeConstraintViolation",
            "/meterValue/0/sampledValue/0/value",
            "",
        );
        refused(
            v,
            "MeterValues",
            Req,
            json!({"evseId": 1.5, "meterValue": [{"timestamp": T, "sampledValue": [{"value": 1}]}]}),
            "TypeConstraintViolation",
            "/evseId",
            "evseId: expected an integer, got 1.5",
        );
        refused(
            v,
            "Authorize",
            Req,
            json!({"idToken": {"idToken": "X", "type": "Central"},
            "iso15118CertificateHashData": [hash(), hash(), hash(), hash(), hash()]}),
            "OccurrenceConstraintViolation",
            "/iso15118CertificateHashData",
            "iso15118CertificateHashData: 5 items but at most 4 allowed",
        );
        // customData is open (no additionalProperties: false) but still needs its vendorId.
        refused(
            v,
            "Heartbeat",
            Req,
            json!({"customData": {"x": 1}}),
            "OccurrenceConstraintViolation",
            "/customData/vendorId",
            "",
        );
    }
    // minimum / maximum (2.1 only: the 2.0.1 schemas have a few, on other messages).
    refused(
        V21,
        "StatusNotification",
        Req,
        json!({"timestamp": T, "connectorStatus": "Available", "evseId": -1,
        "connectorId": 0}),
        "PropertyConstraintViolation",
        "/evseId",
        "evseId: -1 is less than the minimum 0",
    );
    let soc = |soc: Value| {
        json!({"evseId": 1, "chargingProfile": {"id": 2, "stackLevel": 1,
        "chargingProfilePurpose": "TxProfile", "chargingProfileKind": "Absolute",
        "chargingSchedule": [{"id": 3, "chargingRateUnit": "A", "limitAtSoC": {"soc": soc, "limit": 16},
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 32}]}]}})
    };
    ok(V21, "SetChargingProfile", Req, soc(json!(100)));
    ok(V21, "SetChargingProfile", Req, soc(json!(100.0)));
    refused(
        V21,
        "SetChargingProfile",
        Req,
        soc(json!(101)),
        "PropertyConstraintViolation",
        "/chargingProfile/chargingSchedule/0/limitAtSoC/soc",
        "chargingProfile.chargingSchedule[0].limitAtSoC.soc: 101 is greater than the maximum 100",
    );
    refused(
        V21,
        "SetChargingProfile",
        Req,
        soc(json!(99.5)),
        "TypeConstraintViolation",
        "/chargingProfile/chargingSchedule/0/limitAtSoC/soc",
        "",
    );
}

fn hash() -> Value {
    json!({"hashAlgorithm": "SHA256", "issuerNameHash": "a", "issuerKeyHash": "b", "serialNumber": "c", "responderURL": "u"})
}

#[test]
fn codes_are_spelled_per_version() {
    let all = ViolationCode::ALL;
    let spell = |v| all.map(|c| c.as_str(v));
    assert_eq!(
        spell(V16),
        [
            "FormationViolation",
            "PropertyConstraintViolation",
            "OccurenceConstraintViolation",
            "TypeConstraintViolation",
            "NotImplemented"
        ]
    );
    for v in [V201, V21] {
        assert_eq!(
            spell(v),
            [
                "FormatViolation",
                "PropertyConstraintViolation",
                "OccurrenceConstraintViolation",
                "TypeConstraintViolation",
                "NotImplemented"
            ]
        );
    }
}

#[test]
fn unknown_actions_are_not_implemented() {
    assert!(
        knows_action(V16, "BootNotification")
            && knows_action(V201, "BootNotification")
            && knows_action(V21, "BootNotification")
    );
    assert!(knows_action(V16, "StartTransaction") && !knows_action(V201, "StartTransaction"));
    assert!(!knows_action(V16, "TransactionEvent") && knows_action(V201, "TransactionEvent"));
    assert!(knows_action(V21, "NotifyPeriodicEventStream") && !knows_action(V201, "NotifyPeriodicEventStream"));
    assert!(
        !knows_action(V16, "bootnotification") && !knows_action(V16, "") && !knows_action(V16, "BootNotification.req")
    );
    for v in OcppVersion::ALL {
        let e = bad(v, "FooBar", Req, json!({}));
        assert_eq!((e.code, e.code.as_str(v), e.path.as_str()), (ViolationCode::NotImplemented, "NotImplemented", ""));
        assert!(e.message.starts_with(r#"unknown action "FooBar" in OCPP "#), "{}", e.message);
    }
    let e = bad(V21, "NotifyPeriodicEventStream", Res, json!({}));
    assert_eq!(
        (e.code, e.message.as_str()),
        (ViolationCode::NotImplemented, "NotifyPeriodicEventStream has no response in OCPP 2.1")
    );
    assert_eq!(actions(V16).len(), 39);
    assert!(actions(V201).windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn max_length_counts_characters_not_bytes() {
    // idTag is CiString20Type.
    let tag = |s: String| json!({"idTag": s});
    for c in ['é', '€', '😀', 'A'] {
        let twenty: String = std::iter::repeat_n(c, 20).collect();
        ok(V16, "Authorize", Req, tag(twenty.clone()));
        let e = bad(V16, "Authorize", Req, tag(format!("{twenty}{c}")));
        assert_eq!(e.code, ViolationCode::PropertyConstraintViolation, "{c}");
        assert!(e.message.ends_with("is longer than 20 characters"), "{}", e.message);
    }
    // 2.0.1 idToken is 36.
    let id = |s: &str| json!({"idToken": {"idToken": s, "type": "Central"}});
    ok(V201, "Authorize", Req, id(&"ü".repeat(36)));
    assert_eq!(bad(V201, "Authorize", Req, id(&"ü".repeat(37))).path, "/idToken/idToken");
    // The rule itself, minLength included.
    let rule = StringRule { min_length: Some(3), max_length: Some(4), ..Default::default() };
    let rule: &'static StringRule = Box::leak(Box::new(rule));
    let fits = |s: &str| check::string(rule, s).is_none();
    assert!(fits("ééé") && fits("😀😀😀😀") && fits("abc"));
    assert!(!fits("éé") && !fits("😀😀") && !fits("ab"));
    assert!(!fits("😀😀😀😀😀") && !fits("abcde"));
}

#[test]
fn integer_and_number() {
    let start = |c: Value| json!({"connectorId": c, "idTag": "T", "meterStart": 0, "timestamp": T});
    ok(V16, "StartTransaction", Req, start(json!(1)));
    ok(V16, "StartTransaction", Req, start(json!(1.0)));
    ok(V16, "StartTransaction", Req, start(json!(-3)));
    ok(V16, "StartTransaction", Req, start(serde_json::from_str::<Value>("1e2").unwrap()));
    ok(V16, "StartTransaction", Req, start(json!(u64::MAX)));
    for bad_value in [json!(1.5), json!("1"), json!(true), json!(null), json!([1]), json!({})] {
        let e = bad(V16, "StartTransaction", Req, start(bad_value.clone()));
        assert_eq!((e.code, e.path.as_str()), (ViolationCode::TypeConstraintViolation, "/connectorId"), "{bad_value}");
    }
    // "number" takes integers and fractions (1.6 uses it for decimals such as limit).
    let period = |limit: Value| {
        json!({"connectorId": 1, "csChargingProfiles": {"chargingProfileId": 1, "stackLevel": 0,
        "chargingProfilePurpose": "TxProfile", "chargingProfileKind": "Absolute",
        "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}]}}})
    };
    for good in [json!(16), json!(16.0), json!(0.1), json!(12.3), json!(-0.7), json!(1234567.8)] {
        ok(V16, "SetChargingProfile", Req, period(good));
    }
    for (value, code) in [
        (json!("16"), "TypeConstraintViolation"),
        (json!(0.05), "PropertyConstraintViolation"),
        (json!(12.34), "PropertyConstraintViolation"),
    ] {
        let e = bad(V16, "SetChargingProfile", Req, period(value.clone()));
        assert_eq!(e.code.as_str(V16), code, "{value}");
    }
    // 2.x values are numbers.
    ok(
        V201,
        "MeterValues",
        Req,
        json!({"evseId": 1, "meterValue": [{"timestamp": T, "sampledValue": [{"value": 7}, {"value": -0.25}]}]}),
    );
}

#[test]
fn date_times() {
    for good in [
        "2026-11-25T10:00:00Z",
        "2026-11-25T10:00:00.123+01:00",
        "2026-11-25T10:00:00.123456789-05:30",
        "2026-11-25t10:00:00z",
        "2024-02-29T23:59:59+00:00",
        "2000-02-29T00:00:00Z",
        "1998-12-31T23:59:60Z",
        "1998-12-31T15:59:60.5-08:00",
        "0001-01-01T00:00:00Z",
    ] {
        assert!(formats::is_date_time(good), "{good}");
        ok(V16, "Heartbeat", Res, json!({"currentTime": good}));
    }
    for bad_value in [
        "2026-11-25 10:00",
        "2026-11-25 10:00:00Z",
        "2026-13-01T00:00:00Z",
        "2026-00-01T00:00:00Z",
        "2026-11-31T00:00:00Z",
        "2026-02-29T00:00:00Z",
        "1900-02-29T00:00:00Z",
        "2026-11-25T24:00:00Z",
        "2026-11-25T10:60:00Z",
        "2026-11-25T10:00:61Z",
        "2026-11-25T10:00:60Z",
        "2026-11-25T10:00:00",
        "2026-11-25T10:00Z",
        "2026-11-25T10:00:00.Z",
        "2026-11-25T10:00:00+0100",
        "2026-11-25T10:00:00+01",
        "2026-11-25T10:00:00+24:00",
        "2026-11-25T10:00:00+01:60",
        "2026-11-25T10:00:00Z ",
        " 2026-11-25T10:00:00Z",
        "2026-11-25",
        "26-11-25T10:00:00Z",
        "2026-1-25T10:00:00Z",
        "2026-11-25T10:00:00ZZ",
        "２０２６-11-25T10:00:00Z",
        "",
    ] {
        assert!(!formats::is_date_time(bad_value), "{bad_value}");
        let e = bad(V16, "Heartbeat", Res, json!({"currentTime": bad_value}));
        assert_eq!(
            (e.code, e.path.as_str()),
            (ViolationCode::PropertyConstraintViolation, "/currentTime"),
            "{bad_value}"
        );
    }
}

#[test]
fn uris() {
    for good in [
        "ftp://diag.example.com/upload/",
        "ftp://user:p%40ss@10.0.0.1:21/logs",
        "https://fw.example.com/v2.bin?x=1&y=a%20b#frag",
        "http://[2001:db8::1]:8080/x",
        "sftp://host",
        "urn:isbn:0451450523",
        "file:///tmp/x",
        "mailto:ops@example.com",
    ] {
        assert!(formats::is_uri(good), "{good}");
    }
    for bad_value in [
        "",
        "diag.example.com/upload",
        "/relative/path",
        "1ftp://x",
        "ftp://host/with space",
        "ftp://host/%zz",
        "ftp://host/%4",
        "ftp://host:port/",
        "http://[::1/x",
        "ftp://hôst/",
        "http://host/a#b#c",
        "http://ho st/",
    ] {
        assert!(!formats::is_uri(bad_value), "{bad_value}");
    }
}

#[test]
fn paths_are_json_pointers_and_messages_are_short() {
    // RFC 6901 escapes in an unknown property name.
    let e = bad(V201, "Heartbeat", Req, json!({"a/b~c": 1}));
    assert_eq!((e.path.as_str(), e.message.as_str()), ("/a~1b~0c", r#"unknown property "a/b~c""#));
    // A long value is cut in the message, and messages stay within the limit.
    let long = "X".repeat(5000);
    let e = bad(V16, "DataTransfer", Req, json!({"vendorId": long}));
    assert_eq!(
        e.message,
        format!(r#"vendorId: "{}…" (5000 characters) is longer than 255 characters"#, "X".repeat(40))
    );
    let key = "k".repeat(400);
    let e = bad(V16, "Heartbeat", Req, json!({ key.clone(): 1 }));
    assert_eq!(e.path, format!("/{key}"));
    assert!(e.message.chars().count() <= MAX_MESSAGE_CHARS, "{}", e.message.len());
    // A long enum list is shortened.
    let e = bad(
        V21,
        "MeterValues",
        Req,
        json!({"evseId": 1, "meterValue": [{"timestamp": T,
        "sampledValue": [{"value": 1, "measurand": "Nope"}]}]}),
    );
    assert!(e.message.contains("… (56 values)") && e.message.chars().count() <= MAX_MESSAGE_CHARS, "{}", e.message);
    // Violations show as their message.
    assert_eq!(e.to_string(), e.message);
}

#[test]
fn the_first_violation_in_document_order_wins() {
    // An unknown property before a bad one is what gets reported, and a
    // missing property only once everything present is fine.
    let e = bad(
        V16,
        "StartTransaction",
        Req,
        json!({"zzz": 1, "connectorId": "x", "idTag": "T", "meterStart": 0, "timestamp": T}),
    );
    assert_eq!(e.path, "/zzz");
    let e = bad(V16, "StartTransaction", Req, json!({"connectorId": "x", "zzz": 1}));
    assert_eq!(e.path, "/connectorId");
    let e = bad(V16, "StartTransaction", Req, json!({"connectorId": 1}));
    assert_eq!(e.path, "/idTag", "required are reported in schema order");
}

#[test]
fn text_payloads() {
    let v16 = |text: &str| validate_str(V16, "Authorize", Req, text);
    assert_eq!(v16(r#"{"idTag":"A"}"#), Ok(()));
    assert_eq!(v16(" \n\t{ \"idTag\" : \"A\" }\r\n"), Ok(()));
    // Escapes are decoded before checking: in keys, and in values, whose
    // length counts the decoded characters.
    assert_eq!(
        v16(
            r#"{"id\u0054ag":"\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"}"#
        ),
        Ok(())
    );
    let e = v16(r#"{"idTag":"A","x\/y":1}"#).unwrap_err();
    assert_eq!((e.code, e.path.as_str()), (ViolationCode::FormationViolation, "/x~1y"));
    // Not JSON, or not an object.
    for (text, message) in [
        ("", "the payload is not JSON"),
        ("<xml/>", "the payload is not JSON"),
        ("[1]", "the payload is an array, not a JSON object"),
        ("\"s\"", "the payload is a string, not a JSON object"),
        ("-1", "the payload is a number, not a JSON object"),
        ("null", "the payload is null, not a JSON object"),
        ("true", "the payload is a boolean, not a JSON object"),
    ] {
        let e = v16(text).unwrap_err();
        assert_eq!((e.code.as_str(V16), e.message.as_str()), ("FormationViolation", message), "{text:?}");
    }
    for text in [r#"{"idTag":"A""#, r#"{"idTag":"A"} x"#, r#"{"idTag":"A",}"#, r#"{"idTag":1e999}"#] {
        let e = v16(text).unwrap_err();
        assert_eq!(e.code, ViolationCode::FormationViolation, "{text}");
        assert!(e.message.starts_with("the payload is not valid JSON: "), "{}", e.message);
    }
    // A violation found before the text turns bad is reported as such.
    let e = v16(r#"{"idTag":7,"#).unwrap_err();
    assert_eq!(e.code, ViolationCode::TypeConstraintViolation);
    // A key given twice: both values are checked here, only the last in a Value.
    let twice = r#"{"idTag":"ABCDEFGHIJKLMNOPQRSTUVWXYZ","idTag":"A"}"#;
    assert_eq!(v16(twice).unwrap_err().path, "/idTag");
    assert_eq!(validate(V16, "Authorize", Req, &serde_json::from_str(twice).unwrap()), Ok(()));
    // ...but counts once towards the required ones.
    let e = validate_str(V16, "StartTransaction", Req, r#"{"idTag":"A","idTag":"B","connectorId":1,"meterStart":0}"#);
    assert_eq!(e.unwrap_err().path, "/timestamp");
}

#[test]
fn subprotocols_name_versions() {
    for v in OcppVersion::ALL {
        assert_eq!(OcppVersion::from_subprotocol(v.subprotocol()), Some(v));
    }
    assert_eq!(OcppVersion::from_subprotocol("ocpp2.0"), None);
}

/// `nice cargo test --release --no-default-features --lib schema::tests::bench -- --ignored --nocapture`
#[test]
#[ignore]
fn bench_meter_values_16() {
    use std::hint::black_box;
    use std::time::Instant;
    let payload = meter_values_16(10);
    warm_up(V16);
    let text = payload.to_string();
    const N: u32 = 1_000_000;
    let t = Instant::now();
    for _ in 0..N {
        validate(V16, black_box("MeterValues"), Req, black_box(&payload)).unwrap();
    }
    let validate_ns = t.elapsed().as_nanos() as f64 / f64::from(N);
    let t = Instant::now();
    for _ in 0..N {
        validate_str(V16, black_box("MeterValues"), Req, black_box(&text)).unwrap();
    }
    let validate_str_ns = t.elapsed().as_nanos() as f64 / f64::from(N);
    let t = Instant::now();
    for _ in 0..N {
        serde_json::from_str::<IgnoredAny>(black_box(&text)).unwrap();
    }
    let skim_ns = t.elapsed().as_nanos() as f64 / f64::from(N);
    let t = Instant::now();
    for _ in 0..N / 10 {
        let v: Value = serde_json::from_str(black_box(&text)).unwrap();
        black_box(v);
    }
    let parse_ns = t.elapsed().as_nanos() as f64 / f64::from(N / 10);
    let t = Instant::now();
    for v in OcppVersion::ALL {
        compile::compile(source(v)).unwrap();
    }
    let compile_ms = t.elapsed().as_secs_f64() * 1e3;
    println!("MeterValues.req 1.6 with 10 sampled values ({} bytes), {N} times:", text.len());
    println!("  validate(&Value):  {validate_ns:.0} ns/op");
    println!("  validate_str(&str): {validate_str_ns:.0} ns/op");
    println!("for comparison, on the same text:");
    println!("  serde_json::from_str::<IgnoredAny> (syntax check only): {skim_ns:.0} ns/op");
    println!("  serde_json::from_str::<Value>: {parse_ns:.0} ns/op");
    println!("compiling all three schema files: {compile_ms:.1} ms");
    // Smaller, commoner messages, as text.
    let status = json!({"connectorId": 1, "errorCode": "NoError", "status": "Charging", "timestamp": T}).to_string();
    let event = json!({"eventType": "Updated", "timestamp": T, "triggerReason": "MeterValuePeriodic", "seqNo": 7,
        "transactionInfo": {"transactionId": "f2a6b0c4-1", "chargingState": "Charging"},
        "meterValue": [{"timestamp": T, "sampledValue": sampled_2x(4)}]})
    .to_string();
    for (v, action, text) in [(V16, "StatusNotification", &status), (V201, "TransactionEvent", &event)] {
        warm_up(v);
        let t = Instant::now();
        for _ in 0..N {
            validate_str(v, black_box(action), Req, black_box(text)).unwrap();
        }
        let ns = t.elapsed().as_nanos() as f64 / f64::from(N);
        println!("  validate_str {v:?} {action}.req ({} bytes): {ns:.0} ns/op", text.len());
    }
}

/// Differential check against ajv (the validator ocpp-rpc uses):
/// `node tests/schema-diff-ajv.js > /tmp/cases.jsonl` (needs `npm install`), then
/// `OCPP_SCHEMA_DIFF=/tmp/cases.jsonl cargo test --release --no-default-features --lib schema::tests::against_ajv -- --ignored --nocapture`.
/// Each line is a random payload per schema, valid or with one mutation, and
/// ajv's verdict with its first error; validity, code and path must match.
#[test]
#[ignore]
fn against_ajv() {
    let Ok(file) = std::env::var("OCPP_SCHEMA_DIFF") else {
        panic!("set OCPP_SCHEMA_DIFF to a file from tests/schema-diff-ajv.js")
    };
    let text = std::fs::read_to_string(file).unwrap();
    let (mut n, mut mismatches) = (0, Vec::new());
    for line in text.lines() {
        let case: Value = serde_json::from_str(line).unwrap();
        let v = match case["v"].as_str().unwrap() {
            "V16" => V16,
            "V201" => V201,
            _ => V21,
        };
        let dir = if case["dir"] == "Response" { Res } else { Req };
        let action = case["action"].as_str().unwrap();
        let payload = case["text"].as_str().unwrap();
        let ours = validate_str(v, action, dir, payload);
        let tree = validate(v, action, dir, &serde_json::from_str(payload).unwrap());
        n += 1;
        if ours != tree {
            mismatches.push(format!("str/tree disagree: {line}"));
            continue;
        }
        let expected = match case["keyword"].as_str() {
            None => None,
            Some("type") => Some(ViolationCode::TypeConstraintViolation),
            Some("required" | "minItems" | "maxItems") => Some(ViolationCode::OccurrenceConstraintViolation),
            Some("additionalProperties") => Some(ViolationCode::FormationViolation),
            Some(_) => Some(ViolationCode::PropertyConstraintViolation),
        };
        match (&ours, expected) {
            (Ok(()), None) => {}
            (Err(e), Some(code)) if e.code == code && e.path == case["ptr"].as_str().unwrap() => {}
            _ => mismatches.push(format!("ours {ours:?} vs ajv {} {}: {line}", case["keyword"], case["ptr"])),
        }
    }
    for m in mismatches.iter().take(30) {
        println!("{m}");
    }
    println!("{n} cases, {} mismatches", mismatches.len());
    assert!(mismatches.is_empty());
}

#[test]
fn every_action_a_station_sends_has_a_schema_in_its_version() {
    for version in OcppVersion::ALL {
        for action in station_actions(version) {
            assert!(knows_action(version, action), "{version:?} has no schema for {action}");
            assert!(station_sends(version, action));
        }
    }
    assert!(!station_sends(OcppVersion::V201, "Reset"));
    assert!(station_sends(OcppVersion::V21, "BatterySwap") && !station_sends(OcppVersion::V201, "BatterySwap"));
}

/// `template.rs`: the CALL form's starting payloads.
mod templates {
    use super::super::{actions, request_template, station_sends, validate, Direction};
    use crate::version::OcppVersion;
    use serde_json::json;

    const TEMPLATE_NOW: &str = "2026-01-01T00:00:00Z";

    #[test]
    fn a_reset_offers_its_types() {
        let t = request_template(OcppVersion::V16, "Reset", TEMPLATE_NOW).unwrap();
        assert_eq!(t.payload, json!({"type": "Hard"}));
        assert_eq!(t.enums.get("/type").unwrap(), &["Hard", "Soft"]);
        assert!(t.optional.is_empty());
        let t = request_template(OcppVersion::V201, "Reset", TEMPLATE_NOW).unwrap();
        assert_eq!(t.payload, json!({"type": "Immediate"}));
        assert_eq!(t.optional, ["customData", "evseId"]);
    }

    #[test]
    fn nested_required_fields_are_filled() {
        let t = request_template(OcppVersion::V201, "RequestStartTransaction", TEMPLATE_NOW).unwrap();
        assert_eq!(t.payload["idToken"]["idToken"], json!(""));
        assert!(t.enums.contains_key("/idToken/type"), "{:?}", t.enums);
        assert_eq!(t.payload["remoteStartId"], json!(0));
    }

    #[test]
    fn unknown_actions_say_so() {
        let err = request_template(OcppVersion::V16, "Rest", TEMPLATE_NOW).unwrap_err();
        assert!(err.contains("unknown action"), "{err}");
    }

    /// Every request a Central System sends, in every version: its template
    /// passes the schema it was made from.
    #[test]
    fn every_template_is_valid() {
        for version in [OcppVersion::V16, OcppVersion::V201, OcppVersion::V21] {
            for action in actions(version).into_iter().filter(|a| !station_sends(version, a) || *a == "DataTransfer") {
                let t = request_template(version, action, TEMPLATE_NOW).unwrap();
                if let Err(v) = validate(version, action, Direction::Request, &t.payload) {
                    panic!("{version:?} {action}: {} at {}: {}", v.message, v.path, t.payload);
                }
            }
        }
    }
}
