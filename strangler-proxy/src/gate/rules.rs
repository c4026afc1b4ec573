//! The gate's conditions, in one place: enough shadow samples, a match rate
//! at the bar (matches, ignored-only and noise-only results count as
//! matches), and, for a move to `new` of a route that declares its data
//! context (`data = "payments"`), a last verify run that passed and is no
//! older than `gate.verify_max_age`. Pure: the numbers in, a [`Verdict`] out.

use super::{Target, Verdict, VerifyCheck};
use crate::settings::Settings;
use crate::shadow::store::{GateStats, StoredVerifyRun, Window};
use chrono::{DateTime, Utc};

/// The gate's settings (`[gate]`), checked; replaced as a whole on reload.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    pub(super) rate: f64,
    pub(super) min_samples: u64,
    pub(super) window: Window,
    pub(super) verify_max_age: Window,
}

impl Rules {
    /// From the settings; says which key is wrong.
    pub fn new(settings: &Settings) -> Result<Self, String> {
        let window = |key: &str, value: &str| {
            value
                .parse::<Window>()
                .map_err(|e| format!("gate.{key}: {e}"))
        };
        Ok(Self {
            rate: settings.gate.match_rate,
            min_samples: settings.gate.min_samples,
            window: window("window", &settings.gate.window)?,
            verify_max_age: window("verify_max_age", &settings.gate.verify_max_age)?,
        })
    }

    /// Judges a move to `to`: the shadow numbers, and for a route with a data
    /// context (`data`) moving to `new`, its last verify run as of `now`.
    pub fn judge(
        &self,
        to: Target,
        stats: &GateStats,
        data: Option<(&str, Option<&StoredVerifyRun>)>,
        now: DateTime<Utc>,
    ) -> Verdict {
        let rate = (stats.samples > 0).then(|| stats.matches as f64 / stats.samples as f64);
        let mut failed = Vec::new();
        if stats.samples < self.min_samples {
            failed.push(format!(
                "only {} shadow samples in the last {}; {} needed",
                stats.samples, self.window, self.min_samples
            ));
        } else if rate.is_some_and(|r| r < self.rate) {
            failed.push(format!(
                "match rate {:.2} % over {} samples in the last {} is below the required {:.2} %",
                rate.unwrap_or(0.0) * 100.0,
                stats.samples,
                self.window,
                self.rate * 100.0
            ));
        }
        let verify = match (to, data) {
            (Target::New, Some((context, last))) => {
                let check = self.verify_check(context, last, now);
                failed.extend(check.why.clone());
                Some(check)
            }
            _ => None,
        };
        Verdict {
            open: failed.is_empty(),
            to,
            samples: stats.samples,
            matches: stats.matches,
            match_rate: rate,
            classes: stats.classes,
            required_rate: self.rate,
            required_samples: self.min_samples,
            window: self.window.to_string(),
            verify,
            why: (!failed.is_empty()).then(|| failed.join("; ")),
        }
    }

    fn verify_check(
        &self,
        context: &str,
        last: Option<&StoredVerifyRun>,
        now: DateTime<Utc>,
    ) -> VerifyCheck {
        let run_it = format!("run `strangler verify {context}`");
        let why = match last {
            None => Some(format!(
                "data context `{context}` has never been verified; {run_it}"
            )),
            Some(r) if !r.passed => Some(format!(
                "the last verify of `{context}` (run {}, {} ago) found {} missing in new, {} missing in legacy and {} differing records; fix them (backfill again, or fix the ACL), then {run_it}",
                r.id,
                r.age_text(now),
                r.run.missing_in_new,
                r.run.missing_in_legacy,
                r.run.differing_records
            )),
            Some(r) if r.age(now) > self.verify_max_age.duration() => Some(format!(
                "the last verify of `{context}` finished {} ago, longer than gate.verify_max_age ({}); {run_it}",
                r.age_text(now),
                self.verify_max_age
            )),
            Some(_) => None,
        };
        VerifyCheck {
            context: context.to_owned(),
            last_run: last.map(|r| r.id),
            passed: last.map(|r| r.passed),
            finished_at: last.map(|r| r.run.finished_at),
            max_age: self.verify_max_age.to_string(),
            why,
        }
    }
}
