//! Export lists for data migration: `?after=<key>&limit=<n>` in,
//! `{"items": [...], "next": <key> | null, "total": n}` out, in key order.
//! The key is the record id, or for stock items the SKU ([`Cursor`]).
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
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// Only records after this one (default: from the start); the `next`
    /// of the previous page. A record id, or for stock a SKU.
    pub after: Option<String>,
    /// Items per page, 1 to 1000 (default 100).
    pub limit: Option<i64>,
}

/// The key an export list is ordered and paged by: an integer id for most
/// records, the SKU (text, byte order) for stock items.
pub trait Cursor: Sized + Serialize + Send + 'static {
    /// Before every record.
    fn start() -> Self;
    /// A cursor from `?after=`, or why it is not one.
    fn parse(raw: &str) -> Result<Self, String>;
}

impl Cursor for i64 {
    fn start() -> Self {
        0
    }

    fn parse(raw: &str) -> Result<Self, String> {
        raw.parse::<i64>()
            .ok()
            .filter(|id| *id >= 0)
            .ok_or_else(|| format!("after must be 0 or a record id, got {raw}"))
    }
}

impl Cursor for String {
    fn start() -> Self {
        String::new()
    }

    fn parse(raw: &str) -> Result<Self, String> {
        Ok(raw.to_owned())
    }
}

/// A checked export request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRequest<C = i64> {
    /// Records after this key.
    pub after: C,
    /// Items per page.
    pub limit: i64,
}

impl ExportParams {
    /// Applies the defaults, or a 400 naming the parameter (a cursor or a
    /// page size out of range is a bad query string, not bad content).
    pub fn check<C: Cursor>(self) -> Result<ExportRequest<C>, Problem> {
        let after = match self.after.as_deref() {
            None => C::start(),
            Some(raw) => {
                C::parse(raw).map_err(|e| Problem::bad_request(e).with("field", "after"))?
            }
        };
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
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
pub struct Export<T, C = i64> {
    /// The records, in key order.
    pub items: Vec<T>,
    /// The cursor for the next page (`?after=`), or `null` after the last.
    pub next: Option<C>,
    /// Records in the whole list when this page was read.
    pub total: i64,
}

/// Answers an export request: checks the query, runs `query` in one read
/// transaction for `limit + 1` rows (the extra one says whether there is a
/// next page), renders each kept row with `show`.
pub async fn respond<R, W, C, Q, S>(
    db: &Db,
    params: ExportParams,
    query: Q,
    key_of: fn(&R) -> C,
    show: S,
) -> Result<HttpResponse, Problem>
where
    R: Send + 'static,
    W: Serialize,
    C: Cursor,
    Q: FnOnce(&mut AnyConnection, ExportRequest<C>) -> AppResult<(Vec<R>, i64)> + Send + 'static,
    S: Fn(R) -> W,
{
    let req = params.check::<C>()?;
    let fetch = ExportRequest {
        after: req.after,
        limit: req.limit + 1,
    };
    let (mut rows, total) = db
        .read(move |conn| diesel::Connection::transaction(conn, |conn| query(conn, fetch)))
        .await?;
    let next = if rows.len() > usize::try_from(req.limit).unwrap_or(usize::MAX) {
        rows.truncate(rows.len() - 1);
        rows.last().map(key_of)
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
        let p = |after: Option<&str>, limit| {
            ExportParams {
                after: after.map(str::to_owned),
                limit,
            }
            .check::<i64>()
        };
        assert_eq!(
            p(None, None).unwrap(),
            ExportRequest {
                after: 0,
                limit: 100
            }
        );
        assert_eq!(p(Some("7"), Some(1000)).unwrap().limit, 1000);
        assert!(p(Some("-1"), None).is_err());
        assert!(p(Some("W-1"), None).is_err());
        let sku = ExportParams {
            after: Some("W-1".into()),
            limit: None,
        };
        assert_eq!(sku.check::<String>().unwrap().after, "W-1");
        assert!(p(None, Some(0)).is_err());
        assert!(p(None, Some(1001)).is_err());
    }
}
