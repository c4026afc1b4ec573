//! `X-Strangler-Dry-Run: 1`: the full answer, no row, no outbox event.

use crate::helpers::{new_key, order_body, spawn};
use platform::testing::TestBackend;
use serde_json::Value;

async fn a_dry_run_create_leaves_nothing(backend: TestBackend) {
    let app = spawn(backend).await;
    app.stock("D-1", "2.00", 10).await;
    let events_before = app.outbox().await.len();
    let key = new_key();
    let res = app
        .request(reqwest::Method::POST, "/v2/orders")
        .header("Idempotency-Key", &key)
        .header("X-Strangler-Dry-Run", "1")
        .json(&order_body(11, &[("D-1", 3)]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["x-strangler-dry-run"], "rolled-back");
    let order: Value = res.json().await.unwrap();
    assert_eq!(order["state"], "pending");
    assert_eq!(order["total"]["amount"], "6.00");

    let (status, _) = app
        .get_json(&format!("/v2/orders/{}", order["id"].as_str().unwrap()))
        .await;
    assert_eq!(status, 404);
    let (_, page) = app.get_json("/v2/orders?customer_legacy_id=11").await;
    assert_eq!(page["total"], 0);
    assert_eq!(app.get_item("D-1").await["reserved"], 0);
    assert_eq!(app.outbox().await.len(), events_before, "no outbox event");
    // The key was rolled back too: a real request with it takes effect.
    let real = app
        .create_order_with(&key, &order_body(11, &[("D-1", 3)]))
        .await;
    assert_eq!(real.status(), 201);
    assert!(real.headers().get("idempotent-replayed").is_none());
}

async fn dry_run_transitions_and_adjustments_change_nothing(backend: TestBackend) {
    let app = spawn(backend).await;
    app.stock("D-2", "2.00", 10).await;
    let order = app.place(&[("D-2", 2)]).await;
    let id = order["id"].as_str().unwrap();
    let events_before = app.outbox().await.len();
    for (path, body) in [
        (format!("/v2/orders/{id}/confirm"), serde_json::json!({})),
        (format!("/v2/orders/{id}/cancel"), serde_json::json!({})),
        (
            "/v2/stock/D-2/adjustments".to_owned(),
            serde_json::json!({"delta": -8, "reason": "broken"}),
        ),
    ] {
        let res = app
            .request(reqwest::Method::POST, &path)
            .header("X-Strangler-Dry-Run", "1")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(res.headers()["x-strangler-dry-run"], "rolled-back");
    }
    let (_, after) = app.get_json(&format!("/v2/orders/{id}")).await;
    assert_eq!(after, order);
    let item = app.get_item("D-2").await;
    assert_eq!(
        (item["on_hand"].as_i64(), item["reserved"].as_i64()),
        (Some(10), Some(2))
    );
    assert_eq!(app.outbox().await.len(), events_before);
}

async fn dry_run_ship_and_define_change_nothing(backend: TestBackend) {
    let app = spawn(backend).await;
    app.stock("D-3", "2.00", 10).await;
    let order = app.place(&[("D-3", 2)]).await;
    let id = order["id"].as_str().unwrap();
    assert_eq!(app.confirm(id).await.status(), 200);
    let (_, confirmed) = app.get_json(&format!("/v2/orders/{id}")).await;
    let events_before = app.outbox().await.len();
    let res = app
        .request(reqwest::Method::POST, &format!("/v2/orders/{id}/ship"))
        .header("Idempotency-Key", new_key())
        .header("X-Strangler-Dry-Run", "true")
        .json(&serde_json::json!({"carrier": "DHL", "legacy_id": 4711}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["x-strangler-dry-run"], "rolled-back");
    let shipment: Value = res.json().await.unwrap();
    assert_eq!(shipment["state"], "shipped");
    let res = app
        .request(reqwest::Method::PUT, "/v2/stock/NEW-1")
        .header("X-Strangler-Dry-Run", "1")
        .json(&serde_json::json!({"name": "New", "unit_price": {"amount": "1.00", "currency": "EUR"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);

    let (_, after) = app.get_json(&format!("/v2/orders/{id}")).await;
    assert_eq!(after, confirmed);
    assert_eq!(app.get_json("/v2/shipments/by-legacy-id/4711").await.0, 404);
    assert_eq!(app.get_json("/v2/stock/NEW-1").await.0, 404);
    let item = app.get_item("D-3").await;
    assert_eq!(
        (item["on_hand"].as_i64(), item["reserved"].as_i64()),
        (Some(10), Some(2))
    );
    assert_eq!(app.outbox().await.len(), events_before);
    let bad = app
        .request(reqwest::Method::POST, &format!("/v2/orders/{id}/cancel"))
        .header("X-Strangler-Dry-Run", "maybe")
        .send()
        .await
        .unwrap();
    crate::helpers::problem(bad, 400).await;
}

platform::both_backends!(
    dry_run_ship_and_define_change_nothing,
    a_dry_run_create_leaves_nothing,
    dry_run_transitions_and_adjustments_change_nothing
);
