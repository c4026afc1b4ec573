//! Sync with the payment service, the monolith's half: each payments write
//! records its change in the outbox with the next per-record version, and
//! the service's changes arriving at `POST /inbox` are applied once, in
//! order, readable through `/api/v1`, and never published back.

use crate::helpers::{TestApp, assert_problem};
use platform::db::Db;
use platform::outbox::{self, StoredEvent};
use platform::sync::Change;
use platform::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::{Value, json};

platform::both_backends!(
    each_payments_write_records_its_change,
    the_services_changes_are_applied_once_in_order_without_echo,
    refunds_both_sides_took_of_one_payment_add_up
);

pub async fn outbox_of(app: &TestApp, entity: &'static str, id: i64) -> Vec<StoredEvent> {
    outbox_of_key(app, entity, id.to_string()).await
}

/// The outbox events of record `key` (a SKU for a stock item).
pub async fn outbox_of_key(app: &TestApp, entity: &'static str, key: String) -> Vec<StoredEvent> {
    let db = Db::connect(&app.database, monolith::migrations()).unwrap();
    db.read(move |c| outbox::for_aggregate(c, entity, &key).map_err(platform::Problem::from))
        .await
        .unwrap()
}

pub fn change(e: &StoredEvent) -> Change {
    serde_json::from_str(&e.payload).unwrap()
}

async fn each_payments_write_records_its_change(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let cust = app.create_customer("Grace Hopper").await;
    app.stock("W-1", 1500, 5).await;
    let order = app
        .card_order(cust, json!([{"sku": "W-1", "qty": 2}]))
        .await;
    let (pay, inv) = (
        order["pay"].as_i64().unwrap(),
        order["inv"].as_i64().unwrap(),
    );
    let refund = app
        .post(
            &format!("/api/v1/payments/{pay}/refunds"),
            json!({"amt": 1000, "rsn": "scratched"}),
        )
        .await;
    app.expect(refund, StatusCode::CREATED).await;
    let cancel = app
        .post(&format!("/api/v1/orders/{}/cancel", order["id"]), json!({}))
        .await;
    app.expect(cancel, StatusCode::OK).await;

    let payments: Vec<Change> = outbox_of(&app, "payment", pay)
        .await
        .iter()
        .map(change)
        .collect();
    let versions: Vec<i64> = payments.iter().map(|c| c.version).collect();
    assert_eq!(versions, vec![1, 2, 3], "charge, refund, cancel");
    assert!(payments.iter().all(|c| c.origin == "legacy"));
    let last = &payments[2].record;
    assert_eq!(last["payment"]["st"], "R", "{last}");
    assert_eq!(last["payment"]["rfd"], 3000);
    assert_eq!(last["cust"], cust);
    let refunds: Vec<i64> = last["refunds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["amt"].as_i64().unwrap())
        .collect();
    assert_eq!(
        refunds,
        vec![1000, 2000],
        "the refund, then the cancellation's"
    );
    // The record is what /api/v1 shows, times in UTC.
    let shown: Value = app
        .get(&format!("/api/v1/payments/{pay}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shown["amt"], last["payment"]["amt"]);
    assert_eq!(shown["st"], last["payment"]["st"]);

    let invoices: Vec<Change> = outbox_of(&app, "invoice", inv)
        .await
        .iter()
        .map(change)
        .collect();
    let states: Vec<(i64, &str)> = invoices
        .iter()
        .map(|c| (c.version, c.record["st"].as_str().unwrap()))
        .collect();
    assert_eq!(
        states,
        vec![(1, "P"), (2, "C")],
        "issued paid, then credited"
    );
    let events = outbox_of(&app, "payment", pay).await;
    assert!(
        events
            .iter()
            .all(|e| e.event_type == "legacy.payment.changed")
    );
}

/// A payment the service created (id from its range) with one refund.
fn service_payment(version: i64, refunds: &[(i64, i64)]) -> Value {
    let rfd: i64 = refunds.iter().map(|(_, amt)| amt).sum();
    let st = if rfd == 0 { "C" } else { "P" };
    let refunds: Vec<Value> = refunds
        .iter()
        .map(|(id, amt)| {
            json!({"id": id, "pay": 1_000_000_007_i64, "amt": amt, "cur": "EUR",
                   "rsn": "changed mind", "crt": "2026-12-07 10:05:00"})
        })
        .collect();
    json!({
        "event_id": uuid::Uuid::new_v4().to_string(),
        "event_type": "new.payment.changed",
        "aggregate_type": "payment",
        "aggregate_id": "1000000007",
        "occurred_at": "2026-12-07T10:05:00Z",
        "payload": {
            "origin": "new", "entity": "payment", "key": "1000000007", "version": version,
            "record": {
                "payment": {"id": 1_000_000_007_i64, "ord": 42, "amt": 5000, "cur": "EUR", "st": st,
                            "cap": 5000, "rfd": rfd, "pm": "card",
                            "crt": "2026-12-07 10:00:00", "upd": "2026-12-07 10:05:00"},
                "refunds": refunds,
                "cust": 3
            }
        }
    })
}

async fn the_services_changes_are_applied_once_in_order_without_echo(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let created = service_payment(1, &[]);
    let refunded = service_payment(2, &[(1_000_000_001, 1200)]);

    // v2 before v1: refused, so the relay sends it again later.
    assert_problem(
        app.post("/inbox", refunded.clone()).await,
        StatusCode::CONFLICT,
        "arrived before v1",
    )
    .await;
    let first = app
        .expect(app.post("/inbox", created.clone()).await, StatusCode::OK)
        .await;
    assert_eq!(first["outcome"], "applied");
    let again = app
        .expect(app.post("/inbox", created.clone()).await, StatusCode::OK)
        .await;
    assert_eq!(again["outcome"], "duplicate");
    app.expect(app.post("/inbox", refunded.clone()).await, StatusCode::OK)
        .await;
    // v1 again under a new event id (a replay): older than what is applied.
    let mut replay = created.clone();
    replay["event_id"] = json!(uuid::Uuid::new_v4().to_string());
    app.expect(app.post("/inbox", replay).await, StatusCode::OK)
        .await;

    let payment: Value = app
        .get("/api/v1/payments/1000000007")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(payment["st"], "P", "{payment}");
    assert_eq!(payment["rfd"], 1200);
    assert_eq!(payment["crt"], "2026-12-07 11:00:00", "UTC in, Berlin out");
    let refunds: Value = app
        .get("/api/v1/payments/1000000007/refunds")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(refunds["items"].as_array().unwrap().len(), 1, "{refunds}");
    assert_eq!(refunds["items"][0]["id"], 1_000_000_001_i64);

    // No echo: nothing of it is published back.
    assert!(outbox_of(&app, "payment", 1_000_000_007).await.is_empty());

    // The monolith's own next ids stay below the service's range.
    let cust = app.create_customer("Ada").await;
    app.stock("W-1", 1000, 2).await;
    let order = app
        .card_order(cust, json!([{"sku": "W-1", "qty": 1}]))
        .await;
    assert!(order["pay"].as_i64().unwrap() < 1_000_000_000, "{order}");
    let own = app
        .post(
            &format!("/api/v1/payments/{}/refunds", order["pay"]),
            json!({"amt": 100, "rsn": "dent"}),
        )
        .await;
    let own = app.expect(own, StatusCode::CREATED).await;
    assert!(own["id"].as_i64().unwrap() < 1_000_000_000, "{own}");

    // A change that is not a sync record names what is wrong.
    let mut bad = service_payment(3, &[]);
    bad["payload"]["record"]["payment"]["st"] = json!("X");
    assert_problem(
        app.post("/inbox", bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "payment.st",
    )
    .await;
}

/// A rollback while the service's last refund was still in its outbox: the
/// monolith took a refund of the same payment meanwhile, and the service's
/// record (its own refund only, `rfd` counting it alone) arrives after. The
/// monolith keeps both refunds and its total is theirs, so the record it
/// publishes next adds up (the service refuses one whose refunds do not).
async fn refunds_both_sides_took_of_one_payment_add_up(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let cust = app.create_customer("Ada").await;
    app.stock("W-1", 5000, 2).await;
    let order = app
        .card_order(cust, json!([{"sku": "W-1", "qty": 1}]))
        .await;
    let pay = order["pay"].as_i64().unwrap();
    let refunds_path = format!("/api/v1/payments/{pay}/refunds");
    let refund = |amt: i64| app.post(&refunds_path, json!({"amt": amt, "rsn": "dent"}));
    app.expect(refund(100).await, StatusCode::CREATED).await;
    let shown: Value = app
        .get(&format!("/api/v1/payments/{pay}"))
        .await
        .json()
        .await
        .unwrap();

    // The service's change: the payment as it had it, with its refund only.
    let mut record = json!({"payment": shown, "cust": cust, "refunds": [
        {"id": 1_000_000_001_i64, "pay": pay, "amt": 200, "cur": "EUR", "rsn": "late",
         "crt": "2026-12-07 10:05:00"}]});
    record["payment"]["rfd"] = json!(200);
    for field in ["crt", "upd"] {
        record["payment"][field] = json!("2026-12-07 10:00:00");
    }
    let event = json!({
        "event_id": uuid::Uuid::new_v4().to_string(),
        "event_type": "new.payment.changed",
        "aggregate_type": "payment",
        "aggregate_id": pay.to_string(),
        "occurred_at": "2026-12-07T10:05:00Z",
        "payload": {"origin": "new", "entity": "payment", "key": pay.to_string(),
                    "version": 1, "record": record}
    });
    app.expect(app.post("/inbox", event).await, StatusCode::OK)
        .await;

    let payment: Value = app
        .get(&format!("/api/v1/payments/{pay}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (payment["rfd"].as_i64(), payment["st"].as_str()),
        (Some(300), Some("P")),
        "{payment}"
    );
    app.expect(refund(50).await, StatusCode::CREATED).await;
    let published = outbox_of(&app, "payment", pay).await;
    let last = change(published.last().unwrap()).record;
    let refunds: i64 = last["refunds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["amt"].as_i64().unwrap())
        .sum();
    assert_eq!(
        (last["payment"]["rfd"].as_i64(), refunds),
        (Some(350), 350),
        "{last}"
    );
}
