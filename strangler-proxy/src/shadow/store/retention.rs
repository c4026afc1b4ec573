//! Retention: results kept whole are kept up to a number of rows and an age,
//! whichever bites first; counters up to the age, merged once they are an
//! hour old. A background task prunes, in small transactions so neither the
//! process's memory nor the database's log grows with what goes, and then
//! gives the space back, so the files stay their size.

use super::schema::{
    shadow_counts as c, shadow_differences, shadow_field_counts as f, shadow_results,
};
use super::{ShadowStore, StoreError};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use platform::db::AnyConnection;
use std::time::Duration;
use tokio::task::JoinHandle;

/// Results deleted per transaction: small enough that a transaction's dirty
/// pages fit the page cache (10,000 grew a pruning process by 14 MiB; this
/// by about 1).
const CHUNK: i64 = 1_000;
/// Counter rows younger than this keep the time of each flush (precise
/// windows and epochs where they matter: the last hour); older ones are
/// merged into one row per key and prune.
const MERGE_AFTER: Duration = Duration::from_secs(3600);

impl ShadowStore {
    /// Deletes results older than `max_age`, then the oldest beyond the newest
    /// `max_rows` (by `created_at`, then id), with their differences; deletes
    /// counters older than `max_age` and merges those older than an hour;
    /// then gives the space back. Returns how many results were deleted.
    pub async fn prune(&self, max_rows: u64, max_age: Duration) -> Result<u64, StoreError> {
        let now = Utc::now();
        let age_cutoff = cutoff(now, max_age);
        let keep = i64::try_from(max_rows).unwrap_or(i64::MAX);
        let boundary = self
            .db
            .read(move |conn| {
                shadow_results::table
                    .order((shadow_results::created_at.desc(), shadow_results::id.desc()))
                    .select((shadow_results::created_at, shadow_results::id))
                    .offset(keep)
                    .first::<(NaiveDateTime, i64)>(conn)
                    .optional()
                    .map_err(StoreError::from)
            })
            .await?;
        // Everything created before the age cutoff goes; with too many rows,
        // everything up to and including the first row past the newest `keep`.
        let bound = match boundary {
            Some((at, id)) if at >= age_cutoff => (at, id),
            _ => (age_cutoff, i64::MIN),
        };
        let mut deleted = 0;
        loop {
            let n = self.db.write(move |conn| delete_chunk(conn, bound)).await?;
            deleted += n;
            if n < CHUNK as usize {
                break;
            }
        }
        self.db
            .write(move |conn| {
                diesel::delete(c::table.filter(c::last_at.lt(age_cutoff))).execute(conn)?;
                diesel::delete(f::table.filter(f::last_at.lt(age_cutoff))).execute(conn)?;
                Ok::<_, StoreError>(())
            })
            .await?;
        self.merge_counters(cutoff(now, MERGE_AFTER)).await?;
        self.db.reclaim_space().await?;
        Ok(u64::try_from(deleted).unwrap_or(u64::MAX))
    }
}

/// `now - age`, or the beginning of time when that is out of range.
pub(super) fn cutoff(now: DateTime<Utc>, age: Duration) -> NaiveDateTime {
    chrono::TimeDelta::from_std(age)
        .ok()
        .and_then(|d| now.checked_sub_signed(d))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
        .naive_utc()
}

/// Deletes up to [`CHUNK`] results before `(at, id)` (created before `at`, or
/// exactly at `at` with an id up to `id`), children first.
fn delete_chunk(
    conn: &mut AnyConnection,
    (at, id): (NaiveDateTime, i64),
) -> Result<usize, StoreError> {
    use shadow_results::dsl as r;
    let ids: Vec<i64> = r::shadow_results
        .filter(
            r::created_at
                .lt(at)
                .or(r::created_at.eq(at).and(r::id.le(id))),
        )
        .order((r::created_at.asc(), r::id.asc()))
        .select(r::id)
        .limit(CHUNK)
        .load(conn)?;
    if ids.is_empty() {
        return Ok(0);
    }
    diesel::delete(shadow_differences::table.filter(shadow_differences::result_id.eq_any(&ids)))
        .execute(conn)?;
    Ok(diesel::delete(r::shadow_results.filter(r::id.eq_any(&ids))).execute(conn)?)
}

/// Spawns a task that calls [`ShadowStore::prune`] now and then every
/// `interval` (at least 1 ms), logging failures and carrying on. Abort the
/// handle to stop it.
pub fn spawn_pruner(
    store: ShadowStore,
    interval: Duration,
    max_rows: u64,
    max_age: Duration,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(interval.max(Duration::from_millis(1)));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match store.prune(max_rows, max_age).await {
                Ok(0) => {}
                Ok(deleted) => tracing::info!(deleted, "pruned shadow results"),
                Err(e) => tracing::warn!(error = %e, "pruning shadow results failed; will retry"),
            }
        }
    })
}
