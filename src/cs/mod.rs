//! The Central System role: what the `CS server`, `server response`, `CS
//! request JSON` and `CP server SOAP` nodes ask of the engine.
//!
//! - [`server`]: a listener; SOAP paths and OCPP-J upgrades on one port.
//! - [`options`]: the server's options, checked into its settings.
//! - [`handshake`]: what an upgrade must be before the 101.
//! - [`refusals`]: refused handshakes, warned about once per station and minute.
//! - [`files`]: the file endpoints (`filesPath`): uploads from stations, firmware for them.
//! - [`connection`]: one OCPP-J station's task, driving its link.
//! - [`mailbox`]: how other tasks reach a connection.
//! - [`answers`]: station requests (OCPP-J and SOAP) waiting for the flow.
//! - [`calls`]: the flow's CALLs to stations.
//! - [`words`]: a command in either version's words, put in its station's.
//! - [`inspector`]: what the editor's OCPP sidebar shows: counters per
//!   station, and the last frames of the stations it inspects.
//! - [`metrics`]: counters and histograms for `GET /ocpp/metrics`, without a lock per message.
//! - [`registry`], [`auth`]: the process-wide tables of stations and
//!   passwords that let any node reach any server's stations.
//! - [`cluster`]: several Node-RED instances as one Central System, through Redis.
//! - [`route`]: a request for a station goes to it here, or through the cluster.
//! - [`secrets`]: station passwords in frames, hidden where frames are shown, read where one is given.
//! - [`rotation`]: a password a station accepted is the one the CS server requires from then on.
//! - [`transactions`]: the transactions running on each station, per EVSE.
//! - [`txids`]: minted 1.6 transaction ids, unique across restarts and cluster instances.
//! - [`unify`]: unified messages: `msg.unified` on station msgs, what their answers need.

pub mod answers;
pub mod auth;
pub mod calls;
pub mod charge_limit;
pub mod cluster;
pub mod connection;
pub mod files;
pub mod handshake;
pub mod inspector;
pub mod mailbox;
pub mod metrics;
pub mod options;
pub mod refusals;
pub mod registry;
pub mod rotation;
pub mod route;
pub mod secrets;
pub mod server;
pub mod station_limits;
pub mod transactions;
pub mod txids;
pub mod unify;
pub mod words;

pub use options::ServerOptions;
pub use server::{CsServer, ServerError};
