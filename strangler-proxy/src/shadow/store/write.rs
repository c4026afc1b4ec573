//! Recording results: one transaction per result, the result row and its
//! difference rows together or not at all.

use super::model::NewResult;
use super::schema::{shadow_differences, shadow_results};
use super::{ShadowStore, StoreError};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

#[derive(Insertable)]
#[diesel(table_name = shadow_results)]
struct ResultRow<'a> {
    route: &'a str,
    method: &'a str,
    path_template: &'a str,
    path: &'a str,
    correlation_id: &'a str,
    primary_status: i32,
    candidate_status: Option<i32>,
    primary_latency_ms: i64,
    candidate_latency_ms: Option<i64>,
    verdict: &'static str,
    request: String,
    created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = shadow_differences)]
struct DifferenceRow<'a> {
    result_id: i64,
    path: &'a str,
    pattern: &'a str,
    kind: &'static str,
    primary_value: Option<String>,
    candidate_value: Option<String>,
}

/// Milliseconds beyond `i64::MAX` (292 million years) are clamped, not refused.
fn millis(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}

impl ShadowStore {
    /// Records `result` as of now; returns its id.
    pub async fn record(&self, result: NewResult) -> Result<i64, StoreError> {
        self.record_at(result, Utc::now()).await
    }

    /// Records `result` as created at `at` (imports and tests of retention and
    /// windows); returns its id. Invalid input is refused before any write.
    pub async fn record_at(&self, result: NewResult, at: DateTime<Utc>) -> Result<i64, StoreError> {
        result.validate().map_err(StoreError::Invalid)?;
        // Serialising a Value-based struct cannot fail; map it anyway.
        let request = serde_json::to_string(&result.request)
            .map_err(|e| StoreError::Invalid(format!("request example: {e}")))?;
        self.db
            .write(move |conn| {
                let id = diesel::insert_into(shadow_results::table)
                    .values(ResultRow {
                        route: &result.route,
                        method: &result.method,
                        path_template: &result.path_template,
                        path: &result.path,
                        correlation_id: &result.correlation_id,
                        primary_status: i32::from(result.primary_status),
                        candidate_status: result.candidate_status.map(i32::from),
                        primary_latency_ms: millis(result.primary_latency_ms),
                        candidate_latency_ms: result.candidate_latency_ms.map(millis),
                        verdict: result.verdict.as_str(),
                        request,
                        created_at: at.naive_utc(),
                    })
                    .returning(shadow_results::id)
                    .get_result::<i64>(conn)?;
                // One insert per difference: MultiConnection has no batch
                // insert for SQLite, and the transaction keeps them together.
                for d in &result.differences {
                    diesel::insert_into(shadow_differences::table)
                        .values(DifferenceRow {
                            result_id: id,
                            path: &d.path,
                            pattern: &d.pattern,
                            kind: d.kind.as_str(),
                            primary_value: d.primary.as_ref().map(|v| v.to_string()),
                            candidate_value: d.candidate.as_ref().map(|v| v.to_string()),
                        })
                        .execute(conn)?;
                }
                Ok(id)
            })
            .await
    }
}
