//! An order's whole life over HTTP: stock, place, confirm, ship, deliver;
//! and a cancellation releasing its reservation.

use crate::helpers::{order_body, spawn};
use platform::testing::TestBackend;
use serde_json::json;

async fn order_lifecycle(backend: TestBackend) {
    let app = spawn(backend).await;
    let res = app.put_item("W-1", "12.50", "EUR").await;
    assert_eq!(res.status(), 201);
    assert_eq!(app.adjust("W-1", 10).await.status(), 200);
    assert_eq!(
        app.put_item("W-1", "12.5", "EUR").await.status(),
        200,
        "a second PUT updates"
    );

    let order = app.place(&[("W-1", 3)]).await;
    let id = order["id"].as_str().unwrap().to_owned();
    assert_eq!(order["state"], "pending");
    assert_eq!(
        order["total"],
        json!({"amount": "37.50", "currency": "EUR"})
    );
    assert_eq!(order["lines"][0]["amount"]["amount"], "37.50");
    assert!(order["legacy_id"].as_i64().unwrap() >= 1_000_000_000);
    let item = app.get_item("W-1").await;
    assert_eq!(
        (
            item["on_hand"].as_i64(),
            item["reserved"].as_i64(),
            item["available"].as_i64()
        ),
        (Some(10), Some(3), Some(7))
    );
    assert_eq!(item["reservations"][0]["order_id"], order["id"]);
    assert_eq!(item["reservations"][0]["quantity"], 3);

    let (status, by_legacy) = app
        .get_json(&format!("/v2/orders/by-legacy-id/{}", order["legacy_id"]))
        .await;
    assert_eq!((status, &by_legacy), (200, &order));
    let (_, page) = app
        .get_json("/v2/orders?customer_legacy_id=7&limit=10&offset=0")
        .await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["data"][0], order);

    let res = app.confirm(&id).await;
    assert_eq!(res.status(), 200);
    let confirmed: serde_json::Value = res.json().await.unwrap();
    assert_eq!(confirmed["state"], "confirmed");
    assert_eq!(
        (
            confirmed["payment_legacy_id"].as_i64(),
            confirmed["invoice_legacy_id"].as_i64()
        ),
        (Some(501), Some(601))
    );

    let res = app.ship(&id).await;
    assert_eq!(res.status(), 201);
    let shipment: serde_json::Value = res.json().await.unwrap();
    assert_eq!(shipment["state"], "shipped");
    assert_eq!(shipment["order_id"], order["id"]);
    assert_eq!(shipment["order_legacy_id"], order["legacy_id"]);
    assert!(!shipment["tracking_number"].as_str().unwrap().is_empty());
    assert!(shipment["delivered_at"].is_null());
    let item = app.get_item("W-1").await;
    assert_eq!(
        (item["on_hand"].as_i64(), item["reserved"].as_i64()),
        (Some(7), Some(0)),
        "the shipped units left"
    );
    assert_eq!(item["reservations"], json!([]));
    let (_, shipped) = app.get_json(&format!("/v2/orders/{id}")).await;
    assert_eq!(shipped["state"], "shipped");
    assert_eq!(shipped["shipment_id"], shipment["id"]);

    let res = app.command(&id, "deliver", None).await;
    assert_eq!(res.status(), 200);
    let delivered: serde_json::Value = res.json().await.unwrap();
    assert_eq!(delivered["state"], "delivered");
    let (_, shipment) = app
        .get_json(&format!(
            "/v2/shipments/{}",
            shipment["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(shipment["state"], "delivered");
    assert!(shipment["delivered_at"].is_string());
    let (status, by_legacy) = app
        .get_json(&format!(
            "/v2/shipments/by-legacy-id/{}",
            shipment["legacy_id"]
        ))
        .await;
    assert_eq!((status, by_legacy), (200, shipment));

    let events: Vec<String> = app
        .outbox()
        .await
        .into_iter()
        .filter(|e| e.aggregate_id == id)
        .map(|e| e.event_type)
        .collect();
    assert_eq!(
        events,
        [
            "order.placed",
            "order.confirmed",
            "order.shipped",
            "order.delivered"
        ]
    );
}

async fn cancelling_releases_the_reservation(backend: TestBackend) {
    let app = spawn(backend).await;
    app.stock("C-1", "1.00", 5).await;
    let pending = app.place(&[("C-1", 2)]).await;
    let confirmed = app.place(&[("C-1", 3)]).await;
    assert_eq!(app.get_item("C-1").await["available"], 0);
    assert_eq!(
        app.confirm(confirmed["id"].as_str().unwrap())
            .await
            .status(),
        200
    );
    for order in [&pending, &confirmed] {
        let res = app
            .command(
                order["id"].as_str().unwrap(),
                "cancel",
                Some(json!({"reason": "customer asked"})),
            )
            .await;
        assert_eq!(res.status(), 200);
        let cancelled: serde_json::Value = res.json().await.unwrap();
        assert_eq!(cancelled["state"], "cancelled");
    }
    let item = app.get_item("C-1").await;
    assert_eq!(
        (
            item["on_hand"].as_i64(),
            item["reserved"].as_i64(),
            item["available"].as_i64()
        ),
        (Some(5), Some(0), Some(5))
    );
    // The released units can be ordered again.
    let res = app
        .create_order_with(&crate::helpers::new_key(), &order_body(8, &[("C-1", 5)]))
        .await;
    assert_eq!(res.status(), 201);
}

async fn a_shipment_delivers_its_order(backend: TestBackend) {
    let app = spawn(backend).await;
    app.stock("S-1", "3.00", 1).await;
    let order = app.place(&[("S-1", 1)]).await;
    let id = order["id"].as_str().unwrap();
    app.confirm(id).await;
    let shipment: serde_json::Value = app.ship(id).await.json().await.unwrap();
    let res = app
        .request(
            reqwest::Method::POST,
            &format!("/v2/shipments/{}/deliver", shipment["id"].as_str().unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let (_, order) = app.get_json(&format!("/v2/orders/{id}")).await;
    assert_eq!(order["state"], "delivered");
}

platform::both_backends!(
    order_lifecycle,
    cancelling_releases_the_reservation,
    a_shipment_delivers_its_order
);
