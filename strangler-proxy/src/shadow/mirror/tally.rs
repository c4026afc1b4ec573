//! What became of a shadowed route's requests, as Prometheus families:
//! copies made (`strangler_shadow_copies_total`), comparisons completed
//! (`strangler_shadow_comparisons_total`), copies dropped and why
//! (`strangler_shadow_dropped_total`), requests not copied by the route's
//! rules (`strangler_shadow_skipped_total`) and result rows written
//! (`strangler_shadow_rows_total`). Each family counts one thing, so the
//! share of traffic actually compared is comparisons over shadowed requests.
//!
//! The counters bumped on the request path (copies, over budget, queue full)
//! are resolved once per route ([`RouteTally`]): no label lookup per request.

use crate::shadow::store::Verdict;
use prometheus::core::Collector;
use prometheus::{IntCounter, IntCounterVec, Opts, Registry};
use serde::{Deserialize, Serialize};

/// Why a copy was not compared although the route meant to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// Over the route's budget of copies per second: never made.
    OverBudget,
    /// Made, but the shadow queue was full.
    QueueFull,
    /// The candidate failed (no answer, 5xx from the transport, a timeout).
    CandidateError,
    /// The client went away before the monolith's answer was whole.
    PrimaryIncomplete,
}

impl DropReason {
    /// The `reason` label.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OverBudget => "over_budget",
            Self::QueueFull => "queue_full",
            Self::CandidateError => "candidate_error",
            Self::PrimaryIncomplete => "primary_incomplete",
        }
    }
}

/// The shadow stage's families; cheap to clone.
#[derive(Clone)]
pub struct ShadowMetrics {
    copies: IntCounterVec,
    comparisons: IntCounterVec,
    dropped: IntCounterVec,
    skipped: IntCounterVec,
    rows: IntCounterVec,
}

/// A route's counters bumped on the request path, resolved once.
#[derive(Debug, Clone)]
pub struct RouteTally {
    /// Copies handed to the shadow queue.
    pub copies: IntCounter,
    /// Copies not made: over the budget.
    pub over_budget: IntCounter,
    /// Copies dropped: the queue was full.
    pub queue_full: IntCounter,
}

/// What became of a route's shadowed requests since the proxy started.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
pub struct ShadowTraffic {
    /// Requests served in shadow mode.
    pub shadowed: u64,
    /// Copies made.
    pub copies: u64,
    /// Comparisons completed (match, ignored, noise, mismatch).
    pub compared: u64,
    /// Copies dropped, for any reason.
    pub dropped: u64,
    /// Requests the route's rules do not copy (unsafe writes, large bodies).
    pub skipped: u64,
    /// `compared / shadowed`, once something was shadowed.
    pub compared_share: Option<f64>,
}

fn family(
    registry: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
) -> prometheus::Result<IntCounterVec> {
    let family = IntCounterVec::new(Opts::new(name, help), labels)?;
    registry.register(Box::new(family.clone()))?;
    Ok(family)
}

impl ShadowMetrics {
    /// Registers the families in `registry`.
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        Ok(Self {
            copies: family(
                registry,
                "strangler_shadow_copies_total",
                "Shadow copies made: handed to the shadow queue, to be sent to the candidate.",
                &["route"],
            )?,
            comparisons: family(
                registry,
                "strangler_shadow_comparisons_total",
                "Shadow comparisons completed, by outcome: match, ignored, noise, mismatch.",
                &["route", "outcome"],
            )?,
            dropped: family(
                registry,
                "strangler_shadow_dropped_total",
                "Requests of a shadowed route meant to be compared and not compared, by reason: over_budget (over the route's shadow copies per second, not copied), queue_full, candidate_error (the candidate gave no answer to compare), primary_incomplete (the client left before the monolith's answer was whole).",
                &["route", "reason"],
            )?,
            skipped: family(
                registry,
                "strangler_shadow_skipped_total",
                "Requests of a shadowed route its rules do not copy, by reason: unsafe (a write without dry run), too_large.",
                &["route", "reason"],
            )?,
            rows: family(
                registry,
                "strangler_shadow_rows_total",
                "Shadow results kept whole (mismatches, candidate errors, a sample of matches; every comparison is counted regardless), by outcome: stored, or lost (the store could not take them in time).",
                &["outcome"],
            )?,
        })
    }

    /// The counters `route` bumps on the request path.
    pub fn route(&self, route: &str) -> RouteTally {
        RouteTally {
            copies: self.copies.with_label_values(&[route]),
            over_budget: self.dropped_counter(route, DropReason::OverBudget),
            queue_full: self.dropped_counter(route, DropReason::QueueFull),
        }
    }

    fn dropped_counter(&self, route: &str, reason: DropReason) -> IntCounter {
        self.dropped.with_label_values(&[route, reason.as_str()])
    }

    /// Counts a copy dropped off the request path.
    pub fn dropped(&self, route: &str, reason: DropReason) {
        self.dropped_counter(route, reason).inc();
    }

    /// Counts one shadow result: a comparison, a skip or a candidate error
    /// (`DroppedOverflow` is counted when the queue refuses the copy).
    pub fn result(&self, route: &str, verdict: Verdict) {
        let (family, label) = match verdict {
            Verdict::SkippedUnsafe => (&self.skipped, "unsafe"),
            Verdict::SkippedTooLarge => (&self.skipped, "too_large"),
            Verdict::CandidateError => (&self.dropped, DropReason::CandidateError.as_str()),
            Verdict::DroppedOverflow => return,
            compared => (&self.comparisons, compared.as_str()),
        };
        family.with_label_values(&[route, label]).inc();
    }

    /// Counts result rows: `stored`, or `lost` when the store could not take them.
    pub fn rows(&self, outcome: &'static str, n: usize) {
        self.rows.with_label_values(&[outcome]).inc_by(n as u64);
    }

    /// What became of `route`'s requests; `shadowed` is counted by the
    /// request families, so the caller gives it.
    pub fn traffic(&self, route: &str, shadowed: u64) -> ShadowTraffic {
        let compared = sum(&self.comparisons, route);
        ShadowTraffic {
            shadowed,
            copies: sum(&self.copies, route),
            compared,
            dropped: sum(&self.dropped, route),
            skipped: sum(&self.skipped, route),
            compared_share: (shadowed > 0).then(|| compared as f64 / shadowed as f64),
        }
    }
}

/// The sum of `family`'s series whose labels include `route="…"` (read
/// without creating a series).
pub fn sum(family: &IntCounterVec, route: &str) -> u64 {
    sum_where(family, &[("route", route)])
}

/// The sum of `family`'s series carrying every one of `labels`.
pub fn sum_where(family: &IntCounterVec, labels: &[(&str, &str)]) -> u64 {
    Collector::collect(family)
        .iter()
        .flat_map(|f| f.get_metric())
        .filter(|m| {
            labels.iter().all(|(name, value)| {
                m.get_label()
                    .iter()
                    .any(|l| l.name() == *name && l.value() == *value)
            })
        })
        .map(|m| m.get_counter().get_value() as u64)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_land_in_one_family_each_and_the_share_is_compared_over_shadowed() {
        let metrics = ShadowMetrics::register(&Registry::new()).unwrap();
        for verdict in Verdict::ALL {
            metrics.result("orders", verdict);
        }
        metrics.result("orders", Verdict::Mismatch);
        let tally = metrics.route("orders");
        (0..7).for_each(|_| tally.copies.inc());
        tally.over_budget.inc();
        tally.queue_full.inc();
        metrics.dropped("orders", DropReason::PrimaryIncomplete);
        metrics.result("other", Verdict::Match);
        let traffic = metrics.traffic("orders", 10);
        assert_eq!(
            traffic,
            ShadowTraffic {
                shadowed: 10,
                copies: 7,
                // match, ignored, noise, mismatch twice
                compared: 5,
                // candidate error, over budget, queue full, primary incomplete
                dropped: 4,
                skipped: 2,
                compared_share: Some(0.5),
            }
        );
        assert_eq!(metrics.traffic("idle", 0).compared_share, None);
        let reasons =
            |reason: &str| sum_where(&metrics.dropped, &[("route", "orders"), ("reason", reason)]);
        assert_eq!(reasons("candidate_error"), 1);
        assert_eq!(reasons("over_budget"), 1);
        assert_eq!(
            sum_where(&metrics.comparisons, &[("outcome", "candidate_error")]),
            0
        );
    }
}
