//! CALLs from the Central System to a station (`CS request JSON`): put in the
//! station's version's words (`words`), checked, then handed to the station's
//! connection in the flow's order.

use std::time::Duration;
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::mailbox::ConnCmd;
use super::words::{self, ForStation};
use super::{charge_limit, registry, station_limits, transactions};
use crate::flow::{CallOutcome, Failure, Ticket};
use crate::ocppj::frame::check_call;
use crate::ocppj::session::OutgoingCall;
use crate::schema::{check_schema, Direction};
use crate::smart;
use crate::soap::{self, client::SoapRequest};
use crate::version::OcppVersion;

/// A CALL a flow asks for.
pub struct CallRequest {
    pub cb_id: String,
    pub action: String,
    /// Raw JSON object text.
    pub payload: String,
    pub timeout: Duration,
    pub message_id: Option<String>,
}

/// Hands a CALL to a connected station's connection; the ticket resolves
/// with the message id used (the caller's, or a fresh UUID) and the outcome.
pub fn call_station(mut req: CallRequest) -> Ticket {
    let id = match checked_id(&mut req) {
        Ok(id) => id,
        Err(ticket) => return *ticket,
    };
    let Some((conn_id, tx)) = registry::lookup_conn(&req.cb_id) else {
        let message = format!("station {} is not connected to any CS server", req.cb_id);
        return Ticket::settled(id, CallOutcome::failed(Failure::NotConnected, message));
    };
    let version = tx.version();
    // The charge-limit commands are no OCPP action: their exchange sends the
    // station's own CALLs back through here.
    if charge_limit::is_command(&req.action) {
        let (cb_id, timeout) = (req.cb_id.clone(), req.timeout);
        let send = move |action: &str, payload: String| {
            call_station(CallRequest {
                cb_id: cb_id.clone(),
                action: action.to_owned(),
                payload,
                timeout,
                message_id: None,
            })
        };
        return charge_limit::start(&req.cb_id, &req.action, &req.payload, id, conn_id, version, Box::new(send));
    }
    // A command in the other version's words becomes the station's; its
    // answer goes back through the ticket. What deciding that parsed or
    // checked is used again below, not done again.
    let (translation, profile_checked, schema_valid) =
        match words::for_station(version, tx.strict(), &req.action, &req.payload) {
            Ok(ForStation::Native(native)) => {
                (None, check_profile(&req, conn_id, version, native.value.as_ref()), native.schema_valid)
            }
            Ok(ForStation::Translated(cmd)) => {
                req.action.clone_from(&cmd.action);
                req.payload = cmd.payload.to_string();
                // Checked in the station's words, whichever words the flow wrote.
                let checked = check_profile(&req, conn_id, version, Some(&cmd.payload));
                (Some(words::translation(*cmd, version)), checked, false)
            }
            // A profile that breaks a rule stations apply fits neither schema either:
            // the rule says more than the two schemas do.
            Err(refused) => {
                let message =
                    check_profile(&req, conn_id, version, Some(&refused.value)).err().unwrap_or(refused.message);
                return Ticket::settled(id, CallOutcome::invalid(message)).for_peer(version);
            }
        };
    let noted = |ticket: Ticket| match translation {
        Some(t) => ticket.for_peer(version).translated(t),
        None => ticket.for_peer(version),
    };
    if let Err(message) = profile_checked {
        return noted(Ticket::settled(id, CallOutcome::invalid(message)));
    }
    // A native text `for_station` found valid is not walked again.
    if tx.strict() && !schema_valid {
        if let Err(message) = check_schema(version, &req.action, Direction::Request, &req.payload) {
            return noted(Ticket::settled(id, CallOutcome::invalid(message)));
        }
    }
    let (reply, outcome) = oneshot::channel();
    let reply = station_limits::watch(&req.cb_id, conn_id, version, &req.action, reply);
    let call = OutgoingCall {
        id: id.clone(),
        action: req.action,
        payload: req.payload,
        timeout: req.timeout,
        deadline: Instant::now() + req.timeout,
        reply,
    };
    if tx.send(ConnCmd::Call(Box::new(call))).is_err() {
        return noted(Ticket::settled(id, CallOutcome::disconnected(&req.cb_id)));
    }
    noted(Ticket::waiting(id, outcome, req.cb_id))
}

/// A SetChargingProfile, and the profile in a remote start, is checked before
/// it leaves, strict mode or not, against the rules a station applies, the
/// limits this connection told and the transactions the engine knows
/// (`smart::check_profile`). Other actions pass untouched, unparsed; `parsed`
/// is the payload when the caller has parsed it already.
fn check_profile(
    req: &CallRequest,
    conn_id: u64,
    version: OcppVersion,
    parsed: Option<&serde_json::Value>,
) -> Result<(), String> {
    if !smart::carries_profile(&req.action) {
        return Ok(());
    }
    let own;
    let payload = match parsed {
        Some(value) => value,
        None => {
            // Text that is not JSON is the schema check's (strict mode) or the station's to judge.
            let Ok(value) = serde_json::from_str::<serde_json::Value>(&req.payload) else { return Ok(()) };
            own = value;
            &own
        }
    };
    let limits = station_limits::get(&req.cb_id, conn_id);
    let running = |evse: u32| transactions::running(&req.cb_id, evse);
    smart::check_profile(version, &req.action, payload, &limits, &running).map_err(|e| e.to_string())
}

/// A SOAP request (`CS request SOAP`, `CP Request SOAP`); a profile for a SOAP
/// charge point (SetChargingProfile, RemoteStartTransaction) is checked first,
/// as over OCPP-J, and refused without being sent when it breaks a rule.
/// Returns the MessageID and the outcome.
pub async fn soap_call(req: SoapRequest, payload_json: &str) -> (String, CallOutcome) {
    if req.target == "cp" && smart::carries_profile(&req.action) {
        if let Err(message) = check_soap_profile(&req.charge_box_identity, &req.action, payload_json) {
            let id = req.message_id.clone().unwrap_or_else(|| format!("urn:uuid:{}", uuid::Uuid::new_v4()));
            return (id, CallOutcome::invalid(message));
        }
    }
    soap::client::call(req, payload_json).await
}

/// The profile checks for a SOAP charge point (OCPP 1.6 words): the rules and
/// the transactions the engine knows; a SOAP station's maxima are not read,
/// so they are its own to judge.
fn check_soap_profile(cb_id: &str, action: &str, payload_json: &str) -> Result<(), String> {
    // Text that is not JSON is the SOAP codec's to refuse.
    let Ok(payload) = serde_json::from_str::<serde_json::Value>(payload_json) else { return Ok(()) };
    let running = |evse: u32| transactions::running(cb_id, evse);
    let limits = smart::StationLimits::default();
    smart::check_profile(OcppVersion::V16, action, &payload, &limits, &running).map_err(|e| e.to_string())
}

/// The CALL's message id (the caller's, or a fresh UUID), once the CALL is
/// well formed; else the ticket of its failure (boxed: the rare case).
pub fn checked_id(req: &mut CallRequest) -> Result<String, Box<Ticket>> {
    let id = req.message_id.take().unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    match check_call(&req.action, &req.payload, &id) {
        Ok(()) => Ok(id),
        Err(message) => Err(Box::new(Ticket::settled(id, CallOutcome::invalid(message)))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(action: &str, payload: &str) -> CallRequest {
        CallRequest {
            cb_id: "NOBODY".into(),
            action: action.into(),
            payload: payload.into(),
            timeout: Duration::from_secs(1),
            message_id: None,
        }
    }

    #[tokio::test]
    async fn bad_requests_and_absent_stations_fail_clearly() {
        async fn failure(r: CallRequest) -> Failure {
            match call_station(r).outcome().await.1 {
                CallOutcome::Failed { failure, .. } => failure,
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(failure(req("", "{}")).await, Failure::Invalid);
        assert_eq!(failure(req("Get Configuration", "{}")).await, Failure::Invalid);
        assert_eq!(failure(req("Reset", "[]")).await, Failure::Invalid);
        assert_eq!(failure(req("Reset", "{}")).await, Failure::NotConnected);
        let mut long = req("Reset", "{}");
        long.message_id = Some("x".repeat(37));
        assert_eq!(failure(long).await, Failure::Invalid);
    }
}
