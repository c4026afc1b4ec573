//! Legacy pagination: `?page=1&per_page=20` in, `{items, page, per_page, total}`
//! out.

use crate::error::{AppError, AppResult};
use actix_web::HttpResponse;
use platform::Problem;
use platform::db::{AnyConnection, Db};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

const DEFAULT_PER_PAGE: i64 = 20;
const MAX_PER_PAGE: i64 = 100;

/// The query parameters of a list.
#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// 1-based page number (default 1).
    pub page: Option<i64>,
    /// Items per page, 1 to 100 (default 20).
    pub per_page: Option<i64>,
}

/// A checked page request.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    /// 1-based page.
    pub page: i64,
    /// Items per page.
    pub per_page: i64,
}

impl PageRequest {
    /// Rows to skip.
    pub fn offset(self) -> i64 {
        (self.page - 1).saturating_mul(self.per_page)
    }
}

impl PageParams {
    /// Applies defaults and limits, or a 422 naming the parameter.
    pub fn check(self) -> Result<PageRequest, AppError> {
        let page = self.page.unwrap_or(1);
        let per_page = self.per_page.unwrap_or(DEFAULT_PER_PAGE);
        if page < 1 {
            return Err(AppError::Invalid(format!(
                "page must be 1 or more, got {page}"
            )));
        }
        if !(1..=MAX_PER_PAGE).contains(&per_page) {
            return Err(AppError::Invalid(format!(
                "per_page must be 1 to {MAX_PER_PAGE}, got {per_page}"
            )));
        }
        Ok(PageRequest { page, per_page })
    }
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    /// The items on this page.
    pub items: Vec<T>,
    /// This page's number.
    pub page: i64,
    /// Page size asked for.
    pub per_page: i64,
    /// Items in the whole list.
    pub total: i64,
}

impl<T> Page<T> {
    /// Wraps items fetched for `req`.
    pub fn new(items: Vec<T>, req: PageRequest, total: i64) -> Self {
        Self {
            items,
            page: req.page,
            per_page: req.per_page,
            total,
        }
    }
}

/// Answers a list request: checks the page, runs `query` for it, renders each
/// row with `show`. Every list endpoint of `/api/v1` is this one shape.
pub async fn respond<R, W, Q, S>(
    db: &Db,
    params: PageParams,
    query: Q,
    show: S,
) -> Result<HttpResponse, Problem>
where
    R: Send + 'static,
    W: Serialize,
    Q: FnOnce(&mut AnyConnection, PageRequest) -> AppResult<(Vec<R>, i64)> + Send + 'static,
    S: Fn(R) -> W,
{
    let page = params.check()?;
    let (rows, total) = db.read(move |conn| query(conn, page)).await?;
    let items = rows.into_iter().map(show).collect();
    Ok(HttpResponse::Ok().json(Page::new(items, page, total)))
}
