//! The watchdog: while a route is in `canary` or `new`, it judges the new
//! side's recent requests and, when the error rate, the fallback rate or the
//! p99 latency crosses its limit, or when the new side answers 404 (or any
//! 4xx) more often than the monolith does on the same route, or shadow
//! comparisons find the candidate missing records, moves the route back one
//! stage by switching the stage's flag off (`new` → `canary` or below,
//! `canary` → `shadow` or below), records why with the numbers, and logs it.
//! All its conditions are in [`Watchdog::judge`]; what it measures is in
//! [`Health`].
//!
//! Missing data answers 404, not 5xx: a new side that lost records looks
//! healthy to the error rate. The 4xx rates are therefore held to the
//! monolith's own on the route (clients asking for ids that exist nowhere get
//! 404 from both, and that is no reason to roll back). The baseline is the
//! monolith's answers in its last `window` of serving the route's shadowed
//! requests ([`crate::stats::Counters::legacy_baseline`]): in `canary` the
//! same live window as the new side's (clients outside the cohort are
//! shadowed); in `new`, where the monolith serves nothing, the window before
//! the move. Kept in memory beside the new side's outcomes, it costs a route
//! in `legacy` nothing. Without a baseline (the proxy restarted in `new`, or
//! the shadow flag was never on) the 4xx comparison is not made; the shadow
//! data, kept in the database, still is.
//!
//! What makes it trustworthy: it acts only on at least `min_requests` requests
//! in its window, it only ever moves a route *back* (never forward: that is the
//! gate's and an operator's call), after a rollback it forgets the judged
//! requests so one bad minute is not judged twice, and every decision is in
//! `GET /admin/decisions`. With an Unleash server as the flag source it cannot
//! switch toggles: it records the rollback as `advised` and logs an error.

use crate::proxy::Proxy;
use crate::proxy::decide::{Mode, current_mode};
use crate::routes::Route;
use crate::settings::{FlagSource, Settings, WatchdogSettings};
use crate::shadow::store::{Decision, Window};
use serde_json::json;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

mod health;
pub use health::{Baseline, Health, ShadowHealth};

/// The watchdog's limits, checked.
#[derive(Debug, Clone)]
pub struct Watchdog {
    limits: WatchdogSettings,
    interval: Duration,
    window: Duration,
    flags_file: Option<PathBuf>,
}

impl Watchdog {
    /// From the settings (already validated); `None` when switched off.
    pub fn new(settings: &Settings) -> Result<Option<Self>, String> {
        if !settings.watchdog.enabled {
            return Ok(None);
        }
        let parse = |text: &str| {
            text.parse::<Window>()
                .map(|w| w.duration())
                .map_err(|e| e.to_string())
        };
        Ok(Some(Self {
            limits: settings.watchdog.clone(),
            interval: parse(&settings.watchdog.interval)?,
            window: parse(&settings.watchdog.window)?,
            flags_file: (settings.flags.source == FlagSource::File)
                .then(|| settings.flags.file.clone()),
        }))
    }

    /// Why `health` crosses a limit, if it does: the one place for the
    /// watchdog's conditions. Each needs at least `min_requests` of what it
    /// is measured over (new-side requests, the new side's own answers and
    /// the monolith's, shadow samples), so a handful never triggers it.
    pub fn judge(&self, health: &Health) -> Option<String> {
        self.judge_new_side(health)
            .or_else(|| self.judge_client_errors(health))
            .or_else(|| self.judge_shadow(health))
    }

    fn judge_new_side(&self, health: &Health) -> Option<String> {
        let l = &self.limits;
        if health.requests < l.min_requests {
            return None;
        }
        let over = |what: &str, value: f64, limit: f64| {
            (value > limit).then(|| format!("{what} {} > {}", pct(value), pct(limit)))
        };
        over("error rate", health.error_rate, l.max_error_rate)
            .or_else(|| over("fallback rate", health.fallback_rate, l.max_fallback_rate))
            .or_else(|| {
                (health.p99_ms > l.max_p99_ms)
                    .then(|| format!("p99 {} ms > {} ms", health.p99_ms, l.max_p99_ms))
            })
            .map(|why| format!("{why} over {} new-side requests", health.requests))
    }

    /// The new side's 404 and 4xx rates against the monolith's baseline.
    fn judge_client_errors(&self, health: &Health) -> Option<String> {
        let l = &self.limits;
        let base = health.baseline?;
        if health.answered < l.min_requests || base.requests < l.min_requests {
            return None;
        }
        let over = |what: &str, value: f64, baseline: f64, excess: f64| {
            (value > baseline + excess).then(|| {
                format!(
                    "{what} {} > legacy baseline {} + {}",
                    pct(value),
                    pct(baseline),
                    pct(excess)
                )
            })
        };
        over(
            "404 rate",
            health.not_found_rate,
            base.not_found_rate,
            l.max_not_found_excess,
        )
        .or_else(|| {
            over(
                "4xx rate",
                health.client_error_rate,
                base.client_error_rate,
                l.max_client_error_excess,
            )
        })
        .map(|why| {
            format!(
                "{why} over {} new-side answers (baseline over {} legacy answers)",
                health.answered, base.requests
            )
        })
    }

    /// Shadow samples whose candidate lacked a record the monolith has: the
    /// class is already relative to the monolith, so its baseline is zero.
    fn judge_shadow(&self, health: &Health) -> Option<String> {
        let l = &self.limits;
        let shadow = health.shadow?;
        (shadow.samples >= l.min_requests && shadow.candidate_missing_rate > l.max_not_found_excess)
            .then(|| {
                format!(
                    "candidate missing the record in {} of {} shadow samples > {}",
                    pct(shadow.candidate_missing_rate),
                    shadow.samples,
                    pct(l.max_not_found_excess)
                )
            })
    }

    /// Looks every interval until `stop`.
    pub async fn run(self, proxy: Arc<Proxy>, mut stop: watch::Receiver<bool>) {
        let mut tick = tokio::time::interval(self.interval);
        loop {
            tokio::select! {
                _ = crate::server::stopped(&mut stop) => return,
                _ = tick.tick() => self.look(&proxy).await,
            }
        }
    }

    async fn look(&self, proxy: &Proxy) {
        let table = proxy.table();
        let flags = proxy.flags().snapshot();
        for route in table.routes() {
            let mode = current_mode(&flags, route);
            if !matches!(mode, Mode::Canary | Mode::New) {
                continue;
            }
            let health = self.health(proxy, route).await;
            route.counters.watched(health);
            if let Some(why) = self.judge(&health) {
                self.roll_back(proxy, route, mode, health, why).await;
            }
        }
    }

    /// What `route` looks like over the window, not reaching back past its
    /// last rollback (what was judged then is not judged twice).
    async fn health(&self, proxy: &Proxy, route: &Route) -> Health {
        let counters = &route.counters;
        let window = counters
            .forgotten_at()
            .map_or(self.window, |at| at.elapsed().min(self.window));
        let since = Instant::now()
            .checked_sub(window)
            .unwrap_or_else(Instant::now);
        let health = Health::of(&counters.new_side_since(since))
            .with_baseline(&counters.legacy_baseline(self.window));
        match proxy.shadow().store().gate_stats(&route.name, window).await {
            Ok(stats) => health.with_shadow(&stats),
            Err(e) => {
                tracing::warn!(route = %route.name, error = %e, "watchdog could not read the shadow results");
                health
            }
        }
    }

    async fn roll_back(
        &self,
        proxy: &Proxy,
        route: &Route,
        mode: Mode,
        health: Health,
        why: String,
    ) {
        let (flag, from) = match mode {
            Mode::New => (route.flags.new.clone(), "new"),
            _ => (route.flags.canary.clone(), "canary"),
        };
        let Some(flag) = flag else { return };
        let outcome = match &self.flags_file {
            Some(file) => match crate::flags::file::disable(file, &flag) {
                Ok(_) => {
                    let _ = proxy.flags().reload().await;
                    "applied"
                }
                Err(e) => {
                    tracing::error!(route = %route.name, error = %e, "watchdog could not switch `{flag}` off");
                    "failed"
                }
            },
            None => "advised",
        };
        route.counters.forget_new_side();
        let to = current_mode(&proxy.flags().snapshot(), route);
        let to = if outcome == "applied" {
            format!("{to:?}").to_lowercase()
        } else {
            "unchanged".into()
        };
        tracing::error!(route = %route.name, from, to = %to, flag = %flag, outcome, reason = %why, "watchdog rolled the route back");
        let decision = Decision {
            route: route.name.clone(),
            action: "rollback".into(),
            from_mode: from.into(),
            to_mode: to,
            outcome: outcome.into(),
            forced: false,
            reason: why,
            evidence: json!({ "health": health, "flag": flag, "limits": &self.limits }),
        };
        if let Err(e) = proxy.shadow().store().record_decision(decision).await {
            tracing::warn!(error = %e, "watchdog decision not recorded");
        }
    }
}

/// A share as the reasons (and the dashboard) show it: `2.5 %`.
pub(crate) fn pct(share: f64) -> String {
    format!("{:.1} %", share * 100.0)
}

#[cfg(test)]
mod tests;
