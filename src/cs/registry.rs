//! Process-wide tables of stations: which OCPP-J station is connected to
//! which connection, and where each SOAP station said it can be reached.
//!
//! They are process-wide because the nodes that use them are: a `CS request
//! JSON` node names a station, not a server, exactly as in the original.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use super::mailbox::{ConnCmd, ConnTx};
use crate::sync::lock;

pub struct Station {
    pub conn_id: u64,
    pub tx: ConnTx,
}

static STATIONS: LazyLock<Mutex<HashMap<Arc<str>, Station>>> = LazyLock::new(Default::default);
/// Where each SOAP station said it can be reached (its WS-Addressing `From`).
static SOAP_ADDRESSES: LazyLock<Mutex<HashMap<String, String>>> = LazyLock::new(Default::default);

/// Remembers a SOAP station's own endpoint, for calling it back.
pub fn remember_soap_address(cb_id: &str, address: &str) {
    if address.starts_with("http") && !address.ends_with("/anonymous") {
        lock(&SOAP_ADDRESSES).insert(cb_id.to_owned(), address.to_owned());
    }
}

pub fn soap_address(cb_id: &str) -> Option<String> {
    lock(&SOAP_ADDRESSES).get(cb_id).cloned()
}

/// Records a new connection; returns the one it replaces, which the caller closes.
pub fn register(cb_id: Arc<str>, station: Station) -> Option<Station> {
    lock(&STATIONS).insert(cb_id, station)
}

/// Forgets a connection, unless a newer one with the same id took its place.
pub fn unregister(cb_id: &str, conn_id: u64) {
    let mut stations = lock(&STATIONS);
    if stations.get(cb_id).is_some_and(|s| s.conn_id == conn_id) {
        stations.remove(cb_id);
    }
}

pub fn lookup(cb_id: &str) -> Option<ConnTx> {
    lock(&STATIONS).get(cb_id).map(|s| s.tx.clone())
}

pub fn is_online(cb_id: &str) -> bool {
    lock(&STATIONS).contains_key(cb_id)
}

pub fn online() -> Vec<String> {
    let mut ids: Vec<String> = lock(&STATIONS).keys().map(|k| k.to_string()).collect();
    ids.sort();
    ids
}

/// Closes a station's connection (`LOCAL_DISCONNECT`); false when it is not connected.
pub fn disconnect(cb_id: &str) -> bool {
    let close = || ConnCmd::Close { code: 1000, reason: "disconnected by the Central System".into() };
    lookup(cb_id).is_some_and(|tx| tx.send(close()).is_ok())
}
