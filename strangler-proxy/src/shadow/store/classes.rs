//! What a sample says about the migration, for people and for the gate: the
//! one place a stored result (its verdict and the two statuses) becomes a
//! [`ResultClass`]. Reports count samples by class, the gate counts the
//! classes that are matches, and the per-field table leaves out results of
//! the class [`ResultClass::CandidateMissing`] (their fields all differ only
//! because the record is not there).
//!
//! Classifying from the verdict and the statuses alone (not the differences)
//! keeps it cheap enough to do per comparison, where in-memory counters would
//! count it.

use super::model::Verdict;
use serde::{Deserialize, Serialize};

/// The class of one sample, in report order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResultClass {
    /// No difference at all.
    Match,
    /// Differences only in fields marked `ignore`: counts as a match.
    Ignored,
    /// Differences only in learned noise (and ignored fields): counts as a match.
    Noise,
    /// The monolith answered 2xx with a record, the new service 404: the
    /// record is not there yet (a backfill is missing or late).
    CandidateMissing,
    /// The two answered with different statuses.
    StatusDiffers,
    /// Same status, at least one field differs.
    FieldDiffers,
    /// The new service failed (no answer, an unusable one).
    CandidateError,
}

impl ResultClass {
    /// The class of a stored result; `None` for skips and drops (not samples).
    pub fn of(
        verdict: Verdict,
        primary_status: u16,
        candidate_status: Option<u16>,
    ) -> Option<Self> {
        Some(match verdict {
            Verdict::Match => Self::Match,
            Verdict::Ignored => Self::Ignored,
            Verdict::Noise => Self::Noise,
            Verdict::CandidateError => Self::CandidateError,
            Verdict::Mismatch
                if (200..300).contains(&primary_status) && candidate_status == Some(404) =>
            {
                Self::CandidateMissing
            }
            Verdict::Mismatch if candidate_status != Some(primary_status) => Self::StatusDiffers,
            Verdict::Mismatch => Self::FieldDiffers,
            Verdict::SkippedUnsafe | Verdict::SkippedTooLarge | Verdict::DroppedOverflow => {
                return None;
            }
        })
    }

    /// Whether the promotion gate and the match rate count it as a match:
    /// exact matches, ignored-only and noise-only results.
    pub fn counts_as_match(self) -> bool {
        matches!(self, Self::Match | Self::Ignored | Self::Noise)
    }
}

/// Samples per class; they add up to the samples.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultClasses {
    /// Exact matches.
    #[serde(rename = "match")]
    pub matched: u64,
    /// Only ignored fields differ (a match).
    pub ignored: u64,
    /// Only learned noise differs (a match).
    pub noise: u64,
    /// The new service lacks the record.
    pub candidate_missing: u64,
    /// The statuses differ.
    pub status_differs: u64,
    /// A field differs.
    pub field_differs: u64,
    /// The new service failed.
    pub candidate_error: u64,
}

impl ResultClasses {
    /// Counts `n` samples of `class`.
    pub fn add(&mut self, class: ResultClass, n: u64) {
        *match class {
            ResultClass::Match => &mut self.matched,
            ResultClass::Ignored => &mut self.ignored,
            ResultClass::Noise => &mut self.noise,
            ResultClass::CandidateMissing => &mut self.candidate_missing,
            ResultClass::StatusDiffers => &mut self.status_differs,
            ResultClass::FieldDiffers => &mut self.field_differs,
            ResultClass::CandidateError => &mut self.candidate_error,
        } += n;
    }

    /// Every sample.
    pub fn total(&self) -> u64 {
        self.matched
            + self.ignored
            + self.noise
            + self.candidate_missing
            + self.status_differs
            + self.field_differs
            + self.candidate_error
    }

    /// The samples that count as matches ([`ResultClass::counts_as_match`]).
    pub fn matching(&self) -> u64 {
        self.matched + self.ignored + self.noise
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_decide_between_missing_status_and_field() {
        let of = |v, p, c| ResultClass::of(v, p, c);
        assert_eq!(
            of(Verdict::Mismatch, 200, Some(404)),
            Some(ResultClass::CandidateMissing)
        );
        assert_eq!(
            of(Verdict::Mismatch, 201, Some(404)),
            Some(ResultClass::CandidateMissing)
        );
        assert_eq!(
            of(Verdict::Mismatch, 404, Some(200)),
            Some(ResultClass::StatusDiffers)
        );
        assert_eq!(
            of(Verdict::Mismatch, 200, Some(500)),
            Some(ResultClass::StatusDiffers)
        );
        assert_eq!(
            of(Verdict::Mismatch, 200, Some(200)),
            Some(ResultClass::FieldDiffers)
        );
        assert_eq!(
            of(Verdict::Ignored, 200, Some(200)),
            Some(ResultClass::Ignored)
        );
        assert_eq!(
            of(Verdict::CandidateError, 200, None),
            Some(ResultClass::CandidateError)
        );
        assert_eq!(of(Verdict::DroppedOverflow, 200, None), None);
        assert!(ResultClass::Ignored.counts_as_match() && ResultClass::Noise.counts_as_match());
        assert!(!ResultClass::CandidateMissing.counts_as_match());
    }
}
