//! OCPP-J: OCPP over WebSocket with JSON payloads: 1.6, 2.0.1 and 2.1, chosen
//! per connection by the subprotocol ([`version`]).
//!
//! - [`frame`]: parsing and writing RPC frames, the CALLERROR codes.
//! - [`session`]: one CALL in flight per direction, a bounded queue behind it.
//! - [`link`]: one WebSocket link, either side: frames, queue, keep-alive.
//! - [`connection`]: one station's link on the Central System side.
//! - [`server`]: upgrades on `<path16j>/<chargeBoxId>`, shutdown.
//! - [`client`]: the charge point side, with reconnects and the offline queue.
//! - [`answers`], [`calls`], [`registry`]: the process-wide tables that let
//!   `server response` and `CS request JSON` reach any server's stations.
//! - [`msgs`]: the Node-RED msgs the `CS server` node sends.

pub mod answers;
pub mod calls;
pub mod client;
pub mod connection;
pub mod frame;
pub mod link;
pub mod msgs;
pub mod registry;
pub mod server;
pub mod session;
pub mod version;

pub use version::OcppVersion;
