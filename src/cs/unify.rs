//! Unified messages on the Central System (docs/UNIFIED.md): what the
//! engine adds to a station's CALL when the CS server's `unified` option is
//! on (`msg.unified`, from `unified::events`, with the EVSE the tracker knows
//! and the minted transaction id), and what every CALL tells the transaction
//! tracker, on or off. The mappings themselves are `crate::unified`'s.

use std::sync::Arc;

use serde_json::Value;

use super::answers::{AnswerHook, UnifiedAnswer};
use super::options::UnifiedConfig;
use super::transactions;
use super::txids::Minter;
use crate::unified::events;
use crate::version::OcppVersion;

/// The answer the engine gives an event it answers itself (`autoAnswer`),
/// completed like a flow's.
pub const AUTO_ANSWER: &str = r#"{"status":"Accepted"}"#;

/// A CS server's unified-messages state: its settings and its id source.
pub struct Unifier {
    pub config: UnifiedConfig,
    pub minter: Arc<Minter>,
}

impl Unifier {
    /// Whether a CALL needs a minted id before it goes to the flow: a 1.6
    /// StartTransaction, whose answer must carry one.
    pub fn mints_for(version: OcppVersion, action: &str) -> bool {
        version == OcppVersion::V16 && action == "StartTransaction"
    }
}

/// What a station's CALL becomes besides the native msg.
#[derive(Default)]
pub struct Reading {
    /// `msg.unified` as JSON text.
    pub unified_json: Option<String>,
    /// What the answer needs: completion, the tracker's start.
    pub hook: Option<Box<AnswerHook>>,
    /// The engine answers it itself (`autoAnswer`).
    pub auto: bool,
}

/// Reads a station's CALL (`payload`: JSON object text) for the tracker and,
/// with `unified` on, into its unified form. Actions the tracker does not
/// follow are not parsed while unified messages are off.
pub fn read(
    cb: &Arc<str>,
    version: OcppVersion,
    action: &str,
    payload: &str,
    unifier: Option<&Unifier>,
    minted: Option<i64>,
) -> Reading {
    let tracked = transactions::concerns(version, action);
    if unifier.is_none() && !tracked {
        return Reading::default();
    }
    let Ok(value) = serde_json::from_str::<Value>(payload) else { return Reading::default() };
    let observed = if tracked { transactions::observe(cb, version, action, &value) } else { Default::default() };
    let start_connector = Unifier::mints_for(version, action).then_some(observed.evse_id).flatten();
    let Some(unifier) = unifier else {
        let hook = start_connector
            .map(|c| Box::new(AnswerHook { cb_id: cb.clone(), start_connector: Some(c), unified: None }));
        return Reading { hook, ..Default::default() };
    };
    let mut unified = events::event(version, action, &value);
    if unified.evse_id.is_none() {
        unified.evse_id = observed.evse_id;
    }
    if unified.transaction_id.is_none() {
        unified.transaction_id = minted.map(|id| id.to_string()).or(observed.transaction_id);
    }
    let auto = unifier.config.answers_itself(&unified.event);
    let mut json = serde_json::to_string(&unified).unwrap_or_else(|_| "{}".into());
    if auto {
        json.pop();
        json.push_str(if json.len() > 1 { r#","answered":true}"# } else { r#""answered":true}"# });
    }
    let answer = UnifiedAnswer {
        version,
        action: action.into(),
        request: value,
        minted,
        boot_interval: unifier.config.boot_interval,
    };
    let hook = Box::new(AnswerHook { cb_id: cb.clone(), start_connector, unified: Some(answer) });
    Reading { unified_json: Some(json), hook: Some(hook), auto }
}
