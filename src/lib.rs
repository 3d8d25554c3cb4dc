//! The OCPP engine behind the @ocpp-rs/node-red-ocpp Node-RED nodes.
//!
//! The engine owns every socket, pending request and timer; the nodes'
//! JavaScript only turns config into calls here and events into `node.send`.
//!
//! Its floors, each importing only from the floors below (checked by
//! `tests/layers.rs`):
//!
//! - the ground floor, shared by all: [`alloc`] (the engine's heap, counted), [`version`], [`flow`], [`json`],
//!   [`sync`], [`basic_auth`], [`station_id`], [`time`], [`tls`], [`listener`], [`events`], [`msgs`],
//!   [`netcheck`];
//! - [`schema`]: strict mode's validation against OCA's JSON schemas;
//! - the protocols: [`ocppj`] and [`soap`];
//! - the roles: [`cs`], the Central System, and [`cp`], the charge point;
//! - `bindings`: the napi classes JavaScript calls.

pub mod alloc;
pub mod basic_auth;
pub mod events;
pub mod flow;
pub mod json;
pub mod listener;
pub mod msgs;
pub mod netcheck;
pub mod pace;
pub mod pending;
pub mod station_id;
pub mod sync;
pub mod time;
pub mod tls;
pub mod version;

pub mod schema;

pub mod ocppj;
pub mod smart;
pub mod soap;
pub mod unified;

pub mod cp;
pub mod cs;

#[cfg(feature = "node")]
mod bindings;
