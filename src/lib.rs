//! The OCPP engine behind the @ocpp-rs/node-red-ocpp Node-RED nodes.
pub mod soap;
