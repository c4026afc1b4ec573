//! A bulkhead: at most `capacity` requests in flight to one upstream, so a
//! slow upstream ties up a bounded share of the proxy. No queue: a request
//! that finds it full is refused at once (and counted), so the caller can
//! fall back or answer 503 while the upstream is still busy.

use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::{Semaphore, SemaphorePermit};

/// The in-flight limit of one upstream.
#[derive(Debug)]
pub struct Bulkhead {
    slots: Semaphore,
    capacity: u32,
    rejected: AtomicU64,
}

/// The bulkhead was full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Full {
    /// Its capacity.
    pub capacity: u32,
}

impl Bulkhead {
    /// A bulkhead of `capacity` slots.
    pub fn new(capacity: u32) -> Self {
        Self {
            slots: Semaphore::new(capacity as usize),
            capacity,
            rejected: AtomicU64::new(0),
        }
    }

    /// Takes a slot, held until the permit drops; refuses when all are taken.
    pub fn enter(&self) -> Result<SemaphorePermit<'_>, Full> {
        self.slots.try_acquire().map_err(|_| {
            self.rejected.fetch_add(1, Ordering::Relaxed);
            Full {
                capacity: self.capacity,
            }
        })
    }

    /// Slots taken now.
    pub fn in_flight(&self) -> u32 {
        let free = u32::try_from(self.slots.available_permits()).unwrap_or(u32::MAX);
        self.capacity.saturating_sub(free)
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
}
