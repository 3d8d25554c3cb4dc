//! The outgoing half of one connection's RPC state: OCPP-J allows one CALL in
//! flight per direction, so further CALLs wait in a bounded queue and the next
//! one goes out when the answer, or the deadline, arrives.
//!
//! Pure logic, no I/O: the connection task feeds it events and sends the
//! frames it returns. `R` is whatever hands the outcome back to the caller.

use std::collections::VecDeque;
use tokio::time::Instant;

use super::frame;

/// A CALL this side wants to send.
#[derive(Debug)]
pub struct OutgoingCall<R> {
    pub id: String,
    pub action: String,
    /// Raw JSON object text.
    pub payload: String,
    /// How long the peer has to answer once the CALL goes out.
    pub timeout: std::time::Duration,
    pub deadline: Instant,
    pub reply: R,
}

impl<R> OutgoingCall<R> {
    pub fn frame(&self) -> String {
        frame::call(&self.id, &self.action, &self.payload)
    }
}

/// Why a CALL could not be queued.
#[derive(Debug, PartialEq, Eq)]
pub enum QueueError {
    Full { limit: usize },
    DuplicateId,
}

#[derive(Debug)]
pub struct OutgoingQueue<R> {
    in_flight: Option<OutgoingCall<R>>,
    /// When the CALL in flight went out, for its round trip.
    sent_at: Option<Instant>,
    waiting: VecDeque<OutgoingCall<R>>,
    max_waiting: usize,
}

impl<R> OutgoingQueue<R> {
    pub fn new(max_waiting: usize) -> Self {
        Self { in_flight: None, sent_at: None, waiting: VecDeque::new(), max_waiting }
    }

    /// The action of the CALL in flight, if `id` is its id.
    pub fn in_flight_action(&self, id: &str) -> Option<&str> {
        self.in_flight.as_ref().filter(|c| c.id == id).map(|c| c.action.as_str())
    }

    /// The CALL in flight: its id, its action, and when it went out.
    pub fn current(&self) -> Option<(&str, &str, Instant)> {
        let call = self.in_flight.as_ref()?;
        Some((call.id.as_str(), call.action.as_str(), self.sent_at?))
    }

    /// Queues a CALL; returns it back as the frame to send now when nothing
    /// was in flight.
    pub fn push(&mut self, call: OutgoingCall<R>) -> Result<Option<String>, (QueueError, OutgoingCall<R>)> {
        if self.in_flight.as_ref().is_some_and(|c| c.id == call.id) || self.waiting.iter().any(|c| c.id == call.id) {
            return Err((QueueError::DuplicateId, call));
        }
        if self.in_flight.is_none() {
            let text = call.frame();
            self.in_flight = Some(call);
            self.sent_at = Some(Instant::now());
            return Ok(Some(text));
        }
        if self.waiting.len() >= self.max_waiting {
            return Err((QueueError::Full { limit: self.max_waiting }, call));
        }
        self.waiting.push_back(call);
        Ok(None)
    }

    /// Takes the in-flight CALL if `id` answers it. An answer with any other id
    /// matches nothing: ids are compared, never used as names of anything.
    pub fn answer(&mut self, id: &str) -> Option<OutgoingCall<R>> {
        if self.in_flight.as_ref()?.id != id {
            return None;
        }
        self.in_flight.take()
    }

    /// Starts the next waiting CALL if none is in flight; the frame to send.
    pub fn start_next(&mut self) -> Option<String> {
        if self.in_flight.is_some() {
            return None;
        }
        let call = self.waiting.pop_front()?;
        let text = call.frame();
        self.in_flight = Some(call);
        self.sent_at = Some(Instant::now());
        Some(text)
    }

    /// Removes every CALL whose deadline has passed, in flight or waiting.
    pub fn expire(&mut self, now: Instant) -> Vec<OutgoingCall<R>> {
        let mut expired = Vec::new();
        if self.in_flight.as_ref().is_some_and(|c| c.deadline <= now) {
            expired.extend(self.in_flight.take());
        }
        if self.waiting.iter().any(|c| c.deadline <= now) {
            let (gone, kept): (VecDeque<_>, VecDeque<_>) = self.waiting.drain(..).partition(|c| c.deadline <= now);
            self.waiting = kept;
            expired.extend(gone);
        }
        expired
    }

    /// The earliest deadline of any CALL held.
    pub fn next_deadline(&self) -> Option<Instant> {
        let in_flight = self.in_flight.as_ref().map(|c| c.deadline);
        let waiting = self.waiting.iter().map(|c| c.deadline).min();
        match (in_flight, waiting) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Everything held, for failing it when the connection ends.
    pub fn drain(&mut self) -> impl Iterator<Item = OutgoingCall<R>> + '_ {
        self.in_flight.take().into_iter().chain(self.waiting.drain(..))
    }

    pub fn is_empty(&self) -> bool {
        self.in_flight.is_none() && self.waiting.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn call(id: &str, deadline: Instant) -> OutgoingCall<u32> {
        OutgoingCall {
            id: id.into(),
            action: "Reset".into(),
            payload: r#"{"type":"Soft"}"#.into(),
            timeout: Duration::from_secs(60),
            deadline,
            reply: id.len() as u32,
        }
    }

    #[test]
    fn one_call_in_flight_the_rest_wait_in_order() {
        let t = Instant::now() + Duration::from_secs(60);
        let mut q = OutgoingQueue::new(10);
        assert_eq!(q.push(call("a", t)).unwrap().as_deref(), Some(r#"[2,"a","Reset",{"type":"Soft"}]"#));
        assert_eq!(q.push(call("b", t)).unwrap(), None);
        assert_eq!(q.push(call("c", t)).unwrap(), None);
        assert!(q.answer("b").is_none(), "only the in-flight call can be answered");
        assert_eq!(q.answer("a").unwrap().id, "a");
        assert!(q.start_next().unwrap().contains("\"b\""));
        assert!(q.start_next().is_none(), "b is in flight now");
        assert_eq!(q.answer("b").unwrap().id, "b");
        assert!(q.start_next().unwrap().contains("\"c\""));
    }

    #[test]
    fn the_queue_is_bounded_and_ids_are_unique() {
        let t = Instant::now() + Duration::from_secs(60);
        let mut q = OutgoingQueue::new(1);
        q.push(call("a", t)).unwrap();
        q.push(call("b", t)).unwrap();
        assert_eq!(q.push(call("c", t)).unwrap_err().0, QueueError::Full { limit: 1 });
        assert_eq!(q.push(call("a", t)).unwrap_err().0, QueueError::DuplicateId);
    }

    #[test]
    fn deadlines_expire_in_flight_and_waiting_calls() {
        let now = Instant::now();
        let mut q = OutgoingQueue::new(10);
        q.push(call("a", now + Duration::from_secs(1))).unwrap();
        q.push(call("b", now + Duration::from_secs(5))).unwrap();
        q.push(call("c", now + Duration::from_secs(2))).unwrap();
        assert_eq!(q.next_deadline(), Some(now + Duration::from_secs(1)));
        let gone: Vec<_> = q.expire(now + Duration::from_secs(3)).into_iter().map(|c| c.id).collect();
        assert_eq!(gone, ["a", "c"]);
        assert!(q.start_next().unwrap().contains("\"b\""));
        assert_eq!(q.drain().count(), 1);
        assert!(q.is_empty());
    }
}
