//! The noise model (Twitter's Diffy): send the same request to the monolith
//! twice (primary and secondary). A field on which the monolith disagrees
//! with itself (a timestamp, a random id, an unordered set) says little about
//! the new service, so its differences are reported apart as noise instead
//! of as mismatches, unless the candidate differs there clearly more often
//! than the monolith does with itself.
//!
//! The model is plain counters per route, so it can be persisted (serde) and
//! merged across proxy instances: primary/secondary pairs seen and, per field
//! pattern, in how many of them the two legacy answers differed (Diffy's
//! "noise" counter); comparisons with the candidate made and, per pattern, in
//! how many of them the candidate differed (Diffy's "raw" counter).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::engine::compare;
use super::rules::{RuleError, Rules};
use super::types::{Comparison, DifferenceKind, Response};

/// When a field pattern counts as noise. Two steps:
///
/// 1. **Is the field noisy?** It differed between the two legacy calls in at
///    least `absolute` pairs **and** in at least a `relative` share of all
///    pairs seen on the route. Defaults: `absolute = 3`, `relative = 0.01`
///    (1 %). The count guards against calling a field noisy after one unlucky
///    pair (a write landing between the two calls); the share against a field
///    that differed a handful of times in millions of calls.
/// 2. **Does the candidate stand out anyway?** With `raw` the share of
///    comparisons in which the candidate differed there and `noise` the share
///    of legacy pairs that did, the candidate's differences still count as
///    mismatches when `raw > noise`, `(raw - noise) / (raw + noise) >
///    excess_relative` and `raw - noise > excess_absolute`. Defaults are
///    Diffy's: `excess_relative = 0.2` (its `threshold.relative` 20 %) and
///    `excess_absolute = 0.0003` (its `threshold.absolute` 0.03 %). So a
///    field the monolith changes in 5 % of calls but the candidate gets wrong
///    every time is a mismatch, not noise.
///
/// A pattern that differed between primary and secondary on the very request
/// being compared is noise for that request whatever the counters say: the
/// monolith did not agree with itself, so the candidate cannot be judged.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NoiseThresholds {
    /// Minimum share (0 to 1) of legacy pairs in which the field differed.
    pub relative: f64,
    /// Minimum number of legacy pairs in which the field differed (at least 1).
    pub absolute: u64,
    /// Minimum relative gap (0 to 1) by which the candidate must out-differ
    /// the monolith for a noisy field's differences to count as mismatches.
    pub excess_relative: f64,
    /// Minimum absolute gap (a share, 0 to 1) for the same.
    pub excess_absolute: f64,
}

impl Default for NoiseThresholds {
    fn default() -> Self {
        Self {
            relative: 0.01,
            absolute: 3,
            excess_relative: 0.2,
            excess_absolute: 0.0003,
        }
    }
}

impl NoiseThresholds {
    /// Checks the ranges; the error names the setting.
    pub fn validate(&self) -> Result<(), RuleError> {
        let shares = [
            ("noise.relative", self.relative),
            ("noise.excess_relative", self.excess_relative),
            ("noise.excess_absolute", self.excess_absolute),
        ];
        for (field, value) in shares {
            if !value.is_finite() || !(0.0..=1.0).contains(&value) {
                return Err(RuleError::Range {
                    field,
                    value,
                    expected: "a share between 0 and 1",
                });
            }
        }
        if self.absolute == 0 {
            return Err(RuleError::Range {
                field: "noise.absolute",
                value: 0.0,
                expected: "at least 1 (otherwise every field would be noise)",
            });
        }
        Ok(())
    }
}

/// Counters learnt on one route.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NoiseModel {
    /// Primary/secondary pairs observed.
    pub pairs: u64,
    /// Per field pattern (`$.items[*].upd`, `status`, `headers.etag`): in how
    /// many pairs the two legacy answers differed there.
    pub differed: BTreeMap<String, u64>,
    /// Primary/candidate comparisons counted.
    pub compared: u64,
    /// Per field pattern: in how many comparisons the candidate differed
    /// from the primary there (ignored differences excluded).
    pub candidate_differed: BTreeMap<String, u64>,
}

fn share(count: Option<&u64>, total: u64) -> f64 {
    match (count, total) {
        (Some(count), 1..) => *count as f64 / total as f64,
        _ => 0.0,
    }
}

fn add(into: &mut BTreeMap<String, u64>, patterns: &BTreeSet<String>) {
    for pattern in patterns {
        *into.entry(pattern.clone()).or_default() += 1;
    }
}

fn unignored(comparison: &Comparison) -> BTreeSet<String> {
    comparison
        .differences
        .iter()
        .filter(|d| d.kind != DifferenceKind::Ignored)
        .map(|d| d.pattern.clone())
        .collect()
}

impl NoiseModel {
    /// An empty model.
    pub fn new() -> Self {
        Self::default()
    }

    /// Learns from one pair of legacy answers to the same request; returns
    /// the patterns that differed this time (each counted once per pair).
    /// Differences silenced by an ignore rule are not counted: they are
    /// already out of the way.
    pub fn observe(
        &mut self,
        primary: &Response,
        secondary: &Response,
        rules: &Rules,
    ) -> BTreeSet<String> {
        let patterns = unignored(&compare(primary, secondary, rules));
        self.pairs += 1;
        add(&mut self.differed, &patterns);
        patterns
    }

    /// Counts one primary/candidate comparison (the raw side of the model).
    pub fn count_candidate(&mut self, comparison: &Comparison) {
        self.compared += 1;
        add(&mut self.candidate_differed, &unignored(comparison));
    }

    /// Adds another instance's counters to these.
    pub fn merge(&mut self, other: &NoiseModel) {
        self.pairs += other.pairs;
        self.compared += other.compared;
        for (pattern, count) in &other.differed {
            *self.differed.entry(pattern.clone()).or_default() += count;
        }
        for (pattern, count) in &other.candidate_differed {
            *self.candidate_differed.entry(pattern.clone()).or_default() += count;
        }
    }

    /// Share of legacy pairs in which `pattern` differed (0 when none seen).
    pub fn share(&self, pattern: &str) -> f64 {
        share(self.differed.get(pattern), self.pairs)
    }

    /// Share of comparisons in which the candidate differed at `pattern`.
    pub fn candidate_share(&self, pattern: &str) -> f64 {
        share(self.candidate_differed.get(pattern), self.compared)
    }

    /// Step 1: the monolith disagrees with itself at `pattern` often enough.
    pub fn is_noisy(&self, pattern: &str, thresholds: &NoiseThresholds) -> bool {
        let count = self.differed.get(pattern).copied().unwrap_or(0);
        count >= thresholds.absolute && self.share(pattern) >= thresholds.relative
    }

    /// Step 2: the candidate differs at `pattern` clearly more often than
    /// the monolith does with itself (Diffy's relative and absolute filter).
    pub fn candidate_stands_out(&self, pattern: &str, thresholds: &NoiseThresholds) -> bool {
        let (raw, noise) = (self.candidate_share(pattern), self.share(pattern));
        raw > noise
            && (raw - noise) / (raw + noise) > thresholds.excess_relative
            && raw - noise > thresholds.excess_absolute
    }

    /// True when differences at `pattern` are noise under `thresholds`.
    pub fn is_noise(&self, pattern: &str, thresholds: &NoiseThresholds) -> bool {
        self.is_noisy(pattern, thresholds) && !self.candidate_stands_out(pattern, thresholds)
    }

    /// Every pattern that is noise under `thresholds`, sorted.
    pub fn noisy_patterns(&self, thresholds: &NoiseThresholds) -> Vec<String> {
        self.differed
            .keys()
            .filter(|p| self.is_noise(p, thresholds))
            .cloned()
            .collect()
    }
}
