//! The settings table: OCPP 1.6 standard configuration keys and the OCPP 2.0.1
//! component.variable that holds the same setting, so a `GetConfiguration` or
//! `ChangeConfiguration` can reach a 2.x station (as `GetVariables` /
//! `SetVariables`) and the other way round (docs/UNIFIED.md, "Settings").
//!
//! Source: OCPP 2.0.1 Part 2 Appendices ("Referenced Components and
//! Variables"), where each standardized variable names the 1.6 key it
//! replaces, and the OCA's 1.6-to-2.0.1 migration material. Only pairs whose
//! meaning is the same in both versions are listed: a 1.6 key whose 2.0.1
//! counterpart is a variable characteristic (`maxLimit`, e.g.
//! LocalAuthListMaxLength) or differs in meaning (NumberOfConnectors,
//! GetConfigurationMaxKeys) is left out, and comes back in `unknownKey`.

/// How a value is written differently in the two versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conversion {
    /// The same text in both (integers, "true"/"false", measurand lists,
    /// protocol lists).
    Same,
    /// A list of charging rate units: 1.6 "Current,Power", 2.0.1 "A,W".
    RateUnits,
}

/// One setting, in both versions' words.
#[derive(Debug, PartialEq, Eq)]
pub struct Setting {
    /// The 1.6 configuration key.
    pub key16: &'static str,
    /// The 2.0.1 component name.
    pub component: &'static str,
    /// The 2.0.1 variable name.
    pub variable: &'static str,
    /// The 2.0.1 variable instance, where the OCA table gives one.
    pub instance: Option<&'static str>,
    /// Whether 1.6 defines the key read-only ("R"): a 1.6 `configurationKey`
    /// needs `readonly`, which a 2.x `GetVariables` answer does not say. Keys
    /// that 1.6 lets the station choose ("R or RW") are written `false`.
    pub readonly: bool,
    /// How the value is converted between the versions.
    pub conversion: Conversion,
}

const fn s(key16: &'static str, component: &'static str, variable: &'static str, readonly: bool) -> Setting {
    Setting { key16, component, variable, instance: None, readonly, conversion: Conversion::Same }
}

const fn si(
    key16: &'static str,
    component: &'static str,
    variable: &'static str,
    instance: &'static str,
    readonly: bool,
) -> Setting {
    Setting { key16, component, variable, instance: Some(instance), readonly, conversion: Conversion::Same }
}

/// The table (1.6 profiles Core, LocalAuthListManagement, Reservation,
/// SmartCharging, FirmwareManagement).
pub static SETTINGS: &[Setting] = &[
    // Core
    s("AllowOfflineTxForUnknownId", "AuthCtrlr", "OfflineTxForUnknownIdEnabled", false),
    s("AuthorizationCacheEnabled", "AuthCacheCtrlr", "Enabled", false),
    s("AuthorizeRemoteTxRequests", "AuthCtrlr", "AuthorizeRemoteStart", false),
    s("ClockAlignedDataInterval", "AlignedDataCtrlr", "Interval", false),
    s("ConnectionTimeOut", "TxCtrlr", "EVConnectionTimeOut", false),
    s("HeartbeatInterval", "OCPPCommCtrlr", "HeartbeatInterval", false),
    s("LocalAuthorizeOffline", "AuthCtrlr", "LocalAuthorizeOffline", false),
    s("LocalPreAuthorize", "AuthCtrlr", "LocalPreAuthorize", false),
    s("MeterValuesAlignedData", "AlignedDataCtrlr", "Measurands", false),
    s("MeterValuesSampledData", "SampledDataCtrlr", "TxUpdatedMeasurands", false),
    s("MeterValueSampleInterval", "SampledDataCtrlr", "TxUpdatedInterval", false),
    s("ResetRetries", "OCPPCommCtrlr", "ResetRetries", false),
    s("StopTransactionOnEVSideDisconnect", "TxCtrlr", "StopTxOnEVSideDisconnect", false),
    s("StopTransactionOnInvalidId", "TxCtrlr", "StopTxOnInvalidId", false),
    s("StopTxnAlignedData", "AlignedDataCtrlr", "TxEndedMeasurands", false),
    s("StopTxnSampledData", "SampledDataCtrlr", "TxEndedMeasurands", false),
    si("TransactionMessageAttempts", "OCPPCommCtrlr", "MessageAttempts", "TransactionEvent", false),
    si("TransactionMessageRetryInterval", "OCPPCommCtrlr", "MessageAttemptInterval", "TransactionEvent", false),
    s("UnlockConnectorOnEVSideDisconnect", "OCPPCommCtrlr", "UnlockOnEVSideDisconnect", false),
    s("WebSocketPingInterval", "OCPPCommCtrlr", "WebSocketPingInterval", false),
    // LocalAuthListManagement
    s("LocalAuthListEnabled", "LocalAuthListCtrlr", "Enabled", false),
    s("SendLocalListMaxLength", "LocalAuthListCtrlr", "ItemsPerMessage", true),
    // Reservation
    s("ReserveConnectorZeroSupported", "ReservationCtrlr", "NonEvseSpecific", true),
    // SmartCharging
    s("ChargeProfileMaxStackLevel", "SmartChargingCtrlr", "ProfileStackLevel", true),
    Setting {
        key16: "ChargingScheduleAllowedChargingRateUnit",
        component: "SmartChargingCtrlr",
        variable: "RateUnit",
        instance: None,
        readonly: true,
        conversion: Conversion::RateUnits,
    },
    s("ChargingScheduleMaxPeriods", "SmartChargingCtrlr", "PeriodsPerSchedule", true),
    s("ConnectorSwitch3to1PhaseSupported", "SmartChargingCtrlr", "Phases3to1", true),
    // FirmwareManagement
    s("SupportedFileTransferProtocols", "OCPPCommCtrlr", "FileTransferProtocols", true),
];

/// The setting a 1.6 key names (keys compare as 1.6 writes them, case
/// sensitive).
pub fn by_key(key16: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.key16 == key16)
}

/// The setting a 2.0.1 component.variable names, without an instance.
pub fn by_variable(component: &str, variable: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.component == component && s.variable == variable && s.instance.is_none())
}

/// The setting a 2.0.1 component.variable with its variable instance names
/// (`None`: no instance).
pub fn by_variable_instance(component: &str, variable: &str, instance: Option<&str>) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.component == component && s.variable == variable && s.instance == instance)
}

impl Setting {
    /// A 1.6 value in 2.0.1 words.
    pub fn value_to_v2(&self, value: &str) -> String {
        match self.conversion {
            Conversion::Same => value.to_owned(),
            Conversion::RateUnits => map_list(value, &[("Current", "A"), ("Power", "W")]),
        }
    }

    /// A 2.0.1 value in 1.6 words.
    pub fn value_to_v16(&self, value: &str) -> String {
        match self.conversion {
            Conversion::Same => value.to_owned(),
            Conversion::RateUnits => map_list(value, &[("A", "Current"), ("W", "Power")]),
        }
    }
}

/// Maps each item of a comma-separated list; items not in `pairs` stay as
/// they are (the station then judges them), spaces around items are dropped.
fn map_list(value: &str, pairs: &[(&str, &str)]) -> String {
    value
        .split(',')
        .map(str::trim)
        .map(|item| pairs.iter().find(|(from, _)| *from == item).map_or(item, |(_, to)| to))
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_directions_find_the_same_setting() {
        for s in SETTINGS {
            assert_eq!(by_key(s.key16), Some(s));
            assert_eq!(by_variable_instance(s.component, s.variable, s.instance), Some(s));
            if s.instance.is_none() {
                assert_eq!(by_variable(s.component, s.variable), Some(s));
            }
        }
    }

    #[test]
    fn keys_and_variables_are_unique() {
        for (i, a) in SETTINGS.iter().enumerate() {
            for b in &SETTINGS[i + 1..] {
                assert_ne!(a.key16, b.key16);
                assert!((a.component, a.variable, a.instance) != (b.component, b.variable, b.instance), "{}", a.key16);
            }
        }
    }

    #[test]
    fn the_brief_s_examples() {
        let h = by_key("HeartbeatInterval").unwrap();
        assert_eq!((h.component, h.variable), ("OCPPCommCtrlr", "HeartbeatInterval"));
        assert_eq!(by_variable("SampledDataCtrlr", "TxUpdatedInterval").unwrap().key16, "MeterValueSampleInterval");
        assert_eq!(by_variable("SmartChargingCtrlr", "ProfileStackLevel").unwrap().key16, "ChargeProfileMaxStackLevel");
        assert_eq!(
            by_variable("SmartChargingCtrlr", "PeriodsPerSchedule").unwrap().key16,
            "ChargingScheduleMaxPeriods"
        );
        assert_eq!(by_variable("LocalAuthListCtrlr", "Enabled").unwrap().key16, "LocalAuthListEnabled");
        let t = by_key("TransactionMessageAttempts").unwrap();
        assert_eq!(t.instance, Some("TransactionEvent"));
        assert_eq!(by_variable("OCPPCommCtrlr", "MessageAttempts"), None, "needs its instance");
        assert_eq!(by_key("NumberOfConnectors"), None);
        assert_eq!(by_key("heartbeatinterval"), None);
    }

    #[test]
    fn rate_units_convert_both_ways() {
        let r = by_key("ChargingScheduleAllowedChargingRateUnit").unwrap();
        assert_eq!(r.value_to_v2("Current,Power"), "A,W");
        assert_eq!(r.value_to_v2("Power"), "W");
        assert_eq!(r.value_to_v16("A, W"), "Current,Power");
        assert_eq!(r.value_to_v16("W"), "Power");
        let h = by_key("HeartbeatInterval").unwrap();
        assert_eq!(h.value_to_v2("300"), "300");
        assert_eq!(h.value_to_v16("true"), "true");
    }
}
