//! The watchdog: while a route is in `canary` or `new`, it judges the new
//! side's recent requests and, when the error rate, the fallback rate or the
//! p99 latency crosses its limit, moves the route back one stage by switching
//! the stage's flag off (`new` → `canary` or below, `canary` → `shadow` or
//! below), records why with the numbers, and logs it.
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
use crate::stats::NewSideOutcome;
use serde::Serialize;
use serde_json::json;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// The watchdog's limits, checked.
#[derive(Debug, Clone)]
pub struct Watchdog {
    limits: WatchdogSettings,
    interval: Duration,
    window: Duration,
    flags_file: Option<PathBuf>,
}

/// What the watchdog saw of a route's new side.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Health {
    /// Requests in the window.
    pub requests: u64,
    /// Share that failed.
    pub error_rate: f64,
    /// Share served by the monolith instead.
    pub fallback_rate: f64,
    /// 99th percentile latency, ms.
    pub p99_ms: u64,
}

impl Health {
    /// Summarises outcomes.
    pub fn of(outcomes: &[NewSideOutcome]) -> Self {
        let n = outcomes.len();
        let share = |count: usize| if n == 0 { 0.0 } else { count as f64 / n as f64 };
        let mut latencies: Vec<u64> = outcomes.iter().map(|o| o.latency_ms).collect();
        latencies.sort_unstable();
        // Nearest rank: the smallest latency with at least 99 % at or below it.
        let p99 = latencies
            .get((n * 99).div_ceil(100).saturating_sub(1))
            .copied()
            .unwrap_or(0);
        Self {
            requests: n as u64,
            error_rate: share(outcomes.iter().filter(|o| o.failed).count()),
            fallback_rate: share(outcomes.iter().filter(|o| o.fell_back).count()),
            p99_ms: p99,
        }
    }
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

    /// Why `health` crosses a limit, if it does.
    pub fn judge(&self, health: &Health) -> Option<String> {
        let l = &self.limits;
        if health.requests < l.min_requests {
            return None;
        }
        let over = |what: &str, value: f64, limit: f64| {
            (value > limit)
                .then(|| format!("{what} {:.1} % > {:.1} %", value * 100.0, limit * 100.0))
        };
        over("error rate", health.error_rate, l.max_error_rate)
            .or_else(|| over("fallback rate", health.fallback_rate, l.max_fallback_rate))
            .or_else(|| {
                (health.p99_ms > l.max_p99_ms)
                    .then(|| format!("p99 {} ms > {} ms", health.p99_ms, l.max_p99_ms))
            })
            .map(|why| format!("{why} over {} new-side requests", health.requests))
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
        let since = Instant::now()
            .checked_sub(self.window)
            .unwrap_or_else(Instant::now);
        for route in table.routes() {
            let mode = current_mode(&flags, &route.flags);
            if !matches!(mode, Mode::Canary | Mode::New) {
                continue;
            }
            let health = Health::of(&route.counters.new_side_since(since));
            if let Some(why) = self.judge(&health) {
                self.roll_back(proxy, route, mode, health, why).await;
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
        let to = current_mode(&proxy.flags().snapshot(), &route.flags);
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
            evidence: json!({ "health": health, "flag": flag, "limits": {
                "min_requests": self.limits.min_requests, "max_error_rate": self.limits.max_error_rate,
                "max_fallback_rate": self.limits.max_fallback_rate, "max_p99_ms": self.limits.max_p99_ms } }),
        };
        if let Err(e) = proxy.shadow().store().record_decision(decision).await {
            tracing::warn!(error = %e, "watchdog decision not recorded");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dog() -> Watchdog {
        Watchdog {
            limits: WatchdogSettings {
                enabled: true,
                interval: "5s".into(),
                window: "1m".into(),
                min_requests: 10,
                max_error_rate: 0.05,
                max_fallback_rate: 0.05,
                max_p99_ms: 500,
            },
            interval: Duration::from_secs(5),
            window: Duration::from_secs(60),
            flags_file: None,
        }
    }

    fn outcomes(n: usize, failed: usize, latency_ms: u64) -> Vec<NewSideOutcome> {
        (0..n)
            .map(|i| NewSideOutcome {
                at: Instant::now(),
                latency_ms,
                failed: i < failed,
                fell_back: i < failed,
            })
            .collect()
    }

    #[test]
    fn judges_rates_latency_and_the_minimum() {
        assert_eq!(
            dog().judge(&Health::of(&outcomes(100, 5, 10))),
            None,
            "at the limit is fine"
        );
        let why = dog().judge(&Health::of(&outcomes(100, 6, 10))).unwrap();
        assert!(why.starts_with("error rate 6.0 % > 5.0 %"), "{why}");
        assert_eq!(
            dog().judge(&Health::of(&outcomes(9, 9, 10))),
            None,
            "too few requests to judge"
        );
        let why = dog().judge(&Health::of(&outcomes(100, 0, 900))).unwrap();
        assert!(why.starts_with("p99 900 ms > 500 ms"), "{why}");
    }

    #[test]
    fn p99_is_the_nearest_rank() {
        let mut o = outcomes(100, 0, 10);
        o[99].latency_ms = 5000;
        assert_eq!(
            Health::of(&o).p99_ms,
            10,
            "one slow request in 100 is the 100th percentile"
        );
        o[98].latency_ms = 4000;
        assert_eq!(Health::of(&o).p99_ms, 4000);
        assert_eq!(Health::of(&[]).p99_ms, 0);
    }
}
