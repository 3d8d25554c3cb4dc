//! Station passwords inside OCPP frames: hidden wherever frames are shown or
//! logged (the editor's sidebar, the `CS server`'s second output, its log
//! file), and read from a CALL that gives a station a new Basic-auth password,
//! so the Central System can adopt it once the station accepts (`rotation.rs`).
//!
//! A Central System gives a station a new password with
//! - OCPP 1.6 (security whitepaper): `ChangeConfiguration {key: "AuthorizationKey", value}`,
//!   the value being the password's bytes written in hexadecimal;
//! - OCPP 2.0.1 / 2.1 (use case A01): `SetVariables` with
//!   `{component: {name: "SecurityCtrlr"}, variable: {name: "BasicAuthPassword"}, attributeValue}`,
//!   the password as it is.
//!
//! Pure functions, no I/O.

use std::borrow::Cow;

use serde_json::Value;

use crate::version::OcppVersion;

/// What a hidden value is replaced by.
pub const REDACTED: &str = "<redacted>";

/// The 1.6 configuration key that holds the Basic-auth password.
const AUTHORIZATION_KEY: &str = "AuthorizationKey";
/// The 2.x variable (of `SecurityCtrlr`) that holds it.
const BASIC_AUTH_PASSWORD: &str = "BasicAuthPassword";

/// The frame with every station password replaced by [`REDACTED`]: the
/// `value` of an `AuthorizationKey` key (ChangeConfiguration, or a station that
/// wrongly reports it in GetConfiguration) and the `attributeValue` of a
/// `BasicAuthPassword` variable. Frames that cannot hold one (no such name, no
/// `\u` escape that could spell it) are returned as they are, without parsing.
pub fn redact(frame: &str) -> Cow<'_, str> {
    if !(frame.contains(AUTHORIZATION_KEY) || frame.contains(BASIC_AUTH_PASSWORD) || frame.contains("\\u")) {
        return Cow::Borrowed(frame);
    }
    let Ok(mut value) = serde_json::from_str::<Value>(frame) else {
        return Cow::Borrowed(frame);
    };
    if hide(&mut value) {
        Cow::Owned(value.to_string())
    } else {
        Cow::Borrowed(frame)
    }
}

/// Hides the passwords in a JSON tree; true when it hid one.
fn hide(value: &mut Value) -> bool {
    match value {
        Value::Array(items) => items.iter_mut().fold(false, |hid, v| hide(v) | hid),
        Value::Object(map) => {
            let mut hid = false;
            if map.get("key").and_then(Value::as_str) == Some(AUTHORIZATION_KEY) && map.contains_key("value") {
                map.insert("value".into(), Value::String(REDACTED.into()));
                hid = true;
            }
            let variable = map.get("variable").and_then(|v| v.get("name")).and_then(Value::as_str);
            if variable == Some(BASIC_AUTH_PASSWORD) && map.contains_key("attributeValue") {
                map.insert("attributeValue".into(), Value::String(REDACTED.into()));
                hid = true;
            }
            map.values_mut().fold(hid, |hid, v| hide(v) | hid)
        }
        _ => false,
    }
}

/// A password a CALL gives a station, and how to tell from the station's
/// answer that it took it.
#[derive(Debug, PartialEq, Eq)]
pub struct NewPassword {
    /// The password the station will present from now on.
    pub password: String,
    /// How the CALL carried it, for the log ("ChangeConfiguration AuthorizationKey").
    pub carrier: &'static str,
    /// Which answer accepts it: for SetVariables, the index of its entry.
    accepted_by: Answer,
}

#[derive(Debug, PartialEq, Eq)]
enum Answer {
    /// `{status: "Accepted"}` (ChangeConfiguration).
    Status,
    /// `setVariableResult[i]` naming the variable with `attributeStatus: "Accepted"`.
    VariableResult,
}

/// Why a password a station was given cannot be adopted.
#[derive(Debug, PartialEq, Eq)]
pub enum SecretsError {
    /// The 1.6 hexadecimal value decodes to bytes that are not text: Basic
    /// auth as this server reads it carries text passwords only.
    NotText,
}

impl std::fmt::Display for SecretsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotText => f.write_str(
                "the AuthorizationKey decodes to bytes that are not UTF-8 text, which this CS server cannot check; \
                 give the station a password of printable characters, hex-encoded",
            ),
        }
    }
}

/// The password a CALL from the Central System gives a station, if it gives one.
pub fn new_password(version: OcppVersion, action: &str, payload: &str) -> Option<Result<NewPassword, SecretsError>> {
    match (version, action) {
        (OcppVersion::V16, "ChangeConfiguration") => {
            let value: Value = serde_json::from_str(payload).ok()?;
            if value.get("key")?.as_str()? != AUTHORIZATION_KEY {
                return None;
            }
            let given = value.get("value")?.as_str()?;
            Some(from_authorization_key(given).map(|password| NewPassword {
                password,
                carrier: "ChangeConfiguration AuthorizationKey",
                accepted_by: Answer::Status,
            }))
        }
        (OcppVersion::V201 | OcppVersion::V21, "SetVariables") => {
            let value: Value = serde_json::from_str(payload).ok()?;
            let data = value.get("setVariableData")?.as_array()?;
            let entry = data.iter().rev().find(|e| is_basic_auth_password(e))?;
            let password = entry.get("attributeValue")?.as_str()?.to_owned();
            Some(Ok(NewPassword {
                password,
                carrier: "SetVariables SecurityCtrlr.BasicAuthPassword",
                accepted_by: Answer::VariableResult,
            }))
        }
        _ => None,
    }
}

/// A SetVariables entry (data or result) for SecurityCtrlr's BasicAuthPassword
/// (its Actual attribute, the one that is used, when one is named).
fn is_basic_auth_password(entry: &Value) -> bool {
    let component = entry.get("component").and_then(|c| c.get("name")).and_then(Value::as_str);
    let variable = entry.get("variable").and_then(|v| v.get("name")).and_then(Value::as_str);
    let attribute = entry.get("attributeType").and_then(Value::as_str).unwrap_or("Actual");
    component == Some("SecurityCtrlr") && variable == Some(BASIC_AUTH_PASSWORD) && attribute == "Actual"
}

/// The 1.6 whitepaper's AuthorizationKey is the password's bytes in
/// hexadecimal; a value that is not hexadecimal is taken as the password
/// itself, as stations that predate the whitepaper do.
fn from_authorization_key(given: &str) -> Result<String, SecretsError> {
    let hex = given.len().is_multiple_of(2) && !given.is_empty() && given.bytes().all(|b| b.is_ascii_hexdigit());
    if !hex {
        return Ok(given.to_owned());
    }
    let bytes: Vec<u8> = (0..given.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&given[i..i + 2], 16).expect("checked hexadecimal"))
        .collect();
    String::from_utf8(bytes).map_err(|_| SecretsError::NotText)
}

impl NewPassword {
    /// Whether the station's CALLRESULT payload accepts the password.
    pub fn accepted(&self, result: &str) -> bool {
        let Ok(value) = serde_json::from_str::<Value>(result) else {
            return false;
        };
        match self.accepted_by {
            Answer::Status => value.get("status").and_then(Value::as_str) == Some("Accepted"),
            Answer::VariableResult => {
                value
                    .get("setVariableResult")
                    .and_then(Value::as_array)
                    .and_then(|results| results.iter().find(|r| is_basic_auth_password(r)))
                    .and_then(|r| r.get("attributeStatus"))
                    .and_then(Value::as_str)
                    == Some("Accepted")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden_and_other_frames_left_alone() {
        let plain = r#"[2,"1","Heartbeat",{}]"#;
        assert!(matches!(redact(plain), Cow::Borrowed(_)));
        let cc = r#"[2,"1","ChangeConfiguration",{"key":"AuthorizationKey","value":"6e657770617373"}]"#;
        assert_eq!(redact(cc), r#"[2,"1","ChangeConfiguration",{"key":"AuthorizationKey","value":"<redacted>"}]"#);
        let other = r#"[2,"1","ChangeConfiguration",{"key":"HeartbeatInterval","value":"60"}]"#;
        assert_eq!(redact(other), other);
        let escaped = r#"[2,"1","ChangeConfiguration",{"key":"Authorization\u004bey","value":"s3cret"}]"#;
        assert!(!redact(escaped).contains("s3cret"));
        let got = r#"[3,"1",{"configurationKey":[{"key":"AuthorizationKey","readonly":false,"value":"s3cret"}]}]"#;
        assert!(!redact(got).contains("s3cret"));
        let sv = r#"[2,"1","SetVariables",{"setVariableData":[{"attributeValue":"s3cret-pass-16ch",
            "component":{"name":"SecurityCtrlr"},"variable":{"name":"BasicAuthPassword"}}]}]"#;
        let hidden = redact(sv);
        assert!(!hidden.contains("s3cret") && hidden.contains(REDACTED), "{hidden}");
    }

    #[test]
    fn a_new_password_is_read_from_16_hex_and_2x_variables() {
        let cc = |v: &str| format!(r#"{{"key":"AuthorizationKey","value":"{v}"}}"#);
        let got = new_password(OcppVersion::V16, "ChangeConfiguration", &cc("6e65772d7061737377307264"));
        assert_eq!(got.unwrap().unwrap().password, "new-passw0rd");
        let plain = new_password(OcppVersion::V16, "ChangeConfiguration", &cc("not hex: plain")).unwrap().unwrap();
        assert_eq!(plain.password, "not hex: plain");
        assert_eq!(
            new_password(OcppVersion::V16, "ChangeConfiguration", &cc("ff00")),
            Some(Err(SecretsError::NotText))
        );
        assert_eq!(
            new_password(OcppVersion::V16, "ChangeConfiguration", r#"{"key":"HeartbeatInterval","value":"6"}"#),
            None
        );
        assert_eq!(new_password(OcppVersion::V16, "Reset", "{}"), None);
        let sv = r#"{"setVariableData":[{"attributeValue":"60","component":{"name":"OCPPCommCtrlr"},"variable":{"name":"HeartbeatInterval"}},
            {"attributeValue":"a-new-password-16","component":{"name":"SecurityCtrlr"},"variable":{"name":"BasicAuthPassword"}}]}"#;
        let two = new_password(OcppVersion::V201, "SetVariables", sv).unwrap().unwrap();
        assert_eq!(two.password, "a-new-password-16");
        assert_eq!(new_password(OcppVersion::V16, "SetVariables", sv), None, "not a 1.6 action");
    }

    #[test]
    fn only_an_accepted_answer_adopts_it() {
        let cc = new_password(OcppVersion::V16, "ChangeConfiguration", r#"{"key":"AuthorizationKey","value":"x"}"#);
        let cc = cc.unwrap().unwrap();
        assert!(cc.accepted(r#"{"status":"Accepted"}"#));
        assert!(!cc.accepted(r#"{"status":"Rejected"}"#));
        assert!(!cc.accepted(r#"{"status":"RebootRequired"}"#));
        let sv = r#"{"setVariableData":[{"attributeValue":"p","component":{"name":"SecurityCtrlr"},"variable":{"name":"BasicAuthPassword"}}]}"#;
        let sv = new_password(OcppVersion::V21, "SetVariables", sv).unwrap().unwrap();
        let result = |status: &str| {
            format!(
                r#"{{"setVariableResult":[{{"attributeStatus":"Accepted","component":{{"name":"OCPPCommCtrlr"}},"variable":{{"name":"HeartbeatInterval"}}}},
                {{"attributeStatus":"{status}","component":{{"name":"SecurityCtrlr"}},"variable":{{"name":"BasicAuthPassword"}}}}]}}"#
            )
        };
        assert!(sv.accepted(&result("Accepted")));
        assert!(!sv.accepted(&result("Rejected")));
        assert!(!sv.accepted("{}"));
    }
}
