//! From the comparison engine's output (`shadow::compare`) to what the store
//! records, so the shadow stage builds a [`NewResult`](super::NewResult) with
//! `.into()` calls: `comparison.verdict().into()`,
//! `comparison.differences.iter().map(NewDifference::from).collect()`,
//! `(&redacted_request).into()`. The matches are exhaustive on purpose: a new
//! verdict or kind there must be given a name here.

use super::model::{DiffKind, NewDifference, RequestExample, Verdict};
use crate::shadow::compare;

impl From<compare::Verdict> for Verdict {
    fn from(v: compare::Verdict) -> Self {
        match v {
            compare::Verdict::Match => Self::Match,
            compare::Verdict::Mismatch => Self::Mismatch,
            compare::Verdict::IgnoredOnly => Self::Ignored,
            compare::Verdict::NoiseOnly => Self::Noise,
        }
    }
}

impl From<compare::DifferenceKind> for DiffKind {
    fn from(k: compare::DifferenceKind) -> Self {
        match k {
            compare::DifferenceKind::Mismatch => Self::Mismatch,
            compare::DifferenceKind::Ignored => Self::Ignored,
            compare::DifferenceKind::Noise => Self::Noise,
        }
    }
}

impl From<&compare::Difference> for NewDifference {
    /// Values are taken as they are: the engine has already redacted them.
    fn from(d: &compare::Difference) -> Self {
        Self {
            path: d.path.clone(),
            pattern: d.pattern.clone(),
            kind: d.kind.into(),
            primary: d.primary.value().cloned(),
            candidate: d.candidate.value().cloned(),
        }
    }
}

impl From<&compare::RedactedRequest> for RequestExample {
    fn from(r: &compare::RedactedRequest) -> Self {
        Self {
            method: r.method.clone(),
            path: r.target.clone(),
            headers: r.headers.clone(),
            body: r.body.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_comparison_becomes_a_consistent_result() {
        let primary = compare::Response::json(200, &json!({"amt": 1250, "ts": "a"}));
        let candidate = compare::Response::json(200, &json!({"amt": 1300, "ts": "a"}));
        let rules = compare::Rules::new(compare::RulesConfig::default()).unwrap();
        let comparison = compare::compare(&primary, &candidate, &rules);
        let differences: Vec<NewDifference> = comparison
            .differences
            .iter()
            .map(NewDifference::from)
            .collect();
        let verdict = Verdict::from(comparison.verdict());
        assert_eq!(verdict, Verdict::Mismatch);
        assert_eq!(Verdict::implied_by(&differences), verdict);
        let amt = differences.iter().find(|d| d.path == "$.amt").unwrap();
        assert_eq!(
            (amt.primary.clone(), amt.candidate.clone()),
            (Some(json!(1250)), Some(json!(1300)))
        );
        assert_eq!(amt.kind, DiffKind::Mismatch);
    }
}
