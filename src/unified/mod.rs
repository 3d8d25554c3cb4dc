//! One flow for a mixed fleet (docs/UNIFIED.md): version-neutral words for what
//! a station of OCPP 1.6, 2.0.1 or 2.1 says (`events`, `meter`), the answers a
//! flow writes once (`answers`), and commands written in either version's words
//! (`commands`, `settings`). Pure functions from (version, action, payload) to the
//! unified form and back, with no I/O: the Central System (`cs/`) calls them and
//! keeps the state they need (transactions, minted ids). Each file has its own
//! error type.

pub mod answers;
pub mod commands;
pub mod events;
pub mod meter;
pub mod settings;
