//! The shadow results store on both backends: results round-trip with their
//! differences, reports compute the documented rates from planted data, windows
//! and route filters select what they should, retention prunes by count and by
//! age, and bad input is refused clearly.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration as Age, Utc};
use platform::testing::TestBackend;
use serde_json::json;
use std::time::Duration;
use strangler_proxy::shadow::store::{
    DiffKind, GateStats, NewDifference, NewResult, ResultClasses, ShadowStore, StoreError, Verdict,
    Window, spawn_pruner,
};

mod support;

use shadow_results::*;
use support::shadow_results;

const HOUR: Duration = Duration::from_secs(3_600);
const DAY: Duration = Duration::from_secs(86_400);

async fn record_and_read_back(backend: TestBackend) {
    let (_db, store) = open(backend);
    let mut new = result(
        "payments",
        Verdict::Mismatch,
        vec![
            diff("$.items[0].amt", "$.items[*].amt", DiffKind::Mismatch),
            NewDifference {
                primary: None,
                ..diff("$.ts", "$.ts", DiffKind::Ignored)
            },
        ],
    );
    new.method = "POST".into();
    new.candidate_status = Some(502);
    new.request.body = Some(json!({"amt": 1250, "card": "[redacted]"}));
    let id = put(&store, new.clone()).await;

    let stored = store.example(id).await.unwrap().expect("stored result");
    assert_eq!(stored.request, new.request);
    assert!((Utc::now() - stored.created_at).num_seconds().abs() < 60);
    let mut view = serde_json::to_value(&stored).unwrap();
    view.as_object_mut().unwrap().remove("created_at");
    view.as_object_mut().unwrap().remove("request");
    let expected = json!({
        "id": id, "route": "payments", "method": "POST",
        "path_template": "/api/v1/payments/{id}", "path": "/api/v1/payments/7",
        "correlation_id": "corr-1", "verdict": "mismatch",
        "primary": {"status": 200, "latency_ms": 12},
        "candidate": {"status": 502, "latency_ms": 30},
        "differences": [
            {"path": "$.items[0].amt", "pattern": "$.items[*].amt", "kind": "mismatch",
             "primary": 1250, "candidate": "12.50"},
            {"path": "$.ts", "pattern": "$.ts", "kind": "ignored",
             "primary": null, "candidate": "12.50"},
        ],
    });
    assert_eq!(view, expected);
    assert_eq!(store.example(id + 1000).await.unwrap(), None);
}

async fn invalid_results_are_refused_without_a_write(backend: TestBackend) {
    let (_db, store) = open(backend);
    let mut noise_with_mismatch = mismatch_on("payments", "$.amt");
    noise_with_mismatch.verdict = Verdict::Noise;
    let mut bad_status = matched("payments");
    bad_status.primary_status = 42;
    let ignored = vec![diff("$.ts", "$.ts", DiffKind::Ignored)];
    let mut failed_with_diffs = mismatch_on("payments", "$.amt");
    failed_with_diffs.verdict = Verdict::CandidateError;
    let cases = [
        (
            result("payments", Verdict::Mismatch, vec![]),
            "which make it `match`",
        ),
        (noise_with_mismatch, "which make it `mismatch`"),
        (
            result("payments", Verdict::Match, ignored),
            "which make it `ignored`",
        ),
        (failed_with_diffs, "cannot carry differences"),
        (matched(""), "route must not be empty"),
        (bad_status, "statuses"),
    ];
    for (bad, expected) in cases {
        match store.record(bad).await {
            Err(StoreError::Invalid(detail)) => assert!(detail.contains(expected), "{detail}"),
            other => panic!("expected Invalid({expected}), got {other:?}"),
        }
    }
    assert!(store.report(None, DAY).await.unwrap().routes.is_empty());
}

/// payments: 95 matches, 5 mismatches on `$.amt`. orders: one mismatch with
/// two differences on `$.items[*].qty`, 2 ignored, 1 noise, 1 candidate error,
/// 1 skipped. Returns the mismatch ids of payments and of orders.
async fn plant(store: &ShadowStore) -> (Vec<i64>, i64) {
    let mut payments = Vec::new();
    for i in 0..100 {
        if i % 20 == 7 {
            payments.push(put(store, mismatch_on("payments", "$.amt")).await);
        } else {
            put(store, matched("payments")).await;
        }
    }
    let items = vec![
        diff("$.items[0].qty", "$.items[*].qty", DiffKind::Mismatch),
        diff("$.items[1].qty", "$.items[*].qty", DiffKind::Mismatch),
    ];
    let orders = put(store, result("orders", Verdict::Mismatch, items)).await;
    for _ in 0..2 {
        let ts = vec![diff("$.ts", "$.ts", DiffKind::Ignored)];
        put(store, result("orders", Verdict::Ignored, ts)).await;
    }
    let etag = vec![diff("$.etag", "$.etag", DiffKind::Noise)];
    put(store, result("orders", Verdict::Noise, etag)).await;
    let mut failed = result("orders", Verdict::CandidateError, vec![]);
    failed.candidate_status = None;
    put(store, failed).await;
    put(store, result("orders", Verdict::SkippedUnsafe, vec![])).await;
    (payments, orders)
}

async fn report_rates_from_planted_data(backend: TestBackend) {
    let (_db, store) = open(backend);
    let (payment_mismatches, order_mismatch) = plant(&store).await;

    let report = store.report(None, HOUR).await.unwrap();
    let names: Vec<_> = report.routes.iter().map(|r| r.route.as_str()).collect();
    assert_eq!(names, ["orders", "payments"]);

    let payments = &report.routes[1];
    assert_eq!(payments.samples, 100);
    assert_eq!(
        (payments.verdicts.matched, payments.verdicts.mismatch),
        (95, 5)
    );
    assert_eq!(payments.match_rate, Some(0.95));
    assert_eq!(payments.fields.len(), 1);
    let amt = &payments.fields[0];
    assert_eq!((amt.pattern.as_str(), amt.mismatches), ("$.amt", 5));
    assert_eq!(amt.mismatch_rate, Some(0.05));

    let orders = &report.routes[0];
    assert_eq!(orders.samples, 5, "skips are not samples");
    assert_eq!(orders.verdicts.skipped_unsafe, 1);
    assert_eq!(orders.exact_match_rate, Some(0.0));
    assert_eq!(
        orders.match_rate,
        Some(0.6),
        "ignored 2 + noise 1 of 5 count as matches"
    );
    let field = |p: &str| orders.fields.iter().find(|f| f.pattern == p).unwrap();
    assert_eq!(
        field("$.items[*].qty").mismatches,
        1,
        "results, not differences"
    );
    assert_eq!((field("$.ts").ignored, field("$.ts").mismatches), (2, 0));
    assert_eq!(field("$.etag").noise, 1);
    assert_eq!(
        orders.fields[0].pattern, "$.items[*].qty",
        "most mismatches first"
    );

    let top = &report.top_mismatches;
    assert_eq!(top.len(), 2);
    let first = (top[0].route.as_str(), top[0].pattern.as_str(), top[0].count);
    assert_eq!(first, ("payments", "$.amt", 5));
    let newest: Vec<i64> = payment_mismatches.iter().rev().take(3).copied().collect();
    assert_eq!(top[0].examples, newest);
    assert_eq!(top[1].examples, [order_mismatch]);
}

async fn gate_stats_and_route_filters(backend: TestBackend) {
    let (_db, store) = open(backend);
    plant(&store).await;
    let gate = store.gate_stats("orders", HOUR).await.unwrap();
    let expected = ResultClasses {
        matched: 0,
        field_differs: 1,
        ignored: 2,
        noise: 1,
        candidate_error: 1,
        ..ResultClasses::default()
    };
    assert_eq!((gate.samples, gate.matches, gate.classes), (5, 3, expected));
    let gate = store.gate_stats("payments", HOUR).await.unwrap();
    let differs = gate.classes.field_differs;
    assert_eq!((gate.samples, gate.matches, differs), (100, 95, 5));

    // A route filter, and a route that does not exist: an empty report.
    let only = store.report(Some("orders"), HOUR).await.unwrap();
    assert_eq!(only.routes.len(), 1);
    assert_eq!(only.routes[0].route, "orders");
    assert!(only.top_mismatches.iter().all(|g| g.route == "orders"));
    let none = store.report(Some("nope"), HOUR).await.unwrap();
    assert!(none.routes.is_empty() && none.top_mismatches.is_empty());
    assert_eq!(
        store.gate_stats("nope", HOUR).await.unwrap(),
        GateStats::default()
    );
}

async fn window_selects_recent_results(backend: TestBackend) {
    let (_db, store) = open(backend);
    let now = Utc::now();
    put_at(
        &store,
        mismatch_on("payments", "$.old"),
        now - Age::hours(2),
    )
    .await;
    put_at(&store, matched("payments"), now - Age::minutes(10)).await;

    let recent = store.report(None, HOUR).await.unwrap();
    assert_eq!(recent.routes[0].samples, 1);
    assert_eq!(recent.routes[0].match_rate, Some(1.0));
    assert!(recent.routes[0].fields.is_empty() && recent.top_mismatches.is_empty());
    assert_eq!(recent.until - recent.from, Age::hours(1));
    assert!(recent.until >= now);

    let wider = store.report(None, 3 * HOUR).await.unwrap();
    assert_eq!(wider.routes[0].samples, 2);
    assert_eq!(wider.top_mismatches[0].pattern, "$.old");
    assert_eq!(store.gate_stats("payments", HOUR).await.unwrap().samples, 1);
    let minute = store.report(None, Duration::from_secs(60)).await.unwrap();
    assert!(minute.routes.is_empty());
}

async fn retention_by_count_keeps_the_newest(backend: TestBackend) {
    let (_db, store) = open(backend);
    let base = Utc::now() - Age::minutes(30);
    let mut ids = Vec::new();
    for i in 0..10 {
        // Pairs share a timestamp, so ties are broken by id.
        let at = base + Age::minutes(i / 2);
        ids.push(put_at(&store, mismatch_on("payments", "$.amt"), at).await);
    }
    assert_eq!(store.prune(5, DAY).await.unwrap(), 5);
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(
            store.example(*id).await.unwrap().is_some(),
            i >= 5,
            "result {i}"
        );
    }
    assert_eq!(
        difference_rows(&store).await,
        5,
        "differences go with their results"
    );
    assert_eq!(store.prune(5, DAY).await.unwrap(), 0);
    assert_eq!(store.prune(0, DAY).await.unwrap(), 5);
    assert_eq!(difference_rows(&store).await, 0);
}

async fn retention_by_age_and_in_the_background(backend: TestBackend) {
    let (_db, store) = open(backend);
    let now = Utc::now();
    let old = put_at(&store, mismatch_on("payments", "$.amt"), now - Age::days(3)).await;
    let day_old = put_at(&store, matched("payments"), now - Age::hours(25)).await;
    let fresh = put_at(&store, matched("payments"), now - Age::hours(2)).await;

    assert_eq!(store.prune(1_000, 2 * DAY).await.unwrap(), 1);
    assert_eq!(store.example(old).await.unwrap(), None);
    assert_eq!(difference_rows(&store).await, 0);

    // The background task prunes at once, then every interval.
    let pruner = spawn_pruner(store.clone(), HOUR, 1_000, DAY);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while store.example(day_old).await.unwrap().is_some() {
        assert!(std::time::Instant::now() < deadline, "the pruner never ran");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    pruner.abort();
    assert!(store.example(fresh).await.unwrap().is_some());
}

/// The fields of a record the candidate does not have.
fn candidate_missing(route: &str) -> NewResult {
    let mut missing = result(
        route,
        Verdict::Mismatch,
        ["status", "$.id", "$.amt", "$.cur", "$.st"]
            .into_iter()
            .map(|p| diff(p, p, DiffKind::Mismatch))
            .collect(),
    );
    missing.candidate_status = Some(404);
    missing
}

async fn classes_count_each_sample_once(backend: TestBackend) {
    let (_db, store) = open(backend);
    for _ in 0..6 {
        put(&store, matched("payments")).await;
    }
    for _ in 0..3 {
        let upd = vec![diff("$.upd", "$.upd", DiffKind::Ignored)];
        put(&store, result("payments", Verdict::Ignored, upd)).await;
    }
    put(&store, candidate_missing("payments")).await;
    put(&store, candidate_missing("payments")).await;
    let mut gone = result(
        "payments",
        Verdict::Mismatch,
        vec![diff("status", "status", DiffKind::Mismatch)],
    );
    gone.candidate_status = Some(500);
    put(&store, gone).await;
    put(&store, mismatch_on("payments", "$.amt")).await;
    put(&store, result("payments", Verdict::SkippedTooLarge, vec![])).await;

    let report = store.report(Some("payments"), HOUR).await.unwrap();
    let route = &report.routes[0];
    let expected = ResultClasses {
        matched: 6,
        ignored: 3,
        candidate_missing: 2,
        status_differs: 1,
        field_differs: 1,
        ..ResultClasses::default()
    };
    assert_eq!(route.classes, expected);
    assert_eq!(route.classes.total(), route.samples, "the classes add up");
    assert_eq!(route.samples, 13, "the skip is not a sample");
    assert_eq!(
        route.match_rate,
        Some(9.0 / 13.0),
        "`ignore` counts as a match"
    );
    assert_eq!(route.exact_match_rate, Some(6.0 / 13.0));
    let patterns: Vec<(&str, u64)> = route
        .fields
        .iter()
        .map(|f| (f.pattern.as_str(), f.mismatches))
        .collect();
    assert_eq!(
        patterns,
        [("$.amt", 1), ("status", 1), ("$.upd", 0)],
        "a missing record is its class, not a mismatch on every field"
    );
    assert!(report.top_mismatches.iter().all(|g| g.pattern != "$.cur"));
    let gate = store.gate_stats("payments", HOUR).await.unwrap();
    assert_eq!((gate.samples, gate.matches), (13, 9));
    assert_eq!(gate.classes, expected);
}

platform::both_backends!(
    classes_count_each_sample_once,
    record_and_read_back,
    invalid_results_are_refused_without_a_write,
    report_rates_from_planted_data,
    gate_stats_and_route_filters,
    window_selects_recent_results,
    retention_by_count_keeps_the_newest,
    retention_by_age_and_in_the_background,
);

#[test]
fn since_parser_explains_bad_windows() {
    assert_eq!(
        Window::parse("30s").unwrap().duration(),
        Duration::from_secs(30)
    );
    assert_eq!(
        Window::parse("15m").unwrap().duration(),
        Duration::from_secs(900)
    );
    assert_eq!("1h".parse::<Window>().unwrap().duration(), HOUR);
    assert_eq!(Window::parse("7d").unwrap().duration(), 7 * DAY);
    for (bad, reason) in [
        ("", "unit is missing"),
        ("10", "unit is missing"),
        ("h", "start with a number"),
        ("-1h", "start with a number"),
        ("1.5h", "unit must be"),
        ("1w", "unit must be"),
        ("1 h", "unit must be"),
        ("0s", "longer than zero"),
        ("367d", "at most 366d"),
        ("99999999999999999999d", "too large"),
    ] {
        let message = Window::parse(bad).unwrap_err().to_string();
        assert!(message.contains(reason), "{bad:?}: {message}");
        assert!(message.contains(&format!("`{bad}`")), "{message}");
        assert!(message.contains("30s, 15m, 1h or 7d"), "{message}");
    }
    let problem = platform::problem::Problem::from(Window::parse("soon").unwrap_err());
    assert_eq!(problem.status().as_u16(), 400);
    assert!(problem.detail().contains("`soon`"));
}
