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

use std::collections::VecDeque;
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
    closed: std::sync::atomic::AtomicBool,
}

impl EventSink {
    /// Starts the dispatcher task on the current runtime.
    pub fn start(deliver: Deliver) -> Arc<Self> {
        let sink = Arc::new(Self { buf: Mutex::default(), ready: Notify::new(), closed: false.into() });
        tokio::spawn(dispatch(sink.clone(), deliver));
        sink
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
        buf.current.push(if first { '[' } else { ',' });
        write(&mut buf.current);
        buf.count += 1;
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
async fn hand_over(deliver: &Deliver, batch: String) {
    let (done, handled) = oneshot::channel::<()>();
    deliver(
        batch,
        Box::new(move || {
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
            hand_over(&deliver, batch).await;
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
