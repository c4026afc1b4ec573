//! `POST /inbox` with `payment.refunded` as the payment service sends it: a
//! full refund cancels the unshipped order once, however often it comes; a
//! shipped order, a partial refund and an unknown order are left alone; a
//! malformed payment event is a problem and changes nothing.

use crate::helpers::{TestApp, problem, spawn};
use platform::testing::TestBackend;
use reqwest::Method;
use serde_json::{Value, json};

/// A `payment.refunded` envelope for the order with `order_legacy_id`.
fn refunded(order_legacy_id: i64, status: &str) -> Value {
    json!({
        "event_id": uuid::Uuid::now_v7().to_string(),
        "event_type": "payment.refunded",
        "aggregate_type": "payment",
        "aggregate_id": uuid::Uuid::now_v7().to_string(),
        "occurred_at": "2026-11-24T12:00:00Z",
        "payload": {
            "event": {"type": "refunded", "refund_id": uuid::Uuid::now_v7(), "refund_legacy_id": 71,
                      "amount_minor": 2500, "reason": "customer changed their mind",
                      "at": "2026-11-24T12:00:00Z"},
            "payment": {"legacy_id": 501, "order_legacy_id": order_legacy_id, "status": status,
                        "captured": {"amount": "25.00", "currency": "EUR"}}
        }
    })
}

async fn deliver(app: &TestApp, envelope: &Value) -> reqwest::Response {
    app.request(Method::POST, "/inbox")
        .json(envelope)
        .send()
        .await
        .unwrap()
}

async fn outcome(app: &TestApp, envelope: &Value) -> String {
    let res = deliver(app, envelope).await;
    assert_eq!(res.status(), 200);
    let answer: Value = res.json().await.unwrap();
    answer["outcome"].as_str().unwrap().to_owned()
}

async fn order(app: &TestApp, id: &str) -> Value {
    app.get_json(&format!("/v2/orders/{id}")).await.1
}

async fn a_full_refund_cancels_an_unshipped_order_once(backend: TestBackend) {
    let app = spawn(backend).await;
    app.stock("W-1", "12.50", 10).await;
    let placed = app.place(&[("W-1", 2)]).await;
    let id = placed["id"].as_str().unwrap();
    assert_eq!(app.confirm(id).await.status(), 200);
    let event = refunded(placed["legacy_id"].as_i64().unwrap(), "refunded");
    assert_eq!(outcome(&app, &event).await, "applied");
    assert_eq!(order(&app, id).await["state"], "cancelled");
    assert_eq!(app.get_item("W-1").await["reserved"], 0, "stock released");
    assert_eq!(outcome(&app, &event).await, "duplicate");
    let cancelled: Vec<_> = app
        .outbox()
        .await
        .into_iter()
        .filter(|e| e.event_type == "order.cancelled")
        .collect();
    assert_eq!(cancelled.len(), 1, "cancelled once");
    let payload: Value = serde_json::from_str(&cancelled[0].payload).unwrap();
    assert!(
        payload["reason"]
            .as_str()
            .unwrap()
            .contains("payment 501 refunded in full"),
        "{payload}"
    );
}

async fn shipped_partly_refunded_and_unknown_orders_are_left_alone(backend: TestBackend) {
    let app = spawn(backend).await;
    app.stock("W-1", "12.50", 10).await;
    let shipped = app.place(&[("W-1", 1)]).await;
    let shipped_id = shipped["id"].as_str().unwrap();
    assert_eq!(app.confirm(shipped_id).await.status(), 200);
    assert_eq!(app.ship(shipped_id).await.status(), 201);
    let kept = app.place(&[("W-1", 1)]).await;
    let kept_id = kept["id"].as_str().unwrap();

    let full = refunded(shipped["legacy_id"].as_i64().unwrap(), "refunded");
    assert_eq!(outcome(&app, &full).await, "applied");
    assert_eq!(order(&app, shipped_id).await["state"], "shipped");
    let partial = refunded(kept["legacy_id"].as_i64().unwrap(), "partially_refunded");
    assert_eq!(outcome(&app, &partial).await, "applied");
    assert_eq!(order(&app, kept_id).await["state"], "pending");
    assert_eq!(
        outcome(&app, &refunded(424_242, "refunded")).await,
        "applied"
    );
    let other = json!({"event_id": "e-1", "event_type": "payment.captured", "aggregate_type": "payment",
        "aggregate_id": "p-1", "occurred_at": "2026-11-24T12:00:00Z", "payload": {}});
    assert_eq!(outcome(&app, &other).await, "ignored");
    assert!(
        app.outbox()
            .await
            .iter()
            .all(|e| e.event_type != "order.cancelled")
    );
}

async fn a_malformed_payment_event_is_a_problem_and_changes_nothing(backend: TestBackend) {
    let app = spawn(backend).await;
    app.stock("W-1", "12.50", 10).await;
    let placed = app.place(&[("W-1", 1)]).await;
    let mut event = refunded(placed["legacy_id"].as_i64().unwrap(), "refunded");
    event["payload"]["payment"]
        .as_object_mut()
        .unwrap()
        .remove("order_legacy_id");
    let body = problem(deliver(&app, &event).await, 422).await;
    assert!(
        body["detail"].as_str().unwrap().contains("order_legacy_id"),
        "{body}"
    );
    assert_eq!(
        order(&app, placed["id"].as_str().unwrap()).await["state"],
        "pending"
    );
    // Not recorded as applied: once fixed, the same event id applies.
    event["payload"]["payment"]["order_legacy_id"] = placed["legacy_id"].clone();
    assert_eq!(outcome(&app, &event).await, "applied");
}

platform::both_backends!(
    a_full_refund_cancels_an_unshipped_order_once,
    shipped_partly_refunded_and_unknown_orders_are_left_alone,
    a_malformed_payment_event_is_a_problem_and_changes_nothing,
);
