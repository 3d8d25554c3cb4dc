//! Password rotation: when the Central System gives a connected station a new
//! Basic-auth password (1.6 ChangeConfiguration `AuthorizationKey`, 2.x
//! SetVariables `SecurityCtrlr.BasicAuthPassword`; from a flow or from the
//! sidebar) and the station accepts it, the station presents that password
//! from its next connection on. The CS server adopts it then, in this process
//! and on every instance of the cluster, and says so in the log without the
//! value; without this, the station would be locked out at its next connect
//! unless the flow sent `LOCAL_SET_ALL_AUTH_EVSES` itself.

use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::oneshot;

use super::auth;
use super::cluster::Cluster;
use super::secrets::{self, NewPassword};
use crate::events::EventSink;
use crate::flow::CallOutcome;
use crate::msgs;
use crate::ocppj::link::Call;
use crate::version::OcppVersion;

/// Where the station is, for the adoption and its log line.
pub struct Station<'a> {
    pub cb_id: &'a Arc<str>,
    pub version: OcppVersion,
    pub sink: &'a Arc<EventSink>,
    pub cluster: Option<&'a Arc<Cluster>>,
}

/// The CALL as it goes out; when it gives the station a new password, its
/// outcome passes through a task that adopts the password if the station
/// accepts it, before the flow (or the sidebar) hears the outcome.
pub fn watch(mut call: Call, station: Station<'_>) -> Call {
    let new = match secrets::new_password(station.version, &call.action, &call.payload) {
        None => return call,
        Some(Ok(new)) => new,
        Some(Err(e)) => {
            let text = format!("{} may be locked out at its next connection: {e}", station.cb_id);
            station.sink.emit(|out| msgs::warn(out, station.cb_id, &text));
            return call;
        }
    };
    let (reply, outcome) = oneshot::channel();
    let to_flow = std::mem::replace(&mut call.reply, reply);
    let (cb_id, sink, cluster) = (station.cb_id.clone(), station.sink.clone(), station.cluster.cloned());
    tokio::spawn(async move {
        let Ok(outcome) = outcome.await else { return };
        if let CallOutcome::Result(result) = &outcome {
            if new.accepted(result) {
                adopt(&cb_id, new, &sink, cluster.as_deref()).await;
            }
        }
        let _ = to_flow.send(outcome);
    });
    call
}

/// Sets the station's password here and on every instance, and logs it.
async fn adopt(cb_id: &str, new: NewPassword, sink: &EventSink, cluster: Option<&Cluster>) {
    let entries = HashMap::from([(cb_id.to_owned(), new.password)]);
    auth::set_passwords(entries.clone());
    let shared = match cluster {
        Some(cluster) => match cluster.share_passwords(entries).await {
            Ok(()) => ", on every instance of the cluster",
            Err(e) => {
                let text = format!("{cb_id}'s new password could not be shared with the other instances: {e}");
                sink.emit(|out| msgs::warn(out, cb_id, &text));
                ", on this instance only"
            }
        },
        None => "",
    };
    let text = format!(
        "{cb_id} accepted a new Basic-auth password ({}): the CS server requires it from now on{shared}",
        new.carrier
    );
    sink.emit(|out| msgs::info(out, cb_id, &text));
}
