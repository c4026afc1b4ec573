//! Client mistakes are problem+json with the right status, never a 500, and
//! write nothing.

use crate::helpers::{card, expect_problem, key, spawn_app};
use platform::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::json;

async fn post_raw(app: &crate::helpers::TestApp, body: String) -> reqwest::Response {
    app.client
        .post(app.url("/v2/payments"))
        .header("Idempotency-Key", key())
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn bodies_that_do_not_fit(backend: TestBackend) {
    let app = spawn_app(backend).await;
    expect_problem(
        post_raw(&app, "{not json".into()).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    let mut missing = card(1, "1.00");
    missing.as_object_mut().unwrap().remove("method");
    expect_problem(
        app.post("/v2/payments", &missing, Some(&key()), false)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let cases = [
        ("amount", json!({"amount": "-5.00", "currency": "EUR"})),
        ("amount", json!({"amount": "0.00", "currency": "EUR"})),
        ("amount", json!({"amount": "1.001", "currency": "EUR"})),
        ("amount", json!({"amount": 5, "currency": "EUR"})),
        ("amount", json!({"amount": "5.00", "currency": "XXX"})),
        ("method", json!("cash")),
        ("order_legacy_id", json!(0)),
        ("card_token", json!(null)),
    ];
    for (field, value) in cases {
        let mut body = card(1, "1.00");
        body[field] = value.clone();
        let res = app.post("/v2/payments", &body, Some(&key()), false).await;
        expect_problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let mut bad_currency = card(1, "1.00");
    bad_currency["amount"]["currency"] = json!("XXX");
    let res = app
        .post("/v2/payments", &bad_currency, Some(&key()), false)
        .await;
    let problem = expect_problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem["field"], "amount.currency", "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("ISO 4217"),
        "{problem}"
    );
    let text = app
        .client
        .post(app.url("/v2/payments"))
        .header("Idempotency-Key", key())
        .header("Content-Type", "text/plain")
        .body(card(1, "1.00").to_string())
        .send()
        .await
        .unwrap();
    expect_problem(text, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    let huge = format!("{{\"pad\": \"{}\"}}", "x".repeat(70_000));
    expect_problem(post_raw(&app, huge).await, StatusCode::PAYLOAD_TOO_LARGE).await;
    assert_eq!(app.count("payments").await, 0);
    assert_eq!(app.count("idempotency_keys").await, 0);
}

async fn unknown_ids_and_bad_queries(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let nobody = uuid::Uuid::new_v4();
    for path in [
        format!("/v2/payments/{nobody}"),
        "/v2/payments/not-a-uuid".to_owned(),
        "/v2/payments/by-legacy-id/424242".to_owned(),
        format!("/v2/payments/{nobody}/refunds"),
        format!("/v2/refunds/{nobody}"),
        format!("/v2/invoices/{nobody}"),
        "/v2/invoices/by-legacy-id/1".to_owned(),
    ] {
        expect_problem(app.get(&path).await, StatusCode::NOT_FOUND).await;
    }
    expect_problem(
        app.post_empty(&format!("/v2/payments/{nobody}/capture"), false)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let refund = json!({"amount": {"amount": "1.00", "currency": "EUR"}, "reason": "x"});
    let res = app
        .post(
            &format!("/v2/payments/{nobody}/refunds"),
            &refund,
            Some(&key()),
            false,
        )
        .await;
    expect_problem(res, StatusCode::NOT_FOUND).await;
    expect_problem(
        app.get("/v2/payments?limit=0").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    expect_problem(
        app.get("/v2/payments?limit=abc").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
}

async fn bad_refunds(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let authorized = app.create_payment(&card(1, "10.00")).await;
    expect_problem(app.refund(&authorized, "1.00").await, StatusCode::CONFLICT).await;
    let p = app.captured_payment(1, "10.00").await;
    expect_problem(
        app.refund(&p, "0.00").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    expect_problem(
        app.refund(&p, "-1.00").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    expect_problem(app.refund(&p, "10.01").await, StatusCode::CONFLICT).await;
    let id = p["id"].as_str().unwrap();
    let usd = json!({"amount": {"amount": "1.00", "currency": "USD"}, "reason": "x"});
    let res = app
        .post(
            &format!("/v2/payments/{id}/refunds"),
            &usd,
            Some(&key()),
            false,
        )
        .await;
    expect_problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    let blank = json!({"amount": {"amount": "1.00", "currency": "EUR"}, "reason": "  "});
    let res = app
        .post(
            &format!("/v2/payments/{id}/refunds"),
            &blank,
            Some(&key()),
            false,
        )
        .await;
    expect_problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(app.count("refunds").await, 0);
}

platform::both_backends!(
    bodies_that_do_not_fit,
    unknown_ids_and_bad_queries,
    bad_refunds
);
