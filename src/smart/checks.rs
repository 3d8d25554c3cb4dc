//! The rules a station applies to a SetChargingProfile, checked before the
//! CALL leaves the engine, so a profile the station would reject is refused
//! at once with the rule and the field to fix (docs/SMART-CHARGING.md,
//! "Checks before a profile leaves").
//!
//! Rule numbers are OCPP 2.0.1 Part 2's (use case K01) where one exists; they
//! state for 2.x what OCPP 1.6's Smart Charging chapter says in prose, so a
//! 1.6 station is held to the same rules. Where Part 2 has no number, the
//! message names the configuration key or variable, or the 1.6 section.
//!
//! Only what is clearly wrong is refused: a field that is absent or of the
//! wrong type is left to the schema check (strict mode) or to the station.

use serde_json::Value;

use super::error::ProfileError;
use crate::time;
use crate::version::OcppVersion;

/// A `chargingRateUnit`: amperes (per phase) or watts (all phases together).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RateUnit {
    A,
    W,
}

impl RateUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::A => "A",
            Self::W => "W",
        }
    }

    /// Reads a unit as OCPP writes it: `A`/`W` in profiles and 2.x's
    /// `SmartChargingCtrlr.RateUnit`, `Current`/`Power` in 1.6's
    /// `ChargingScheduleAllowedChargingRateUnit`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "A" | "Current" | "current" | "a" => Some(Self::A),
            "W" | "Power" | "power" | "w" => Some(Self::W),
            _ => None,
        }
    }
}

/// What a station told of the profiles it takes; `None` until read (1.6
/// GetConfiguration, 2.x GetVariables of `SmartChargingCtrlr`), and then a
/// rule that needs it is not checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StationLimits {
    /// 1.6 `ChargeProfileMaxStackLevel`, 2.x `SmartChargingCtrlr.ProfileStackLevel`.
    pub max_stack_level: Option<u32>,
    /// 1.6 `ChargingScheduleMaxPeriods`, 2.x `SmartChargingCtrlr.PeriodsPerSchedule`.
    pub max_periods: Option<u32>,
    /// 1.6 `ChargingScheduleAllowedChargingRateUnit`, 2.x `SmartChargingCtrlr.RateUnit`.
    pub rate_units: Option<Vec<RateUnit>>,
}

/// Where a version keeps the profile and what it calls its fields.
struct Names {
    /// `csChargingProfiles` (1.6) or `chargingProfile` (2.x).
    profile: &'static str,
    /// `connectorId` (1.6) or `evseId` (2.x).
    evse: &'static str,
    stack_key: &'static str,
    periods_key: &'static str,
    units_key: &'static str,
}

fn names(version: OcppVersion) -> Names {
    if version == OcppVersion::V16 {
        Names {
            profile: "csChargingProfiles",
            evse: "connectorId",
            stack_key: "ChargeProfileMaxStackLevel",
            periods_key: "ChargingScheduleMaxPeriods",
            units_key: "ChargingScheduleAllowedChargingRateUnit",
        }
    } else {
        Names {
            profile: "chargingProfile",
            evse: "evseId",
            stack_key: "SmartChargingCtrlr.ProfileStackLevel",
            periods_key: "SmartChargingCtrlr.PeriodsPerSchedule",
            units_key: "SmartChargingCtrlr.RateUnit",
        }
    }
}

/// The actions that carry a charging profile: `SetChargingProfile`, and the
/// remote starts (1.6 `RemoteStartTransaction`, 2.x `RequestStartTransaction`,
/// both in `chargingProfile`).
pub fn carries_profile(action: &str) -> bool {
    matches!(action, "SetChargingProfile" | "RemoteStartTransaction" | "RequestStartTransaction")
}

/// Checks a CALL a flow sends: every rule for a profile it carries
/// (`carries_profile`), nothing for another action. `running(evse)` is the
/// transaction the engine knows to be running on that EVSE (connector for
/// 1.6), `None` when it knows none.
pub fn check_profile(
    version: OcppVersion,
    action: &str,
    payload: &Value,
    station: &StationLimits,
    running: &dyn Fn(u32) -> Option<String>,
) -> Result<(), ProfileError> {
    if !carries_profile(action) {
        return Ok(());
    }
    let n = names(version);
    let start = action != "SetChargingProfile";
    // A remote start keeps its profile in `chargingProfile` in both versions.
    let root = if start { "chargingProfile" } else { n.profile };
    let Some(profile) = payload.get(root) else { return Ok(()) };
    if let Value::Array(items) = profile {
        if version == OcppVersion::V16 && !start {
            return Err(ProfileError::ProfilesArray { items: items.len() });
        }
    }
    let Some(profile) = profile.as_object() else { return Ok(()) };
    let at = |field: &str| format!("{root}.{field}");

    check_stack_level(profile.get("stackLevel"), station, &n, &at("stackLevel"))?;
    check_validity(profile, &at("validFrom"), &at("validTo"))?;
    if start {
        check_start(version, profile, &at)?;
    } else {
        let evse = payload.get(n.evse).and_then(Value::as_u64).and_then(|e| u32::try_from(e).ok());
        if profile.get("chargingProfilePurpose").and_then(Value::as_str) == Some("TxProfile") {
            check_transaction(version, profile.get("transactionId"), evse, &n, &at("transactionId"), running)?;
        }
    }
    let kind = profile.get("chargingProfileKind").and_then(Value::as_str);
    match profile.get("chargingSchedule") {
        Some(Value::Array(schedules)) if version.is_2x() => {
            for (i, schedule) in schedules.iter().enumerate() {
                check_schedule(schedule, kind, station, &n, &at(&format!("chargingSchedule[{i}]")))?;
            }
        }
        Some(schedule) => check_schedule(schedule, kind, station, &n, &at("chargingSchedule"))?,
        None => {}
    }
    Ok(())
}

fn check_stack_level(
    level: Option<&Value>,
    station: &StationLimits,
    n: &Names,
    path: &str,
) -> Result<(), ProfileError> {
    let (Some(level), Some(max)) = (level.and_then(Value::as_i64), station.max_stack_level) else { return Ok(()) };
    if level > i64::from(max) {
        return Err(ProfileError::StackLevel { key: n.stack_key, path: path.into(), found: level, max });
    }
    Ok(())
}

/// `validFrom` before `validTo`, compared as instants (RFC 3339 with any offset).
fn check_validity(
    profile: &serde_json::Map<String, Value>,
    from_path: &str,
    to_path: &str,
) -> Result<(), ProfileError> {
    let from = profile.get("validFrom").and_then(Value::as_str);
    let to = profile.get("validTo").and_then(Value::as_str);
    let (Some(from), Some(to)) = (from, to) else { return Ok(()) };
    let (Some(a), Some(b)) = (time::parse_rfc3339(from), time::parse_rfc3339(to)) else { return Ok(()) };
    if a >= b {
        return Err(ProfileError::Validity {
            from_path: from_path.into(),
            from: from.into(),
            to_path: to_path.into(),
            to: to.into(),
        });
    }
    Ok(())
}

/// A TxProfile names its transaction (K01.FR.03), on an EVSE above 0
/// (K01.FR.16), and, where the engine knows which transaction runs on that
/// EVSE, the one it names (K01.FR.33). When the engine knows of none there
/// the station judges: the transaction may have begun before the engine saw it.
fn check_transaction(
    version: OcppVersion,
    id: Option<&Value>,
    evse: Option<u32>,
    n: &Names,
    path: &str,
    running: &dyn Fn(u32) -> Option<String>,
) -> Result<(), ProfileError> {
    let id = match id {
        None | Some(Value::Null) => return Err(ProfileError::NoTransaction { path: path.into() }),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => return Ok(()),
    };
    let Some(evse) = evse else { return Ok(()) };
    if evse == 0 {
        return Err(ProfileError::TxOnEvseZero { path: n.evse.into(), version });
    }
    match running(evse) {
        Some(there) if there != id => {
            Err(ProfileError::OtherTransaction { path: path.into(), id, evse_field: n.evse, evse, running: there })
        }
        _ => Ok(()),
    }
}

/// A remote start's profile is for the transaction it starts, which has no
/// id yet: a TxProfile (F01.FR.09; OCPP 1.6 §3.13.4 says the same) without a
/// transactionId (F01.FR.11), in place of the rules that need a transaction.
fn check_start(
    version: OcppVersion,
    profile: &serde_json::Map<String, Value>,
    at: &dyn Fn(&str) -> String,
) -> Result<(), ProfileError> {
    let action = if version == OcppVersion::V16 { "RemoteStartTransaction" } else { "RequestStartTransaction" };
    match profile.get("chargingProfilePurpose").and_then(Value::as_str) {
        Some("TxProfile") | None => {}
        Some(other) => {
            return Err(ProfileError::StartNotTxProfile {
                action,
                path: at("chargingProfilePurpose"),
                found: other.into(),
            })
        }
    }
    if profile.get("transactionId").is_some_and(|id| !id.is_null()) {
        return Err(ProfileError::StartWithTransaction { action, path: at("transactionId") });
    }
    Ok(())
}

fn check_schedule(
    schedule: &Value,
    kind: Option<&str>,
    station: &StationLimits,
    n: &Names,
    path: &str,
) -> Result<(), ProfileError> {
    let Some(schedule) = schedule.as_object() else { return Ok(()) };
    if matches!(kind, Some("Absolute" | "Recurring")) && schedule.get("startSchedule").is_none_or(Value::is_null) {
        return Err(ProfileError::NoStartSchedule {
            path: format!("{path}.startSchedule"),
            kind: kind.unwrap_or_default().into(),
        });
    }
    if let (Some(unit), Some(allowed)) = (schedule.get("chargingRateUnit").and_then(Value::as_str), &station.rate_units)
    {
        if RateUnit::parse(unit).is_none_or(|u| !allowed.contains(&u)) {
            return Err(ProfileError::RateUnit {
                key: n.units_key,
                path: format!("{path}.chargingRateUnit"),
                found: unit.into(),
                allowed: allowed.iter().map(|u| u.as_str()).collect::<Vec<_>>().join(", "),
            });
        }
    }
    let Some(periods) = schedule.get("chargingSchedulePeriod").and_then(Value::as_array) else { return Ok(()) };
    if let Some(max) = station.max_periods {
        if periods.len() > max as usize {
            return Err(ProfileError::TooManyPeriods {
                key: n.periods_key,
                path: format!("{path}.chargingSchedulePeriod"),
                count: periods.len(),
                max,
            });
        }
    }
    let mut previous: Option<i64> = None;
    for (i, period) in periods.iter().enumerate() {
        let Some(start) = period.get("startPeriod").and_then(Value::as_i64) else { continue };
        let field = format!("{path}.chargingSchedulePeriod[{i}].startPeriod");
        if i == 0 && start != 0 {
            return Err(ProfileError::FirstStartPeriod { path: field, found: start });
        }
        if let Some(before) = previous {
            if start <= before {
                return Err(ProfileError::PeriodOrder { path: field, found: start, previous: before });
            }
        }
        previous = Some(start);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn none(_: u32) -> Option<String> {
        None
    }

    fn check(version: OcppVersion, payload: &Value, station: &StationLimits) -> Result<(), String> {
        check_profile(version, "SetChargingProfile", payload, station, &none).map_err(|e| e.to_string())
    }

    fn v16(profile: Value) -> Value {
        json!({ "connectorId": 1, "csChargingProfiles": profile })
    }

    fn v2(profile: Value) -> Value {
        json!({ "evseId": 1, "chargingProfile": profile })
    }

    fn profile16() -> Value {
        json!({
            "chargingProfileId": 1, "stackLevel": 0, "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Relative",
            "chargingSchedule": { "chargingRateUnit": "A", "chargingSchedulePeriod": [
                { "startPeriod": 0, "limit": 16 }, { "startPeriod": 600, "limit": 10 } ] }
        })
    }

    fn profile2() -> Value {
        json!({
            "id": 1, "stackLevel": 0, "chargingProfilePurpose": "TxDefaultProfile", "chargingProfileKind": "Relative",
            "chargingSchedule": [{ "id": 1, "chargingRateUnit": "A", "chargingSchedulePeriod": [
                { "startPeriod": 0, "limit": 16 }, { "startPeriod": 600, "limit": 10 } ] }]
        })
    }

    fn with(mut v: Value, pointer: &str, value: Value) -> Value {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let target = v.pointer_mut(parent).unwrap();
        match target {
            Value::Array(a) => a[key.parse::<usize>().unwrap()] = value,
            Value::Object(o) => {
                if value.is_null() {
                    o.remove(key);
                } else {
                    o.insert(key.into(), value);
                }
            }
            _ => panic!("{pointer}"),
        }
        v
    }

    #[test]
    fn valid_profiles_and_other_actions_pass() {
        let any = StationLimits::default();
        assert_eq!(check(OcppVersion::V16, &v16(profile16()), &any), Ok(()));
        for v in [OcppVersion::V201, OcppVersion::V21] {
            assert_eq!(check(v, &v2(profile2()), &any), Ok(()));
        }
        let weird = json!({ "csChargingProfiles": [] });
        assert_eq!(check_profile(OcppVersion::V16, "Reset", &weird, &any, &none), Ok(()));
    }

    #[test]
    fn first_start_period_is_zero_k01_fr_31() {
        let p = with(profile16(), "/chargingSchedule/chargingSchedulePeriod/0/startPeriod", json!(5));
        assert_eq!(
            check(OcppVersion::V16, &v16(p), &StationLimits::default()).unwrap_err(),
            "K01.FR.31: the first startPeriod must be 0 (csChargingProfiles.chargingSchedule.chargingSchedulePeriod[0].startPeriod is 5)"
        );
        let p = with(profile2(), "/chargingSchedule/0/chargingSchedulePeriod/0/startPeriod", json!(5));
        let e = check(OcppVersion::V201, &v2(p), &StationLimits::default()).unwrap_err();
        assert!(e.starts_with("K01.FR.31: "), "{e}");
        assert!(e.contains("(chargingProfile.chargingSchedule[0].chargingSchedulePeriod[0].startPeriod is 5)"), "{e}");
    }

    #[test]
    fn remote_starts_follow_the_rules_and_f01() {
        let any = StationLimits::default();
        let tx = |p: Value| with(p, "/chargingProfilePurpose", json!("TxProfile"));
        let start16 = |p: Value| json!({ "idTag": "T", "connectorId": 1, "chargingProfile": p });
        let start2 = |p: Value| json!({ "idToken": { "idToken": "T", "type": "ISO14443" }, "remoteStartId": 1, "chargingProfile": p });
        let run16 = |p| check_profile(OcppVersion::V16, "RemoteStartTransaction", &start16(p), &any, &none);
        let run2 = |p| check_profile(OcppVersion::V201, "RequestStartTransaction", &start2(p), &any, &none);
        // A TxProfile without a transactionId is right here (K01.FR.03 cannot apply).
        assert_eq!(run16(tx(profile16())), Ok(()));
        assert_eq!(run2(tx(profile2())), Ok(()));
        let late = |p: Value, at: &str| with(p, at, json!(5));
        let e = run16(late(tx(profile16()), "/chargingSchedule/chargingSchedulePeriod/0/startPeriod")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "K01.FR.31: the first startPeriod must be 0 (chargingProfile.chargingSchedule.chargingSchedulePeriod[0].startPeriod is 5)"
        );
        let e = run2(late(tx(profile2()), "/chargingSchedule/0/chargingSchedulePeriod/0/startPeriod")).unwrap_err();
        assert!(e.to_string().starts_with("K01.FR.31: "), "{e}");
        assert_eq!(
            run16(profile16()).unwrap_err().to_string(),
            "F01.FR.09: the profile in a RemoteStartTransaction must be a TxProfile (chargingProfile.chargingProfilePurpose is TxDefaultProfile)"
        );
        assert_eq!(
            run2(with(tx(profile2()), "/transactionId", json!("tx-1"))).unwrap_err().to_string(),
            "F01.FR.11: the profile in a RequestStartTransaction must not name a transaction, none exists yet (chargingProfile.transactionId is set)"
        );
        // A start without a profile has nothing to check.
        let bare = json!({ "idTag": "T" });
        assert_eq!(check_profile(OcppVersion::V16, "RemoteStartTransaction", &bare, &any, &none), Ok(()));
    }

    #[test]
    fn periods_increase_k01_fr_35() {
        let p = with(profile16(), "/chargingSchedule/chargingSchedulePeriod/1/startPeriod", json!(0));
        let e = check(OcppVersion::V16, &v16(p), &StationLimits::default()).unwrap_err();
        assert!(e.starts_with("K01.FR.35: "), "{e}");
        assert!(e.contains("csChargingProfiles.chargingSchedule.chargingSchedulePeriod[1].startPeriod is 0"), "{e}");
        // 2.x: every schedule of the array is checked, the second one here.
        let mut p = profile2();
        let second = json!({ "id": 2, "chargingRateUnit": "A", "chargingSchedulePeriod": [
            { "startPeriod": 0, "limit": 6 }, { "startPeriod": 60, "limit": 6 }, { "startPeriod": 30, "limit": 6 } ] });
        p["chargingSchedule"].as_array_mut().unwrap().push(second);
        let e = check(OcppVersion::V21, &v2(p), &StationLimits::default()).unwrap_err();
        assert!(e.contains("chargingProfile.chargingSchedule[1].chargingSchedulePeriod[2].startPeriod is 30"), "{e}");
    }

    #[test]
    fn tx_profiles_name_a_running_transaction() {
        let tx16 = with(profile16(), "/chargingProfilePurpose", json!("TxProfile"));
        let e = check(OcppVersion::V16, &v16(tx16.clone()), &StationLimits::default()).unwrap_err();
        assert_eq!(e, "K01.FR.03: a TxProfile must name its transaction (csChargingProfiles.transactionId is missing)");
        let tx2 = with(profile2(), "/chargingProfilePurpose", json!("TxProfile"));
        let e = check(OcppVersion::V201, &v2(tx2.clone()), &StationLimits::default()).unwrap_err();
        assert!(e.starts_with("K01.FR.03: ") && e.contains("chargingProfile.transactionId is missing"), "{e}");

        let tx16 = with(tx16, "/transactionId", json!(42));
        let on = |evse: u32| (evse == 1).then(|| "42".to_owned());
        let station = StationLimits::default();
        assert_eq!(check_profile(OcppVersion::V16, "SetChargingProfile", &v16(tx16.clone()), &station, &on), Ok(()));
        assert_eq!(
            check(OcppVersion::V16, &v16(tx16.clone()), &station),
            Ok(()),
            "no transaction known: the station judges"
        );
        let other = |_: u32| Some("41".to_owned());
        let e =
            check_profile(OcppVersion::V16, "SetChargingProfile", &v16(tx16.clone()), &station, &other).unwrap_err();
        assert_eq!(
            e.to_string(),
            "K01.FR.33: transaction 42 is not the one running on connectorId 1, 41 is (csChargingProfiles.transactionId is 42)"
        );
        let zero = json!({ "connectorId": 0, "csChargingProfiles": tx16 });
        assert!(check(OcppVersion::V16, &zero, &station).unwrap_err().starts_with("K01.FR.16: "));
        let tx2 = with(tx2, "/transactionId", json!("tx-9"));
        let on2 = |_: u32| Some("tx-9".to_owned());
        assert_eq!(check_profile(OcppVersion::V21, "SetChargingProfile", &v2(tx2), &station, &on2), Ok(()));
    }

    #[test]
    fn station_maxima_once_read() {
        let p = with(profile16(), "/stackLevel", json!(9));
        assert_eq!(check(OcppVersion::V16, &v16(p.clone()), &StationLimits::default()), Ok(()), "not read yet");
        let limits =
            StationLimits { max_stack_level: Some(8), max_periods: Some(1), rate_units: Some(vec![RateUnit::W]) };
        assert_eq!(
            check(OcppVersion::V16, &v16(p), &limits).unwrap_err(),
            "ChargeProfileMaxStackLevel: the stackLevel must be at most 8, the station's maximum (csChargingProfiles.stackLevel is 9)"
        );
        let limits = StationLimits { max_stack_level: Some(8), ..limits };
        let e = check(OcppVersion::V16, &v16(profile16()), &limits).unwrap_err();
        assert_eq!(
            e,
            "K01.FR.26: the station takes chargingRateUnit W only (ChargingScheduleAllowedChargingRateUnit; csChargingProfiles.chargingSchedule.chargingRateUnit is \"A\")"
        );
        let limits = StationLimits { rate_units: Some(vec![RateUnit::A, RateUnit::W]), ..limits };
        let e = check(OcppVersion::V201, &v2(profile2()), &limits).unwrap_err();
        assert_eq!(
            e,
            "SmartChargingCtrlr.PeriodsPerSchedule: the station takes at most 1 period per schedule (chargingProfile.chargingSchedule[0].chargingSchedulePeriod has 2)"
        );
        let limits = StationLimits { max_periods: Some(2), ..limits };
        assert_eq!(check(OcppVersion::V201, &v2(profile2()), &limits), Ok(()));
    }

    #[test]
    fn v16_profiles_are_one_object() {
        let p = json!({ "connectorId": 1, "csChargingProfiles": [profile16()] });
        assert_eq!(
            check(OcppVersion::V16, &p, &StationLimits::default()).unwrap_err(),
            "OCPP 1.6 §6.43: csChargingProfiles must be one ChargingProfile object, not an array (csChargingProfiles is an array of 1)"
        );
    }

    #[test]
    fn valid_from_before_valid_to() {
        let p = with(profile2(), "/validFrom", json!("2026-12-01T10:00:00+01:00"));
        let ok = with(p.clone(), "/validTo", json!("2026-12-01T09:00:01Z"));
        assert_eq!(check(OcppVersion::V201, &v2(ok), &StationLimits::default()), Ok(()));
        let same = with(p, "/validTo", json!("2026-12-01T09:00:00.000Z"));
        let e = check(OcppVersion::V201, &v2(same), &StationLimits::default()).unwrap_err();
        assert_eq!(
            e,
            "ChargingProfile validity: validFrom must be before validTo (chargingProfile.validFrom is 2026-12-01T10:00:00+01:00, chargingProfile.validTo is 2026-12-01T09:00:00.000Z)"
        );
    }

    #[test]
    fn absolute_and_recurring_have_a_start_schedule_k01_fr_40() {
        let p = with(profile16(), "/chargingProfileKind", json!("Absolute"));
        let e = check(OcppVersion::V16, &v16(p.clone()), &StationLimits::default()).unwrap_err();
        assert_eq!(
            e,
            "K01.FR.40: a profile of kind Absolute needs a startSchedule (csChargingProfiles.chargingSchedule.startSchedule is missing)"
        );
        let p = with(p, "/chargingSchedule/startSchedule", json!("2026-01-01T00:00:00Z"));
        assert_eq!(check(OcppVersion::V16, &v16(p), &StationLimits::default()), Ok(()));
        let p = with(profile2(), "/chargingProfileKind", json!("Recurring"));
        let e = check(OcppVersion::V21, &v2(p), &StationLimits::default()).unwrap_err();
        assert!(
            e.contains("Recurring") && e.contains("chargingProfile.chargingSchedule[0].startSchedule is missing"),
            "{e}"
        );
    }

    #[test]
    fn rate_units_read_both_spellings() {
        assert_eq!(RateUnit::parse("Current"), Some(RateUnit::A));
        assert_eq!(RateUnit::parse(" Power"), Some(RateUnit::W));
        assert_eq!(RateUnit::parse("W"), Some(RateUnit::W));
        assert_eq!(RateUnit::parse("kW"), None);
    }
}
