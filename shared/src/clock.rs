//! The time jobs act at, handed to them rather than read from the system inside them, so a test or a
//! rehearsal runs a job at any moment it chooses and a job's decisions follow from its inputs alone.

use std::sync::{Arc, Mutex};

/// Where a job reads "now".
pub trait Clock: Send + Sync {
    fn now(&self) -> jiff::Timestamp;
}

/// The system's clock: what deployed functions use.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> jiff::Timestamp {
        jiff::Timestamp::now()
    }
}

/// A clock that says what it is told: fixed until moved.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<jiff::Timestamp>>,
}

impl ManualClock {
    pub fn at(now: jiff::Timestamp) -> Self {
        Self {
            now: Arc::new(Mutex::new(now)),
        }
    }

    /// Moves this clock (and every copy of it) to `now`.
    pub fn set(&self, now: jiff::Timestamp) {
        *self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = now;
    }

    /// Moves this clock (and every copy of it) on by `by`.
    pub fn advance(&self, by: jiff::SignedDuration) {
        let mut now = self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *now = now.saturating_add(by).unwrap_or(*now);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> jiff::Timestamp {
        *self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The system clock, shared: the default every job starts with.
pub fn system() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_and_its_copies_move_together() {
        let start: jiff::Timestamp = "2027-01-04T09:00:00Z".parse().unwrap();
        let clock = ManualClock::at(start);
        let copy = clock.clone();
        clock.advance(jiff::SignedDuration::from_mins(5));
        assert_eq!(copy.now().to_string(), "2027-01-04T09:05:00Z");
        copy.set(start);
        assert_eq!(clock.now(), start);
    }

    #[test]
    fn the_system_clock_moves_forward() {
        let first = SystemClock.now();
        assert!(SystemClock.now() >= first);
    }
}
