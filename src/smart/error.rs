//! Why the engine refuses a profile, or cannot build one: each message names
//! the rule (OCPP 2.0.1 Part 2's number, or the key, variable or 1.6 section)
//! and the field, with the value found, so the flow's author knows what to fix.

use crate::version::OcppVersion;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    #[error("K01.FR.31: the first startPeriod must be 0 ({path} is {found})")]
    FirstStartPeriod { path: String, found: i64 },

    #[error("K01.FR.35: each startPeriod must be greater than the one before ({path} is {found}, after {previous})")]
    PeriodOrder { path: String, found: i64, previous: i64 },

    #[error("K01.FR.03: a TxProfile must name its transaction ({path} is missing)")]
    NoTransaction { path: String },

    #[error(
        "K01.FR.16: a TxProfile applies to one {} above 0 ({path} is 0); use a TxDefaultProfile for the whole station",
        if *version == OcppVersion::V16 { "connector" } else { "EVSE" }
    )]
    TxOnEvseZero { path: String, version: OcppVersion },

    #[error(
        "K01.FR.33: transaction {id} is not the one running on {evse_field} {evse}, {running} is ({path} is {id})"
    )]
    OtherTransaction { path: String, id: String, evse_field: &'static str, evse: u32, running: String },

    #[error("F01.FR.09: the profile in a {action} must be a TxProfile ({path} is {found})")]
    StartNotTxProfile { action: &'static str, path: String, found: String },

    #[error("F01.FR.11: the profile in a {action} must not name a transaction, none exists yet ({path} is set)")]
    StartWithTransaction { action: &'static str, path: String },

    #[error("{key}: the stackLevel must be at most {max}, the station's maximum ({path} is {found})")]
    StackLevel { key: &'static str, path: String, found: i64, max: u32 },

    #[error("{key}: the station takes at most {max} period{} per schedule ({path} has {count})", if *max == 1 { "" } else { "s" })]
    TooManyPeriods { key: &'static str, path: String, count: usize, max: u32 },

    #[error("K01.FR.26: the station takes chargingRateUnit {allowed} only ({key}; {path} is {found:?})")]
    RateUnit { key: &'static str, path: String, found: String, allowed: String },

    #[error(
        "OCPP 1.6 §6.43: csChargingProfiles must be one ChargingProfile object, not an array (csChargingProfiles is an array of {items})"
    )]
    ProfilesArray { items: usize },

    #[error("ChargingProfile validity: validFrom must be before validTo ({from_path} is {from}, {to_path} is {to})")]
    Validity { from_path: String, from: String, to_path: String, to: String },

    #[error("K01.FR.40: a profile of kind {kind} needs a startSchedule ({path} is missing)")]
    NoStartSchedule { path: String, kind: String },

    #[error("a 1.6 TxProfile needs an integer transactionId, and {0:?} is not one")]
    TransactionIdNotInteger(String),

    #[error("the limit must be a number of at least 0 (it is {0})")]
    BadLimit(String),

    #[error("cannot convert between A and W without a voltage and a number of phases above 0 (voltage {volts}, phases {phases})")]
    NoConversion { volts: String, phases: u32 },
}
