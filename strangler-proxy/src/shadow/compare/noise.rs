//! The noise model (Twitter's Diffy): send the same request to the monolith
//! twice (primary and secondary). A field on which the monolith disagrees
//! with itself (a timestamp, a random id, an unordered set) cannot tell us
//! anything about the new service, so its differences are reported apart as
//! noise instead of as mismatches.
//!
//! The model is a pair of plain counters per route, so it can be persisted
//! (serde) and merged across proxy instances: how many primary/secondary
//! pairs were seen, and for each field pattern in how many of them the two
//! legacy answers differed.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::engine::compare;
use super::rules::{RuleError, Rules};
use super::types::{DifferenceKind, Response};

/// When a field pattern counts as noise: it differed between the two legacy
/// calls in at least `absolute` pairs **and** in at least a `relative` share
/// of all pairs seen on the route.
///
/// Defaults: `relative = 0.01` (1 % of pairs), `absolute = 3` pairs. The
/// count guards against calling a field noisy after one unlucky pair (a
/// write landing between the two calls); the share against a field that
/// differed a handful of times in millions of calls. Diffy's thresholds
/// (`threshold.relative` 20 %, `threshold.absolute` 0.03 %) play the same
/// part but are applied to the gap between its raw and noise counters at
/// report time; here the decision is per field, from the legacy pairs alone,
/// so that each comparison can be classified as it happens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NoiseThresholds {
    /// Minimum share (0 to 1) of pairs in which the field differed.
    pub relative: f64,
    /// Minimum number of pairs in which the field differed (at least 1).
    pub absolute: u64,
}

impl Default for NoiseThresholds {
    fn default() -> Self {
        Self {
            relative: 0.01,
            absolute: 3,
        }
    }
}

impl NoiseThresholds {
    /// Checks the ranges; the error names the setting.
    pub fn validate(&self) -> Result<(), RuleError> {
        if !self.relative.is_finite() || !(0.0..=1.0).contains(&self.relative) {
            return Err(RuleError::Range {
                field: "noise.relative",
                value: self.relative,
                expected: "a share between 0 and 1",
            });
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

/// Counters learnt from primary/secondary pairs on one route.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoiseModel {
    /// Primary/secondary pairs observed.
    pub pairs: u64,
    /// Per field pattern (`$.items[*].upd`, `status`, `headers.etag`): in how
    /// many pairs the two legacy answers differed there.
    pub differed: BTreeMap<String, u64>,
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
        let patterns: BTreeSet<String> = compare(primary, secondary, rules)
            .of_kind(DifferenceKind::Mismatch)
            .map(|d| d.pattern.clone())
            .collect();
        self.pairs += 1;
        for pattern in &patterns {
            *self.differed.entry(pattern.clone()).or_default() += 1;
        }
        patterns
    }

    /// Adds another instance's counters to these.
    pub fn merge(&mut self, other: &NoiseModel) {
        self.pairs += other.pairs;
        for (pattern, count) in &other.differed {
            *self.differed.entry(pattern.clone()).or_default() += count;
        }
    }

    /// Share of pairs in which `pattern` differed (0 when nothing was seen).
    pub fn share(&self, pattern: &str) -> f64 {
        match (self.pairs, self.differed.get(pattern)) {
            (0, _) | (_, None) => 0.0,
            (pairs, Some(count)) => *count as f64 / pairs as f64,
        }
    }

    /// True when `pattern` is noise under `thresholds`.
    pub fn is_noise(&self, pattern: &str, thresholds: &NoiseThresholds) -> bool {
        let count = self.differed.get(pattern).copied().unwrap_or(0);
        count >= thresholds.absolute && self.share(pattern) >= thresholds.relative
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
