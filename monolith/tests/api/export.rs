//! The export lists: every record once, in id order, page by page, in the
//! shapes the ordinary endpoints serve; bad cursors and sizes are a 400.

use crate::helpers::{TestApp, assert_problem};
use platform::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::{Value, json};

platform::both_backends!(
    export_pages_through_payments_with_their_refunds,
    export_lists_invoices_as_served,
    export_lists_orders_and_shipments_as_served,
    export_lists_stock_by_sku,
    export_refuses_bad_cursors_and_sizes
);

/// Places `n` card orders of one unit of `W-1` at 1000 cents each.
async fn orders(app: &TestApp, n: usize) -> Vec<Value> {
    let cust = app.create_customer("Barbara Liskov").await;
    app.stock("W-1", 1000, 100).await;
    let mut out = Vec::new();
    for _ in 0..n {
        let res = app
            .place_order(cust, json!([{"sku": "W-1", "qty": 1}]), "card")
            .await;
        out.push(app.expect(res, StatusCode::CREATED).await);
    }
    out
}

async fn export_pages_through_payments_with_their_refunds(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let placed = orders(&app, 5).await;
    let second = placed[1]["pay"].as_i64().unwrap();
    for amt in [300, 200] {
        let res = app
            .post(
                &format!("/api/v1/payments/{second}/refunds"),
                json!({"amt": amt, "rsn": "partial"}),
            )
            .await;
        app.expect(res, StatusCode::CREATED).await;
    }

    let mut seen = Vec::new();
    let mut after = 0;
    let mut pages = 0;
    loop {
        let page = app
            .expect(
                app.get(&format!("/api/v1/export/payments?after={after}&limit=2"))
                    .await,
                StatusCode::OK,
            )
            .await;
        pages += 1;
        assert_eq!(page["total"], 5);
        for item in page["items"].as_array().unwrap() {
            let id = item["payment"]["id"].as_i64().unwrap();
            // The record is what the ordinary endpoints serve.
            let one = app
                .expect(
                    app.get(&format!("/api/v1/payments/{id}")).await,
                    StatusCode::OK,
                )
                .await;
            assert_eq!(item["payment"], one);
            let refunds = app
                .expect(
                    app.get(&format!("/api/v1/payments/{id}/refunds")).await,
                    StatusCode::OK,
                )
                .await;
            assert_eq!(item["refunds"], refunds["items"]);
            seen.push(id);
        }
        match page["next"].as_i64() {
            Some(next) => after = next,
            None => break,
        }
    }
    assert_eq!(pages, 3, "5 records, 2 per page");
    let mut expected: Vec<i64> = placed.iter().map(|o| o["pay"].as_i64().unwrap()).collect();
    expected.sort_unstable();
    assert_eq!(seen, expected, "every payment once, in id order");
    let refunded = app
        .expect(
            app.get(&format!(
                "/api/v1/export/payments?after={}&limit=1",
                second - 1
            ))
            .await,
            StatusCode::OK,
        )
        .await;
    let amounts: Vec<&Value> = refunded["items"][0]["refunds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["amt"])
        .collect();
    assert_eq!(amounts, [&json!(300), &json!(200)], "refunds oldest first");
}

async fn export_lists_invoices_as_served(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let placed = orders(&app, 3).await;
    let page = app
        .expect(app.get("/api/v1/export/invoices").await, StatusCode::OK)
        .await;
    assert_eq!(page["next"], Value::Null);
    assert_eq!(page["total"], 3);
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    for (item, order) in items.iter().zip(&placed) {
        let one = app
            .expect(
                app.get(&format!("/api/v1/invoices/{}", order["inv"])).await,
                StatusCode::OK,
            )
            .await;
        assert_eq!(item, &one);
    }
    let past = app
        .expect(
            app.get(&format!("/api/v1/export/invoices?after={}", items[2]["id"]))
                .await,
            StatusCode::OK,
        )
        .await;
    assert_eq!(past["items"], json!([]));
}

async fn export_refuses_bad_cursors_and_sizes(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    for (query, needle) in [
        ("limit=0", "limit must be 1 to 1000, got 0"),
        ("limit=1001", "limit must be 1 to 1000, got 1001"),
        ("after=-1", "after must be 0 or a record id, got -1"),
        ("after=abc", "after must be 0 or a record id, got abc"),
        ("page=2", "page"),
    ] {
        for list in ["payments", "invoices"] {
            assert_problem(
                app.get(&format!("/api/v1/export/{list}?{query}")).await,
                StatusCode::BAD_REQUEST,
                needle,
            )
            .await;
        }
    }
}

async fn export_lists_stock_by_sku(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    for sku in ["b-2", "A-1", "A.0"] {
        let res = app
            .put(
                &format!("/api/v1/inventory/{sku}"),
                json!({"nm": format!("Item {sku}"), "px": 150, "cur": "EUR"}),
            )
            .await;
        assert!(res.status().is_success());
    }
    let first = app
        .expect(
            app.get("/api/v1/export/stock?limit=2").await,
            StatusCode::OK,
        )
        .await;
    let skus = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["sku"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(skus(&first), ["A-1", "A.0"], "byte order");
    assert_eq!(first["next"], "A.0");
    assert_eq!(first["total"], 3);
    let rest = app
        .expect(
            app.get("/api/v1/export/stock?after=A.0&limit=2").await,
            StatusCode::OK,
        )
        .await;
    assert_eq!(skus(&rest), ["b-2"]);
    assert_eq!(rest["next"], Value::Null);
    let one = app
        .expect(app.get("/api/v1/inventory/b-2").await, StatusCode::OK)
        .await;
    assert_eq!(rest["items"][0], one, "as served");
}

async fn export_lists_orders_and_shipments_as_served(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let placed = orders(&app, 3).await;
    let res = app
        .post(
            &format!("/api/v1/orders/{}/shipments", placed[1]["id"]),
            json!({"carr": "DHL"}),
        )
        .await;
    let shipment = app.expect(res, StatusCode::CREATED).await;
    let mut seen = Vec::new();
    let mut after = 0;
    loop {
        let page = app
            .expect(
                app.get(&format!("/api/v1/export/orders?after={after}&limit=2"))
                    .await,
                StatusCode::OK,
            )
            .await;
        for item in page["items"].as_array().unwrap() {
            let id = item["order"]["id"].as_i64().unwrap();
            let one = app
                .expect(
                    app.get(&format!("/api/v1/orders/{id}")).await,
                    StatusCode::OK,
                )
                .await;
            assert_eq!(item["order"], one, "with its lines, as served");
            let shipments = if id == placed[1]["id"].as_i64().unwrap() {
                json!([shipment])
            } else {
                json!([])
            };
            assert_eq!(item["shipments"], shipments, "with its shipments");
            seen.push(id);
        }
        match page["next"].as_i64() {
            Some(n) => after = n,
            None => break,
        }
    }
    let expected: Vec<i64> = placed.iter().map(|o| o["id"].as_i64().unwrap()).collect();
    assert_eq!(seen, expected);
    let shipments = app
        .expect(app.get("/api/v1/export/shipments").await, StatusCode::OK)
        .await;
    assert_eq!(shipments["items"], json!([shipment]));
    assert_eq!(
        (shipments["total"].as_i64(), shipments["next"].as_i64()),
        (Some(1), None)
    );
    assert_problem(
        app.get("/api/v1/export/orders?limit=0").await,
        StatusCode::BAD_REQUEST,
        "limit",
    )
    .await;
    assert_problem(
        app.get("/api/v1/export/shipments?after=-2").await,
        StatusCode::BAD_REQUEST,
        "after",
    )
    .await;
}
