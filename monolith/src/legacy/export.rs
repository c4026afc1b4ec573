//! Export lists for data migration: `?after=<id>&limit=<n>` in,
//! `{"items": [...], "next": <id> | null, "total": n}` out, in id order.
//!
//! Keyset paging, not the `page`/`per_page` of the ordinary lists: a
//! backfill walks hundreds of thousands of rows while the monolith keeps
//! writing, and an offset would skip or repeat rows that move under it. Each
//! page is one short read transaction (never a lock a writer waits for), so
//! an export can run against the live system.

use actix_web::HttpResponse;
use platform::Problem;
use platform::db::{AnyConnection, Db};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::AppResult;

/// The page size when `limit` is absent.
pub const DEFAULT_LIMIT: i64 = 100;
/// The largest page an export serves.
pub const MAX_LIMIT: i64 = 1000;

/// The query of an export list.
#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// Only ids above this one (default 0: from the start); the `next` of
    /// the previous page.
    pub after: Option<i64>,
    /// Items per page, 1 to 1000 (default 100).
    pub limit: Option<i64>,
}

/// A checked export request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportRequest {
    /// Ids above this one.
    pub after: i64,
    /// Items per page.
    pub limit: i64,
}

impl ExportParams {
    /// Applies the defaults, or a 400 naming the parameter (a cursor or a
    /// page size out of range is a bad query string, not bad content).
    pub fn check(self) -> Result<ExportRequest, Problem> {
        let after = self.after.unwrap_or(0);
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if after < 0 {
            return Err(Problem::bad_request(format!(
                "after must be 0 or a record id, got {after}"
            ))
            .with("field", "after"));
        }
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(Problem::bad_request(format!(
                "limit must be 1 to {MAX_LIMIT}, got {limit}"
            ))
            .with("field", "limit"));
        }
        Ok(ExportRequest { after, limit })
    }
}

/// One page of an export.
#[derive(Debug, Serialize, ToSchema)]
pub struct Export<T> {
    /// The records, in id order.
    pub items: Vec<T>,
    /// The cursor for the next page (`?after=`), or `null` after the last.
    pub next: Option<i64>,
    /// Records in the whole list when this page was read.
    pub total: i64,
}

/// Answers an export request: checks the query, runs `query` in one read
/// transaction for `limit + 1` rows (the extra one says whether there is a
/// next page), renders each kept row with `show`.
pub async fn respond<R, W, Q, S>(
    db: &Db,
    params: ExportParams,
    query: Q,
    id_of: fn(&R) -> i64,
    show: S,
) -> Result<HttpResponse, Problem>
where
    R: Send + 'static,
    W: Serialize,
    Q: FnOnce(&mut AnyConnection, ExportRequest) -> AppResult<(Vec<R>, i64)> + Send + 'static,
    S: Fn(R) -> W,
{
    let req = params.check()?;
    let fetch = ExportRequest {
        after: req.after,
        limit: req.limit + 1,
    };
    let (mut rows, total) = db
        .read(move |conn| diesel::Connection::transaction(conn, |conn| query(conn, fetch)))
        .await?;
    let next = if rows.len() > usize::try_from(req.limit).unwrap_or(usize::MAX) {
        rows.truncate(rows.len() - 1);
        rows.last().map(id_of)
    } else {
        None
    };
    let items = rows.into_iter().map(show).collect();
    Ok(HttpResponse::Ok().json(Export { items, next, total }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_bounds() {
        let p = |after, limit| ExportParams { after, limit }.check();
        assert_eq!(
            p(None, None).unwrap(),
            ExportRequest {
                after: 0,
                limit: 100
            }
        );
        assert_eq!(p(Some(7), Some(1000)).unwrap().limit, 1000);
        assert!(p(Some(-1), None).is_err());
        assert!(p(None, Some(0)).is_err());
        assert!(p(None, Some(1001)).is_err());
    }
}
