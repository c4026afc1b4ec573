//! A client's mistake is a problem+json with a useful detail, never a 500.

use crate::helpers::{MAX_BODY, new_key, order_body, problem, spawn};
use platform::testing::TestBackend;
use reqwest::Method;
use serde_json::json;

async fn bad_order_requests_are_problems(backend: TestBackend) {
    let app = spawn(backend).await;
    app.stock("B-1", "1.00", 5).await;
    let raw = |body: &'static str| {
        app.request(Method::POST, "/v2/orders")
            .header("Idempotency-Key", new_key())
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    problem(raw("{\"customer_legacy_id\": 1, ").await.unwrap(), 400).await;
    problem(
        raw("{\"customer_legacy_id\": 1, \"lines\": \"x\"}")
            .await
            .unwrap(),
        422,
    )
    .await;
    problem(raw("{\"lines\": []}").await.unwrap(), 422).await;
    let as_text = app
        .request(Method::POST, "/v2/orders")
        .header("Idempotency-Key", new_key())
        .header("content-type", "text/plain")
        .body(order_body(1, &[("B-1", 1)]).to_string())
        .send()
        .await
        .unwrap();
    problem(as_text, 415).await;

    let p = problem(
        app.create_order_with(&new_key(), &order_body(1, &[("B-1", -1)]))
            .await,
        422,
    )
    .await;
    assert_eq!(p["field"], "lines[0].quantity");
    let p = problem(
        app.create_order_with(&new_key(), &order_body(1, &[("B-1", 0)]))
            .await,
        422,
    )
    .await;
    assert_eq!(p["field"], "lines[0].quantity");
    let p = problem(
        app.create_order_with(&new_key(), &order_body(1, &[])).await,
        422,
    )
    .await;
    assert_eq!(p["field"], "lines");
    let p = problem(
        app.create_order_with(&new_key(), &order_body(0, &[("B-1", 1)]))
            .await,
        422,
    )
    .await;
    assert_eq!(p["field"], "customer_legacy_id");
    let p = problem(
        app.create_order_with(&new_key(), &order_body(1, &[("NOPE", 1)]))
            .await,
        422,
    )
    .await;
    assert_eq!(p["field"], "lines[0].sku");
    problem(
        app.create_order_with(&new_key(), &order_body(1, &[("a b", 1)]))
            .await,
        422,
    )
    .await;
    problem(
        app.create_order_with(&new_key(), &order_body(1, &[("B-1", 6)]))
            .await,
        409,
    )
    .await;

    assert_eq!(app.put_item("USD-1", "1.00", "USD").await.status(), 201);
    assert_eq!(app.adjust("USD-1", 5).await.status(), 200);
    let p = problem(
        app.create_order_with(&new_key(), &order_body(1, &[("B-1", 1), ("USD-1", 1)]))
            .await,
        422,
    )
    .await;
    assert!(
        p["detail"].as_str().unwrap().contains("one currency"),
        "{p}"
    );

    let huge = format!(
        "{{\"customer_legacy_id\": 1, \"lines\": [], \"pad\": \"{}\"}}",
        "x".repeat(MAX_BODY)
    );
    let res = app
        .request(Method::POST, "/v2/orders")
        .header("Idempotency-Key", new_key())
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    problem(res, 413).await;
    assert_eq!(
        app.get_item("B-1").await["reserved"],
        0,
        "nothing was written"
    );
}

async fn bad_stock_requests_are_problems(backend: TestBackend) {
    let app = spawn(backend).await;
    problem(app.put_item("X-1", "1.00", "XXX").await, 422).await;
    problem(app.put_item("X-1", "1.001", "EUR").await, 422).await;
    problem(app.put_item("X-1", "-1.00", "EUR").await, 422).await;
    problem(app.put_item("X-1", "1.5", "JPY").await, 422).await;
    let res = app
        .request(Method::PUT, "/v2/stock/X-1")
        .json(&json!({"name": "", "unit_price": {"amount": "1.00", "currency": "EUR"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(res, 422).await["field"], "name");
    problem(app.adjust("X-1", 1).await, 404).await;
    let (status, _) = app.get_json("/v2/stock/X-1").await;
    assert_eq!(status, 404);

    app.stock("X-2", "1.00", 3).await;
    app.place(&[("X-2", 2)]).await;
    let p = problem(app.adjust("X-2", -2).await, 409).await;
    assert_eq!(p["reserved"], 2);
    assert_eq!(app.adjust("X-2", -1).await.status(), 200);
    problem(app.adjust("X-2", 0).await, 422).await;
}

async fn unknown_ids_and_bad_paths_are_404(backend: TestBackend) {
    let app = spawn(backend).await;
    let missing = uuid::Uuid::new_v4();
    for path in [
        format!("/v2/orders/{missing}"),
        "/v2/orders/not-a-uuid".to_owned(),
        "/v2/orders/by-legacy-id/12345".to_owned(),
        format!("/v2/shipments/{missing}"),
        "/v2/shipments/by-legacy-id/5".to_owned(),
        "/v2/stock/by-legacy-id/5".to_owned(),
        "/v2/stock/a%20b".to_owned(),
    ] {
        let res = app.request(Method::GET, &path).send().await.unwrap();
        problem(res, 404).await;
    }
    let res = app.request(Method::GET, "/v2/orders").send().await.unwrap();
    problem(res, 400).await;
    let res = app
        .request(Method::GET, "/v2/orders?customer_legacy_id=1&limit=1000")
        .send()
        .await
        .unwrap();
    problem(res, 400).await;
    let res = app
        .request(Method::POST, &format!("/v2/orders/{missing}/ship"))
        .header("Idempotency-Key", new_key())
        .json(&json!({"carrier": "DHL"}))
        .send()
        .await
        .unwrap();
    problem(res, 404).await;
}

platform::both_backends!(
    bad_order_requests_are_problems,
    bad_stock_requests_are_problems,
    unknown_ids_and_bad_paths_are_404
);
