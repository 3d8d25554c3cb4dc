//! CALLs from the Central System to a station (`CS request JSON`): put in the
//! station's version's words (`words`), checked, then handed to the station's
//! connection in the flow's order.

use std::time::Duration;
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::mailbox::ConnCmd;
use super::registry;
use super::words::{self, ForStation};
use crate::flow::{CallOutcome, Failure, Ticket};
use crate::ocppj::frame::check_call;
use crate::ocppj::session::OutgoingCall;
use crate::schema::{check_schema, Direction};

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
    let Some(tx) = registry::lookup(&req.cb_id) else {
        let message = format!("station {} is not connected to any CS server", req.cb_id);
        return Ticket::settled(id, CallOutcome::failed(Failure::NotConnected, message));
    };
    let version = tx.version();
    // A command in the other version's words becomes the station's; its
    // answer goes back through the ticket.
    let translation = match words::for_station(version, tx.strict(), &req.action, &req.payload) {
        Ok(ForStation::Native) => None,
        Ok(ForStation::Translated(cmd)) => {
            req.action.clone_from(&cmd.action);
            req.payload = cmd.payload.to_string();
            Some(words::translation(*cmd, version))
        }
        Err(message) => return Ticket::settled(id, CallOutcome::invalid(message)).for_peer(version),
    };
    let noted = |ticket: Ticket| match translation {
        Some(t) => ticket.for_peer(version).translated(t),
        None => ticket.for_peer(version),
    };
    if tx.strict() {
        if let Err(message) = check_schema(version, &req.action, Direction::Request, &req.payload) {
            return noted(Ticket::settled(id, CallOutcome::invalid(message)));
        }
    }
    let (reply, outcome) = oneshot::channel();
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
