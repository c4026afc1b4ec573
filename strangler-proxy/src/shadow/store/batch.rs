//! What one write to the store holds: counters for every result and full
//! rows for the results worth looking at.
//!
//! A comparison is counted, not stored: [`Batch::add`] adds one to its
//! (route, verdict, statuses) counter and to the (route, pattern, kind)
//! counters of its differences; only the results the caller chose to keep
//! (mismatches, candidate errors, a sample of matches) are kept whole, for
//! examples and the side-by-side view. [`ShadowStore::write_batch`] writes a
//! batch in one transaction: a few counter rows however many comparisons it
//! counts. The report and the gate read the counters, so what they say does
//! not depend on which rows were kept.

use super::classes::ResultClass;
use super::model::{DiffKind, NewResult, Verdict};
use super::schema::{shadow_counts, shadow_differences, shadow_field_counts, shadow_results};
use super::{ShadowStore, StoreError};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use platform::db::AnyConnection;
use std::collections::{BTreeSet, HashMap};

/// The time span of the samples a counter holds.
#[derive(Debug, Clone, Copy)]
struct Span {
    first: NaiveDateTime,
    last: NaiveDateTime,
    n: i64,
}

impl Span {
    fn new(at: NaiveDateTime) -> Self {
        Self {
            first: at,
            last: at,
            n: 0,
        }
    }

    fn count(&mut self, at: NaiveDateTime, n: i64) {
        self.first = self.first.min(at);
        self.last = self.last.max(at);
        self.n += n;
    }
}

type VerdictKey = (String, Verdict, u16, Option<u16>);
type FieldKey = (String, String, DiffKind);

/// Results waiting for one write: counters for all, rows for the kept ones.
#[derive(Debug, Default)]
pub struct Batch {
    verdicts: HashMap<VerdictKey, Span>,
    fields: HashMap<FieldKey, Span>,
    kept: Vec<(NewResult, NaiveDateTime)>,
}

impl Batch {
    /// Counts `result` as of `at`, and keeps its row too when `keep`.
    /// Invalid results are refused before anything is counted.
    pub fn add(
        &mut self,
        result: NewResult,
        at: DateTime<Utc>,
        keep: bool,
    ) -> Result<(), StoreError> {
        result.validate().map_err(StoreError::Invalid)?;
        let at = at.naive_utc();
        let key = (
            result.route.clone(),
            result.verdict,
            result.primary_status,
            result.candidate_status,
        );
        self.verdicts
            .entry(key)
            .or_insert_with(|| Span::new(at))
            .count(at, 1);
        let class = ResultClass::of(
            result.verdict,
            result.primary_status,
            result.candidate_status,
        );
        // A record the candidate lacks differs on every field only because it
        // is missing: it counts in its class, not on the fields (as reports say).
        if class != Some(ResultClass::CandidateMissing) {
            let distinct: BTreeSet<(&str, DiffKind)> = result
                .differences
                .iter()
                .map(|d| (d.pattern.as_str(), d.kind))
                .collect();
            for (pattern, kind) in distinct {
                let key = (result.route.clone(), pattern.to_owned(), kind);
                self.fields
                    .entry(key)
                    .or_insert_with(|| Span::new(at))
                    .count(at, 1);
            }
        }
        if keep {
            self.kept.push((result, at));
        }
        Ok(())
    }

    /// Adds what `other` holds (a failed write handed back), keeping at most
    /// `max_rows` rows; returns how many rows did not fit.
    pub fn absorb(&mut self, other: Batch, max_rows: usize) -> usize {
        for (key, span) in other.verdicts {
            self.verdicts
                .entry(key)
                .or_insert_with(|| Span::new(span.first))
                .merge(span);
        }
        for (key, span) in other.fields {
            self.fields
                .entry(key)
                .or_insert_with(|| Span::new(span.first))
                .merge(span);
        }
        let room = max_rows.saturating_sub(self.kept.len());
        let lost = other.kept.len().saturating_sub(room);
        self.kept.extend(other.kept.into_iter().take(room));
        lost
    }

    /// Rows kept so far.
    pub fn kept_rows(&self) -> usize {
        self.kept.len()
    }

    /// Whether nothing was added.
    pub fn is_empty(&self) -> bool {
        self.verdicts.is_empty()
    }
}

impl Span {
    fn merge(&mut self, other: Span) {
        self.count(other.first, other.n);
        self.last = self.last.max(other.last);
    }
}

#[derive(Insertable)]
#[diesel(table_name = shadow_counts)]
struct CountRow<'a> {
    route: &'a str,
    verdict: &'static str,
    primary_status: i32,
    candidate_status: Option<i32>,
    n: i64,
    first_at: NaiveDateTime,
    last_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = shadow_field_counts)]
struct FieldCountRow<'a> {
    route: &'a str,
    pattern: &'a str,
    kind: &'static str,
    n: i64,
    first_at: NaiveDateTime,
    last_at: NaiveDateTime,
}

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
    /// Writes `batch` in one transaction; returns the ids of its kept rows, in
    /// the order they were added. On error nothing is written and the batch
    /// is handed back, so its counters can be tried again.
    pub async fn write_batch(&self, batch: Batch) -> Result<Vec<i64>, (StoreError, Batch)> {
        let batch = std::sync::Arc::new(batch);
        let shared = batch.clone();
        let written = self.db.write(move |conn| write(conn, &shared)).await;
        match written {
            Ok(ids) => Ok(ids),
            Err(e) => Err((e, std::sync::Arc::try_unwrap(batch).unwrap_or_default())),
        }
    }
}

fn write(conn: &mut AnyConnection, batch: &Batch) -> Result<Vec<i64>, StoreError> {
    for ((route, verdict, primary, candidate), span) in &batch.verdicts {
        diesel::insert_into(shadow_counts::table)
            .values(CountRow {
                route,
                verdict: verdict.as_str(),
                primary_status: i32::from(*primary),
                candidate_status: candidate.map(i32::from),
                n: span.n,
                first_at: span.first,
                last_at: span.last,
            })
            .execute(conn)?;
    }
    for ((route, pattern, kind), span) in &batch.fields {
        diesel::insert_into(shadow_field_counts::table)
            .values(FieldCountRow {
                route,
                pattern,
                kind: kind.as_str(),
                n: span.n,
                first_at: span.first,
                last_at: span.last,
            })
            .execute(conn)?;
    }
    let mut ids = Vec::with_capacity(batch.kept.len());
    for (result, at) in &batch.kept {
        ids.push(write_row(conn, result, *at)?);
    }
    Ok(ids)
}

fn write_row(
    conn: &mut AnyConnection,
    result: &NewResult,
    at: NaiveDateTime,
) -> Result<i64, StoreError> {
    // Serialising a Value-based struct cannot fail; map it anyway.
    let request = serde_json::to_string(&result.request)
        .map_err(|e| StoreError::Invalid(format!("request example: {e}")))?;
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
            created_at: at,
        })
        .returning(shadow_results::id)
        .get_result::<i64>(conn)?;
    // One insert per difference: MultiConnection has no batch insert for
    // SQLite, and the transaction keeps them together.
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
}
