//! What the CLI prints: plain aligned tables.

use super::FlagsAction;
use crate::admin::views::{RouteView, StatusView};
use crate::flags::file::{self, Percent};
use crate::resilience::GuardSnapshot;
use crate::routes::RouteTable;
use crate::settings::Settings;
use crate::stats::Stats;
use std::fmt::Write;
use std::path::Path;

/// Aligns rows of cells into columns.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        let _ = writeln!(out, "{}", padded.join("  ").trim_end());
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
    out
}

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

/// `strangler status` output.
pub fn status(s: &StatusView) -> String {
    let mut out = routes_table(&s.routes);
    if !s.backends.is_empty() {
        out.push('\n');
        out.push_str(&backends_table(&s.backends));
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
