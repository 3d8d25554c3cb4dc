//! The Central System role: what the `CS server`, `server response`, `CS
//! request JSON` and `CP server SOAP` nodes ask of the engine.
//!
//! - [`server`]: a listener; SOAP paths and OCPP-J upgrades on one port.
//! - [`options`]: the server's options, checked into its settings.
//! - [`handshake`]: what an upgrade must be before the 101.
//! - [`refusals`]: refused handshakes, warned about once per station and minute.
//! - [`connection`]: one OCPP-J station's task, driving its link.
//! - [`mailbox`]: how other tasks reach a connection.
//! - [`answers`]: station requests (OCPP-J and SOAP) waiting for the flow.
//! - [`calls`]: the flow's CALLs to stations.
//! - [`metrics`]: counters and histograms for `GET /ocpp/metrics`, without a lock per message.
//! - [`registry`], [`auth`]: the process-wide tables of stations and
//!   passwords that let any node reach any server's stations.

pub mod answers;
pub mod auth;
pub mod calls;
pub mod connection;
pub mod handshake;
pub mod mailbox;
pub mod metrics;
pub mod options;
pub mod refusals;
pub mod registry;
pub mod server;

pub use options::ServerOptions;
pub use server::{CsServer, ServerError};
