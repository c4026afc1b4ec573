//! What a shadow result is: the input the proxy records ([`NewResult`]), its
//! outcome ([`Verdict`]) and its per-field differences ([`NewDifference`]).
//! Pure types and checks, no I/O.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How one shadowed request ended. Stored as its snake_case name.
///
/// The four *compared* verdicts say what the comparison found: `match` (no
/// difference at all), `ignored` (only differences an ignore rule covers),
/// `noise` (only ignored or learned-noise differences, at least one noise),
/// `mismatch` (at least one real difference). `candidate_error` means the
/// candidate failed (no answer, or the comparison could not run on it). The
/// other three are counted outcomes where no comparison happened, kept so that
/// nothing is lost silently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Responses equal.
    Match,
    /// At least one difference of kind [`DiffKind::Mismatch`].
    Mismatch,
    /// Differences only on ignored fields.
    Ignored,
    /// Differences only on ignored fields or learned noise, at least one noise.
    Noise,
    /// The candidate failed (timeout, connection error, unusable answer).
    CandidateError,
    /// Not shadowed: the request changes state and no dry run was possible.
    SkippedUnsafe,
    /// Not shadowed: a body exceeded the comparison size limit.
    SkippedTooLarge,
    /// Not shadowed: the shadow queue was full.
    DroppedOverflow,
}

impl Verdict {
    /// Every verdict, in report order.
    pub const ALL: [Verdict; 8] = [
        Self::Match,
        Self::Mismatch,
        Self::Ignored,
        Self::Noise,
        Self::CandidateError,
        Self::SkippedUnsafe,
        Self::SkippedTooLarge,
        Self::DroppedOverflow,
    ];

    /// The stored name, e.g. `candidate_error`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Match => "match",
            Self::Mismatch => "mismatch",
            Self::Ignored => "ignored",
            Self::Noise => "noise",
            Self::CandidateError => "candidate_error",
            Self::SkippedUnsafe => "skipped_unsafe",
            Self::SkippedTooLarge => "skipped_too_large",
            Self::DroppedOverflow => "dropped_overflow",
        }
    }

    /// The compared verdict `differences` imply: `mismatch` with any mismatch,
    /// else `noise` with any noise, else `ignored` with any ignored
    /// difference, else `match` (as `shadow::compare` decides it).
    pub fn implied_by(differences: &[NewDifference]) -> Self {
        let has = |kind| differences.iter().any(|d: &NewDifference| d.kind == kind);
        if has(DiffKind::Mismatch) {
            Self::Mismatch
        } else if has(DiffKind::Noise) {
            Self::Noise
        } else if has(DiffKind::Ignored) {
            Self::Ignored
        } else {
            Self::Match
        }
    }

    /// True for the four verdicts a comparison produces.
    pub fn is_compared(self) -> bool {
        matches!(
            self,
            Self::Match | Self::Mismatch | Self::Ignored | Self::Noise
        )
    }

    /// True when the result is a *sample*: the candidate was asked and either
    /// answered (a compared verdict) or failed. Skips and drops are not.
    pub fn is_sample(self) -> bool {
        !matches!(
            self,
            Self::SkippedUnsafe | Self::SkippedTooLarge | Self::DroppedOverflow
        )
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Verdict {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| format!("unknown verdict `{s}`"))
    }
}

/// What one field difference is (as the comparison engine classifies it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiffKind {
    /// A real difference.
    Mismatch,
    /// A difference on a field an ignore rule covers.
    Ignored,
    /// A difference the monolith itself shows between identical calls.
    Noise,
}

impl DiffKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mismatch => "mismatch",
            Self::Ignored => "ignored",
            Self::Noise => "noise",
        }
    }
}

impl FromStr for DiffKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        [Self::Mismatch, Self::Ignored, Self::Noise]
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown difference kind `{s}`"))
    }
}

/// One field difference to record. Values are already redacted by the caller;
/// `None` means the field is absent on that side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewDifference {
    /// Concrete path, e.g. `$.items[3].amt`.
    pub path: String,
    /// Path with indexes generalised, e.g. `$.items[*].amt`; reports group by it.
    pub pattern: String,
    /// How the comparison classified it.
    pub kind: DiffKind,
    /// The primary's (monolith's) value.
    pub primary: Option<serde_json::Value>,
    /// The candidate's (new service's) value.
    pub candidate: Option<serde_json::Value>,
}

/// The shadowed request, redacted by the caller, kept as an example.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RequestExample {
    /// HTTP method.
    pub method: String,
    /// Path and query as received (redacted).
    pub path: String,
    /// Headers in arrival order, repeats kept (redacted).
    pub headers: Vec<(String, String)>,
    /// The body as JSON (a string for non-JSON bodies), `None` when empty.
    pub body: Option<serde_json::Value>,
}

/// One shadow result to record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewResult {
    /// Route group name from the route table, e.g. `payments`.
    pub route: String,
    /// HTTP method.
    pub method: String,
    /// The matched route pattern, e.g. `/api/v1/payments/{id}`.
    pub path_template: String,
    /// The concrete path (redacted by the caller).
    pub path: String,
    /// The request's correlation id.
    pub correlation_id: String,
    /// Status the monolith answered the client with.
    pub primary_status: u16,
    /// Status of the candidate's answer; `None` when it gave none.
    pub candidate_status: Option<u16>,
    /// Monolith latency in milliseconds.
    pub primary_latency_ms: u64,
    /// Candidate latency in milliseconds; `None` when it was not asked.
    pub candidate_latency_ms: Option<u64>,
    /// The outcome.
    pub verdict: Verdict,
    /// The request, redacted.
    pub request: RequestExample,
    /// Field differences (any kind).
    pub differences: Vec<NewDifference>,
}

impl NewResult {
    /// Checks what the store relies on: names present, statuses valid, and the
    /// verdict consistent with the differences, so reports never contradict
    /// themselves: a compared verdict must be the one its differences imply
    /// ([`Verdict::implied_by`]), and a result without a comparison (candidate
    /// error, skip, drop) carries no differences. Returns what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        for (name, value) in [
            ("route", &self.route),
            ("method", &self.method),
            ("path_template", &self.path_template),
        ] {
            if value.trim().is_empty() {
                return Err(format!("{name} must not be empty"));
            }
        }
        let valid = |s: u16| (100..=599).contains(&s);
        if !valid(self.primary_status) || !self.candidate_status.is_none_or(valid) {
            return Err("statuses must be between 100 and 599".into());
        }
        let implied = Verdict::implied_by(&self.differences);
        match self.verdict {
            Verdict::Match | Verdict::Mismatch | Verdict::Ignored | Verdict::Noise
                if self.verdict != implied =>
            {
                Err(format!(
                    "verdict `{}` does not fit its differences, which make it `{implied}`",
                    self.verdict
                ))
            }
            v if !v.is_compared() && !self.differences.is_empty() => Err(format!(
                "verdict `{v}` means no comparison ran, so it cannot carry differences"
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_names_round_trip() {
        for v in Verdict::ALL {
            assert_eq!(v.as_str().parse::<Verdict>().unwrap(), v);
            assert_eq!(serde_json::to_value(v).unwrap(), v.as_str());
        }
        assert!("matched".parse::<Verdict>().is_err());
        assert!(!Verdict::DroppedOverflow.is_sample());
        assert!(Verdict::CandidateError.is_sample());
    }

    #[test]
    fn differences_imply_the_verdict() {
        let d = |kind| NewDifference {
            path: "$.a".into(),
            pattern: "$.a".into(),
            kind,
            primary: None,
            candidate: None,
        };
        assert_eq!(Verdict::implied_by(&[]), Verdict::Match);
        assert_eq!(
            Verdict::implied_by(&[d(DiffKind::Ignored)]),
            Verdict::Ignored
        );
        let noisy = [d(DiffKind::Ignored), d(DiffKind::Noise)];
        assert_eq!(Verdict::implied_by(&noisy), Verdict::Noise);
        let all = [
            d(DiffKind::Noise),
            d(DiffKind::Mismatch),
            d(DiffKind::Ignored),
        ];
        assert_eq!(Verdict::implied_by(&all), Verdict::Mismatch);
    }
}
