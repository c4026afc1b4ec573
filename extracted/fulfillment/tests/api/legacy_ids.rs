//! Legacy ids: assigned from the service's range, or given explicitly (an
//! import of a monolith entity) below it; resolvable both ways.

use crate::helpers::{new_key, problem, spawn};
use platform::testing::TestBackend;
use reqwest::Method;
use serde_json::json;

async fn explicit_legacy_ids_import_monolith_entities(backend: TestBackend) {
    let app = spawn(backend).await;
    let res = app
        .request(Method::PUT, "/v2/stock/L-1")
        .json(&json!({"name": "Lamp", "unit_price": {"amount": "9.99", "currency": "EUR"}, "legacy_id": 77}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let (status, item) = app.get_json("/v2/stock/by-legacy-id/77").await;
    assert_eq!((status, item["sku"].as_str()), (200, Some("L-1")));
    app.adjust("L-1", 5).await;

    let import = json!({"customer_legacy_id": 3, "legacy_id": 4242,
        "created_at": "2025-01-02T03:04:05Z", "lines": [{"sku": "L-1", "quantity": 1}]});
    let res = app.create_order_with(&new_key(), &import).await;
    assert_eq!(res.status(), 201);
    let order: serde_json::Value = res.json().await.unwrap();
    assert_eq!(order["legacy_id"], 4242);
    assert_eq!(order["created_at"], "2025-01-02T03:04:05Z");
    let (status, found) = app.get_json("/v2/orders/by-legacy-id/4242").await;
    assert_eq!((status, &found["id"]), (200, &order["id"]));

    let p = problem(app.create_order_with(&new_key(), &import).await, 409).await;
    assert!(p["detail"].as_str().unwrap().contains("4242"), "{p}");
    let mut in_range = import.clone();
    in_range["legacy_id"] = json!(1_000_000_000_i64);
    let p = problem(app.create_order_with(&new_key(), &in_range).await, 422).await;
    assert_eq!(p["field"], "legacy_id");
}

async fn assigned_legacy_ids_count_up_from_the_range(backend: TestBackend) {
    let app = spawn(backend).await;
    app.stock("L-2", "1.00", 5).await;
    let a = app.place(&[("L-2", 1)]).await;
    let b = app.place(&[("L-2", 1)]).await;
    let a = a["legacy_id"].as_i64().unwrap();
    assert!(a >= 1_000_000_000, "{a}");
    assert_eq!(b["legacy_id"].as_i64().unwrap(), a + 1);
}

platform::both_backends!(
    explicit_legacy_ids_import_monolith_entities,
    assigned_legacy_ids_count_up_from_the_range
);
