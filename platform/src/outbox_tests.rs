//! The outbox on both backends: an event exists exactly when its transaction
//! committed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::Problem;
use crate::db::{Db, Target};
use crate::testing::{TestBackend, TestDatabase};
use diesel::connection::SimpleConnection;
use tracing::Instrument;

async fn setup(backend: TestBackend) -> (TestDatabase, Db) {
    let test_db = TestDatabase::create(backend);
    let db = test_db.unmigrated_db();
    let ddl = match db.target() {
        Target::Postgres(_) => DDL_POSTGRES,
        Target::Sqlite(_) => DDL_SQLITE,
    };
    db.write(move |c| {
        c.batch_execute(ddl)?;
        c.batch_execute(DDL_TRACE_CONTEXT).map_err(Problem::from)
    })
    .await
    .unwrap();
    (test_db, db)
}

fn event(n: u32) -> Event {
    Event::new(
        "thing",
        "t-1",
        "thing.happened",
        &serde_json::json!({ "n": n }),
    )
    .unwrap()
}

async fn committed_events_are_kept_in_order(backend: TestBackend) {
    let (_guard, db) = setup(backend).await;
    let (first, second) = (event(1), event(2));
    let (a, b) = (first.clone(), second.clone());
    db.write(move |c| {
        record(c, &a)?;
        record(c, &b).map_err(Problem::from)
    })
    .await
    .unwrap();
    let stored = db
        .read(|c| pending(c, 10).map_err(Problem::from))
        .await
        .unwrap();
    assert_eq!(stored.len(), 2);
    assert!(stored[0].seq < stored[1].seq);
    assert_eq!(stored[0].event_id, first.event_id.to_string());
    assert_eq!(stored[1].event_type, "thing.happened");
    let payload: serde_json::Value = serde_json::from_str(&stored[1].payload).unwrap();
    assert_eq!(payload, second.payload);
    let seq = stored[0].seq;
    let marked = db
        .write(move |c| mark_delivered(c, &[seq], Utc::now()).map_err(Problem::from))
        .await
        .unwrap();
    assert_eq!(marked, 1);
    let again = db
        .write(move |c| mark_delivered(c, &[seq], Utc::now()).map_err(Problem::from))
        .await
        .unwrap();
    assert_eq!(again, 0, "an event is delivered once");
    let left = db
        .read(|c| pending(c, 10).map_err(Problem::from))
        .await
        .unwrap();
    assert_eq!(left.len(), 1);
    let all = db
        .read(|c| for_aggregate(c, "thing", "t-1").map_err(Problem::from))
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
}

async fn rolled_back_and_dry_run_writes_leave_no_event(backend: TestBackend) {
    let (_guard, db) = setup(backend).await;
    let e = event(1);
    let failed: Result<(), Problem> = db
        .write(move |c| {
            record(c, &e)?;
            Err(Problem::conflict("changed my mind"))
        })
        .await;
    assert!(failed.is_err());
    let e = event(2);
    let dry: Result<u8, Problem> = db
        .write_or_rollback(true, move |c| {
            record(c, &e)?;
            Ok(7)
        })
        .await;
    assert_eq!(dry.unwrap(), 7, "a dry run still returns the value");
    let stored = db
        .read(|c| pending(c, 10).map_err(Problem::from))
        .await
        .unwrap();
    assert!(stored.is_empty(), "{stored:?}");
}

async fn lag_counts_pending_events_and_finds_the_oldest(backend: TestBackend) {
    let (_guard, db) = setup(backend).await;
    let lag_now = || db.read(|c| lag(c, None).map_err(Problem::from));
    assert_eq!(
        lag_now().await.unwrap(),
        Lag {
            pending: 0,
            oldest_pending: None
        }
    );
    let (mut first, second) = (event(1), event(2));
    first.occurred_at -= chrono::Duration::seconds(90);
    let oldest = first.occurred_at.naive_utc();
    let (a, b) = (first.clone(), second.clone());
    db.write(move |c| {
        record(c, &b)?;
        record(c, &a).map_err(Problem::from)
    })
    .await
    .unwrap();
    let before = lag_now().await.unwrap();
    assert_eq!(before.pending, 2);
    // PostgreSQL keeps microseconds, so compare at that precision.
    let micros = |t: NaiveDateTime| t.and_utc().timestamp_micros();
    assert_eq!(before.oldest_pending.map(micros), Some(micros(oldest)));

    let pending_now = db
        .read(|c| pending(c, 10).map_err(Problem::from))
        .await
        .unwrap();
    let older = pending_now
        .iter()
        .find(|e| e.event_id == first.event_id.to_string())
        .unwrap()
        .seq;
    db.write(move |c| mark_delivered(c, &[older], Utc::now()).map_err(Problem::from))
        .await
        .unwrap();
    let after = lag_now().await.unwrap();
    assert_eq!(after.pending, 1, "a delivered event no longer counts");
    assert_eq!(
        after.oldest_pending.map(micros),
        Some(micros(second.occurred_at.naive_utc())),
        "the oldest is now the one still pending"
    );
    let only = |types: &'static str| db.read(move |c| lag(c, Some(types)).map_err(Problem::from));
    assert_eq!(only("thing.%").await.unwrap(), after, "a matching filter");
    assert_eq!(
        only("legacy.%.changed").await.unwrap().pending,
        0,
        "events of other types do not count"
    );
}

async fn an_event_keeps_the_trace_it_was_recorded_in(backend: TestBackend) {
    crate::telemetry::init_for_tests();
    let (_guard, db) = setup(backend).await;
    let span = tracing::info_span!("request");
    let request = crate::trace_context::TraceContext::of(&span).unwrap();
    // Recorded on the database's blocking thread, still in the request's span.
    db.write(|c| record(c, &event(1)).map_err(Problem::from))
        .instrument(span)
        .await
        .unwrap();
    let untraced = Event {
        trace: None,
        ..event(2)
    };
    db.write(move |c| record(c, &untraced).map_err(Problem::from))
        .await
        .unwrap();
    let stored = db
        .read(|c| pending(c, 10).map_err(Problem::from))
        .await
        .unwrap();
    let recorded = stored[0].trace().expect("the request's trace");
    assert_eq!(recorded, request, "the span that recorded it");
    assert_eq!(stored[1].trace(), None);
    let envelope = stored[0].envelope().unwrap();
    assert_eq!(envelope.event_id, stored[0].event_id);
    assert_eq!(envelope.payload, serde_json::json!({ "n": 1 }));
    assert_eq!(envelope.occurred_at.naive_utc(), stored[0].occurred_at);
}

crate::both_backends!(
    an_event_keeps_the_trace_it_was_recorded_in,
    committed_events_are_kept_in_order,
    rolled_back_and_dry_run_writes_leave_no_event,
    lag_counts_pending_events_and_finds_the_oldest,
);
