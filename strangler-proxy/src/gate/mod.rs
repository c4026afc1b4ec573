//! The promotion gate: a route moves to `canary` or `new` only when its shadow
//! match rate over the configured window (from its current epoch on) is at
//! least the bar, over at least the configured number of samples, and — for
//! `new`, on a route that declares its data context — the last verify run of
//! that context passed and is recent enough, and — for `canary` and `new`, on
//! a route with `sync = true` — both sync directions of its data context are
//! known, fresh, relayed and at most `gate.max_sync_lag` behind (the
//! conditions are in `rules.rs`; the readings come from [`crate::sync_lag`]). An operator may override with a reason; every decision —
//! granted, refused or forced — is recorded with its numbers. The `[gate]`
//! settings are replaced on reload, like the route table.
//!
//! Promotion switches the stage's flag on in the local flags file. With an
//! Unleash server as the source the proxy cannot switch toggles: the gate still
//! answers, and the operator flips the toggle on the server.

mod retire;
mod rules;

pub use rules::{Evidence, Rules};

use crate::proxy::Proxy;
use crate::proxy::decide::{Mode, current_mode};
use crate::settings::{FlagSource, Settings};
use crate::shadow::store::{Decision, ResultClasses};
use crate::sync_lag::{Direction, SyncLag, SyncReading};
use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};
use platform::Problem;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::path::PathBuf;
use std::sync::Arc;

/// A stage a route can be promoted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// A sticky share of clients on the new side.
    Canary,
    /// Everyone on the new side.
    New,
}

/// A promotion request.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Promotion {
    /// Where to.
    pub to: Target,
    /// Override the gate (needs `reason`).
    #[serde(default)]
    pub force: bool,
    /// Why (required with `force`; recorded).
    #[serde(default)]
    pub reason: Option<String>,
}

/// What the gate says for a route now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// Whether every condition allows the move.
    pub open: bool,
    /// The move judged.
    pub to: Target,
    /// Shadow samples in the window.
    pub samples: u64,
    /// Of which count as matches (exact, ignored-only, noise-only).
    pub matches: u64,
    /// matches / samples (`None` without samples).
    pub match_rate: Option<f64>,
    /// The samples by class.
    pub classes: ResultClasses,
    /// The bar.
    pub required_rate: f64,
    /// The samples needed.
    pub required_samples: u64,
    /// The window.
    pub window: String,
    /// The data condition, for a move to `new` of a route with `data`.
    pub verify: Option<VerifyCheck>,
    /// The sync condition, one per direction, for a route with `sync = true`.
    pub sync: Vec<SyncCheck>,
    /// Why it is closed, in words, with what to do: every failed condition.
    pub why: Option<String>,
}

/// The last verify run of a route's data context, as the gate judged it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerifyCheck {
    /// The data context (the route's `data`).
    pub context: String,
    /// The id of its last run; `None` when it was never verified.
    pub last_run: Option<i64>,
    /// Whether that run found no difference.
    pub passed: Option<bool>,
    /// When that run finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// `gate.verify_max_age`.
    pub max_age: String,
    /// Why this condition fails, and what to do; `None` when it holds.
    pub why: Option<String>,
}

/// One sync direction of a route's data context, as the gate judged it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncCheck {
    /// The data context.
    pub context: String,
    /// Which way.
    pub direction: Direction,
    /// The last reading; `None` when there is none.
    pub reading: Option<SyncReading>,
    /// `gate.max_sync_lag`.
    pub max_lag: String,
    /// Why this condition fails, and what to do; `None` when it holds.
    pub why: Option<String>,
}

/// The promotion gate: its rules (replaced on reload) and where the flags are.
#[derive(Debug)]
pub struct Gate {
    rules: ArcSwap<Rules>,
    flags_file: Option<PathBuf>,
    sync: Arc<SyncLag>,
}

impl Gate {
    /// From the settings (already validated), judging the sync lag `sync`
    /// keeps.
    pub fn new(settings: &Settings, sync: Arc<SyncLag>) -> Result<Self, String> {
        let rules = Rules::new(settings)?;
        sync.set_interval(rules.poll_interval());
        Ok(Self {
            rules: ArcSwap::from_pointee(rules),
            flags_file: (settings.flags.source == FlagSource::File)
                .then(|| settings.flags.file.clone()),
            sync,
        })
    }

    /// The sync lag readings.
    pub fn sync(&self) -> &SyncLag {
        &self.sync
    }

    /// The rules in force.
    pub fn rules(&self) -> std::sync::Arc<Rules> {
        self.rules.load_full()
    }

    /// Puts reloaded rules in force, `sync.poll_interval` included (the flag
    /// source needs a restart).
    pub fn replace_rules(&self, rules: Rules) {
        self.sync.set_interval(rules.poll_interval());
        self.rules.store(std::sync::Arc::new(rules));
    }

    /// The gate's verdict on moving `route` to `to` now; 404 for an unknown
    /// route.
    pub async fn verdict(
        &self,
        proxy: &Proxy,
        route: &str,
        to: Target,
    ) -> Result<Verdict, Problem> {
        let table = proxy.table();
        let found = table.routes().iter().find(|r| r.name == route);
        let found = found.ok_or_else(|| Problem::not_found(format!("no route named `{route}`")))?;
        let (data, synced) = (found.data.clone(), found.sync);
        let sync = match (&data, synced) {
            (Some(context), true) => Some(self.sync.fresh(&table, context).await),
            _ => None,
        };
        let rules = self.rules();
        let store = proxy.shadow().store();
        let stats = store.gate_stats(route, rules.window.duration()).await?;
        let last = match (&data, to) {
            (Some(context), Target::New) => store.last_verify_run(context).await?,
            _ => None,
        };
        let evidence = Evidence {
            stats: &stats,
            data: data.as_deref().map(|context| (context, last.as_ref())),
            sync: data.as_deref().zip(sync.as_deref()),
        };
        Ok(rules.judge(to, &evidence, Utc::now()))
    }

    /// Promotes `route` if the gate (or a forced override) allows it; records
    /// the decision either way.
    pub async fn promote(
        &self,
        proxy: &Proxy,
        route: &str,
        ask: Promotion,
    ) -> Result<serde_json::Value, Problem> {
        let table = proxy.table();
        let found = table.routes().iter().find(|r| r.name == route);
        let route = found.ok_or_else(|| Problem::not_found(format!("no route named `{route}`")))?;
        let flag = match ask.to {
            Target::Canary => route.flags.canary.clone(),
            Target::New => route.flags.new.clone(),
        };
        let stage = if ask.to == Target::Canary {
            "canary"
        } else {
            "new"
        };
        let flag = flag.ok_or_else(|| {
            Problem::conflict(format!(
                "route `{}` has no `{stage}` flag to switch on",
                route.name
            ))
        })?;
        let reason = ask
            .reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty());
        if ask.force && reason.is_none() {
            return Err(Problem::unprocessable(
                "`force` needs a `reason`: it is recorded with the decision",
            ));
        }
        let from = current_mode(&proxy.flags().snapshot(), route);
        if from == Mode::Retired {
            return Err(Problem::conflict(format!(
                "route `{}` is retired: the new side serves it alone, there is no stage to move it to",
                route.name
            )));
        }
        let verdict = self.verdict(proxy, &route.name, ask.to).await?;
        let outcome = match (verdict.open, ask.force) {
            (true, _) => "granted",
            (false, true) => "forced",
            (false, false) => "refused",
        };
        let decision = Decision {
            route: route.name.clone(),
            action: "promote".into(),
            from_mode: from.as_str().into(),
            to_mode: stage.into(),
            outcome: outcome.into(),
            forced: outcome == "forced",
            reason: reason
                .map(str::to_owned)
                .or_else(|| verdict.why.clone())
                .unwrap_or_else(|| "gate open".into()),
            evidence: json!(verdict),
        };
        proxy.shadow().store().record_decision(decision).await?;
        if outcome == "refused" {
            let why = verdict.why.clone().unwrap_or_default();
            return Err(Problem::conflict(format!(
                "promotion of `{}` to {stage} refused: {why}",
                route.name
            ))
            .with("gate", json!(verdict)));
        }
        let Some(file) = &self.flags_file else {
            return Err(Problem::conflict(format!(
                "the gate allows `{}` to move to {stage}, but flags come from an Unleash server: switch `{flag}` on there",
                route.name
            )));
        };
        crate::flags::file::enable(file, &flag).map_err(|e| Problem::internal(&e))?;
        proxy
            .flags()
            .reload()
            .await
            .map_err(|e| Problem::internal(&e))?;
        Ok(
            json!({ "route": route.name, "from": from.as_str(), "to": stage, "outcome": outcome, "flag": flag, "gate": verdict }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shadow::store::{GateStats, StoredVerifyRun};
    use serde_json::json;

    fn rules() -> Rules {
        Rules {
            rate: 0.99,
            min_samples: 50,
            window: "1h".parse().unwrap(),
            verify_max_age: "24h".parse().unwrap(),
            max_sync_lag: "30s".parse().unwrap(),
            stale_after: "15s".parse().unwrap(),
            poll_interval: std::time::Duration::from_secs(5),
        }
    }

    fn stats(samples: u64, matches: u64) -> GateStats {
        GateStats {
            samples,
            matches,
            ..GateStats::default()
        }
    }

    fn now() -> DateTime<Utc> {
        "2026-12-07T12:00:00Z".parse().unwrap()
    }

    fn judge(s: &GateStats) -> Verdict {
        rules().judge(Target::New, &Evidence::shadow(s), now())
    }

    fn run(finished: &str, differing: u64) -> StoredVerifyRun {
        serde_json::from_value(json!({
            "id": 4, "context": "payments", "started_at": "2026-12-01T00:00:00Z",
            "finished_at": finished, "legacy_records": 10, "new_records": 10,
            "matching_records": 10 - differing, "missing_in_new": 0, "missing_in_legacy": 0,
            "differing_records": differing, "differences": [], "truncated": false,
            "passed": differing == 0, "recorded_at": finished
        }))
        .unwrap()
    }

    #[test]
    fn the_bar_and_the_samples_both_count() {
        assert!(judge(&stats(100, 100)).open);
        assert!(judge(&stats(100, 99)).open);
        let low = judge(&stats(100, 95));
        assert!(!low.open && low.why.unwrap().contains("95.00 %"));
        let few = judge(&stats(10, 10));
        assert!(!few.open && few.why.unwrap().contains("only 10 shadow samples"));
        assert_eq!(judge(&stats(0, 0)).match_rate, None);
    }

    #[test]
    fn a_move_to_new_needs_a_recent_passed_verify_of_the_route_data() {
        let good = stats(100, 100);
        let verdict = |to, last: Option<&StoredVerifyRun>| {
            let evidence = Evidence {
                data: Some(("payments", last)),
                ..Evidence::shadow(&good)
            };
            rules().judge(to, &evidence, now())
        };
        let fresh = run("2026-12-07T10:00:00Z", 0);
        let open = verdict(Target::New, Some(&fresh));
        assert!(open.open, "{:?}", open.why);
        assert_eq!(open.verify.unwrap().last_run, Some(4));

        let never = verdict(Target::New, None);
        let why = never.why.unwrap();
        assert!(
            !never.open
                && why.contains("never been verified")
                && why.contains("run `strangler verify payments`"),
            "{why}"
        );

        let failed = run("2026-12-07T10:00:00Z", 2);
        let why = verdict(Target::New, Some(&failed)).why.unwrap();
        assert!(
            why.contains("2 differing records") && why.contains("strangler verify payments"),
            "{why}"
        );

        let stale = run("2026-12-06T11:00:00Z", 0);
        let why = verdict(Target::New, Some(&stale)).why.unwrap();
        assert!(
            why.contains("1d 1h ago") && why.contains("verify_max_age (1d)"),
            "{why}"
        );

        let canary = verdict(Target::Canary, None);
        assert!(
            canary.open && canary.verify.is_none(),
            "canary does not wait for verify"
        );
        let few = stats(10, 10);
        let evidence = Evidence {
            data: Some(("payments", None)),
            ..Evidence::shadow(&few)
        };
        let both = rules().judge(Target::New, &evidence, now());
        let why = both.why.unwrap();
        assert!(
            why.contains("only 10 shadow samples") && why.contains("never been verified"),
            "every failed condition is said: {why}"
        );
    }
}
