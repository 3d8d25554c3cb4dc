//! XML <-> JSON for OCPP SOAP messages, guided by the generated tables.
//!
//! The JSON is the shape OCPP-J uses for the same action: numbers are
//! numbers, booleans booleans, repeated elements always arrays, dateTime the
//! ISO string. A flow written for JSON stations serves SOAP stations as is.

use serde_json::{Map, Number, Value};

use super::operation::{Field, Place, Ty};
use super::xml::{push_escaped, Element};
use super::SoapError;
use crate::json::kind_of as kind;

/// Reads an element's children (and attributes, text) into a JSON object.
pub fn decode(element: &Element, fields: &[Field], path: &str) -> Result<Map<String, Value>, SoapError> {
    let mut out = Map::new();
    for child in &element.children {
        let field = fields
            .iter()
            .find(|f| f.place == Place::Element && f.name == child.name)
            .ok_or_else(|| invalid(format!("unexpected element <{}> in {path}", child.name)))?;
        let here = format!("{path}.{}", field.name);
        let value = match &field.ty {
            Ty::Complex(sub) => Value::Object(decode(child, sub, &here)?),
            ty => scalar_from_text(child.value(), ty, &here)?,
        };
        if field.many {
            match out.entry(field.name).or_insert_with(|| Value::Array(Vec::new())) {
                Value::Array(items) => items.push(value),
                _ => unreachable!("repeated fields are arrays"),
            }
        } else if out.insert(field.name.to_owned(), value).is_some() {
            return Err(invalid(format!("<{}> appears more than once in {path}", field.name)));
        }
    }
    for field in fields {
        match field.place {
            Place::Attribute => {
                if let Some(v) = element.attr(field.name) {
                    out.insert(field.name.to_owned(), scalar_from_text(v.trim(), &field.ty, path)?);
                }
            }
            Place::Text => {
                out.insert(field.name.to_owned(), scalar_from_text(element.value(), &field.ty, path)?);
            }
            Place::Element => {}
        }
        if field.min > 0 && !out.contains_key(field.name) {
            return Err(invalid(format!("{path} lacks the required {}", field.name)));
        }
    }
    Ok(out)
}

fn scalar_from_text(text: &str, ty: &Ty, path: &str) -> Result<Value, SoapError> {
    let bad = |what: &str| invalid(format!("{path} is not {what}: {text:?}"));
    Ok(match ty {
        Ty::Str(max) => {
            check_length(text, *max, path)?;
            Value::String(text.to_owned())
        }
        Ty::Int => Value::Number(text.parse::<i64>().map_err(|_| bad("an integer"))?.into()),
        Ty::Decimal => {
            let n: f64 = text.parse().map_err(|_| bad("a decimal number"))?;
            if text.contains(['.', 'e', 'E']) {
                Value::Number(Number::from_f64(n).ok_or_else(|| bad("a finite number"))?)
            } else {
                Value::Number(
                    text.parse::<i64>()
                        .map(Number::from)
                        .or_else(|_| Number::from_f64(n).ok_or(()))
                        .map_err(|_| bad("a number"))?,
                )
            }
        }
        Ty::Bool => Value::Bool(match text {
            "true" | "1" => true,
            "false" | "0" => false,
            _ => return Err(bad("a boolean")),
        }),
        Ty::DateTime => {
            check_date_time(text, path)?;
            Value::String(text.to_owned())
        }
        Ty::Enum(values) => {
            if !values.contains(&text) {
                return Err(invalid(format!("{path} is {text:?}, not one of {}", values.join(", "))));
            }
            Value::String(text.to_owned())
        }
        Ty::Complex(_) => unreachable!("complex types are elements"),
    })
}

/// What [`fit`] changed in a flow's answer to make it fit the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fitted {
    /// Fields the schema does not have, left out.
    Dropped { path: String, names: Vec<String> },
    /// A field or enum value spelled as the other OCPP version spells it.
    Renamed { path: String, from: String, to: String },
}

impl std::fmt::Display for Fitted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Dropped { path, names } => {
                write!(f, "left out {} of {path}, which the WSDL does not have", names.join(", "))
            }
            Self::Renamed { path, from, to } => write!(f, "sent {path} {from:?} as {to:?}, its name in this version"),
        }
    }
}

/// Field names OCPP 1.5 and 1.6 spell differently, per operation: flows written
/// for the original often answer one version with the other's words (it sent
/// whatever it was given).
const FIELD_RENAMES: &[(&str, &str, &str)] =
    &[("BootNotification", "heartbeatInterval", "interval"), ("BootNotification", "interval", "heartbeatInterval")];

/// Enum values the two versions spell differently, per operation.
const VALUE_RENAMES: &[(&str, &str, &str)] = &[
    ("UnlockConnector", "Accepted", "Unlocked"),
    ("UnlockConnector", "Rejected", "UnlockFailed"),
    ("UnlockConnector", "Unlocked", "Accepted"),
    ("UnlockConnector", "UnlockFailed", "Rejected"),
];

/// Outside strict mode, makes a flow's answer to `operation` fit its schema
/// where the intent is clear: the other version's name for a field or an
/// enum value becomes this version's, and fields the schema does not have
/// are dropped. What is left wrong (a missing required field, a wrong type)
/// is for [`encode`] to refuse.
pub fn fit(value: &mut Value, operation: &str, fields: &[Field], path: &str, notes: &mut Vec<Fitted>) {
    let Some(object) = value.as_object_mut() else { return };
    for &(_, from, to) in FIELD_RENAMES.iter().filter(|(op, ..)| *op == operation) {
        let known = |name: &str| fields.iter().any(|f| f.name == name);
        if !known(from) && known(to) && !object.contains_key(to) {
            if let Some(v) = object.remove(from) {
                object.insert(to.to_owned(), v);
                notes.push(Fitted::Renamed { path: path.to_owned(), from: from.to_owned(), to: to.to_owned() });
            }
        }
    }
    let unknown: Vec<String> =
        object.keys().filter(|k| !fields.iter().any(|f| f.name == k.as_str())).cloned().collect();
    for name in &unknown {
        object.remove(name);
    }
    if !unknown.is_empty() {
        notes.push(Fitted::Dropped { path: path.to_owned(), names: unknown });
    }
    for field in fields {
        let here = format!("{path}.{}", field.name);
        match (object.get_mut(field.name), &field.ty) {
            (Some(Value::Array(items)), Ty::Complex(sub)) => {
                for (i, item) in items.iter_mut().enumerate() {
                    fit(item, operation, sub, &format!("{here}[{i}]"), notes);
                }
            }
            (Some(item), Ty::Complex(sub)) => fit(item, operation, sub, &here, notes),
            (Some(Value::String(text)), Ty::Enum(values)) if !values.contains(&text.as_str()) => {
                let renamed =
                    VALUE_RENAMES.iter().find(|(op, from, to)| *op == operation && from == text && values.contains(to));
                if let Some(&(_, from, to)) = renamed {
                    notes.push(Fitted::Renamed { path: here, from: from.to_owned(), to: to.to_owned() });
                    *text = to.to_owned();
                }
            }
            _ => {}
        }
    }
}

/// Writes a JSON object as the children of an element, in schema order,
/// each child prefixed with `prefix` (the OCPP namespace's prefix).
pub fn encode(out: &mut String, prefix: &str, value: &Value, fields: &[Field], path: &str) -> Result<(), SoapError> {
    let object = value.as_object().ok_or_else(|| invalid(format!("{path} must be an object, got {}", kind(value))))?;
    if let Some(unknown) = object.keys().find(|k| !fields.iter().any(|f| f.name == k.as_str())) {
        let names: Vec<&str> = fields.iter().map(|f| f.name).collect();
        return Err(invalid(format!("{path} has an unknown field {unknown:?}; the schema has {}", names.join(", "))));
    }
    for field in fields.iter().filter(|f| f.place == Place::Element) {
        let here = format!("{path}.{}", field.name);
        match object.get(field.name) {
            None | Some(Value::Null) => {
                if field.min > 0 {
                    return Err(invalid(format!("{path} lacks the required {}", field.name)));
                }
            }
            Some(Value::Array(items)) if field.many => {
                if (items.len() as u32) < field.min {
                    return Err(invalid(format!("{here} needs at least {} item(s)", field.min)));
                }
                for (i, item) in items.iter().enumerate() {
                    write_element(out, prefix, field, item, &format!("{here}[{i}]"))?;
                }
            }
            Some(other) if field.many => {
                return Err(invalid(format!("{here} must be an array, got {}", kind(other))));
            }
            Some(item) => write_element(out, prefix, field, item, &here)?,
        }
    }
    Ok(())
}

fn write_element(out: &mut String, prefix: &str, field: &Field, value: &Value, path: &str) -> Result<(), SoapError> {
    out.push('<');
    out.push_str(prefix);
    out.push_str(field.name);
    match &field.ty {
        Ty::Complex(sub) => {
            // 1.5's meter value: attributes on the tag, the value as its text.
            for attr in sub.iter().filter(|f| f.place == Place::Attribute) {
                if let Some(v) = value.get(attr.name).filter(|v| !v.is_null()) {
                    out.push(' ');
                    out.push_str(attr.name);
                    out.push_str("=\"");
                    push_escaped(out, &scalar_to_text(v, &attr.ty, &format!("{path}.{}", attr.name))?);
                    out.push('"');
                }
            }
            out.push('>');
            if let Some(text) = sub.iter().find(|f| f.place == Place::Text) {
                let v =
                    value.get(text.name).ok_or_else(|| invalid(format!("{path} lacks the required {}", text.name)))?;
                push_escaped(out, &scalar_to_text(v, &text.ty, &format!("{path}.{}", text.name))?);
            }
            encode(out, prefix, value, sub, path)?;
        }
        ty => {
            out.push('>');
            push_escaped(out, &scalar_to_text(value, ty, path)?);
        }
    }
    out.push_str("</");
    out.push_str(prefix);
    out.push_str(field.name);
    out.push('>');
    Ok(())
}

fn scalar_to_text(value: &Value, ty: &Ty, path: &str) -> Result<String, SoapError> {
    let bad = |what: &str| invalid(format!("{path} must be {what}, got {}", kind(value)));
    Ok(match ty {
        Ty::Str(max) => {
            let s = value.as_str().ok_or_else(|| bad("a string"))?;
            check_length(s, *max, path)?;
            s.to_owned()
        }
        Ty::Int => match value.as_i64() {
            Some(n) => n.to_string(),
            None => return Err(bad("an integer")),
        },
        Ty::Decimal => match value {
            Value::Number(n) => n.to_string(),
            _ => return Err(bad("a number")),
        },
        Ty::Bool => value.as_bool().ok_or_else(|| bad("true or false"))?.to_string(),
        Ty::DateTime => {
            let s = value.as_str().ok_or_else(|| bad("an ISO 8601 date-time string"))?;
            check_date_time(s, path)?;
            s.to_owned()
        }
        Ty::Enum(values) => {
            let s = value.as_str().ok_or_else(|| bad("a string"))?;
            if !values.contains(&s) {
                return Err(invalid(format!("{path} is {s:?}, not one of {}", values.join(", "))));
            }
            s.to_owned()
        }
        Ty::Complex(_) => unreachable!("complex types are elements"),
    })
}

fn check_length(s: &str, max: Option<u32>, path: &str) -> Result<(), SoapError> {
    match max {
        Some(max) if s.chars().count() > max as usize => {
            Err(invalid(format!("{path} is longer than {max} characters")))
        }
        _ => Ok(()),
    }
}

/// `YYYY-MM-DDThh:mm:ss` with optional fraction and zone: what xs:dateTime allows.
fn check_date_time(s: &str, path: &str) -> Result<(), SoapError> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let ok = b.len() >= 19
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19);
    if ok {
        Ok(())
    } else {
        Err(invalid(format!("{path} is not an ISO 8601 date-time (YYYY-MM-DDThh:mm:ssZ): {s:?}")))
    }
}

fn invalid(message: String) -> SoapError {
    SoapError::Invalid(message)
}

#[cfg(test)]
mod tests {
    use super::super::{tables, xml};
    use super::*;

    #[test]
    fn answers_in_the_other_version_s_words_are_fitted_and_unknown_fields_dropped() {
        let boot16 = tables::CS16.operation("BootNotification").unwrap();
        let mut answer = serde_json::json!({
            "status": "Accepted", "currentTime": "2026-01-01T00:00:00Z", "heartbeatInterval": 300, "note": "x"
        });
        let mut notes = Vec::new();
        fit(&mut answer, "BootNotification", boot16.response_fields, "bootNotificationResponse", &mut notes);
        assert_eq!(
            answer,
            serde_json::json!({"status": "Accepted", "currentTime": "2026-01-01T00:00:00Z", "interval": 300})
        );
        assert_eq!(
            notes.iter().map(ToString::to_string).collect::<Vec<_>>(),
            [
                "sent bootNotificationResponse \"heartbeatInterval\" as \"interval\", its name in this version",
                "left out note of bootNotificationResponse, which the WSDL does not have",
            ]
        );
        let boot15 = tables::CS15.operation("BootNotification").unwrap();
        let mut answer =
            serde_json::json!({"status": "Accepted", "currentTime": "2026-01-01T00:00:00Z", "interval": 60});
        fit(&mut answer, "BootNotification", boot15.response_fields, "r", &mut Vec::new());
        assert_eq!(answer["heartbeatInterval"], 60);

        let unlock16 = tables::CP16.operation("UnlockConnector").unwrap();
        let mut answer = serde_json::json!({"status": "Accepted"});
        fit(&mut answer, "UnlockConnector", unlock16.response_fields, "r", &mut Vec::new());
        assert_eq!(answer["status"], "Unlocked");
        let unlock15 = tables::CP15.operation("UnlockConnector").unwrap();
        let mut answer = serde_json::json!({"status": "UnlockFailed"});
        fit(&mut answer, "UnlockConnector", unlock15.response_fields, "r", &mut Vec::new());
        assert_eq!(answer["status"], "Rejected");
        // Elsewhere, no guessing: a wrong value stays wrong for encode to refuse.
        let mut answer =
            serde_json::json!({"status": "Unlocked", "currentTime": "2026-01-01T00:00:00Z", "interval": 1});
        fit(&mut answer, "BootNotification", boot16.response_fields, "r", &mut Vec::new());
        assert_eq!(answer["status"], "Unlocked");
    }
    use serde_json::json;

    fn roundtrip(fields: &[Field], value: Value) -> Value {
        let mut body = String::from(r#"<x xmlns:t="urn:t">"#);
        encode(&mut body, "t:", &value, fields, "x").unwrap();
        body.push_str("</x>");
        Value::Object(decode(&xml::parse(&body).unwrap(), fields, "x").unwrap())
    }

    #[test]
    fn meter_values_keep_the_ocpp_j_shape_in_both_versions() {
        let v16 = json!({"connectorId": 1, "transactionId": 7, "meterValue": [{"timestamp": "2026-01-01T00:00:00Z",
            "sampledValue": [{"value": "12.5", "measurand": "Energy.Active.Import.Register", "unit": "Wh"}]}]});
        let op = tables::CS16.operation("MeterValues").unwrap();
        assert_eq!(roundtrip(op.request_fields, v16.clone()), v16);
        let v15 = json!({"connectorId": 1, "values": [{"timestamp": "2026-01-01T00:00:00Z",
            "value": [{"value": "12.5", "unit": "Wh"}, {"value": "3", "measurand": "Current.Import", "unit": "Amp"}]}]});
        let op = tables::CS15.operation("MeterValues").unwrap();
        assert_eq!(roundtrip(op.request_fields, v15.clone()), v15);
    }

    #[test]
    fn every_operation_round_trips_a_minimal_message() {
        // Builds the smallest valid JSON for each message from the tables.
        fn sample(fields: &[Field]) -> Value {
            let mut m = Map::new();
            for f in fields.iter().filter(|f| f.min > 0 || f.place == Place::Text) {
                let v = match &f.ty {
                    Ty::Str(_) => json!("x"),
                    Ty::Int => json!(1),
                    Ty::Decimal => json!(1.5),
                    Ty::Bool => json!(true),
                    Ty::DateTime => json!("2026-01-01T00:00:00Z"),
                    Ty::Enum(values) => json!(values[0]),
                    Ty::Complex(sub) => sample(sub),
                };
                m.insert(f.name.to_owned(), if f.many { json!([v]) } else { v });
            }
            Value::Object(m)
        }
        for table in [&tables::CS15, &tables::CS16, &tables::CP15, &tables::CP16] {
            for op in table.operations {
                for fields in [op.request_fields, op.response_fields] {
                    let v = sample(fields);
                    assert_eq!(roundtrip(fields, v.clone()), v, "{} {}", table.namespace, op.name);
                }
            }
        }
    }

    #[test]
    fn wrong_values_are_refused_with_the_path() {
        let op = tables::CS16.operation("BootNotification").unwrap();
        let mut out = String::new();
        let e = encode(
            &mut out,
            "t:",
            &json!({"status": "Maybe", "currentTime": "2026-01-01T00:00:00Z", "interval": 1}),
            op.response_fields,
            "bootNotificationResponse",
        );
        assert!(e
            .unwrap_err()
            .to_string()
            .contains("bootNotificationResponse.status is \"Maybe\", not one of Accepted"));
        let e = encode(
            &mut out,
            "t:",
            &json!({"status": "Accepted", "currentTime": "now", "interval": 1}),
            op.response_fields,
            "r",
        );
        assert!(e.unwrap_err().to_string().contains("not an ISO 8601"));
        let e = encode(
            &mut out,
            "t:",
            &json!({"status": "Accepted", "currentTime": "2026-01-01T00:00:00Z", "interval": "60"}),
            op.response_fields,
            "r",
        );
        assert!(e.unwrap_err().to_string().contains("r.interval must be an integer"));
        let e = encode(
            &mut out,
            "t:",
            &json!({"status": "Accepted", "currentTime": "2026-01-01T00:00:00Z"}),
            op.response_fields,
            "r",
        );
        assert!(e.unwrap_err().to_string().contains("lacks the required interval"));
        let e = encode(
            &mut out,
            "t:",
            &json!({"status": "Accepted", "currentTime": "2026-01-01T00:00:00Z", "interval": 1, "x": 1}),
            op.response_fields,
            "r",
        );
        assert!(e.unwrap_err().to_string().contains("unknown field \"x\""));
        let long = "v".repeat(21);
        let e = encode(
            &mut out,
            "t:",
            &json!({"chargePointVendor": long, "chargePointModel": "m"}),
            op.request_fields,
            "q",
        );
        assert!(e.unwrap_err().to_string().contains("longer than 20"));
    }
}
