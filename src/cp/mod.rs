//! The charge point role: a simulated station (`CP client JSON`) that
//! connects to a Central System over OCPP-J.
//!
//! - [`client`]: the node's handle: CALLs, answers, connect, close.
//! - [`options`]: its options, checked, and the Central System's URL.
//! - [`journal`]: the durable offline queue, a file under Node-RED's user directory.
//! - [`shared`]: what the handle and the task share.
//! - [`task`]: the task that connects, reconnects and serves the link.

pub mod client;
pub mod journal;
pub mod options;
pub mod shared;
pub mod task;

pub use client::{ClientError, CpClient};
pub use options::ClientOptions;
