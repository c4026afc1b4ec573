//! `/healthz` (the process is alive) and `/readyz` (it can reach its database),
//! for load balancers and orchestrators. Needs `web::Data<Db>` in the app.

use crate::db::Db;
use crate::problem::Problem;
use actix_web::{HttpResponse, web};
use serde_json::json;

/// Registers both endpoints.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz));
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

async fn readyz(db: web::Data<Db>) -> Result<HttpResponse, Problem> {
    if db.ping().await {
        Ok(HttpResponse::Ok()
            .json(json!({ "status": "ready", "database": db.target().backend_name() })))
    } else {
        Err(Problem::unavailable("the database does not answer"))
    }
}
