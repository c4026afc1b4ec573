//! Sync with the monolith, the service's half: every command records the
//! legacy view of each order and stock item it changed with the next
//! per-record version (`GET /sync/status` counts them); the monolith's
//! changes arriving at `POST /inbox` are applied once, in order, as they
//! stand there (no reservation, no event), and never published back.

use crate::helpers::{TestApp, problem, spawn};
use platform::sync::Change;
use platform::testing::TestBackend;
use reqwest::Method;
use serde_json::{Value, json};

platform::both_backends!(
    each_command_records_the_legacy_view_of_what_it_changed,
    the_monoliths_orders_and_stock_are_applied_once_in_order_without_echo
);

/// The sync changes in the outbox about `entity` `key`, oldest first.
async fn changes(app: &TestApp, entity: &str, key: &str) -> Vec<Change> {
    let event_type = format!("new.{entity}.changed");
    app.outbox()
        .await
        .into_iter()
        .filter(|e| e.event_type == event_type && e.aggregate_id == key)
        .map(|e| serde_json::from_str(&e.payload).unwrap())
        .collect()
}

async fn each_command_records_the_legacy_view_of_what_it_changed(backend: TestBackend) {
    let app = spawn(backend).await;
    app.stock("W-1", "12.50", 5).await;
    let order = app.place(&[("W-1", 2)]).await;
    let id = order["id"].as_str().unwrap();
    let legacy_id = order["legacy_id"].as_i64().unwrap().to_string();
    assert_eq!(app.confirm(id).await.status(), 200);
    assert_eq!(app.ship(id).await.status(), 201);
    assert_eq!(app.command(id, "deliver", None).await.status(), 200);

    let orders = changes(&app, "order", &legacy_id).await;
    let states: Vec<(i64, &str)> = orders
        .iter()
        .map(|c| (c.version, c.record["order"]["st"].as_str().unwrap()))
        .collect();
    assert_eq!(states, [(1, "P"), (2, "C"), (3, "S"), (4, "D")]);
    assert!(orders.iter().all(|c| c.origin == "new"));
    let last = &orders[3].record;
    assert_eq!(last["order"]["pay"], 501, "{last}");
    assert_eq!(last["order"]["tot"], 2500);
    assert_eq!(
        last["order"]["lines"],
        json!([{"sku": "W-1", "qty": 2, "px": 1250, "amt": 2500}])
    );
    assert_eq!(last["shipments"][0]["st"], "D");
    assert_eq!(last["shipments"][0]["carr"], "DHL");

    let stock = changes(&app, "stock_item", "W-1").await;
    let counts: Vec<(i64, i64, i64)> = stock
        .iter()
        .map(|c| {
            (
                c.version,
                c.record["qty"].as_i64().unwrap(),
                c.record["rsv"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        counts,
        [(1, 0, 0), (2, 5, 0), (3, 5, 2), (4, 3, 0)],
        "defined, adjusted, reserved, shipped"
    );
    assert_eq!(stock[3].record["px"], 1250);

    // The test app relays nowhere: every change waits, and the status says so.
    let (status, sync) = app.get_json("/sync/status").await;
    assert_eq!(status, 200);
    assert_eq!(sync["origin"], "new");
    assert_eq!(sync["pending"], 8, "{sync}");
    assert_eq!(sync["relay"], "off");
}

fn event(entity: &str, key: &str, origin: &str, version: i64, record: Value) -> Value {
    json!({
        "event_id": uuid::Uuid::now_v7().to_string(),
        "event_type": format!("{origin}.{entity}.changed"),
        "aggregate_type": entity,
        "aggregate_id": key,
        "occurred_at": "2026-12-07T10:05:00Z",
        "payload": {"origin": origin, "entity": entity, "key": key, "version": version, "record": record}
    })
}

/// The monolith's order 41: pending, then shipped.
fn legacy_order(version: i64, shipped: bool) -> Value {
    let (st, shipments) = if shipped {
        (
            "S",
            json!([{"id": 77, "ord": 41, "st": "S", "carr": "UPS", "trk": "1Z-41",
                    "crt": "2026-12-07 10:05:00", "dlv": null}]),
        )
    } else {
        ("P", json!([]))
    };
    let record = json!({
        "order": {"id": 41, "cust": 3, "st": st, "cur": "EUR", "tot": 2000,
                  "lines": [{"sku": "L-1", "qty": 2, "px": 1000, "amt": 2000}],
                  "pay": 91, "inv": 92, "crt": "2026-12-07 10:00:00", "upd": "2026-12-07 10:05:00"},
        "shipments": shipments
    });
    event("order", "41", "legacy", version, record)
}

async fn post(app: &TestApp, envelope: &Value) -> reqwest::Response {
    app.request(Method::POST, "/inbox")
        .json(envelope)
        .send()
        .await
        .unwrap()
}

async fn outcome(app: &TestApp, envelope: &Value) -> String {
    let res = post(app, envelope).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let answer: Value = res.json().await.unwrap();
    answer["outcome"].as_str().unwrap().to_owned()
}

async fn the_monoliths_orders_and_stock_are_applied_once_in_order_without_echo(
    backend: TestBackend,
) {
    let app = spawn(backend).await;
    let item = json!({"sku": "L-1", "nm": "Legacy widget", "px": 1000, "cur": "EUR",
                      "qty": 10, "rsv": 2, "avl": 8});
    assert_eq!(
        outcome(&app, &event("stock_item", "L-1", "legacy", 1, item)).await,
        "applied"
    );

    // v2 before v1: refused, so the relay sends it again later.
    let early = problem(post(&app, &legacy_order(2, true)).await, 409).await;
    assert!(
        early["detail"]
            .as_str()
            .unwrap()
            .contains("arrived before v1"),
        "{early}"
    );
    let placed = legacy_order(1, false);
    assert_eq!(outcome(&app, &placed).await, "applied");
    assert_eq!(outcome(&app, &placed).await, "duplicate");
    assert_eq!(outcome(&app, &legacy_order(2, true)).await, "applied");

    let (status, order) = app.get_json("/v2/orders/by-legacy-id/41").await;
    assert_eq!(status, 200, "{order}");
    assert_eq!(order["state"], "shipped");
    assert_eq!(
        (&order["payment_legacy_id"], &order["invoice_legacy_id"]),
        (&json!(91), &json!(92))
    );
    let (_, shipment) = app.get_json("/v2/shipments/by-legacy-id/77").await;
    assert_eq!(shipment["tracking_number"], "1Z-41");
    // The order reserved nothing: the item is as its own record says.
    let stock = app.get_item("L-1").await;
    assert_eq!(
        (&stock["on_hand"], &stock["reserved"]),
        (&json!(10), &json!(2))
    );
    assert_eq!(stock["reservations"], json!([]));

    // No echo, no event: the outbox holds nothing.
    assert!(app.outbox().await.is_empty(), "{:?}", app.outbox().await);
    // Its own change coming back is refused.
    let mut echo = legacy_order(3, true);
    echo["payload"]["origin"] = json!("new");
    let refused = problem(post(&app, &echo).await, 422).await;
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("not applied back"),
        "{refused}"
    );
    // A record the service cannot hold names why.
    let mut bad = legacy_order(3, true);
    bad["payload"]["record"]["order"]["tot"] = json!(1999);
    let refused = problem(post(&app, &bad).await, 422).await;
    assert!(
        refused["detail"].as_str().unwrap().contains("add up"),
        "{refused}"
    );
}
