//! A station connection's mailbox: how other tasks (the flow's answers, its
//! CALLs to the station, a newer connection with the same id) reach the task
//! that owns the station's link.

use futures_util::task::AtomicWaker;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use super::metrics::Action;
use crate::ocppj::frame::ErrorCode;
use crate::ocppj::link::Call;
use crate::sync::lock;
use crate::version::OcppVersion;

/// What other tasks ask of a connection.
pub enum ConnCmd {
    /// The answer to a station CALL, as a frame: the flow's, or the CALLERROR
    /// of its answer timeout. Each CALL handed to the flow gets exactly one.
    Answer(Answered),
    /// A CALL to the station, answered through its oneshot. Boxed: the
    /// channel allocates slots of the largest variant for every connection.
    Call(Box<Call>),
    /// Close the connection (replaced by a newer one, or disconnected on request).
    Close { code: u16, reason: String },
}

/// The answer to a station's CALL, with what the metrics count of it.
pub struct Answered {
    /// The frame.
    pub text: String,
    /// The action of the CALL it answers.
    pub action: Action,
    /// A CALLERROR's code; `None` for a CALLRESULT.
    pub error: Option<ErrorCode>,
    /// How long the flow took to answer; `None` when the answer timeout did.
    pub flow_time: Option<Duration>,
}

impl Answered {
    #[cfg(test)]
    pub fn plain(text: &str) -> Self {
        Self { text: text.into(), action: Action::of(None), error: None, flow_time: None }
    }
}

/// The sending half of a connection's mailbox, with the station id for
/// error messages.
///
/// A mailbox rather than a tokio channel: a channel allocates a block of 32
/// slots per connection up front, which thousands of idle stations pay for.
#[derive(Clone)]
pub struct ConnTx {
    mailbox: Arc<Mailbox>,
    cb_id: Arc<str>,
    version: OcppVersion,
    /// Strict mode: payloads both ways are checked against the schemas.
    strict: bool,
}

/// Waking the task through an [`AtomicWaker`] rather than a `Notify`: a
/// `Notify` needs a fresh waiter linked into its list on every turn of the
/// connection's loop, and with thousands of stations that memory is cold.
#[derive(Default)]
struct Mailbox {
    queue: std::sync::Mutex<std::collections::VecDeque<ConnCmd>>,
    waker: AtomicWaker,
    closed: std::sync::atomic::AtomicBool,
}

impl Mailbox {
    fn queue(&self) -> std::sync::MutexGuard<'_, std::collections::VecDeque<ConnCmd>> {
        lock(&self.queue)
    }
}

impl ConnTx {
    /// Fails, handing the command back, once the connection has ended.
    pub fn send(&self, cmd: ConnCmd) -> Result<(), ConnCmd> {
        let mut queue = self.mailbox.queue();
        if self.mailbox.closed.load(std::sync::atomic::Ordering::Acquire) {
            return Err(cmd);
        }
        queue.push_back(cmd);
        drop(queue);
        self.mailbox.waker.wake();
        Ok(())
    }

    pub fn cb_id(&self) -> Arc<str> {
        self.cb_id.clone()
    }

    /// The version the station connected with: answers are spelled in it.
    pub fn version(&self) -> OcppVersion {
        self.version
    }

    pub fn strict(&self) -> bool {
        self.strict
    }
}

/// The receiving half; dropping it closes the mailbox.
pub struct ConnRx {
    mailbox: Arc<Mailbox>,
}

impl ConnRx {
    pub fn recv(&mut self) -> impl std::future::Future<Output = ConnCmd> + '_ {
        std::future::poll_fn(|cx| {
            if let Some(cmd) = self.mailbox.queue().pop_front() {
                return Poll::Ready(cmd);
            }
            self.mailbox.waker.register(cx.waker());
            // Looked at again: a command sent before the waker was in place woke nobody.
            match self.mailbox.queue().pop_front() {
                Some(cmd) => Poll::Ready(cmd),
                None => Poll::Pending,
            }
        })
    }

    #[cfg(test)]
    pub fn try_recv(&mut self) -> Option<ConnCmd> {
        self.mailbox.queue().pop_front()
    }
}

impl Drop for ConnRx {
    fn drop(&mut self) {
        let mut queue = self.mailbox.queue();
        self.mailbox.closed.store(true, std::sync::atomic::Ordering::Release);
        // Commands still queued are dropped here: their callers see the station gone.
        queue.clear();
    }
}

pub fn conn_channel(cb_id: Arc<str>, version: OcppVersion, strict: bool) -> (ConnTx, ConnRx) {
    let mailbox = Arc::new(Mailbox::default());
    (ConnTx { mailbox: mailbox.clone(), cb_id, version, strict }, ConnRx { mailbox })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_waiting_connection_wakes_for_each_command_in_order() {
        let (tx, mut rx) = conn_channel("CP1".into(), OcppVersion::V16, false);
        let reader = tokio::spawn(async move {
            let mut got = Vec::new();
            for _ in 0..3 {
                match tokio::time::timeout(Duration::from_secs(5), rx.recv()).await.expect("woken") {
                    ConnCmd::Answer(answered) => got.push(answered.text),
                    _ => panic!("not a Send"),
                }
            }
            got
        });
        // From a thread outside the runtime, as the JavaScript thread sends answers.
        std::thread::spawn(move || {
            for text in ["a", "b", "c"] {
                std::thread::sleep(Duration::from_millis(20));
                assert!(tx.send(ConnCmd::Answer(Answered::plain(text))).is_ok());
            }
        });
        assert_eq!(reader.await.unwrap(), ["a", "b", "c"]);
    }

    #[test]
    fn commands_to_an_ended_connection_come_back() {
        let (tx, rx) = conn_channel("CP1".into(), OcppVersion::V16, false);
        drop(rx);
        assert!(matches!(tx.send(ConnCmd::Answer(Answered::plain("x"))), Err(ConnCmd::Answer(_))));
    }
}
