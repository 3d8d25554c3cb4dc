//! What each connected station told of the profiles it takes (stack level,
//! periods per schedule, rate units), learnt from its answers to
//! GetConfiguration (1.6) or GetVariables (2.x) as they pass through the
//! engine, whoever asked (a flow, the sidebar, the charge-limit helper). The
//! profile checks (`smart::check_profile`) use them once known.
//!
//! Per connection: a station that reconnects may have been reconfigured, so
//! what its previous connection said no longer counts. The table holds one
//! small entry per connected station and forgets it when the connection ends.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use tokio::sync::oneshot;

use crate::flow::CallOutcome;
use crate::smart::checks::StationLimits;
use crate::smart::limits;
use crate::sync::lock;
use crate::version::OcppVersion;

/// The connection the limits were read on, and the limits.
type Entry = (u64, StationLimits);

/// cbId -> its entry.
static TABLE: LazyLock<Mutex<HashMap<Arc<str>, Entry>>> = LazyLock::new(Default::default);

/// What connection `conn_id` of `cb_id` has told so far (all `None` before
/// its first answer).
pub fn get(cb_id: &str, conn_id: u64) -> StationLimits {
    lock(&TABLE).get(cb_id).filter(|(c, _)| *c == conn_id).map(|(_, l)| l.clone()).unwrap_or_default()
}

/// Takes in the CALLRESULT of `action` from connection `conn_id` of `cb_id`.
pub fn record(cb_id: &str, conn_id: u64, version: OcppVersion, action: &str, result: &str) {
    let mut table = lock(&TABLE);
    let entry = table.entry(Arc::from(cb_id)).or_insert_with(|| (conn_id, StationLimits::default()));
    if entry.0 != conn_id {
        *entry = (conn_id, StationLimits::default());
    }
    limits::record(version, action, result, &mut entry.1);
}

/// The connection ended: what it told goes with it.
pub fn forget(cb_id: &str, conn_id: u64) {
    let mut table = lock(&TABLE);
    if table.get(cb_id).is_some_and(|(c, _)| *c == conn_id) {
        table.remove(cb_id);
    }
}

/// For a CALL whose answer may tell limits, the sender to hand the link
/// instead of `to_flow`: the outcome is read, then passed on unchanged.
/// Other CALLs keep `to_flow`. Needs a tokio runtime (the answer is awaited
/// in a task of its own).
pub fn watch(
    cb_id: &str,
    conn_id: u64,
    version: OcppVersion,
    action: &str,
    to_flow: oneshot::Sender<CallOutcome>,
) -> oneshot::Sender<CallOutcome> {
    if !limits::may_tell(version, action) {
        return to_flow;
    }
    let (reply, outcome) = oneshot::channel();
    let (cb_id, action) = (cb_id.to_owned(), action.to_owned());
    tokio::spawn(async move {
        let Ok(outcome) = outcome.await else { return };
        if let CallOutcome::Result(result) = &outcome {
            record(&cb_id, conn_id, version, &action, result);
        }
        let _ = to_flow.send(outcome);
    });
    reply
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smart::checks::RateUnit;

    const ANSWER: &str = r#"{"configurationKey":[{"key":"ChargeProfileMaxStackLevel","readonly":true,"value":"4"}]}"#;

    #[test]
    fn per_connection_and_forgotten() {
        record("SL-1", 7, OcppVersion::V16, "GetConfiguration", ANSWER);
        assert_eq!(get("SL-1", 7).max_stack_level, Some(4));
        assert_eq!(get("SL-1", 8), StationLimits::default(), "a newer connection has told nothing yet");
        forget("SL-1", 8);
        assert_eq!(get("SL-1", 7).max_stack_level, Some(4), "only its own connection's end forgets");
        record(
            "SL-1",
            8,
            OcppVersion::V201,
            "GetVariables",
            r#"{"getVariableResult":[{"attributeStatus":"Accepted","attributeValue":"A","component":{"name":"SmartChargingCtrlr"},"variable":{"name":"RateUnit"}}]}"#,
        );
        assert_eq!(get("SL-1", 8), StationLimits { rate_units: Some(vec![RateUnit::A]), ..Default::default() });
        assert_eq!(get("SL-1", 7), StationLimits::default(), "replaced by the newer connection");
        forget("SL-1", 8);
        assert!(!lock(&TABLE).contains_key("SL-1"));
    }

    #[tokio::test]
    async fn watching_passes_the_outcome_on() {
        let (to_flow, flow) = oneshot::channel();
        let reply = watch("SL-2", 1, OcppVersion::V16, "GetConfiguration", to_flow);
        reply.send(CallOutcome::Result(ANSWER.into())).unwrap();
        assert_eq!(flow.await.unwrap(), CallOutcome::Result(ANSWER.into()));
        assert_eq!(get("SL-2", 1).max_stack_level, Some(4));
        forget("SL-2", 1);
    }
}
