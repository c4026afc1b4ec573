//! The shadow results store on both backends: results round-trip with their
//! differences, reports compute the documented rates from planted data, windows
//! and route filters select what they should, retention prunes by count and by
//! age, and bad input is refused clearly.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration as Age, Utc};
use diesel::prelude::*;
use platform::testing::{TestBackend, TestDatabase};
use serde_json::json;
use std::time::Duration;
use strangler_proxy::shadow::store::{
    DiffKind, NewDifference, NewResult, RequestExample, ShadowStore, StoreError, Verdict, Window,
    spawn_pruner,
};

const HOUR: Duration = Duration::from_secs(3_600);
const DAY: Duration = Duration::from_secs(86_400);

fn open(backend: TestBackend) -> (TestDatabase, ShadowStore) {
    let db = TestDatabase::create(backend);
    let store = ShadowStore::connect(&db.settings).unwrap();
    (db, store)
}

fn diff(path: &str, pattern: &str, kind: DiffKind) -> NewDifference {
    NewDifference {
        path: path.into(),
        pattern: pattern.into(),
        kind,
        primary: Some(json!(1250)),
        candidate: Some(json!("12.50")),
    }
}

fn result(route: &str, verdict: Verdict, differences: Vec<NewDifference>) -> NewResult {
    NewResult {
        route: route.into(),
        method: "GET".into(),
        path_template: format!("/api/v1/{route}/{{id}}"),
        path: format!("/api/v1/{route}/7"),
        correlation_id: "corr-1".into(),
        primary_status: 200,
        candidate_status: Some(200),
        primary_latency_ms: 12,
        candidate_latency_ms: Some(30),
        verdict,
        request: RequestExample {
            method: "GET".into(),
            path: format!("/api/v1/{route}/7"),
            headers: [("accept".to_owned(), "application/json".to_owned())].into(),
            body: None,
        },
        differences,
    }
}

fn mismatch_on(route: &str, pattern: &str) -> NewResult {
    result(
        route,
        Verdict::Mismatch,
        vec![diff(pattern, pattern, DiffKind::Mismatch)],
    )
}

/// Rows left in the differences table (to see that children go with parents).
async fn difference_rows(store: &ShadowStore) -> i64 {
    store
        .db()
        .read(|conn| {
            diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
                "(SELECT COUNT(*) FROM shadow_differences)",
            ))
            .get_result::<i64>(conn)
            .map_err(platform::db::DbError::from)
        })
        .await
        .unwrap()
}

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
    let id = store.record(new.clone()).await.unwrap();

    let stored = store.example(id).await.unwrap().expect("stored result");
    assert_eq!(stored.id, id);
    assert_eq!(
        (stored.route.as_str(), stored.method.as_str()),
        ("payments", "POST")
    );
    assert_eq!(stored.path_template, "/api/v1/payments/{id}");
    assert_eq!(stored.correlation_id, "corr-1");
    assert_eq!(stored.verdict, Verdict::Mismatch);
    assert_eq!(
        (stored.primary.status, stored.primary.latency_ms),
        (Some(200), Some(12))
    );
    assert_eq!(
        (stored.candidate.status, stored.candidate.latency_ms),
        (Some(502), Some(30))
    );
    assert_eq!(stored.request, new.request);
    assert_eq!(stored.differences.len(), 2);
    let first = &stored.differences[0];
    assert_eq!(
        (first.path.as_str(), first.pattern.as_str()),
        ("$.items[0].amt", "$.items[*].amt")
    );
    assert_eq!(
        (first.primary.clone(), first.candidate.clone()),
        (Some(json!(1250)), Some(json!("12.50")))
    );
    assert_eq!(stored.differences[1].kind, DiffKind::Ignored);
    assert_eq!(stored.differences[1].primary, None);
    assert!((Utc::now() - stored.created_at).num_seconds().abs() < 60);

    // The JSON view labels each side.
    let view = serde_json::to_value(&stored).unwrap();
    assert_eq!(view["primary"]["status"], 200);
    assert_eq!(view["candidate"]["status"], 502);
    assert_eq!(view["verdict"], "mismatch");
    assert_eq!(store.example(id + 1000).await.unwrap(), None);
}

async fn invalid_results_are_refused_without_a_write(backend: TestBackend) {
    let (_db, store) = open(backend);
    let cases = [
        (
            result("payments", Verdict::Mismatch, vec![]),
            "needs at least one mismatch",
        ),
        (
            mismatch_on("payments", "$.amt").tap(|r| r.verdict = Verdict::Noise),
            "cannot carry",
        ),
        (
            result("", Verdict::Match, vec![]),
            "route must not be empty",
        ),
        (
            result("payments", Verdict::Match, vec![]).tap(|r| r.primary_status = 42),
            "statuses",
        ),
    ];
    for (bad, expected) in cases {
        match store.record(bad).await {
            Err(StoreError::Invalid(detail)) => assert!(detail.contains(expected), "{detail}"),
            other => panic!("expected Invalid({expected}), got {other:?}"),
        }
    }
    assert!(store.report(None, DAY).await.unwrap().routes.is_empty());
}

async fn report_rates_from_planted_data(backend: TestBackend) {
    let (_db, store) = open(backend);
    let mut mismatch_ids = Vec::new();
    for i in 0..100 {
        if i % 20 == 7 {
            mismatch_ids.push(
                store
                    .record(mismatch_on("payments", "$.amt"))
                    .await
                    .unwrap(),
            );
        } else {
            store
                .record(result("payments", Verdict::Match, vec![]))
                .await
                .unwrap();
        }
    }
    // One result with two differences on one pattern counts once.
    let items = vec![
        diff("$.items[0].qty", "$.items[*].qty", DiffKind::Mismatch),
        diff("$.items[1].qty", "$.items[*].qty", DiffKind::Mismatch),
    ];
    let items_id = store
        .record(result("orders", Verdict::Mismatch, items))
        .await
        .unwrap();
    let ignored = || {
        result(
            "orders",
            Verdict::Ignored,
            vec![diff("$.ts", "$.ts", DiffKind::Ignored)],
        )
    };
    store.record(ignored()).await.unwrap();
    store.record(ignored()).await.unwrap();
    let noise = vec![diff("$.etag", "$.etag", DiffKind::Noise)];
    store
        .record(result("orders", Verdict::Noise, noise))
        .await
        .unwrap();
    let mut failed = result("orders", Verdict::CandidateError, vec![]);
    failed.candidate_status = None;
    store.record(failed).await.unwrap();
    store
        .record(result("orders", Verdict::SkippedUnsafe, vec![]))
        .await
        .unwrap();

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
    assert_eq!(
        (
            payments.fields[0].pattern.as_str(),
            payments.fields[0].mismatches
        ),
        ("$.amt", 5)
    );
    assert_eq!(payments.fields[0].mismatch_rate, Some(0.05));

    let orders = &report.routes[0];
    assert_eq!(orders.samples, 5, "skips are not samples");
    assert_eq!(orders.verdicts.skipped_unsafe, 1);
    assert_eq!(orders.match_rate, Some(0.0));
    assert_eq!(orders.agreement_rate, Some(0.6), "ignored 2 + noise 1 of 5");
    let field = |p: &str| orders.fields.iter().find(|f| f.pattern == p).unwrap();
    assert_eq!(field("$.items[*].qty").mismatches, 1);
    assert_eq!((field("$.ts").ignored, field("$.ts").mismatches), (2, 0));
    assert_eq!(field("$.etag").noise, 1);
    assert_eq!(
        orders.fields[0].pattern, "$.items[*].qty",
        "most mismatches first"
    );

    let top = &report.top_mismatches;
    assert_eq!(top.len(), 2);
    assert_eq!(
        (top[0].route.as_str(), top[0].pattern.as_str(), top[0].count),
        ("payments", "$.amt", 5)
    );
    let newest: Vec<i64> = mismatch_ids.iter().rev().take(3).copied().collect();
    assert_eq!(top[0].examples, newest);
    assert_eq!(top[1].examples, [items_id]);

    let gate = store.gate_stats("orders", HOUR).await.unwrap();
    assert_eq!(
        (
            gate.samples,
            gate.matches,
            gate.mismatches,
            gate.ignored_only,
            gate.noise_only,
            gate.candidate_errors
        ),
        (5, 0, 1, 2, 1, 1)
    );
    let gate = store.gate_stats("payments", HOUR).await.unwrap();
    assert_eq!((gate.samples, gate.matches, gate.mismatches), (100, 95, 5));

    // A route filter, and a route that does not exist: an empty report.
    let only = store.report(Some("orders"), HOUR).await.unwrap();
    assert_eq!(only.routes.len(), 1);
    assert!(only.top_mismatches.iter().all(|g| g.route == "orders"));
    let none = store.report(Some("nope"), HOUR).await.unwrap();
    assert!(none.routes.is_empty() && none.top_mismatches.is_empty());
    assert_eq!(store.gate_stats("nope", HOUR).await.unwrap().samples, 0);
}

async fn window_selects_recent_results(backend: TestBackend) {
    let (_db, store) = open(backend);
    let now = Utc::now();
    store
        .record_at(mismatch_on("payments", "$.old"), now - Age::hours(2))
        .await
        .unwrap();
    store
        .record_at(
            result("payments", Verdict::Match, vec![]),
            now - Age::minutes(10),
        )
        .await
        .unwrap();

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
    assert!(
        store
            .report(None, Duration::from_secs(60))
            .await
            .unwrap()
            .routes
            .is_empty()
    );
}

async fn retention_by_count_keeps_the_newest(backend: TestBackend) {
    let (_db, store) = open(backend);
    let base = Utc::now() - Age::minutes(30);
    let mut ids = Vec::new();
    for i in 0..10 {
        // Pairs share a timestamp, so ties are broken by id.
        let at = base + Age::minutes(i / 2);
        ids.push(
            store
                .record_at(mismatch_on("payments", "$.amt"), at)
                .await
                .unwrap(),
        );
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
    let old = store
        .record_at(mismatch_on("payments", "$.amt"), now - Age::days(3))
        .await
        .unwrap();
    let day_old = store
        .record_at(
            result("payments", Verdict::Match, vec![]),
            now - Age::hours(25),
        )
        .await
        .unwrap();
    let fresh = store
        .record_at(
            result("payments", Verdict::Match, vec![]),
            now - Age::hours(2),
        )
        .await
        .unwrap();

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

platform::both_backends!(
    record_and_read_back,
    invalid_results_are_refused_without_a_write,
    report_rates_from_planted_data,
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
        let err = Window::parse(bad).unwrap_err();
        let message = err.to_string();
        assert!(message.contains(reason), "{bad:?}: {message}");
        assert!(message.contains(&format!("`{bad}`")), "{message}");
        assert!(message.contains("30s, 15m, 1h or 7d"), "{message}");
    }
    let problem = platform::problem::Problem::from(Window::parse("soon").unwrap_err());
    assert_eq!(problem.status().as_u16(), 400);
}

/// Small builder helper: change a value in place and hand it back.
trait Tap: Sized {
    fn tap(mut self, f: impl FnOnce(&mut Self)) -> Self {
        f(&mut self);
        self
    }
}
impl Tap for NewResult {}
