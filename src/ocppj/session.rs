//! The outgoing half of one connection's RPC state: OCPP-J allows one CALL in
//! flight per direction, so further CALLs wait in a bounded queue and the next
//! one goes out when the answer, or the deadline, arrives.
//!
//! When a deadline starts is the role's choice ([`Clock`]): the Central
//! System's CALLs count from when the flow asked (a request waiting behind
//! another fails at its deadline), a charge point's from when each goes out
//! (a backlog sent at reconnect must not time out in the queue).
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
    /// With [`Clock::Pushed`], when the CALL fails; with [`Clock::Sent`] it
    /// is set when the CALL goes out (`now + timeout`).
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

/// When a CALL's deadline starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Clock {
    /// The deadline the caller set is kept, and a CALL still waiting behind
    /// the one in flight fails when it passes (the Central System's requests).
    #[default]
    Pushed,
    /// The deadline starts when the CALL goes out; waiting CALLs never expire.
    /// Message ids are not checked for repeats: only the CALL in flight can be
    /// answered, so a repeated id (a message sent again) is unambiguous.
    Sent,
}

#[derive(Debug)]
pub struct OutgoingQueue<R> {
    clock: Clock,
    in_flight: Option<OutgoingCall<R>>,
    /// When the CALL in flight went out, for its round trip.
    sent_at: Option<Instant>,
    waiting: VecDeque<OutgoingCall<R>>,
    max_waiting: usize,
}

impl<R> OutgoingQueue<R> {
    pub fn new(max_waiting: usize) -> Self {
        Self::with_clock(max_waiting, Clock::Pushed)
    }

    pub fn with_clock(max_waiting: usize, clock: Clock) -> Self {
        Self { clock, in_flight: None, sent_at: None, waiting: VecDeque::new(), max_waiting }
    }

    pub fn max_waiting(&self) -> usize {
        self.max_waiting
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
        let repeated =
            self.in_flight.as_ref().is_some_and(|c| c.id == call.id) || self.waiting.iter().any(|c| c.id == call.id);
        if repeated && self.clock == Clock::Pushed {
            return Err((QueueError::DuplicateId, call));
        }
        if self.in_flight.is_none() {
            return Ok(Some(self.send(call)));
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
        Some(self.send(call))
    }

    /// Puts `call` in flight (its deadline starting now with [`Clock::Sent`]);
    /// the frame to send.
    fn send(&mut self, mut call: OutgoingCall<R>) -> String {
        let now = Instant::now();
        if self.clock == Clock::Sent {
            call.deadline = now + call.timeout;
        }
        let text = call.frame();
        self.in_flight = Some(call);
        self.sent_at = Some(now);
        text
    }

    /// Removes every CALL whose deadline has passed, in flight or waiting.
    pub fn expire(&mut self, now: Instant) -> Vec<OutgoingCall<R>> {
        let mut expired = Vec::new();
        if self.in_flight.as_ref().is_some_and(|c| c.deadline <= now) {
            expired.extend(self.in_flight.take());
        }
        if self.clock == Clock::Pushed && self.waiting.iter().any(|c| c.deadline <= now) {
            let (gone, kept): (VecDeque<_>, VecDeque<_>) = self.waiting.drain(..).partition(|c| c.deadline <= now);
            self.waiting = kept;
            expired.extend(gone);
        }
        expired
    }

    /// The earliest deadline of any CALL held.
    pub fn next_deadline(&self) -> Option<Instant> {
        let in_flight = self.in_flight.as_ref().map(|c| c.deadline);
        let waiting = match self.clock {
            Clock::Pushed => self.waiting.iter().map(|c| c.deadline).min(),
            Clock::Sent => None,
        };
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

    #[test]
    fn with_the_sent_clock_a_deadline_starts_when_the_call_goes_out() {
        let pushed = Instant::now();
        let mut q = OutgoingQueue::with_clock(10, Clock::Sent);
        // Deadlines set at push time (already past) are not what counts.
        for id in ["a", "b", "c"] {
            q.push(call(id, pushed)).unwrap();
        }
        let sent = q.current().unwrap().2;
        assert_eq!(q.next_deadline(), Some(sent + Duration::from_secs(60)), "only the CALL in flight has a deadline");
        assert!(q.expire(sent + Duration::from_secs(59)).is_empty(), "nothing expires while it waits");
        assert_eq!(q.answer("a").unwrap().id, "a");
        q.start_next().unwrap();
        let (id, _, b_sent) = q.current().unwrap();
        assert_eq!(id, "b");
        assert_eq!(q.next_deadline(), Some(b_sent + Duration::from_secs(60)));
        let gone: Vec<_> = q.expire(b_sent + Duration::from_secs(60)).into_iter().map(|c| c.id).collect();
        assert_eq!(gone, ["b"], "c waits on: its time starts when it goes out");
    }

    #[test]
    fn with_the_sent_clock_a_repeated_message_id_waits_its_turn() {
        let t = Instant::now() + Duration::from_secs(60);
        let mut q = OutgoingQueue::with_clock(10, Clock::Sent);
        q.push(call("a", t)).unwrap();
        assert_eq!(q.push(call("a", t)).unwrap(), None, "queued behind the first");
        assert!(q.answer("a").is_some());
        assert!(q.start_next().unwrap().contains("\"a\""));
        assert!(q.answer("a").is_some());
        assert!(q.is_empty());
    }
}
