//! Meter values in unified words (docs/UNIFIED.md, "Meter values"): the
//! latest reading of each measurand a flow usually wants, as numbers in base
//! units, whatever the version wrote. OCPP 1.6 sends strings with a unit
//! name ("kWh", "W", ...); 2.0.1 and 2.1 send numbers with a
//! `unitOfMeasure {unit, multiplier}` where the value is `value × 10^multiplier`.

use crate::version::OcppVersion;
use serde_json::Value;

/// The unified meter: each field absent when the message has no usable sample.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Meter {
    /// Energy.Active.Import.Register (the default measurand), in Wh.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub energy_wh: Option<f64>,
    /// Power.Active.Import, in W.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub power_w: Option<f64>,
    /// Current.Import, in A (the highest phase when only phases are sent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_a: Option<f64>,
    /// Voltage, in V (the mean of the phases when only phases are sent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voltage_v: Option<f64>,
    /// SoC, in percent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub soc_percent: Option<f64>,
}

impl Meter {
    /// Whether no field is known.
    pub fn is_empty(&self) -> bool {
        *self == Meter::default()
    }

    /// Fields of `later` replace this one's where `later` has them.
    pub fn merge(&mut self, later: Meter) {
        let pick = |a: &mut Option<f64>, b: Option<f64>| {
            if b.is_some() {
                *a = b;
            }
        };
        pick(&mut self.energy_wh, later.energy_wh);
        pick(&mut self.power_w, later.power_w);
        pick(&mut self.current_a, later.current_a);
        pick(&mut self.voltage_v, later.voltage_v);
        pick(&mut self.soc_percent, later.soc_percent);
    }
}

/// The measurands the unified meter reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quantity {
    Energy,
    Power,
    Current,
    Voltage,
    Soc,
}

impl Quantity {
    /// The OCPP measurand name; a sample without one is Energy.Active.Import.Register
    /// (1.6 §7.31, 2.0.1 SampledValueType.measurand).
    fn of(measurand: Option<&str>) -> Option<Self> {
        match measurand.unwrap_or("Energy.Active.Import.Register") {
            "Energy.Active.Import.Register" => Some(Self::Energy),
            "Power.Active.Import" => Some(Self::Power),
            "Current.Import" => Some(Self::Current),
            "Voltage" => Some(Self::Voltage),
            "SoC" => Some(Self::Soc),
            _ => None,
        }
    }

    /// The factor from `unit` to this quantity's base unit; `None` for a unit
    /// that does not measure it (a sample in "varh" is not active energy).
    /// A missing unit is the measurand's own base unit: 2.x's schema default
    /// "Wh" only makes sense for energy, and a station that omits it for a
    /// current means amperes.
    fn factor(self, unit: Option<&str>) -> Option<f64> {
        match (self, unit) {
            (_, None) => Some(1.0),
            (Self::Energy, Some("Wh")) | (Self::Power, Some("W")) => Some(1.0),
            (Self::Energy, Some("kWh")) | (Self::Power, Some("kW")) => Some(1000.0),
            (Self::Current, Some("A")) | (Self::Voltage, Some("V")) => Some(1.0),
            (Self::Soc, Some("Percent")) => Some(1.0),
            _ => None,
        }
    }
}

/// One usable sample: its quantity, its value in base units, its phase.
struct Sample<'a> {
    quantity: Quantity,
    value: f64,
    phase: Option<&'a str>,
}

/// Reads one sampledValue; `None` for what the unified meter does not carry
/// (other measurands, other units, signed data, a location other than the
/// outlet for anything but SoC, a value that is not a finite number once the
/// multiplier is applied).
fn sample(version: OcppVersion, sv: &Value) -> Option<Sample<'_>> {
    let quantity = Quantity::of(sv.get("measurand").and_then(Value::as_str))?;
    let location = sv.get("location").and_then(Value::as_str);
    if quantity != Quantity::Soc && location.is_some_and(|l| l != "Outlet") {
        return None;
    }
    let (raw, unit, multiplier) = if version.is_2x() {
        let uom = sv.get("unitOfMeasure");
        let unit = uom.and_then(|u| u.get("unit")).and_then(Value::as_str);
        let multiplier = uom.and_then(|u| u.get("multiplier")).and_then(Value::as_i64).unwrap_or(0);
        (sv.get("value").and_then(Value::as_f64)?, unit, multiplier)
    } else {
        if sv.get("format").and_then(Value::as_str) == Some("SignedData") {
            return None;
        }
        let text = sv.get("value").and_then(Value::as_str)?;
        (text.trim().parse::<f64>().ok()?, sv.get("unit").and_then(Value::as_str), 0)
    };
    let multiplier = i32::try_from(multiplier).ok()?;
    let value = raw * quantity.factor(unit)? * 10f64.powi(multiplier);
    value.is_finite().then_some(Sample { quantity, value, phase: sv.get("phase").and_then(Value::as_str) })
}

/// Folds one MeterValue's samples of a quantity into one number: the
/// phase-less sample if there is one; otherwise energy and power are the sum
/// of the line phases (L1, L2, L3, or L1-N, L2-N, L3-N), current the highest
/// line phase (what a per-phase limit acts on), voltage the mean of the line
/// phases. Line-to-line and neutral samples are not used.
fn fold(quantity: Quantity, samples: &[Sample<'_>]) -> Option<f64> {
    let mine = samples.iter().filter(|s| s.quantity == quantity);
    if let Some(whole) = mine.clone().rfind(|s| s.phase.is_none()) {
        return Some(whole.value);
    }
    let lines: Vec<f64> = mine
        .filter(|s| matches!(s.phase, Some("L1" | "L2" | "L3" | "L1-N" | "L2-N" | "L3-N")))
        .map(|s| s.value)
        .collect();
    if lines.is_empty() {
        return None;
    }
    Some(match quantity {
        Quantity::Energy | Quantity::Power => lines.iter().sum(),
        Quantity::Current => lines.iter().copied().fold(f64::MIN, f64::max),
        Quantity::Voltage | Quantity::Soc => lines.iter().sum::<f64>() / lines.len() as f64,
    })
}

/// The meter of one MeterValue object (`{timestamp, sampledValue: [...]}`).
fn one(version: OcppVersion, mv: &Value) -> Meter {
    let samples: Vec<Sample<'_>> = mv
        .get("sampledValue")
        .and_then(Value::as_array)
        .map(|svs| svs.iter().filter_map(|sv| sample(version, sv)).collect())
        .unwrap_or_default();
    Meter {
        energy_wh: fold(Quantity::Energy, &samples),
        power_w: fold(Quantity::Power, &samples),
        current_a: fold(Quantity::Current, &samples),
        voltage_v: fold(Quantity::Voltage, &samples),
        soc_percent: fold(Quantity::Soc, &samples),
    }
}

/// The latest sample of each measurand, units and multipliers applied (1.6:
/// strings, unit "kWh"/"kW"/..., default measurand Energy.Active.Import.Register
/// in Wh; 2.x: numbers, unitOfMeasure {unit, multiplier}). `meter_value` is a
/// message's `meterValue` (or 1.6 `transactionData`) array, or one MeterValue
/// object. "Latest" is the message's order: stations list MeterValues oldest
/// first, so a later MeterValue's reading replaces an earlier one's. `None`
/// when nothing usable is there.
pub fn from_meter_values(version: OcppVersion, meter_value: &Value) -> Option<Meter> {
    let mut meter = Meter::default();
    match meter_value {
        Value::Array(list) => list.iter().for_each(|mv| meter.merge(one(version, mv))),
        Value::Object(_) => meter = one(version, meter_value),
        _ => {}
    }
    (!meter.is_empty()).then_some(meter)
}

/// The timestamp of the last MeterValue in `meter_value` (array or object).
pub fn last_timestamp(meter_value: &Value) -> Option<&str> {
    let last = match meter_value {
        Value::Array(list) => list.last()?,
        other => other,
    };
    last.get("timestamp").and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const V16: OcppVersion = OcppVersion::V16;

    fn mv16(samples: Value) -> Value {
        json!([{ "timestamp": "2026-01-01T00:00:00Z", "sampledValue": samples }])
    }

    #[test]
    fn v16_default_measurand_is_energy_in_wh() {
        let m = from_meter_values(V16, &mv16(json!([{ "value": "1234" }]))).unwrap();
        assert_eq!(m, Meter { energy_wh: Some(1234.0), ..Meter::default() });
    }

    #[test]
    fn v16_kwh_and_kw_become_wh_and_w() {
        let m = from_meter_values(
            V16,
            &mv16(json!([
                { "value": "12.5", "unit": "kWh", "measurand": "Energy.Active.Import.Register" },
                { "value": "7.4", "unit": "kW", "measurand": "Power.Active.Import" },
                { "value": "16", "unit": "A", "measurand": "Current.Import" },
                { "value": "230.5", "unit": "V", "measurand": "Voltage" },
                { "value": "55", "unit": "Percent", "measurand": "SoC", "location": "EV" }
            ])),
        )
        .unwrap();
        assert_eq!(m.energy_wh, Some(12500.0));
        assert!((m.power_w.unwrap() - 7400.0).abs() < 1e-9);
        assert_eq!(m.current_a, Some(16.0));
        assert_eq!(m.voltage_v, Some(230.5));
        assert_eq!(m.soc_percent, Some(55.0));
    }

    #[test]
    fn other_units_measurands_locations_and_signed_data_are_ignored() {
        let m = from_meter_values(
            V16,
            &mv16(json!([
                { "value": "5", "unit": "kvarh", "measurand": "Energy.Active.Import.Register" },
                { "value": "5", "measurand": "Energy.Reactive.Import.Register" },
                { "value": "9000", "measurand": "Power.Active.Import", "location": "Inlet" },
                { "value": "ABCDEF", "format": "SignedData" },
                { "value": "not a number" }
            ])),
        );
        assert_eq!(m, None);
    }

    #[test]
    fn phases_energy_and_power_summed_current_max_voltage_mean() {
        let m = from_meter_values(
            V16,
            &mv16(json!([
                { "value": "1000", "measurand": "Power.Active.Import", "phase": "L1", "unit": "W" },
                { "value": "1100", "measurand": "Power.Active.Import", "phase": "L2", "unit": "W" },
                { "value": "1200", "measurand": "Power.Active.Import", "phase": "L3", "unit": "W" },
                { "value": "10", "measurand": "Current.Import", "phase": "L1" },
                { "value": "12", "measurand": "Current.Import", "phase": "L2" },
                { "value": "3", "measurand": "Current.Import", "phase": "N" },
                { "value": "230", "measurand": "Voltage", "phase": "L1-N" },
                { "value": "232", "measurand": "Voltage", "phase": "L2-N" },
                { "value": "400", "measurand": "Voltage", "phase": "L1-L2" }
            ])),
        )
        .unwrap();
        assert_eq!(m.power_w, Some(3300.0));
        assert_eq!(m.current_a, Some(12.0));
        assert_eq!(m.voltage_v, Some(231.0));
    }

    #[test]
    fn the_phaseless_sample_wins_over_phases() {
        let m = from_meter_values(
            V16,
            &mv16(json!([
                { "value": "1", "unit": "kWh", "phase": "L1" },
                { "value": "5", "unit": "kWh" },
                { "value": "1", "unit": "kWh", "phase": "L2" }
            ])),
        )
        .unwrap();
        assert_eq!(m.energy_wh, Some(5000.0));
    }

    #[test]
    fn the_latest_meter_value_wins_per_measurand() {
        let m = from_meter_values(
            V16,
            &json!([
                { "timestamp": "2026-01-01T00:00:00Z", "sampledValue": [{ "value": "100" }, { "value": "50", "measurand": "SoC" }] },
                { "timestamp": "2026-01-01T00:01:00Z", "sampledValue": [{ "value": "200" }] }
            ]),
        )
        .unwrap();
        assert_eq!(m.energy_wh, Some(200.0));
        assert_eq!(m.soc_percent, Some(50.0));
    }

    #[test]
    fn v2x_numbers_with_unit_and_multiplier() {
        for v in [OcppVersion::V201, OcppVersion::V21] {
            let m = from_meter_values(
                v,
                &json!([{ "timestamp": "2026-01-01T00:00:00Z", "sampledValue": [
                    { "value": 12.5, "unitOfMeasure": { "unit": "kWh" } },
                    { "value": 74, "measurand": "Power.Active.Import", "unitOfMeasure": { "unit": "W", "multiplier": 2 } },
                    { "value": 160, "measurand": "Current.Import", "unitOfMeasure": { "unit": "A", "multiplier": -1 } },
                    { "value": 230, "measurand": "Voltage" },
                    { "value": 80, "measurand": "SoC", "location": "EV", "unitOfMeasure": { "unit": "Percent" } }
                ]}]),
            )
            .unwrap();
            assert_eq!(m.energy_wh, Some(12500.0), "{v:?}");
            assert_eq!(m.power_w, Some(7400.0), "{v:?}");
            assert!((m.current_a.unwrap() - 16.0).abs() < 1e-9, "{v:?}");
            assert_eq!(m.voltage_v, Some(230.0), "{v:?}");
            assert_eq!(m.soc_percent, Some(80.0), "{v:?}");
        }
    }

    #[test]
    fn v2x_strings_are_not_numbers_and_v16_numbers_are_not_strings() {
        let as_string = json!({ "timestamp": "t", "sampledValue": [{ "value": "5" }] });
        assert_eq!(from_meter_values(OcppVersion::V201, &as_string), None);
        let as_number = json!({ "timestamp": "t", "sampledValue": [{ "value": 5 }] });
        assert_eq!(from_meter_values(V16, &as_number), None);
    }

    #[test]
    fn one_object_and_nonsense_input() {
        let obj = json!({ "timestamp": "t", "sampledValue": [{ "value": "7" }] });
        assert_eq!(from_meter_values(V16, &obj).unwrap().energy_wh, Some(7.0));
        assert_eq!(from_meter_values(V16, &json!("x")), None);
        assert_eq!(from_meter_values(V16, &json!([1, null, {}])), None);
        let huge =
            json!([{ "timestamp": "t", "sampledValue": [{ "value": 1, "unitOfMeasure": { "multiplier": 400 } }] }]);
        assert_eq!(from_meter_values(OcppVersion::V201, &huge), None, "10^400 is no reading");
    }

    #[test]
    fn serialises_camel_case_without_absent_fields() {
        let m = Meter { energy_wh: Some(1.0), soc_percent: Some(2.0), ..Meter::default() };
        assert_eq!(serde_json::to_value(&m).unwrap(), json!({ "energyWh": 1.0, "socPercent": 2.0 }));
    }

    #[test]
    fn last_timestamp_of_array_and_object() {
        assert_eq!(last_timestamp(&json!([{ "timestamp": "a" }, { "timestamp": "b" }])), Some("b"));
        assert_eq!(last_timestamp(&json!({ "timestamp": "c" })), Some("c"));
        assert_eq!(last_timestamp(&json!([])), None);
    }
}
