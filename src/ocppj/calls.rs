//! CALLs from the Central System to a station (`CS request JSON`).

use std::time::Duration;
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::connection::ConnCmd;
use super::frame::push_json_str;
use super::registry;
use super::session::OutgoingCall;
use super::version::OcppVersion;
use crate::schema::{self, Direction};

/// How a CALL ended. Serialised for JavaScript by [`CallOutcome::to_json`].
#[derive(Debug, PartialEq, Eq)]
pub enum CallOutcome {
    /// The CALLRESULT payload, raw JSON object text.
    Result(String),
    /// The station answered with a CALLERROR.
    CallError { code: String, description: String, details: String },
    /// The CALL never got an answer, or never went out.
    Failed { failure: Failure, message: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    Timeout,
    NotConnected,
    QueueFull,
    Disconnected,
    Invalid,
    /// Strict mode: the peer's CALLRESULT does not match the schema.
    InvalidResponse,
}

impl Failure {
    fn as_str(self) -> &'static str {
        match self {
            Self::Timeout => "Timeout",
            Self::NotConnected => "NotConnected",
            Self::QueueFull => "QueueFull",
            Self::Disconnected => "Disconnected",
            Self::Invalid => "Invalid",
            Self::InvalidResponse => "InvalidResponse",
        }
    }
}

impl CallOutcome {
    pub fn timeout(cb: &str, action: &str) -> Self {
        Self::failed(Failure::Timeout, format!("{cb} did not answer {action} in time"))
    }
    pub fn disconnected(cb: &str) -> Self {
        Self::failed(Failure::Disconnected, format!("{cb} disconnected before answering"))
    }
    pub fn queue_full(cb: &str, limit: usize) -> Self {
        Self::failed(
            Failure::QueueFull,
            format!(
                "{limit} requests are already waiting for {cb}; raise the CS server's queue limit or send less often"
            ),
        )
    }
    pub fn invalid(message: String) -> Self {
        Self::failed(Failure::Invalid, message)
    }
    fn failed(failure: Failure, message: String) -> Self {
        Self::Failed { failure, message }
    }

    /// `{"id":..,"result":{..}}`, `{"id":..,"callError":{"code","description","details"}}`
    /// or `{"id":..,"failure":"Timeout","message":".."}`; `id` is the CALL's message id.
    /// With `version`, also `"version":"2.0.1"`: what the peer speaks.
    pub fn to_json(&self, id: &str, version: Option<OcppVersion>) -> String {
        let mut out = String::from(r#"{"id":"#);
        push_json_str(&mut out, id);
        out.push(',');
        if let Some(version) = version {
            out.push_str(r#""version":""#);
            out.push_str(version.label());
            out.push_str(r#"","#);
        }
        match self {
            Self::Result(payload) => {
                out.push_str(r#""result":"#);
                out.push_str(payload);
                out.push('}');
            }
            Self::CallError { code, description, details } => {
                out.push_str(r#""callError":{"code":"#);
                push_json_str(&mut out, code);
                out.push_str(r#","description":"#);
                push_json_str(&mut out, description);
                out.push_str(r#","details":"#);
                out.push_str(details);
                out.push_str("}}");
            }
            Self::Failed { failure, message } => {
                out.push_str(r#""failure":"#);
                push_json_str(&mut out, failure.as_str());
                out.push_str(r#","message":"#);
                push_json_str(&mut out, message);
                out.push('}');
            }
        }
        out
    }
}

/// A CALL a flow asks for.
pub struct CallRequest {
    pub cb_id: String,
    pub action: String,
    /// Raw JSON object text.
    pub payload: String,
    pub timeout: Duration,
    pub message_id: Option<String>,
}

/// A CALL handed to a connection: its message id, and its outcome to come.
///
/// Handing over happens synchronously, in the caller's order, before any
/// awaiting: CALLs a flow sends one after another go out in that order.
pub struct Ticket {
    pub id: String,
    /// The version of the station it went to, once that station was found.
    version: Option<OcppVersion>,
    state: TicketState,
}

enum TicketState {
    Settled(CallOutcome),
    Waiting { outcome: oneshot::Receiver<CallOutcome>, peer: String },
}

impl Ticket {
    pub fn settled(id: String, outcome: CallOutcome) -> Self {
        Self { id, version: None, state: TicketState::Settled(outcome) }
    }

    pub fn waiting(id: String, outcome: oneshot::Receiver<CallOutcome>, peer: String) -> Self {
        Self { id, version: None, state: TicketState::Waiting { outcome, peer } }
    }

    fn for_station(self, version: OcppVersion) -> Self {
        Self { version: Some(version), ..self }
    }

    /// The outcome as JSON text for JavaScript ([`CallOutcome::to_json`]).
    pub async fn outcome_json(self) -> String {
        let version = self.version;
        let (id, outcome) = self.outcome().await;
        outcome.to_json(&id, version)
    }

    pub async fn outcome(self) -> (String, CallOutcome) {
        let outcome = match self.state {
            TicketState::Settled(outcome) => outcome,
            TicketState::Waiting { outcome, peer } => {
                outcome.await.unwrap_or_else(|_| CallOutcome::disconnected(&peer))
            }
        };
        (self.id, outcome)
    }
}

/// Hands a CALL to a connected station's connection; the ticket resolves
/// with the message id used (the caller's, or a fresh UUID) and the outcome.
pub fn call_station(mut req: CallRequest) -> Ticket {
    let id = req.message_id.take().unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    if let Err(message) = check_request(&req.action, &req.payload, &id) {
        return Ticket::settled(id, CallOutcome::invalid(message));
    }
    let Some(tx) = registry::lookup(&req.cb_id) else {
        let message = format!("station {} is not connected to any CS server", req.cb_id);
        return Ticket::settled(id, CallOutcome::failed(Failure::NotConnected, message));
    };
    if tx.strict() {
        if let Err(message) = check_schema(tx.version(), &req.action, Direction::Request, &req.payload) {
            return Ticket::settled(id, CallOutcome::invalid(message)).for_station(tx.version());
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
        return Ticket::settled(id, CallOutcome::disconnected(&req.cb_id)).for_station(tx.version());
    }
    Ticket::waiting(id, outcome, req.cb_id).for_station(tx.version())
}

/// Strict mode: whether a payload this side is about to send matches the
/// version's schema; the error says what to fix, in the flow's words.
pub fn check_schema(version: OcppVersion, action: &str, dir: Direction, payload: &str) -> Result<(), String> {
    schema::validate_str(version, action, dir, payload).map_err(|v| {
        let what = match dir {
            Direction::Request => format!("the {action} request"),
            Direction::Response => format!("the answer to {action}"),
        };
        v.explain(version, &what)
    })
}

/// Checks what a flow asks to send, before it is queued anywhere.
pub fn check_request(action: &str, payload: &str, id: &str) -> Result<(), String> {
    if action.is_empty() {
        return Err("no command: set msg.payload.command or the node's Command".into());
    }
    if !action.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!("command {action:?} is not an OCPP action name"));
    }
    if id.is_empty() || id.chars().count() > super::frame::MAX_ID_LEN {
        return Err(format!("MessageId {id:?} must have 1 to 36 characters"));
    }
    match serde_json::from_str::<&serde_json::value::RawValue>(payload) {
        Ok(raw) if raw.get().starts_with('{') => Ok(()),
        _ => Err("the request's data must be a JSON object".into()),
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

    #[test]
    fn outcomes_serialise_to_json() {
        let v: serde_json::Value = serde_json::from_str(
            &CallOutcome::CallError { code: "NotSupported".into(), description: "x".into(), details: "{}".into() }
                .to_json("i1", None),
        )
        .unwrap();
        assert_eq!(v["callError"]["code"], "NotSupported");
        assert_eq!(v["id"], "i1");
        let v: serde_json::Value = serde_json::from_str(&CallOutcome::timeout("CP", "Reset").to_json("i2", Some(OcppVersion::V201))).unwrap();
        assert_eq!(v["failure"], "Timeout");
        assert_eq!(v["version"], "2.0.1");
        assert!(!CallOutcome::timeout("CP", "Reset").to_json("i3", None).contains("version"));
    }
}
