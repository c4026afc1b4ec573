//! The module's `/api/v1` paths once every payment is the payment
//! service's (`payments.owner = "service"`): nothing is served from here
//! any more, so each answers `410 Gone` saying where payments are now,
//! instead of reading tables that `monolith retire payments` drops.

use actix_web::http::StatusCode;
use actix_web::web;
use platform::Problem;

/// Mounts the answers; registered before the `/api/v1` scope, they take
/// its payments paths.
pub fn configure(cfg: &mut web::ServiceConfig) {
    for path in [
        "/api/v1/payments/{tail:.*}",
        "/api/v1/invoices/{tail:.*}",
        "/api/v1/orders/{id}/payments",
        "/api/v1/orders/{id}/invoices",
        "/api/v1/export/payments",
        "/api/v1/export/invoices",
    ] {
        cfg.route(path, web::route().to(gone));
    }
}

async fn gone() -> Result<actix_web::HttpResponse, Problem> {
    Err(Problem::new(
        StatusCode::GONE,
        "payments-retired",
        "payments are served by the payment service (payments.owner = \"service\"): \
         ask the strangler proxy, which sends them there",
    ))
}
