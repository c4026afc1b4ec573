//! Admin endpoints of shadow traffic: the report over a window (JSON, or the
//! same table the CLI prints), one stored result side by side, epochs
//! (counting a route's results afresh), and the gate's moves it judges
//! (promote, retire).

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
            "{}\nshadow queue: {} jobs queued, {} dropped (queue full)\n",
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

/// `?to=canary|new`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateQuery {
    /// The move to judge (default `new`, which has every condition).
    pub to: Option<crate::gate::Target>,
}

/// `GET /admin/routes/{name}/gate?to=`: would the gate let the route move now?
pub async fn gate(
    state: web::Data<AdminState>,
    name: web::Path<String>,
    query: web::Query<GateQuery>,
) -> Result<HttpResponse, Problem> {
    let to = query.to.unwrap_or(crate::gate::Target::New);
    Ok(HttpResponse::Ok().json(
        state
            .gate
            .verdict(&state.proxy, &name.into_inner(), to)
            .await?,
    ))
}

/// `POST /admin/routes/{name}/promote` `{"to": "canary"|"new", "force"?, "reason"?}`.
pub async fn promote(
    state: web::Data<AdminState>,
    name: web::Path<String>,
    body: platform::json::Json<crate::gate::Promotion>,
) -> Result<HttpResponse, Problem> {
    let answer = state
        .gate
        .promote(&state.proxy, &name.into_inner(), body.into_inner())
        .await?;
    Ok(HttpResponse::Ok().json(answer))
}

/// `POST /admin/routes/{name}/retire`: retires the route if nothing is left
/// behind (409 with every reason otherwise).
pub async fn retire(
    state: web::Data<AdminState>,
    name: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let answer = state
        .gate
        .retire(&state.proxy, &state.reloader, &name.into_inner())
        .await?;
    Ok(HttpResponse::Ok().json(answer))
}

/// `?route=&limit=` (decisions and epochs).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionsQuery {
    /// One route only.
    pub route: Option<String>,
    /// At most this many, newest first (default 50, at most 1000).
    pub limit: Option<i64>,
}

/// `GET /admin/decisions`: promotions and rollbacks, newest first.
pub async fn decisions(
    state: web::Data<AdminState>,
    query: web::Query<DecisionsQuery>,
) -> Result<HttpResponse, Problem> {
    let query = query.into_inner();
    let limit = super::list_limit(query.limit, 50)?;
    Ok(HttpResponse::Ok().json(
        state
            .proxy
            .shadow()
            .store()
            .decisions(query.route, limit)
            .await?,
    ))
}

/// `POST /admin/routes/{name}/epoch` `{"reason": "…", "by": "…"}`: counting of
/// the route's shadow results starts afresh now; 201 with the epoch.
pub async fn start_epoch(
    state: web::Data<AdminState>,
    name: web::Path<String>,
    body: platform::json::Json<crate::shadow::store::NewEpoch>,
) -> Result<HttpResponse, Problem> {
    let name = name.into_inner();
    if !state.proxy.table().routes().iter().any(|r| r.name == name) {
        return Err(Problem::not_found(format!("no route named `{name}`")));
    }
    let epoch = state
        .proxy
        .shadow()
        .store()
        .start_epoch(&name, body.into_inner())
        .await?;
    Ok(HttpResponse::Created().json(epoch))
}

/// `GET /admin/epochs?route=&limit=`: epochs, newest first.
pub async fn epochs(
    state: web::Data<AdminState>,
    query: web::Query<DecisionsQuery>,
) -> Result<HttpResponse, Problem> {
    let query = query.into_inner();
    let limit = super::list_limit(query.limit, 50)?;
    Ok(HttpResponse::Ok().json(
        state
            .proxy
            .shadow()
            .store()
            .epochs(query.route, limit)
            .await?,
    ))
}
