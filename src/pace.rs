//! Deadlines for request bodies: a total time and a minimum rate. The head of
//! a request has its own deadline (`listener.rs`); without one for the body a
//! client that sends a head and then one byte a minute holds a connection,
//! a task and a file descriptor for ever (issue 28, items 2 and 9).

use bytes::Bytes;
use futures_util::Stream;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::{Instant, Sleep};

/// The span the minimum rate is measured over: long enough that a pause of a
/// few seconds on a mobile link does not count, short enough that a trickle
/// is dropped well before the total deadline.
pub const RATE_WINDOW: Duration = Duration::from_secs(10);

/// How fast a request body must come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimits {
    /// All of the body within this time of its first read.
    pub deadline: Duration,
    /// At least this many bytes per second in every [`RATE_WINDOW`]; 0 is off.
    pub min_rate: u64,
    /// The option that sets `deadline`, named in the error.
    pub deadline_option: &'static str,
}

/// Why a body was given up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyTooSlow {
    #[error("the request body did not arrive within {} s ({option})", secs(*.deadline))]
    Deadline { deadline: Duration, option: &'static str },
    #[error(
        "the request body came at less than {min_rate} bytes/s over {} s (minBodyRate)",
        RATE_WINDOW.as_secs()
    )]
    Rate { min_rate: u64 },
}

fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0}")
    } else {
        format!("{s}")
    }
}

/// Pure bookkeeping of one body's progress against its limits: no timer, no I/O.
#[derive(Debug)]
pub struct Pace {
    limits: BodyLimits,
    started: Instant,
    window_start: Instant,
    window_bytes: u64,
}

impl Pace {
    pub fn new(limits: BodyLimits, now: Instant) -> Self {
        Self { limits, started: now, window_start: now, window_bytes: 0 }
    }

    /// When [`check`](Self::check) must run next, data or not.
    pub fn next_check(&self) -> Instant {
        let end = self.started + self.limits.deadline;
        if self.limits.min_rate == 0 {
            end
        } else {
            end.min(self.window_start + RATE_WINDOW)
        }
    }

    /// `n` more bytes arrived.
    pub fn received(&mut self, n: usize) {
        self.window_bytes = self.window_bytes.saturating_add(n as u64);
    }

    /// Whether the body may go on at `now`; a finished rate window starts the next.
    pub fn check(&mut self, now: Instant) -> Result<(), BodyTooSlow> {
        if now >= self.started + self.limits.deadline {
            return Err(BodyTooSlow::Deadline { deadline: self.limits.deadline, option: self.limits.deadline_option });
        }
        if self.limits.min_rate > 0 && now >= self.window_start + RATE_WINDOW {
            let wanted = self.limits.min_rate.saturating_mul(RATE_WINDOW.as_secs());
            if self.window_bytes < wanted {
                return Err(BodyTooSlow::Rate { min_rate: self.limits.min_rate });
            }
            self.window_start = now;
            self.window_bytes = 0;
        }
        Ok(())
    }

    /// Runs `step` (one read of the body) unless the body is too slow first.
    pub async fn step<F: Future>(&mut self, step: F) -> Result<F::Output, BodyTooSlow> {
        tokio::pin!(step);
        loop {
            tokio::select! {
                out = &mut step => return Ok(out),
                _ = tokio::time::sleep_until(self.next_check()) => self.check(Instant::now())?,
            }
        }
    }
}

/// A body's data as a stream that fails with [`BodyTooSlow`] (through `E`)
/// once the body is too slow, whoever reads it (the multipart parser too).
pub struct Paced<S> {
    data: Pin<Box<S>>,
    pace: Pace,
    timer: Pin<Box<Sleep>>,
    failed: bool,
}

impl<S> Paced<S> {
    pub fn new(data: S, limits: BodyLimits) -> Self {
        let pace = Pace::new(limits, Instant::now());
        let timer = Box::pin(tokio::time::sleep_until(pace.next_check()));
        Self { data: Box::pin(data), pace, timer, failed: false }
    }
}

impl<S, E> Stream for Paced<S>
where
    S: Stream<Item = Result<Bytes, E>>,
    E: From<BodyTooSlow>,
{
    type Item = Result<Bytes, E>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.failed {
            return Poll::Ready(None);
        }
        let this = &mut *self;
        while this.timer.as_mut().poll(cx).is_ready() {
            if let Err(e) = this.pace.check(Instant::now()) {
                this.failed = true;
                return Poll::Ready(Some(Err(e.into())));
            }
            let next = this.pace.next_check();
            this.timer.as_mut().reset(next);
        }
        let next = this.data.as_mut().poll_next(cx);
        if let Poll::Ready(Some(Ok(chunk))) = &next {
            this.pace.received(chunk.len());
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: BodyLimits =
        BodyLimits { deadline: Duration::from_secs(30), min_rate: 100, deadline_option: "bodyTimeout" };

    #[test]
    fn the_total_deadline_holds_however_fast_the_body_comes() {
        let t0 = Instant::now();
        let mut pace = Pace::new(LIMITS, t0);
        for s in [10, 20] {
            pace.received(1 << 20);
            assert_eq!(pace.check(t0 + Duration::from_secs(s)), Ok(()));
        }
        pace.received(1 << 20);
        let err = pace.check(t0 + Duration::from_secs(30)).unwrap_err();
        assert_eq!(err.to_string(), "the request body did not arrive within 30 s (bodyTimeout)");
    }

    #[test]
    fn every_window_needs_the_minimum_rate() {
        let t0 = Instant::now();
        let mut pace = Pace::new(LIMITS, t0);
        assert_eq!(pace.next_check(), t0 + RATE_WINDOW);
        pace.received(999);
        assert_eq!(pace.check(t0 + Duration::from_secs(5)), Ok(()), "mid-window: not judged yet");
        pace.received(1);
        assert_eq!(pace.check(t0 + RATE_WINDOW), Ok(()), "1000 bytes in 10 s is 100 bytes/s");
        assert_eq!(pace.next_check(), t0 + RATE_WINDOW * 2);
        pace.received(999);
        let err = pace.check(t0 + RATE_WINDOW * 2).unwrap_err();
        assert_eq!(err, BodyTooSlow::Rate { min_rate: 100 });
        assert!(err.to_string().contains("less than 100 bytes/s over 10 s (minBodyRate)"));
    }

    #[test]
    fn a_rate_of_zero_leaves_the_deadline_alone() {
        let t0 = Instant::now();
        let limits = BodyLimits { min_rate: 0, deadline: Duration::from_millis(2500), ..LIMITS };
        let mut pace = Pace::new(limits, t0);
        assert_eq!(pace.next_check(), t0 + Duration::from_millis(2500));
        assert_eq!(pace.check(t0 + Duration::from_secs(2)), Ok(()));
        assert!(pace.check(t0 + Duration::from_secs(3)).unwrap_err().to_string().contains("within 2.5 s"));
    }
}
