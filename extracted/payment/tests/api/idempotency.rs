//! Idempotency keys on creates: replay, mismatch, missing key, concurrency.

use crate::helpers::{card, expect, expect_problem, key, spawn_app};
use platform::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::json;

async fn the_same_request_is_replayed(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let k = key();
    let first = app
        .post("/v2/payments", &card(1, "9.99"), Some(&k), false)
        .await;
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first = expect(first, StatusCode::CREATED).await;
    // Same content, different spelling: still the same request.
    let respelled = json!({
        "method": "card", "card_token": "tok_visa", "customer_legacy_id": 77,
        "amount": {"currency": "EUR", "amount": "9.99"}, "order_legacy_id": 1
    });
    let second = app.post("/v2/payments", &respelled, Some(&k), false).await;
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    assert_eq!(expect(second, StatusCode::CREATED).await, first);
    assert_eq!(app.count("payments").await, 1);
    assert_eq!(app.count("outbox").await, 1);
}

async fn a_different_body_with_the_same_key_is_422(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let k = key();
    expect(
        app.post("/v2/payments", &card(1, "9.99"), Some(&k), false)
            .await,
        StatusCode::CREATED,
    )
    .await;
    let other = app
        .post("/v2/payments", &card(1, "10.00"), Some(&k), false)
        .await;
    let problem = expect_problem(other, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(
        problem["detail"].as_str().unwrap().contains(&k),
        "{problem}"
    );
    assert_eq!(app.count("payments").await, 1);
}

async fn creates_need_a_key(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let res = app
        .post("/v2/payments", &card(1, "1.00"), None, false)
        .await;
    let problem = expect_problem(res, StatusCode::BAD_REQUEST).await;
    assert_eq!(problem["header"], "Idempotency-Key");
    let res = app
        .post("/v2/payments", &card(1, "1.00"), Some("has spaces"), false)
        .await;
    expect_problem(res, StatusCode::BAD_REQUEST).await;
    assert_eq!(app.count("payments").await, 0);
}

async fn concurrent_duplicates_make_one_payment(backend: TestBackend) {
    let app = std::sync::Arc::new(spawn_app(backend).await);
    let k = key();
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (app, k) = (app.clone(), k.clone());
            tokio::spawn(async move {
                let res = app
                    .post("/v2/payments", &card(3, "50.00"), Some(&k), false)
                    .await;
                (res.status(), res.text().await.unwrap())
            })
        })
        .collect();
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    assert!(answers.iter().all(|a| a == &answers[0]), "{answers:?}");
    assert_eq!(answers[0].0, StatusCode::CREATED);
    assert_eq!(app.count("payments").await, 1);
    assert_eq!(app.count("payment_events").await, 1);
    assert_eq!(app.count("outbox").await, 1);
}

platform::both_backends!(
    the_same_request_is_replayed,
    a_different_body_with_the_same_key_is_422,
    creates_need_a_key,
    concurrent_duplicates_make_one_payment,
);
