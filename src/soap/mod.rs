//! OCPP 1.5 and 1.6 over SOAP.
//!
//! - [`tables`]: every operation's messages, generated from the OCA WSDLs in
//!   `wsdl/` by `scripts/gen-soap-tables.js` (element order, repetition, types);
//! - [`xml`]: a small element tree that refuses DTDs and custom entities;
//! - [`codec`]: XML <-> the JSON shape OCPP-J uses for the same action;
//! - [`envelope`]: requests with their WS-Addressing headers, responses, Faults;
//! - [`server`]: the SOAP paths of a listener (`CS server`, `CP server SOAP`);
//! - [`client`]: requests to a peer (`CS request SOAP`, `CP Request SOAP`).

pub mod client;
pub mod codec;
pub mod envelope;
pub mod operation;
pub mod server;
pub mod tables;
pub mod xml;

use operation::Table;

/// One of the four SOAP services of OCPP 1.5 and 1.6.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    CentralSystem15,
    CentralSystem16,
    ChargePoint15,
    ChargePoint16,
}

impl Service {
    pub fn table(self) -> &'static Table {
        match self {
            Self::CentralSystem15 => &tables::CS15,
            Self::CentralSystem16 => &tables::CS16,
            Self::ChargePoint15 => &tables::CP15,
            Self::ChargePoint16 => &tables::CP16,
        }
    }

    /// `msg.ocpp.ocppVersion` of its msgs, as the original writes it.
    pub fn version(self) -> &'static str {
        match self {
            Self::CentralSystem15 | Self::ChargePoint15 => "1.5",
            Self::CentralSystem16 | Self::ChargePoint16 => "1.6",
        }
    }

    /// The service description served at `<path>?wsdl`.
    pub fn wsdl(self) -> &'static str {
        match self {
            Self::CentralSystem15 => include_str!("wsdl/ocpp_centralsystemservice_1.5_final.wsdl"),
            Self::CentralSystem16 => include_str!("wsdl/OCPP_CentralSystemService_1.6.wsdl"),
            Self::ChargePoint15 => include_str!("wsdl/ocpp_chargepointservice_1.5_final.wsdl"),
            Self::ChargePoint16 => include_str!("wsdl/OCPP_ChargePointService_1.6.wsdl"),
        }
    }
}

/// Why a SOAP message was refused; each becomes a Fault or a node error.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SoapError {
    #[error("malformed XML: {0}")]
    Malformed(String),
    #[error("refused: {0}")]
    Refused(String),
    #[error("unknown operation {0}")]
    UnknownOperation(String),
    #[error("{0}")]
    Invalid(String),
    #[error("the request body is larger than {0} bytes")]
    TooLarge(usize),
    #[error("the SOAP request has no chargeBoxIdentity header")]
    NoChargeBoxIdentity,
    #[error("the chargeBoxIdentity header is refused: {0}")]
    ChargeBoxIdentity(crate::station_id::IdError),
}
