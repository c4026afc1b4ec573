//! A customer's orders, paged with limit/offset in legacy-id order.

use crate::helpers::{new_key, problem, spawn};
use platform::testing::TestBackend;
use serde_json::json;

async fn a_customers_orders_page_in_legacy_id_order(backend: TestBackend) {
    let app = spawn(backend).await;
    app.stock("P-1", "1.00", 10).await;
    let import = |legacy_id: i64| json!({"customer_legacy_id": 21, "legacy_id": legacy_id, "lines": [{"sku": "P-1", "quantity": 1}]});
    // Placed out of legacy-id order, plus one the service numbers itself.
    for legacy_id in [30, 10] {
        assert_eq!(
            app.create_order_with(&new_key(), &import(legacy_id))
                .await
                .status(),
            201
        );
    }
    let body = json!({"customer_legacy_id": 21, "lines": [{"sku": "P-1", "quantity": 1}]});
    assert_eq!(app.create_order_with(&new_key(), &body).await.status(), 201);
    app.place(&[("P-1", 1)]).await; // another customer's

    let (status, first) = app
        .get_json("/v2/orders?customer_legacy_id=21&limit=2")
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            first["total"].as_u64(),
            first["limit"].as_u64(),
            first["offset"].as_u64()
        ),
        (Some(3), Some(2), Some(0))
    );
    let ids: Vec<i64> = first["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["legacy_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [10, 30]);
    let (_, rest) = app
        .get_json("/v2/orders?customer_legacy_id=21&limit=2&offset=2")
        .await;
    assert_eq!(rest["data"].as_array().unwrap().len(), 1);
    assert!(rest["data"][0]["legacy_id"].as_i64().unwrap() >= 1_000_000_000);
    let (_, past) = app
        .get_json("/v2/orders?customer_legacy_id=21&offset=18446744073709551615")
        .await;
    assert_eq!(
        (
            past["total"].as_u64(),
            past["data"].as_array().map(Vec::len)
        ),
        (Some(3), Some(0))
    );
    let res = app
        .request(
            reqwest::Method::GET,
            "/v2/orders?customer_legacy_id=21&limit=0",
        )
        .send()
        .await
        .unwrap();
    problem(res, 400).await;
}

platform::both_backends!(a_customers_orders_page_in_legacy_id_order);
