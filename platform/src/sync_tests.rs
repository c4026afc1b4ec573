//! Per-record versions on both backends: the next change is applied, a
//! repeat or an older one is a no-op, an early one waits, an echo is refused.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::db::{Db, Target};
use crate::outbox::{DDL_POSTGRES, DDL_SQLITE, DDL_TRACE_CONTEXT};
use crate::testing::{TestBackend, TestDatabase};
use diesel::connection::SimpleConnection;

async fn setup(backend: TestBackend) -> (TestDatabase, Db) {
    let test_db = TestDatabase::create(backend);
    let db = test_db.unmigrated_db();
    let outbox = match db.target() {
        Target::Postgres(_) => DDL_POSTGRES,
        Target::Sqlite(_) => DDL_SQLITE,
    };
    db.write(move |c| {
        c.batch_execute(outbox)?;
        c.batch_execute(DDL_TRACE_CONTEXT)?;
        c.batch_execute(DDL).map_err(Problem::from)
    })
    .await
    .unwrap();
    (test_db, db)
}

fn change(version: i64, amount: i64) -> Change {
    Change {
        origin: "legacy".into(),
        entity: "payment".into(),
        key: "7".into(),
        version,
        record: serde_json::json!({ "amt": amount }),
    }
}

/// Applies `c`, writing its amount into `seen` (a stand-in for the tables).
async fn deliver(
    db: &Db,
    c: Change,
    seen: std::sync::Arc<std::sync::Mutex<Vec<i64>>>,
) -> Result<Applied, Problem> {
    db.write(move |conn| {
        apply(conn, "new", &c, |_, record| {
            seen.lock().unwrap().push(record["amt"].as_i64().unwrap());
            Ok(())
        })
    })
    .await
}

async fn versions_are_applied_once_in_order(backend: TestBackend) {
    let (_guard, db) = setup(backend).await;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    // v2 first: it waits for v1.
    let early = deliver(&db, change(2, 20), seen.clone()).await.unwrap_err();
    assert_eq!(early.status().as_u16(), 409, "{}", early.detail());
    assert!(early.detail().contains("before v1"), "{}", early.detail());
    assert_eq!(
        deliver(&db, change(1, 10), seen.clone()).await.unwrap(),
        Applied::Applied
    );
    assert_eq!(
        deliver(&db, change(1, 10), seen.clone()).await.unwrap(),
        Applied::Stale
    );
    assert_eq!(
        deliver(&db, change(2, 20), seen.clone()).await.unwrap(),
        Applied::Applied
    );
    assert_eq!(
        deliver(&db, change(1, 10), seen.clone()).await.unwrap(),
        Applied::Stale
    );
    assert_eq!(*seen.lock().unwrap(), vec![10, 20]);
    let applied = db
        .read(|c| applied_version(c, "payment", "7").map_err(Problem::from))
        .await
        .unwrap();
    assert_eq!(applied, 2);
}

async fn an_echo_is_refused(backend: TestBackend) {
    let (_guard, db) = setup(backend).await;
    let mut own = change(1, 10);
    own.origin = "new".into();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let err = deliver(&db, own, seen.clone()).await.unwrap_err();
    assert_eq!(err.status().as_u16(), 422);
    assert!(seen.lock().unwrap().is_empty());
}

async fn publishing_counts_per_record(backend: TestBackend) {
    let (_guard, db) = setup(backend).await;
    db.write(|c| {
        publish(c, "legacy", "payment", "7", serde_json::json!({"n": 1}))?;
        publish(c, "legacy", "payment", "8", serde_json::json!({"n": 1}))?;
        publish(c, "legacy", "payment", "7", serde_json::json!({"n": 2})).map_err(Problem::from)
    })
    .await
    .unwrap();
    let events = db
        .read(|c| outbox::for_aggregate(c, "payment", "7").map_err(Problem::from))
        .await
        .unwrap();
    let versions: Vec<i64> = events
        .iter()
        .map(|e| serde_json::from_str::<Change>(&e.payload).unwrap().version)
        .collect();
    assert_eq!(versions, vec![1, 2]);
    assert_eq!(events[0].event_type, "legacy.payment.changed");
    // Publishing leaves the applied count alone: the two directions are apart.
    let applied = db
        .read(|c| applied_version(c, "payment", "7").map_err(Problem::from))
        .await
        .unwrap();
    assert_eq!(applied, 0);
}

async fn pending_changes_count_one_records_undelivered_changes(backend: TestBackend) {
    let (_guard, db) = setup(backend).await;
    db.write(|c| {
        publish(c, "legacy", "payment", "7", serde_json::json!({"n": 1}))?;
        publish(c, "legacy", "payment", "7", serde_json::json!({"n": 2}))?;
        publish(c, "legacy", "payment", "8", serde_json::json!({"n": 1}))?;
        publish(c, "legacy", "invoice", "7", serde_json::json!({"n": 1})).map_err(Problem::from)
    })
    .await
    .unwrap();
    let pending = |key: &'static str| {
        let db = db.clone();
        async move {
            db.read(move |c| pending_changes(c, "legacy", "payment", key).map_err(Problem::from))
                .await
                .unwrap()
        }
    };
    assert_eq!(pending("7").await, 2, "its own changes, not invoice 7's");
    assert_eq!(pending("9").await, 0);
    let first = db
        .read(|c| outbox::for_aggregate(c, "payment", "7").map_err(Problem::from))
        .await
        .unwrap()[0]
        .seq;
    db.write(move |c| {
        outbox::mark_delivered(c, &[first], chrono::Utc::now()).map_err(Problem::from)
    })
    .await
    .unwrap();
    assert_eq!(pending("7").await, 1, "a delivered change no longer counts");
}

crate::both_backends!(
    versions_are_applied_once_in_order,
    an_echo_is_refused,
    publishing_counts_per_record,
    pending_changes_count_one_records_undelivered_changes
);
