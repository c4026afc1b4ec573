//! Backfill: stock items and orders imported in the state they are in in the
//! monolith, in batches, publishing nothing; export lists by legacy key.

use crate::helpers::{TestApp, problem, spawn};
use platform::testing::TestBackend;
use reqwest::Method;
use serde_json::{Value, json};

/// Imports `orders` in one batch; the report's results.
async fn import(app: &TestApp, orders: &[Value]) -> Vec<Value> {
    let res = app
        .request(Method::POST, "/v2/imports/orders")
        .json(&json!({ "orders": orders }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let report: Value = res.json().await.unwrap();
    report["results"].as_array().unwrap().clone()
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
    let events_before = app.outbox().await.len();
    let results = import(&app, &[delivered_order()]).await;
    assert_eq!(results, [json!({"legacy_id": 501, "outcome": "imported"})]);
    let (_, order) = app.get_json("/v2/orders/by-legacy-id/501").await;
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

    let again = import(&app, &[delivered_order()]).await;
    assert_eq!(
        again[0]["outcome"], "already_imported",
        "re-importing is a no-op"
    );
    let (_, unchanged) = app.get_json("/v2/orders/by-legacy-id/501").await;
    assert_eq!(unchanged, order);
    assert_eq!(
        app.outbox().await.len(),
        events_before,
        "an import publishes nothing"
    );
}

async fn an_open_order_reserves_its_stock_again(backend: TestBackend) {
    let app = spawn(backend).await;
    app.stock("IM-1", "4.00", 3).await;
    let mut open = delivered_order();
    open["state"] = json!("confirmed");
    open["shipment"] = Value::Null;
    let mut too_big = open.clone();
    too_big["legacy_id"] = json!(502);
    let results = import(&app, &[open, too_big]).await;
    assert_eq!(results[0]["outcome"], "imported");
    assert_eq!(results[1]["outcome"], "refused", "not enough stock left");
    assert!(results[1]["reason"].as_str().unwrap().contains("IM-1"));
    assert_eq!(app.get_item("IM-1").await["reserved"], 2);
    let (status, _) = app.get_json("/v2/orders/by-legacy-id/502").await;
    assert_eq!(status, 404, "a refused record leaves nothing");
    let (_, order) = app.get_json("/v2/orders/by-legacy-id/501").await;
    // It continues its life in the service.
    assert_eq!(app.ship(order["id"].as_str().unwrap()).await.status(), 201);
    assert_eq!(app.get_item("IM-1").await["on_hand"], 1);
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
        let results = import(&app, &[body]).await;
        assert_eq!(results[0]["outcome"], "refused", "{pointer}");
        let reason = results[0]["reason"].as_str().unwrap();
        assert!(reason.contains(field), "{pointer}: {reason}");
    }
    let res = app
        .request(Method::POST, "/v2/imports/orders")
        .json(&json!({ "orders": [] }))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(res, 422).await["field"], "orders");
}

async fn stock_imports_by_sku_and_exports_in_key_order(backend: TestBackend) {
    let app = spawn(backend).await;
    let item = |sku: &str, on_hand: i64| {
        json!({"sku": sku, "name": format!("Item {sku}"),
               "unit_price": {"amount": "1.50", "currency": "EUR"}, "on_hand": on_hand})
    };
    let post = |body: Value, dry: bool| {
        let mut req = app.request(Method::POST, "/v2/imports/stock").json(&body);
        if dry {
            req = req.header("X-Strangler-Dry-Run", "1");
        }
        req.send()
    };
    let batch = json!({"stock": [item("b-2", 4), item("A-1", 0), item("B.3", -1)]});
    let dry: Value = post(batch.clone(), true)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(dry["results"][0]["outcome"], "imported");
    let (status, _) = app.get_json("/v2/stock/b-2").await;
    assert_eq!(status, 404, "a dry run keeps nothing");

    let report: Value = post(batch.clone(), false)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let outcomes: Vec<&str> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["imported", "imported", "refused"]);
    assert_eq!(report["results"][0]["legacy_id"], "b-2", "keyed by SKU");
    assert_eq!(app.get_item("b-2").await["on_hand"], 4);
    let again: Value = post(batch, false).await.unwrap().json().await.unwrap();
    assert_eq!(again["results"][0]["outcome"], "already_imported");

    let (status, page) = app.get_json("/v2/exports/stock?limit=1").await;
    assert_eq!(status, 200);
    assert_eq!(
        page["items"][0]["sku"], "A-1",
        "byte order: upper case first"
    );
    assert_eq!(page["next"], "A-1");
    let (_, rest) = app.get_json("/v2/exports/stock?after=A-1&limit=5").await;
    assert_eq!(rest["items"][0]["sku"], "b-2");
    assert_eq!(rest["next"], Value::Null);
    let (status, _) = app.get_json("/v2/exports/orders?after=W-1").await;
    assert_eq!(status, 400, "an order cursor is a legacy id");
}

async fn orders_export_by_legacy_id_with_their_shipments(backend: TestBackend) {
    let app = spawn(backend).await;
    app.stock("IM-1", "4.00", 5).await;
    let mut second = delivered_order();
    second["legacy_id"] = json!(7);
    second["shipment"]["legacy_id"] = json!(92);
    import(&app, &[delivered_order(), second]).await;
    let (_, first) = app.get_json("/v2/exports/orders?limit=1").await;
    assert_eq!(first["items"][0]["order"]["legacy_id"], 7);
    assert_eq!(first["items"][0]["shipments"][0]["legacy_id"], 92);
    assert_eq!(first["next"], 7);
    let (_, rest) = app.get_json("/v2/exports/orders?after=7").await;
    assert_eq!(rest["items"][0]["order"]["legacy_id"], 501);
    assert_eq!(rest["next"], Value::Null);
}

platform::both_backends!(
    a_delivered_order_imports_as_it_was,
    an_open_order_reserves_its_stock_again,
    inconsistent_imports_are_refused,
    stock_imports_by_sku_and_exports_in_key_order,
    orders_export_by_legacy_id_with_their_shipments
);
