//! Prometheus metrics across the stack: the numbers move as requests flow
//! (proxy: by route, mode, backend and status, latency, shadow outcomes,
//! fallbacks; services: requests and outbox lag), and every `/metrics` page
//! passes `promtool check metrics`.

use crate::stack::{Stack, dead_upstream};
use platform::db::{Db, DbError};
use platform::testing::TestBackend;
use reqwest::StatusCode;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

platform::both_backends!(metrics_move_as_requests_flow_and_pass_promtool);

/// The `/metrics` page of `base` (no token needed, also on the admin listener).
async fn scrape(stack: &Stack, base: &str) -> String {
    let res = stack
        .client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{base}/metrics");
    assert_eq!(
        res.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    res.text().await.unwrap()
}

/// The value of series `name` with exactly `labels` (in any order).
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let mut want: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    want.sort();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (n, rest) = series.split_once('{').unwrap_or((series, "}"));
            let mut got: Vec<&str> = rest
                .strip_suffix('}')?
                .split(',')
                .filter(|p| !p.is_empty())
                .collect();
            got.sort();
            (n == name && got == want).then(|| value.parse().unwrap())
        })
}

/// Like [`sample`], 0 when the series does not exist yet.
fn count(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    sample(text, name, labels).unwrap_or(0.0)
}

/// Runs `promtool check metrics` on `text`; fails with its findings.
fn promtool_check(what: &str, text: &str) {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run promtool ({e}): install the Debian package `prometheus` (scripts/test does)"
            )
        });
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics refuses the {what} page:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Scrapes `base` until `check` holds on the page; fails after 20 s.
async fn eventually(stack: &Stack, base: &str, what: &str, check: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = scrape(stack, base).await;
        if check(&text) {
            return text;
        }
        assert!(Instant::now() < deadline, "never saw {what}:\n{text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn proxy_requests(mode: &'static str, backend: &'static str) -> [(&'static str, &'static str); 4] {
    [
        ("route", "payments"),
        ("mode", mode),
        ("backend", backend),
        ("status", "200"),
    ]
}

async fn metrics_move_as_requests_flow_and_pass_promtool(backend: TestBackend) {
    let stack = Stack::start(backend).await;
    let pay = stack.paid_order().await;
    let unbackfilled = stack.paid_order().await;
    stack.backfill_payment(pay).await;
    let path = format!("/api/v1/payments/{pay}");

    // Legacy: the monolith serves, counted by route, mode, backend and status.
    let before = scrape(&stack, &stack.admin).await;
    assert_eq!(stack.backend(None, &path).await, "legacy");
    let after = scrape(&stack, &stack.admin).await;
    let legacy = proxy_requests("legacy", "legacy");
    let name = "strangler_requests_total";
    assert_eq!(
        count(&after, name, &legacy) - count(&before, name, &legacy),
        1.0
    );
    let latency = [
        ("route", "payments"),
        ("mode", "legacy"),
        ("backend", "legacy"),
    ];
    let timed = "strangler_request_duration_seconds_count";
    assert_eq!(
        count(&after, timed, &latency) - count(&before, timed, &latency),
        1.0
    );
    let unrouted = [
        ("route", "unrouted"),
        ("mode", "legacy"),
        ("backend", "legacy"),
        ("status", "201"),
    ];
    assert!(
        count(&after, name, &unrouted) >= 2.0,
        "customers and orders: {after}"
    );

    // Shadow: a backfilled payment compares equal, one the service lacks does not.
    stack.flags.enable("payments.shadow");
    stack.wait_for_flag("payments.shadow", true, "100%").await;
    assert_eq!(stack.backend(Some("c-1"), &path).await, "legacy");
    let outcome = |o: &'static str| [("route", "payments"), ("outcome", o)];
    let comparisons = "strangler_shadow_comparisons_total";
    let agreeing = |t: &str| {
        ["match", "ignored", "noise"]
            .iter()
            .map(|o| count(t, comparisons, &outcome(o)))
            .sum::<f64>()
    };
    let text = eventually(&stack, &stack.admin, "a shadow comparison", |t| {
        agreeing(t) >= 1.0
    })
    .await;
    assert_eq!(
        count(&text, comparisons, &outcome("mismatch")),
        0.0,
        "{text}"
    );
    let other = format!("/api/v1/payments/{unbackfilled}");
    assert_eq!(stack.backend(Some("c-1"), &other).await, "legacy");
    let text = eventually(&stack, &stack.admin, "a shadow mismatch", |t| {
        count(t, comparisons, &outcome("mismatch")) >= 1.0
    })
    .await;
    assert_eq!(count(&text, name, &proxy_requests("shadow", "legacy")), 2.0);
    // Copies, comparisons and drops are counted apart.
    let payments = [("route", "payments")];
    assert_eq!(
        count(&text, "strangler_shadow_copies_total", &payments),
        2.0
    );
    let full = [("route", "payments"), ("reason", "queue_full")];
    assert_eq!(count(&text, "strangler_shadow_dropped_total", &full), 0.0);

    // New, then the service goes away: GETs fall back to the monolith.
    stack.flags.disable("payments.shadow");
    stack.flags.enable("payments.new");
    stack.wait_for_backend(None, &path, "new").await;
    assert_eq!(
        stack.repoint_payments(&dead_upstream()).await.status(),
        StatusCode::OK
    );
    let before = scrape(&stack, &stack.admin).await;
    assert_eq!(stack.backend(None, &path).await, "legacy-fallback");
    let after = scrape(&stack, &stack.admin).await;
    let fallback = proxy_requests("new", "legacy-fallback");
    assert_eq!(
        count(&after, name, &fallback) - count(&before, name, &fallback),
        1.0
    );
    assert!(
        count(&after, name, &proxy_requests("new", "new")) >= 1.0,
        "{after}"
    );
    let route = [("route", "payments")];
    assert_eq!(count(&after, "strangler_fallbacks_total", &route), 1.0);
    assert_eq!(
        count(&after, "strangler_upstream_failures_total", &route),
        1.0
    );

    // The payment service: requests by pattern, outbox lag from its database.
    // A backfill's import records no event (docs/data.md), so a payment the
    // service takes itself supplies the counted create and the pending event.
    let res = stack
        .client
        .post(format!("{}/v2/payments", stack.payment))
        .header("idempotency-key", "metrics-create")
        .json(&serde_json::json!({"order_legacy_id": 990_001,
            "amount": {"amount": "12.50", "currency": "EUR"}, "method": "card",
            "card_token": "tok_visa", "capture": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::CREATED,
        "{}",
        res.text().await.unwrap()
    );
    let service_db = Db::connect(&stack.payment_db, payment::migrations()).unwrap();
    let text = scrape(&stack, &stack.payment).await;
    let created = [
        ("method", "POST"),
        ("route", "/v2/payments"),
        ("status", "201"),
    ];
    assert_eq!(
        count(&text, "http_server_requests_total", &created),
        1.0,
        "{text}"
    );
    let pending = service_db
        .read(|c| platform::outbox::pending(c, 1000).map_err(DbError::Query))
        .await
        .unwrap();
    assert!(!pending.is_empty(), "the create recorded an event");
    let lag = |t: &str, n: &str| sample(t, n, &[]).unwrap();
    assert_eq!(lag(&text, "outbox_pending_events"), pending.len() as f64);
    assert!(lag(&text, "outbox_oldest_pending_age_seconds") >= 0.0);
    let seqs: Vec<i64> = pending.iter().map(|e| e.seq).collect();
    service_db
        .write(move |c| {
            platform::outbox::mark_delivered(c, &seqs, chrono::Utc::now()).map_err(DbError::Query)
        })
        .await
        .unwrap();
    let text = scrape(&stack, &stack.payment).await;
    assert_eq!(lag(&text, "outbox_pending_events"), 0.0);
    assert_eq!(lag(&text, "outbox_oldest_pending_age_seconds"), 0.0);

    // The monolith counts by its own patterns, never raw paths.
    let text = scrape(&stack, &stack.monolith).await;
    assert!(text.contains(r#"route="/api/v1/payments/{id}""#), "{text}");
    assert!(!text.contains(&path), "{text}");

    for (what, base) in [
        ("proxy admin", &stack.admin),
        ("monolith", &stack.monolith),
        ("payment", &stack.payment),
        ("fulfillment", &stack.fulfillment),
    ] {
        promtool_check(what, &scrape(&stack, base).await);
    }
}
