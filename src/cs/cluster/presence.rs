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
    pub conn_id: u64,
    /// The claim's fencing token (0 for a new claim).
    pub token: u64,
    /// What other instances show of the station (JSON text; empty for a release).
    pub about: Arc<str>,
}

struct Held {
    conn_id: u64,
    /// Set once Redis has confirmed the claim.
    token: Option<u64>,
    about: Arc<str>,
}

#[derive(Default)]
struct State {
    held: HashMap<Arc<str>, Held>,
    /// Stations whose claim has not been sent.
    unclaimed: HashSet<Arc<str>>,
    /// Confirmed claims whose connection has ended.
    releases: Vec<(Arc<str>, u64)>,
    /// Redis came back: every confirmed claim is asserted again.
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
        state.held.insert(cb.clone(), Held { conn_id, token: None, about });
        state.unclaimed.insert(cb);
        drop(state);
        self.wake.notify_one();
    }

    /// Only the connection that claimed the station releases it.
    pub fn release(&self, cb: &str, conn_id: u64) {
        let mut state = lock(&self.state);
        if state.held.get(cb).is_none_or(|h| h.conn_id != conn_id) {
            return;
        }
        let (cb, held) = state.held.remove_entry(cb).expect("checked above");
        state.unclaimed.remove(&cb);
        if let Some(token) = held.token {
            state.releases.push((cb, token));
        }
        drop(state);
        self.wake.notify_one();
    }

    /// Another instance took the station from claim `token`: the connection to
    /// close, if that claim is still this instance's.
    pub fn kicked(&self, cb: &str, token: u64) -> Option<u64> {
        let mut state = lock(&self.state);
        let held = state.held.get(cb)?;
        if held.token != Some(token) {
            return None;
        }
        let conn_id = held.conn_id;
        state.held.remove(cb);
        Some(conn_id)
    }

    /// Redis is back (or new): assert every claim again on the next batch.
    pub fn resync(&self) {
        lock(&self.state).resync = true;
        self.wake.notify_one();
    }

    /// Stations held here.
    pub fn held(&self) -> usize {
        lock(&self.state).held.len()
    }

    /// The next changes to send, at most `max`.
    pub fn take_batch(&self, max: usize) -> Vec<Op> {
        let mut state = lock(&self.state);
        let mut ops = Vec::new();
        if std::mem::take(&mut state.resync) {
            state.unclaimed.clear();
            for (cb, held) in &state.held {
                let (kind, token) = match held.token {
                    Some(token) => (OpKind::Assert, token),
                    None => (OpKind::Claim, 0),
                };
                ops.push(Op { kind, cb: cb.clone(), conn_id: held.conn_id, token, about: held.about.clone() });
            }
        } else {
            let take: Vec<Arc<str>> = state.unclaimed.iter().take(max).cloned().collect();
            for cb in take {
                state.unclaimed.remove(&cb);
                if let Some(held) = state.held.get(&cb) {
                    let about = held.about.clone();
                    ops.push(Op { kind: OpKind::Claim, cb, conn_id: held.conn_id, token: 0, about });
                }
            }
        }
        let room = max.saturating_sub(ops.len()).max(1);
        let cut = state.releases.len().saturating_sub(room);
        let about: Arc<str> = Arc::from("");
        ops.extend(state.releases.drain(cut..).map(|(cb, token)| Op {
            kind: OpKind::Release,
            cb,
            conn_id: 0,
            token,
            about: about.clone(),
        }));
        ops
    }

    /// More to send?
    pub fn has_work(&self) -> bool {
        let state = lock(&self.state);
        state.resync || !state.unclaimed.is_empty() || !state.releases.is_empty()
    }

    /// Records what Redis answered (a token per op, -1 when a live instance
    /// holds the station); returns the connections that lost their station.
    pub fn settle(&self, ops: Vec<Op>, tokens: &[i64]) -> Vec<(Arc<str>, u64)> {
        let mut state = lock(&self.state);
        let mut lost = Vec::new();
        for (op, &token) in ops.into_iter().zip(tokens) {
            if op.kind == OpKind::Release {
                continue;
            }
            let current = state.held.get_mut(&op.cb).filter(|h| h.conn_id == op.conn_id);
            match (current, u64::try_from(token)) {
                (Some(held), Ok(token)) => held.token = Some(token),
                (Some(_), Err(_)) => {
                    state.held.remove(&op.cb);
                    lost.push((op.cb, op.conn_id));
                }
                // The connection ended, or a newer one claimed, while this
                // claim was on its way: give it back.
                (None, Ok(token)) => state.releases.push((op.cb, token)),
                (None, Err(_)) => {}
            }
        }
        lost
    }

    /// Redis did not take the batch: send it again once it is back.
    pub fn retry(&self, ops: Vec<Op>) {
        let mut state = lock(&self.state);
        for op in ops {
            match op.kind {
                OpKind::Release => state.releases.push((op.cb, op.token)),
                OpKind::Claim => {
                    if state.held.get(&op.cb).is_some_and(|h| h.conn_id == op.conn_id && h.token.is_none()) {
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
    fn claims_release_only_their_own_token_and_late_claims_are_given_back() {
        let p = Presence::default();
        p.claim(cb("A"), 1, cb("{}"));
        let ops = p.take_batch(MAX_BATCH);
        assert_eq!(ops.len(), 1);
        assert_eq!(ops[0].kind, OpKind::Claim);
        assert!(p.settle(ops, &[5]).is_empty());
        // A second connection of A replaces the first before its release.
        p.claim(cb("A"), 2, cb("{}"));
        p.release("A", 1);
        let ops = p.take_batch(MAX_BATCH);
        assert_eq!(
            ops.iter().map(|o| o.kind).collect::<Vec<_>>(),
            [OpKind::Claim],
            "the old connection releases nothing"
        );
        // The new connection ends before Redis confirms its claim: the token goes back.
        p.release("A", 2);
        assert!(p.settle(ops, &[6]).is_empty());
        let ops = p.take_batch(MAX_BATCH);
        assert_eq!((ops[0].kind, ops[0].token), (OpKind::Release, 6));
        assert_eq!(p.held(), 0);
    }

    #[test]
    fn kicks_match_tokens_and_resync_asserts_confirmed_claims() {
        let p = Presence::default();
        p.claim(cb("A"), 1, cb("{}"));
        p.claim(cb("B"), 2, cb("{}"));
        let ops = p.take_batch(MAX_BATCH);
        let tokens: Vec<i64> = ops.iter().map(|o| if &*o.cb == "A" { 10 } else { 11 }).collect();
        p.settle(ops, &tokens);
        assert_eq!(p.kicked("A", 9), None, "an older claim's kick is ignored");
        assert_eq!(p.kicked("A", 10), Some(1));
        assert_eq!(p.kicked("A", 10), None);
        p.resync();
        let ops = p.take_batch(MAX_BATCH);
        assert_eq!(ops.len(), 1);
        assert_eq!((ops[0].kind, ops[0].token), (OpKind::Assert, 11));
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
        p.settle(ops, &[3]);
        p.resync();
        let ops = p.take_batch(MAX_BATCH);
        p.retry(ops);
        assert_eq!(p.take_batch(MAX_BATCH)[0].kind, OpKind::Assert, "a failed resync is redone");
    }
}
