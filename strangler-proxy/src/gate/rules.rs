//! The gate's conditions, in one place: enough shadow samples, a match rate
//! at the bar (matches, ignored-only and noise-only results count as
//! matches), and, for a move to `new` of a route that declares its data
//! context (`data = "payments"`), a last verify run that passed and is no
//! older than `gate.verify_max_age`; for a move to `canary` or `new` of a
//! route with `sync = true`, both sync directions of its data context read,
//! fresh (read within three `sync.poll_interval`s), relayed (not `off`: a
//! route whose changes do not reach the other side cannot be rolled back
//! without loss) and at most `gate.max_sync_lag` behind. Pure: the numbers
//! in, a [`Verdict`] out.

use super::{SyncCheck, Target, Verdict, VerifyCheck};
use crate::settings::Settings;
use crate::shadow::store::{GateStats, StoredVerifyRun, Window};
use crate::sync_lag::{Direction, Measured, STALE_AFTER_POLLS, SyncReading};
use chrono::{DateTime, Utc};
use platform::relay::Transport;

/// The gate's settings (`[gate]`), checked; replaced as a whole on reload.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    pub(super) rate: f64,
    pub(super) min_samples: u64,
    pub(super) window: Window,
    pub(super) verify_max_age: Window,
    pub(super) max_sync_lag: Window,
    pub(super) stale_after: Window,
    /// `sync.poll_interval`: the poller takes it from the rules in force, so
    /// that a reload changes both how often it reads and when a reading
    /// counts as stale.
    pub(super) poll_interval: std::time::Duration,
}

/// What the gate judges a move on.
#[derive(Debug, Clone, Copy)]
pub struct Evidence<'a> {
    /// The route's shadow numbers in the window.
    pub stats: &'a GateStats,
    /// Its data context and that context's last verify run (fetched for a
    /// move to `new` only).
    pub data: Option<(&'a str, Option<&'a StoredVerifyRun>)>,
    /// Its synced data context and that context's last sync readings
    /// (routes with `sync = true` only).
    pub sync: Option<(&'a str, &'a [SyncReading])>,
}

impl<'a> Evidence<'a> {
    /// Shadow numbers alone (a route without a data context).
    pub fn shadow(stats: &'a GateStats) -> Self {
        Self {
            stats,
            data: None,
            sync: None,
        }
    }
}

impl Rules {
    /// From the settings; says which key is wrong.
    pub fn new(settings: &Settings) -> Result<Self, String> {
        let window = |key: &str, value: &str| {
            value
                .parse::<Window>()
                .map_err(|e| format!("gate.{key}: {e}"))
        };
        let poll = settings
            .sync
            .poll_interval
            .parse::<Window>()
            .map_err(|e| format!("sync.poll_interval: {e}"))?
            .duration();
        Ok(Self {
            rate: settings.gate.match_rate,
            min_samples: settings.gate.min_samples,
            window: window("window", &settings.gate.window)?,
            verify_max_age: window("verify_max_age", &settings.gate.verify_max_age)?,
            max_sync_lag: window("max_sync_lag", &settings.gate.max_sync_lag)?,
            stale_after: window(
                "max_sync_lag",
                &format!("{}s", poll.as_secs() * u64::from(STALE_AFTER_POLLS)),
            )
            .map_err(|_| "sync.poll_interval: too long".to_owned())?,
            poll_interval: poll,
        })
    }

    /// How often the sync lag poller reads both sides.
    pub fn poll_interval(&self) -> std::time::Duration {
        self.poll_interval
    }

    /// Judges a move to `to` on `evidence` as of `now`: the shadow numbers;
    /// for a route with a data context (`data`) moving to `new`, its last
    /// verify run; for a synced route, both directions' sync lag.
    pub fn judge(&self, to: Target, evidence: &Evidence<'_>, now: DateTime<Utc>) -> Verdict {
        let stats = evidence.stats;
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
        let verify = match (to, evidence.data) {
            (Target::New, Some((context, last))) => {
                let check = self.verify_check(context, last, now);
                failed.extend(check.why.clone());
                Some(check)
            }
            _ => None,
        };
        let sync: Vec<SyncCheck> = evidence.sync.map_or_else(Vec::new, |(context, readings)| {
            Direction::BOTH
                .into_iter()
                .map(|direction| {
                    let reading = readings.iter().find(|r| r.direction == direction);
                    self.sync_check(context, direction, reading, now)
                })
                .collect()
        });
        failed.extend(sync.iter().filter_map(|c| c.why.clone()));
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
            sync,
            why: (!failed.is_empty()).then(|| failed.join("; ")),
        }
    }

    pub(super) fn verify_check(
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

    pub(super) fn sync_check(
        &self,
        context: &str,
        direction: Direction,
        reading: Option<&SyncReading>,
        now: DateTime<Utc>,
    ) -> SyncCheck {
        let name = format!("sync {} of `{context}`", direction.arrow());
        let max = self.max_sync_lag;
        let why = match reading {
            None => Some(format!(
                "{name} has not been read; the proxy reads it every sync.poll_interval"
            )),
            Some(r)
                if (now - r.read_at).to_std().unwrap_or_default() > self.stale_after.duration() =>
            {
                Some(format!(
                    "{name} was last read at {}, longer ago than {}: its lag is unknown",
                    r.read_at.format("%Y-%m-%d %H:%M:%S UTC"),
                    self.stale_after
                ))
            }
            Some(r) => match &r.measured {
                Measured::Unknown { error } => Some(format!("{name} is unknown: {error}")),
                Measured::Known {
                    relay: Transport::Off,
                    pending,
                    ..
                } => Some(format!(
                    "{name} is off at {} (no relay; {pending} changes wait): a rollback would lose them; set its events.transport, or take `sync` off the route",
                    r.upstream
                )),
                Measured::Known {
                    pending,
                    lag_seconds,
                    ..
                } if *lag_seconds > max.duration().as_secs_f64() => Some(format!(
                    "{name} lags {lag_seconds:.1} s ({pending} changes pending), above gate.max_sync_lag ({max}); let its relay catch up (is the other side's inbox accepting?)"
                )),
                Measured::Known { .. } => None,
            },
        };
        SyncCheck {
            context: context.to_owned(),
            direction,
            reading: reading.cloned(),
            max_lag: max.to_string(),
            why,
        }
    }
}

#[cfg(test)]
#[path = "sync_tests.rs"]
mod sync_tests;
