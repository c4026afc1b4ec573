//! One owner per order (`orders.owner = "flags"`): the orders route's flags,
//! asked with the order's id as the proxy asks them, name the side that
//! changes it. The monolith refuses to capture, cancel, ship or deliver an
//! order the fulfillment service owns with the legacy 409, and changes the
//! orders it owns as before.

use crate::helpers::{Port, TestApp, assert_problem};
use monolith::settings::OrdersOwner;
use platform::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::path::PathBuf;

platform::both_backends!(only_the_owner_of_an_order_changes_it);

/// A flags file whose `orders.canary` holds orders 2 and 1 000 000 001,
/// removed when dropped.
struct Flags(PathBuf);

impl Flags {
    fn write() -> Self {
        let file = std::env::temp_dir().join(format!(
            "monolith-order-flags-{}.json",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::write(
            &file,
            r#"{"version": 2, "features": [
              {"name": "orders.canary", "enabled": true, "strategies": [
                {"name": "userWithId", "parameters": {"userIds": "2,1000000001"}}]}]}"#,
        )
        .unwrap();
        Self(file)
    }
}

impl Drop for Flags {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

async fn only_the_owner_of_an_order_changes_it(backend: TestBackend) {
    let flags = Flags::write();
    let file = flags.0.clone();
    let app = TestApp::spawn_tuned(backend, Port::InProcess, move |s| {
        s.orders.owner = OrdersOwner::Flags;
        s.orders.flags.file = file;
    })
    .await;
    let cust = app.create_customer("Ada").await;
    app.stock("W-1", 1000, 10).await;
    let app = &app;
    let place = || async move {
        let res = app
            .place_order(cust, json!([{"sku": "W-1", "qty": 1}]), "invoice")
            .await;
        app.expect(res, StatusCode::CREATED).await
    };
    // Placing is not refused: the new order's id decides from then on.
    let (mine, theirs) = (place().await, place().await);
    assert_eq!((&mine["id"], &theirs["id"]), (&json!(1), &json!(2)));

    for action in ["capture", "cancel"] {
        let refused = app
            .post(&format!("/api/v1/orders/2/{action}"), json!({}))
            .await;
        let body = assert_problem(
            refused,
            StatusCode::CONFLICT,
            "owned by the fulfillment service",
        )
        .await;
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .contains(&format!("cannot {action}")),
            "{body}"
        );
    }
    let refused = app
        .post("/api/v1/orders/2/shipments", json!({"carr": "DHL"}))
        .await;
    assert_problem(
        refused,
        StatusCode::CONFLICT,
        "order 2 is owned by the fulfillment service",
    )
    .await;
    let untouched: Value = app.get("/api/v1/orders/2").await.json().await.unwrap();
    assert_eq!(untouched["st"], "P", "nothing of it changed: {untouched}");
    assert_eq!(app.item("W-1").await["rsv"], 2, "its stock is still held");

    // Its own order goes through every step.
    let captured = app.post("/api/v1/orders/1/capture", json!({})).await;
    assert_eq!(app.expect(captured, StatusCode::OK).await["st"], "C");
    let shipped = app
        .post("/api/v1/orders/1/shipments", json!({"carr": "DHL"}))
        .await;
    let shipment = app.expect(shipped, StatusCode::CREATED).await;
    let delivered = app
        .post(
            &format!("/api/v1/shipments/{}/deliver", shipment["id"]),
            json!({}),
        )
        .await;
    app.expect(delivered, StatusCode::OK).await;

    // A shipment of an order the service owns (synced from it) is its to deliver.
    let synced = json!({
        "event_id": uuid::Uuid::new_v4().to_string(), "event_type": "new.order.changed",
        "aggregate_type": "order", "aggregate_id": "1000000001", "occurred_at": "2026-12-07T10:05:00Z",
        "payload": {"origin": "new", "entity": "order", "key": "1000000001", "version": 1, "record": {
            "order": {"id": 1_000_000_001_i64, "cust": cust, "st": "S", "cur": "EUR", "tot": 1000,
                      "lines": [{"sku": "W-1", "qty": 1, "px": 1000, "amt": 1000}],
                      "pay": 1_000_000_002_i64, "inv": null,
                      "crt": "2026-12-07 10:00:00", "upd": "2026-12-07 10:05:00"},
            "shipments": [{"id": 1_000_000_003_i64, "ord": 1_000_000_001_i64, "st": "S", "carr": "UPS",
                           "trk": "1Z", "crt": "2026-12-07 10:05:00", "dlv": null}]}}
    });
    app.expect(app.post("/inbox", synced).await, StatusCode::OK)
        .await;
    let refused = app
        .post("/api/v1/shipments/1000000003/deliver", json!({}))
        .await;
    assert_problem(refused, StatusCode::CONFLICT, "cannot deliver").await;
    let shipment: Value = app
        .get("/api/v1/shipments/1000000003")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shipment["st"], "S");
}
