//! The dashboard's pages as HTML, escaped by `maud`: what a person sees.

use crate::admin::views::RouteView;
use crate::gate::Verdict as Gate;
use crate::handover::Handover;
use crate::shadow::mirror::tally::ShadowTraffic;
use crate::shadow::store::{
    Epoch, MismatchGroup, ResultClasses, RouteReport, StoredDecision, StoredResult, StoredVerifyRun,
};
use crate::sync_lag::{Direction, Measured, SyncReading};
use crate::watchdog::Health;
use maud::{DOCTYPE, Markup, PreEscaped, html};

const STYLE: &str = include_str!("style.css");

fn page(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · strangler" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header { h1 { "strangler" } a href="/dashboard" { "routes" } span.muted { (title) } }
                main { (body) }
            }
        }
    }
}

fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "no samples".into(), |r| format!("{:.1} %", r * 100.0))
}

/// A horizontal bar for a rate in 0..=1, coloured by how close it is to 1.
fn bar(rate: Option<f64>) -> Markup {
    let r = rate.unwrap_or(0.0).clamp(0.0, 1.0);
    let class = if rate.is_none() || r < 0.95 {
        "bar low"
    } else if r < 0.999 {
        "bar mid"
    } else {
        "bar"
    };
    html! {
        span class=(class) role="img" aria-label=(percent(rate)) { span style=(format!("width: {:.1}%", r * 100.0)) {} }
        span.num { (percent(rate)) }
    }
}

/// The share of shadowed requests actually compared since the proxy
/// started, with what became of the rest: `12.5 % of 800 shadowed`.
fn compared_cell(t: &ShadowTraffic) -> Markup {
    html! {
        @match t.compared_share {
            Some(share) => { span.num { (format!("{:.1} %", share * 100.0)) } " of " (t.shadowed) " shadowed" }
            None => { span.muted { "nothing shadowed" } }
        }
        div.muted { (t.copies) " copies · " (t.compared) " compared · " (t.dropped) " dropped · " (t.skipped) " skipped" }
    }
}

fn gate_cell(gate: &Gate) -> Markup {
    html! {
        @if gate.open { span.gate.open { "open" } } @else { span.gate.closed { "closed" } }
        @if let Some(why) = &gate.why { div.muted { (why) } }
    }
}

fn mode(name: &str) -> Markup {
    html! { span class=(format!("mode {name}")) { (name) } }
}

/// One route's line of the overview.
pub struct RouteLine {
    /// Route, mode, counters.
    pub view: RouteView,
    /// Its shadow report, if it has results in the window.
    pub report: Option<RouteReport>,
    /// The gate now.
    pub gate: Gate,
}

fn mode_name(view: &RouteView) -> String {
    serde_json::to_value(view.mode)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A route's data context as synced: both directions' last readings, and
/// its handover if one runs.
#[derive(Debug, Default)]
pub struct SyncCard {
    /// The last reading of each direction.
    pub readings: Vec<SyncReading>,
    /// The handover in progress.
    pub handover: Option<Handover>,
}

/// Both sync directions of a route's data context, as last read, and its
/// handover.
fn sync_card(context: &str, card: &SyncCard) -> Markup {
    let readings = &card.readings;
    html! {
        @if let Some(h) = &card.handover {
            div.card.note.handover {
                strong { "Handover " (h.direction()) } " since " (h.since.format("%H:%M:%S UTC"))
                ": writes to this data context are answered 503 until the old owner's last changes are delivered ("
                (h.held_writes) " held so far). Pending: " (h.pending)
            }
        }
        h2 { "Sync lag" span.muted { " — data context " code { (context) } ", each side's " code { "GET /sync/status" } } }
        div.card { table {
            thead { tr { th { "Direction" } th { "Lag" } th { "Read from" } th { "Read at" } } }
            tbody {
                @for direction in Direction::BOTH {
                    @let reading = readings.iter().find(|r| r.direction == direction);
                    tr class=(format!("sync {}", direction.as_str())) {
                        td { (direction.arrow()) }
                        @match reading {
                            Some(r) => {
                                td { @match &r.measured { Measured::Unknown { .. } => { span.gate.closed { (r.lag_text()) } } _ => { span.num { (r.lag_text()) } } } }
                                td { code { (r.upstream) } }
                                td.muted { (r.read_at.format("%Y-%m-%d %H:%M:%S UTC")) }
                            }
                            None => { td colspan="3" .empty { "not read yet" } }
                        }
                    }
                }
            }
        } }
    }
}

/// What the watchdog saw of a route in `canary` or `new` at its last look:
/// the new side's figures beside the monolith's baseline, as it judges them.
fn watchdog_card(h: &Health) -> Markup {
    let pct = crate::watchdog::pct;
    let base = |rate: fn(&crate::watchdog::Baseline) -> f64| {
        h.baseline
            .as_ref()
            .map_or_else(|| "no baseline".into(), |b| pct(rate(b)))
    };
    let mut rows = vec![
        (
            "Requests",
            h.requests.to_string(),
            h.baseline
                .map_or_else(|| "—".into(), |b| b.requests.to_string()),
        ),
        ("Errors", pct(h.error_rate), "—".into()),
        (
            "Fallbacks to the monolith",
            pct(h.fallback_rate),
            "—".into(),
        ),
        ("p99 latency", format!("{} ms", h.p99_ms), "—".into()),
        (
            "404 answers",
            pct(h.not_found_rate),
            base(|b| b.not_found_rate),
        ),
        (
            "4xx answers",
            pct(h.client_error_rate),
            base(|b| b.client_error_rate),
        ),
    ];
    if let Some(shadow) = &h.shadow {
        rows.push((
            "Shadow samples whose candidate lacked the record",
            format!(
                "{} of {}",
                pct(shadow.candidate_missing_rate),
                shadow.samples
            ),
            "—".into(),
        ));
    }
    html! {
        h2 { "New side" span.muted { " — the watchdog's last look, over its window" } }
        div.card { table.watchdog {
            thead { tr { th { "" } th { "New side" } th { "Monolith (baseline)" } } }
            tbody {
                @for (name, new, legacy) in rows {
                    tr { td { (name) } td.num { (new) } td.num { (legacy) } }
                }
            }
        } }
    }
}

/// How many differences of each context the overview lists.
const VERIFY_DIFFERENCES_SHOWN: usize = 5;

/// The last verify run of each data context, with its first differences.
fn verify_card(runs: &[StoredVerifyRun]) -> Markup {
    let now = chrono::Utc::now();
    html! {
        h2 { "Data verification" span.muted { " — the last " code { "strangler verify" } " of each data context" } }
        div.card { table {
            thead { tr { th { "Context" } th { "Verify" } th { "Legacy" } th { "New" } th { "Missing in new" } th { "Missing in legacy" } th { "Differing" } th { "Finished" } th { "First differences" } } }
            tbody {
                @for r in runs {
                    tr {
                        td { (r.run.context) }
                        td { @if r.passed { span.gate.open { "passed" } } @else { span.gate.closed { "failed" } } }
                        td.num { (r.run.legacy_records) }
                        td.num { (r.run.new_records) }
                        td.num { (r.run.missing_in_new) }
                        td.num { (r.run.missing_in_legacy) }
                        td.num { (r.run.differing_records) }
                        td.muted { (r.age_text(now)) " ago" }
                        td { @for d in r.run.differences.iter().take(VERIFY_DIFFERENCES_SHOWN) { div { code { (StoredVerifyRun::describe(d)) } } }
                            @if r.run.truncated || r.run.differences.len() > VERIFY_DIFFERENCES_SHOWN { div.muted { "… and more" } } }
                    }
                }
                @if runs.is_empty() { tr { td colspan="9" .empty { "No verify runs yet: run " code { "strangler verify <context>" } " after a backfill." } } }
            }
        } }
    }
}

/// `/dashboard`: every route with its mode, shadow match rate and gate, then
/// the last verify run of each data context.
pub fn overview(lines: &[RouteLine], window: &str, verify: &[StoredVerifyRun]) -> Markup {
    page(
        "routes",
        html! {
            h2 { "Routes" span.muted { " — shadow match rate over the last " (window) } }
            div.card { table {
                thead { tr { th { "Route" } th { "Mode" } th { "Shadow match rate" } th { "Samples" } th { "Compared" } th { "Promotion gate" } th { "Requests" } } }
                tbody {
                    @for line in lines {
                        tr {
                            td { a href=(format!("/dashboard/routes/{}", line.view.name)) { (line.view.name) } }
                            td { (mode(&mode_name(&line.view))) }
                            td { (bar(line.report.as_ref().and_then(|r| r.match_rate)))
                                @if let Some(r) = &line.report { div.muted { (classes_line(&r.classes)) } } }
                            td.num { (line.report.as_ref().map_or(0, |r| r.samples)) }
                            td { (compared_cell(&line.view.shadow)) }
                            td { (gate_cell(&line.gate)) }
                            td.num { (line.view.counters.requests) }
                        }
                    }
                    @if lines.is_empty() { tr { td colspan="7" .empty { "No routes: everything goes to the monolith." } } }
                }
            } }
            (verify_card(verify))
        },
    )
}

/// The classes with samples, in a line: `90 match · 5 ignored · 2 candidate missing`.
fn classes_line(c: &ResultClasses) -> String {
    [
        (c.matched, "match"),
        (c.ignored, "ignored"),
        (c.noise, "noise"),
        (c.candidate_missing, "candidate missing"),
        (c.status_differs, "status differs"),
        (c.field_differs, "field differs"),
        (c.candidate_error, "candidate error"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, name)| format!("{n} {name}"))
    .collect::<Vec<_>>()
    .join(" · ")
}

/// The samples by class, those that count as matches first.
fn classes_card(c: ResultClasses) -> Markup {
    let rows = [
        ("Match", c.matched, true),
        ("Ignored as configured", c.ignored, true),
        ("Learned noise", c.noise, true),
        ("Candidate missing the record", c.candidate_missing, false),
        ("Status differs", c.status_differs, false),
        ("Field differs", c.field_differs, false),
        ("Candidate error", c.candidate_error, false),
    ];
    html! {
        div.card { table.classes {
            thead { tr { th { "Class" } th { "Results" } th { "Counts as a match" } } }
            tbody {
                @for (name, n, matching) in rows {
                    tr { td { (name) } td.num { (n) } td { @if matching { "yes" } @else { "no" } } }
                }
                tr { th { "Samples" } th.num { (c.total()) } th {} }
            }
        } }
    }
}

/// `/dashboard/routes/{name}`: its current epoch, the watchdog's last look
/// (in `canary` or `new`), the sync lag, results by class, field breakdown,
/// mismatch groups, decisions.
pub fn route(
    view: &RouteView,
    report: Option<&RouteReport>,
    groups: &[MismatchGroup],
    gate: &Gate,
    decisions: &[StoredDecision],
    epoch: Option<&Epoch>,
    sync: &SyncCard,
) -> Markup {
    page(
        &view.name,
        html! {
            h2 { (view.name) " " (mode(&mode_name(view))) }
            @if view.mode == crate::proxy::decide::Mode::Retired {
                div.card.note { "Retired: the new side serves every request; the monolith is no longer a target (no flag asked, no shadow, no fallback)." }
            }
            p { "Shadow match rate " (bar(report.and_then(|r| r.match_rate))) " over " (report.map_or(0, |r| r.samples)) " samples. Gate: " (gate_cell(gate)) }
            div.card.note { "Shadowed traffic compared since the proxy started: " (compared_cell(&view.shadow)) }
            @if let Some(e) = epoch {
                p.muted { "Counting since " (e.started_at.format("%Y-%m-%d %H:%M:%S UTC")) " — epoch started by " (e.by) ": " (e.reason) }
            }
            @if let Some(health) = &view.watchdog { (watchdog_card(health)) }
            @if let Some(context) = &view.data { (sync_card(context, sync)) }
            h2 { "Results by class" }
            (classes_card(report.map(|r| r.classes).unwrap_or_default()))
            h2 { "Fields" span.muted { " — results whose candidate lacks the record are counted above, not here" } }
            div.card { table {
                thead { tr { th { "Field" } th { "Mismatches" } th { "Mismatch rate" } th { "Ignored" } th { "Noise" } } }
                tbody {
                    @for f in report.map(|r| r.fields.as_slice()).unwrap_or_default() {
                        tr { td { code { (f.pattern) } } td.num { (f.mismatches) } td.num { (percent(f.mismatch_rate)) } td.num { (f.ignored) } td.num { (f.noise) } }
                    }
                    @if report.is_none_or(|r| r.fields.is_empty()) { tr { td colspan="5" .empty { "No differences in the window." } } }
                }
            } }
            h2 { "Mismatch groups" }
            div.card { table {
                thead { tr { th { "Field" } th { "Results" } th { "Examples" } } }
                tbody {
                    @for g in groups {
                        tr { td { code { (g.pattern) } } td.num { (g.count) }
                            td { @for id in &g.examples { a href=(format!("/dashboard/results/{id}")) { "#" (id) } " " } } }
                    }
                    @if groups.is_empty() { tr { td colspan="3" .empty { "No mismatches." } } }
                }
            } }
            h2 { "Decisions" }
            div.card { table {
                thead { tr { th { "When" } th { "Action" } th { "From → to" } th { "Outcome" } th { "Why" } } }
                tbody {
                    @for d in decisions {
                        tr { td.muted { (d.at.format("%Y-%m-%d %H:%M:%S UTC")) } td { (d.decision.action) }
                            td { (d.decision.from_mode) " → " (d.decision.to_mode) } td { (d.decision.outcome) } td { (d.decision.reason) } }
                    }
                    @if decisions.is_empty() { tr { td colspan="5" .empty { "No promotions or rollbacks yet." } } }
                }
            } }
        },
    )
}

fn json(value: &Option<serde_json::Value>) -> String {
    match value {
        Some(v) => serde_json::to_string_pretty(v).unwrap_or_default(),
        None => "(absent)".into(),
    }
}

/// `/dashboard/results/{id}`: one shadowed request, the two answers side by side.
pub fn result(r: &StoredResult) -> Markup {
    let status = |s: Option<u16>| s.map_or_else(|| "no answer".into(), |s| s.to_string());
    page(
        &format!("result #{}", r.id),
        html! {
            h2 { "Result #" (r.id) " — " (r.verdict.as_str()) }
            p.muted { (r.method) " " code { (r.path) } " · route " a href=(format!("/dashboard/routes/{}", r.route)) { (r.route) }
                " · correlation id " code { (r.correlation_id) } " · " (r.created_at.format("%Y-%m-%d %H:%M:%S UTC")) }
            h2 { "Request (redacted)" }
            div.card { pre { (serde_json::to_string_pretty(&r.request).unwrap_or_default()) } }
            h2 { "Differences" }
            div.sides {
                div.card.side.primary { h3 { "Monolith (primary) — status " (status(r.primary.status)) }
                    @for d in &r.differences { pre { code { (d.path) } "\n" (json(&d.primary)) } } }
                div.card.side.candidate { h3 { "New service (candidate) — status " (status(r.candidate.status)) }
                    @for d in &r.differences { pre { code { (d.path) } "\n" (json(&d.candidate)) } } }
            }
            @if r.differences.is_empty() { p.muted { "No differences." } }
        },
    )
}

/// The login form.
pub fn login(failed: bool) -> Markup {
    page(
        "sign in",
        html! {
            form.login method="post" action="/dashboard/login" {
                h2 { "Admin token" }
                @if failed { p.gate.closed { "That is not the admin token." } }
                input type="password" name="token" autocomplete="current-password" aria-label="admin token";
                button type="submit" { "Sign in" }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn health(with_baseline: bool) -> Health {
        let mut h = json!({
            "requests": 40, "error_rate": 0.05, "fallback_rate": 0.025, "p99_ms": 12,
            "answered": 39, "not_found_rate": 0.5, "client_error_rate": 0.5,
            "shadow": {"samples": 30, "candidate_missing_rate": 0.1}
        });
        if with_baseline {
            h["baseline"] =
                json!({"requests": 25, "not_found_rate": 0.2, "client_error_rate": 0.25});
        }
        serde_json::from_value(h).unwrap()
    }

    #[test]
    fn the_watchdog_card_shows_the_new_side_beside_the_baseline() {
        let page = watchdog_card(&health(true)).into_string();
        for cell in [
            "<td>Requests</td><td class=\"num\">40</td><td class=\"num\">25</td>",
            "<td>Errors</td><td class=\"num\">5.0 %</td>",
            "<td>Fallbacks to the monolith</td><td class=\"num\">2.5 %</td>",
            "<td>p99 latency</td><td class=\"num\">12 ms</td>",
            "<td>404 answers</td><td class=\"num\">50.0 %</td><td class=\"num\">20.0 %</td>",
            "<td>4xx answers</td><td class=\"num\">50.0 %</td><td class=\"num\">25.0 %</td>",
            "<td class=\"num\">10.0 % of 30</td>",
        ] {
            assert!(page.contains(cell), "{cell} not in {page}");
        }
        let alone = watchdog_card(&health(false)).into_string();
        assert!(
            alone.contains("<td>404 answers</td><td class=\"num\">50.0 %</td><td class=\"num\">no baseline</td>"),
            "{alone}"
        );
    }
}
