//! Message tables of the OCPP 1.5 and 1.6 SOAP services, generated from the
//! OCA WSDLs in `src/soap/wsdl/` by `scripts/gen-soap-tables.js`. Do not edit:
//! run `node scripts/gen-soap-tables.js && cargo fmt` instead.

use super::operation::{Field, Operation, Place, Table, Ty};

pub static CS15: Table = Table {
    namespace: "urn://Ocpp/Cs/2012/06/",
    operations: &[
        Operation {
            name: "Authorize",
            request: "authorizeRequest",
            request_fields: CS15_AUTHORIZE_REQUEST,
            response: "authorizeResponse",
            response_fields: CS15_AUTHORIZE_RESPONSE,
        },
        Operation {
            name: "StartTransaction",
            request: "startTransactionRequest",
            request_fields: CS15_START_TRANSACTION_REQUEST,
            response: "startTransactionResponse",
            response_fields: CS15_START_TRANSACTION_RESPONSE,
        },
        Operation {
            name: "StopTransaction",
            request: "stopTransactionRequest",
            request_fields: CS15_STOP_TRANSACTION_REQUEST,
            response: "stopTransactionResponse",
            response_fields: CS15_STOP_TRANSACTION_RESPONSE,
        },
        Operation {
            name: "Heartbeat",
            request: "heartbeatRequest",
            request_fields: CS15_HEARTBEAT_REQUEST,
            response: "heartbeatResponse",
            response_fields: CS15_HEARTBEAT_RESPONSE,
        },
        Operation {
            name: "MeterValues",
            request: "meterValuesRequest",
            request_fields: CS15_METER_VALUES_REQUEST,
            response: "meterValuesResponse",
            response_fields: CS15_METER_VALUES_RESPONSE,
        },
        Operation {
            name: "BootNotification",
            request: "bootNotificationRequest",
            request_fields: CS15_BOOT_NOTIFICATION_REQUEST,
            response: "bootNotificationResponse",
            response_fields: CS15_BOOT_NOTIFICATION_RESPONSE,
        },
        Operation {
            name: "StatusNotification",
            request: "statusNotificationRequest",
            request_fields: CS15_STATUS_NOTIFICATION_REQUEST,
            response: "statusNotificationResponse",
            response_fields: CS15_STATUS_NOTIFICATION_RESPONSE,
        },
        Operation {
            name: "FirmwareStatusNotification",
            request: "firmwareStatusNotificationRequest",
            request_fields: CS15_FIRMWARE_STATUS_NOTIFICATION_REQUEST,
            response: "firmwareStatusNotificationResponse",
            response_fields: CS15_FIRMWARE_STATUS_NOTIFICATION_RESPONSE,
        },
        Operation {
            name: "DiagnosticsStatusNotification",
            request: "diagnosticsStatusNotificationRequest",
            request_fields: CS15_DIAGNOSTICS_STATUS_NOTIFICATION_REQUEST,
            response: "diagnosticsStatusNotificationResponse",
            response_fields: CS15_DIAGNOSTICS_STATUS_NOTIFICATION_RESPONSE,
        },
        Operation {
            name: "DataTransfer",
            request: "dataTransferRequest",
            request_fields: CS15_DATA_TRANSFER_REQUEST,
            response: "dataTransferResponse",
            response_fields: CS15_DATA_TRANSFER_RESPONSE,
        },
    ],
};

pub static CS16: Table = Table {
    namespace: "urn://Ocpp/Cs/2015/10/",
    operations: &[
        Operation {
            name: "Authorize",
            request: "authorizeRequest",
            request_fields: CS16_AUTHORIZE_REQUEST,
            response: "authorizeResponse",
            response_fields: CS16_AUTHORIZE_RESPONSE,
        },
        Operation {
            name: "BootNotification",
            request: "bootNotificationRequest",
            request_fields: CS16_BOOT_NOTIFICATION_REQUEST,
            response: "bootNotificationResponse",
            response_fields: CS16_BOOT_NOTIFICATION_RESPONSE,
        },
        Operation {
            name: "DataTransfer",
            request: "dataTransferRequest",
            request_fields: CS16_DATA_TRANSFER_REQUEST,
            response: "dataTransferResponse",
            response_fields: CS16_DATA_TRANSFER_RESPONSE,
        },
        Operation {
            name: "DiagnosticsStatusNotification",
            request: "diagnosticsStatusNotificationRequest",
            request_fields: CS16_DIAGNOSTICS_STATUS_NOTIFICATION_REQUEST,
            response: "diagnosticsStatusNotificationResponse",
            response_fields: CS16_DIAGNOSTICS_STATUS_NOTIFICATION_RESPONSE,
        },
        Operation {
            name: "FirmwareStatusNotification",
            request: "firmwareStatusNotificationRequest",
            request_fields: CS16_FIRMWARE_STATUS_NOTIFICATION_REQUEST,
            response: "firmwareStatusNotificationResponse",
            response_fields: CS16_FIRMWARE_STATUS_NOTIFICATION_RESPONSE,
        },
        Operation {
            name: "Heartbeat",
            request: "heartbeatRequest",
            request_fields: CS16_HEARTBEAT_REQUEST,
            response: "heartbeatResponse",
            response_fields: CS16_HEARTBEAT_RESPONSE,
        },
        Operation {
            name: "MeterValues",
            request: "meterValuesRequest",
            request_fields: CS16_METER_VALUES_REQUEST,
            response: "meterValuesResponse",
            response_fields: CS16_METER_VALUES_RESPONSE,
        },
        Operation {
            name: "StartTransaction",
            request: "startTransactionRequest",
            request_fields: CS16_START_TRANSACTION_REQUEST,
            response: "startTransactionResponse",
            response_fields: CS16_START_TRANSACTION_RESPONSE,
        },
        Operation {
            name: "StatusNotification",
            request: "statusNotificationRequest",
            request_fields: CS16_STATUS_NOTIFICATION_REQUEST,
            response: "statusNotificationResponse",
            response_fields: CS16_STATUS_NOTIFICATION_RESPONSE,
        },
        Operation {
            name: "StopTransaction",
            request: "stopTransactionRequest",
            request_fields: CS16_STOP_TRANSACTION_REQUEST,
            response: "stopTransactionResponse",
            response_fields: CS16_STOP_TRANSACTION_RESPONSE,
        },
    ],
};

pub static CP15: Table = Table {
    namespace: "urn://Ocpp/Cp/2012/06/",
    operations: &[
        Operation {
            name: "UnlockConnector",
            request: "unlockConnectorRequest",
            request_fields: CP15_UNLOCK_CONNECTOR_REQUEST,
            response: "unlockConnectorResponse",
            response_fields: CP15_UNLOCK_CONNECTOR_RESPONSE,
        },
        Operation {
            name: "Reset",
            request: "resetRequest",
            request_fields: CP15_RESET_REQUEST,
            response: "resetResponse",
            response_fields: CP15_RESET_RESPONSE,
        },
        Operation {
            name: "ChangeAvailability",
            request: "changeAvailabilityRequest",
            request_fields: CP15_CHANGE_AVAILABILITY_REQUEST,
            response: "changeAvailabilityResponse",
            response_fields: CP15_CHANGE_AVAILABILITY_RESPONSE,
        },
        Operation {
            name: "GetDiagnostics",
            request: "getDiagnosticsRequest",
            request_fields: CP15_GET_DIAGNOSTICS_REQUEST,
            response: "getDiagnosticsResponse",
            response_fields: CP15_GET_DIAGNOSTICS_RESPONSE,
        },
        Operation {
            name: "ClearCache",
            request: "clearCacheRequest",
            request_fields: CP15_CLEAR_CACHE_REQUEST,
            response: "clearCacheResponse",
            response_fields: CP15_CLEAR_CACHE_RESPONSE,
        },
        Operation {
            name: "UpdateFirmware",
            request: "updateFirmwareRequest",
            request_fields: CP15_UPDATE_FIRMWARE_REQUEST,
            response: "updateFirmwareResponse",
            response_fields: CP15_UPDATE_FIRMWARE_RESPONSE,
        },
        Operation {
            name: "ChangeConfiguration",
            request: "changeConfigurationRequest",
            request_fields: CP15_CHANGE_CONFIGURATION_REQUEST,
            response: "changeConfigurationResponse",
            response_fields: CP15_CHANGE_CONFIGURATION_RESPONSE,
        },
        Operation {
            name: "RemoteStartTransaction",
            request: "remoteStartTransactionRequest",
            request_fields: CP15_REMOTE_START_TRANSACTION_REQUEST,
            response: "remoteStartTransactionResponse",
            response_fields: CP15_REMOTE_START_TRANSACTION_RESPONSE,
        },
        Operation {
            name: "RemoteStopTransaction",
            request: "remoteStopTransactionRequest",
            request_fields: CP15_REMOTE_STOP_TRANSACTION_REQUEST,
            response: "remoteStopTransactionResponse",
            response_fields: CP15_REMOTE_STOP_TRANSACTION_RESPONSE,
        },
        Operation {
            name: "CancelReservation",
            request: "cancelReservationRequest",
            request_fields: CP15_CANCEL_RESERVATION_REQUEST,
            response: "cancelReservationResponse",
            response_fields: CP15_CANCEL_RESERVATION_RESPONSE,
        },
        Operation {
            name: "DataTransfer",
            request: "dataTransferRequest",
            request_fields: CP15_DATA_TRANSFER_REQUEST,
            response: "dataTransferResponse",
            response_fields: CP15_DATA_TRANSFER_RESPONSE,
        },
        Operation {
            name: "GetConfiguration",
            request: "getConfigurationRequest",
            request_fields: CP15_GET_CONFIGURATION_REQUEST,
            response: "getConfigurationResponse",
            response_fields: CP15_GET_CONFIGURATION_RESPONSE,
        },
        Operation {
            name: "GetLocalListVersion",
            request: "getLocalListVersionRequest",
            request_fields: CP15_GET_LOCAL_LIST_VERSION_REQUEST,
            response: "getLocalListVersionResponse",
            response_fields: CP15_GET_LOCAL_LIST_VERSION_RESPONSE,
        },
        Operation {
            name: "ReserveNow",
            request: "reserveNowRequest",
            request_fields: CP15_RESERVE_NOW_REQUEST,
            response: "reserveNowResponse",
            response_fields: CP15_RESERVE_NOW_RESPONSE,
        },
        Operation {
            name: "SendLocalList",
            request: "sendLocalListRequest",
            request_fields: CP15_SEND_LOCAL_LIST_REQUEST,
            response: "sendLocalListResponse",
            response_fields: CP15_SEND_LOCAL_LIST_RESPONSE,
        },
    ],
};

pub static CP16: Table = Table {
    namespace: "urn://Ocpp/Cp/2015/10/",
    operations: &[
        Operation {
            name: "CancelReservation",
            request: "cancelReservationRequest",
            request_fields: CP16_CANCEL_RESERVATION_REQUEST,
            response: "cancelReservationResponse",
            response_fields: CP16_CANCEL_RESERVATION_RESPONSE,
        },
        Operation {
            name: "ChangeAvailability",
            request: "changeAvailabilityRequest",
            request_fields: CP16_CHANGE_AVAILABILITY_REQUEST,
            response: "changeAvailabilityResponse",
            response_fields: CP16_CHANGE_AVAILABILITY_RESPONSE,
        },
        Operation {
            name: "ChangeConfiguration",
            request: "changeConfigurationRequest",
            request_fields: CP16_CHANGE_CONFIGURATION_REQUEST,
            response: "changeConfigurationResponse",
            response_fields: CP16_CHANGE_CONFIGURATION_RESPONSE,
        },
        Operation {
            name: "ClearCache",
            request: "clearCacheRequest",
            request_fields: CP16_CLEAR_CACHE_REQUEST,
            response: "clearCacheResponse",
            response_fields: CP16_CLEAR_CACHE_RESPONSE,
        },
        Operation {
            name: "ClearChargingProfile",
            request: "clearChargingProfileRequest",
            request_fields: CP16_CLEAR_CHARGING_PROFILE_REQUEST,
            response: "clearChargingProfileResponse",
            response_fields: CP16_CLEAR_CHARGING_PROFILE_RESPONSE,
        },
        Operation {
            name: "DataTransfer",
            request: "dataTransferRequest",
            request_fields: CP16_DATA_TRANSFER_REQUEST,
            response: "dataTransferResponse",
            response_fields: CP16_DATA_TRANSFER_RESPONSE,
        },
        Operation {
            name: "GetConfiguration",
            request: "getConfigurationRequest",
            request_fields: CP16_GET_CONFIGURATION_REQUEST,
            response: "getConfigurationResponse",
            response_fields: CP16_GET_CONFIGURATION_RESPONSE,
        },
        Operation {
            name: "GetDiagnostics",
            request: "getDiagnosticsRequest",
            request_fields: CP16_GET_DIAGNOSTICS_REQUEST,
            response: "getDiagnosticsResponse",
            response_fields: CP16_GET_DIAGNOSTICS_RESPONSE,
        },
        Operation {
            name: "GetLocalListVersion",
            request: "getLocalListVersionRequest",
            request_fields: CP16_GET_LOCAL_LIST_VERSION_REQUEST,
            response: "getLocalListVersionResponse",
            response_fields: CP16_GET_LOCAL_LIST_VERSION_RESPONSE,
        },
        Operation {
            name: "RemoteStartTransaction",
            request: "remoteStartTransactionRequest",
            request_fields: CP16_REMOTE_START_TRANSACTION_REQUEST,
            response: "remoteStartTransactionResponse",
            response_fields: CP16_REMOTE_START_TRANSACTION_RESPONSE,
        },
        Operation {
            name: "RemoteStopTransaction",
            request: "remoteStopTransactionRequest",
            request_fields: CP16_REMOTE_STOP_TRANSACTION_REQUEST,
            response: "remoteStopTransactionResponse",
            response_fields: CP16_REMOTE_STOP_TRANSACTION_RESPONSE,
        },
        Operation {
            name: "GetCompositeSchedule",
            request: "getCompositeScheduleRequest",
            request_fields: CP16_GET_COMPOSITE_SCHEDULE_REQUEST,
            response: "getCompositeScheduleResponse",
            response_fields: CP16_GET_COMPOSITE_SCHEDULE_RESPONSE,
        },
        Operation {
            name: "ReserveNow",
            request: "reserveNowRequest",
            request_fields: CP16_RESERVE_NOW_REQUEST,
            response: "reserveNowResponse",
            response_fields: CP16_RESERVE_NOW_RESPONSE,
        },
        Operation {
            name: "Reset",
            request: "resetRequest",
            request_fields: CP16_RESET_REQUEST,
            response: "resetResponse",
            response_fields: CP16_RESET_RESPONSE,
        },
        Operation {
            name: "SendLocalList",
            request: "sendLocalListRequest",
            request_fields: CP16_SEND_LOCAL_LIST_REQUEST,
            response: "sendLocalListResponse",
            response_fields: CP16_SEND_LOCAL_LIST_RESPONSE,
        },
        Operation {
            name: "SetChargingProfile",
            request: "setChargingProfileRequest",
            request_fields: CP16_SET_CHARGING_PROFILE_REQUEST,
            response: "setChargingProfileResponse",
            response_fields: CP16_SET_CHARGING_PROFILE_RESPONSE,
        },
        Operation {
            name: "TriggerMessage",
            request: "triggerMessageRequest",
            request_fields: CP16_TRIGGER_MESSAGE_REQUEST,
            response: "triggerMessageResponse",
            response_fields: CP16_TRIGGER_MESSAGE_RESPONSE,
        },
        Operation {
            name: "UnlockConnector",
            request: "unlockConnectorRequest",
            request_fields: CP16_UNLOCK_CONNECTOR_REQUEST,
            response: "unlockConnectorResponse",
            response_fields: CP16_UNLOCK_CONNECTOR_RESPONSE,
        },
        Operation {
            name: "UpdateFirmware",
            request: "updateFirmwareRequest",
            request_fields: CP16_UPDATE_FIRMWARE_REQUEST,
            response: "updateFirmwareResponse",
            response_fields: CP16_UPDATE_FIRMWARE_RESPONSE,
        },
    ],
};

static CS15_AUTHORIZE_REQUEST: &[Field] =
    &[Field { name: "idTag", ty: Ty::Str(Some(20)), min: 1, many: false, place: Place::Element }];

static CS15_AUTHORIZE_RESPONSE: &[Field] =
    &[Field { name: "idTagInfo", ty: Ty::Complex(CS15_ID_TAG_INFO), min: 1, many: false, place: Place::Element }];

static CS15_ID_TAG_INFO: &[Field] = &[
    Field {
        name: "status",
        ty: Ty::Enum(&["Accepted", "Blocked", "Expired", "Invalid", "ConcurrentTx"]),
        min: 1,
        many: false,
        place: Place::Element,
    },
    Field { name: "expiryDate", ty: Ty::DateTime, min: 0, many: false, place: Place::Element },
    Field { name: "parentIdTag", ty: Ty::Str(Some(20)), min: 0, many: false, place: Place::Element },
];

static CS15_START_TRANSACTION_REQUEST: &[Field] = &[
    Field { name: "connectorId", ty: Ty::Int, min: 1, many: false, place: Place::Element },
    Field { name: "idTag", ty: Ty::Str(Some(20)), min: 1, many: false, place: Place::Element },
    Field { name: "timestamp", ty: Ty::DateTime, min: 1, many: false, place: Place::Element },
    Field { name: "meterStart", ty: Ty::Int, min: 1, many: false, place: Place::Element },
    Field { name: "reservationId", ty: Ty::Int, min: 0, many: false, place: Place::Element },
];

static CS15_START_TRANSACTION_RESPONSE: &[Field] = &[
    Field { name: "transactionId", ty: Ty::Int, min: 1, many: false, place: Place::Element },
    Field { name: "idTagInfo", ty: Ty::Complex(CS15_ID_TAG_INFO), min: 1, many: false, place: Place::Element },
];

static CS15_STOP_TRANSACTION_REQUEST: &[Field] = &[
    Field { name: "transactionId", ty: Ty::Int, min: 1, many: false, place: Place::Element },
    Field { name: "idTag", ty: Ty::Str(Some(20)), min: 0, many: false, place: Place::Element },
    Field { name: "timestamp", ty: Ty::DateTime, min: 1, many: false, place: Place::Element },
    Field { name: "meterStop", ty: Ty::Int, min: 1, many: false, place: Place::Element },
    Field {
        name: "transactionData",
        ty: Ty::Complex(CS15_TRANSACTION_DATA),
        min: 0,
        many: true,
        place: Place::Element,
    },
];

static CS15_TRANSACTION_DATA: &[Field] =
    &[Field { name: "values", ty: Ty::Complex(CS15_METER_VALUE), min: 0, many: true, place: Place::Element }];

static CS15_METER_VALUE: &[Field] = &[
    Field { name: "timestamp", ty: Ty::DateTime, min: 1, many: false, place: Place::Element },
    Field { name: "value", ty: Ty::Complex(CS15_METER_VALUE_VALUE), min: 1, many: true, place: Place::Element },
];

static CS15_METER_VALUE_VALUE: &[Field] = &[
    Field { name: "value", ty: Ty::Str(None), min: 1, many: false, place: Place::Text },
    Field {
        name: "context",
        ty: Ty::Enum(&[
            "Interruption.Begin",
            "Interruption.End",
            "Sample.Clock",
            "Sample.Periodic",
            "Transaction.Begin",
            "Transaction.End",
        ]),
        min: 0,
        many: false,
        place: Place::Attribute,
    },
    Field { name: "format", ty: Ty::Enum(&["Raw", "SignedData"]), min: 0, many: false, place: Place::Attribute },
    Field {
        name: "measurand",
        ty: Ty::Enum(&[
            "Energy.Active.Export.Register",
            "Energy.Active.Import.Register",
            "Energy.Reactive.Export.Register",
            "Energy.Reactive.Import.Register",
            "Energy.Active.Export.Interval",
            "Energy.Active.Import.Interval",
            "Energy.Reactive.Export.Interval",
            "Energy.Reactive.Import.Interval",
            "Power.Active.Export",
            "Power.Active.Import",
            "Power.Reactive.Export",
            "Power.Reactive.Import",
            "Current.Export",
            "Current.Import",
            "Voltage",
            "Temperature",
        ]),
        min: 0,
        many: false,
        place: Place::Attribute,
    },
    Field {
        name: "location",
        ty: Ty::Enum(&["Inlet", "Outlet", "Body"]),
        min: 0,
        many: false,
        place: Place::Attribute,
    },
    Field {
        name: "unit",
        ty: Ty::Enum(&["Wh", "kWh", "varh", "kvarh", "W", "kW", "var", "kvar", "Amp", "Volt", "Celsius"]),
        min: 0,
        many: false,
        place: Place::Attribute,
    },
];

static CS15_STOP_TRANSACTION_RESPONSE: &[Field] =
    &[Field { name: "idTagInfo", ty: Ty::Complex(CS15_ID_TAG_INFO), min: 0, many: false, place: Place::Element }];

static CS15_HEARTBEAT_REQUEST: &[Field] = &[];

static CS15_HEARTBEAT_RESPONSE: &[Field] =
    &[Field { name: "currentTime", ty: Ty::DateTime, min: 1, many: false, place: Place::Element }];

static CS15_METER_VALUES_REQUEST: &[Field] = &[
    Field { name: "connectorId", ty: Ty::Int, min: 1, many: false, place: Place::Element },
    Field { name: "transactionId", ty: Ty::Int, min: 0, many: false, place: Place::Element },
    Field { name: "values", ty: Ty::Complex(CS15_METER_VALUE), min: 0, many: true, place: Place::Element },
];

static CS15_METER_VALUES_RESPONSE: &[Field] = &[];

static CS15_BOOT_NOTIFICATION_REQUEST: &[Field] = &[
    Field { name: "chargePointVendor", ty: Ty::Str(Some(20)), min: 1, many: false, place: Place::Element },
    Field { name: "chargePointModel", ty: Ty::Str(Some(20)), min: 1, many: false, place: Place::Element },
    Field { name: "chargePointSerialNumber", ty: Ty::Str(Some(25)), min: 0, many: false, place: Place::Element },
    Field { name: "chargeBoxSerialNumber", ty: Ty::Str(Some(25)), min: 0, many: false, place: Place::Element },
    Field { name: "firmwareVersion", ty: Ty::Str(Some(50)), min: 0, many: false, place: Place::Element },
    Field { name: "iccid", ty: Ty::Str(Some(20)), min: 0, many: false, place: Place::Element },
    Field { name: "imsi", ty: Ty::Str(Some(20)), min: 0, many: false, place: Place::Element },
    Field { name: "meterType", ty: Ty::Str(Some(25)), min: 0, many: false, place: Place::Element },
    Field { name: "meterSerialNumber", ty: Ty::Str(Some(25)), min: 0, many: false, place: Place::Element },
];

static CS15_BOOT_NOTIFICATION_RESPONSE: &[Field] = &[
    Field { name: "status", ty: Ty::Enum(&["Accepted", "Rejected"]), min: 1, many: false, place: Place::Element },
    Field { name: "currentTime", ty: Ty::DateTime, min: 1, many: false, place: Place::Element },
    Field { name: "heartbeatInterval", ty: Ty::Int, min: 1, many: false, place: Place::Element },
];

static CS15_STATUS_NOTIFICATION_REQUEST: &[Field] = &[
    Field { name: "connectorId", ty: Ty::Int, min: 1, many: false, place: Place::Element },
    Field {
        name: "status",
        ty: Ty::Enum(&["Available", "Occupied", "Faulted", "Unavailable", "Reserved"]),
        min: 1,
        many: false,
        place: Place::Element,
    },
    Field {
        name: "errorCode",
        ty: Ty::Enum(&[
            "ConnectorLockFailure",
            "HighTemperature",
            "Mode3Error",
            "NoError",
            "PowerMeterFailure",
            "PowerSwitchFailure",
            "ReaderFailure",
            "ResetFailure",
            "GroundFailure",
            "OverCurrentFailure",
            "UnderVoltage",
            "WeakSignal",
            "OtherError",
        ]),
        min: 1,
        many: false,
        place: Place::Element,
    },
    Field { name: "info", ty: Ty::Str(None), min: 0, many: false, place: Place::Element },
    Field { name: "timestamp", ty: Ty::DateTime, min: 0, many: false, place: Place::Element },
    Field { name: "vendorId", ty: Ty::Str(None), min: 0, many: false, place: Place::Element },
    Field { name: "vendorErrorCode", ty: Ty::Str(None), min: 0, many: false, place: Place::Element },
];

static CS15_STATUS_NOTIFICATION_RESPONSE: &[Field] = &[];

static CS15_FIRMWARE_STATUS_NOTIFICATION_REQUEST: &[Field] = &[Field {
    name: "status",
    ty: Ty::Enum(&["Downloaded", "DownloadFailed", "InstallationFailed", "Installed"]),
    min: 1,
    many: false,
    place: Place::Element,
}];

static CS15_FIRMWARE_STATUS_NOTIFICATION_RESPONSE: &[Field] = &[];

static CS15_DIAGNOSTICS_STATUS_NOTIFICATION_REQUEST: &[Field] = &[Field {
    name: "status",
    ty: Ty::Enum(&["Uploaded", "UploadFailed"]),
    min: 1,
    many: false,
    place: Place::Element,
}];

static CS15_DIAGNOSTICS_STATUS_NOTIFICATION_RESPONSE: &[Field] = &[];

static CS15_DATA_TRANSFER_REQUEST: &[Field] = &[
    Field { name: "vendorId", ty: Ty::Str(None), min: 1, many: false, place: Place::Element },
    Field { name: "messageId", ty: Ty::Str(None), min: 0, many: false, place: Place::Element },
    Field { name: "data", ty: Ty::Str(None), min: 0, many: false, place: Place::Element },
];

static CS15_DATA_TRANSFER_RESPONSE: &[Field] = &[
    Field {
        name: "status",
        ty: Ty::Enum(&["Accepted", "Rejected", "UnknownMessageId", "UnknownVendorId"]),
        min: 1,
        many: false,
        place: Place::Element,
    },
    Field { name: "data", ty: Ty::Str(None), min: 0, many: false, place: Place::Element },
];

static CS16_AUTHORIZE_REQUEST: &[Field] =
    &[Field { name: "idTag", ty: Ty::Str(Some(20)), min: 1, many: false, place: Place::Element }];

static CS16_AUTHORIZE_RESPONSE: &[Field] =
    &[Field { name: "idTagInfo", ty: Ty::Complex(CS16_ID_TAG_INFO), min: 1, many: false, place: Place::Element }];

static CS16_ID_TAG_INFO: &[Field] = &[
    Field {
        name: "status",
        ty: Ty::Enum(&["Accepted", "Blocked", "Expired", "Invalid", "ConcurrentTx"]),
        min: 1,
        many: false,
        place: Place::Element,
    },
    Field { name: "expiryDate", ty: Ty::DateTime, min: 0, many: false, place: Place::Element },
    Field { name: "parentIdTag", ty: Ty::Str(Some(20)), min: 0, many: false, place: Place::Element },
];

static CS16_BOOT_NOTIFICATION_REQUEST: &[Field] = &[
    Field { name: "chargePointVendor", ty: Ty::Str(Some(20)), min: 1, many: false, place: Place::Element },
    Field { name: "chargePointModel", ty: Ty::Str(Some(20)), min: 1, many: false, place: Place::Element },
    Field { name: "chargePointSerialNumber", ty: Ty::Str(Some(25)), min: 0, many: false, place: Place::Element },
    Field { name: "chargeBoxSerialNumber", ty: Ty::Str(Some(25)), min: 0, many: false, place: Place::Element },
    Field { name: "firmwareVersion", ty: Ty::Str(Some(50)), min: 0, many: false, place: Place::Element },
    Field { name: "iccid", ty: Ty::Str(Some(20)), min: 0, many: false, place: Place::Element },
    Field { name: "imsi", ty: Ty::Str(Some(20)), min: 0, many: false, place: Place::Element },
    Field { name: "meterType", ty: Ty::Str(Some(25)), min: 0, many: false, place: Place::Element },
    Field { name: "meterSerialNumber", ty: Ty::Str(Some(25)), min: 0, many: false, place: Place::Element },
];

static CS16_BOOT_NOTIFICATION_RESPONSE: &[Field] = &[
    Field {
        name: "status",
        ty: Ty::Enum(&["Accepted", "Pending", "Rejected"]),
        min: 1,
        many: false,
        place: Place::Element,
    },
    Field { name: "currentTime", ty: Ty::DateTime, min: 1, many: false, place: Place::Element },
    Field { name: "interval", ty: Ty::Int, min: 1, many: false, place: Place::Element },
];

static CS16_DATA_TRANSFER_REQUEST: &[Field] = &[
    Field { name: "vendorId", ty: Ty::Str(Some(255)), min: 1, many: false, place: Place::Element },
    Field { name: "messageId", ty: Ty::Str(Some(50)), min: 0, many: false, place: Place::Element },
    Field { name: "data", ty: Ty::Str(None), min: 0, many: false, place: Place::Element },
];

static CS16_DATA_TRANSFER_RESPONSE: &[Field] = &[
    Field {
        name: "status",
        ty: Ty::Enum(&["Accepted", "Rejected", "UnknownMessageId", "UnknownVendorId"]),
        min: 1,
        many: false,
        place: Place::Element,
    },
    Field { name: "data", ty: Ty::Str(None), min: 0, many: false, place: Place::Element },
];

static CS16_DIAGNOSTICS_STATUS_NOTIFICATION_REQUEST: &[Field] = &[Field {
    name: "status",
    ty: Ty::Enum(&["Idle", "Uploaded", "UploadFailed", "Uploading"]),
    min: 1,
    many: false,
    place: Place::Element,
}];

static CS16_DIAGNOSTICS_STATUS_NOTIFICATION_RESPONSE: &[Field] = &[];

static CS16_FIRMWARE_STATUS_NOTIFICATION_REQUEST: &[Field] = &[Field {
    name: "status",
    ty: Ty::Enum(&[
        "Downloaded",
        "DownloadFailed",
        "Downloading",
        "Idle",
        "InstallationFailed",
        "Installed",
        "Installing",
    ]),
    min: 1,
    many: false,
    place: Place::Element,
}];

static CS16_FIRMWARE_STATUS_NOTIFICATION_RESPONSE: &[Field] = &[];

static CS16_HEARTBEAT_REQUEST: &[Field] = &[];

static CS16_HEARTBEAT_RESPONSE: &[Field] =
    &[Field { name: "currentTime", ty: Ty::DateTime, min: 1, many: false, place: Place::Element }];

static CS16_METER_VALUES_REQUEST: &[Field] = &[
    Field { name: "connectorId", ty: Ty::Int, min: 1, many: false, place: Place::Element },
    Field { name: "transactionId", ty: Ty::Int, min: 0, many: false, place: Place::Element },
    Field { name: "meterValue", ty: Ty::Complex(CS16_METER_VALUE), min: 0, many: true, place: Place::Element },
];

static CS16_METER_VALUE: &[Field] = &[
    Field { name: "timestamp", ty: Ty::DateTime, min: 1, many: false, place: Place::Element },
    Field { name: "sampledValue", ty: Ty::Complex(CS16_SAMPLED_VALUE), min: 1, many: true, place: Place::Element },
];

static CS16_SAMPLED_VALUE: &[Field] = &[
    Field { name: "value", ty: Ty::Str(None), min: 1, many: false, place: Place::Element },
    Field {
        name: "context",
        ty: Ty::Enum(&[
            "Interruption.Begin",
            "Interruption.End",
            "Other",
            "Sample.Clock",
            "Sample.Periodic",
            "Transaction.Begin",
            "Transaction.End",
            "Trigger",
        ]),
        min: 0,
        many: false,
        place: Place::Element,
    },
    Field { name: "format", ty: Ty::Enum(&["Raw", "SignedData"]), min: 0, many: false, place: Place::Element },
    Field {
        name: "measurand",
        ty: Ty::Enum(&[
            "Current.Export",
            "Current.Import",
            "Current.Offered",
            "Energy.Active.Export.Register",
            "Energy.Active.Import.Register",
            "Energy.Reactive.Export.Register",
            "Energy.Reactive.Import.Register",
            "Energy.Active.Export.Interval",
            "Energy.Active.Import.Interval",
            "Energy.Reactive.Export.Interval",
            "Energy.Reactive.Import.Interval",
            "Frequency",
            "Power.Active.Export",
            "Power.Active.Import",
            "Power.Factor",
            "Power.Offered",
            "Power.Reactive.Export",
            "Power.Reactive.Import",
            "RPM",
            "SoC",
            "Temperature",
            "Voltage",
        ]),
        min: 0,
        many: false,
        place: Place::Element,
    },
    Field {
        name: "phase",
        ty: Ty::Enum(&["L1", "L2", "L3", "N", "L1-N", "L2-N", "L3-N", "L1-L2", "L2-L3", "L3-L1"]),
        min: 0,
        many: false,
        place: Place::Element,
    },
    Field {
        name: "location",
        ty: Ty::Enum(&["Body", "Cable", "EV", "Inlet", "Outlet"]),
        min: 0,
        many: false,
        place: Place::Element,
    },
    Field {
        name: "unit",
        ty: Ty::Enum(&[
            "Celsius",
            "Fahrenheit",
            "Wh",
            "kWh",
            "varh",
            "kvarh",
            "W",
            "kW",
            "VA",
            "kVA",
            "var",
            "kvar",
            "A",
            "V",
            "K",
            "Percent",
        ]),
        min: 0,
        many: false,
        place: Place::Element,
    },
];

static CS16_METER_VALUES_RESPONSE: &[Field] = &[];

static CS16_START_TRANSACTION_REQUEST: &[Field] = &[
    Field { name: "connectorId", ty: Ty::Int, min: 1, many: false, place: Place::Element },
    Field { name: "idTag", ty: Ty::Str(Some(20)), min: 1, many: false, place: Place::Element },
    Field { name: "timestamp", ty: Ty::DateTime, min: 1, many: false, place: Place::Element },
    Field { name: "meterStart", ty: Ty::Int, min: 1, many: false, place: Place::Element },
    Field { name: "reservationId", ty: Ty::Int, min: 0, many: false, place: Place::Element },
];

static CS16_START_TRANSACTION_RESPONSE: &[Field] = &[
    Field { name: "transactionId", ty: Ty::Int, min: 1, many: false, place: Place::Element },
    Field { name: "idTagInfo", ty: Ty::Complex(CS16_ID_TAG_INFO), min: 1, many: false, place: Place::Element },
];

static CS16_STATUS_NOTIFICATION_REQUEST: &[Field] = &[
    Field { name: "connectorId", ty: Ty::Int, min: 1, many: false, place: Place::Element },
    Field {
        name: "status",
        ty: Ty::Enum(&[
            "Available",
            "Preparing",
            "Charging",
            "SuspendedEV",
            "SuspendedEVSE",
            "Finishing",
            "Reserved",
            "Faulted",
            "Unavailable",
        ]),
        min: 1,
        many: false,
        place: Place::Element,
    },
    Field {
        name: "errorCode",
        ty: Ty::Enum(&[
            "ConnectorLockFailure",
            "EVCommunicationError",
            "GroundFailure",
            "HighTemperature",
            "InternalError",
            "LocalListConflict",
            "NoError",
            "OtherError",
            "OverCurrentFailure",
            "OverVoltage",
            "PowerMeterFailure",
            "PowerSwitchFailure",
            "ReaderFailure",
            "ResetFailure",
            "UnderVoltage",
            "WeakSignal",
        ]),
        min: 1,
        many: false,
        place: Place::Element,
    },
    Field { name: "info", ty: Ty::Str(Some(50)), min: 0, many: false, place: Place::Element },
    Field { name: "timestamp", ty: Ty::DateTime, min: 0, many: false, place: Place::Element },
    Field { name: "vendorId", ty: Ty::Str(Some(255)), min: 0, many: false, place: Place::Element },
    Field { name: "vendorErrorCode", ty: Ty::Str(Some(50)), min: 0, many: false, place: Place::Element },
];

static CS16_STATUS_NOTIFICATION_RESPONSE: &[Field] = &[];

static CS16_STOP_TRANSACTION_REQUEST: &[Field] = &[
    Field { name: "transactionId", ty: Ty::Int, min: 1, many: false, place: Place::Element },
    Field { name: "idTag", ty: Ty::Str(Some(20)), min: 0, many: false, place: Place::Element },
    Field { name: "timestamp", ty: Ty::DateTime, min: 1, many: false, place: Place::Element },
    Field { name: "meterStop", ty: Ty::Int, min: 1, many: false, place: Place::Element },
    Field {
        name: "reason",
        ty: Ty::Enum(&[
            "EmergencyStop",
            "EVDisconnected",
            "HardReset",
            "Local",
            "Other",
            "PowerLoss",
            "Reboot",
            "Remote",
            "SoftReset",
            "UnlockCommand",
            "DeAuthorized",
        ]),
        min: 0,
        many: false,
        place: Place::Element,
    },
    Field { name: "transactionData", ty: Ty::Complex(CS16_METER_VALUE), min: 0, many: true, place: Place::Element },
];

static CS16_STOP_TRANSACTION_RESPONSE: &[Field] =
    &[Field { name: "idTagInfo", ty: Ty::Complex(CS16_ID_TAG_INFO), min: 0, many: false, place: Place::Element }];

static CP15_UNLOCK_CONNECTOR_REQUEST: &[Field] =
    &[Field { name: "connectorId", ty: Ty::Int, min: 1, many: false, place: Place::Element }];

static CP15_UNLOCK_CONNECTOR_RESPONSE: &[Field] =
    &[Field { name: "status", ty: Ty::Enum(&["Accepted", "Rejected"]), min: 1, many: false, place: Place::Element }];

static CP15_RESET_REQUEST: &[Field] =
    &[Field { name: "type", ty: Ty::Enum(&["Hard", "Soft"]), min: 1, many: false, place: Place::Element }];

static CP15_RESET_RESPONSE: &[Field] =
    &[Field { name: "status", ty: Ty::Enum(&["Accepted", "Rejected"]), min: 1, many: false, place: Place::Element }];

static CP15_CHANGE_AVAILABILITY_REQUEST: &[Field] = &[
    Field { name: "connectorId", ty: Ty::Int, min: 1, many: false, place: Place::Element },
    Field { name: "type", ty: Ty::Enum(&["Inoperative", "Operative"]), min: 1, many: false, place: Place::Element },
];

static CP15_CHANGE_AVAILABILITY_RESPONSE: &[Field] = &[Field {
    name: "status",
    ty: Ty::Enum(&["Accepted", "Rejected", "Scheduled"]),
    min: 1,
    many: false,
    place: Place::Element,
}];

static CP15_GET_DIAGNOSTICS_REQUEST: &[Field] = &[
    Field { name: "location", ty: Ty::Str(None), min: 1, many: false, place: Place::Element },
    Field { name: "startTime", ty: Ty::DateTime, min: 0, many: false, place: Place::Element },
    Field { name: "stopTime", ty: Ty::DateTime, min: 0, many: false, place: Place::Element },
    Field { name: "retries", ty: Ty::Int, min: 0, many: false, place: Place::Element },
    Field { name: "retryInterval", ty: Ty::Int, min: 0, many: false, place: Place::Element },
];

static CP15_GET_DIAGNOSTICS_RESPONSE: &[Field] =
    &[Field { name: "fileName", ty: Ty::Str(None), min: 0, many: false, place: Place::Element }];

static CP15_CLEAR_CACHE_REQUEST: &[Field] = &[];

static CP15_CLEAR_CACHE_RESPONSE: &[Field] =
    &[Field { name: "status", ty: Ty::Enum(&["Accepted", "Rejected"]), min: 1, many: false, place: Place::Element }];

static CP15_UPDATE_FIRMWARE_REQUEST: &[Field] = &[
    Field { name: "retrieveDate", ty: Ty::DateTime, min: 1, many: false, place: Place::Element },
    Field { name: "location", ty: Ty::Str(None), min: 1, many: false, place: Place::Element },
    Field { name: "retries", ty: Ty::Int, min: 0, many: false, place: Place::Element },
    Field { name: "retryInterval", ty: Ty::Int, min: 0, many: false, place: Place::Element },
];

static CP15_UPDATE_FIRMWARE_RESPONSE: &[Field] = &[];

static CP15_CHANGE_CONFIGURATION_REQUEST: &[Field] = &[
    Field { name: "key", ty: Ty::Str(None), min: 1, many: false, place: Place::Element },
    Field { name: "value", ty: Ty::Str(None), min: 1, many: false, place: Place::Element },
];

static CP15_CHANGE_CONFIGURATION_RESPONSE: &[Field] = &[Field {
    name: "status",
    ty: Ty::Enum(&["Accepted", "Rejected", "NotSupported"]),
    min: 1,
    many: false,
    place: Place::Element,
}];

static CP15_REMOTE_START_TRANSACTION_REQUEST: &[Field] = &[
    Field { name: "idTag", ty: Ty::Str(Some(20)), min: 1, many: false, place: Place::Element },
    Field { name: "connectorId", ty: Ty::Int, min: 0, many: false, place: Place::Element },
];

static CP15_REMOTE_START_TRANSACTION_RESPONSE: &[Field] =
    &[Field { name: "status", ty: Ty::Enum(&["Accepted", "Rejected"]), min: 1, many: false, place: Place::Element }];

static CP15_REMOTE_STOP_TRANSACTION_REQUEST: &[Field] =
    &[Field { name: "transactionId", ty: Ty::Int, min: 1, many: false, place: Place::Element }];

static CP15_REMOTE_STOP_TRANSACTION_RESPONSE: &[Field] =
    &[Field { name: "status", ty: Ty::Enum(&["Accepted", "Rejected"]), min: 1, many: false, place: Place::Element }];

static CP15_CANCEL_RESERVATION_REQUEST: &[Field] =
    &[Field { name: "reservationId", ty: Ty::Int, min: 1, many: false, place: Place::Element }];

static CP15_CANCEL_RESERVATION_RESPONSE: &[Field] =
    &[Field { name: "status", ty: Ty::Enum(&["Accepted", "Rejected"]), min: 1, many: false, place: Place::Element }];

static CP15_DATA_TRANSFER_REQUEST: &[Field] = &[
    Field { name: "vendorId", ty: Ty::Str(None), min: 1, many: false, place: Place::Element },
    Field { name: "messageId", ty: Ty::Str(None), min: 0, many: false, place: Place::Element },
    Field { name: "data", ty: Ty::Str(None), min: 0, many: false, place: Place::Element },
];

static CP15_DATA_TRANSFER_RESPONSE: &[Field] = &[
    Field {
        name: "status",
        ty: Ty::Enum(&["Accepted", "Rejected", "UnknownMessageId", "UnknownVendorId"]),
        min: 1,
        many: false,
        place: Place::Element,
    },
    Field { name: "data", ty: Ty::Str(None), min: 0, many: false, place: Place::Element },
];

static CP15_GET_CONFIGURATION_REQUEST: &[Field] =
    &[Field { name: "key", ty: Ty::Str(None), min: 0, many: true, place: Place::Element }];

static CP15_GET_CONFIGURATION_RESPONSE: &[Field] = &[
    Field { name: "configurationKey", ty: Ty::Complex(CP15_KEY_VALUE), min: 0, many: true, place: Place::Element },
    Field { name: "unknownKey", ty: Ty::Str(None), min: 0, many: true, place: Place::Element },
];

static CP15_KEY_VALUE: &[Field] = &[
    Field { name: "key", ty: Ty::Str(None), min: 1, many: false, place: Place::Element },
    Field { name: "readonly", ty: Ty::Bool, min: 1, many: false, place: Place::Element },
    Field { name: "value", ty: Ty::Str(None), min: 0, many: false, place: Place::Element },
];

static CP15_GET_LOCAL_LIST_VERSION_REQUEST: &[Field] = &[];

static CP15_GET_LOCAL_LIST_VERSION_RESPONSE: &[Field] =
    &[Field { name: "listVersion", ty: Ty::Int, min: 1, many: false, place: Place::Element }];

static CP15_RESERVE_NOW_REQUEST: &[Field] = &[
    Field { name: "connectorId", ty: Ty::Int, min: 1, many: false, place: Place::Element },
    Field { name: "expiryDate", ty: Ty::DateTime, min: 1, many: false, place: Place::Element },
    Field { name: "idTag", ty: Ty::Str(Some(20)), min: 1, many: false, place: Place::Element },
    Field { name: "parentIdTag", ty: Ty::Str(Some(20)), min: 0, many: false, place: Place::Element },
    Field { name: "reservationId", ty: Ty::Int, min: 1, many: false, place: Place::Element },
];

static CP15_RESERVE_NOW_RESPONSE: &[Field] = &[Field {
    name: "status",
    ty: Ty::Enum(&["Accepted", "Faulted", "Occupied", "Rejected", "Unavailable"]),
    min: 1,
    many: false,
    place: Place::Element,
}];

static CP15_SEND_LOCAL_LIST_REQUEST: &[Field] = &[
    Field { name: "updateType", ty: Ty::Enum(&["Differential", "Full"]), min: 1, many: false, place: Place::Element },
    Field { name: "listVersion", ty: Ty::Int, min: 1, many: false, place: Place::Element },
    Field {
        name: "localAuthorisationList",
        ty: Ty::Complex(CP15_AUTHORISATION_DATA),
        min: 0,
        many: true,
        place: Place::Element,
    },
    Field { name: "hash", ty: Ty::Str(None), min: 0, many: false, place: Place::Element },
];

static CP15_AUTHORISATION_DATA: &[Field] = &[
    Field { name: "idTag", ty: Ty::Str(Some(20)), min: 1, many: false, place: Place::Element },
    Field { name: "idTagInfo", ty: Ty::Complex(CP15_ID_TAG_INFO), min: 0, many: false, place: Place::Element },
];

static CP15_ID_TAG_INFO: &[Field] = &[
    Field {
        name: "status",
        ty: Ty::Enum(&["Accepted", "Blocked", "Expired", "Invalid", "ConcurrentTx"]),
        min: 1,
        many: false,
        place: Place::Element,
    },
    Field { name: "expiryDate", ty: Ty::DateTime, min: 0, many: false, place: Place::Element },
    Field { name: "parentIdTag", ty: Ty::Str(Some(20)), min: 0, many: false, place: Place::Element },
];

static CP15_SEND_LOCAL_LIST_RESPONSE: &[Field] = &[
    Field {
        name: "status",
        ty: Ty::Enum(&["Accepted", "Failed", "HashError", "NotSupported", "VersionMismatch"]),
        min: 1,
        many: false,
        place: Place::Element,
    },
    Field { name: "hash", ty: Ty::Str(None), min: 0, many: false, place: Place::Element },
];

static CP16_CANCEL_RESERVATION_REQUEST: &[Field] =
    &[Field { name: "reservationId", ty: Ty::Int, min: 1, many: false, place: Place::Element }];

static CP16_CANCEL_RESERVATION_RESPONSE: &[Field] =
    &[Field { name: "status", ty: Ty::Enum(&["Accepted", "Rejected"]), min: 1, many: false, place: Place::Element }];

static CP16_CHANGE_AVAILABILITY_REQUEST: &[Field] = &[
    Field { name: "connectorId", ty: Ty::Int, min: 1, many: false, place: Place::Element },
    Field { name: "type", ty: Ty::Enum(&["Inoperative", "Operative"]), min: 1, many: false, place: Place::Element },
];

static CP16_CHANGE_AVAILABILITY_RESPONSE: &[Field] = &[Field {
    name: "status",
    ty: Ty::Enum(&["Accepted", "Rejected", "Scheduled"]),
    min: 1,
    many: false,
    place: Place::Element,
}];

static CP16_CHANGE_CONFIGURATION_REQUEST: &[Field] = &[
    Field { name: "key", ty: Ty::Str(Some(50)), min: 1, many: false, place: Place::Element },
    Field { name: "value", ty: Ty::Str(Some(500)), min: 1, many: false, place: Place::Element },
];

static CP16_CHANGE_CONFIGURATION_RESPONSE: &[Field] = &[Field {
    name: "status",
    ty: Ty::Enum(&["Accepted", "NotSupported", "RebootRequired", "Rejected"]),
    min: 1,
    many: false,
    place: Place::Element,
}];

static CP16_CLEAR_CACHE_REQUEST: &[Field] = &[];

static CP16_CLEAR_CACHE_RESPONSE: &[Field] =
    &[Field { name: "status", ty: Ty::Enum(&["Accepted", "Rejected"]), min: 1, many: false, place: Place::Element }];

static CP16_CLEAR_CHARGING_PROFILE_REQUEST: &[Field] = &[
    Field { name: "id", ty: Ty::Int, min: 0, many: false, place: Place::Element },
    Field { name: "connectorId", ty: Ty::Int, min: 0, many: false, place: Place::Element },
    Field {
        name: "chargingProfilePurpose",
        ty: Ty::Enum(&["ChargePointMaxProfile", "TxDefaultProfile", "TxProfile"]),
        min: 0,
        many: false,
        place: Place::Element,
    },
    Field { name: "stackLevel", ty: Ty::Int, min: 0, many: false, place: Place::Element },
];

static CP16_CLEAR_CHARGING_PROFILE_RESPONSE: &[Field] =
    &[Field { name: "status", ty: Ty::Enum(&["Accepted", "Unknown"]), min: 1, many: false, place: Place::Element }];

static CP16_DATA_TRANSFER_REQUEST: &[Field] = &[
    Field { name: "vendorId", ty: Ty::Str(Some(255)), min: 1, many: false, place: Place::Element },
    Field { name: "messageId", ty: Ty::Str(Some(50)), min: 0, many: false, place: Place::Element },
    Field { name: "data", ty: Ty::Str(None), min: 0, many: false, place: Place::Element },
];

static CP16_DATA_TRANSFER_RESPONSE: &[Field] = &[
    Field {
        name: "status",
        ty: Ty::Enum(&["Accepted", "Rejected", "UnknownMessageId", "UnknownVendorId"]),
        min: 1,
        many: false,
        place: Place::Element,
    },
    Field { name: "data", ty: Ty::Str(None), min: 0, many: false, place: Place::Element },
];

static CP16_GET_CONFIGURATION_REQUEST: &[Field] =
    &[Field { name: "key", ty: Ty::Str(Some(50)), min: 0, many: true, place: Place::Element }];

static CP16_GET_CONFIGURATION_RESPONSE: &[Field] = &[
    Field { name: "configurationKey", ty: Ty::Complex(CP16_KEY_VALUE), min: 0, many: true, place: Place::Element },
    Field { name: "unknownKey", ty: Ty::Str(Some(50)), min: 0, many: true, place: Place::Element },
];

static CP16_KEY_VALUE: &[Field] = &[
    Field { name: "key", ty: Ty::Str(Some(50)), min: 1, many: false, place: Place::Element },
    Field { name: "readonly", ty: Ty::Bool, min: 1, many: false, place: Place::Element },
    Field { name: "value", ty: Ty::Str(Some(500)), min: 0, many: false, place: Place::Element },
];

static CP16_GET_DIAGNOSTICS_REQUEST: &[Field] = &[
    Field { name: "location", ty: Ty::Str(None), min: 1, many: false, place: Place::Element },
    Field { name: "startTime", ty: Ty::DateTime, min: 0, many: false, place: Place::Element },
    Field { name: "stopTime", ty: Ty::DateTime, min: 0, many: false, place: Place::Element },
    Field { name: "retries", ty: Ty::Int, min: 0, many: false, place: Place::Element },
    Field { name: "retryInterval", ty: Ty::Int, min: 0, many: false, place: Place::Element },
];

static CP16_GET_DIAGNOSTICS_RESPONSE: &[Field] =
    &[Field { name: "fileName", ty: Ty::Str(Some(255)), min: 0, many: false, place: Place::Element }];

static CP16_GET_LOCAL_LIST_VERSION_REQUEST: &[Field] = &[];

static CP16_GET_LOCAL_LIST_VERSION_RESPONSE: &[Field] =
    &[Field { name: "listVersion", ty: Ty::Int, min: 1, many: false, place: Place::Element }];

static CP16_REMOTE_START_TRANSACTION_REQUEST: &[Field] = &[
    Field { name: "connectorId", ty: Ty::Int, min: 0, many: false, place: Place::Element },
    Field { name: "idTag", ty: Ty::Str(Some(20)), min: 1, many: false, place: Place::Element },
    Field {
        name: "chargingProfile",
        ty: Ty::Complex(CP16_CHARGING_PROFILE),
        min: 0,
        many: false,
        place: Place::Element,
    },
];

static CP16_CHARGING_PROFILE: &[Field] = &[
    Field { name: "chargingProfileId", ty: Ty::Int, min: 1, many: false, place: Place::Element },
    Field { name: "transactionId", ty: Ty::Int, min: 0, many: false, place: Place::Element },
    Field { name: "stackLevel", ty: Ty::Int, min: 1, many: false, place: Place::Element },
    Field {
        name: "chargingProfilePurpose",
        ty: Ty::Enum(&["ChargePointMaxProfile", "TxDefaultProfile", "TxProfile"]),
        min: 1,
        many: false,
        place: Place::Element,
    },
    Field {
        name: "chargingProfileKind",
        ty: Ty::Enum(&["Absolute", "Recurring", "Relative"]),
        min: 1,
        many: false,
        place: Place::Element,
    },
    Field { name: "recurrencyKind", ty: Ty::Enum(&["Daily", "Weekly"]), min: 0, many: false, place: Place::Element },
    Field { name: "validFrom", ty: Ty::DateTime, min: 0, many: false, place: Place::Element },
    Field { name: "validTo", ty: Ty::DateTime, min: 0, many: false, place: Place::Element },
    Field {
        name: "chargingSchedule",
        ty: Ty::Complex(CP16_CHARGING_SCHEDULE),
        min: 1,
        many: false,
        place: Place::Element,
    },
];

static CP16_CHARGING_SCHEDULE: &[Field] = &[
    Field { name: "duration", ty: Ty::Int, min: 0, many: false, place: Place::Element },
    Field { name: "startSchedule", ty: Ty::DateTime, min: 0, many: false, place: Place::Element },
    Field { name: "chargingRateUnit", ty: Ty::Enum(&["W", "A"]), min: 1, many: false, place: Place::Element },
    Field {
        name: "chargingSchedulePeriod",
        ty: Ty::Complex(CP16_CHARGING_SCHEDULE_PERIOD),
        min: 1,
        many: true,
        place: Place::Element,
    },
    Field { name: "minChargingRate", ty: Ty::Decimal, min: 0, many: false, place: Place::Element },
];

static CP16_CHARGING_SCHEDULE_PERIOD: &[Field] = &[
    Field { name: "startPeriod", ty: Ty::Int, min: 1, many: false, place: Place::Element },
    Field { name: "limit", ty: Ty::Decimal, min: 1, many: false, place: Place::Element },
    Field { name: "numberPhases", ty: Ty::Int, min: 0, many: false, place: Place::Element },
];

static CP16_REMOTE_START_TRANSACTION_RESPONSE: &[Field] =
    &[Field { name: "status", ty: Ty::Enum(&["Accepted", "Rejected"]), min: 1, many: false, place: Place::Element }];

static CP16_REMOTE_STOP_TRANSACTION_REQUEST: &[Field] =
    &[Field { name: "transactionId", ty: Ty::Int, min: 1, many: false, place: Place::Element }];

static CP16_REMOTE_STOP_TRANSACTION_RESPONSE: &[Field] =
    &[Field { name: "status", ty: Ty::Enum(&["Accepted", "Rejected"]), min: 1, many: false, place: Place::Element }];

static CP16_GET_COMPOSITE_SCHEDULE_REQUEST: &[Field] = &[
    Field { name: "connectorId", ty: Ty::Int, min: 1, many: false, place: Place::Element },
    Field { name: "duration", ty: Ty::Int, min: 1, many: false, place: Place::Element },
    Field { name: "chargingRateUnit", ty: Ty::Enum(&["W", "A"]), min: 0, many: false, place: Place::Element },
];

static CP16_GET_COMPOSITE_SCHEDULE_RESPONSE: &[Field] = &[
    Field { name: "status", ty: Ty::Enum(&["Accepted", "Rejected"]), min: 1, many: false, place: Place::Element },
    Field { name: "connectorId", ty: Ty::Int, min: 0, many: false, place: Place::Element },
    Field { name: "scheduleStart", ty: Ty::DateTime, min: 0, many: false, place: Place::Element },
    Field {
        name: "chargingSchedule",
        ty: Ty::Complex(CP16_CHARGING_SCHEDULE),
        min: 0,
        many: false,
        place: Place::Element,
    },
];

static CP16_RESERVE_NOW_REQUEST: &[Field] = &[
    Field { name: "connectorId", ty: Ty::Int, min: 1, many: false, place: Place::Element },
    Field { name: "expiryDate", ty: Ty::DateTime, min: 1, many: false, place: Place::Element },
    Field { name: "idTag", ty: Ty::Str(Some(20)), min: 1, many: false, place: Place::Element },
    Field { name: "parentIdTag", ty: Ty::Str(Some(20)), min: 0, many: false, place: Place::Element },
    Field { name: "reservationId", ty: Ty::Int, min: 1, many: false, place: Place::Element },
];

static CP16_RESERVE_NOW_RESPONSE: &[Field] = &[Field {
    name: "status",
    ty: Ty::Enum(&["Accepted", "Faulted", "Occupied", "Rejected", "Unavailable"]),
    min: 1,
    many: false,
    place: Place::Element,
}];

static CP16_RESET_REQUEST: &[Field] =
    &[Field { name: "type", ty: Ty::Enum(&["Hard", "Soft"]), min: 1, many: false, place: Place::Element }];

static CP16_RESET_RESPONSE: &[Field] =
    &[Field { name: "status", ty: Ty::Enum(&["Accepted", "Rejected"]), min: 1, many: false, place: Place::Element }];

static CP16_SEND_LOCAL_LIST_REQUEST: &[Field] = &[
    Field { name: "listVersion", ty: Ty::Int, min: 1, many: false, place: Place::Element },
    Field {
        name: "localAuthorizationList",
        ty: Ty::Complex(CP16_AUTHORIZATION_DATA),
        min: 0,
        many: true,
        place: Place::Element,
    },
    Field { name: "updateType", ty: Ty::Enum(&["Differential", "Full"]), min: 1, many: false, place: Place::Element },
];

static CP16_AUTHORIZATION_DATA: &[Field] = &[
    Field { name: "idTag", ty: Ty::Str(Some(20)), min: 1, many: false, place: Place::Element },
    Field { name: "idTagInfo", ty: Ty::Complex(CP16_ID_TAG_INFO), min: 0, many: false, place: Place::Element },
];

static CP16_ID_TAG_INFO: &[Field] = &[
    Field {
        name: "status",
        ty: Ty::Enum(&["Accepted", "Blocked", "Expired", "Invalid", "ConcurrentTx"]),
        min: 1,
        many: false,
        place: Place::Element,
    },
    Field { name: "expiryDate", ty: Ty::DateTime, min: 0, many: false, place: Place::Element },
    Field { name: "parentIdTag", ty: Ty::Str(Some(20)), min: 0, many: false, place: Place::Element },
];

static CP16_SEND_LOCAL_LIST_RESPONSE: &[Field] = &[Field {
    name: "status",
    ty: Ty::Enum(&["Accepted", "Failed", "NotSupported", "VersionMismatch"]),
    min: 1,
    many: false,
    place: Place::Element,
}];

static CP16_SET_CHARGING_PROFILE_REQUEST: &[Field] = &[
    Field { name: "connectorId", ty: Ty::Int, min: 1, many: false, place: Place::Element },
    Field {
        name: "csChargingProfiles",
        ty: Ty::Complex(CP16_CHARGING_PROFILE),
        min: 1,
        many: false,
        place: Place::Element,
    },
];

static CP16_SET_CHARGING_PROFILE_RESPONSE: &[Field] = &[Field {
    name: "status",
    ty: Ty::Enum(&["Accepted", "Rejected", "NotSupported"]),
    min: 1,
    many: false,
    place: Place::Element,
}];

static CP16_TRIGGER_MESSAGE_REQUEST: &[Field] = &[
    Field {
        name: "requestedMessage",
        ty: Ty::Enum(&[
            "BootNotification",
            "DiagnosticsStatusNotification",
            "FirmwareStatusNotification",
            "Heartbeat",
            "MeterValues",
            "StatusNotification",
        ]),
        min: 1,
        many: false,
        place: Place::Element,
    },
    Field { name: "connectorId", ty: Ty::Int, min: 0, many: false, place: Place::Element },
];

static CP16_TRIGGER_MESSAGE_RESPONSE: &[Field] = &[Field {
    name: "status",
    ty: Ty::Enum(&["Accepted", "Rejected", "NotImplemented"]),
    min: 1,
    many: false,
    place: Place::Element,
}];

static CP16_UNLOCK_CONNECTOR_REQUEST: &[Field] =
    &[Field { name: "connectorId", ty: Ty::Int, min: 1, many: false, place: Place::Element }];

static CP16_UNLOCK_CONNECTOR_RESPONSE: &[Field] = &[Field {
    name: "status",
    ty: Ty::Enum(&["Unlocked", "UnlockFailed", "NotSupported"]),
    min: 1,
    many: false,
    place: Place::Element,
}];

static CP16_UPDATE_FIRMWARE_REQUEST: &[Field] = &[
    Field { name: "retrieveDate", ty: Ty::DateTime, min: 1, many: false, place: Place::Element },
    Field { name: "location", ty: Ty::Str(None), min: 1, many: false, place: Place::Element },
    Field { name: "retries", ty: Ty::Int, min: 0, many: false, place: Place::Element },
    Field { name: "retryInterval", ty: Ty::Int, min: 0, many: false, place: Place::Element },
];

static CP16_UPDATE_FIRMWARE_RESPONSE: &[Field] = &[];
