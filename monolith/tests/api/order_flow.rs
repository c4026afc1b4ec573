//! The order flow end to end: customer, stock, order, refund, ship, deliver,
//! read back in the legacy shape.

use crate::helpers::{Port, TestApp, assert_problem};
use platform::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::json;

crate::both_ports!(
    card_order_from_placement_to_delivery,
    invoice_order_is_captured_then_ships,
    cancel_refunds_and_releases
);

async fn card_order_from_placement_to_delivery(backend: TestBackend, port: Port) {
    let app = TestApp::spawn_with(backend, port).await;
    let cust = app.create_customer("Ada Lovelace").await;
    app.stock("W-1", 1999, 5).await;
    app.stock("G-2", 500, 5).await;

    let res = app
        .place_order(
            cust,
            json!([{"sku": "W-1", "qty": 2}, {"sku": "G-2", "qty": 1}]),
            "card",
        )
        .await;
    let order = app.expect(res, StatusCode::CREATED).await;
    assert_eq!(order["st"], "C");
    assert_eq!(order["cur"], "EUR");
    assert_eq!(order["tot"], 2 * 1999 + 500);
    assert_eq!(
        order["lines"][0],
        json!({"sku": "W-1", "qty": 2, "px": 1999, "amt": 3998})
    );
    let crt = order["crt"].as_str().unwrap();
    assert!(
        chrono::NaiveDateTime::parse_from_str(crt, "%Y-%m-%d %H:%M:%S").is_ok(),
        "legacy local time: {crt}"
    );
    assert_eq!(app.item("W-1").await["rsv"], 2);
    assert_eq!(app.item("W-1").await["avl"], 3);

    let id = order["id"].as_i64().unwrap();
    let read = app
        .expect(
            app.get(&format!("/api/v1/orders/{id}")).await,
            StatusCode::OK,
        )
        .await;
    assert_eq!(read, order);
    let list = app
        .expect(
            app.get(&format!("/api/v1/customers/{cust}/orders")).await,
            StatusCode::OK,
        )
        .await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], id);

    let pay = order["pay"].as_i64().unwrap();
    let payment = app.owner_get(&format!("/api/v1/payments/{pay}")).await;
    assert_eq!(
        (
            payment["st"].as_str(),
            payment["cap"].as_i64(),
            payment["rfd"].as_i64()
        ),
        (Some("C"), Some(4498), Some(0))
    );
    let inv = order["inv"].as_i64().unwrap();
    let invoice = app.owner_get(&format!("/api/v1/invoices/{inv}")).await;
    assert_eq!(invoice["st"], "P");
    assert_eq!(invoice["bill"]["ctry"], "GB");
    assert_eq!(invoice["no"], format!("INV-{inv:06}"));

    let res = app
        .post(
            &format!("/api/v1/payments/{pay}/refunds"),
            json!({"amt": 500, "rsn": "scratched"}),
        )
        .await;
    let refund = app.expect(res, StatusCode::CREATED).await;
    assert_eq!(
        (refund["amt"].as_i64(), refund["pay"].as_i64()),
        (Some(500), Some(pay))
    );
    let payment = app.owner_get(&format!("/api/v1/payments/{pay}")).await;
    assert_eq!(
        (payment["st"].as_str(), payment["rfd"].as_i64()),
        (Some("P"), Some(500))
    );

    let res = app
        .post(
            &format!("/api/v1/orders/{id}/shipments"),
            json!({"carr": "DHL"}),
        )
        .await;
    let shipment = app.expect(res, StatusCode::CREATED).await;
    assert_eq!(
        (shipment["st"].as_str(), shipment["dlv"].is_null()),
        (Some("S"), true)
    );
    let w1 = app.item("W-1").await;
    assert_eq!((w1["qty"].as_i64(), w1["rsv"].as_i64()), (Some(3), Some(0)));

    let sid = shipment["id"].as_i64().unwrap();
    let delivered = app
        .expect(
            app.post(&format!("/api/v1/shipments/{sid}/deliver"), json!({}))
                .await,
            StatusCode::OK,
        )
        .await;
    assert_eq!(delivered["st"], "D");
    assert!(delivered["dlv"].is_string());
    let read = app
        .expect(
            app.get(&format!("/api/v1/orders/{id}")).await,
            StatusCode::OK,
        )
        .await;
    assert_eq!(read["st"], "D");

    // Illegal transitions are refused with 409 and the state named.
    assert_problem(
        app.post(&format!("/api/v1/orders/{id}/cancel"), json!({}))
            .await,
        StatusCode::CONFLICT,
        "from status D",
    )
    .await;
    assert_problem(
        app.post(&format!("/api/v1/shipments/{sid}/deliver"), json!({}))
            .await,
        StatusCode::CONFLICT,
        "from status D",
    )
    .await;
    assert_problem(
        app.post(&format!("/api/v1/orders/{id}/capture"), json!({}))
            .await,
        StatusCode::CONFLICT,
        "from status D",
    )
    .await;
}

async fn invoice_order_is_captured_then_ships(backend: TestBackend, port: Port) {
    let app = TestApp::spawn_with(backend, port).await;
    let cust = app.create_customer("Grace Hopper").await;
    app.stock("W-1", 1000, 5).await;
    let order = app
        .expect(
            app.place_order(cust, json!([{"sku": "W-1", "qty": 1}]), "invoice")
                .await,
            StatusCode::CREATED,
        )
        .await;
    assert_eq!(order["st"], "P");
    let id = order["id"].as_i64().unwrap();
    let inv = order["inv"].as_i64().unwrap();
    assert_eq!(
        app.owner_get(&format!("/api/v1/invoices/{inv}")).await["st"],
        "O"
    );

    // An unpaid order cannot ship.
    let res = app
        .post(
            &format!("/api/v1/orders/{id}/shipments"),
            json!({"carr": "UPS"}),
        )
        .await;
    assert_problem(res, StatusCode::CONFLICT, "not paid").await;
    // Nor can an authorised-only payment be refunded.
    let pay = order["pay"].as_i64().unwrap();
    let res = app
        .post(
            &format!("/api/v1/payments/{pay}/refunds"),
            json!({"amt": 1, "rsn": "x"}),
        )
        .await;
    assert_problem(res, StatusCode::CONFLICT, "not captured").await;

    let captured = app
        .expect(
            app.post(&format!("/api/v1/orders/{id}/capture"), json!({}))
                .await,
            StatusCode::OK,
        )
        .await;
    assert_eq!(captured["st"], "C");
    assert_eq!(
        app.owner_get(&format!("/api/v1/invoices/{inv}")).await["st"],
        "P"
    );
    let res = app
        .post(
            &format!("/api/v1/orders/{id}/shipments"),
            json!({"carr": "UPS"}),
        )
        .await;
    app.expect(res, StatusCode::CREATED).await;
}

async fn cancel_refunds_and_releases(backend: TestBackend, port: Port) {
    let app = TestApp::spawn_with(backend, port).await;
    let cust = app.create_customer("Alan Turing").await;
    app.stock("W-1", 700, 4).await;
    let paid = app
        .card_order(cust, json!([{"sku": "W-1", "qty": 3}]))
        .await;
    let pay = paid["pay"].as_i64().unwrap();
    app.expect(
        app.post(
            &format!("/api/v1/payments/{pay}/refunds"),
            json!({"amt": 100, "rsn": "late"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;

    let id = paid["id"].as_i64().unwrap();
    let cancelled = app
        .expect(
            app.post(&format!("/api/v1/orders/{id}/cancel"), json!({}))
                .await,
            StatusCode::OK,
        )
        .await;
    assert_eq!(cancelled["st"], "X");
    let payment = app.owner_get(&format!("/api/v1/payments/{pay}")).await;
    assert_eq!(
        (payment["st"].as_str(), payment["rfd"].as_i64()),
        (Some("R"), Some(2100))
    );
    let refunds = app
        .owner_get(&format!("/api/v1/payments/{pay}/refunds"))
        .await;
    assert_eq!(refunds["total"], 2);
    assert_eq!(refunds["items"][1]["amt"], 2000);
    let inv = paid["inv"].as_i64().unwrap();
    assert_eq!(
        app.owner_get(&format!("/api/v1/invoices/{inv}")).await["st"],
        "C"
    );
    assert_eq!(app.item("W-1").await["rsv"], 0);

    // A pay-on-invoice order cancelled before payment voids both.
    let open = app
        .expect(
            app.place_order(cust, json!([{"sku": "W-1", "qty": 1}]), "invoice")
                .await,
            StatusCode::CREATED,
        )
        .await;
    let id = open["id"].as_i64().unwrap();
    app.expect(
        app.post(&format!("/api/v1/orders/{id}/cancel"), json!({}))
            .await,
        StatusCode::OK,
    )
    .await;
    let pay = open["pay"].as_i64().unwrap();
    assert_eq!(
        app.owner_get(&format!("/api/v1/payments/{pay}")).await["st"],
        "V"
    );
    let inv = open["inv"].as_i64().unwrap();
    assert_eq!(
        app.owner_get(&format!("/api/v1/invoices/{inv}")).await["st"],
        "V"
    );
    let listed = app
        .owner_get(&format!("/api/v1/orders/{id}/payments"))
        .await;
    assert_eq!(listed["items"][0]["id"], pay);
    let listed = app
        .owner_get(&format!("/api/v1/orders/{id}/invoices"))
        .await;
    assert_eq!(listed["items"][0]["id"], inv);
}
