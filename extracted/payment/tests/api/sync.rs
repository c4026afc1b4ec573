//! Sync with the monolith, the service's half: its writes record their
//! legacy view for the monolith (per-record versions), and the monolith's
//! changes arriving at `POST /inbox` are applied through the import path
//! (no gateway call, no outbox event), once each, in order per record.

use crate::helpers::{TestApp, expect, expect_problem, spawn_app};
use platform::Problem;
use platform::outbox::{self, StoredEvent};
use platform::sync::Change;
use platform::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::{Value, json};

platform::both_backends!(
    each_write_records_its_legacy_view,
    the_monoliths_changes_are_applied_once_in_order_without_side_effects,
    a_monolith_refund_of_a_service_payment_joins_its_stream
);

async fn changes(app: &TestApp, entity: &'static str, key: String) -> Vec<Change> {
    let events: Vec<StoredEvent> = app
        .db
        .read(move |c| outbox::for_aggregate(c, entity, &key).map_err(Problem::from))
        .await
        .unwrap();
    events
        .iter()
        .filter(|e| e.event_type.ends_with(".changed"))
        .map(|e| serde_json::from_str(&e.payload).unwrap())
        .collect()
}

async fn each_write_records_its_legacy_view(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let payment = app.captured_payment(41, "30.00").await;
    expect(app.refund(&payment, "10.00").await, StatusCode::CREATED).await;
    let legacy_id = payment["legacy_id"].as_i64().unwrap();
    let recorded = changes(&app, "payment", legacy_id.to_string()).await;
    let versions: Vec<i64> = recorded.iter().map(|c| c.version).collect();
    assert_eq!(versions, vec![1, 2], "created captured, refunded");
    let last = &recorded[1];
    assert_eq!(last.origin, "new");
    assert_eq!(last.record["payment"]["id"], legacy_id);
    assert_eq!(last.record["payment"]["st"], "P", "{}", last.record);
    assert_eq!(last.record["payment"]["amt"], 3000);
    assert_eq!(last.record["payment"]["rfd"], 1000);
    assert_eq!(last.record["cust"], 77);
    assert_eq!(last.record["refunds"].as_array().unwrap().len(), 1);

    let body = json!({"order_legacy_id": 41, "customer_legacy_id": 77,
        "amount": {"amount": "30.00", "currency": "EUR"},
        "billing": {"name": "Ada", "line1": "1 Lane", "city": "London", "postal_code": "N1", "country": "GB"}});
    let res = app
        .post("/v2/invoices", &body, Some(&crate::helpers::key()), false)
        .await;
    let invoice = expect(res, StatusCode::CREATED).await;
    let inv = changes(&app, "invoice", invoice["legacy_id"].to_string()).await;
    assert_eq!(inv.len(), 1);
    assert_eq!(inv[0].record["st"], "O", "{}", inv[0].record);
}

fn legacy_event(entity: &str, key: i64, version: i64, record: Value) -> Value {
    json!({
        "event_id": uuid::Uuid::new_v4().to_string(),
        "event_type": format!("legacy.{entity}.changed"),
        "aggregate_type": entity,
        "aggregate_id": key.to_string(),
        "occurred_at": "2026-12-07T10:00:00Z",
        "payload": {"origin": "legacy", "entity": entity, "key": key.to_string(),
                    "version": version, "record": record}
    })
}

/// Monolith payment 7 (card, 30.00 captured) with `refunds` (id, amount).
fn payment_7(version: i64, refunds: &[(i64, i64)]) -> Value {
    let rfd: i64 = refunds.iter().map(|r| r.1).sum();
    let st = match rfd {
        0 => "C",
        3000 => "R",
        _ => "P",
    };
    let refunds: Vec<Value> = refunds
        .iter()
        .map(|(id, amt)| {
            json!({"id": id, "pay": 7, "amt": amt, "cur": "EUR", "rsn": "dent",
                                "crt": "2026-12-07 10:05:00"})
        })
        .collect();
    legacy_event(
        "payment",
        7,
        version,
        json!({"payment": {"id": 7, "ord": 3, "amt": 3000, "cur": "EUR", "st": st, "cap": 3000,
                           "rfd": rfd, "pm": "card", "crt": "2026-12-07 10:00:00",
                           "upd": "2026-12-07 10:05:00"},
               "refunds": refunds, "cust": 5}),
    )
}

async fn the_monoliths_changes_are_applied_once_in_order_without_side_effects(
    backend: TestBackend,
) {
    let app = spawn_app(backend).await;
    let gateway_before = payment::gateway::calls();
    let (created, refunded, all) = (
        payment_7(1, &[]),
        payment_7(2, &[(12, 1000)]),
        payment_7(3, &[(12, 1000), (13, 2000)]),
    );
    let early = expect_problem(
        app.post("/inbox", &refunded, None, false).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(
        early["detail"].as_str().unwrap().contains("before v1"),
        "{early}"
    );
    let first = expect(
        app.post("/inbox", &created, None, false).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(first["outcome"], "applied");
    let dup = expect(
        app.post("/inbox", &created, None, false).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(dup["outcome"], "duplicate");
    expect(
        app.post("/inbox", &refunded, None, false).await,
        StatusCode::OK,
    )
    .await;
    expect(app.post("/inbox", &all, None, false).await, StatusCode::OK).await;
    // An old version again, under a new event id: nothing changes.
    expect(
        app.post("/inbox", &payment_7(2, &[(12, 1000)]), None, false)
            .await,
        StatusCode::OK,
    )
    .await;

    let p = expect(app.get("/v2/payments/by-legacy-id/7").await, StatusCode::OK).await;
    assert_eq!(p["status"], "refunded", "{p}");
    assert_eq!(p["refunded"]["amount"], "30.00");
    assert_eq!(p["customer_legacy_id"], 5);
    assert_eq!(p["created_at"], "2026-12-07T10:00:00Z", "UTC kept");
    assert_eq!(app.count("refunds").await, 2);
    assert_eq!(
        payment::gateway::calls(),
        gateway_before,
        "nobody was charged"
    );
    assert_eq!(
        app.count("outbox").await,
        0,
        "nothing published: no echo, no reaction"
    );

    // An invoice: imported, then its status follows.
    let invoice = |version, st| {
        legacy_event(
            "invoice",
            9,
            version,
            json!({"id": 9, "no": "INV-000009", "ord": 3, "cust": 5,
            "amt": 3000, "cur": "EUR", "st": st,
            "bill": {"nm": "Ada", "ln1": "1 Lane", "city": "London", "zip": "N1", "ctry": "GB"},
            "iss": "2026-12-07 10:00:00"}),
        )
    };
    expect(
        app.post("/inbox", &invoice(1, "P"), None, false).await,
        StatusCode::OK,
    )
    .await;
    expect(
        app.post("/inbox", &invoice(2, "C"), None, false).await,
        StatusCode::OK,
    )
    .await;
    let i = expect(app.get("/v2/invoices/by-legacy-id/9").await, StatusCode::OK).await;
    assert_eq!(i["status"], "credited", "{i}");
    assert_eq!(
        app.count("outbox").await + app.count("sync_changes").await,
        0
    );

    // What cannot be translated is refused with the reason, and comes again.
    let mut bad = payment_7(1, &[]);
    bad["payload"]["key"] = json!("8");
    bad["payload"]["record"]["payment"]["id"] = json!(8);
    bad["payload"]["record"]["payment"]["cur"] = json!("XXX");
    let problem = expect_problem(
        app.post("/inbox", &bad, None, false).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(
        problem["detail"].as_str().unwrap().contains("payment 8"),
        "{problem}"
    );
}

async fn a_monolith_refund_of_a_service_payment_joins_its_stream(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let payment = app.captured_payment(50, "20.00").await;
    let legacy_id = payment["legacy_id"].as_i64().unwrap();
    let before = (app.count("outbox").await, app.count("sync_changes").await);
    // After a rollback the monolith took a refund of it (its own refund id).
    let record = json!({"payment": {"id": legacy_id, "ord": 50, "amt": 2000, "cur": "EUR",
        "st": "P", "cap": 2000, "rfd": 500, "pm": "card", "crt": "2026-12-07 10:00:00",
        "upd": "2026-12-07 10:09:00"},
        "refunds": [{"id": 31, "pay": legacy_id, "amt": 500, "cur": "EUR", "rsn": "late",
                     "crt": "2026-12-07 10:09:00"}], "cust": 77});
    let event = legacy_event("payment", legacy_id, 1, record);
    expect(
        app.post("/inbox", &event, None, false).await,
        StatusCode::OK,
    )
    .await;
    let p = expect(
        app.get(&format!("/v2/payments/by-legacy-id/{legacy_id}"))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(p["status"], "partially_refunded", "{p}");
    assert_eq!(
        p["version"],
        payment["version"].as_i64().unwrap() + 1,
        "one event appended"
    );
    let refund = expect(app.get("/v2/refunds/by-legacy-id/31").await, StatusCode::OK).await;
    assert_eq!(refund["amount"]["amount"], "5.00", "{refund}");
    let after = (app.count("outbox").await, app.count("sync_changes").await);
    assert_eq!(after, before, "no reaction, no echo");
}
