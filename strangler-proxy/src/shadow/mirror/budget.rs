//! How many requests of a route are shadowed per second at most.
//!
//! A shadow copy costs far more than the request it copies: a second upstream
//! call (two with noise learning), buffered bodies, JSON parses, a diff and a
//! database write. Copying every request would take CPU from the clients the
//! monolith is serving, so each route has a budget of copies per second
//! (GCRA via `governor`, a burst of one second's worth); requests beyond it
//! are served as in `legacy` mode and only counted. The comparison is a
//! sample either way (Diffy and Scientist sample too); the promotion gate
//! asks for enough of them, not for all.

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use prometheus::IntCounter;
use std::num::NonZeroU32;

/// A route's budget of shadow copies, with the counter of requests over it.
pub struct Budget {
    limiter: Option<DefaultDirectRateLimiter>,
    per_second: u32,
    over: IntCounter,
}

impl Budget {
    /// At most `per_second` copies a second (0: no limit); requests over it
    /// are counted in `over`.
    pub fn per_second(per_second: u32, over: IntCounter) -> Self {
        let limiter =
            NonZeroU32::new(per_second).map(|n| RateLimiter::direct(Quota::per_second(n)));
        Self {
            limiter,
            per_second,
            over,
        }
    }

    /// Takes one copy from the budget; `false` (and counted) when it is spent.
    pub fn admit(&self) -> bool {
        let admitted = self.limiter.as_ref().is_none_or(|l| l.check().is_ok());
        if !admitted {
            self.over.inc();
        }
        admitted
    }
}

impl std::fmt::Debug for Budget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Budget")
            .field("per_second", &self.per_second)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counter() -> IntCounter {
        IntCounter::new("over", "over budget").unwrap()
    }

    #[test]
    fn a_budget_admits_a_second_s_worth_then_counts_the_rest() {
        let budget = Budget::per_second(3, counter());
        let admitted = (0..10).filter(|_| budget.admit()).count();
        // Three at once (the burst), perhaps one more if a third of a second passed.
        assert!((3..=4).contains(&admitted), "{admitted}");
        assert_eq!(budget.over.get() as usize, 10 - admitted);
    }

    #[test]
    fn zero_means_no_limit() {
        let budget = Budget::per_second(0, counter());
        assert!((0..10_000).all(|_| budget.admit()));
        assert_eq!(budget.over.get(), 0);
    }
}
