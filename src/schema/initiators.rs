//! Who starts each action: the schema files name the actions of a version
//! but not which side sends the request. The OCPP specifications do (1.6
//! section 4 "Operations initiated by Charge Point", 2.0.1 and 2.1 Part 2's
//! use cases); this is their list of what a station sends. Everything else
//! in a version's schemas the Central System sends, and DataTransfer goes
//! both ways.

use crate::version::OcppVersion;

/// OCPP 1.6 with the security whitepaper's messages (in 1.6's schema file).
const STATION_16: &[&str] = &[
    "Authorize",
    "BootNotification",
    "DataTransfer",
    "DiagnosticsStatusNotification",
    "FirmwareStatusNotification",
    "Heartbeat",
    "LogStatusNotification",
    "MeterValues",
    "SecurityEventNotification",
    "SignCertificate",
    "SignedFirmwareStatusNotification",
    "StartTransaction",
    "StatusNotification",
    "StopTransaction",
];

const STATION_201: &[&str] = &[
    "Authorize",
    "BootNotification",
    "ClearedChargingLimit",
    "DataTransfer",
    "FirmwareStatusNotification",
    "Get15118EVCertificate",
    "GetCertificateStatus",
    "Heartbeat",
    "LogStatusNotification",
    "MeterValues",
    "NotifyChargingLimit",
    "NotifyCustomerInformation",
    "NotifyDisplayMessages",
    "NotifyEVChargingNeeds",
    "NotifyEVChargingSchedule",
    "NotifyEvent",
    "NotifyMonitoringReport",
    "NotifyReport",
    "PublishFirmwareStatusNotification",
    "ReportChargingProfiles",
    "ReservationStatusUpdate",
    "SecurityEventNotification",
    "SignCertificate",
    "StatusNotification",
    "TransactionEvent",
];

/// What 2.1 adds to 2.0.1's list (NotifyPeriodicEventStream is a SEND).
const STATION_21_ONLY: &[&str] = &[
    "BatterySwap",
    "ClosePeriodicEventStream",
    "GetCertificateChainStatus",
    "NotifyDERAlarm",
    "NotifyDERStartStop",
    "NotifyPeriodicEventStream",
    "NotifyPriorityCharging",
    "NotifySettlement",
    "OpenPeriodicEventStream",
    "PullDynamicScheduleUpdate",
    "ReportDERControl",
    "VatNumberValidation",
];

/// What a station sends in `version`.
pub fn station_actions(version: OcppVersion) -> Vec<&'static str> {
    match version {
        OcppVersion::V16 => STATION_16.to_vec(),
        OcppVersion::V201 => STATION_201.to_vec(),
        OcppVersion::V21 => [STATION_201, STATION_21_ONLY].concat(),
    }
}

/// Whether a station sends `action` in `version` (DataTransfer: yes, and the Central System too).
pub fn station_sends(version: OcppVersion, action: &str) -> bool {
    match version {
        OcppVersion::V16 => STATION_16.contains(&action),
        OcppVersion::V201 => STATION_201.contains(&action),
        OcppVersion::V21 => STATION_201.contains(&action) || STATION_21_ONLY.contains(&action),
    }
}
