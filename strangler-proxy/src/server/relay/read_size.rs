//! How much the relay reads at a time of a body whose length it does not
//! know (chunked, or up to the close).

use super::{GATHER, READ_SIZE};

/// The next read's size: a page at first, twice as much after a read that
/// filled the room it had, half as much after one that did not fill half,
/// always between [`READ_SIZE`] and [`GATHER`]. A stream of small events
/// (server-sent events, a slow upstream) keeps a page per connection, where
/// a fixed `GATHER` kept 64 KiB each; a large body soon comes in `GATHER`
/// reads. (hyper's adaptive read buffer works alike.)
pub(super) struct ReadSize(usize);

impl Default for ReadSize {
    fn default() -> Self {
        Self(READ_SIZE)
    }
}

impl ReadSize {
    pub(super) fn next(&self) -> usize {
        self.0
    }

    /// A read brought `read` bytes into `room`.
    pub(super) fn record(&mut self, read: usize, room: usize) {
        if read >= room {
            self.0 = (self.0 * 2).min(GATHER);
        } else if read < self.0 / 2 {
            self.0 = (self.0 / 2).max(READ_SIZE);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_reads_grow_it_to_the_gather_size_and_short_ones_shrink_it_to_a_page() {
        let mut size = ReadSize::default();
        assert_eq!(size.next(), READ_SIZE);
        let mut seen = vec![size.next()];
        while size.next() < GATHER {
            size.record(size.next(), size.next());
            seen.push(size.next());
        }
        assert_eq!(seen, [4096, 8192, 16384, 32768, 65536]);
        size.record(GATHER, GATHER);
        assert_eq!(size.next(), GATHER, "never above GATHER");
        // A read that fills half or more keeps the size.
        size.record(GATHER / 2, GATHER);
        assert_eq!(size.next(), GATHER);
        for _ in 0..10 {
            size.record(10, size.next());
        }
        assert_eq!(size.next(), READ_SIZE, "never below a page");
    }
}
