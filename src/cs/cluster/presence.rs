//! Which stations this instance holds, and the claims and releases that keep
//! Redis in step with it.
//!
//! Connections only touch a local table under a lock and wake the worker;
//! the worker sends what changed in batches (one script call for up to
//! [`MAX_BATCH`] changes). So a reconnect storm costs a few round trips, an
//! idle station costs nothing, and a slow or absent Redis never holds up a
//! station's handshake.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

use crate::sync::lock;

/// Changes sent in one script call.
pub const MAX_BATCH: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    /// A new connection: take the station, whoever holds it.
    Claim,
    /// The connection ended: give the station back, if still ours.
    Release,
    /// After an outage: take it back unless another live instance holds it.
    Assert,
}

impl OpKind {
    pub fn code(self) -> &'static str {
        match self {
            Self::Claim => "c",
            Self::Release => "r",
            Self::Assert => "a",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Op {
    pub kind: OpKind,
    pub cb: Arc<str>,
    /// The connection, which is also the claim's fencing token: unique to
    /// this process (and so, with the run id in the entry, to the cluster),
    /// so a release can never match a later claim, even after Redis lost
    /// everything (a counter in Redis would start again at 1).
    pub conn_id: u64,
    /// What other instances show of the station (JSON text; empty for a release).
    pub about: Arc<str>,
}

struct Held {
    conn_id: u64,
    /// Set once Redis has confirmed the claim.
    confirmed: bool,
    about: Arc<str>,
}

#[derive(Default)]
struct State {
    held: HashMap<Arc<str>, Held>,
    /// Stations whose claim has not been sent.
    unclaimed: HashSet<Arc<str>>,
    /// Claims whose connection has ended: (station, conn_id).
    releases: Vec<(Arc<str>, u64)>,
    /// Redis came back, or may have lost this run's entries: every claim is asserted again.
    resync: bool,
}

/// The table, and the worker's wake-up.
#[derive(Default)]
pub struct Presence {
    state: Mutex<State>,
    pub wake: Notify,
}

impl Presence {
    /// `about`: the station's version, server node and connection time, as
    /// JSON text, for the other instances' online lists and sidebars.
    pub fn claim(&self, cb: Arc<str>, conn_id: u64, about: Arc<str>) {
        let mut state = lock(&self.state);
        state.held.insert(cb.clone(), Held { conn_id, confirmed: false, about });
        state.unclaimed.insert(cb);
        drop(state);
        self.wake.notify_one();
    }

    /// Only the connection that claimed the station releases it. The release
    /// goes out even if the claim was never confirmed: it may have reached
    /// Redis all the same, and a release of an entry that is not this
    /// connection's changes nothing.
    pub fn release(&self, cb: &str, conn_id: u64) {
        let mut state = lock(&self.state);
        if state.held.get(cb).is_none_or(|h| h.conn_id != conn_id) {
            return;
        }
        let (cb, _) = state.held.remove_entry(cb).expect("checked above");
        state.unclaimed.remove(&cb);
        state.releases.push((cb, conn_id));
        drop(state);
        self.wake.notify_one();
    }

    /// Another instance took the station from claim `token` (a connection id):
    /// the connection to close, if that claim is still this instance's. A kick
    /// can come before Redis's confirmation of the claim reached this task.
    pub fn kicked(&self, cb: &str, token: u64) -> Option<u64> {
        let mut state = lock(&self.state);
        let held = state.held.get(cb)?;
        if held.conn_id != token {
            return None;
        }
        state.held.remove(cb);
        state.unclaimed.remove(cb);
        Some(token)
    }

    /// Redis is back (or new, or may have lost this run's entries): assert
    /// every claim again on the next batch.
    pub fn resync(&self) {
        lock(&self.state).resync = true;
        self.wake.notify_one();
    }

    /// Stations held here.
    pub fn held(&self) -> usize {
        lock(&self.state).held.len()
    }

    /// The next changes to send, at most `max` (a resync sends every held station).
    ///
    /// A resync asserts every station, confirmed or not: a claim that waited
    /// through an outage does not take a station from a live instance that
    /// claimed it meanwhile (the local connection is then the stale one).
    pub fn take_batch(&self, max: usize) -> Vec<Op> {
        let mut state = lock(&self.state);
        let mut ops = Vec::new();
        if std::mem::take(&mut state.resync) {
            state.unclaimed.clear();
            for (cb, held) in &state.held {
                ops.push(Op { kind: OpKind::Assert, cb: cb.clone(), conn_id: held.conn_id, about: held.about.clone() });
            }
        } else {
            let take: Vec<Arc<str>> = state.unclaimed.iter().take(max).cloned().collect();
            for cb in take {
                state.unclaimed.remove(&cb);
                if let Some(held) = state.held.get(&cb) {
                    let about = held.about.clone();
                    ops.push(Op { kind: OpKind::Claim, cb, conn_id: held.conn_id, about });
                }
            }
        }
        let room = max.saturating_sub(ops.len()).max(1);
        let cut = state.releases.len().saturating_sub(room);
        let about: Arc<str> = Arc::from("");
        ops.extend(state.releases.drain(cut..).map(|(cb, conn_id)| Op {
            kind: OpKind::Release,
            cb,
            conn_id,
            about: about.clone(),
        }));
        ops
    }

    /// More to send?
    pub fn has_work(&self) -> bool {
        let state = lock(&self.state);
        state.resync || !state.unclaimed.is_empty() || !state.releases.is_empty()
    }

    /// Records what Redis answered (per op: 1 taken, -1 when a live instance
    /// holds the station); returns the connections that lost their station.
    pub fn settle(&self, ops: Vec<Op>, answers: &[i64]) -> Vec<(Arc<str>, u64)> {
        let mut state = lock(&self.state);
        let mut lost = Vec::new();
        for (op, &answer) in ops.into_iter().zip(answers) {
            if op.kind == OpKind::Release {
                continue;
            }
            let current = state.held.get_mut(&op.cb).filter(|h| h.conn_id == op.conn_id);
            match (current, answer >= 0) {
                (Some(held), true) => held.confirmed = true,
                (Some(_), false) => {
                    state.held.remove(&op.cb);
                    lost.push((op.cb, op.conn_id));
                }
                // The connection ended, or a newer one claimed, while this
                // claim was on its way: give it back.
                (None, true) => state.releases.push((op.cb, op.conn_id)),
                (None, false) => {}
            }
        }
        lost
    }

    /// Redis did not take these ops: send them again once it is back.
    pub fn retry(&self, ops: Vec<Op>) {
        let mut state = lock(&self.state);
        for op in ops {
            match op.kind {
                OpKind::Release => state.releases.push((op.cb, op.conn_id)),
                OpKind::Claim => {
                    if state.held.get(&op.cb).is_some_and(|h| h.conn_id == op.conn_id && !h.confirmed) {
                        state.unclaimed.insert(op.cb);
                    }
                }
                OpKind::Assert => state.resync = true,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cb(s: &str) -> Arc<str> {
        Arc::from(s)
    }

    #[test]
    fn releases_name_their_connection_so_a_later_claim_is_never_released() {
        let p = Presence::default();
        p.claim(cb("A"), 1, cb("{}"));
        let ops = p.take_batch(MAX_BATCH);
        assert_eq!((ops[0].kind, ops[0].conn_id), (OpKind::Claim, 1));
        assert!(p.settle(ops, &[1]).is_empty());
        // A second connection of A replaces the first before its release.
        p.claim(cb("A"), 2, cb("{}"));
        p.release("A", 1);
        let ops = p.take_batch(MAX_BATCH);
        assert_eq!(
            ops.iter().map(|o| o.kind).collect::<Vec<_>>(),
            [OpKind::Claim],
            "the old connection releases nothing"
        );
        // The new connection ends before Redis confirms its claim: its release names connection 2.
        p.release("A", 2);
        assert!(p.settle(ops, &[1]).is_empty());
        let ops = p.take_batch(MAX_BATCH);
        assert!(ops.iter().all(|o| (o.kind, o.conn_id) == (OpKind::Release, 2)), "{ops:?}");
        assert_eq!(p.held(), 0);
    }

    #[test]
    fn an_outage_with_a_reconnect_releases_the_old_connection_only() {
        // Connection 1 claimed; during an outage it ends and connection 2 connects.
        let p = Presence::default();
        p.claim(cb("S"), 1, cb("{}"));
        let ops = p.take_batch(MAX_BATCH);
        p.settle(ops, &[1]);
        p.release("S", 1);
        p.claim(cb("S"), 2, cb("{}"));
        p.resync();
        let ops = p.take_batch(MAX_BATCH);
        let seen: Vec<_> = ops.iter().map(|o| (o.kind, o.conn_id)).collect();
        assert_eq!(seen, [(OpKind::Assert, 2), (OpKind::Release, 1)]);
    }

    #[test]
    fn kicks_match_the_connection_even_before_confirmation_and_resync_asserts_every_claim() {
        let p = Presence::default();
        p.claim(cb("A"), 1, cb("{}"));
        p.claim(cb("B"), 2, cb("{}"));
        assert_eq!(p.kicked("A", 9), None, "another connection's kick is ignored");
        assert_eq!(p.kicked("A", 1), Some(1), "a kick before the claim's confirmation closes");
        assert_eq!(p.kicked("A", 1), None);
        p.resync();
        let ops = p.take_batch(MAX_BATCH);
        assert_eq!(ops.len(), 1);
        assert_eq!((ops[0].kind, ops[0].conn_id), (OpKind::Assert, 2), "an unconfirmed claim is asserted, not forced");
        assert_eq!(p.settle(ops, &[-1]), vec![(cb("B"), 2)], "a live instance holds B now");
        assert!(!p.has_work());
    }

    #[test]
    fn failed_batches_come_back() {
        let p = Presence::default();
        p.claim(cb("A"), 1, cb("{}"));
        let ops = p.take_batch(MAX_BATCH);
        p.retry(ops);
        assert!(p.has_work());
        let ops = p.take_batch(MAX_BATCH);
        assert_eq!(ops[0].kind, OpKind::Claim);
        p.settle(ops, &[1]);
        p.resync();
        let ops = p.take_batch(MAX_BATCH);
        p.retry(ops);
        assert_eq!(p.take_batch(MAX_BATCH)[0].kind, OpKind::Assert, "a failed resync is redone");
    }
}
