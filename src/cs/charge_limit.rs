//! `SetChargeLimit` and `ClearChargeLimit`, two commands of `CS request
//! JSON` that no OCPP version has (docs/SMART-CHARGING.md, "The charge-limit
//! commands"): "limit this station (or EVSE) to 16 A" as one msg, for 1.6,
//! 2.0.1 and 2.1 alike.
//!
//! A small exchange over the ordinary CALL path (`calls::call_station`, handed
//! in as `send` so this file does not import it back; every profile is
//! checked and every answer read like a flow's): read the
//! station's limits once per connection, build the profile (`smart::profiles`),
//! set it, fall back when the station refuses, confirm with
//! GetCompositeSchedule. It runs on the instance holding the station: in a
//! cluster the command travels there like any CALL.

use serde_json::{json, Value};
use tokio::sync::oneshot;

use super::inspector::{self, ChargeLimitEntry};
use super::{station_limits, transactions};
use crate::flow::{CallOutcome, Failure, Ticket};
use crate::smart::profiles::{self, Purpose, Target};
use crate::smart::{RateUnit, StationLimits};
use crate::version::OcppVersion;

pub const SET: &str = "SetChargeLimit";
pub const CLEAR: &str = "ClearChargeLimit";

/// Defaults for converting between A and W when the station does not take
/// the unit asked for: a 230 V phase-to-neutral voltage, three phases.
pub const DEFAULT_VOLTS: f64 = 230.0;
pub const DEFAULT_PHASES: u32 = 3;

/// Seconds of composite schedule asked for to confirm a limit.
const CONFIRM_SECONDS: u32 = 60;

/// Whether `action` is one of the helper's commands.
pub fn is_command(action: &str) -> bool {
    action == SET || action == CLEAR
}

/// What the flow asked, from `msg.payload.data`.
#[derive(Debug, Clone, PartialEq)]
pub struct Ask {
    pub evse_id: u32,
    /// `None`: clear.
    pub limit: Option<f64>,
    pub unit: RateUnit,
    pub volts: f64,
    pub phases: u32,
}

/// Reads `data` of a SetChargeLimit / ClearChargeLimit; the error says what to fix.
pub fn parse(action: &str, data: &str) -> Result<Ask, String> {
    let data: Value = serde_json::from_str(data).map_err(|e| format!("{action}: data is not JSON: {e}"))?;
    let Some(d) = data.as_object() else { return Err(format!("{action}: data must be an object")) };
    let evse_id = match d.get("evseId") {
        None | Some(Value::Null) => 0,
        Some(v) => v
            .as_u64()
            .and_then(|e| u32::try_from(e).ok())
            .ok_or_else(|| format!("{action}: evseId must be a whole number of at least 0 (it is {v})"))?,
    };
    let limit = match (action, d.get("limit")) {
        (CLEAR, _) | (_, Some(Value::Null)) => None,
        (_, None) => return Err(format!("{SET}: data.limit is missing (a number, or null to clear)")),
        (_, Some(v)) => Some(
            v.as_f64()
                .filter(|l| l.is_finite() && *l >= 0.0)
                .ok_or_else(|| format!("{SET}: limit must be a number of at least 0 (it is {v})"))?,
        ),
    };
    let unit = match d.get("unit") {
        None | Some(Value::Null) => RateUnit::A,
        Some(Value::String(u)) if u == "A" || u == "W" => RateUnit::parse(u).unwrap_or(RateUnit::A),
        Some(v) => return Err(format!("{action}: unit must be \"A\" or \"W\" (it is {v})")),
    };
    let volts = match d.get("voltage") {
        None | Some(Value::Null) => DEFAULT_VOLTS,
        Some(v) => v
            .as_f64()
            .filter(|x| x.is_finite() && *x > 0.0)
            .ok_or_else(|| format!("{action}: voltage must be a number above 0 (it is {v})"))?,
    };
    let phases = match d.get("phases") {
        None | Some(Value::Null) => DEFAULT_PHASES,
        Some(v) => v
            .as_u64()
            .filter(|p| (1..=3).contains(p))
            .map(|p| p as u32)
            .ok_or_else(|| format!("{action}: phases must be 1, 2 or 3 (it is {v})"))?,
    };
    Ok(Ask { evse_id, limit, unit, volts, phases })
}

/// How the exchange sends one CALL to the station: `calls::call_station`
/// with the command's station and timeout.
pub type SendCall = dyn Fn(&str, String) -> Ticket + std::marker::Send + Sync;

/// Starts the exchange for `action` with `data` (the command's JSON text);
/// the ticket settles with its answer.
pub fn start(
    cb_id: &str,
    action: &str,
    data: &str,
    id: String,
    conn_id: u64,
    version: OcppVersion,
    send: Box<SendCall>,
) -> Ticket {
    let ask = match parse(action, data) {
        Ok(ask) => ask,
        Err(message) => return Ticket::settled(id, CallOutcome::invalid(message)).for_peer(version),
    };
    let (done, outcome) = oneshot::channel();
    let cb = cb_id.to_owned();
    tokio::spawn(async move {
        let station = Station { cb_id: &cb, conn_id, version, send: &*send };
        let result = match ask.limit {
            Some(limit) => station.set(&ask, limit).await,
            None => station.clear(ask.evse_id).await,
        };
        let _ = done.send(result);
    });
    Ticket::waiting(id, outcome, cb_id.to_owned()).for_peer(version)
}

struct Station<'a> {
    cb_id: &'a str,
    conn_id: u64,
    version: OcppVersion,
    send: &'a SendCall,
}

impl Station<'_> {
    async fn call(&self, action: &str, payload: Value) -> CallOutcome {
        (self.send)(action, payload.to_string()).outcome().await.1
    }

    /// The station's limits, asked for if this connection has told none.
    async fn limits(&self) -> Result<StationLimits, CallOutcome> {
        let known = station_limits::get(self.cb_id, self.conn_id);
        if known != StationLimits::default() {
            return Ok(known);
        }
        let (action, payload) = read_limits(self.version);
        match self.call(action, payload).await {
            // A station that cannot say (CALLERROR) is judged by its answers to the profiles.
            CallOutcome::Result(_) | CallOutcome::CallError { .. } => Ok(station_limits::get(self.cb_id, self.conn_id)),
            failed => Err(failed),
        }
    }

    async fn set(&self, ask: &Ask, limit: f64) -> CallOutcome {
        let limits = match self.limits().await {
            Ok(limits) => limits,
            Err(failed) => return failed,
        };
        let unit = choose_unit(ask.unit, &limits);
        let value = match profiles::try_convert(limit, ask.unit, unit, ask.volts, ask.phases) {
            Ok(v) => v,
            Err(e) => return CallOutcome::invalid(format!("{SET}: the station takes {} only, and {e}", unit.as_str())),
        };
        let stack_level = limits.max_stack_level.unwrap_or(0);
        let transaction = (ask.evse_id > 0).then(|| transactions::running(self.cb_id, ask.evse_id)).flatten();
        let target = Target { evse_id: ask.evse_id, transaction_id: transaction.clone() };
        let mut purpose = profiles::purpose_for(ask.evse_id, transaction.as_deref());
        let mut reasons: Vec<Value> = Vec::new();
        loop {
            let id = profiles::profile_id(evse_of(&target, purpose), purpose);
            let tried = match profiles::limit_profile(self.version, &target, purpose, value, unit, id, stack_level) {
                Ok(payload) => self.call("SetChargingProfile", payload).await,
                Err(e) => CallOutcome::invalid(e.to_string()),
            };
            match refusal(self.version, purpose, tried) {
                Ok(()) => return self.confirm(&target, purpose, id, unit).await,
                Err(Ok(reason)) => reasons.push(reason),
                Err(Err(failed)) => return failed,
            }
            match profiles::fallback(purpose) {
                Some(next) => purpose = next,
                None => break,
            }
        }
        let answer = json!({
            "status": "Rejected", "purpose": purpose.name(self.version), "chargingProfileId": null,
            "effectiveLimit": null, "unit": unit.as_str(), "reasons": reasons,
        });
        CallOutcome::Result(answer.to_string())
    }

    /// Reads back the limit the station applies now (GetCompositeSchedule).
    async fn confirm(&self, target: &Target, purpose: Purpose, id: i64, unit: RateUnit) -> CallOutcome {
        let evse = evse_of(target, purpose);
        let payload = if self.version == OcppVersion::V16 {
            json!({ "connectorId": evse, "duration": CONFIRM_SECONDS, "chargingRateUnit": unit.as_str() })
        } else {
            json!({ "evseId": evse, "duration": CONFIRM_SECONDS, "chargingRateUnit": unit.as_str() })
        };
        let effective = match self.call("GetCompositeSchedule", payload).await {
            CallOutcome::Result(text) => effective_limit(&text),
            _ => None,
        };
        // The sidebar shows it under the EVSE asked for (0: the whole station).
        let shown = ChargeLimitEntry {
            evse_id: target.evse_id,
            limit: effective,
            unit: unit.as_str(),
            purpose: purpose.name(self.version),
            at: crate::time::now_ms(),
        };
        inspector::note_charge_limit(self.cb_id, target.evse_id, Some(shown));
        let answer = json!({
            "status": "Accepted", "purpose": purpose.name(self.version), "chargingProfileId": id,
            "effectiveLimit": effective, "unit": unit.as_str(),
        });
        CallOutcome::Result(answer.to_string())
    }

    /// Clears the profiles the helper may have installed on `evse_id`: its
    /// ids only, so a flow's own profiles stay.
    async fn clear(&self, evse_id: u32) -> CallOutcome {
        let purposes: &[Purpose] =
            if evse_id == 0 { &[Purpose::StationMax, Purpose::TxDefault] } else { &[Purpose::TxDefault, Purpose::Tx] };
        let mut cleared = Vec::new();
        for &purpose in purposes {
            let id = profiles::profile_id(evse_id, purpose);
            let payload =
                if self.version == OcppVersion::V16 { json!({ "id": id }) } else { json!({ "chargingProfileId": id }) };
            match self.call("ClearChargingProfile", payload).await {
                CallOutcome::Result(text) if status_of(&text).as_deref() == Some("Accepted") => cleared.push(id),
                CallOutcome::Result(_) | CallOutcome::CallError { .. } => {}
                failed => return failed,
            }
        }
        // Whatever the station held there, none of the helper's profiles is left.
        inspector::note_charge_limit(self.cb_id, evse_id, None);
        let status = if cleared.is_empty() { "Unknown" } else { "Accepted" };
        CallOutcome::Result(json!({ "status": status, "cleared": cleared }).to_string())
    }
}

/// The EVSE a profile of `purpose` goes to: 0 for the station maximum.
fn evse_of(target: &Target, purpose: Purpose) -> u32 {
    if purpose == Purpose::StationMax {
        0
    } else {
        target.evse_id
    }
}

/// The CALL that reads the limits in `version`.
fn read_limits(version: OcppVersion) -> (&'static str, Value) {
    if version == OcppVersion::V16 {
        let keys =
            ["ChargeProfileMaxStackLevel", "ChargingScheduleMaxPeriods", "ChargingScheduleAllowedChargingRateUnit"];
        ("GetConfiguration", json!({ "key": keys }))
    } else {
        let data: Vec<Value> = ["ProfileStackLevel", "PeriodsPerSchedule", "RateUnit"]
            .iter()
            .map(|v| json!({ "component": { "name": "SmartChargingCtrlr" }, "variable": { "name": v } }))
            .collect();
        ("GetVariables", json!({ "getVariableData": data }))
    }
}

/// The unit to send: the one asked for unless the station is known not to take it.
fn choose_unit(asked: RateUnit, limits: &StationLimits) -> RateUnit {
    match &limits.rate_units {
        Some(units) if !units.contains(&asked) && !units.is_empty() => units[0],
        _ => asked,
    }
}

/// `Ok` when the station accepted the profile; else the reason to report
/// and try the fallback (`Err(Ok)`), or an outcome that ends the exchange
/// (`Err(Err)`: the station is gone or did not answer).
fn refusal(version: OcppVersion, purpose: Purpose, outcome: CallOutcome) -> Result<(), Result<Value, CallOutcome>> {
    let name = purpose.name(version);
    match outcome {
        CallOutcome::Result(text) => {
            let answer: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            if answer.get("status").and_then(Value::as_str) == Some("Accepted") {
                return Ok(());
            }
            let mut reason = json!({ "purpose": name, "status": answer.get("status").cloned().unwrap_or(Value::Null) });
            if let Some(info) = answer.get("statusInfo") {
                reason["statusInfo"] = info.clone();
            }
            Err(Ok(reason))
        }
        CallOutcome::CallError { code, description, .. } => {
            Err(Ok(json!({ "purpose": name, "callError": code, "description": description })))
        }
        CallOutcome::Failed { failure: Failure::Invalid, message } => {
            Err(Ok(json!({ "purpose": name, "invalid": message })))
        }
        failed => Err(Err(failed)),
    }
}

fn status_of(text: &str) -> Option<String> {
    serde_json::from_str::<Value>(text).ok()?.get("status")?.as_str().map(str::to_owned)
}

/// The limit of the first period of a GetCompositeSchedule answer (1.6
/// `chargingSchedule`, 2.x `schedule`), when the station accepted.
fn effective_limit(text: &str) -> Option<f64> {
    let answer: Value = serde_json::from_str(text).ok()?;
    if answer.get("status")?.as_str()? != "Accepted" {
        return None;
    }
    let schedule = answer.get("schedule").or_else(|| answer.get("chargingSchedule"))?;
    schedule.pointer("/chargingSchedulePeriod/0/limit")?.as_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_the_flow_asks() {
        let ask = parse(SET, r#"{"limit":16,"unit":"A","evseId":2}"#).unwrap();
        assert_eq!(ask, Ask { evse_id: 2, limit: Some(16.0), unit: RateUnit::A, volts: 230.0, phases: 3 });
        assert_eq!(parse(SET, r#"{"limit":null}"#).unwrap().limit, None, "null clears");
        assert_eq!(
            parse(CLEAR, r#"{"evseId":1}"#).unwrap(),
            Ask { evse_id: 1, limit: None, unit: RateUnit::A, volts: 230.0, phases: 3 }
        );
        assert!(parse(SET, "{}").unwrap_err().contains("limit is missing"));
        assert!(parse(SET, r#"{"limit":-1}"#).unwrap_err().contains("at least 0"));
        assert!(parse(SET, r#"{"limit":6,"unit":"kW"}"#).unwrap_err().contains("\"A\" or \"W\""));
        assert!(parse(SET, r#"{"limit":6,"evseId":-1}"#).unwrap_err().contains("evseId"));
        assert!(parse(SET, r#"{"limit":6,"phases":4}"#).unwrap_err().contains("phases"));
        assert!(parse(SET, "[]").unwrap_err().contains("object"));
    }

    #[test]
    fn units_and_read_back() {
        let w_only = StationLimits { rate_units: Some(vec![RateUnit::W]), ..Default::default() };
        assert_eq!(choose_unit(RateUnit::A, &w_only), RateUnit::W);
        assert_eq!(choose_unit(RateUnit::A, &StationLimits::default()), RateUnit::A);
        assert_eq!(
            effective_limit(
                r#"{"status":"Accepted","schedule":{"chargingSchedulePeriod":[{"startPeriod":0,"limit":6}]}}"#
            ),
            Some(6.0)
        );
        assert_eq!(
            effective_limit(
                r#"{"status":"Accepted","chargingSchedule":{"chargingSchedulePeriod":[{"startPeriod":0,"limit":7.5}]}}"#
            ),
            Some(7.5)
        );
        assert_eq!(effective_limit(r#"{"status":"Rejected"}"#), None);
    }
}
