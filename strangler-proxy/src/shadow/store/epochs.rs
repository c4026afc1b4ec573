//! Epochs: counting a route's shadow results afresh, e.g. after a backfill or
//! a fix to the ACL, recorded with who started it, why and when
//! (`route_epochs`).
//!
//! An epoch is a start time: the report and the gate count only results
//! created at or after the route's latest epoch began (`counting_from`). That
//! costs nothing on the write path (no epoch to look up per result, no extra
//! column) and needs no rewrite of stored rows; in-memory counters (a later
//! design keeps per-route counters instead of every row) reset at the same
//! instant. What it cannot tell apart is a copy taken before the epoch whose
//! result is written just after it: at most the shadow queue's contents and
//! one candidate timeout, against the thousands of samples a gate needs.

use super::schema::route_epochs as e;
use super::{ShadowStore, StoreError};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use platform::db::AnyConnection;
use serde::{Deserialize, Serialize};

/// A request to start counting afresh (`POST /admin/routes/{route}/epoch`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewEpoch {
    /// Why, e.g. "backfill of payments done" (recorded).
    pub reason: String,
    /// Who (recorded); the CLI sends `$USER` unless told otherwise.
    pub by: String,
}

/// A recorded epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Epoch {
    /// Its id.
    pub id: i64,
    /// The route.
    pub route: String,
    /// Who started it.
    pub by: String,
    /// Why.
    pub reason: String,
    /// From when results count.
    pub started_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = e)]
struct Row {
    id: i64,
    route: String,
    started_by: String,
    reason: String,
    started_at: NaiveDateTime,
}

impl From<Row> for Epoch {
    fn from(r: Row) -> Self {
        Self {
            id: r.id,
            route: r.route,
            by: r.started_by,
            reason: r.reason,
            started_at: r.started_at.and_utc(),
        }
    }
}

/// Where `route`'s counting starts, given the window's start `from`: the
/// later of the two.
pub(super) fn counting_from(
    conn: &mut AnyConnection,
    route: &str,
    from: NaiveDateTime,
) -> Result<NaiveDateTime, StoreError> {
    let epoch: Option<NaiveDateTime> = e::table
        .filter(e::route.eq(route))
        .select(diesel::dsl::max(e::started_at))
        .first(conn)?;
    Ok(epoch.map_or(from, |start| start.max(from)))
}

impl ShadowStore {
    /// Starts a new epoch of `route` now; `route` is not checked against the
    /// route table (the caller does that).
    pub async fn start_epoch(&self, route: &str, new: NewEpoch) -> Result<Epoch, StoreError> {
        let (reason, by) = (new.reason.trim().to_owned(), new.by.trim().to_owned());
        if reason.is_empty() {
            return Err(StoreError::Invalid(
                "reason must say why counting starts afresh, e.g. \"backfill done\"".into(),
            ));
        }
        if by.is_empty() {
            return Err(StoreError::Invalid(
                "by must name who starts the epoch".into(),
            ));
        }
        let route = route.to_owned();
        let now = Utc::now();
        self.db()
            .write(move |conn| {
                let id = diesel::insert_into(e::table)
                    .values((
                        e::route.eq(&route),
                        e::started_by.eq(&by),
                        e::reason.eq(&reason),
                        e::started_at.eq(now.naive_utc()),
                    ))
                    .returning(e::id)
                    .get_result::<i64>(conn)?;
                Ok(Epoch {
                    id,
                    route,
                    by,
                    reason,
                    started_at: now,
                })
            })
            .await
    }

    /// The latest `limit` epochs, newest first, for one route or all.
    pub async fn epochs(
        &self,
        route: Option<String>,
        limit: i64,
    ) -> Result<Vec<Epoch>, StoreError> {
        self.db()
            .read(move |conn| {
                let mut query = e::table.select(Row::as_select()).into_boxed();
                if let Some(route) = route {
                    query = query.filter(e::route.eq(route));
                }
                let rows: Vec<Row> = query
                    .order((e::started_at.desc(), e::id.desc()))
                    .limit(limit)
                    .load(conn)?;
                Ok(rows.into_iter().map(Epoch::from).collect())
            })
            .await
    }

    /// The current epoch of every route that has one, by route name.
    pub async fn current_epochs(&self) -> Result<Vec<Epoch>, StoreError> {
        let all = self.epochs(None, i64::MAX).await?;
        let mut current: Vec<Epoch> = Vec::new();
        for epoch in all {
            if !current.iter().any(|c| c.route == epoch.route) {
                current.push(epoch);
            }
        }
        current.sort_by(|a, b| a.route.cmp(&b.route));
        Ok(current)
    }
}
