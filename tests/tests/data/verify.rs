//! Verify: clean after a backfill (from either source); a value changed in
//! the service's database and a record deleted there are named, by record
//! and field.

use crate::support::Sides;
use acl::LegacyClock;
use platform::testing::TestBackend;
use strangler_data::backfill;
use strangler_data::source::api::ApiSource;
use strangler_data::source::sql::SqlSource;
use strangler_data::target::Service;
use strangler_data::verify;

platform::both_backends!(verify_passes_after_a_backfill_and_names_planted_differences);

async fn verify_passes_after_a_backfill_and_names_planted_differences(backend: TestBackend) {
    let sides = Sides::start(backend).await;
    sides.generate(7).await;
    let to = Service::new(&sides.payment).unwrap();
    let api = ApiSource::new(&sides.monolith).unwrap();
    let clock = LegacyClock::default();
    let mut seen = Vec::new();

    let before = verify::payments(&api, &to, &clock, 3, &mut |d| seen.push(d.line()))
        .await
        .unwrap();
    assert!(!before.passed());
    assert_eq!((before.new_records, before.matching_records), (0, 0));
    assert_eq!(before.missing_in_new, before.legacy_records);
    assert!(
        seen.iter().all(|l| l.ends_with("missing in new")),
        "{seen:?}"
    );

    backfill::payments(&api, &to, &sides.options())
        .await
        .unwrap();
    let clean = verify::payments(&api, &to, &clock, 3, &mut |_| {})
        .await
        .unwrap();
    assert!(clean.passed(), "{clean:?}");
    assert_eq!(clean.legacy_records, clean.new_records);
    assert_eq!(clean.matching_records, clean.legacy_records);
    let sql = SqlSource::open(sides.monolith_db.url(), clock).unwrap();
    assert!(
        verify::payments(&sql, &to, &clock, 2, &mut |_| {})
            .await
            .unwrap()
            .passed()
    );

    sides
        .sql(
            &sides.payment_db,
            "UPDATE payments SET amount_minor = amount_minor - 100 WHERE legacy_id = 3",
            payment::migrations(),
        )
        .await;
    sides
        .sql(
            &sides.payment_db,
            "DELETE FROM invoices WHERE legacy_id = 5",
            payment::migrations(),
        )
        .await;
    let mut lines = Vec::new();
    let dirty = verify::payments(&api, &to, &clock, 3, &mut |d| lines.push(d.line()))
        .await
        .unwrap();
    assert!(!dirty.passed());
    assert_eq!(
        (
            dirty.differing_records,
            dirty.missing_in_new,
            dirty.missing_in_legacy
        ),
        (1, 1, 0),
        "{dirty:?}"
    );
    let amt = dirty
        .differences
        .iter()
        .find(|d| d.field.as_deref() == Some("$.amt"))
        .unwrap();
    assert_eq!(
        (amt.entity.as_str(), amt.legacy_id.id()),
        ("payment", Some(3))
    );
    assert_eq!(
        amt.legacy.as_i64().unwrap() - amt.new.as_i64().unwrap(),
        100
    );
    let missing = dirty
        .differences
        .iter()
        .find(|d| d.field.is_none())
        .unwrap();
    assert_eq!(
        (missing.entity.as_str(), missing.legacy_id.id()),
        ("invoice", Some(5))
    );
    assert!(
        lines.contains(&"invoice 5: missing in new".to_owned()),
        "{lines:?}"
    );
    let json = serde_json::to_value(&dirty).unwrap();
    assert_eq!(json["differences"][0]["field"], "$.amt");
    assert_eq!(json["truncated"], false);
}
