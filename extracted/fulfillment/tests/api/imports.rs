//! Backfill: orders imported in the state they are in in the monolith.

use crate::helpers::{TestApp, problem, spawn};
use platform::testing::TestBackend;
use reqwest::Method;
use serde_json::{Value, json};

async fn import(app: &TestApp, body: &Value) -> reqwest::Response {
    app.request(Method::POST, "/v2/imports/orders")
        .json(body)
        .send()
        .await
        .unwrap()
}

fn delivered_order() -> Value {
    json!({
        "legacy_id": 501, "customer_legacy_id": 12, "state": "delivered",
        "lines": [{"sku": "IM-1", "quantity": 2, "unit_price": {"amount": "3.10", "currency": "EUR"}}],
        "payment_legacy_id": 71, "invoice_legacy_id": 81,
        "created_at": "2025-03-01T10:00:00Z", "updated_at": "2025-03-04T09:30:00Z",
        "shipment": {"legacy_id": 91, "carrier": "UPS", "tracking_number": "1Z999",
                     "created_at": "2025-03-02T08:00:00Z", "delivered_at": "2025-03-04T09:30:00Z"}
    })
}

async fn a_delivered_order_imports_as_it_was(backend: TestBackend) {
    let app = spawn(backend).await;
    app.stock("IM-1", "4.00", 5).await;
    let res = import(&app, &delivered_order()).await;
    assert_eq!(res.status(), 201);
    let order: Value = res.json().await.unwrap();
    assert_eq!(order["state"], "delivered");
    assert_eq!(
        order["total"],
        json!({"amount": "6.20", "currency": "EUR"}),
        "historical prices"
    );
    assert_eq!(
        (
            order["payment_legacy_id"].as_i64(),
            order["invoice_legacy_id"].as_i64()
        ),
        (Some(71), Some(81))
    );
    assert_eq!(
        (order["created_at"].as_str(), order["updated_at"].as_str()),
        (Some("2025-03-01T10:00:00Z"), Some("2025-03-04T09:30:00Z"))
    );
    let item = app.get_item("IM-1").await;
    assert_eq!(
        (item["on_hand"].as_i64(), item["reserved"].as_i64()),
        (Some(5), Some(0)),
        "no stock effect"
    );
    let (status, shipment) = app.get_json("/v2/shipments/by-legacy-id/91").await;
    assert_eq!(status, 200);
    assert_eq!(shipment["state"], "delivered");
    assert_eq!(shipment["order_legacy_id"], 501);
    assert_eq!(shipment["delivered_at"], "2025-03-04T09:30:00Z");
    assert_eq!(order["shipment_id"], shipment["id"]);

    let again = import(&app, &delivered_order()).await;
    assert_eq!(again.status(), 200, "re-importing is a no-op");
    assert_eq!(again.json::<Value>().await.unwrap(), order);
    let imported = app
        .outbox()
        .await
        .into_iter()
        .filter(|e| e.event_type == "order.imported")
        .count();
    assert_eq!(imported, 1);
}

async fn an_open_order_reserves_its_stock_again(backend: TestBackend) {
    let app = spawn(backend).await;
    app.stock("IM-1", "4.00", 3).await;
    let mut open = delivered_order();
    open["state"] = json!("confirmed");
    open["shipment"] = Value::Null;
    assert_eq!(import(&app, &open).await.status(), 201);
    assert_eq!(app.get_item("IM-1").await["reserved"], 2);
    let (_, order) = app.get_json("/v2/orders/by-legacy-id/501").await;
    // It continues its life in the service.
    assert_eq!(app.ship(order["id"].as_str().unwrap()).await.status(), 201);
    assert_eq!(app.get_item("IM-1").await["on_hand"], 1);

    let mut too_big = open.clone();
    too_big["legacy_id"] = json!(502);
    problem(import(&app, &too_big).await, 409).await;
}

async fn inconsistent_imports_are_refused(backend: TestBackend) {
    let app = spawn(backend).await;
    let cases: [(&str, Value, &str); 6] = [
        ("/state", json!("shipped"), "shipment.delivered_at"),
        ("/shipment", Value::Null, "shipment"),
        ("/legacy_id", json!(2_000_000_000_i64), "legacy_id"),
        ("/updated_at", json!("2025-01-01T00:00:00Z"), "updated_at"),
        ("/lines/0/quantity", json!(0), "lines[0].quantity"),
        ("/shipment/legacy_id", json!(-1), "shipment.legacy_id"),
    ];
    for (pointer, value, field) in cases {
        let mut body = delivered_order();
        *body.pointer_mut(pointer).unwrap() = value;
        let p = problem(import(&app, &body).await, 422).await;
        assert_eq!(p["field"], field, "{pointer}");
    }
    let mut cancelled = delivered_order();
    cancelled["state"] = json!("cancelled");
    assert_eq!(
        problem(import(&app, &cancelled).await, 422).await["field"],
        "shipment"
    );
}

platform::both_backends!(
    a_delivered_order_imports_as_it_was,
    an_open_order_reserves_its_stock_again,
    inconsistent_imports_are_refused
);
