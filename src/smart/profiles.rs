//! The profiles the `SetChargeLimit` helper sends (docs/SMART-CHARGING.md,
//! "Profiles the charge-limit helper builds"): one limit, one period, in the
//! shape the station's version expects, with an id that is the same every
//! time for the same EVSE and purpose, so a new limit replaces the last one
//! on the station instead of piling up beside it.

use serde_json::{json, Value};

use super::checks::RateUnit;
use super::error::ProfileError;
use crate::version::OcppVersion;

/// Where a limit applies: the whole station (EVSE 0; connector 0 in 1.6) or
/// one EVSE, with the transaction running there if the engine knows one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub evse_id: u32,
    pub transaction_id: Option<String>,
}

/// What the profile is for, whatever the version calls it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// 1.6 ChargePointMaxProfile, 2.x ChargingStationMaxProfile: the whole station.
    StationMax,
    /// TxDefaultProfile: every transaction on the EVSE (0: on every EVSE).
    TxDefault,
    /// TxProfile: the one transaction running on the EVSE.
    Tx,
}

impl Purpose {
    /// `chargingProfilePurpose` as `version` spells it.
    pub fn name(self, version: OcppVersion) -> &'static str {
        match (self, version) {
            (Self::StationMax, OcppVersion::V16) => "ChargePointMaxProfile",
            (Self::StationMax, _) => "ChargingStationMaxProfile",
            (Self::TxDefault, _) => "TxDefaultProfile",
            (Self::Tx, _) => "TxProfile",
        }
    }

    /// The small number [`profile_id`] adds for this purpose.
    fn code(self) -> i64 {
        match self {
            Self::StationMax => 1,
            Self::TxDefault => 2,
            Self::Tx => 3,
        }
    }
}

/// The purpose a limit gets first: the station's maximum on EVSE 0, a
/// TxProfile where a transaction runs, else the EVSE's TxDefaultProfile.
pub fn purpose_for(evse_id: u32, transaction: Option<&str>) -> Purpose {
    match (evse_id, transaction) {
        (0, _) => Purpose::StationMax,
        (_, Some(_)) => Purpose::Tx,
        (_, None) => Purpose::TxDefault,
    }
}

/// What to try when the station refuses `purpose`: a station that takes no
/// station-wide maximum gets a TxDefaultProfile on EVSE 0 (every future
/// transaction), one that refuses a TxProfile gets the EVSE's
/// TxDefaultProfile; after a TxDefaultProfile there is nothing left to try.
pub fn fallback(purpose: Purpose) -> Option<Purpose> {
    match purpose {
        Purpose::StationMax | Purpose::Tx => Some(Purpose::TxDefault),
        Purpose::TxDefault => None,
    }
}

/// Ids of the helper's profiles start here, far above the small ids flows
/// and back offices usually pick, and stay within a signed 32-bit integer
/// (what many stations store) for EVSE ids up to 100 million.
pub const PROFILE_ID_BASE: i64 = 1_000_000_000;

/// The helper's profile id for (EVSE, purpose): `1000000000 + 10 × evseId +
/// k`, k = 1 for the station maximum, 2 for TxDefaultProfile, 3 for
/// TxProfile. The same pair always gets the same id, so the station replaces
/// the profile it holds (OCPP: a profile with a known id replaces it).
pub fn profile_id(evse_id: u32, purpose: Purpose) -> i64 {
    PROFILE_ID_BASE + 10 * i64::from(evse_id) + purpose.code()
}

/// `limit` in `from` as `to`: W = A × volts × phases (`phases` the number
/// of phases the EVSE charges on, `volts` the phase-to-neutral voltage).
pub fn convert(limit: f64, from: RateUnit, to: RateUnit, volts: f64, phases: u32) -> f64 {
    match (from, to) {
        (RateUnit::A, RateUnit::W) => limit * volts * f64::from(phases),
        (RateUnit::W, RateUnit::A) => limit / (volts * f64::from(phases)),
        _ => limit,
    }
}

/// [`convert`], refusing what cannot be converted (no voltage or phases).
pub fn try_convert(limit: f64, from: RateUnit, to: RateUnit, volts: f64, phases: u32) -> Result<f64, ProfileError> {
    if from != to && (!(volts.is_finite() && volts > 0.0) || phases == 0) {
        return Err(ProfileError::NoConversion { volts: volts.to_string(), phases });
    }
    Ok(convert(limit, from, to, volts, phases))
}

/// A fixed start in the past for the station-wide profile, which may not be
/// Relative (K01.FR.38) and so must be Absolute with a startSchedule
/// (K01.FR.40): its one period, without a duration, applies from the moment
/// the station accepts it until it is replaced or cleared. A fixed value
/// keeps the builder pure and the profile the same for the same limit.
pub const STATION_MAX_SINCE: &str = "2020-01-01T00:00:00Z";

/// The SetChargingProfile payload for `version`: one schedule with one
/// period from 0 s at `limit` (rounded to one decimal, as the schemas ask).
/// The station maximum is Absolute from [`STATION_MAX_SINCE`] on EVSE 0; a
/// TxProfile or TxDefaultProfile is Relative (to the start of the
/// transaction), on `target.evse_id`. A 1.6 TxProfile carries the
/// transaction id as an integer, 2.x as a string.
pub fn limit_profile(
    version: OcppVersion,
    target: &Target,
    purpose: Purpose,
    limit: f64,
    unit: RateUnit,
    profile_id: i64,
    stack_level: u32,
) -> Result<Value, ProfileError> {
    if !(limit.is_finite() && limit >= 0.0) {
        return Err(ProfileError::BadLimit(limit.to_string()));
    }
    let limit = (limit * 10.0).round() / 10.0;
    let evse_id = if purpose == Purpose::StationMax { 0 } else { target.evse_id };
    let absolute = purpose == Purpose::StationMax;
    let kind = if absolute { "Absolute" } else { "Relative" };
    let period = json!([{ "startPeriod": 0, "limit": limit }]);
    let transaction = match (purpose, &target.transaction_id) {
        (Purpose::Tx, Some(id)) if version == OcppVersion::V16 => {
            Some(json!(id.trim().parse::<i64>().map_err(|_| ProfileError::TransactionIdNotInteger(id.clone()))?))
        }
        (Purpose::Tx, Some(id)) => Some(json!(id)),
        (Purpose::Tx, None) => return Err(ProfileError::NoTransaction { path: "transactionId".into() }),
        _ => None,
    };
    let mut schedule = json!({ "chargingRateUnit": unit.as_str(), "chargingSchedulePeriod": period });
    if absolute {
        schedule["startSchedule"] = json!(STATION_MAX_SINCE);
    }
    let mut profile = json!({
        "stackLevel": stack_level,
        "chargingProfilePurpose": purpose.name(version),
        "chargingProfileKind": kind,
    });
    if let Some(tx) = transaction {
        profile["transactionId"] = tx;
    }
    Ok(if version == OcppVersion::V16 {
        profile["chargingProfileId"] = json!(profile_id);
        profile["chargingSchedule"] = schedule;
        json!({ "connectorId": evse_id, "csChargingProfiles": profile })
    } else {
        profile["id"] = json!(profile_id);
        schedule["id"] = json!(profile_id);
        profile["chargingSchedule"] = json!([schedule]);
        json!({ "evseId": evse_id, "chargingProfile": profile })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{validate, Direction};
    use crate::smart::checks::{check_profile, StationLimits};

    #[test]
    fn purposes_and_fallbacks() {
        assert_eq!(purpose_for(0, None), Purpose::StationMax);
        assert_eq!(purpose_for(0, Some("7")), Purpose::StationMax);
        assert_eq!(purpose_for(2, Some("7")), Purpose::Tx);
        assert_eq!(purpose_for(2, None), Purpose::TxDefault);
        assert_eq!(fallback(Purpose::StationMax), Some(Purpose::TxDefault));
        assert_eq!(fallback(Purpose::Tx), Some(Purpose::TxDefault));
        assert_eq!(fallback(Purpose::TxDefault), None);
        assert_eq!(Purpose::StationMax.name(OcppVersion::V16), "ChargePointMaxProfile");
        assert_eq!(Purpose::StationMax.name(OcppVersion::V21), "ChargingStationMaxProfile");
    }

    #[test]
    fn profile_ids_are_stable_and_distinct() {
        assert_eq!(profile_id(0, Purpose::StationMax), 1_000_000_001);
        assert_eq!(profile_id(0, Purpose::TxDefault), 1_000_000_002);
        assert_eq!(profile_id(3, Purpose::Tx), 1_000_000_033);
        let mut seen = std::collections::HashSet::new();
        for evse in 0..50 {
            for p in [Purpose::StationMax, Purpose::TxDefault, Purpose::Tx] {
                assert!(seen.insert(profile_id(evse, p)));
                assert_eq!(profile_id(evse, p), profile_id(evse, p));
            }
        }
        assert!(profile_id(100_000_000, Purpose::Tx) <= i64::from(i32::MAX));
    }

    #[test]
    fn amperes_and_watts() {
        assert_eq!(convert(16.0, RateUnit::A, RateUnit::W, 230.0, 3), 11_040.0);
        assert_eq!(convert(11_040.0, RateUnit::W, RateUnit::A, 230.0, 3), 16.0);
        assert_eq!(convert(7.5, RateUnit::W, RateUnit::W, 0.0, 0), 7.5);
        assert_eq!(try_convert(3680.0, RateUnit::W, RateUnit::A, 230.0, 1), Ok(16.0));
        assert!(try_convert(16.0, RateUnit::A, RateUnit::W, 0.0, 3).unwrap_err().to_string().contains("voltage 0"));
        assert!(try_convert(16.0, RateUnit::A, RateUnit::W, 230.0, 0).is_err());
        assert_eq!(try_convert(16.0, RateUnit::A, RateUnit::A, 0.0, 0), Ok(16.0));
    }

    #[test]
    fn every_built_profile_passes_the_checks_and_the_schema() {
        let limits =
            StationLimits { max_stack_level: Some(0), max_periods: Some(1), rate_units: Some(vec![RateUnit::A]) };
        for version in OcppVersion::ALL {
            for (evse, tx) in [(0, None), (0, Some("7")), (1, None), (2, Some("7"))] {
                let mut purposes = vec![purpose_for(evse, tx)];
                while let Some(next) = fallback(*purposes.last().unwrap()) {
                    purposes.push(next);
                }
                for purpose in purposes {
                    let target = Target { evse_id: evse, transaction_id: tx.map(str::to_owned) };
                    let id = profile_id(target.evse_id, purpose);
                    let payload = limit_profile(version, &target, purpose, 16.04, RateUnit::A, id, 0).unwrap();
                    let what = format!("{version:?} {purpose:?} {payload}");
                    validate(version, "SetChargingProfile", Direction::Request, &payload).expect(&what);
                    let running = |e: u32| (e == evse).then(|| tx.unwrap_or("none").to_owned());
                    check_profile(version, "SetChargingProfile", &payload, &limits, &running).expect(&what);
                    let text = payload.to_string();
                    assert!(text.contains(r#""limit":16.0"#), "rounded to one decimal: {what}");
                }
            }
        }
    }

    #[test]
    fn shapes_per_version() {
        let tx = Target { evse_id: 2, transaction_id: Some("42".into()) };
        let p = limit_profile(OcppVersion::V16, &tx, Purpose::Tx, 10.0, RateUnit::A, 7, 1).unwrap();
        assert_eq!(p["connectorId"], 2);
        assert_eq!(p["csChargingProfiles"]["transactionId"], 42);
        assert_eq!(p["csChargingProfiles"]["chargingProfileKind"], "Relative");
        assert!(p["csChargingProfiles"]["chargingSchedule"].is_object());
        let p = limit_profile(OcppVersion::V201, &tx, Purpose::Tx, 10.0, RateUnit::W, 7, 1).unwrap();
        assert_eq!(p["evseId"], 2);
        assert_eq!(p["chargingProfile"]["transactionId"], "42");
        assert_eq!(p["chargingProfile"]["chargingSchedule"][0]["chargingRateUnit"], "W");
        let max = limit_profile(OcppVersion::V21, &tx, Purpose::StationMax, 10.0, RateUnit::A, 7, 1).unwrap();
        assert_eq!(max["evseId"], 0, "the station maximum is always on EVSE 0");
        assert_eq!(max["chargingProfile"]["chargingProfileKind"], "Absolute");
        assert_eq!(max["chargingProfile"]["chargingSchedule"][0]["startSchedule"], STATION_MAX_SINCE);
        let uuid = Target { evse_id: 1, transaction_id: Some("3f2a-b".into()) };
        assert_eq!(
            limit_profile(OcppVersion::V16, &uuid, Purpose::Tx, 6.0, RateUnit::A, 1, 0).unwrap_err(),
            ProfileError::TransactionIdNotInteger("3f2a-b".into())
        );
        assert!(limit_profile(OcppVersion::V16, &uuid, Purpose::TxDefault, f64::NAN, RateUnit::A, 1, 0).is_err());
        assert!(limit_profile(OcppVersion::V16, &uuid, Purpose::TxDefault, -1.0, RateUnit::A, 1, 0).is_err());
    }
}
