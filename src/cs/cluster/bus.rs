//! The cluster's background tasks: listening on this instance's channels,
//! the liveness heartbeat (and the reaping of dead instances), sending
//! presence changes, and sending routed requests in order.

use futures_util::StreamExt;
use serde_json::value::RawValue;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::{sleep, timeout, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use super::options::ClusterError;
use super::presence::{Op, MAX_BATCH};
use super::scripts::{self, Invocation};
use super::shared::{
    route_code, Health, Outgoing, Shared, ALIVE_TTL, HEARTBEAT, PRESENCE_CHECK, REDIS_TIMEOUT, SUBSCRIPTION_SILENCE,
};
use super::wire::Envelope;
use crate::cs::calls::{self, CallRequest};
use crate::cs::{auth, registry};
use crate::flow::{CallOutcome, Failure};

/// Longest wait between attempts to reach Redis again.
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// Pause before sending presence changes again after Redis refused a batch.
const RETRY_PAUSE: Duration = Duration::from_millis(300);
/// Heartbeats failed in a row after which the commands' connection is made anew.
const RECONNECT_AFTER: u32 = 2;
/// The reaper runs every this many heartbeats.
const REAP_EVERY: u32 = 3;

/// Subscribes to this instance's channel and the broadcast channel, and
/// hands each message on; subscribes again after Redis comes back, or when
/// the subscription fell silent (not even this instance's own heartbeat
/// ping arrived): a connection dropped without a FIN is noticed so.
pub(super) async fn listen(shared: Arc<Shared>, cancel: CancellationToken) {
    let mut backoff = Duration::from_millis(100);
    loop {
        let connected = tokio::select! {
            _ = cancel.cancelled() => return,
            c = timeout(REDIS_TIMEOUT, subscribe(&shared)) => c.ok().and_then(Result::ok),
        };
        if let Some(pubsub) = connected {
            backoff = Duration::from_millis(100);
            shared.set_health(Some(true), None);
            let mut messages = pubsub.into_on_message();
            loop {
                let msg = tokio::select! {
                    _ = cancel.cancelled() => return,
                    m = timeout(SUBSCRIPTION_SILENCE, messages.next()) => m,
                };
                let Ok(Some(msg)) = msg else { break };
                if let Ok(text) = std::str::from_utf8(msg.get_payload_bytes()) {
                    dispatch(&shared, text);
                }
            }
            shared.set_health(Some(false), None);
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

async fn subscribe(shared: &Shared) -> redis::RedisResult<redis::aio::PubSub> {
    let mut pubsub = shared.client.get_async_pubsub().await?;
    pubsub.subscribe(shared.keys.channel(&shared.instance)).await?;
    pubsub.subscribe(shared.keys.broadcast()).await?;
    Ok(pubsub)
}

fn dispatch(shared: &Arc<Shared>, text: &str) {
    let Ok(envelope) = Envelope::parse(text) else { return };
    let me = &*shared.instance;
    match envelope {
        // The instance's channel is acted on only by the process holding the
        // instance id: a second process with the same id hears it too.
        Envelope::Call { .. } | Envelope::Disconnect { .. } | Envelope::Kick { .. } if !shared.admitted() => {}
        Envelope::Call { rid, run, from, cb, action, id, timeout_ms, payload } => {
            let request = CallRequest {
                cb_id: cb,
                action,
                payload: payload.get().to_owned(),
                timeout: Duration::from_millis(timeout_ms.max(1)),
                message_id: Some(id),
            };
            // Handed to the station's connection now, in the order the calls came.
            let ticket = calls::call_station(request).held_by(shared.instance.clone());
            let shared = shared.clone();
            tokio::spawn(async move {
                let outcome = ticket.outcome_json().await;
                let Ok(outcome) = RawValue::from_string(outcome) else { return };
                let reply = Envelope::Reply { rid, run, outcome }.to_text();
                let mut conn = shared.conn();
                let _ = redis::cmd("PUBLISH")
                    .arg(shared.keys.channel(&from))
                    .arg(reply)
                    .query_async::<i64>(&mut conn)
                    .await;
            });
        }
        // A reply to an earlier run of this instance (before a redeploy) would
        // settle this run's request of the same number: dropped.
        Envelope::Reply { rid, run, outcome } if run == shared.boot => shared.settle(rid, outcome.get().to_owned()),
        Envelope::Reply { .. } | Envelope::Ping { .. } => {}
        Envelope::Disconnect { cb } => {
            registry::disconnect(&cb);
        }
        Envelope::Kick { cb, token, by } => {
            let Ok(token) = token.parse() else { return };
            if let Some(conn_id) = shared.presence.kicked(&cb, token) {
                let reason = format!("connected again through instance {by}");
                registry::close_conn(&cb, conn_id, 1000, &reason);
            }
        }
        Envelope::Passwords { from, entries } if from != me => auth::set_passwords(entries),
        Envelope::Soap { from, cb, address } if from != me => {
            registry::remember_soap_address(&cb, &address);
        }
        Envelope::Passwords { .. } | Envelope::Soap { .. } => {}
    }
}

/// Renews this run's liveness key every [`HEARTBEAT`] (and pings the
/// instance's channel), and every few beats forgets the instances that stopped
/// renewing theirs. Gives the key up when the cluster stops, so the others see
/// this run end at once.
///
/// Whenever the key did not hold this run's id (it expired: a paused process,
/// a starved runtime, an eviction; or this run is new), the others may have
/// reaped this run's entries, so every claim is asserted again; and so every
/// [`PRESENCE_CHECK`] anyway. While another process holds the instance id,
/// this one stays out of the cluster and says so.
pub(super) async fn heartbeat(shared: Arc<Shared>, cancel: CancellationToken) {
    let mut tick = tokio::time::interval(HEARTBEAT);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let check_every = u32::try_from(PRESENCE_CHECK.as_millis() / HEARTBEAT.as_millis()).unwrap_or(30).max(1);
    let mut beats = 0u32;
    let mut failed_in_a_row = 0u32;
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = tick.tick() => {}
        }
        let beat = timeout(REDIS_TIMEOUT, renew(&shared)).await.ok().and_then(Result::ok);
        failed_in_a_row = if beat.is_some() { 0 } else { failed_in_a_row + 1 };
        if failed_in_a_row > 0 && failed_in_a_row.is_multiple_of(RECONNECT_AFTER) {
            shared.reconnect();
        }
        match &beat {
            Some(Alive::Held { previous }) => {
                shared.in_use.store(false, Ordering::Release);
                shared.holds_id.store(true, Ordering::Release);
                shared.set_health(None, Some(true));
                if *previous != shared.boot {
                    shared.presence.resync();
                }
            }
            Some(Alive::InUse) => {
                shared.holds_id.store(false, Ordering::Release);
                shared.in_use.store(true, Ordering::Release);
                shared.set_health(None, Some(false));
            }
            None => shared.set_health(None, Some(false)),
        }
        beats = beats.wrapping_add(1);
        if beat.is_none() || !shared.admitted() {
            continue;
        }
        if beats.is_multiple_of(check_every) {
            shared.presence.resync();
        }
        if beats.is_multiple_of(REAP_EVERY) {
            let keys = &shared.keys;
            let call = Invocation {
                keys: vec![keys.instances(), keys.stations(), keys.details()],
                args: vec![keys.alive_prefix()],
            };
            let _ = timeout(REDIS_TIMEOUT, shared.run(&scripts::REAP, call)).await;
        }
    }
    let call = Invocation { keys: vec![shared.keys.alive(&shared.instance)], args: vec![shared.boot.clone()] };
    let _ = timeout(Duration::from_secs(1), shared.run(&scripts::LEAVE, call)).await;
}

/// What a heartbeat found.
enum Alive {
    /// The key is this run's now; `previous`: what it held ("" if nothing).
    Held { previous: String },
    /// Another process holds the instance id.
    InUse,
}

/// Runs [`scripts::ALIVE`]: takes or renews the liveness key, pings the channel.
async fn renew(shared: &Shared) -> Result<Alive, ClusterError> {
    let keys = &shared.keys;
    let ttl = u64::try_from(ALIVE_TTL.as_millis()).unwrap_or(10_000);
    let ping = Envelope::Ping { run: shared.boot.clone() }.to_text();
    let call = Invocation {
        keys: vec![keys.alive(&shared.instance), keys.instances()],
        args: vec![
            shared.boot.clone(),
            shared.predecessor.clone(),
            ttl.to_string(),
            shared.run_id(),
            keys.channel(&shared.instance),
            ping,
        ],
    };
    let value = shared.run(&scripts::ALIVE, call).await?;
    let (held, previous): (i64, String) = redis::from_redis_value(value).map_err(|_| ClusterError::Unavailable)?;
    Ok(if held == 1 { Alive::Held { previous } } else { Alive::InUse })
}

/// Sends presence changes in batches while Redis is up.
pub(super) async fn sync_presence(shared: Arc<Shared>, cancel: CancellationToken) {
    let mut up = shared.up.subscribe();
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = shared.presence.wake.notified() => {}
            _ = up.changed() => {}
        }
        while *up.borrow() == Health::Up && shared.presence.has_work() {
            let ops = shared.presence.take_batch(MAX_BATCH);
            let chunks: Vec<Vec<Op>> = ops.chunks(MAX_BATCH).map(<[Op]>::to_vec).collect();
            let calls: Vec<Invocation> = chunks.iter().map(|chunk| presence_call(&shared, chunk)).collect();
            let mut conn = shared.conn();
            let mut failed = false;
            match scripts::run_batch(&mut conn, &scripts::PRESENCE, &calls).await {
                Ok(results) => {
                    for (chunk, result) in chunks.into_iter().zip(results) {
                        let answers = result.ok().and_then(|v| redis::from_redis_value::<Vec<i64>>(v).ok());
                        match answers {
                            Some(answers) if answers.len() == chunk.len() => {
                                for (cb, conn_id) in shared.presence.settle(chunk, &answers) {
                                    registry::close_conn(&cb, conn_id, 1000, "held by another instance of the cluster");
                                }
                            }
                            _ => {
                                shared.presence.retry(chunk);
                                failed = true;
                            }
                        }
                    }
                }
                Err(_) => {
                    shared.presence.retry(chunks.into_iter().flatten().collect());
                    failed = true;
                }
            }
            if failed {
                // The connection may be coming back: try again shortly, while Redis looks up.
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    _ = sleep(RETRY_PAUSE) => {}
                }
            }
        }
    }
}

fn presence_call(shared: &Shared, ops: &[Op]) -> Invocation {
    let keys = &shared.keys;
    let mut args = vec![shared.run_id(), keys.channel_prefix(), keys.alive_prefix()];
    for op in ops {
        args.push(op.kind.code().to_owned());
        args.push(op.cb.to_string());
        args.push(op.conn_id.to_string());
        args.push(op.about.to_string());
    }
    Invocation { keys: vec![keys.stations(), keys.details()], args }
}
/// Sends routed messages in batches, one pipeline each, in the order the
/// flow sent them; a message no live instance takes fails its request now.
pub(super) async fn send_routed(
    shared: Arc<Shared>,
    mut queue: mpsc::UnboundedReceiver<Outgoing>,
    cancel: CancellationToken,
) {
    let mut batch = Vec::with_capacity(256);
    loop {
        let n = tokio::select! {
            _ = cancel.cancelled() => return,
            n = queue.recv_many(&mut batch, 256) => n,
        };
        if n == 0 {
            return;
        }
        let calls: Vec<Invocation> =
            batch.iter_mut().map(|out| shared.route_invocation(&out.cb, std::mem::take(&mut out.text))).collect();
        let mut conn = shared.conn();
        match scripts::run_batch(&mut conn, &scripts::ROUTE, &calls).await {
            Ok(results) => {
                for (out, result) in batch.drain(..).zip(results) {
                    let outcome = match result {
                        Ok(value) => {
                            let (code, instance) = route_code(&value);
                            not_routed(code, &instance, &out.cb)
                        }
                        // Refused by Redis (the script could not be loaded): it did not run.
                        Err(_) => Some(CallOutcome::failed(
                            Failure::ClusterUnavailable,
                            ClusterError::Unavailable.to_string(),
                        )),
                    };
                    if let (Some(rid), Some(outcome)) = (out.rid, outcome) {
                        shared.settle(rid, outcome.to_json(&out.id, None));
                    }
                }
            }
            Err(_) => {
                // The pipeline broke: any of its messages may have been handed over.
                for out in batch.drain(..) {
                    if let Some(rid) = out.rid {
                        let outcome =
                            CallOutcome::failed(Failure::ClusterUnavailable, ClusterError::MaybeSent.to_string());
                        shared.settle(rid, outcome.to_json(&out.id, None));
                    }
                }
            }
        }
    }
}

/// Why a message reached no instance, as the request's outcome; None when it was handed over.
fn not_routed(code: i64, instance: &str, cb: &str) -> Option<CallOutcome> {
    let message = match code {
        1 => return None,
        2 => format!("station {cb} was held by instance {instance}, which has stopped; it is connected nowhere now"),
        3 => format!("station {cb} is held by instance {instance}, which is not listening to the cluster"),
        _ => format!("station {cb} is not connected to any instance of the cluster"),
    };
    Some(CallOutcome::failed(Failure::NotConnected, message))
}
