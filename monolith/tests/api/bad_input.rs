//! Every class of client mistake gets a problem+json with the right status and a
//! detail that says what was wrong, and writes nothing.

use crate::helpers::{TestApp, assert_problem};
use platform::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::json;

platform::both_backends!(client_mistakes_get_clear_problems);

async fn client_mistakes_get_clear_problems(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let cust = app.create_customer("Radia Perlman").await;
    app.stock("W-1", 1000, 5).await;
    let raw = |body: &'static str| {
        app.client
            .post(app.url("/api/v1/orders"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };

    // 400: not JSON at all.
    assert_problem(
        raw("{\"cust\": 1,").await.unwrap(),
        StatusCode::BAD_REQUEST,
        "not valid JSON",
    )
    .await;
    // 422: JSON of the wrong shape.
    assert_problem(
        raw("{\"cust\": \"one\", \"lines\": [], \"pm\": \"card\"}")
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid type: string \"one\", expected i64",
    )
    .await;
    assert_problem(
        raw("{\"lines\": [], \"pm\": \"card\"}").await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "missing field `cust`",
    )
    .await;
    assert_problem(
        raw("{\"cust\": 1, \"lines\": [], \"pm\": \"card\", \"extra\": 1}")
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown field `extra`",
    )
    .await;
    // 422: values that break a rule.
    let order = |lines, pm: &str| {
        app.post(
            "/api/v1/orders",
            json!({"cust": cust, "lines": lines, "pm": pm}),
        )
    };
    assert_problem(
        order(json!([{"sku": "W-1", "qty": -1}]), "card").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "lines[0].qty",
    )
    .await;
    assert_problem(
        order(json!([{"sku": "NOPE", "qty": 1}]), "card").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not in the inventory",
    )
    .await;
    assert_problem(
        order(json!([{"sku": "W-1", "qty": 1}]), "cash").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "pm must be",
    )
    .await;
    assert_problem(
        app.post(
            "/api/v1/orders",
            json!({"cust": 424242, "lines": [{"sku": "W-1", "qty": 1}], "pm": "card"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "cust 424242 does not exist",
    )
    .await;
    // Overflowing amounts: a number beyond i64, and a product that overflows.
    assert_problem(raw("{\"cust\": 1, \"lines\": [{\"sku\": \"W-1\", \"qty\": 99999999999999999999}], \"pm\": \"card\"}").await.unwrap(), StatusCode::UNPROCESSABLE_ENTITY, "lines[0].qty").await;
    app.put(
        "/api/v1/inventory/HUGE",
        json!({"nm": "huge", "px": i64::MAX / 2, "cur": "EUR"}),
    )
    .await;
    app.post(
        "/api/v1/inventory/HUGE/adjust",
        json!({"dq": 10, "rsn": "x"}),
    )
    .await;
    assert_problem(
        order(json!([{"sku": "HUGE", "qty": 3}]), "card").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "overflows",
    )
    .await;
    // Unknown currency and negative price.
    assert_problem(
        app.put(
            "/api/v1/inventory/W-2",
            json!({"nm": "w", "px": 100, "cur": "XYZ"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "cur `XYZ`",
    )
    .await;
    assert_problem(
        app.put(
            "/api/v1/inventory/W-2",
            json!({"nm": "w", "px": -1, "cur": "EUR"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "px must not be negative",
    )
    .await;
    assert_problem(
        app.get("/api/v1/inventory/W-2").await,
        StatusCode::NOT_FOUND,
        "item W-2",
    )
    .await;
    // Unknown ids and non-numeric ids.
    assert_problem(
        app.get("/api/v1/orders/777").await,
        StatusCode::NOT_FOUND,
        "order 777",
    )
    .await;
    assert_problem(
        app.get("/api/v1/customers/abc").await,
        StatusCode::NOT_FOUND,
        "/api/v1/customers/abc",
    )
    .await;
    assert_problem(
        app.get("/api/v1/nothing-here").await,
        StatusCode::NOT_FOUND,
        "no resource",
    )
    .await;
    // Stock below reserved is a conflict.
    app.expect(
        order(json!([{"sku": "W-1", "qty": 4}]), "card").await,
        StatusCode::CREATED,
    )
    .await;
    assert_problem(
        app.post(
            "/api/v1/inventory/W-1/adjust",
            json!({"dq": -2, "rsn": "loss"}),
        )
        .await,
        StatusCode::CONFLICT,
        "below the 4 reserved",
    )
    .await;
    // Bad pagination.
    assert_problem(
        app.get("/api/v1/customers?per_page=1000").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "per_page",
    )
    .await;
    assert_problem(
        app.get("/api/v1/customers?page=x").await,
        StatusCode::BAD_REQUEST,
        "query",
    )
    .await;
    // 413: larger than server.max_body_bytes.
    let big = format!(
        "{{\"nm\": \"{}\", \"eml\": \"a@b.cd\", \"bill\": {{}}}}",
        "x".repeat(70_000)
    );
    let res = app
        .client
        .post(app.url("/api/v1/customers"))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::PAYLOAD_TOO_LARGE, "larger than the limit").await;
    // 415: not JSON content.
    let res = app
        .client
        .post(app.url("/api/v1/customers"))
        .header("content-type", "text/plain")
        .body("hi")
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::UNSUPPORTED_MEDIA_TYPE, "JSON").await;
    // A method no route serves: a problem naming method and path.
    let res = app
        .client
        .delete(app.url("/api/v1/customers"))
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::NOT_FOUND, "DELETE /api/v1/customers").await;
    // Bad customers.
    let bad = json!({"nm": "A", "eml": "not-an-email", "bill": {"nm": "A", "ln1": "1", "city": "B", "zip": "1", "ctry": "DE"}});
    assert_problem(
        app.post("/api/v1/customers", bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "eml",
    )
    .await;

    // None of it wrote anything: still one customer, one order, W-1 as left.
    let customers = app
        .expect(app.get("/api/v1/customers").await, StatusCode::OK)
        .await;
    assert_eq!(customers["total"], 1);
    let orders = app
        .expect(
            app.get(&format!("/api/v1/customers/{cust}/orders")).await,
            StatusCode::OK,
        )
        .await;
    assert_eq!(orders["total"], 1);
    assert_eq!(app.item("W-1").await["qty"], 5);
}
