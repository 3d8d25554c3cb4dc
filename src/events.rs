//! Events from the engine to one node, delivered in batches.
//!
//! Crossing into JavaScript costs far more than building an event, so events
//! are appended as JSON text to a buffer and a dispatcher hands it over as one
//! JSON array: one crossing and one `JSON.parse` for many events.
//!
//! The dispatcher hands over one batch at a time and waits until JavaScript
//! has handled it. Without that, thousands of stations each with a CALL in
//! flight pile thousands of msgs into Node-RED at once; they outlive V8's
//! young generation, and the garbage collector's copying then costs more than
//! the flow. Batches are also capped in events, for the same reason.
//!
//! The events not yet handled by JavaScript are bounded too ([`DEFAULT_BACKLOG`]):
//! past the limit the sink says it has no room, and the links stop reading
//! from their sockets until JavaScript catches up, so a slow flow pushes back
//! on the stations through TCP instead of the engine buffering without end.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{oneshot, Notify};

use crate::sync::lock;

/// Called once JavaScript has handled a batch.
pub type Done = Box<dyn FnOnce() + Send>;

/// Receives each batch (the text of a JSON array of events) and the
/// completion to call when it has been handled.
pub type Deliver = Box<dyn Fn(String, Done) + Send + Sync>;

/// Events per batch: enough to amortise a crossing, few enough that a
/// batch's msgs die young.
const MAX_BATCH_EVENTS: usize = 256;

/// How long the dispatcher waits for JavaScript to finish a batch before it
/// sends the next anyway (a flow blocked in a long synchronous job must not
/// stop events for good).
const ACK_WAIT: Duration = Duration::from_secs(1);

/// Bytes of events a node may have waiting for JavaScript (buffered, or
/// handed over and not handled yet) before its links stop reading, unless
/// the node sets its own (`CS server`: `eventBacklogMB`). Enough for an event
/// from each of 10,000 busy stations; a flow that stops for seconds holds that
/// much and no more.
pub const DEFAULT_BACKLOG: usize = 16 << 20;

/// What is waiting for JavaScript, and who waits for room.
struct Backlog {
    /// Past it the sink has no room.
    limit: usize,
    bytes: AtomicUsize,
    /// Set past the limit, cleared below half of it.
    full: AtomicBool,
    room: Notify,
}

impl Backlog {
    fn add(&self, bytes: usize) {
        let total = self.bytes.fetch_add(bytes, Ordering::AcqRel) + bytes;
        if total > self.limit && !self.full.load(Ordering::Relaxed) {
            self.full.store(true, Ordering::Release);
        }
    }

    fn release(&self, bytes: usize) {
        let total = self.bytes.fetch_sub(bytes, Ordering::AcqRel) - bytes;
        if total <= self.limit / 2 && self.full.swap(false, Ordering::AcqRel) {
            self.room.notify_waiters();
        }
    }
}

/// A batch's share of the backlog, given back when JavaScript has handled it
/// (or will never: a closing node drops the completion unrun).
struct Handled {
    backlog: Arc<Backlog>,
    bytes: usize,
}

impl Drop for Handled {
    fn drop(&mut self) {
        self.backlog.release(self.bytes);
    }
}

#[derive(Default)]
struct Buffer {
    /// Batches that reached the cap, oldest first.
    full: VecDeque<String>,
    /// The batch being filled, and how many events it has.
    current: String,
    count: usize,
}

pub struct EventSink {
    buf: Mutex<Buffer>,
    ready: Notify,
    closed: AtomicBool,
    backlog: Arc<Backlog>,
}

impl EventSink {
    /// Starts the dispatcher task on the current runtime.
    pub fn start(deliver: Deliver) -> Arc<Self> {
        Self::start_with_limit(deliver, DEFAULT_BACKLOG)
    }

    /// As [`start`](Self::start), with a backlog of at most `limit` bytes.
    pub fn start_with_limit(deliver: Deliver, limit: usize) -> Arc<Self> {
        let sink = Arc::new(Self {
            buf: Mutex::default(),
            ready: Notify::new(),
            closed: false.into(),
            backlog: Arc::new(Backlog {
                limit,
                bytes: AtomicUsize::new(0),
                full: AtomicBool::new(false),
                room: Notify::new(),
            }),
        });
        tokio::spawn(dispatch(sink.clone(), deliver));
        sink
    }

    /// Whether JavaScript keeps up: false while the backlog is past its limit.
    /// Links read from their sockets only while it is true.
    pub fn has_room(&self) -> bool {
        !self.backlog.full.load(Ordering::Acquire)
    }

    /// Bytes of events waiting for JavaScript now (for the metrics).
    pub fn backlog_bytes(&self) -> usize {
        self.backlog.bytes.load(Ordering::Relaxed)
    }

    /// Resolves once the backlog has room (at once if it has).
    pub async fn room(&self) {
        loop {
            let notified = self.backlog.room.notified();
            tokio::pin!(notified);
            // Registered before looking, so a release in between is not missed.
            notified.as_mut().enable();
            if self.has_room() {
                return;
            }
            notified.await;
        }
    }

    /// Appends one event; `write` writes a complete JSON value.
    pub fn emit(&self, write: impl FnOnce(&mut String)) {
        let mut buf = lock(&self.buf);
        let was_empty = buf.current.is_empty() && buf.full.is_empty();
        if buf.count == MAX_BATCH_EVENTS {
            let mut batch = std::mem::take(&mut buf.current);
            batch.push(']');
            buf.full.push_back(batch);
            buf.count = 0;
        }
        let first = buf.current.is_empty();
        let before = buf.current.len();
        buf.current.push(if first { '[' } else { ',' });
        write(&mut buf.current);
        buf.count += 1;
        // Counted under the lock, before the dispatcher can take (and release) it.
        self.backlog.add(buf.current.len() - before);
        drop(buf);
        if was_empty {
            self.ready.notify_one();
        }
    }

    /// Delivers what is buffered, then stops the dispatcher.
    pub fn close(&self) {
        self.closed.store(true, std::sync::atomic::Ordering::Release);
        self.ready.notify_one();
    }

    fn take_batch(&self) -> Option<String> {
        let mut buf = lock(&self.buf);
        if let Some(batch) = buf.full.pop_front() {
            return Some(batch);
        }
        if buf.current.is_empty() {
            return None;
        }
        let mut batch = std::mem::take(&mut buf.current);
        buf.count = 0;
        batch.push(']');
        Some(batch)
    }
}

/// Hands a batch over and waits (boundedly) until JavaScript is done with it.
async fn hand_over(sink: &EventSink, deliver: &Deliver, batch: String) {
    let (done, handled) = oneshot::channel::<()>();
    // The closing bracket was added when the batch was taken, not counted.
    let share = Handled { backlog: sink.backlog.clone(), bytes: batch.len() - 1 };
    deliver(
        batch,
        Box::new(move || {
            drop(share);
            let _ = done.send(());
        }),
    );
    let _ = tokio::time::timeout(ACK_WAIT, handled).await;
}

async fn dispatch(sink: Arc<EventSink>, deliver: Deliver) {
    loop {
        sink.ready.notified().await;
        // Let events that arrive in the same instant join this batch.
        tokio::task::yield_now().await;
        // Read before draining: whatever was emitted before `close` is in the
        // buffer by then; a `close` during the drain wakes this loop again.
        let closing = sink.closed.load(std::sync::atomic::Ordering::Acquire);
        while let Some(batch) = sink.take_batch() {
            hand_over(&sink, &deliver, batch).await;
        }
        if closing {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn events_arrive_as_json_arrays_in_order_and_capped() {
        let (tx, rx) = mpsc::channel();
        let tx = Mutex::new(tx);
        let sink = EventSink::start(Box::new(move |b, done| {
            tx.lock().unwrap().send(b).unwrap();
            done();
        }));
        let n = 3 * MAX_BATCH_EVENTS as u32 + 7;
        for i in 0..n {
            sink.emit(|out| out.push_str(&i.to_string()));
        }
        sink.close();
        let mut all = Vec::new();
        while all.len() < n as usize {
            let batch = rx.recv_timeout(std::time::Duration::from_secs(5)).unwrap();
            let items: Vec<u32> = serde_json::from_str(&batch).unwrap();
            assert!(items.len() <= MAX_BATCH_EVENTS);
            all.extend(items);
        }
        assert_eq!(all, (0..n).collect::<Vec<_>>());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_backlog_past_its_limit_has_no_room_until_javascript_catches_up() {
        let (tx, rx) = mpsc::channel::<(String, Done)>();
        let tx = Mutex::new(tx);
        let sink =
            EventSink::start_with_limit(Box::new(move |b, done| tx.lock().unwrap().send((b, done)).unwrap()), 1000);
        for _ in 0..30 {
            sink.emit(|out| out.push_str(&format!("\"{}\"", "x".repeat(48))));
        }
        assert!(!sink.has_room(), "1,500 bytes waiting, over 1,000");
        let waiter = {
            let sink = sink.clone();
            tokio::spawn(async move { sink.room().await })
        };
        // JavaScript is stuck on the first batch: no room, however long.
        let (_, first_done) = rx.recv_timeout(Duration::from_secs(5)).unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiter.is_finished());
        first_done();
        tokio::time::timeout(Duration::from_secs(5), waiter).await.expect("room after the batch was handled").unwrap();
        assert!(sink.has_room());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_next_batch_waits_for_the_previous_one_to_be_handled() {
        let (tx, rx) = mpsc::channel::<(String, Done)>();
        let tx = Mutex::new(tx);
        let sink = EventSink::start(Box::new(move |b, done| tx.lock().unwrap().send((b, done)).unwrap()));
        sink.emit(|out| out.push('1'));
        let (first, done) = rx.recv_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(first, "[1]");
        sink.emit(|out| out.push('2'));
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(rx.try_recv().is_err(), "nothing while the first batch is being handled");
        done();
        let (second, done) = rx.recv_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(second, "[2]");
        done();
    }
}
