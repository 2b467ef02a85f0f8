//! A circuit breaker in front of Redis. A sick Redis (paused, partitioned, overloaded)
//! answers nothing: every call would wait out its whole timeout, and a request making
//! three calls would wait three times. So the first failure opens the circuit: for
//! [`OPEN_FOR`] every call skips Redis at once (the app serves from PostgreSQL), then one
//! caller is let through as a probe; its success closes the circuit, its failure opens
//! it again. No request ever waits on more than one Redis timeout.
//!
//! One failure is enough to open: a timeout costs a user half a second, a wrongly open
//! circuit costs only a few uncached reads for two seconds.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long Redis is skipped after a failure before one call probes it again.
pub const OPEN_FOR: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Calls go to Redis.
    Closed,
    /// Calls skip Redis until the instant; the first call after it becomes the probe.
    Open { until: Instant },
    /// One probe is in flight; everyone else skips.
    Probing,
}

/// What [`Breaker::finish`] changed, so the caller can log the transition once.
#[derive(Debug, PartialEq, Eq)]
pub enum Transition {
    None,
    Opened,
    Closed,
}

#[derive(Debug)]
pub struct Breaker {
    state: Mutex<State>,
    open_for: Duration,
}

impl Default for Breaker {
    fn default() -> Self {
        Self::new(OPEN_FOR)
    }
}

impl Breaker {
    pub fn new(open_for: Duration) -> Self {
        Self { state: Mutex::new(State::Closed), open_for }
    }

    /// May this call go to Redis? (`true` also when it is the probe.)
    pub fn allow(&self) -> bool {
        let mut state = self.lock();
        match *state {
            State::Closed => true,
            State::Open { until } if Instant::now() >= until => {
                *state = State::Probing;
                true
            }
            State::Open { .. } | State::Probing => false,
        }
    }

    /// Records the outcome of an allowed call.
    pub fn finish(&self, ok: bool) -> Transition {
        let mut state = self.lock();
        let before = *state;
        *state = if ok { State::Closed } else { State::Open { until: Instant::now() + self.open_for } };
        match (before, ok) {
            (State::Closed, false) => Transition::Opened,
            (State::Open { .. } | State::Probing, true) => Transition::Closed,
            _ => Transition::None,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is a plain value: a panic elsewhere cannot leave it half-written.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_failure_opens_and_everyone_skips_until_the_probe() {
        let breaker = Breaker::new(Duration::from_secs(3600));
        assert!(breaker.allow());
        assert_eq!(breaker.finish(false), Transition::Opened);
        assert!(!breaker.allow());
    }

    #[test]
    fn after_the_pause_a_single_probe_goes_through_and_its_success_closes() {
        let breaker = Breaker::new(Duration::ZERO);
        assert!(breaker.allow());
        breaker.finish(false);
        assert!(breaker.allow(), "the first call after the pause probes");
        assert!(!breaker.allow(), "others skip while the probe is out");
        assert_eq!(breaker.finish(true), Transition::Closed);
        assert!(breaker.allow());
        assert!(breaker.allow(), "closed: everyone goes through");
    }

    #[test]
    fn a_failed_probe_opens_again() {
        let breaker = Breaker::new(Duration::ZERO);
        breaker.allow();
        breaker.finish(false);
        assert!(breaker.allow());
        assert_eq!(breaker.finish(false), Transition::None);
        let reopened = Breaker::new(Duration::from_secs(3600));
        reopened.allow();
        reopened.finish(false);
        assert!(!reopened.allow());
    }
}
