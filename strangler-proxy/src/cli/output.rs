//! What the CLI prints: plain aligned tables.

use super::FlagsAction;
use crate::admin::views::{RouteView, StatusView};
use crate::flags::file::{self, Percent};
use crate::handover::Handover;
use crate::resilience::GuardSnapshot;
use crate::routes::RouteTable;
use crate::settings::Settings;
use crate::shadow::store::StoredVerifyRun;
use crate::stats::Stats;
use crate::sync_lag::SyncReading;
use crate::watchdog::Health;
use std::fmt::Write;
use std::path::Path;

pub use platform::table::table;

/// The routes as a table.
pub fn routes_table(routes: &[RouteView]) -> String {
    let rows: Vec<Vec<String>> = routes
        .iter()
        .map(|r| {
            vec![
                r.name.clone(),
                r.mode.as_str().to_owned(),
                r.counters.requests.to_string(),
                r.counters.served_by_new.to_string(),
                r.counters.fallbacks.to_string(),
                r.new.clone().unwrap_or_else(|| "-".into()),
                r.patterns.join(" "),
            ]
        })
        .collect();
    table(
        &[
            "ROUTE",
            "MODE",
            "REQUESTS",
            "NEW",
            "FALLBACKS",
            "NEW UPSTREAM",
            "PATTERNS",
        ],
        &rows,
    )
}

/// The new-side upstreams' breakers and bulkheads as a table.
pub fn backends_table(backends: &[GuardSnapshot]) -> String {
    let rows: Vec<Vec<String>> = backends
        .iter()
        .map(|b| {
            vec![
                b.backend.clone(),
                format!("{:?}", b.breaker).to_lowercase(),
                format!("{}/{}", b.in_flight, b.capacity),
                b.rejected_total.to_string(),
                b.breaker_opened_total.to_string(),
                b.retries_total.to_string(),
            ]
        })
        .collect();
    table(
        &[
            "NEW UPSTREAM",
            "BREAKER",
            "IN FLIGHT",
            "REJECTED",
            "OPENED",
            "RETRIES",
        ],
        &rows,
    )
}

/// The sync lag of each data context and direction.
pub fn sync_table(readings: &[SyncReading], now: chrono::DateTime<chrono::Utc>) -> String {
    let rows: Vec<Vec<String>> = readings
        .iter()
        .map(|r| {
            vec![
                r.context.clone(),
                r.direction.arrow().to_owned(),
                r.lag_text(),
                r.upstream.clone(),
                format!("{}s ago", (now - r.read_at).num_seconds().max(0)),
            ]
        })
        .collect();
    table(
        // Not "DATA CONTEXT": that header starts the verify table.
        &["SYNC", "DIRECTION", "LAG", "READ FROM", "READ"],
        &rows,
    )
}

/// How many differences of each context `strangler status` lists.
const VERIFY_DIFFERENCES_SHOWN: usize = 3;

/// The last verify run of each data context, and its first differences.
pub fn verify_table(runs: &[StoredVerifyRun], now: chrono::DateTime<chrono::Utc>) -> String {
    let rows: Vec<Vec<String>> = runs
        .iter()
        .map(|r| {
            vec![
                r.run.context.clone(),
                if r.passed { "passed" } else { "FAILED" }.into(),
                r.run.legacy_records.to_string(),
                r.run.new_records.to_string(),
                r.run.missing_in_new.to_string(),
                r.run.missing_in_legacy.to_string(),
                r.run.differing_records.to_string(),
                format!("{} ago", r.age_text(now)),
            ]
        })
        .collect();
    let mut out = table(
        &[
            "DATA CONTEXT",
            "VERIFY",
            "LEGACY",
            "NEW",
            "MISSING IN NEW",
            "MISSING IN LEGACY",
            "DIFFERING",
            "FINISHED",
        ],
        &rows,
    );
    for r in runs {
        for d in r.run.differences.iter().take(VERIFY_DIFFERENCES_SHOWN) {
            let _ = writeln!(out, "  {}: {}", r.run.context, StoredVerifyRun::describe(d));
        }
        let more = r
            .run
            .differences
            .len()
            .saturating_sub(VERIFY_DIFFERENCES_SHOWN);
        if more > 0 || r.run.truncated {
            let _ = writeln!(
                out,
                "  {}: … and more (GET /admin/verify-runs?context={})",
                r.run.context, r.run.context
            );
        }
    }
    out
}

/// `strangler status` output.
pub fn status(s: &StatusView) -> String {
    let mut out = routes_table(&s.routes);
    if !s.backends.is_empty() {
        out.push('\n');
        out.push_str(&backends_table(&s.backends));
    }
    if !s.verify.is_empty() {
        out.push('\n');
        out.push_str(&verify_table(&s.verify, chrono::Utc::now()));
    }
    if !s.sync.is_empty() {
        out.push('\n');
        out.push_str(&sync_table(&s.sync, chrono::Utc::now()));
    }
    for h in &s.handovers {
        let _ = writeln!(out, "{}", handover_line(h));
    }
    for e in &s.epochs {
        let _ = writeln!(
            out,
            "{}: shadow results count from {} (epoch by {}: {})",
            e.route,
            e.started_at.format("%Y-%m-%d %H:%M:%S UTC"),
            e.by,
            e.reason
        );
    }
    for r in &s.routes {
        if let Some(health) = &r.watchdog {
            let _ = writeln!(out, "{}", watchdog_line(&r.name, health));
        }
    }
    let _ = writeln!(out, "\nunrouted requests: {}", s.unrouted.requests);
    let _ = writeln!(out, "flags: {}", s.flags_error.as_deref().unwrap_or("ok"));
    let _ = writeln!(
        out,
        "reloads applied: {}; last reload: {}",
        s.reload.applied,
        s.reload.last_error.as_deref().unwrap_or("ok")
    );
    out
}

/// A handover in progress, in one line.
pub fn handover_line(h: &Handover) -> String {
    format!(
        "{}: HANDOVER {} since {}: writes held ({} so far); pending: {}",
        h.data,
        h.direction(),
        h.since.format("%H:%M:%S UTC"),
        h.held_writes,
        h.pending
    )
}

/// What the watchdog compared at its last look at `route`, in one line.
fn watchdog_line(route: &str, h: &Health) -> String {
    let pct = |share: f64| format!("{:.1} %", share * 100.0);
    let legacy = |rate: fn(&crate::watchdog::Baseline) -> f64| {
        h.baseline
            .as_ref()
            .map_or("no baseline".into(), |b| format!("legacy {}", pct(rate(b))))
    };
    let mut line = format!(
        "{route}: watchdog saw errors {}, fallbacks {}, p99 {} ms over {} requests; \
         404 {} ({}), 4xx {} ({}) over {} answers",
        pct(h.error_rate),
        pct(h.fallback_rate),
        h.p99_ms,
        h.requests,
        pct(h.not_found_rate),
        legacy(|b| b.not_found_rate),
        pct(h.client_error_rate),
        legacy(|b| b.client_error_rate),
        h.answered,
    );
    if let Some(shadow) = &h.shadow {
        let _ = write!(
            line,
            "; candidate missing the record in {} of {} shadow samples",
            pct(shadow.candidate_missing_rate),
            shadow.samples
        );
    }
    line
}

/// `strangler check`.
pub fn check(settings: &Settings) -> anyhow::Result<()> {
    let table = RouteTable::build(settings, &settings.registry(), &*Stats::new()?)?;
    let rows: Vec<Vec<String>> = table
        .routes()
        .iter()
        .map(|r| {
            vec![
                r.name.clone(),
                r.methods.names().join(","),
                r.new.as_ref().map_or("-".into(), ToString::to_string),
                r.translator
                    .as_ref()
                    .map_or("-".into(), |t| t.group().to_owned()),
                r.patterns.join(" "),
            ]
        })
        .collect();
    print!(
        "{}",
        self::table(
            &["ROUTE", "METHODS", "NEW UPSTREAM", "TRANSLATOR", "PATTERNS"],
            &rows
        )
    );
    println!(
        "ok: {} routes; everything else goes to {}",
        table.routes().len(),
        table.legacy()
    );
    Ok(())
}

/// `strangler flags …` on the local file.
pub fn flags(path: &Path, action: FlagsAction) -> anyhow::Result<()> {
    let changed = match action {
        FlagsAction::List => {
            let rows: Vec<Vec<String>> = file::list(path)?
                .into_iter()
                .map(|f| {
                    vec![
                        f.name,
                        if f.enabled { "on" } else { "off" }.into(),
                        f.strategies.join("; "),
                    ]
                })
                .collect();
            print!("{}", table(&["FLAG", "STATE", "STRATEGIES"], &rows));
            return Ok(());
        }
        FlagsAction::Create { flag, rollout } => {
            file::create(path, &flag, rollout.map(Percent::new).transpose()?)?
        }
        FlagsAction::Enable { flag } => file::enable(path, &flag)?,
        FlagsAction::Disable { flag } => file::disable(path, &flag)?,
        FlagsAction::Rollout { flag, percent } => {
            file::rollout(path, &flag, Percent::new(percent)?)?
        }
    };
    println!(
        "{}: {} ({})",
        changed.name,
        if changed.enabled { "on" } else { "off" },
        changed.strategies.join("; ")
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn verify_runs_show_counts_age_and_first_differences() {
        let run: StoredVerifyRun = serde_json::from_value(json!({
            "id": 3, "context": "payments", "started_at": "2026-12-07T01:00:00Z",
            "finished_at": "2026-12-07T01:02:00Z", "legacy_records": 1200,
            "new_records": 1199, "matching_records": 1197, "missing_in_new": 1,
            "missing_in_legacy": 0, "differing_records": 2, "truncated": true,
            "differences": [{"entity": "payment", "legacy_id": 17, "field": "$.amt", "legacy": 1999, "new": 1899}],
            "passed": false, "recorded_at": "2026-12-07T01:02:01Z"
        }))
        .unwrap();
        let now = "2026-12-07T03:12:00Z".parse().unwrap();
        let expected = "\
DATA CONTEXT  VERIFY  LEGACY  NEW   MISSING IN NEW  MISSING IN LEGACY  DIFFERING  FINISHED
payments      FAILED  1200    1199  1               0                  2          2h 10m ago
  payments: payment 17 $.amt: 1999 → 1899
  payments: … and more (GET /admin/verify-runs?context=payments)
";
        assert_eq!(verify_table(&[run], now), expected);
    }

    #[test]
    fn a_handover_shows_its_direction_and_what_it_waits_for() {
        let handover: Handover = serde_json::from_value(json!({
            "data": "payments", "to_new": false, "to_legacy": true,
            "since": "2026-12-07T10:04:05Z", "held_writes": 12,
            "pending": "1 change(s) in the service's outbox not yet delivered (new → legacy)"
        }))
        .unwrap();
        assert_eq!(
            handover_line(&handover),
            "payments: HANDOVER to legacy (old owner: the service) since 10:04:05 UTC: writes held \
             (12 so far); pending: 1 change(s) in the service's outbox not yet delivered (new → legacy)"
        );
    }

    #[test]
    fn the_watchdog_line_shows_the_rates_against_the_baseline() {
        let health: Health = serde_json::from_value(json!({
            "requests": 40, "error_rate": 0.0, "fallback_rate": 0.025, "p99_ms": 12,
            "answered": 39, "not_found_rate": 0.5, "client_error_rate": 0.5,
            "baseline": {"requests": 25, "not_found_rate": 0.2, "client_error_rate": 0.2},
            "shadow": {"samples": 30, "candidate_missing_rate": 0.1}
        }))
        .unwrap();
        assert_eq!(
            watchdog_line("orders", &health),
            "orders: watchdog saw errors 0.0 %, fallbacks 2.5 %, p99 12 ms over 40 requests; \
             404 50.0 % (legacy 20.0 %), 4xx 50.0 % (legacy 20.0 %) over 39 answers; \
             candidate missing the record in 10.0 % of 30 shadow samples"
        );
        let alone = Health {
            baseline: None,
            shadow: None,
            ..health
        };
        assert!(
            watchdog_line("orders", &alone)
                .ends_with("404 50.0 % (no baseline), 4xx 50.0 % (no baseline) over 39 answers"),
            "{}",
            watchdog_line("orders", &alone)
        );
    }
}
