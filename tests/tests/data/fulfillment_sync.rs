//! Fulfillment synced both ways, with the real monolith and the real
//! fulfillment service over HTTP inboxes: the backfill copies the history,
//! then the monolith's relay starts with what its outbox kept; orders are
//! placed, shipped and cancelled on both sides, each side taking orders for
//! the SKUs whose stock it owns (`W-*` the monolith's, `SVC-1` the
//! service's). Once both outboxes are drained every order is on each side
//! once, each record's published and applied versions are equal, nothing
//! was echoed, and verify finds no difference.

use crate::support::{Sides, count, start_fulfillment_with};
use acl::LegacyClock;
use platform::db::Db;
use platform::relay::{EventsSettings, Relay};
use platform::testing::{TestBackend, TestDatabase};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use strangler_data::backfill;
use strangler_data::source::api::ApiSource;
use strangler_data::target::Service;
use strangler_data::verify;

platform::both_backends!(orders_taken_on_both_sides_end_up_on_both_once);

/// Fast relaying to `inbox`.
fn relaying_to(mut events: EventsSettings, inbox: String) -> EventsSettings {
    events.subscribers = vec![inbox];
    (events.poll_interval_ms, events.max_backoff_ms) = (50, 200);
    events
}

async fn send(client: &reqwest::Client, method: Method, url: String, body: Value) -> Value {
    let res = client
        .request(method, &url)
        .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert!(status.is_success(), "{url}: {status} {body}");
    body
}

/// Waits until neither side has a sync change left to deliver.
async fn drained(client: &reqwest::Client, sides: [&str; 2]) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut pending = Vec::new();
        for side in sides {
            let status: Value = client
                .get(format!("{side}/sync/status"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            pending.push(status["pending"].as_i64().unwrap());
        }
        if pending == [0, 0] {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "sync never caught up: pending {pending:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `(entity, key) → (published, applied)` of one side's `sync_records`.
async fn versions(
    on: &TestDatabase,
    migrations: platform::db::Migrations,
) -> BTreeMap<(String, String), (i64, i64)> {
    let db = Db::connect(&on.settings, migrations).unwrap();
    db.read(|c| {
        use diesel::prelude::*;
        use platform::sync::schema::sync_records as t;
        t::table
            .select((t::entity, t::record_key, t::published, t::applied))
            .load::<(String, String, i64, i64)>(c)
            .map_err(platform::db::DbError::from)
    })
    .await
    .unwrap()
    .into_iter()
    .map(|(e, k, p, a)| ((e, k), (p, a)))
    .collect()
}

async fn orders_taken_on_both_sides_end_up_on_both_once(backend: TestBackend) {
    let sides = Sides::start(backend).await;
    sides.generate(6).await;
    sides.generate_fulfillment().await;
    let monolith = sides.monolith.clone();
    let (service, service_db) = start_fulfillment_with(backend, |f| {
        f.events = relaying_to(f.events.clone(), format!("{monolith}/inbox"));
    })
    .await;
    let to = Service::new(&service).unwrap();
    let api = ApiSource::new(&sides.monolith).unwrap();
    let sum = backfill::fulfillment(&api, &to, &sides.options())
        .await
        .unwrap();
    assert_eq!(sum.dead_letters, 0, "{}", sum.render());

    // Sync on: what the monolith's outbox kept since it started goes first.
    let mut events = monolith::settings::Settings::load(None).unwrap().events;
    events = relaying_to(events, format!("{service}/inbox"));
    let monolith_db = Db::connect(&sides.monolith_db.settings, monolith::migrations()).unwrap();
    let relay = Relay::spawn(monolith_db, &events).unwrap().unwrap();

    let client = &sides.client;
    let cust = sides
        .call(Method::POST, "/api/v1/customers", Some(json!({"nm": "Lin", "eml": "l@example.com",
            "bill": {"nm": "Lin", "ln1": "1 Main St", "city": "Oslo", "zip": "0150", "ctry": "NO"}})))
        .await["id"]
        .as_i64()
        .unwrap();
    // The service's own SKU: defined and stocked there only.
    send(
        client,
        Method::PUT,
        format!("{service}/v2/stock/SVC-1"),
        json!({"name": "Service widget", "unit_price": {"amount": "4.20", "currency": "EUR"}}),
    )
    .await;
    send(
        client,
        Method::POST,
        format!("{service}/v2/stock/SVC-1/adjustments"),
        json!({"delta": 20, "reason": "delivery"}),
    )
    .await;
    let mut service_orders = Vec::new();
    for n in 0..3 {
        let order = send(
            client,
            Method::POST,
            format!("{service}/v2/orders"),
            json!({"customer_legacy_id": cust, "lines": [{"sku": "SVC-1", "quantity": n + 1}]}),
        )
        .await;
        let id = order["id"].as_str().unwrap().to_owned();
        match n {
            0 => {
                send(
                    client,
                    Method::POST,
                    format!("{service}/v2/orders/{id}/confirm"),
                    json!({"payment_legacy_id": null, "invoice_legacy_id": null}),
                )
                .await;
                send(
                    client,
                    Method::POST,
                    format!("{service}/v2/orders/{id}/ship"),
                    json!({"carrier": "UPS"}),
                )
                .await;
            }
            1 => {
                send(
                    client,
                    Method::POST,
                    format!("{service}/v2/orders/{id}/cancel"),
                    json!({}),
                )
                .await;
            }
            _ => {}
        }
        service_orders.push(order["legacy_id"].as_i64().unwrap());
    }
    // The monolith's orders, on its own SKUs, meanwhile.
    let mut monolith_orders = Vec::new();
    for n in 0..3 {
        let order = sides
            .call(
                Method::POST,
                "/api/v1/orders",
                Some(json!({"cust": cust,
                "lines": [{"sku": "W-1", "qty": n + 1}], "pm": "card", "tok": "tok_visa"})),
            )
            .await;
        let id = order["id"].as_i64().unwrap();
        match n {
            0 => {
                sides
                    .call(
                        Method::POST,
                        &format!("/api/v1/orders/{id}/shipments"),
                        Some(json!({"carr": "DHL"})),
                    )
                    .await;
            }
            1 => {
                sides
                    .call(
                        Method::POST,
                        &format!("/api/v1/orders/{id}/cancel"),
                        Some(json!({})),
                    )
                    .await;
            }
            _ => {}
        }
        monolith_orders.push(id);
    }
    drained(client, [&sides.monolith, &service]).await;
    relay.stop().await;

    // Every order once on each side, and every one of them is the same.
    let (mono_count, service_count) = (
        count(&sides.monolith_db, monolith::migrations(), "orders").await,
        count(&service_db, fulfillment::migrations(), "orders").await,
    );
    assert_eq!(mono_count, service_count);
    for id in service_orders.iter().chain(&monolith_orders) {
        sides
            .call(Method::GET, &format!("/api/v1/orders/{id}"), None)
            .await;
        let res = client
            .get(format!("{service}/v2/orders/by-legacy-id/{id}"))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "order {id} on the service");
    }
    assert!(service_orders.iter().all(|id| *id >= 1_000_000_000));
    assert!(monolith_orders.iter().all(|id| *id < 1_000_000_000));
    let svc: Value = sides
        .call(Method::GET, "/api/v1/inventory/SVC-1", None)
        .await;
    assert_eq!((&svc["qty"], &svc["rsv"]), (&json!(19), &json!(3)), "{svc}");

    // What one side published the other applied, version for version.
    let (mono, new) = (
        versions(&sides.monolith_db, monolith::migrations()).await,
        versions(&service_db, fulfillment::migrations()).await,
    );
    let fulfillment_records = |m: &BTreeMap<(String, String), (i64, i64)>| {
        m.iter()
            .filter(|((entity, _), _)| entity == "order" || entity == "stock_item")
            .map(|(k, v)| (k.clone(), *v))
            .collect::<Vec<_>>()
    };
    let (mono, new) = (fulfillment_records(&mono), fulfillment_records(&new));
    assert!(!mono.is_empty() && !new.is_empty());
    for ((key, (published, applied)), side, other) in mono
        .iter()
        .map(|r| (r, "monolith", &new))
        .chain(new.iter().map(|r| (r, "service", &mono)))
    {
        let there = other
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| *v)
            .unwrap_or((0, 0));
        assert_eq!((*published, *applied), (there.1, there.0), "{side} {key:?}");
        // Nothing echoed: each record was published by one side only.
        assert!(*published == 0 || *applied == 0, "{side} {key:?} both ways");
    }

    let clock = LegacyClock::default();
    let mut lines = Vec::new();
    let result = verify::fulfillment(&api, &to, &clock, 50, &mut |d| lines.push(d.line()))
        .await
        .unwrap();
    assert!(result.passed(), "{lines:?}");
}
