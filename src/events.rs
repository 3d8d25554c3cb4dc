//! Events from the engine to one node, delivered in batches.
//!
//! Crossing into JavaScript costs far more than building an event, so events
//! are appended as JSON text to one buffer and a dispatcher hands the whole
//! buffer over as a single JSON array: one crossing and one `JSON.parse` for
//! however many events piled up while JavaScript was busy.

use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// Receives each batch: the text of a JSON array of events.
pub type Deliver = Box<dyn Fn(String) + Send + Sync>;

/// Largest batch handed over at once, so one slow turn of the JS event loop
/// does not build a single huge string.
const MAX_BATCH_BYTES: usize = 4 << 20;

pub struct EventSink {
    buf: Mutex<String>,
    ready: Notify,
    closed: std::sync::atomic::AtomicBool,
}

impl EventSink {
    /// Starts the dispatcher task on the current runtime.
    pub fn start(deliver: Deliver) -> Arc<Self> {
        let sink = Arc::new(Self { buf: Mutex::new(String::new()), ready: Notify::new(), closed: false.into() });
        tokio::spawn(dispatch(sink.clone(), deliver));
        sink
    }

    /// Appends one event; `write` writes a complete JSON value.
    pub fn emit(&self, write: impl FnOnce(&mut String)) {
        let mut buf = self.buf.lock().unwrap_or_else(|e| e.into_inner());
        let was_empty = buf.is_empty();
        buf.push(if was_empty { '[' } else { ',' });
        write(&mut buf);
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
        let mut buf = self.buf.lock().unwrap_or_else(|e| e.into_inner());
        if buf.is_empty() {
            return None;
        }
        let mut batch = std::mem::take(&mut *buf);
        if batch.capacity() > MAX_BATCH_BYTES {
            buf.shrink_to(0);
        }
        batch.push(']');
        Some(batch)
    }
}

async fn dispatch(sink: Arc<EventSink>, deliver: Deliver) {
    loop {
        sink.ready.notified().await;
        // Let events that arrive in the same instant join this batch.
        tokio::task::yield_now().await;
        if let Some(batch) = sink.take_batch() {
            deliver(batch);
        }
        if sink.closed.load(std::sync::atomic::Ordering::Acquire) {
            if let Some(batch) = sink.take_batch() {
                deliver(batch);
            }
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn events_arrive_as_json_arrays_in_order() {
        let (tx, rx) = mpsc::channel();
        let tx = Mutex::new(tx);
        let sink = EventSink::start(Box::new(move |b| tx.lock().unwrap().send(b).unwrap()));
        for i in 0..100 {
            sink.emit(|out| out.push_str(&i.to_string()));
        }
        sink.close();
        let mut all = Vec::new();
        while all.len() < 100 {
            let batch = rx.recv_timeout(std::time::Duration::from_secs(5)).unwrap();
            let items: Vec<u32> = serde_json::from_str(&batch).unwrap();
            all.extend(items);
        }
        assert_eq!(all, (0..100).collect::<Vec<_>>());
    }
}
