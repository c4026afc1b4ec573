//! The promotion gate: a route moves to `canary` or `new` only when its shadow
//! match rate over the configured window is at least the bar, over at least the
//! configured number of samples. An operator may override with a reason; every
//! decision — granted, refused or forced — is recorded with its numbers.
//!
//! Promotion switches the stage's flag on in the local flags file. With an
//! Unleash server as the source the proxy cannot switch toggles: the gate still
//! answers, and the operator flips the toggle on the server.

use crate::proxy::Proxy;
use crate::proxy::decide::{Mode, current_mode};
use crate::settings::{FlagSource, Settings};
use crate::shadow::store::{Decision, GateStats, ResultClasses, Window};
use platform::Problem;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::path::PathBuf;

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
    /// Whether the numbers allow the move.
    pub open: bool,
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
    /// Why it is closed, in words.
    pub why: Option<String>,
}

/// The gate's settings, checked.
#[derive(Debug, Clone)]
pub struct Gate {
    rate: f64,
    min_samples: u64,
    window: Window,
    flags_file: Option<PathBuf>,
}

impl Gate {
    /// From the settings (already validated).
    pub fn new(settings: &Settings) -> Result<Self, String> {
        Ok(Self {
            rate: settings.gate.match_rate,
            min_samples: settings.gate.min_samples,
            window: settings
                .gate
                .window
                .parse()
                .map_err(|e: crate::shadow::store::WindowError| e.to_string())?,
            flags_file: (settings.flags.source == FlagSource::File)
                .then(|| settings.flags.file.clone()),
        })
    }

    /// Judges `stats` against the bar.
    pub fn judge(&self, stats: &GateStats) -> Verdict {
        let rate = (stats.samples > 0).then(|| stats.matches as f64 / stats.samples as f64);
        let why = if stats.samples < self.min_samples {
            Some(format!(
                "only {} shadow samples in the last {}; {} needed",
                stats.samples, self.window, self.min_samples
            ))
        } else if rate.is_some_and(|r| r < self.rate) {
            Some(format!(
                "match rate {:.2} % over {} samples in the last {} is below the required {:.2} %",
                rate.unwrap_or(0.0) * 100.0,
                stats.samples,
                self.window,
                self.rate * 100.0
            ))
        } else {
            None
        };
        Verdict {
            open: why.is_none(),
            samples: stats.samples,
            matches: stats.matches,
            match_rate: rate,
            classes: stats.classes,
            required_rate: self.rate,
            required_samples: self.min_samples,
            window: self.window.to_string(),
            why,
        }
    }

    /// The gate's verdict for `route` now.
    pub async fn verdict(&self, proxy: &Proxy, route: &str) -> Result<Verdict, Problem> {
        let stats = proxy
            .shadow()
            .store()
            .gate_stats(route, self.window.duration())
            .await?;
        Ok(self.judge(&stats))
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
        let from = current_mode(&proxy.flags().snapshot(), &route.flags);
        let verdict = self.verdict(proxy, &route.name).await?;
        let outcome = match (verdict.open, ask.force) {
            (true, _) => "granted",
            (false, true) => "forced",
            (false, false) => "refused",
        };
        let decision = Decision {
            route: route.name.clone(),
            action: "promote".into(),
            from_mode: mode_name(from).into(),
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
            json!({ "route": route.name, "from": mode_name(from), "to": stage, "outcome": outcome, "flag": flag, "gate": verdict }),
        )
    }
}

fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Legacy => "legacy",
        Mode::Shadow => "shadow",
        Mode::Canary => "canary",
        Mode::New => "new",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate() -> Gate {
        Gate {
            rate: 0.99,
            min_samples: 50,
            window: "1h".parse().unwrap(),
            flags_file: None,
        }
    }

    fn stats(samples: u64, matches: u64) -> GateStats {
        GateStats {
            samples,
            matches,
            ..GateStats::default()
        }
    }

    #[test]
    fn the_bar_and_the_samples_both_count() {
        assert!(gate().judge(&stats(100, 100)).open);
        assert!(gate().judge(&stats(100, 99)).open);
        let low = gate().judge(&stats(100, 95));
        assert!(!low.open && low.why.unwrap().contains("95.00 %"));
        let few = gate().judge(&stats(10, 10));
        assert!(!few.open && few.why.unwrap().contains("only 10 shadow samples"));
        assert_eq!(gate().judge(&stats(0, 0)).match_rate, None);
    }
}
