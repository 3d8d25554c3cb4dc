//! What the cluster's tasks share: the Redis connection, this instance's
//! identity, its health, the presence table and the requests waiting for
//! other instances.

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};

use super::keys::Keys;
use super::options::{ClusterError, ClusterOptions};
use super::presence::Presence;
use super::scripts::{self, Invocation};
use crate::cs::{auth, registry};
use crate::sync::lock;

/// Liveness: an instance that has not renewed its key for this long is dead.
pub const ALIVE_TTL: Duration = Duration::from_secs(10);
/// How often an instance renews its liveness key.
pub const HEARTBEAT: Duration = Duration::from_secs(2);
/// A Redis command that has not answered in this long has failed.
pub const REDIS_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a caller waits past the request's own timeout for the holder's
/// outcome (the holder times the station out itself, then replies): longer
/// than a Redis command's deadline, which the reply's PUBLISH may take, by a second.
pub const ROUTE_GRACE: Duration = Duration::from_secs(REDIS_TIMEOUT.as_secs() + 1);
/// The most SOAP addresses the cluster keeps (as the local table does); past
/// it, those heard of longest ago are forgotten.
pub const MAX_SOAP_ADDRESSES: usize = 100_000;
/// How often every claim is asserted again even if nothing looked wrong: a
/// safety net for entries lost in ways no heartbeat notices.
pub const PRESENCE_CHECK: Duration = Duration::from_secs(60);
/// The subscription is dropped and made again when nothing, not even this
/// instance's own ping (sent with every heartbeat), arrived on it for this
/// long: a connection dropped without a FIN is otherwise never noticed.
pub const SUBSCRIPTION_SILENCE: Duration = Duration::from_secs(7);

/// Where this instance stands in the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// Subscribed and beating: requests to other instances can go out.
    Up,
    /// Redis is unreachable (or not yet reached).
    Down,
    /// Another live process uses this instance id: this one stays out of the
    /// cluster (its own stations are served) until the id is free.
    IdInUse,
}

/// What the cluster's tasks share.
pub struct Shared {
    pub options: ClusterOptions,
    pub keys: Keys,
    pub instance: Arc<str>,
    /// This run's id: a restarted instance's old presence entries are dead at once.
    pub boot: String,
    pub client: redis::Client,
    /// Commands' connection; replaced when heartbeats time out in a row (see [`Shared::reconnect`]).
    conn: Mutex<ConnectionManager>,
    /// The boot id of this process's previous run under the same instance id
    /// and prefix (a redeploy): its liveness key may be taken over at once.
    pub predecessor: String,
    pub subscribed: AtomicBool,
    pub beating: AtomicBool,
    /// Another process holds this instance id's liveness key.
    pub in_use: AtomicBool,
    /// The last heartbeat that reached Redis found the instance id this run's
    /// (a failed heartbeat does not change it: Redis being slow for a moment
    /// must not make this run ignore the requests it is sent).
    pub holds_id: AtomicBool,
    pub up: watch::Sender<Health>,
    pub presence: Presence,
    pub pending: Mutex<HashMap<u64, oneshot::Sender<String>>>,
    pub next_rid: AtomicU64,
    /// Routed messages, in the order the flow sent them.
    pub outgoing: mpsc::UnboundedSender<Outgoing>,
}

/// A message for the holder of a station, and who waits for its fate.
pub struct Outgoing {
    pub cb: String,
    pub text: String,
    /// The waiting request; None for a one-way message.
    pub rid: Option<u64>,
    pub id: String,
}

/// A lazy connection manager with the cluster's deadlines.
pub fn connection(client: &redis::Client) -> redis::RedisResult<ConnectionManager> {
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(REDIS_TIMEOUT))
        .set_response_timeout(Some(REDIS_TIMEOUT))
        .set_number_of_retries(1)
        .set_max_delay(Duration::from_secs(1));
    ConnectionManager::new_lazy_with_config(client.clone(), config)
}

impl Shared {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        options: ClusterOptions,
        boot: String,
        predecessor: String,
        client: redis::Client,
        conn: ConnectionManager,
        outgoing: mpsc::UnboundedSender<Outgoing>,
    ) -> Self {
        Self {
            keys: Keys::new(&options.prefix),
            instance: Arc::from(options.instance.as_str()),
            boot,
            predecessor,
            options,
            client,
            conn: Mutex::new(conn),
            subscribed: AtomicBool::new(false),
            beating: AtomicBool::new(false),
            in_use: AtomicBool::new(false),
            holds_id: AtomicBool::new(false),
            up: watch::channel(Health::Down).0,
            presence: Presence::default(),
            pending: Mutex::default(),
            next_rid: AtomicU64::new(1),
            outgoing,
        }
    }

    /// The commands' connection (a cheap handle).
    pub fn conn(&self) -> ConnectionManager {
        lock(&self.conn).clone()
    }

    /// Heartbeats time out in a row: the connection may be dead without the
    /// socket knowing (a peer or proxy gone silent), which the manager, that
    /// reconnects only on I/O errors, would never notice. A new one replaces it.
    pub fn reconnect(&self) {
        if let Ok(fresh) = connection(&self.client) {
            *lock(&self.conn) = fresh;
        }
    }
    pub async fn run(&self, script: &scripts::Lua, call: Invocation) -> Result<Value, ClusterError> {
        let mut conn = self.conn();
        scripts::run_one(&mut conn, script, call).await.map_err(|_| ClusterError::Unavailable)
    }

    pub fn route_invocation(&self, cb: &str, text: String) -> Invocation {
        let keys = &self.keys;
        Invocation {
            keys: vec![keys.stations()],
            args: vec![cb.to_owned(), keys.alive_prefix(), keys.channel_prefix(), text],
        }
    }

    /// `"<instance> <boot>"`: this run, as presence entries name it.
    pub fn run_id(&self) -> String {
        format!("{} {}", self.instance, self.boot)
    }

    /// Whether this process holds its instance id: only then does it act on
    /// what arrives on the instance's channel.
    pub fn admitted(&self) -> bool {
        self.holds_id.load(Ordering::Acquire)
    }

    /// Hands a routed request its outcome, if it still waits.
    pub fn settle(&self, rid: u64, outcome_json: String) {
        if let Some(tx) = lock(&self.pending).remove(&rid) {
            let _ = tx.send(outcome_json);
        }
    }

    /// Redis went away: what waits for another instance fails now, not at its timeout.
    pub fn fail_pending(&self) {
        let waiting: Vec<_> = lock(&self.pending).drain().collect();
        for (_, tx) in waiting {
            drop(tx);
        }
    }

    pub fn set_health(&self, subscribed: Option<bool>, beating: Option<bool>) {
        if let Some(s) = subscribed {
            self.subscribed.store(s, Ordering::Release);
        }
        if let Some(b) = beating {
            self.beating.store(b, Ordering::Release);
        }
        let health = if self.in_use.load(Ordering::Acquire) {
            Health::IdInUse
        } else if self.subscribed.load(Ordering::Acquire) && self.beating.load(Ordering::Acquire) {
            Health::Up
        } else {
            Health::Down
        };
        let up = health == Health::Up;
        let changed = self.up.send_if_modified(|now| std::mem::replace(now, health) != health);
        if changed && up {
            self.presence.resync();
            load_shared_tables(self);
        } else if changed {
            self.fail_pending();
        }
    }
}

/// `{code, instance}` from the route script.
pub fn route_code(value: &Value) -> (i64, String) {
    redis::from_redis_value::<(i64, String)>(value.clone()).unwrap_or((0, String::new()))
}

/// After (re)joining: the passwords and SOAP addresses the others stored.
fn load_shared_tables(shared: &Shared) {
    let keys = &shared.keys;
    let (passwords, addresses) = (keys.passwords(), keys.soap_addresses());
    let mut conn = shared.conn();
    tokio::spawn(async move {
        let loaded = redis::pipe().hgetall(passwords).hgetall(addresses).query_async(&mut conn).await;
        let Ok((passwords, addresses)) = loaded else { return };
        let (passwords, addresses): (HashMap<String, String>, HashMap<String, String>) = (passwords, addresses);
        auth::set_passwords(passwords);
        for (cb, address) in addresses {
            registry::remember_soap_address(&cb, &address);
        }
    });
}
