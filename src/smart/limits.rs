//! What a station says of the profiles it takes, read from its answers to
//! the Central System's own questions: a 1.6 GetConfiguration answer
//! (`ChargeProfileMaxStackLevel`, `ChargingScheduleMaxPeriods`,
//! `ChargingScheduleAllowedChargingRateUnit`) or a 2.x GetVariables answer
//! (`SmartChargingCtrlr` `ProfileStackLevel`, `PeriodsPerSchedule`, `RateUnit`).
//! A value the station does not report, or reports in a form we cannot read,
//! leaves what was known unchanged: a rule is then not checked rather than
//! checked against a guess.

use serde_json::Value;

use super::checks::{RateUnit, StationLimits};
use crate::version::OcppVersion;

/// Whether the answer to `action` may carry limits (so the caller watches it).
pub fn may_tell(version: OcppVersion, action: &str) -> bool {
    match version {
        OcppVersion::V16 => action == "GetConfiguration",
        _ => action == "GetVariables",
    }
}

/// Updates `limits` with what the CALLRESULT `result` (raw JSON text of the
/// answer to `action`) tells; true when anything changed.
pub fn record(version: OcppVersion, action: &str, result: &str, limits: &mut StationLimits) -> bool {
    if !may_tell(version, action) {
        return false;
    }
    let Ok(answer) = serde_json::from_str::<Value>(result) else { return false };
    let before = limits.clone();
    if version == OcppVersion::V16 {
        for entry in answer.get("configurationKey").and_then(Value::as_array).into_iter().flatten() {
            let (Some(key), Some(value)) =
                (entry.get("key").and_then(Value::as_str), entry.get("value").and_then(Value::as_str))
            else {
                continue;
            };
            apply(limits, key, value);
        }
    } else {
        for entry in answer.get("getVariableResult").and_then(Value::as_array).into_iter().flatten() {
            let status = entry.get("attributeStatus").and_then(Value::as_str);
            let kind = entry.get("attributeType").and_then(Value::as_str).unwrap_or("Actual");
            let component = entry.pointer("/component/name").and_then(Value::as_str);
            let variable = entry.pointer("/variable/name").and_then(Value::as_str);
            let value = entry.get("attributeValue").and_then(Value::as_str);
            if status != Some("Accepted") || kind != "Actual" || component != Some("SmartChargingCtrlr") {
                continue;
            }
            if let (Some(variable), Some(value)) = (variable, value) {
                apply(limits, variable, value);
            }
        }
    }
    *limits != before
}

/// One key or variable, by either version's name.
fn apply(limits: &mut StationLimits, name: &str, value: &str) {
    match name {
        "ChargeProfileMaxStackLevel" | "ProfileStackLevel" => {
            if let Ok(n) = value.trim().parse() {
                limits.max_stack_level = Some(n);
            }
        }
        "ChargingScheduleMaxPeriods" | "PeriodsPerSchedule" => {
            if let Ok(n) = value.trim().parse() {
                limits.max_periods = Some(n);
            }
        }
        "ChargingScheduleAllowedChargingRateUnit" | "RateUnit" => {
            let units: Option<Vec<RateUnit>> =
                value.split(',').filter(|s| !s.trim().is_empty()).map(RateUnit::parse).collect();
            if let Some(units) = units.filter(|u| !u.is_empty()) {
                limits.rate_units = Some(units);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_1_6_configuration_keys() {
        let mut limits = StationLimits::default();
        let answer = r#"{"configurationKey":[
            {"key":"ChargeProfileMaxStackLevel","readonly":true,"value":"5"},
            {"key":"ChargingScheduleMaxPeriods","readonly":true,"value":" 24"},
            {"key":"ChargingScheduleAllowedChargingRateUnit","readonly":true,"value":"Current,Power"},
            {"key":"HeartbeatInterval","readonly":false,"value":"300"}],"unknownKey":[]}"#;
        assert!(record(OcppVersion::V16, "GetConfiguration", answer, &mut limits));
        assert_eq!(
            limits,
            StationLimits {
                max_stack_level: Some(5),
                max_periods: Some(24),
                rate_units: Some(vec![RateUnit::A, RateUnit::W])
            }
        );
        assert!(!record(OcppVersion::V16, "GetConfiguration", answer, &mut limits), "nothing new");
        let odd = r#"{"configurationKey":[{"key":"ChargingScheduleAllowedChargingRateUnit","readonly":true,"value":"Current,kW"},
            {"key":"ChargeProfileMaxStackLevel","readonly":true,"value":"many"}]}"#;
        assert!(!record(OcppVersion::V16, "GetConfiguration", odd, &mut limits), "unreadable values change nothing");
        assert!(!record(OcppVersion::V16, "GetVariables", answer, &mut limits), "not a 1.6 action");
    }

    #[test]
    fn reads_2x_smart_charging_variables() {
        let mut limits = StationLimits::default();
        let answer = r#"{"getVariableResult":[
            {"attributeStatus":"Accepted","attributeValue":"W","component":{"name":"SmartChargingCtrlr"},"variable":{"name":"RateUnit"}},
            {"attributeStatus":"Accepted","attributeValue":"3","component":{"name":"SmartChargingCtrlr"},"variable":{"name":"ProfileStackLevel"}},
            {"attributeStatus":"UnknownVariable","component":{"name":"SmartChargingCtrlr"},"variable":{"name":"PeriodsPerSchedule"}},
            {"attributeStatus":"Accepted","attributeValue":"9","component":{"name":"OtherCtrlr"},"variable":{"name":"PeriodsPerSchedule"}},
            {"attributeStatus":"Accepted","attributeType":"MaxSet","attributeValue":"9","component":{"name":"SmartChargingCtrlr"},"variable":{"name":"PeriodsPerSchedule"}}]}"#;
        for v in [OcppVersion::V201, OcppVersion::V21] {
            let mut l = limits.clone();
            assert!(record(v, "GetVariables", answer, &mut l));
            assert_eq!(
                l,
                StationLimits { max_stack_level: Some(3), max_periods: None, rate_units: Some(vec![RateUnit::W]) }
            );
        }
        assert!(!record(OcppVersion::V201, "GetVariables", "not json", &mut limits));
    }
}
