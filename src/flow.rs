//! What a flow and the engine exchange about a CALL the flow sends: the
//! ticket it holds while the CALL is out, and the outcome, which reaches
//! JavaScript as JSON text and becomes `msg.payload` or a catchable error.
//!
//! Both roles use it (a `CS request JSON` calling a station, a `CP client
//! JSON` calling its Central System), and so does SOAP: the outcome of a SOAP
//! request has the same three shapes.

use tokio::sync::oneshot;

use crate::json::push_json_str;
use crate::version::OcppVersion;

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
    /// The station may be on another instance of the cluster, and Redis,
    /// which reaches the others, is unavailable.
    ClusterUnavailable,
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
            Self::ClusterUnavailable => "ClusterUnavailable",
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
    /// `remedy` says what the user can change (the limit is the node's).
    pub fn queue_full(cb: &str, limit: usize, remedy: &str) -> Self {
        Self::failed(Failure::QueueFull, format!("{limit} requests are already waiting for {cb}; {remedy}"))
    }
    pub fn invalid(message: String) -> Self {
        Self::failed(Failure::Invalid, message)
    }
    pub fn failed(failure: Failure, message: String) -> Self {
        Self::Failed { failure, message }
    }

    /// `{"id":..,"result":{..}}`, `{"id":..,"callError":{"code","description","details"}}`
    /// or `{"id":..,"failure":"Timeout","message":".."}`; `id` is the CALL's message id.
    /// With `version`, also `"version":"2.0.1"`: what the peer speaks.
    pub fn to_json(&self, id: &str, version: Option<OcppVersion>) -> String {
        self.to_json_at(id, version, None)
    }

    /// [`Self::to_json`], and in a cluster `"instance"`: the one holding the peer.
    pub fn to_json_at(&self, id: &str, version: Option<OcppVersion>, instance: Option<&str>) -> String {
        self.to_json_translated(id, version, instance, None)
    }

    /// [`Self::to_json_at`], and for a command sent in the other version's
    /// words `"translated":{"from","to","version"}` (the flow's action, the
    /// station's action, the station's version), which becomes `msg.ocpp.translated`.
    pub fn to_json_translated(
        &self,
        id: &str,
        version: Option<OcppVersion>,
        instance: Option<&str>,
        translated: Option<(&str, &str)>,
    ) -> String {
        let mut out = String::from(r#"{"id":"#);
        push_json_str(&mut out, id);
        out.push(',');
        if let Some(instance) = instance {
            out.push_str(r#""instance":"#);
            push_json_str(&mut out, instance);
            out.push(',');
        }
        if let Some(version) = version {
            out.push_str(r#""version":""#);
            out.push_str(version.label());
            out.push_str(r#"","#);
        }
        if let (Some((from, to)), Some(version)) = (translated, version) {
            out.push_str(r#""translated":{"from":"#);
            push_json_str(&mut out, from);
            out.push_str(r#","to":"#);
            push_json_str(&mut out, to);
            out.push_str(r#","version":""#);
            out.push_str(version.label());
            out.push_str(r#""},"#);
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

/// A command the flow wrote in the other version's words, and what it became.
pub struct Translation {
    /// The action as the flow wrote it.
    pub from: String,
    /// The action the station got.
    pub to: String,
    /// Turns the station's answer (raw JSON object text) into the flow's words.
    pub answer_back: Box<dyn FnOnce(String) -> String + Send>,
}

/// A CALL handed to a link: its message id, and its outcome to come.
///
/// Handing over happens synchronously, in the caller's order, before any
/// awaiting: CALLs a flow sends one after another go out in that order.
pub struct Ticket {
    pub id: String,
    /// The version of the peer it went to, once that peer was found.
    version: Option<OcppVersion>,
    /// In a cluster, the instance holding the peer.
    instance: Option<std::sync::Arc<str>>,
    /// When the CALL went out in the station's words, not the flow's (boxed:
    /// rare, and a ticket is moved around on every CALL).
    translated: Option<Box<Translation>>,
    state: TicketState,
}

enum TicketState {
    Settled(CallOutcome),
    Waiting { outcome: oneshot::Receiver<CallOutcome>, peer: String },
}

impl Ticket {
    pub fn settled(id: String, outcome: CallOutcome) -> Self {
        Self { id, version: None, instance: None, translated: None, state: TicketState::Settled(outcome) }
    }

    pub fn waiting(id: String, outcome: oneshot::Receiver<CallOutcome>, peer: String) -> Self {
        Self { id, version: None, instance: None, translated: None, state: TicketState::Waiting { outcome, peer } }
    }

    /// Notes the version of the peer the CALL went to, for the outcome's JSON.
    pub fn for_peer(self, version: OcppVersion) -> Self {
        Self { version: Some(version), ..self }
    }

    /// Notes the cluster instance that holds the peer, for the outcome's JSON.
    pub fn held_by(self, instance: std::sync::Arc<str>) -> Self {
        Self { instance: Some(instance), ..self }
    }

    /// Notes that the CALL went out translated: its answer is turned back
    /// into the flow's words, and the outcome's JSON says so.
    pub fn translated(self, translation: Translation) -> Self {
        Self { translated: Some(Box::new(translation)), ..self }
    }

    /// The outcome as JSON text for JavaScript ([`CallOutcome::to_json_translated`]).
    pub async fn outcome_json(mut self) -> String {
        let (version, instance) = (self.version, self.instance.clone());
        let translated = self.translated.take();
        let (id, mut outcome) = self.outcome().await;
        let Some(Translation { from, to, answer_back }) = translated.map(|t| *t) else {
            return outcome.to_json_at(&id, version, instance.as_deref());
        };
        if let CallOutcome::Result(answer) = outcome {
            outcome = CallOutcome::Result(answer_back(answer));
        }
        outcome.to_json_translated(&id, version, instance.as_deref(), Some((&from, &to)))
    }

    /// The outcome as the station gave it (a translated CALL's answer in the station's words).
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_serialise_to_json() {
        let v: serde_json::Value = serde_json::from_str(
            &CallOutcome::CallError { code: "NotSupported".into(), description: "x".into(), details: "{}".into() }
                .to_json("i1", None),
        )
        .unwrap();
        assert_eq!(v["callError"]["code"], "NotSupported");
        assert_eq!(v["id"], "i1");
        let v: serde_json::Value =
            serde_json::from_str(&CallOutcome::timeout("CP", "Reset").to_json("i2", Some(OcppVersion::V201))).unwrap();
        assert_eq!(v["failure"], "Timeout");
        assert_eq!(v["version"], "2.0.1");
        assert!(!CallOutcome::timeout("CP", "Reset").to_json("i3", None).contains("version"));
    }
}
