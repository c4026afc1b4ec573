//! Admin endpoints of verify runs: `strangler verify <context>` posts each
//! run's result here; operators and the promotion gate read the last one.

use super::AdminState;
use crate::shadow::store::VerifyRun;
use actix_web::{HttpResponse, web};
use platform::Problem;
use serde::Deserialize;

/// `POST /admin/verify-runs`: keeps one run; 201 with it, its `id` and `passed`.
pub async fn record(
    state: web::Data<AdminState>,
    body: platform::json::Json<VerifyRun>,
) -> Result<HttpResponse, Problem> {
    let stored = state
        .proxy
        .shadow()
        .store()
        .record_verify_run(body.into_inner())
        .await?;
    Ok(HttpResponse::Created().json(stored))
}

/// `?context=&limit=`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunsQuery {
    /// One context's history instead of the last run of each.
    pub context: Option<String>,
    /// With `context`: at most this many, newest first (default 20, at most 1000).
    pub limit: Option<i64>,
}

/// `GET /admin/verify-runs`: the last run of each context, or with
/// `?context=` that context's history, newest first.
pub async fn list(
    state: web::Data<AdminState>,
    query: web::Query<RunsQuery>,
) -> Result<HttpResponse, Problem> {
    let query = query.into_inner();
    let store = state.proxy.shadow().store();
    let Some(context) = query.context else {
        if query.limit.is_some() {
            return Err(Problem::bad_request(
                "limit applies to one context's history: add `context=`",
            ));
        }
        return Ok(HttpResponse::Ok().json(store.last_verify_runs().await?));
    };
    let limit = super::list_limit(query.limit, 20)?;
    Ok(HttpResponse::Ok().json(store.verify_runs(&context, limit).await?))
}
