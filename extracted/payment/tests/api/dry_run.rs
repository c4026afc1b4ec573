//! Dry runs answer like the real thing and keep nothing.

use crate::helpers::{card, expect, expect_problem, key, spawn_app};
use platform::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::json;

async fn a_dry_create_leaves_no_row_and_no_event(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let k = key();
    let res = app
        .post("/v2/payments", &card(1, "20.00"), Some(&k), true)
        .await;
    assert_eq!(res.headers()["x-strangler-dry-run"], "rolled-back");
    let dry = expect(res, StatusCode::CREATED).await;
    assert_eq!(dry["status"], "authorized");
    for table in ["payments", "payment_events", "outbox", "idempotency_keys"] {
        assert_eq!(app.count(table).await, 0, "{table}");
    }
    let id = dry["id"].as_str().unwrap();
    expect_problem(
        app.get(&format!("/v2/payments/{id}")).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    // The key was rolled back too: the real request runs.
    let real = app
        .post("/v2/payments", &card(1, "20.00"), Some(&k), false)
        .await;
    assert!(real.headers().get("x-strangler-dry-run").is_none());
    let real = expect(real, StatusCode::CREATED).await;
    assert_eq!(
        real["legacy_id"], dry["legacy_id"],
        "the id counter was rolled back"
    );
}

async fn dry_state_changes_are_rolled_back(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let p = app.captured_payment(2, "30.00").await;
    let id = p["id"].as_str().unwrap();
    let outbox_before = app.count("outbox").await;
    let body = json!({"amount": {"amount": "30.00", "currency": "EUR"}, "reason": "shadow"});
    let res = app
        .post(
            &format!("/v2/payments/{id}/refunds"),
            &body,
            Some(&key()),
            true,
        )
        .await;
    assert_eq!(res.headers()["x-strangler-dry-run"], "rolled-back");
    expect(res, StatusCode::CREATED).await;
    // A dry run fails exactly where the real request would.
    let over = json!({"amount": {"amount": "30.01", "currency": "EUR"}, "reason": "shadow"});
    let res = app
        .post(
            &format!("/v2/payments/{id}/refunds"),
            &over,
            Some(&key()),
            true,
        )
        .await;
    expect_problem(res, StatusCode::CONFLICT).await;
    let p2 = app.create_payment(&card(2, "1.00")).await;
    let id2 = p2["id"].as_str().unwrap();
    let res = app
        .post_empty(&format!("/v2/payments/{id2}/capture"), true)
        .await;
    assert_eq!(expect(res, StatusCode::OK).await["status"], "captured");
    let still = expect(
        app.get(&format!("/v2/payments/{id2}")).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(still["status"], "authorized");
    assert_eq!(app.count("refunds").await, 0);
    assert_eq!(
        app.count("outbox").await,
        outbox_before + 1,
        "only p2's real create"
    );
}

async fn a_bad_dry_run_header_is_400(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let res = app
        .client
        .post(app.url("/v2/payments"))
        .header("Idempotency-Key", key())
        .header("X-Strangler-Dry-Run", "maybe")
        .json(&card(1, "1.00"))
        .send()
        .await
        .unwrap();
    expect_problem(res, StatusCode::BAD_REQUEST).await;
    assert_eq!(app.count("payments").await, 0);
}

platform::both_backends!(
    a_dry_create_leaves_no_row_and_no_event,
    dry_state_changes_are_rolled_back,
    a_bad_dry_run_header_is_400,
);
