//! Reading one result back with its differences and request, for the
//! side-by-side view: every value is labelled primary (the monolith, which
//! served the client) or candidate (the new service, shadowed).

use super::model::{DiffKind, RequestExample, Verdict};
use super::schema::{shadow_differences, shadow_results};
use super::{ShadowStore, StoreError};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

/// One side of a shadowed exchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Side {
    /// Response status; `None` when this side gave no answer.
    pub status: Option<u16>,
    /// Latency in milliseconds; `None` when this side was not asked.
    pub latency_ms: Option<i64>,
}

/// A stored field difference.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredDifference {
    /// Concrete path, e.g. `$.items[3].amt`.
    pub path: String,
    /// Generalised path, e.g. `$.items[*].amt`.
    pub pattern: String,
    /// Classification.
    pub kind: DiffKind,
    /// The primary's (monolith's) value; `None` when absent there.
    pub primary: Option<serde_json::Value>,
    /// The candidate's (new service's) value; `None` when absent there.
    pub candidate: Option<serde_json::Value>,
}

/// A stored result, as the example view shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredResult {
    /// Its id (what report groups list as examples).
    pub id: i64,
    /// Route group name.
    pub route: String,
    /// HTTP method.
    pub method: String,
    /// Matched route pattern.
    pub path_template: String,
    /// Concrete (redacted) path.
    pub path: String,
    /// Correlation id, to find the request in the logs.
    pub correlation_id: String,
    /// The outcome.
    pub verdict: Verdict,
    /// The monolith's side (it served the client).
    pub primary: Side,
    /// The new service's side (shadowed).
    pub candidate: Side,
    /// The redacted request.
    pub request: RequestExample,
    /// Field differences, in recorded order.
    pub differences: Vec<StoredDifference>,
    /// When it was recorded (UTC).
    pub created_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = shadow_results)]
struct ResultRow {
    id: i64,
    route: String,
    method: String,
    path_template: String,
    path: String,
    correlation_id: String,
    primary_status: i32,
    candidate_status: Option<i32>,
    primary_latency_ms: i64,
    candidate_latency_ms: Option<i64>,
    verdict: String,
    request: String,
    created_at: NaiveDateTime,
}

type DifferenceRow = (String, String, String, Option<String>, Option<String>);

impl ShadowStore {
    /// The result `id` with its differences, or `None` when there is none
    /// (never stored, or pruned).
    pub async fn example(&self, id: i64) -> Result<Option<StoredResult>, StoreError> {
        self.db
            .read(move |conn| {
                let Some(row) = shadow_results::table
                    .find(id)
                    .select(ResultRow::as_select())
                    .first(conn)
                    .optional()?
                else {
                    return Ok(None);
                };
                let diffs: Vec<DifferenceRow> = shadow_differences::table
                    .filter(shadow_differences::result_id.eq(id))
                    .order(shadow_differences::id.asc())
                    .select((
                        shadow_differences::path,
                        shadow_differences::pattern,
                        shadow_differences::kind,
                        shadow_differences::primary_value,
                        shadow_differences::candidate_value,
                    ))
                    .load(conn)?;
                to_stored(row, diffs).map(Some)
            })
            .await
    }
}

fn to_stored(row: ResultRow, diffs: Vec<DifferenceRow>) -> Result<StoredResult, StoreError> {
    let id = row.id;
    let corrupt = |reason: String| StoreError::Corrupt { id, reason };
    let json = |text: Option<String>| -> Result<Option<serde_json::Value>, StoreError> {
        text.map(|t| serde_json::from_str(&t))
            .transpose()
            .map_err(|e| corrupt(format!("difference value: {e}")))
    };
    let status = |s: i32| u16::try_from(s).map_err(|_| corrupt(format!("status {s}")));
    let differences = diffs
        .into_iter()
        .map(|(path, pattern, kind, primary, candidate)| {
            Ok(StoredDifference {
                path,
                pattern,
                kind: kind.parse().map_err(corrupt)?,
                primary: json(primary)?,
                candidate: json(candidate)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(StoredResult {
        id,
        verdict: row.verdict.parse().map_err(corrupt)?,
        primary: Side {
            status: Some(status(row.primary_status)?),
            latency_ms: Some(row.primary_latency_ms),
        },
        candidate: Side {
            status: row.candidate_status.map(status).transpose()?,
            latency_ms: row.candidate_latency_ms,
        },
        request: serde_json::from_str(&row.request)
            .map_err(|e| corrupt(format!("request: {e}")))?,
        differences,
        route: row.route,
        method: row.method,
        path_template: row.path_template,
        path: row.path,
        correlation_id: row.correlation_id,
        created_at: row.created_at.and_utc(),
    })
}
