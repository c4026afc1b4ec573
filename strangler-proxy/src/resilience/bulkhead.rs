//! A bulkhead: at most `capacity` requests in flight to one upstream, so a
//! slow upstream ties up a bounded share of the proxy. No queue: a request
//! that finds it full is refused at once (and counted), so the caller can
//! fall back or answer 503 while the upstream is still busy.
//!
//! An atomic counter rather than tokio's `Semaphore`: with no one ever
//! waiting, a semaphore adds nothing but a mutex taken on every release, and
//! this sits on every request to the new side.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// The in-flight limit of one upstream.
#[derive(Debug)]
pub struct Bulkhead {
    in_flight: AtomicU32,
    capacity: u32,
    rejected: AtomicU64,
}

/// A place in the bulkhead, given back when dropped.
#[derive(Debug)]
pub struct Slot<'a>(&'a Bulkhead);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The bulkhead was full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Full {
    /// Its capacity.
    pub capacity: u32,
}

impl Bulkhead {
    /// A bulkhead of `capacity` places.
    pub fn new(capacity: u32) -> Self {
        Self {
            in_flight: AtomicU32::new(0),
            capacity,
            rejected: AtomicU64::new(0),
        }
    }

    /// Takes a place, held until the slot drops; refuses when all are taken.
    pub fn enter(&self) -> Result<Slot<'_>, Full> {
        let capacity = self.capacity;
        match self
            .in_flight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < capacity).then_some(n + 1)
            }) {
            Ok(_) => Ok(Slot(self)),
            Err(_) => {
                self.rejected.fetch_add(1, Ordering::Relaxed);
                Err(Full { capacity })
            }
        }
    }

    /// Places taken now.
    pub fn in_flight(&self) -> u32 {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// Its capacity.
    pub fn capacity(&self) -> u32 {
        self.capacity
    }

    /// Requests refused because it was full.
    pub fn rejected_total(&self) -> u64 {
        self.rejected.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_capacity_and_frees_on_drop() {
        let b = Bulkhead::new(2);
        let one = b.enter().unwrap();
        let _two = b.enter().unwrap();
        assert_eq!(b.in_flight(), 2);
        assert_eq!(b.enter().unwrap_err(), Full { capacity: 2 });
        assert_eq!(b.rejected_total(), 1);
        drop(one);
        assert_eq!(b.in_flight(), 1);
        assert!(b.enter().is_ok());
        assert_eq!(b.rejected_total(), 1);
    }

    #[test]
    fn concurrent_entries_never_exceed_capacity() {
        let b = Bulkhead::new(3);
        let (peak, admitted) = (AtomicU32::new(0), AtomicU64::new(0));
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..2000 {
                        if let Ok(_slot) = b.enter() {
                            admitted.fetch_add(1, Ordering::Relaxed);
                            peak.fetch_max(b.in_flight(), Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        assert!(peak.load(Ordering::Relaxed) <= 3);
        assert_eq!(b.in_flight(), 0);
        assert_eq!(
            admitted.load(Ordering::Relaxed) + b.rejected_total(),
            8000,
            "every entry was either let in or counted as rejected"
        );
    }
}
