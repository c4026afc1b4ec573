//! Merging old counter rows: every flush of the in-memory counters writes a
//! row per key, which keeps windows and epochs exact to the flush; past an
//! hour that precision is worth less than the rows, so each prune merges the
//! rows that crossed the hour into one row per key (first and last sample
//! times kept, so a window still counts a merged row by its first sample).

use super::schema::{shadow_counts as c, shadow_field_counts as f};
use super::{ShadowStore, StoreError};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use platform::db::AnyConnection;
use std::collections::HashMap;
use std::hash::Hash;

/// Rows merged per transaction at most.
const CHUNK: i64 = 10_000;

/// Samples, first and last sample time.
type Span = (i64, NaiveDateTime, NaiveDateTime);

/// Sums rows of one key; returns the ids to delete and the merged spans.
fn fold<K: Hash + Eq>(rows: Vec<(i64, K, Span)>) -> (Vec<i64>, HashMap<K, Span>) {
    let mut ids = Vec::with_capacity(rows.len());
    let mut sums: HashMap<K, Span> = HashMap::new();
    for (id, key, (n, first, last)) in rows {
        ids.push(id);
        let span = sums.entry(key).or_insert((0, first, last));
        span.0 += n;
        span.1 = span.1.min(first);
        span.2 = span.2.max(last);
    }
    (ids, sums)
}

type VerdictKey = (String, String, i32, Option<i32>);

fn merge_verdicts(conn: &mut AnyConnection, before: NaiveDateTime) -> QueryResult<usize> {
    let rows: Vec<(i64, VerdictKey, Span)> = c::table
        .filter(c::compacted.eq(false).and(c::first_at.lt(before)))
        .select((
            c::id,
            (c::route, c::verdict, c::primary_status, c::candidate_status),
            (c::n, c::first_at, c::last_at),
        ))
        .limit(CHUNK)
        .load(conn)?;
    let found = rows.len();
    let (ids, sums) = fold(rows);
    diesel::delete(c::table.filter(c::id.eq_any(&ids))).execute(conn)?;
    for ((route, verdict, primary, candidate), (n, first, last)) in sums {
        diesel::insert_into(c::table)
            .values((
                c::route.eq(route),
                c::verdict.eq(verdict),
                c::primary_status.eq(primary),
                c::candidate_status.eq(candidate),
                c::n.eq(n),
                c::first_at.eq(first),
                c::last_at.eq(last),
                c::compacted.eq(true),
            ))
            .execute(conn)?;
    }
    Ok(found)
}

type FieldKey = (String, String, String);

fn merge_fields(conn: &mut AnyConnection, before: NaiveDateTime) -> QueryResult<usize> {
    let rows: Vec<(i64, FieldKey, Span)> = f::table
        .filter(f::compacted.eq(false).and(f::first_at.lt(before)))
        .select((
            f::id,
            (f::route, f::pattern, f::kind),
            (f::n, f::first_at, f::last_at),
        ))
        .limit(CHUNK)
        .load(conn)?;
    let found = rows.len();
    let (ids, sums) = fold(rows);
    diesel::delete(f::table.filter(f::id.eq_any(&ids))).execute(conn)?;
    for ((route, pattern, kind), (n, first, last)) in sums {
        diesel::insert_into(f::table)
            .values((
                f::route.eq(route),
                f::pattern.eq(pattern),
                f::kind.eq(kind),
                f::n.eq(n),
                f::first_at.eq(first),
                f::last_at.eq(last),
                f::compacted.eq(true),
            ))
            .execute(conn)?;
    }
    Ok(found)
}

impl ShadowStore {
    /// Merges the unmerged counter rows whose first sample is before
    /// `before`, a chunk per transaction.
    pub(super) async fn merge_counters(&self, before: NaiveDateTime) -> Result<(), StoreError> {
        for merge in [merge_verdicts, merge_fields] {
            while self
                .db
                .write(move |conn| Ok::<_, StoreError>(merge(conn, before)?))
                .await?
                == CHUNK as usize
            {}
        }
        Ok(())
    }
}
