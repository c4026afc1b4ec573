//! Backfill and verify of `fulfillment` (stock items by SKU, orders with
//! their lines and shipments): the legacy view of every backfilled record
//! equals what the monolith serves; a rerun writes nothing; nothing is
//! published; both sources agree; an untranslatable record is a dead letter
//! and nothing of it is written; verify names a planted difference.

use crate::support::{Sides, count, ok_json, start_fulfillment};
use acl::LegacyClock;
use acl::parity::{Entity, compare};
use platform::testing::TestBackend;
use serde_json::Value;
use strangler_data::backfill;
use strangler_data::source::api::ApiSource;
use strangler_data::source::sql::SqlSource;
use strangler_data::source::{LegacyKey, LegacySource};
use strangler_data::target::Service;
use strangler_data::verify;

platform::both_backends!(
    every_backfilled_fulfillment_record_reads_as_the_monolith_serves_it,
    both_sources_agree_and_a_dead_letter_leaves_nothing
);

/// GETs `path` on `base`, as bytes (what the parity comparison reads).
async fn bytes(sides: &Sides, base: &str, path: &str) -> Vec<u8> {
    let res = sides
        .client
        .get(format!("{base}{path}"))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{base}{path}: {}", res.status());
    res.bytes().await.unwrap().to_vec()
}

async fn every_backfilled_fulfillment_record_reads_as_the_monolith_serves_it(backend: TestBackend) {
    let sides = Sides::start(backend).await;
    sides.generate(10).await;
    sides.generate_fulfillment().await;
    let (service, service_db) = start_fulfillment(backend).await;
    let rows = |table| count(&service_db, fulfillment::migrations(), table);
    let to = Service::new(&service).unwrap();
    let api = ApiSource::new(&sides.monolith).unwrap();
    let (items, orders) = (4, 11);

    let dry = backfill::fulfillment(
        &api,
        &to,
        &backfill::Options {
            dry_run: true,
            ..sides.options()
        },
    )
    .await
    .unwrap();
    assert_eq!(dry.read, items + orders, "{}", dry.render());
    assert_eq!(
        (rows("stock_items").await, rows("orders").await),
        (0, 0),
        "a dry run keeps nothing"
    );

    let sum = backfill::fulfillment(&api, &to, &sides.options())
        .await
        .unwrap();
    assert_eq!(
        (
            sum.read,
            sum.imported,
            sum.already_imported,
            sum.dead_letters
        ),
        (items + orders, items + orders, 0, 0),
        "{}",
        sum.render()
    );
    assert_eq!(rows("outbox").await, 0, "a backfill publishes nothing");

    let clock = LegacyClock::default();
    let export = ok_json(
        sides
            .client
            .get(format!(
                "{}/api/v1/export/orders?limit=1000",
                sides.monolith
            ))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let mut shipped = Vec::new();
    for item in export["items"].as_array().unwrap() {
        let id = &item["order"]["id"];
        let legacy = bytes(&sides, &sides.monolith, &format!("/api/v1/orders/{id}")).await;
        let new = bytes(&sides, &service, &format!("/v2/orders/by-legacy-id/{id}")).await;
        assert_eq!(
            compare(Entity::Order, &clock, &legacy, &new).unwrap(),
            [],
            "order {id}"
        );
        for s in item["shipments"].as_array().unwrap() {
            let sid = &s["id"];
            let legacy = bytes(&sides, &sides.monolith, &format!("/api/v1/shipments/{sid}")).await;
            let new = bytes(
                &sides,
                &service,
                &format!("/v2/shipments/by-legacy-id/{sid}"),
            )
            .await;
            let diff = compare(Entity::Shipment, &clock, &legacy, &new).unwrap();
            assert_eq!(diff, [], "shipment {sid}");
            shipped.push((sid.as_i64().unwrap(), s["dlv"].is_null()));
        }
    }
    assert!(
        shipped.iter().any(|s| s.1) && shipped.iter().any(|s| !s.1),
        "shipped and delivered: {shipped:?}"
    );
    for sku in ["W-1", "W-2", "W-3", "odd_sku.1"] {
        let legacy = bytes(&sides, &sides.monolith, &format!("/api/v1/inventory/{sku}")).await;
        let new = bytes(&sides, &service, &format!("/v2/stock/{sku}")).await;
        assert_eq!(
            compare(Entity::Item, &clock, &legacy, &new).unwrap(),
            [],
            "item {sku}"
        );
    }

    // From the start again: everything is there, nothing is written.
    let reservations = rows("reservations").await;
    let restart = backfill::fulfillment(
        &api,
        &to,
        &backfill::Options {
            from_start: true,
            ..sides.options()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (restart.imported, restart.already_imported),
        (0, items + orders)
    );
    assert!(
        restart
            .render()
            .contains("15 already imported (nothing written)")
    );
    assert_eq!(rows("reservations").await, reservations);

    let sql = SqlSource::open(sides.monolith_db.url(), clock).unwrap();
    for page in [2, 50] {
        let clean = verify::fulfillment(&sql, &to, &clock, page, &mut |_| {})
            .await
            .unwrap();
        assert!(clean.passed(), "{clean:?}");
        assert_eq!(
            clean.matching_records,
            items + orders + shipped.len() as u64
        );
    }

    let (sid, _) = shipped[0];
    let plant: &'static str = Box::leak(
        format!(
            "UPDATE stock_items SET name = 'Renamed' WHERE sku = 'W-2'; \
             UPDATE shipments SET carrier = 'Other' WHERE legacy_id = {sid}"
        )
        .into_boxed_str(),
    );
    sides
        .sql(&service_db, plant, fulfillment::migrations())
        .await;
    let mut lines = Vec::new();
    let found = verify::fulfillment(&api, &to, &clock, 3, &mut |d| lines.push(d.line()))
        .await
        .unwrap();
    assert!(!found.passed());
    assert_eq!(found.differing_records, 2, "{lines:?}");
    let named: Vec<(String, LegacyKey, Option<String>)> = found
        .differences
        .iter()
        .map(|d| (d.entity.clone(), d.legacy_id.clone(), d.field.clone()))
        .collect();
    assert_eq!(
        named,
        [
            (
                "stock item".into(),
                LegacyKey::from("W-2"),
                Some("$.nm".into())
            ),
            ("shipment".into(), LegacyKey::Id(sid), Some("$.carr".into())),
        ]
    );
    assert!(
        lines[0].starts_with("stock item W-2 $.nm: legacy \"W-2\""),
        "{lines:?}"
    );
}

async fn both_sources_agree_and_a_dead_letter_leaves_nothing(backend: TestBackend) {
    let sides = Sides::start(backend).await;
    sides.generate(6).await;
    sides.generate_fulfillment().await;
    let api = ApiSource::new(&sides.monolith).unwrap();
    let sql = SqlSource::open(sides.monolith_db.url(), LegacyClock::default()).unwrap();
    for after in ["", "W-1"] {
        assert_eq!(
            api.stock(after, 2).await.unwrap(),
            sql.stock(after, 2).await.unwrap()
        );
    }
    for after in [0, 3] {
        assert_eq!(
            api.orders(after, 2).await.unwrap(),
            sql.orders(after, 2).await.unwrap()
        );
    }

    // A currency the ACL does not support on an order, and a SKU the new
    // model does not accept, planted in the legacy tables.
    sides
        .sql(
            &sides.monolith_db,
            "UPDATE orders SET currency = 'XAU' WHERE id = 2; \
             INSERT INTO items (sku, name, unit_price, currency, on_hand, reserved, updated_at) \
             VALUES ('BAD SKU', 'x', 1, 'EUR', 0, 0, '2025-01-01 00:00:00')",
            monolith::migrations(),
        )
        .await;
    let page = api.stock("B", 1).await.unwrap();
    assert_eq!(
        page.items[0].id,
        LegacyKey::from("BAD SKU"),
        "a cursor beyond the SKU alphabet"
    );
    let (service, service_db) = start_fulfillment(backend).await;
    let to = Service::new(&service).unwrap();
    let sum = backfill::fulfillment(&sql, &to, &sides.options())
        .await
        .unwrap();
    assert_eq!(sum.dead_letters, 2, "{}", sum.render());
    let letters = std::fs::read_to_string(&sum.dead_letter_file).unwrap();
    let letters: Vec<Value> = letters
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        (
            letters[0]["entity"].as_str(),
            letters[0]["legacy_id"].as_str()
        ),
        (Some("stock item"), Some("BAD SKU"))
    );
    assert_eq!(
        (
            letters[1]["entity"].as_str(),
            letters[1]["legacy_id"].as_i64()
        ),
        (Some("order"), Some(2))
    );
    assert!(
        letters[1]["reason"].as_str().unwrap().contains("XAU"),
        "{letters:?}"
    );
    let order_2 = sides
        .client
        .get(format!("{service}/v2/orders/by-legacy-id/2"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        order_2.status(),
        404,
        "nothing of the dead letter is written"
    );
    assert_eq!(
        count(&service_db, fulfillment::migrations(), "orders").await,
        6,
        "the run went on"
    );
}
