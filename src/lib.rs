//! The OCPP engine behind the @ocpp-rs/node-red-ocpp Node-RED nodes.
//!
//! The engine owns every socket, pending request and timer; the nodes'
//! JavaScript only turns config into calls here and events into `node.send`.

pub mod describe;
pub mod events;
pub mod listener;
pub mod ocppj;
pub mod schema;
pub mod soap;
pub mod tls;

#[cfg(feature = "node")]
mod bindings;
