//! Sync with the fulfillment service, the monolith's half: each order and
//! inventory write records the whole order (lines, shipments) or stock item
//! in the outbox with the next per-record version, in the legacy export
//! shape; the service's changes arriving at `POST /inbox` are applied once,
//! in order, as they stand (no reservation), and never published back.

use crate::helpers::{TestApp, assert_problem};
use crate::sync::{change, outbox_of, outbox_of_key};
use platform::sync::Change;
use platform::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::{Value, json};

platform::both_backends!(
    each_fulfillment_write_records_its_change,
    the_services_orders_and_stock_are_applied_once_in_order_without_echo
);

async fn changes(app: &TestApp, entity: &'static str, key: &str) -> Vec<Change> {
    let events = outbox_of_key(app, entity, key.to_owned()).await;
    let expected = format!("legacy.{entity}.changed");
    assert!(events.iter().all(|e| e.event_type == expected));
    events.iter().map(change).collect()
}

async fn each_fulfillment_write_records_its_change(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let cust = app.create_customer("Grace Hopper").await;
    app.stock("W-1", 1500, 5).await;
    let order = app
        .card_order(cust, json!([{"sku": "W-1", "qty": 2}]))
        .await;
    let id = order["id"].as_i64().unwrap();
    let shipment = app
        .post(
            &format!("/api/v1/orders/{id}/shipments"),
            json!({"carr": "DHL"}),
        )
        .await;
    let shipment = app.expect(shipment, StatusCode::CREATED).await;
    let delivered = app
        .post(
            &format!("/api/v1/shipments/{}/deliver", shipment["id"]),
            json!({}),
        )
        .await;
    app.expect(delivered, StatusCode::OK).await;

    let orders = changes(&app, "order", &id.to_string()).await;
    let states: Vec<(i64, &str)> = orders
        .iter()
        .map(|c| (c.version, c.record["order"]["st"].as_str().unwrap()))
        .collect();
    assert_eq!(
        states,
        vec![(1, "C"), (2, "S"), (3, "D")],
        "placed and paid in one transaction, shipped, delivered"
    );
    assert!(
        orders
            .iter()
            .all(|c| c.origin == "legacy" && c.key == id.to_string())
    );
    // The record is the export's, times in UTC (the export shows Berlin's).
    let export: Value = app
        .get("/api/v1/export/orders?limit=10")
        .await
        .json()
        .await
        .unwrap();
    let mut last = orders[2].record.clone();
    let mut shown = export["items"][0].clone();
    for v in [&mut last, &mut shown] {
        for key in ["crt", "upd"] {
            v["order"][key] = Value::Null;
        }
        v["shipments"][0]["crt"] = Value::Null;
        v["shipments"][0]["dlv"] = Value::Null;
    }
    assert_eq!(last, shown);
    assert_eq!(orders[2].record["shipments"][0]["st"], "D");

    let stock = changes(&app, "stock_item", "W-1").await;
    let counts: Vec<(i64, i64, i64)> = stock
        .iter()
        .map(|c| {
            let r = &c.record;
            (
                c.version,
                r["qty"].as_i64().unwrap(),
                r["rsv"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        counts,
        vec![(1, 0, 0), (2, 5, 0), (3, 5, 2), (4, 3, 0)],
        "defined, adjusted, reserved, shipped"
    );
    assert_eq!(stock[3].record, app.item("W-1").await);

    // The test app relays nowhere: every change waits. `GET /sync/status`
    // counts them all; by data context (what the proxy asks, the route's
    // `data`) each counts only its own, so one context's backlog does not
    // hold the other's handover or retirement.
    let app = &app;
    let pending = |query: &'static str| async move {
        let res = app.get(&format!("/sync/status{query}")).await;
        app.expect(res, StatusCode::OK).await["pending"]
            .as_i64()
            .unwrap()
    };
    let all = pending("").await;
    let fulfillment = pending("?context=fulfillment").await;
    let payments = pending("?context=payments").await;
    assert_eq!(fulfillment, (orders.len() + stock.len()) as i64);
    assert!(
        payments > 0,
        "the card order's payment and invoice wait too"
    );
    assert_eq!(payments + fulfillment, all);
    let unknown = app.get("/sync/status?context=billing").await;
    let detail = assert_problem(unknown, StatusCode::NOT_FOUND, "no data context `billing`").await;
    assert!(
        detail["detail"].as_str().unwrap().contains("`payments`"),
        "{detail}"
    );
}

fn event(entity: &str, key: &str, version: i64, record: Value) -> Value {
    json!({
        "event_id": uuid::Uuid::new_v4().to_string(),
        "event_type": format!("new.{entity}.changed"),
        "aggregate_type": entity,
        "aggregate_id": key,
        "occurred_at": "2026-12-07T10:05:00Z",
        "payload": {"origin": "new", "entity": entity, "key": key, "version": version, "record": record}
    })
}

/// Order 1 000 000 003 of the service, pending, then shipped.
fn service_order(version: i64, shipped: bool) -> Value {
    let (st, shipments) = if shipped {
        (
            "S",
            json!([{"id": 1_000_000_004_i64, "ord": 1_000_000_003_i64, "st": "S", "carr": "UPS",
                    "trk": "1Z-9", "crt": "2026-12-07 10:05:00", "dlv": null}]),
        )
    } else {
        ("P", json!([]))
    };
    let record = json!({
        "order": {"id": 1_000_000_003_i64, "cust": 3, "st": st, "cur": "EUR", "tot": 2000,
                  "lines": [{"sku": "S-9", "qty": 2, "px": 1000, "amt": 2000}],
                  "pay": if shipped { json!(1_000_000_005_i64) } else { Value::Null },
                  "inv": null, "crt": "2026-12-07 10:00:00", "upd": "2026-12-07 10:05:00"},
        "shipments": shipments
    });
    event("order", "1000000003", version, record)
}

async fn the_services_orders_and_stock_are_applied_once_in_order_without_echo(
    backend: TestBackend,
) {
    let app = TestApp::spawn(backend).await;
    let item = event(
        "stock_item",
        "S-9",
        1,
        json!({"sku": "S-9", "nm": "Service widget", "px": 1000, "cur": "EUR",
               "qty": 10, "rsv": 2, "avl": 8}),
    );
    let ok = |res| app.expect(res, StatusCode::OK);
    assert_eq!(
        ok(app.post("/inbox", item.clone()).await).await["outcome"],
        "applied"
    );

    // v2 before v1: refused, so the relay sends it again later.
    assert_problem(
        app.post("/inbox", service_order(2, true)).await,
        StatusCode::CONFLICT,
        "arrived before v1",
    )
    .await;
    let placed = service_order(1, false);
    assert_eq!(
        ok(app.post("/inbox", placed.clone()).await).await["outcome"],
        "applied"
    );
    assert_eq!(
        ok(app.post("/inbox", placed).await).await["outcome"],
        "duplicate"
    );
    ok(app.post("/inbox", service_order(2, true)).await).await;

    let order: Value = app
        .get("/api/v1/orders/1000000003")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(order["st"], "S", "{order}");
    assert_eq!(order["pay"], 1_000_000_005_i64);
    assert_eq!(order["crt"], "2026-12-07 11:00:00", "UTC in, Berlin out");
    let shipment: Value = app
        .get("/api/v1/shipments/1000000004")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&shipment["ord"], &shipment["trk"]),
        (&json!(1_000_000_003_i64), &json!("1Z-9"))
    );
    // The order moved no stock: the item is as its own record says.
    let stock = app.item("S-9").await;
    assert_eq!(
        (&stock["qty"], &stock["rsv"], &stock["avl"]),
        (&json!(10), &json!(2), &json!(8))
    );

    // No echo: nothing of it is published back.
    assert!(outbox_of(&app, "order", 1_000_000_003).await.is_empty());
    assert!(
        outbox_of_key(&app, "stock_item", "S-9".into())
            .await
            .is_empty()
    );

    // The monolith's own next order and shipment ids stay below the range.
    let cust = app.create_customer("Ada").await;
    app.stock("W-1", 1000, 2).await;
    let own = app
        .card_order(cust, json!([{"sku": "W-1", "qty": 1}]))
        .await;
    assert!(own["id"].as_i64().unwrap() < 1_000_000_000, "{own}");
    let shipped = app
        .post(
            &format!("/api/v1/orders/{}/shipments", own["id"]),
            json!({"carr": "DHL"}),
        )
        .await;
    let shipped = app.expect(shipped, StatusCode::CREATED).await;
    assert!(shipped["id"].as_i64().unwrap() < 1_000_000_000, "{shipped}");

    // A record the monolith cannot hold names what is wrong.
    let mut bad = service_order(3, true);
    bad["payload"]["record"]["order"]["st"] = json!("Q");
    assert_problem(
        app.post("/inbox", bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "order.st",
    )
    .await;
}
