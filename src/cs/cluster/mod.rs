//! One Central System over several Node-RED instances, through Redis.
//!
//! Each instance serves the stations connected to it, as without a cluster;
//! Redis tells the instances apart and carries what crosses between them:
//! - presence: which instance holds which station (claimed on connect,
//!   released on disconnect, fenced by a token), and one liveness key per
//!   instance instead of a key per station, so an idle fleet costs Redis a
//!   few commands a second whatever its size;
//! - routing: a `CS request JSON` (or `LOCAL_DISCONNECT`) for a station held
//!   elsewhere goes to the holder's channel; its outcome comes back on the
//!   caller's. At most once: a call lost with its holder fails, it is never resent;
//! - what every instance must know alike: the passwords set by
//!   `LOCAL_SET_ALL_AUTH_EVSES` and the SOAP stations' addresses.
//!
//! There is one cluster per process (the station tables are process-wide),
//! shared by the CS servers that name it and stopped with the last of them.

mod bus;
pub mod keys;
mod options;
pub mod presence;
mod scripts;
mod shared;
pub mod wire;

use serde_json::value::RawValue;
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, LazyLock, Mutex, Weak};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;

use self::options::{client, public_url};
pub use self::options::{ClusterError, ClusterOptions};
use self::scripts::Invocation;
pub use self::shared::Health;
use self::shared::{route_code, Outgoing, Shared, MAX_SOAP_ADDRESSES, ROUTE_GRACE};
use self::wire::Envelope;
use super::calls::CallRequest;
use crate::flow::{CallOutcome, Failure};
use crate::sync::lock;

/// A station held by a live instance, as the online list gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub id: String,
    pub instance: String,
    /// JSON text of its version, server node and connection time (`""` if unknown).
    pub about: String,
}

/// A running cluster membership.
pub struct Cluster {
    shared: Arc<Shared>,
    cancel: CancellationToken,
    /// CS servers using it; at zero it stops (a redeploy then starts a new run).
    users: std::sync::atomic::AtomicUsize,
}

static CURRENT: LazyLock<Mutex<Weak<Cluster>>> = LazyLock::new(|| Mutex::new(Weak::new()));

/// This process's latest run: (prefix, instance, boot). A new run under the
/// same id (a redeploy) takes its liveness key over at once; any other
/// process's key it waits out.
static LAST_RUN: Mutex<Option<(String, String, String)>> = Mutex::new(None);

/// The cluster this process belongs to, if any: one that a running CS server uses.
pub fn current() -> Option<Arc<Cluster>> {
    lock(&CURRENT).upgrade().filter(|c| c.users.load(Ordering::Acquire) > 0)
}

/// Joins the cluster for a CS server (starting membership if this process
/// has none running); must run inside the tokio runtime. Each join is
/// matched by a [`Cluster::detach`] when the server closes.
pub fn join(options: ClusterOptions) -> Result<Arc<Cluster>, ClusterError> {
    let mut current = lock(&CURRENT);
    // A membership no CS server uses any more has stopped: a new one starts below.
    if let Some(running) = current.upgrade().filter(|c| c.users.load(Ordering::Acquire) > 0) {
        if running.shared.options != options {
            return Err(ClusterError::Another { running: format!("{:?}", running.shared.options) });
        }
        running.users.fetch_add(1, Ordering::AcqRel);
        return Ok(running);
    }
    let cluster = Arc::new(Cluster::start(options)?);
    *current = Arc::downgrade(&cluster);
    Ok(cluster)
}

impl Cluster {
    fn start(options: ClusterOptions) -> Result<Self, ClusterError> {
        keys::check_instance(&options.instance).map_err(ClusterError::Invalid)?;
        keys::check_prefix(&options.prefix).map_err(ClusterError::Invalid)?;
        if options.max_pending == 0 {
            return Err(ClusterError::Invalid("max pending requests must be at least 1".into()));
        }
        let client = client(&options)?;
        let conn = shared::connection(&client)
            .map_err(|e| ClusterError::Invalid(format!("cannot use {}: {e}", public_url(&options.url))))?;
        let (outgoing, queue) = mpsc::unbounded_channel();
        let boot = uuid::Uuid::new_v4().simple().to_string();
        let predecessor = {
            let mut last = lock(&LAST_RUN);
            let previous = match last.take() {
                Some((prefix, instance, boot)) if prefix == options.prefix && instance == options.instance => boot,
                _ => String::new(),
            };
            *last = Some((options.prefix.clone(), options.instance.clone(), boot.clone()));
            previous
        };
        let shared = Arc::new(Shared::new(options, boot, predecessor, client, conn, outgoing));
        let cancel = CancellationToken::new();
        tokio::spawn(bus::listen(shared.clone(), cancel.clone()));
        tokio::spawn(bus::heartbeat(shared.clone(), cancel.clone()));
        tokio::spawn(bus::sync_presence(shared.clone(), cancel.clone()));
        tokio::spawn(bus::send_routed(shared.clone(), queue, cancel.clone()));
        Ok(Self { shared, cancel, users: std::sync::atomic::AtomicUsize::new(1) })
    }

    /// A CS server using the cluster closed. With the last one the membership
    /// ends now, not when JavaScript collects the server: the instance's
    /// liveness is given up and a changed ocpp-cluster node can start anew.
    pub fn detach(&self) {
        let _current = lock(&CURRENT);
        if self.users.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.cancel.cancel();
        }
    }

    pub fn instance(&self) -> &Arc<str> {
        &self.shared.instance
    }

    /// Whether requests to other instances can go out; changes as Redis comes
    /// and goes, and while another process holds this instance id.
    pub fn watch(&self) -> watch::Receiver<Health> {
        self.shared.up.subscribe()
    }

    pub fn is_up(&self) -> bool {
        *self.shared.up.borrow() == Health::Up
    }

    /// A station connected here: it is ours now, cluster-wide. `about`: its
    /// version, server node and connection time as the other instances show them.
    pub fn claim(&self, cb: Arc<str>, conn_id: u64, about: Arc<str>) {
        self.shared.presence.claim(cb, conn_id, about);
    }

    /// Its connection ended.
    pub fn release(&self, cb: &str, conn_id: u64) {
        self.shared.presence.release(cb, conn_id);
    }

    /// Sends a checked CALL to the instance holding `req.cb_id`; `id` is its message id.
    pub fn route_call(&self, id: String, req: CallRequest) -> Routed {
        let shared = &self.shared;
        let fail = |failure, message: String| {
            Routed(RoutedState::Settled(CallOutcome::failed(failure, message).to_json(&id, None)))
        };
        if !self.is_up() {
            return fail(Failure::ClusterUnavailable, ClusterError::Unavailable.to_string());
        }
        let Ok(payload) = RawValue::from_string(req.payload) else {
            return fail(Failure::Invalid, "the payload is not JSON".into());
        };
        let (tx, rx) = oneshot::channel();
        let rid = shared.next_rid.fetch_add(1, Ordering::Relaxed);
        {
            let mut pending = lock(&shared.pending);
            if pending.len() >= shared.options.max_pending {
                let limit = shared.options.max_pending;
                let message = format!(
                    "{limit} requests to other instances are already waiting for answers; \
                     raise the ocpp-cluster's Max pending requests or send less often"
                );
                return fail(Failure::QueueFull, message);
            }
            pending.insert(rid, tx);
        }
        let timeout_ms = u64::try_from(req.timeout.as_millis()).unwrap_or(u64::MAX);
        let envelope = Envelope::Call {
            rid,
            run: shared.boot.clone(),
            from: shared.options.instance.clone(),
            cb: req.cb_id.clone(),
            action: req.action.clone(),
            id: id.clone(),
            timeout_ms,
            payload,
        };
        let out = Outgoing { cb: req.cb_id.clone(), text: envelope.to_text(), rid: Some(rid), id: id.clone() };
        if shared.outgoing.send(out).is_err() {
            lock(&shared.pending).remove(&rid);
            return fail(Failure::ClusterUnavailable, ClusterError::Unavailable.to_string());
        }
        Routed(RoutedState::Waiting {
            shared: shared.clone(),
            rid,
            rx,
            wait: req.timeout + ROUTE_GRACE,
            id,
            cb: req.cb_id,
            action: req.action,
        })
    }

    /// `LOCAL_DISCONNECT` for a station held elsewhere; false when no live instance holds it.
    pub async fn disconnect(&self, cb: &str) -> Result<bool, ClusterError> {
        if !self.is_up() {
            return Err(ClusterError::Unavailable);
        }
        let text = Envelope::Disconnect { cb: cb.to_owned() }.to_text();
        let value = self.shared.run(&scripts::ROUTE, self.shared.route_invocation(cb, text)).await?;
        Ok(route_code(&value).0 == 1)
    }

    /// Every station held by a live instance, sorted by station.
    pub async fn online(&self) -> Result<Vec<Held>, ClusterError> {
        if !self.is_up() {
            return Err(ClusterError::Unavailable);
        }
        let keys = &self.shared.keys;
        let call = Invocation { keys: vec![keys.stations(), keys.details()], args: vec![keys.alive_prefix()] };
        let value = self.shared.run(&scripts::ONLINE, call).await?;
        let flat: Vec<String> = redis::from_redis_value(value).map_err(|_| ClusterError::Unavailable)?;
        let mut list: Vec<Held> = flat
            .chunks_exact(3)
            .map(|t| Held { id: t[0].clone(), instance: t[1].clone(), about: t[2].clone() })
            .collect();
        list.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(list)
    }

    /// Stores `LOCAL_SET_ALL_AUTH_EVSES` passwords for every instance, present and future.
    pub async fn share_passwords(&self, entries: HashMap<String, String>) -> Result<(), ClusterError> {
        if !self.is_up() {
            return Err(ClusterError::Unavailable);
        }
        let keys = &self.shared.keys;
        let mut pipe = redis::pipe();
        for (cb, password) in &entries {
            if password.is_empty() {
                pipe.hdel(keys.passwords(), cb).ignore();
            } else {
                pipe.hset(keys.passwords(), cb, password).ignore();
            }
        }
        let text = Envelope::Passwords { from: self.shared.options.instance.clone(), entries }.to_text();
        pipe.publish(keys.broadcast(), text).ignore();
        let mut conn = self.shared.conn();
        pipe.query_async::<()>(&mut conn).await.map_err(|_| ClusterError::Unavailable)
    }

    /// Reserves `count` 1.6 transaction ids for this instance; returns the
    /// last. `mark` is the highest counter this instance has seen (kept in its
    /// id file): a counter that is missing (while `mark` is above 0) or below
    /// it means Redis restarted empty, and is first raised to `mark + gap`, above
    /// the ids other instances gave out since this one last looked.
    pub async fn reserve_transaction_ids(&self, count: i64, mark: i64, gap: i64) -> Result<i64, ClusterError> {
        const RESERVE: &str = "local mark = tonumber(ARGV[2]) \
            local cur = tonumber(redis.call('GET', KEYS[1]) or '-1') \
            if cur < 0 and mark <= 0 then cur = 0 elseif cur < mark then cur = mark + tonumber(ARGV[3]) end \
            cur = cur + tonumber(ARGV[1]) redis.call('SET', KEYS[1], cur) return cur";
        let mut conn = self.shared.conn();
        redis::Script::new(RESERVE)
            .key(self.shared.keys.transaction_ids())
            .arg(count)
            .arg(mark)
            .arg(gap)
            .invoke_async(&mut conn)
            .await
            .map_err(|_| ClusterError::Unavailable)
    }

    /// The cluster's transaction id counter now (`None`: missing), a cheap GET
    /// an instance makes now and then to keep its mark current (`cs/txids.rs`).
    pub async fn transaction_ids_counter(&self) -> Result<Option<i64>, ClusterError> {
        let mut conn = self.shared.conn();
        redis::cmd("GET")
            .arg(self.shared.keys.transaction_ids())
            .query_async::<Option<i64>>(&mut conn)
            .await
            .map_err(|_| ClusterError::Unavailable)
    }

    /// A SOAP station's new address, for every instance (in the background).
    pub fn share_soap_address(&self, cb: &str, address: &str) {
        let shared = self.shared.clone();
        let keys = &shared.keys;
        let text =
            Envelope::Soap { from: shared.options.instance.clone(), cb: cb.into(), address: address.into() }.to_text();
        let now = crate::time::now_ms();
        let args = vec![
            cb.to_owned(),
            address.to_owned(),
            MAX_SOAP_ADDRESSES.to_string(),
            keys.broadcast(),
            text,
            now.to_string(),
        ];
        let call = Invocation { keys: vec![keys.soap_addresses(), keys.soap_seen()], args };
        tokio::spawn(async move {
            let _ = shared.run(&scripts::SOAP_ADDRESS, call).await;
        });
    }
}

impl Drop for Cluster {
    /// The tasks end; the heartbeat gives up this run's liveness on its way out.
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// The outcome of a routed request, to come.
pub struct Routed(RoutedState);

enum RoutedState {
    Settled(String),
    Waiting {
        shared: Arc<Shared>,
        rid: u64,
        rx: oneshot::Receiver<String>,
        wait: Duration,
        id: String,
        cb: String,
        action: String,
    },
}

impl Routed {
    /// The outcome as JSON text for JavaScript, as a local call's.
    pub async fn outcome_json(self) -> String {
        let (shared, rid, rx, wait, id, cb, action) = match self.0 {
            RoutedState::Settled(json) => return json,
            RoutedState::Waiting { shared, rid, rx, wait, id, cb, action } => (shared, rid, rx, wait, id, cb, action),
        };
        let outcome = match tokio::time::timeout(wait, rx).await {
            Ok(Ok(json)) => return json,
            // Redis went away while the request was with the holder: it may have reached the station.
            Ok(Err(_)) => CallOutcome::failed(Failure::ClusterUnavailable, ClusterError::MaybeSent.to_string()),
            Err(_) => {
                lock(&shared.pending).remove(&rid);
                CallOutcome::failed(
                    Failure::Timeout,
                    format!(
                        "no answer to {action} for {cb} from the instance holding it in time (it may have stopped)"
                    ),
                )
            }
        };
        outcome.to_json(&id, None)
    }
}
