//! The writes of one data context given to either side and not yet
//! answered. A write the proxy gave up on (its client went away, or the
//! total deadline passed) may still be running upstream: it counts for its
//! route's `timeout_ms` longer, after which the upstream has given up on it
//! too.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Writes in flight, and writes given up on with the time they stop counting.
#[derive(Debug, Default)]
pub(crate) struct Writes {
    in_flight: AtomicUsize,
    given_up: Mutex<Vec<Instant>>,
}

/// What is still out, as shown while a handover waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Outstanding {
    /// Writes not answered yet.
    pub in_flight: usize,
    /// Writes given up on that may still be running upstream.
    pub given_up: usize,
}

impl Outstanding {
    /// Nothing is out.
    pub fn settled(self) -> bool {
        self.in_flight == 0 && self.given_up == 0
    }
}

impl Writes {
    /// Counts a write as given to an upstream (before the hold is looked at:
    /// a handover that starts meanwhile sees it).
    pub(crate) fn start(self: &Arc<Self>, timeout: Duration) -> WriteGuard {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        WriteGuard {
            writes: Some(self.clone()),
            timeout,
        }
    }

    /// What is out at `now` (forgetting given-up writes whose time is over).
    pub(crate) fn outstanding(&self, now: Instant) -> Outstanding {
        let mut given_up = self.given_up.lock().unwrap_or_else(PoisonError::into_inner);
        given_up.retain(|until| *until > now);
        Outstanding {
            in_flight: self.in_flight.load(Ordering::SeqCst),
            given_up: given_up.len(),
        }
    }
}

/// One write in flight: [`WriteGuard::answered`] when its answer came;
/// dropped without it, the write was given up on.
#[derive(Debug)]
pub(crate) struct WriteGuard {
    writes: Option<Arc<Writes>>,
    timeout: Duration,
}

impl WriteGuard {
    /// The write was answered (whatever the status): it is no longer out.
    pub(crate) fn answered(mut self) {
        if let Some(writes) = self.writes.take() {
            writes.in_flight.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// Not given to an upstream after all (held): counts as never sent.
    pub(crate) fn withdrawn(self) {
        self.answered();
    }
}

impl Drop for WriteGuard {
    fn drop(&mut self) {
        if let Some(writes) = self.writes.take() {
            // Recorded before the count drops, so no look sees neither.
            writes
                .given_up
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(Instant::now() + self.timeout);
            writes.in_flight.fetch_sub(1, Ordering::SeqCst);
        }
    }
}
