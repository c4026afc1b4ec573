//! Shadow results to record in tests, and a store to record them in.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use platform::testing::{TestBackend, TestDatabase};
use serde_json::json;
use strangler_proxy::shadow::store::{
    DiffKind, NewDifference, NewResult, RequestExample, ShadowStore, Verdict,
};

pub fn open(backend: TestBackend) -> (TestDatabase, ShadowStore) {
    let db = TestDatabase::create(backend);
    let store = ShadowStore::connect(&db.settings).unwrap();
    (db, store)
}

pub fn diff(path: &str, pattern: &str, kind: DiffKind) -> NewDifference {
    let (primary, candidate) = (Some(json!(1250)), Some(json!("12.50")));
    let (path, pattern) = (path.into(), pattern.into());
    NewDifference {
        path,
        pattern,
        kind,
        primary,
        candidate,
    }
}

pub fn result(route: &str, verdict: Verdict, differences: Vec<NewDifference>) -> NewResult {
    let path = format!("/api/v1/{route}/7");
    let headers = vec![("accept".to_owned(), "application/json".to_owned())];
    NewResult {
        route: route.into(),
        method: "GET".into(),
        path_template: format!("/api/v1/{route}/{{id}}"),
        path: path.clone(),
        correlation_id: "corr-1".into(),
        primary_status: 200,
        candidate_status: Some(200),
        primary_latency_ms: 12,
        candidate_latency_ms: Some(30),
        verdict,
        request: RequestExample {
            method: "GET".into(),
            path,
            headers,
            body: None,
        },
        differences,
    }
}

pub fn matched(route: &str) -> NewResult {
    result(route, Verdict::Match, vec![])
}

pub fn mismatch_on(route: &str, pattern: &str) -> NewResult {
    result(
        route,
        Verdict::Mismatch,
        vec![diff(pattern, pattern, DiffKind::Mismatch)],
    )
}

pub async fn put(store: &ShadowStore, result: NewResult) -> i64 {
    store.record(result).await.unwrap()
}

pub async fn put_at(store: &ShadowStore, result: NewResult, at: DateTime<Utc>) -> i64 {
    store.record_at(result, at).await.unwrap()
}

/// Rows left in the differences table (to see that children go with parents).
pub async fn difference_rows(store: &ShadowStore) -> i64 {
    scalar(store, "(SELECT COUNT(*) FROM shadow_differences)").await
}

/// Counter rows, both tables.
pub async fn counter_rows(store: &ShadowStore) -> i64 {
    scalar(
        store,
        "(SELECT COUNT(*) FROM shadow_counts) + (SELECT COUNT(*) FROM shadow_field_counts)",
    )
    .await
}

async fn scalar(store: &ShadowStore, sql: &'static str) -> i64 {
    store
        .db()
        .read(move |conn| {
            diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(sql))
                .get_result::<i64>(conn)
                .map_err(platform::db::DbError::from)
        })
        .await
        .unwrap()
}
