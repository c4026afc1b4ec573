//! What a report says, per route and per field pattern over a window (the
//! queries are in `aggregate.rs`). The rates are defined on [`Report`].

use super::classes::ResultClasses;
use super::model::Verdict;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// Results per verdict.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VerdictCounts {
    /// Exact matches.
    #[serde(rename = "match")]
    pub matched: u64,
    /// With at least one real difference.
    pub mismatch: u64,
    /// Only ignored-field differences.
    pub ignored: u64,
    /// Only ignored or noise differences.
    pub noise: u64,
    /// The candidate failed.
    pub candidate_error: u64,
    /// Not shadowed: unsafe request.
    pub skipped_unsafe: u64,
    /// Not shadowed: body too large.
    pub skipped_too_large: u64,
    /// Not shadowed: queue full.
    pub dropped_overflow: u64,
}

impl VerdictCounts {
    pub(super) fn add(&mut self, verdict: Verdict, n: u64) {
        let slot = match verdict {
            Verdict::Match => &mut self.matched,
            Verdict::Mismatch => &mut self.mismatch,
            Verdict::Ignored => &mut self.ignored,
            Verdict::Noise => &mut self.noise,
            Verdict::CandidateError => &mut self.candidate_error,
            Verdict::SkippedUnsafe => &mut self.skipped_unsafe,
            Verdict::SkippedTooLarge => &mut self.skipped_too_large,
            Verdict::DroppedOverflow => &mut self.dropped_overflow,
        };
        *slot += n;
    }

    /// `match + mismatch + ignored + noise + candidate_error`.
    pub fn samples(&self) -> u64 {
        self.matched + self.mismatch + self.ignored + self.noise + self.candidate_error
    }
}

/// One field pattern's counts within a route.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldReport {
    /// e.g. `$.items[*].amt`.
    pub pattern: String,
    /// Results with at least one mismatch on this pattern.
    pub mismatches: u64,
    /// Results with an ignored difference on it.
    pub ignored: u64,
    /// Results with a noise difference on it.
    pub noise: u64,
    /// `mismatches / route samples`.
    pub mismatch_rate: Option<f64>,
}

/// One route's summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RouteReport {
    /// Route group name.
    pub route: String,
    /// Where counting starts: the window's start, or the route's current
    /// epoch when that began later.
    pub counted_from: DateTime<Utc>,
    /// Results whose candidate was asked (see [`Report`]).
    pub samples: u64,
    /// The samples by class; they add up to `samples`.
    pub classes: ResultClasses,
    /// `(match + ignored + noise) / samples`: what the gate judges.
    pub match_rate: Option<f64>,
    /// `match / samples`: exact agreement only.
    pub exact_match_rate: Option<f64>,
    /// Every stored verdict's count, zeros included (skips and drops too).
    pub verdicts: VerdictCounts,
    /// Patterns with any difference, most mismatches first; results whose
    /// candidate lacks the record are left out (they are one class).
    pub fields: Vec<FieldReport>,
}

/// A (route, pattern) that mismatched, with examples to open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MismatchGroup {
    /// Route group name.
    pub route: String,
    /// Field pattern.
    pub pattern: String,
    /// Results with a mismatch on it.
    pub count: u64,
    /// Up to three of those results' ids, newest first (for `example`).
    pub examples: Vec<i64>,
}

/// The answer to [`ShadowStore::report`](super::ShadowStore::report).
///
/// Definitions (all counts are results created at or after `now - since`,
/// and at or after the start of the route's current epoch, see
/// [`ShadowStore::start_epoch`](super::ShadowStore::start_epoch)):
/// - **samples**: results whose candidate was asked: `match + mismatch +
///   ignored + noise + candidate_error`. Skips and drops are counted in
///   [`VerdictCounts`] but are not samples.
/// - **classes** ([`ResultClasses`], defined on
///   [`ResultClass`](super::ResultClass)): every sample is exactly one of
///   match, ignored, noise, candidate missing the record, status differs,
///   field differs, candidate error.
/// - **match rate** = `(match + ignored + noise) / samples`: a result whose
///   only differences are in fields marked `ignore` or in learned noise is a
///   match; a candidate error counts against the rate. The promotion gate
///   judges this rate.
/// - **exact match rate** = `match / samples`.
/// - a field pattern's **mismatch rate** = results with at least one mismatch
///   on that pattern / the route's samples; a result whose candidate lacks
///   the record counts in its class, not on every field of the record.
///
/// Rates are fractions in 0..=1, `None` (JSON `null`) without samples. A route
/// that has no result in the window (or does not exist) is simply absent: an
/// unknown route name yields an empty report, not an error.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Start of the window (inclusive).
    pub from: DateTime<Utc>,
    /// When the report was made.
    pub until: DateTime<Utc>,
    /// Routes with results in the window, by name.
    pub routes: Vec<RouteReport>,
    /// The largest mismatch groups across the reported routes (at most 10),
    /// largest first.
    pub top_mismatches: Vec<MismatchGroup>,
}

/// What the promotion gate needs for one route over a window (definitions on
/// [`Report`]): the samples, those that count as matches, and every class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct GateStats {
    /// Results whose candidate was asked (`classes.total()`).
    pub samples: u64,
    /// Samples that count as matches: match, ignored, noise.
    pub matches: u64,
    /// The samples by class.
    pub classes: ResultClasses,
}

impl GateStats {
    /// From a route's classes.
    pub fn from_classes(classes: ResultClasses) -> Self {
        Self {
            samples: classes.total(),
            matches: classes.matching(),
            classes,
        }
    }
}

pub(super) fn rate(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}
