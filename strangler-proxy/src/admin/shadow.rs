//! Admin endpoints of shadow traffic: the report over a window (JSON, or the
//! same table the CLI prints) and one stored result side by side.

use super::AdminState;
use crate::shadow::store::Window;
use actix_web::{HttpResponse, web};
use platform::Problem;
use serde::Deserialize;
use serde_json::json;

/// `?route=&since=&format=`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// One route only (an unknown route gives an empty report).
    pub route: Option<String>,
    /// The window, e.g. `15m`, `1h`, `7d` (default `1h`).
    pub since: Option<String>,
    /// `json` (default) or `table`.
    pub format: Option<String>,
}

/// `GET /admin/shadow/report`.
pub async fn report(
    state: web::Data<AdminState>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, Problem> {
    let query = query.into_inner();
    let window: Window = query.since.as_deref().unwrap_or("1h").parse()?;
    let table = match query.format.as_deref() {
        None | Some("json") => false,
        Some("table") => true,
        Some(other) => {
            return Err(Problem::bad_request(format!(
                "format must be `json` or `table`, got `{other}`"
            )));
        }
    };
    let shadow = state.proxy.shadow();
    let report = shadow
        .store()
        .report(query.route.as_deref(), window.duration())
        .await?;
    if table {
        let queue = shadow.queue();
        let text = format!(
            "{}\nshadow queue: {} copies queued, {} dropped (queue full)\n",
            report.to_table(),
            queue.accepted,
            queue.dropped
        );
        return Ok(HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .body(text));
    }
    Ok(HttpResponse::Ok()
        .json(json!({ "window": window.to_string(), "report": report, "queue": shadow.queue() })))
}

/// `GET /admin/shadow/results/{id}`: one result with the request and both sides.
pub async fn result(
    state: web::Data<AdminState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    match state.proxy.shadow().store().example(id).await? {
        Some(result) => Ok(HttpResponse::Ok().json(result)),
        None => Err(Problem::not_found(format!("no shadow result {id}"))),
    }
}
