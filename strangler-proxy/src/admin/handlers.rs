//! Admin API handlers: JSON views of the proxy's state, and reload.

use super::AdminState;
use super::views::{RouteView, StatusView};
use crate::proxy::decide::current_mode;
use actix_web::{HttpResponse, web};
use platform::Problem;
use serde_json::json;

pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

pub(super) fn route_views(state: &AdminState) -> Vec<RouteView> {
    let table = state.proxy.table();
    let flags = state.proxy.flags().snapshot();
    table
        .routes()
        .iter()
        .map(|r| RouteView {
            name: r.name.clone(),
            mode: current_mode(&flags, r),
            patterns: r.patterns.clone(),
            methods: r.methods.names().into_iter().map(str::to_owned).collect(),
            legacy: r.legacy.to_string(),
            new: r.new.as_ref().map(ToString::to_string),
            translator: r.translator.as_ref().map(|t| t.group().to_owned()),
            data: r.data.clone(),
            sync: r.sync,
            flags: [
                ("shadow", &r.flags.shadow),
                ("canary", &r.flags.canary),
                ("new", &r.flags.new),
            ]
            .into_iter()
            .filter_map(|(stage, f)| f.clone().map(|f| (stage.to_owned(), f)))
            .collect(),
            counters: r.counters.snapshot(),
            watchdog: r.counters.last_watched(),
            shadow: state.proxy.stats().metrics().shadow_traffic(&r.name),
        })
        .collect()
}

pub async fn routes(state: web::Data<AdminState>) -> HttpResponse {
    HttpResponse::Ok().json(route_views(&state))
}

pub async fn flags(state: web::Data<AdminState>) -> HttpResponse {
    let flags = state.proxy.flags();
    HttpResponse::Ok().json(json!({ "flags": flags.snapshot(), "last_error": flags.last_error() }))
}

pub async fn stats(state: web::Data<AdminState>) -> HttpResponse {
    HttpResponse::Ok().json(state.proxy.stats().snapshot())
}

pub async fn status(state: web::Data<AdminState>) -> Result<HttpResponse, Problem> {
    let store = state.proxy.shadow().store();
    let verify = store.last_verify_runs().await?;
    let epochs = store.current_epochs().await?;
    Ok(HttpResponse::Ok().json(StatusView {
        routes: route_views(&state),
        unrouted: state.proxy.stats().unrouted().snapshot(),
        flags_error: state.proxy.flags().last_error(),
        reload: state.reloader.state().into(),
        backends: state.proxy.resilience().snapshot(),
        verify,
        epochs,
        sync: state.gate.sync().readings(),
        handovers: state.proxy.handovers().active(),
    }))
}

pub async fn reload(state: web::Data<AdminState>) -> Result<HttpResponse, Problem> {
    let reloader = state.reloader.clone();
    let routes = web::block(move || reloader.reload())
        .await
        .map_err(|e| Problem::internal(&e))?
        .map_err(|e| {
            Problem::unprocessable(format!(
                "reload refused, the previous route table stays in force: {e}"
            ))
        })?;
    let flags = state
        .proxy
        .flags()
        .reload()
        .await
        .map_err(|e| e.to_string())
        .err();
    Ok(HttpResponse::Ok().json(json!({ "routes": routes, "flags_error": flags })))
}
