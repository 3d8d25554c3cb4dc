//! Where a request for a station goes: to its connection in this process, or
//! through the cluster to the instance holding it. The `CS request JSON`
//! node's commands come here, so they behave alike with and without a cluster.

use std::collections::HashMap;

use super::calls::{self, CallRequest};
use super::cluster::{self, ClusterError, Routed};
use super::{auth, registry};
use crate::flow::Ticket;

/// A CALL's outcome to come, wherever the station is.
pub enum Reply {
    Local(Ticket),
    Routed(Routed),
}

impl Reply {
    pub async fn outcome_json(self) -> String {
        match self {
            Self::Local(ticket) => ticket.outcome_json().await,
            Self::Routed(routed) => routed.outcome_json().await,
        }
    }
}

/// Sends a CALL to a station connected here, else to the instance holding it.
/// Handed over before this returns, so CALLs keep the flow's order.
pub fn call_station(mut req: CallRequest) -> Reply {
    let Some(cluster) = cluster::current() else {
        return Reply::Local(calls::call_station(req));
    };
    if registry::is_online(&req.cb_id) {
        return Reply::Local(calls::call_station(req).held_by(cluster.instance().clone()));
    }
    match calls::checked_id(&mut req) {
        Ok(id) => Reply::Routed(cluster.route_call(id, req)),
        Err(invalid) => Reply::Local(*invalid),
    }
}

/// `LOCAL_DISCONNECT`: closes the station's connection wherever it is; false
/// when it is connected nowhere.
pub async fn disconnect(cb_id: &str) -> Result<bool, ClusterError> {
    if registry::disconnect(cb_id) {
        return Ok(true);
    }
    match cluster::current() {
        Some(cluster) => cluster.disconnect(cb_id).await,
        None => Ok(false),
    }
}

/// `LOCAL_GET_ONLINE_LIST`: the stations connected, each with the instance
/// holding it and what that instance tells of it (JSON text of version,
/// server node and since; both None without a cluster).
pub async fn online() -> Result<Vec<(String, Option<String>, Option<String>)>, ClusterError> {
    let local = registry::online();
    let Some(cluster) = cluster::current() else {
        return Ok(local.into_iter().map(|id| (id, None, None)).collect());
    };
    let mut all: HashMap<String, (String, String)> =
        cluster.online().await?.into_iter().map(|h| (h.id, (h.instance, h.about))).collect();
    // A claim on its way to Redis is ours already.
    for id in local {
        all.entry(id).or_insert_with(|| (String::new(), String::new())).0 = cluster.instance().to_string();
    }
    let mut list: Vec<_> = all.into_iter().map(|(id, (at, about))| (id, Some(at), Some(about))).collect();
    list.sort();
    Ok(list)
}

/// `LOCAL_SET_ALL_AUTH_EVSES`: applies here at once, and on every instance
/// of the cluster (those that join later too).
pub async fn set_passwords(entries: HashMap<String, String>) -> Result<(), ClusterError> {
    auth::set_passwords(entries.clone());
    match cluster::current() {
        Some(cluster) => cluster.share_passwords(entries).await,
        None => Ok(()),
    }
}
