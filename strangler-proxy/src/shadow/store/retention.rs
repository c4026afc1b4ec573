//! Retention: results are kept up to a number of rows and an age, whichever
//! bites first, pruned by a background task so the tables stay bounded.

use super::schema::{shadow_differences, shadow_results};
use super::{ShadowStore, StoreError};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use platform::db::AnyConnection;
use std::time::Duration;
use tokio::task::JoinHandle;

impl ShadowStore {
    /// Deletes results older than `max_age`, then the oldest beyond the newest
    /// `max_rows` (by `created_at`, then id), with their differences, in one
    /// transaction. Returns how many results were deleted.
    pub async fn prune(&self, max_rows: u64, max_age: Duration) -> Result<u64, StoreError> {
        let cutoff = cutoff(Utc::now(), max_age);
        let keep = i64::try_from(max_rows).unwrap_or(i64::MAX);
        self.db
            .write(move |conn| {
                let by_age = delete_older(conn, cutoff, None)?;
                let boundary = shadow_results::table
                    .order((shadow_results::created_at.desc(), shadow_results::id.desc()))
                    .select((shadow_results::created_at, shadow_results::id))
                    .offset(keep)
                    .first::<(NaiveDateTime, i64)>(conn)
                    .optional()?;
                let by_count = match boundary {
                    // Everything up to and including the first row past the
                    // newest `keep` goes.
                    Some((at, id)) => delete_older(conn, at, Some(id))?,
                    None => 0,
                };
                Ok(u64::try_from(by_age + by_count).unwrap_or(u64::MAX))
            })
            .await
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

/// Deletes results created before `at` (and, with `up_to_id`, those created
/// exactly at `at` with an id up to it), children first.
fn delete_older(
    conn: &mut AnyConnection,
    at: NaiveDateTime,
    up_to_id: Option<i64>,
) -> QueryResult<usize> {
    use shadow_results::dsl as r;
    let doomed = || {
        let older = r::shadow_results.filter(r::created_at.lt(at)).select(r::id);
        let tied = r::shadow_results
            .filter(r::created_at.eq(at))
            .filter(r::id.le(up_to_id.unwrap_or(i64::MIN)))
            .select(r::id);
        (older, tied)
    };
    let (older, tied) = doomed();
    diesel::delete(
        shadow_differences::table.filter(
            shadow_differences::result_id
                .eq_any(older)
                .or(shadow_differences::result_id.eq_any(tied)),
        ),
    )
    .execute(conn)?;
    let bound = up_to_id.unwrap_or(i64::MIN);
    diesel::delete(
        r::shadow_results.filter(
            r::created_at
                .lt(at)
                .or(r::created_at.eq(at).and(r::id.le(bound))),
        ),
    )
    .execute(conn)
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
