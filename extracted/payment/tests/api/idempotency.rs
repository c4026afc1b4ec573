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

/// State changes may carry a key: a retried capture gets the first answer
/// instead of a 409; without a key the retry is refused.
async fn a_retried_capture_with_a_key_is_replayed(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let p = app.create_payment(&card(1, "4.00")).await;
    let path = format!("/v2/payments/{}/capture", p["id"].as_str().unwrap());
    let k = key();
    let send = |k: Option<String>| {
        let mut req = app.client.post(app.url(&path));
        if let Some(k) = k {
            req = req.header("Idempotency-Key", k);
        }
        req.send()
    };
    let first = expect(send(Some(k.clone())).await.unwrap(), StatusCode::OK).await;
    let again = send(Some(k)).await.unwrap();
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(expect(again, StatusCode::OK).await, first);
    expect_problem(send(None).await.unwrap(), StatusCode::CONFLICT).await;
    assert_eq!(app.count("payment_events").await, 2);
}

platform::both_backends!(
    a_retried_capture_with_a_key_is_replayed,
    the_same_request_is_replayed,
    a_different_body_with_the_same_key_is_422,
    creates_need_a_key,
    concurrent_duplicates_make_one_payment,
);
