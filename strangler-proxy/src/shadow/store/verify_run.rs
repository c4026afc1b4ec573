//! What a verify run is: the outcome of comparing one data context's legacy
//! records with the new service's, record by record (`strangler verify
//! <context>` makes it and posts it to `POST /admin/verify-runs`). Pure types
//! and checks, no I/O; the table is `verify_runs` (`verify_queries.rs`).
//!
//! The counts must add up the way a comparison by legacy id makes them: every
//! legacy record is matching, differing or missing in the new service, and
//! every new record is matching, differing or missing in the legacy data.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// At most this many differences are kept per run (the counts cover all).
pub const MAX_VERIFY_DIFFERENCES: usize = 100;

/// How far in the future a run's `finished_at` may lie (clock skew between the
/// machine that ran it and the proxy's).
const FUTURE_SKEW: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

/// One record that differs between the two sides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyDifference {
    /// The kind of record, e.g. `payment`, `refund`, `stock`.
    pub entity: String,
    /// The record's legacy id (a number, or a string such as a SKU).
    pub legacy_id: Value,
    /// The differing field as a JSON path (e.g. `$.amt`); `null` when the
    /// whole record is missing on one side.
    pub field: Option<String>,
    /// The legacy side's value (`null` when absent).
    pub legacy: Option<Value>,
    /// The new side's value, in the legacy shape (`null` when absent).
    pub new: Option<Value>,
}

/// A verify run as posted (the body of `POST /admin/verify-runs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyRun {
    /// The data context, e.g. `payments` or `fulfillment`.
    pub context: String,
    /// When the run started (RFC 3339).
    pub started_at: DateTime<Utc>,
    /// When it finished (RFC 3339); its age is measured from here.
    pub finished_at: DateTime<Utc>,
    /// Records read on the legacy side.
    pub legacy_records: u64,
    /// Records read on the new side.
    pub new_records: u64,
    /// Records present on both sides and equal.
    pub matching_records: u64,
    /// Legacy records the new side lacks.
    pub missing_in_new: u64,
    /// New records the legacy side lacks.
    pub missing_in_legacy: u64,
    /// Records present on both sides that differ in at least one field.
    pub differing_records: u64,
    /// The first differences (at most [`MAX_VERIFY_DIFFERENCES`]).
    #[serde(default)]
    pub differences: Vec<VerifyDifference>,
    /// Whether there were more differences than listed.
    #[serde(default)]
    pub truncated: bool,
}

impl VerifyRun {
    /// Whether the run found no difference at all.
    pub fn passed(&self) -> bool {
        self.missing_in_new == 0 && self.missing_in_legacy == 0 && self.differing_records == 0
    }

    /// Checks what readers rely on, as of `now`; says what is wrong.
    pub fn validate(&self, now: DateTime<Utc>) -> Result<(), String> {
        let context = self.context.trim();
        if context.is_empty() || context.len() > 64 || context != self.context {
            return Err("context must be a name of 1 to 64 characters without surrounding blanks, like `payments`".into());
        }
        if self.finished_at < self.started_at {
            return Err(format!(
                "finished_at ({}) is before started_at ({})",
                self.finished_at.to_rfc3339(),
                self.started_at.to_rfc3339()
            ));
        }
        if self.finished_at > now + FUTURE_SKEW {
            return Err(format!(
                "finished_at ({}) is in the future; is the clock of the machine that ran verify right?",
                self.finished_at.to_rfc3339()
            ));
        }
        self.validate_counts()?;
        self.validate_differences()
    }

    fn validate_counts(&self) -> Result<(), String> {
        let both = self.matching_records.checked_add(self.differing_records);
        let legacy = both.and_then(|b| b.checked_add(self.missing_in_new));
        if legacy != Some(self.legacy_records) {
            return Err(format!(
                "the counts do not add up: legacy_records ({}) must be matching_records + differing_records + missing_in_new ({} + {} + {})",
                self.legacy_records,
                self.matching_records,
                self.differing_records,
                self.missing_in_new
            ));
        }
        let new = both.and_then(|b| b.checked_add(self.missing_in_legacy));
        if new != Some(self.new_records) {
            return Err(format!(
                "the counts do not add up: new_records ({}) must be matching_records + differing_records + missing_in_legacy ({} + {} + {})",
                self.new_records,
                self.matching_records,
                self.differing_records,
                self.missing_in_legacy
            ));
        }
        // Stored as BIGINT.
        if self.legacy_records > i64::MAX as u64 || self.new_records > i64::MAX as u64 {
            return Err("record counts must be below 2^63".into());
        }
        Ok(())
    }

    fn validate_differences(&self) -> Result<(), String> {
        if self.differences.len() > MAX_VERIFY_DIFFERENCES {
            return Err(format!(
                "differences lists {} entries; send at most {MAX_VERIFY_DIFFERENCES} and set `truncated`",
                self.differences.len()
            ));
        }
        if self.passed() && (!self.differences.is_empty() || self.truncated) {
            return Err(
                "a run without missing or differing records cannot list differences".into(),
            );
        }
        for (i, d) in self.differences.iter().enumerate() {
            if d.entity.trim().is_empty() {
                return Err(format!("differences[{i}].entity must not be empty"));
            }
            if !(d.legacy_id.is_u64() || d.legacy_id.is_i64() || d.legacy_id.is_string()) {
                return Err(format!(
                    "differences[{i}].legacy_id must be a number or a string, got {}",
                    d.legacy_id
                ));
            }
            if d.field.as_deref().is_some_and(|f| f.trim().is_empty()) {
                return Err(format!(
                    "differences[{i}].field must be a JSON path like `$.amt`, or null for a missing record"
                ));
            }
        }
        Ok(())
    }
}

/// A stored verify run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredVerifyRun {
    /// Its id.
    pub id: i64,
    /// What was posted.
    #[serde(flatten)]
    pub run: VerifyRun,
    /// No missing and no differing record.
    pub passed: bool,
    /// When the proxy stored it.
    pub recorded_at: DateTime<Utc>,
}

impl StoredVerifyRun {
    /// How long ago the run finished, as of `now` (zero if in the future).
    pub fn age(&self, now: DateTime<Utc>) -> std::time::Duration {
        (now - self.run.finished_at).to_std().unwrap_or_default()
    }

    /// Its age as people read it: `42s`, `17m`, `5h 3m`, `2d 4h`.
    pub fn age_text(&self, now: DateTime<Utc>) -> String {
        let s = self.age(now).as_secs();
        match s {
            0..60 => format!("{s}s"),
            60..3_600 => format!("{}m", s / 60),
            3_600..86_400 => format!("{}h {}m", s / 3_600, s % 3_600 / 60),
            _ => format!("{}d {}h", s / 86_400, s % 86_400 / 3_600),
        }
    }

    /// One difference in a line: `payment 17 $.amt: 1999 → 1899`, or
    /// `payment 18: missing in new` for a missing record.
    pub fn describe(d: &VerifyDifference) -> String {
        let id = d
            .legacy_id
            .as_str()
            .map_or_else(|| d.legacy_id.to_string(), str::to_owned);
        let show = |v: &Option<Value>| {
            v.as_ref()
                .map_or_else(|| "absent".to_owned(), Value::to_string)
        };
        match (&d.field, &d.legacy, &d.new) {
            (Some(field), legacy, new) => format!(
                "{} {id} {field}: {} → {}",
                d.entity,
                show(legacy),
                show(new)
            ),
            (None, _, None) => format!("{} {id}: missing in new", d.entity),
            (None, None, _) => format!("{} {id}: missing in legacy", d.entity),
            (None, _, _) => format!("{} {id}: differs", d.entity),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run() -> VerifyRun {
        serde_json::from_value(json!({
            "context": "payments", "started_at": "2026-12-07T01:00:00Z",
            "finished_at": "2026-12-07T01:02:00Z",
            "legacy_records": 1200, "new_records": 1199, "matching_records": 1197,
            "missing_in_new": 1, "missing_in_legacy": 0, "differing_records": 2,
            "differences": [{"entity": "payment", "legacy_id": 17, "field": "$.amt", "legacy": 1999, "new": 1899},
                            {"entity": "payment", "legacy_id": 18, "field": null, "legacy": {"id": 18}, "new": null}],
            "truncated": false
        }))
        .unwrap()
    }

    fn now() -> DateTime<Utc> {
        "2026-12-07T02:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_consistent_run_is_accepted_and_fails_on_differences() {
        let r = run();
        r.validate(now()).unwrap();
        assert!(!r.passed());
        assert_eq!(r.differences[1].field, None);
        let clean = VerifyRun {
            new_records: 1200,
            matching_records: 1200,
            missing_in_new: 0,
            differing_records: 0,
            differences: vec![],
            ..run()
        };
        clean.validate(now()).unwrap();
        assert!(clean.passed());
    }

    #[test]
    fn inconsistent_runs_say_what_is_wrong() {
        let cases: Vec<(VerifyRun, &str)> = vec![
            (
                VerifyRun {
                    context: " ".into(),
                    ..run()
                },
                "context",
            ),
            (
                VerifyRun {
                    legacy_records: 1300,
                    ..run()
                },
                "legacy_records (1300)",
            ),
            (
                VerifyRun {
                    new_records: 5,
                    ..run()
                },
                "new_records (5)",
            ),
            (
                VerifyRun {
                    finished_at: "2026-12-07T00:00:00Z".parse().unwrap(),
                    ..run()
                },
                "before started_at",
            ),
            (
                VerifyRun {
                    finished_at: "2026-12-08T00:00:00Z".parse().unwrap(),
                    ..run()
                },
                "in the future",
            ),
            (
                VerifyRun {
                    differences: vec![run().differences[0].clone(); 101],
                    ..run()
                },
                "at most 100",
            ),
        ];
        for (r, needle) in cases {
            let e = r.validate(now()).unwrap_err();
            assert!(e.contains(needle), "{e} should say {needle}");
        }
        let mut bad_id = run();
        bad_id.differences[0].legacy_id = json!([1]);
        assert!(
            bad_id
                .validate(now())
                .unwrap_err()
                .contains("differences[0].legacy_id")
        );
    }

    #[test]
    fn ages_and_differences_read_as_words() {
        let stored = StoredVerifyRun {
            id: 1,
            run: run(),
            passed: false,
            recorded_at: now(),
        };
        let finished = run().finished_at;
        let at = |secs| finished + chrono::TimeDelta::seconds(secs);
        assert_eq!(stored.age_text(at(42)), "42s");
        assert_eq!(stored.age_text(at(17 * 60)), "17m");
        assert_eq!(stored.age_text(at(5 * 3_600 + 180)), "5h 3m");
        assert_eq!(stored.age_text(at(2 * 86_400 + 4 * 3_600)), "2d 4h");
        assert_eq!(stored.age_text(at(-10)), "0s");
        assert_eq!(
            StoredVerifyRun::describe(&run().differences[0]),
            "payment 17 $.amt: 1999 → 1899"
        );
        assert_eq!(
            StoredVerifyRun::describe(&run().differences[1]),
            "payment 18: missing in new"
        );
    }
}
