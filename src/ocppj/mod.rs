//! OCPP-J, the protocol: OCPP over WebSocket with JSON payloads, 1.6, 2.0.1
//! and 2.1 (the version of a link is chosen by its subprotocol). It knows
//! nothing of the roles that use it.
//!
//! - [`frame`]: parsing and writing RPC frames, the CALLERROR codes.
//! - [`session`]: one CALL in flight per direction, a bounded queue behind it.
//! - [`link`]: one WebSocket link, either side: frames, queue, keep-alive, deadlines.
//! - [`answer`]: a flow's answer to the peer's CALL, read into a frame.

pub mod answer;
pub mod frame;
pub mod link;
pub mod session;
