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

use crate::basic_auth;
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
    let mentions = |name: &str| frame.as_bytes().windows(name.len()).any(|w| w.eq_ignore_ascii_case(name.as_bytes()));
    if !(mentions(AUTHORIZATION_KEY) || mentions(BASIC_AUTH_PASSWORD) || frame.contains("\\u")) {
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
            if named(map.get("key"), AUTHORIZATION_KEY) && map.contains_key("value") {
                map.insert("value".into(), Value::String(REDACTED.into()));
                hid = true;
            }
            let variable = map.get("variable").and_then(|v| v.get("name"));
            if named(variable, BASIC_AUTH_PASSWORD) && map.contains_key("attributeValue") {
                map.insert("attributeValue".into(), Value::String(REDACTED.into()));
                hid = true;
            }
            map.values_mut().fold(hid, |hid, v| hide(v) | hid)
        }
        _ => false,
    }
}

/// Whether a JSON value is the string `name`, in any case: OCPP's
/// configuration keys and component and variable names are case-insensitive
/// (CiString), so a station takes `authorizationkey` as `AuthorizationKey`.
fn named(value: Option<&Value>, name: &str) -> bool {
    value.and_then(Value::as_str).is_some_and(|v| v.eq_ignore_ascii_case(name))
}

/// A password a CALL gives a station, and how to tell from the station's
/// answer that it took it.
#[derive(Debug, PartialEq, Eq)]
pub struct NewPassword {
    /// The password the station will present from now on, in the text form
    /// of `basic_auth::password_text` (binary passwords are hexadecimal there).
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
    /// An empty password: adopting it would let any client in under the id.
    Empty,
}

impl std::fmt::Display for SecretsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Empty => f.write_str(
                "the new password is empty, which would let anyone connect under this id, so the CS server keeps \
                 the old one; give the station a password (the 1.6 security whitepaper asks for 16 to 20 random bytes)",
            ),
        }
    }
}

/// The password a CALL from the Central System gives a station, if it gives one.
pub fn new_password(version: OcppVersion, action: &str, payload: &str) -> Option<Result<NewPassword, SecretsError>> {
    match (version, action) {
        (OcppVersion::V16, "ChangeConfiguration") => {
            let value: Value = serde_json::from_str(payload).ok()?;
            if !named(value.get("key"), AUTHORIZATION_KEY) {
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
            if password.is_empty() {
                return Some(Err(SecretsError::Empty));
            }
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
    let component = entry.get("component").and_then(|c| c.get("name"));
    let variable = entry.get("variable").and_then(|v| v.get("name"));
    let attribute = entry.get("attributeType").and_then(Value::as_str).unwrap_or("Actual");
    named(component, "SecurityCtrlr") && named(variable, BASIC_AUTH_PASSWORD) && attribute == "Actual"
}

/// The 1.6 whitepaper's AuthorizationKey is the password's bytes (random
/// binary) in hexadecimal; a value that is not hexadecimal is taken as the
/// password itself, as stations that predate the whitepaper do.
fn from_authorization_key(given: &str) -> Result<String, SecretsError> {
    if given.is_empty() {
        return Err(SecretsError::Empty);
    }
    let hex = given.len().is_multiple_of(2) && given.bytes().all(|b| b.is_ascii_hexdigit());
    if !hex {
        return Ok(given.to_owned());
    }
    let bytes: Vec<u8> = (0..given.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&given[i..i + 2], 16).expect("checked hexadecimal"))
        .collect();
    Ok(basic_auth::password_text(&bytes))
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
        for frame in [
            r#"[2,"1","ChangeConfiguration",{"key":"authorizationkey","value":"LOWER-SECRET"}]"#,
            r#"[3,"1",{"configurationKey":[{"key":"AUTHORIZATIONKEY","readonly":false,"value":"LOWER-SECRET"}]}]"#,
            r#"[2,"1","SetVariables",{"setVariableData":[{"attributeValue":"LOWER-SECRET","component":{"name":"securityctrlr"},"variable":{"name":"basicauthpassword"}}]}]"#,
        ] {
            assert!(!redact(frame).contains("LOWER-SECRET"), "{frame}");
        }
    }

    #[test]
    fn a_new_password_is_read_from_16_hex_and_2x_variables() {
        let cc = |v: &str| format!(r#"{{"key":"AuthorizationKey","value":"{v}"}}"#);
        let got = new_password(OcppVersion::V16, "ChangeConfiguration", &cc("6e65772d7061737377307264"));
        assert_eq!(got.unwrap().unwrap().password, "new-passw0rd");
        let plain = new_password(OcppVersion::V16, "ChangeConfiguration", &cc("not hex: plain")).unwrap().unwrap();
        assert_eq!(plain.password, "not hex: plain");
        // Random binary, as the whitepaper asks: adopted in its text form.
        let binary = new_password(OcppVersion::V16, "ChangeConfiguration", &cc("ff00419c")).unwrap().unwrap();
        assert_eq!(&*basic_auth::password_bytes(&binary.password), &[0xff, 0x00, 0x41, 0x9c]);
        assert_eq!(new_password(OcppVersion::V16, "ChangeConfiguration", &cc("")), Some(Err(SecretsError::Empty)));
        // Configuration keys are case-insensitive.
        let lower = r#"{"key":"authorizationkey","value":"6e6577"}"#;
        assert_eq!(new_password(OcppVersion::V16, "ChangeConfiguration", lower).unwrap().unwrap().password, "new");
        assert_eq!(
            new_password(OcppVersion::V16, "ChangeConfiguration", r#"{"key":"HeartbeatInterval","value":"6"}"#),
            None
        );
        assert_eq!(new_password(OcppVersion::V16, "Reset", "{}"), None);
        let sv = r#"{"setVariableData":[{"attributeValue":"60","component":{"name":"OCPPCommCtrlr"},"variable":{"name":"HeartbeatInterval"}},
            {"attributeValue":"a-new-password-16","component":{"name":"SecurityCtrlr"},"variable":{"name":"BasicAuthPassword"}}]}"#;
        let two = new_password(OcppVersion::V201, "SetVariables", sv).unwrap().unwrap();
        assert_eq!(two.password, "a-new-password-16");
        let lower = r#"{"setVariableData":[{"attributeValue":"pw-lower","component":{"name":"securityctrlr"},"variable":{"name":"basicauthpassword"}}]}"#;
        assert_eq!(new_password(OcppVersion::V201, "SetVariables", lower).unwrap().unwrap().password, "pw-lower");
        let empty = r#"{"setVariableData":[{"attributeValue":"","component":{"name":"SecurityCtrlr"},"variable":{"name":"BasicAuthPassword"}}]}"#;
        assert_eq!(new_password(OcppVersion::V201, "SetVariables", empty), Some(Err(SecretsError::Empty)));
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
