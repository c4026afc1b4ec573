//! Refund limits and declined cards.

use crate::helpers::{Port, TestApp, assert_problem};
use platform::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::json;

crate::both_ports!(
    refunds_stay_within_the_capture,
    a_declined_card_writes_nothing
);

async fn refunds_stay_within_the_capture(backend: TestBackend, port: Port) {
    let app = TestApp::spawn_with(backend, port).await;
    let cust = app.create_customer("Donald Knuth").await;
    app.stock("W-1", 1000, 2).await;
    let order = app
        .card_order(cust, json!([{"sku": "W-1", "qty": 1}]))
        .await;
    let path = format!("/api/v1/payments/{}/refunds", order["pay"]);

    assert_problem(
        app.post(&path, json!({"amt": 1001, "rsn": "too much"}))
            .await,
        StatusCode::CONFLICT,
        "exceeds the refundable 1000",
    )
    .await;
    assert_problem(
        app.post(&path, json!({"amt": 0, "rsn": "nothing"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "amt must be greater than 0",
    )
    .await;
    assert_problem(
        app.post(&path, json!({"amt": -5, "rsn": "negative"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "amt must be greater than 0",
    )
    .await;
    app.expect(
        app.post(&path, json!({"amt": 600, "rsn": "partial"})).await,
        StatusCode::CREATED,
    )
    .await;
    assert_problem(
        app.post(&path, json!({"amt": 401, "rsn": "over"})).await,
        StatusCode::CONFLICT,
        "refundable 400",
    )
    .await;
    app.expect(
        app.post(&path, json!({"amt": 400, "rsn": "rest"})).await,
        StatusCode::CREATED,
    )
    .await;
    let payment = app
        .owner_get(&format!("/api/v1/payments/{}", order["pay"]))
        .await;
    assert_eq!(
        (payment["st"].as_str(), payment["rfd"].as_i64()),
        (Some("R"), Some(1000))
    );
    assert_problem(
        app.post(&path, json!({"amt": 1, "rsn": "again"})).await,
        StatusCode::CONFLICT,
        "not captured",
    )
    .await;
    assert_problem(
        app.post(
            "/api/v1/payments/999999/refunds",
            json!({"amt": 1, "rsn": "x"}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "payment 999999",
    )
    .await;
}

async fn a_declined_card_writes_nothing(backend: TestBackend, port: Port) {
    let app = TestApp::spawn_with(backend, port).await;
    let cust = app.create_customer("Frances Allen").await;
    app.stock("W-1", 1000, 2).await;
    let res = app.post("/api/v1/orders", json!({"cust": cust, "lines": [{"sku": "W-1", "qty": 2}], "pm": "card", "tok": "tok_declined"})).await;
    assert_problem(res, StatusCode::PAYMENT_REQUIRED, "declined").await;
    let item = app.item("W-1").await;
    assert_eq!(
        item["rsv"], 0,
        "the reservation was rolled back with the order, or released"
    );
    let orders = app
        .expect(
            app.get(&format!("/api/v1/customers/{cust}/orders")).await,
            StatusCode::OK,
        )
        .await;
    match port {
        Port::InProcess => assert_eq!(orders["total"], 0),
        // The order was committed before the service was asked (a remote
        // call joins no transaction); refused, it is cancelled, not deleted,
        // so its id, which keys the charge's idempotency, is never reused.
        Port::Remote => {
            assert_eq!(orders["total"], 1);
            assert_eq!(orders["items"][0]["st"], "X");
            assert!(orders["items"][0]["pay"].is_null());
        }
    }
}
