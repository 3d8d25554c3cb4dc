//! The N-API surface: classes and functions JavaScript calls, nothing else.
//!
//! Payloads cross as JSON text in both directions: one `JSON.parse` or
//! `JSON.stringify` in JavaScript is cheaper than building objects property
//! by property through N-API.

// The test build links this module but never calls it from Rust.
#![cfg_attr(test, allow(dead_code))]

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::alloc;
use crate::cp;
use crate::cs::{self, answers, calls, inspector, registry, route};
use crate::events::Deliver;
use crate::flow::Ticket;
use crate::soap;

/// The engine's one tokio runtime, shared by every node in the process.
static RUNTIME: OnceLock<tokio::runtime::Handle> = OnceLock::new();

/// Worker threads: `OCPP_RS_THREADS`, else half the cores (1 to 4). Node-RED's
/// own thread runs the flows and is the busier one; on a 2-core machine one
/// worker leaves it a core (measured: 62k vs 55k calls/s with two).
fn worker_threads() -> usize {
    let from_env = std::env::var("OCPP_RS_THREADS").ok().and_then(|v| v.parse().ok()).filter(|n| (1..=64).contains(n));
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    from_env.unwrap_or((cores / 2).clamp(1, 4))
}

#[napi_derive::module_init]
fn init() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(worker_threads())
        .thread_name("ocpp-rs")
        .enable_all()
        .build()
        .expect("cannot start the OCPP engine's tokio runtime");
    let _ = RUNTIME.set(runtime.handle().clone());
    // napi drives `async fn` bindings on this same runtime.
    napi::bindgen_prelude::create_custom_tokio_runtime(runtime);
}

fn runtime() -> Result<&'static tokio::runtime::Handle> {
    RUNTIME.get().ok_or_else(|| Error::from_reason("the OCPP engine's runtime did not start"))
}

fn reason(e: impl std::fmt::Display) -> Error {
    Error::from_reason(e.to_string())
}

type EventFn = ThreadsafeFunction<String, (), String, Status, false, true>;

/// Calls the node's `onEvents` with each batch; `done` runs on the JS thread
/// once it has returned. When the node is closing the call is refused and
/// `done` is dropped unrun, which the waiting dispatcher also sees.
fn deliver_to(callback: EventFn) -> Deliver {
    Box::new(move |batch, done| {
        callback.call_with_return_value(batch, ThreadsafeFunctionCallMode::NonBlocking, move |_, _| {
            done();
            Ok(())
        });
    })
}

/// A Central System listener (`CS server` node).
#[napi]
pub struct CsServer {
    inner: Arc<cs::CsServer>,
}

#[napi]
impl CsServer {
    /// Binds the port at once (a busy port throws here) and starts serving.
    /// `onEvents` receives batches: the text of a JSON array of events.
    #[napi(constructor)]
    pub fn new(options_json: String, on_events: Function<String, ()>) -> Result<Self> {
        let options: cs::ServerOptions =
            serde_json::from_str(&options_json).map_err(|e| reason(format!("invalid CS server options: {e}")))?;
        let callback: EventFn =
            on_events.build_threadsafe_function().callee_handled::<false>().weak::<true>().build()?;
        let _guard = runtime()?.enter();
        let inner = cs::CsServer::start(options, deliver_to(callback)).map_err(reason)?;
        Ok(Self { inner: Arc::new(inner) })
    }

    #[napi(getter)]
    pub fn port(&self) -> u32 {
        u32::from(self.inner.port())
    }

    /// Resolves once the port is free and every connection has ended.
    #[napi]
    pub async fn close(&self) -> Result<()> {
        let inner = self.inner.clone();
        inner.close().await;
        Ok(())
    }
}

/// Answers a station's CALL (`server response`); throws with a readable
/// reason. Returns a warning for the node when the answer was fitted to a WSDL.
#[napi]
pub fn respond(msg_id: String, payload_json: Option<String>) -> Result<Option<String>> {
    answers::answer(&msg_id, payload_json.as_deref()).map_err(reason)
}

/// Sends a CALL to a station (`CS request JSON`). Resolves with the outcome as
/// JSON text: `{"id","result"}`, `{"id","callError"}` or `{"id","failure","message"}`.
///
/// The CALL is queued before this returns, so CALLs keep the order the flow
/// sent them in; only the outcome is awaited.
#[napi(ts_return_type = "Promise<string>")]
pub fn call_station<'env>(
    env: &'env Env,
    cb_id: String,
    action: String,
    payload_json: String,
    timeout_ms: u32,
    message_id: Option<String>,
) -> Result<PromiseRaw<'env, String>> {
    let request = calls::CallRequest { cb_id, action, payload: payload_json, timeout: millis(timeout_ms), message_id };
    let _guard = runtime()?.enter();
    let reply = route::call_station(request);
    env.spawn_future(async move { Ok(reply.outcome_json().await) })
}

fn millis(ms: u32) -> Duration {
    Duration::from_millis(u64::from(ms.max(1)))
}

fn outcome_promise(env: &Env, ticket: Ticket) -> Result<PromiseRaw<'_, String>> {
    env.spawn_future(async move { Ok(ticket.outcome_json().await) })
}

/// Sends a SOAP request (`CS request SOAP`, `CP Request SOAP`); resolves with
/// the outcome as JSON text, a SOAP Fault as `callError` with its code and reason.
#[napi(ts_return_type = "Promise<string>")]
pub fn soap_call<'env>(env: &'env Env, request_json: String, payload_json: String) -> Result<PromiseRaw<'env, String>> {
    let request: soap::client::SoapRequest =
        serde_json::from_str(&request_json).map_err(|e| reason(format!("invalid SOAP request options: {e}")))?;
    env.spawn_future(async move {
        let (id, outcome) = calls::soap_call(request, &payload_json).await;
        Ok(outcome.to_json(&id, None))
    })
}

/// The SOAP endpoint a station gave in its WS-Addressing `From`, if any.
#[napi]
pub fn soap_address(cb_id: String) -> Option<String> {
    registry::soap_address(&cb_id)
}

/// A local command's outcome as JSON text: `{"value": ..}`, or `{"failure":
/// "ClusterUnavailable", "message": ..}` when the cluster cannot be reached.
fn local_outcome<T: serde::Serialize>(result: std::result::Result<T, cs::cluster::ClusterError>) -> Result<String> {
    let json = match result {
        Ok(value) => serde_json::json!({ "value": value }),
        Err(e) => serde_json::json!({ "failure": "ClusterUnavailable", "message": e.to_string() }),
    };
    Ok(json.to_string())
}

/// `LOCAL_GET_ONLINE_LIST`: resolves with the outcome (see `local_outcome`) of
/// `[["<cbId>", "<instance>" or null, "<version, server node, since as JSON>" or null], ...]`,
/// the whole cluster's stations when clustered.
#[napi(ts_return_type = "Promise<string>")]
pub fn online_list(env: &Env) -> Result<PromiseRaw<'_, String>> {
    env.spawn_future(async move { local_outcome(route::online().await) })
}

/// The engine's own heap (`alloc.rs`) and its live tokio tasks:
/// `{liveBytes, allocations, tasks}`, for the redeploy test, the soak and
/// anyone measuring a long run (a task left behind per deploy shows here).
#[napi(object)]
pub struct EngineMemory {
    pub live_bytes: f64,
    pub allocations: f64,
    pub tasks: f64,
}

#[napi]
pub fn engine_memory() -> EngineMemory {
    let u = alloc::usage();
    let tasks = within_runtime_if_available(cs::metrics::live_tasks).unwrap_or(0);
    EngineMemory { live_bytes: u.live_bytes as f64, allocations: u.allocations as f64, tasks: tasks as f64 }
}

#[napi]
pub fn is_online(cb_id: String) -> bool {
    registry::is_online(&cb_id)
}

/// Merges Basic-auth passwords: JSON object `{"<cbId>": "<password>"}`; here
/// at once, then on every instance of the cluster (rejects when it cannot).
#[napi(ts_return_type = "Promise<string>")]
pub fn set_passwords(env: &Env, entries_json: String) -> Result<PromiseRaw<'_, String>> {
    let entries: HashMap<String, String> = serde_json::from_str(&entries_json).map_err(|_| {
        reason("LOCAL_SET_ALL_AUTH_EVSES needs data as an object of {\"<chargeBoxId>\": \"<password>\"}")
    })?;
    env.spawn_future(async move { local_outcome(route::set_passwords(entries).await) })
}

/// Closes a station's connection, wherever it is in the cluster; resolves
/// the outcome, its value false when it is connected nowhere.
#[napi(ts_return_type = "Promise<string>")]
pub fn disconnect_station(env: &Env, cb_id: String) -> Result<PromiseRaw<'_, String>> {
    env.spawn_future(async move { local_outcome(route::disconnect(&cb_id).await) })
}

/// The OCPP sidebar's limits (`ocppInspector` in Node-RED's settings, as
/// JSON); returns them as in force, throws on a bad value.
#[napi]
pub fn inspector_limits(limits_json: String) -> Result<String> {
    let limits = inspector::set_limits(&limits_json).map_err(reason)?;
    serde_json::to_string(&limits).map_err(reason)
}

/// This process's instance id in a cluster, if it belongs to one.
#[napi]
pub fn cluster_instance() -> Option<String> {
    cs::cluster::current().map(|cluster| cluster.instance().to_string())
}

/// Every connected OCPP-J station with its counters, as a JSON list.
#[napi]
pub fn stations_json() -> Result<String> {
    serde_json::to_string(&inspector::stations()).map_err(reason)
}

/// Stations changed since the last call (at most `limit`) and ids gone, as JSON.
#[napi]
pub fn station_changes_json(limit: u32) -> Result<String> {
    serde_json::to_string(&inspector::changes(limit as usize)).map_err(reason)
}

/// A station's recorded frames newer than `after`, newest first, as JSON;
/// with `renew`, starts or renews its recording. `null` when it is not connected.
#[napi]
pub fn station_frames(cb_id: String, after: Option<i64>, renew: bool) -> Result<Option<String>> {
    let after = after.and_then(|a| u64::try_from(a).ok());
    inspector::frames(&cb_id, after, renew).map(|view| serde_json::to_string(&view).map_err(reason)).transpose()
}

/// Recording on or off for one station, or for all with `cbId` null; false
/// when the station is not connected.
#[napi]
pub fn set_inspector(cb_id: Option<String>, on: bool) -> bool {
    inspector::set_recording(cb_id.as_deref(), on)
}

/// The inspector as a whole (switch, stations recording, bytes held, limits), as JSON.
#[napi]
pub fn inspector_status_json() -> Result<String> {
    serde_json::to_string(&inspector::status()).map_err(reason)
}

/// The actions of an OCPP-J version ("1.6j", "2.0.1", "2.1") by who sends them, as JSON.
#[napi]
pub fn actions_for(version: String) -> Result<String> {
    let actions = inspector::actions(&version)
        .ok_or_else(|| reason(format!("unknown OCPP-J version {version:?}; use 1.6j, 2.0.1 or 2.1")))?;
    serde_json::to_string(&actions).map_err(reason)
}

/// The CALL form's starting payload for an action in a version, as JSON
/// text: `{payload, enums: {<JSON pointer>: [values]}, optional: [names]}`.
#[napi]
pub fn action_template(version: String, action: String, now: String) -> Result<String> {
    let template = inspector::action_template(&version, &action, &now).map_err(reason)?;
    serde_json::to_string(&template).map_err(reason)
}

/// The schema error of a request payload (JSON text) for an action in a
/// version, worded for the user; null when it is valid.
#[napi]
pub fn check_request(version: String, action: String, payload: String) -> Option<String> {
    inspector::check_request(&version, &action, &payload).err()
}

/// Whether a Central System sends the action in any OCPP-J version, or it
/// is one of the charge-limit commands (`SetChargeLimit`, `ClearChargeLimit`).
#[napi]
pub fn known_call_action(action: String) -> bool {
    inspector::sent_in_any_version(&action) || cs::charge_limit::is_command(&action)
}

/// JSON text with station passwords (AuthorizationKey values, BasicAuthPassword
/// attribute values) replaced by `<redacted>`: what the sidebar shows of a
/// CALL's outcome, as it shows frames.
#[napi]
pub fn redact_secrets(json: String) -> String {
    cs::secrets::redact(&json).into_owned()
}

/// Every running `CS server`'s metrics in the Prometheus text format (0.0.4),
/// for `GET /ocpp/metrics`.
#[napi]
pub fn metrics_text() -> String {
    // Inside the runtime so the engine's live task count can be read.
    within_runtime_if_available(cs::metrics::render)
}

/// A simulated charge point (`CP client JSON` node).
#[napi]
pub struct CpClient {
    inner: Arc<cp::CpClient>,
}

#[napi]
impl CpClient {
    /// Starts connecting at once unless `delayConnect`; bad options throw here.
    #[napi(constructor)]
    pub fn new(options_json: String, on_events: Function<String, ()>) -> Result<Self> {
        let options: cp::ClientOptions =
            serde_json::from_str(&options_json).map_err(|e| reason(format!("invalid CP client options: {e}")))?;
        let callback: EventFn =
            on_events.build_threadsafe_function().callee_handled::<false>().weak::<true>().build()?;
        let _guard = runtime()?.enter();
        let inner = cp::CpClient::start(options, deliver_to(callback)).map_err(reason)?;
        Ok(Self { inner: Arc::new(inner) })
    }

    /// Sends a CALL, queued in order before this returns; resolves with the
    /// outcome as JSON text (see `callStation`).
    #[napi(ts_return_type = "Promise<string>")]
    pub fn call<'env>(
        &self,
        env: &'env Env,
        action: String,
        payload_json: String,
        timeout_ms: u32,
        message_id: Option<String>,
    ) -> Result<PromiseRaw<'env, String>> {
        let _guard = runtime()?.enter();
        outcome_promise(env, self.inner.call(action, payload_json, millis(timeout_ms), message_id))
    }

    /// Sends an OCPP 2.1 SEND (one way); returns its message id.
    #[napi]
    pub fn send_one_way(&self, action: String, payload_json: String, message_id: Option<String>) -> Result<String> {
        self.inner.send_one_way(&action, &payload_json, message_id).map_err(reason)
    }

    /// Answers a CALL from the Central System; throws with a readable reason.
    #[napi]
    pub fn reply(&self, message_id: String, payload_json: Option<String>) -> Result<()> {
        self.inner.reply(&message_id, payload_json.as_deref()).map_err(reason)
    }

    #[napi]
    pub fn connect(&self, cb_id: Option<String>, url: Option<String>) -> Result<()> {
        self.inner.connect(cb_id, url).map_err(reason)
    }

    #[napi]
    pub fn disconnect(&self) -> Result<()> {
        self.inner.disconnect().map_err(reason)
    }

    #[napi(getter)]
    pub fn online(&self) -> bool {
        self.inner.is_online()
    }

    /// The version this station speaks ("1.6j", "2.0.1", "2.1").
    #[napi(getter)]
    pub fn version(&self) -> String {
        self.inner.version().label().to_owned()
    }

    /// The Central System URL in use, never with a password.
    #[napi(getter)]
    pub fn url(&self) -> String {
        self.inner.public_url()
    }

    /// Stops the client; resolves with the actions of the CALLs it dropped.
    #[napi]
    pub async fn close(&self) -> Result<Vec<String>> {
        let inner = self.inner.clone();
        Ok(inner.close().await)
    }
}
