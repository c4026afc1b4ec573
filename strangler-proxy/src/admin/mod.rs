//! The admin listener (loopback by default): routes with their current mode,
//! flag state, counters, reload, health, shadow reports, the promotion gate
//! and verify runs. Everything under `/admin/` needs
//! `Authorization: Bearer <admin.token>` (compared in constant time); only
//! `/healthz` (for probes) and `/metrics` (Prometheus text, for scrapers; see
//! [`crate::metrics`]) answer without it.

mod auth;
mod dashboard;
mod handlers;
mod session;
mod shadow;
mod verify;
pub mod views;

use crate::gate::Gate;
use crate::proxy::Proxy;
use crate::reload::Reloader;
use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{HttpServer, web};
use platform::settings::Secret;
use std::net::TcpListener;
use std::sync::Arc;

/// What the admin handlers read.
pub struct AdminState {
    /// The data plane.
    pub proxy: Arc<Proxy>,
    /// The reloader.
    pub reloader: Arc<Reloader>,
    /// The promotion gate.
    pub gate: Arc<Gate>,
}

/// Builds the admin server on `listener` (start it by awaiting it).
pub fn server(
    listener: TcpListener,
    proxy: Arc<Proxy>,
    reloader: Arc<Reloader>,
    gate: Arc<Gate>,
    token: &Secret,
) -> std::io::Result<Server> {
    let state = web::Data::new(AdminState {
        proxy,
        reloader,
        gate,
    });
    let token = web::Data::new(auth::Token::new(token));
    let metrics = state.proxy.stats().metrics().base().clone();
    Ok(HttpServer::new(move || {
        platform::server::base_app(64 * 1024, metrics.clone())
            .app_data(state.clone())
            .app_data(token.clone())
            .route("/healthz", web::get().to(handlers::health))
            .configure(dashboard::configure)
            .service(
                web::scope("/admin")
                    .app_data(token.clone())
                    .wrap(from_fn(auth::require_bearer))
                    .route("/health", web::get().to(handlers::health))
                    .route("/routes", web::get().to(handlers::routes))
                    .route("/flags", web::get().to(handlers::flags))
                    .route("/stats", web::get().to(handlers::stats))
                    .route("/status", web::get().to(handlers::status))
                    .route("/reload", web::post().to(handlers::reload))
                    .route("/shadow/report", web::get().to(shadow::report))
                    .route("/shadow/results/{id}", web::get().to(shadow::result))
                    .route("/routes/{name}/gate", web::get().to(shadow::gate))
                    .route("/routes/{name}/promote", web::post().to(shadow::promote))
                    .route("/routes/{name}/retire", web::post().to(shadow::retire))
                    .route("/routes/{name}/epoch", web::post().to(shadow::start_epoch))
                    .route("/epochs", web::get().to(shadow::epochs))
                    .route("/decisions", web::get().to(shadow::decisions))
                    .route("/verify-runs", web::post().to(verify::record))
                    .route("/verify-runs", web::get().to(verify::list)),
            )
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?
    .run())
}

/// A history list's `limit`: `default` when absent, else 1 to 1000 (one rule
/// for every admin list, so a client learns it once).
fn list_limit(limit: Option<i64>, default: i64) -> Result<i64, platform::Problem> {
    let limit = limit.unwrap_or(default);
    if (1..=1000).contains(&limit) {
        Ok(limit)
    } else {
        Err(platform::Problem::bad_request(format!(
            "limit must be 1 to 1000, got {limit}"
        )))
    }
}
