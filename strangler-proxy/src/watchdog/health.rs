//! What the watchdog measures of a route: the new side's recent outcomes
//! (failures, fallbacks, p99, its own 404 and 4xx rates), the monolith's
//! baseline for the same 4xx rates, and the share of shadow samples whose
//! candidate lacked the record. Numbers only: judging them is
//! [`super::Watchdog::judge`]'s job, and the admin API and metrics show them
//! as they were at the watchdog's last look.

use crate::shadow::store::GateStats;
use crate::stats::{LegacyAnswer, NewSideOutcome};
use serde::{Deserialize, Serialize};

/// What the watchdog saw of a route.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Health {
    /// New-side requests in the window (fallbacks included).
    pub requests: u64,
    /// Share that failed.
    pub error_rate: f64,
    /// Share served by the monolith instead.
    pub fallback_rate: f64,
    /// 99th percentile latency, ms.
    pub p99_ms: u64,
    /// Requests the new side answered itself (not fallbacks): the
    /// denominator of its 4xx rates.
    #[serde(default)]
    pub answered: u64,
    /// Share of the new side's own answers that were 404.
    #[serde(default)]
    pub not_found_rate: f64,
    /// Share of the new side's own answers that were 4xx (404 included).
    #[serde(default)]
    pub client_error_rate: f64,
    /// The monolith's rates on the same route, if it has served shadowed
    /// requests of it since the proxy started.
    #[serde(default)]
    pub baseline: Option<Baseline>,
    /// The shadow comparisons of the window (current epoch), if any.
    #[serde(default)]
    pub shadow: Option<ShadowHealth>,
}

/// The monolith's own 4xx rates on a route: what the new side is held to.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// The monolith's answers it is measured over.
    pub requests: u64,
    /// Share that were 404.
    pub not_found_rate: f64,
    /// Share that were 4xx (404 included).
    pub client_error_rate: f64,
}

/// Shadow comparisons in the window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ShadowHealth {
    /// Samples (comparisons with a candidate answer or failure).
    pub samples: u64,
    /// Share whose candidate answered 404 where the monolith had the record.
    pub candidate_missing_rate: f64,
}

fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

fn is_client_error(status: u16) -> bool {
    (400..500).contains(&status)
}

impl Health {
    /// Summarises the new side's outcomes (no baseline, no shadow data yet).
    pub fn of(outcomes: &[NewSideOutcome]) -> Self {
        let n = outcomes.len();
        let mut latencies: Vec<u64> = outcomes.iter().map(|o| o.latency_ms).collect();
        latencies.sort_unstable();
        // Nearest rank: the smallest latency with at least 99 % at or below it.
        let p99 = latencies
            .get((n * 99).div_ceil(100).saturating_sub(1))
            .copied()
            .unwrap_or(0);
        // A fallback's status is the monolith's: it says nothing of the new side.
        let own: Vec<u16> = outcomes
            .iter()
            .filter(|o| !o.fell_back)
            .map(|o| o.status)
            .collect();
        let count = |f: fn(&&u16) -> bool| own.iter().filter(f).count();
        Self {
            requests: n as u64,
            error_rate: share(outcomes.iter().filter(|o| o.failed).count(), n),
            fallback_rate: share(outcomes.iter().filter(|o| o.fell_back).count(), n),
            p99_ms: p99,
            answered: own.len() as u64,
            not_found_rate: share(count(|s| **s == 404), own.len()),
            client_error_rate: share(count(|s| is_client_error(**s)), own.len()),
            baseline: None,
            shadow: None,
        }
    }

    /// With the monolith's answers as the baseline (none: no baseline).
    pub fn with_baseline(mut self, legacy: &[LegacyAnswer]) -> Self {
        let n = legacy.len();
        self.baseline = (n > 0).then(|| Baseline {
            requests: n as u64,
            not_found_rate: share(legacy.iter().filter(|a| a.status == 404).count(), n),
            client_error_rate: share(
                legacy.iter().filter(|a| is_client_error(a.status)).count(),
                n,
            ),
        });
        self
    }

    /// With the window's shadow comparisons (no samples: no shadow data).
    pub fn with_shadow(mut self, stats: &GateStats) -> Self {
        self.shadow = (stats.samples > 0).then(|| ShadowHealth {
            samples: stats.samples,
            candidate_missing_rate: stats.classes.candidate_missing as f64 / stats.samples as f64,
        });
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn answered(status: u16, fell_back: bool) -> NewSideOutcome {
        NewSideOutcome {
            at: Instant::now(),
            latency_ms: 1,
            failed: fell_back,
            fell_back,
            status,
        }
    }

    #[test]
    fn four_xx_rates_count_only_the_new_sides_own_answers() {
        let mut o = vec![answered(200, false); 6];
        o.push(answered(404, false));
        o.push(answered(400, false));
        // Fallbacks answered by the monolith, whatever their status.
        o.extend([answered(404, true), answered(404, true)]);
        let h = Health::of(&o);
        assert_eq!((h.requests, h.answered), (10, 8));
        assert_eq!(h.not_found_rate, 1.0 / 8.0);
        assert_eq!(h.client_error_rate, 2.0 / 8.0);
        assert_eq!(h.fallback_rate, 0.2);
    }

    #[test]
    fn no_baseline_without_legacy_answers() {
        let h = Health::of(&[]).with_baseline(&[]);
        assert_eq!(h.baseline, None);
        let legacy = [404, 200, 200, 429].map(|status| LegacyAnswer {
            at: Instant::now(),
            status,
        });
        let b = Health::of(&[]).with_baseline(&legacy).baseline.unwrap();
        assert_eq!(
            (b.requests, b.not_found_rate, b.client_error_rate),
            (4, 0.25, 0.5)
        );
    }
}
