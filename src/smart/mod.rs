//! Charge limits chargers accept (docs/SMART-CHARGING.md): the checks every
//! SetChargingProfile passes before it leaves the engine, and the profiles the
//! `SetChargeLimit` helper builds. Pure functions with no I/O, below the roles.

pub mod checks;
mod error;
pub mod limits;
pub mod profiles;

pub use checks::{carries_profile, check_profile, RateUnit, StationLimits};
pub use error::ProfileError;
