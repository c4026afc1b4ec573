//! The `/v2` HTTP API: one file per resource; [`routes`] registers them and
//! [`ApiDoc`] is their OpenAPI document, generated from the handlers.

pub mod imports;
pub mod invoices;
pub mod payment_changes;
pub mod payments;
pub mod refunds;
pub mod support;

use actix_web::{HttpResponse, web};
use utoipa::OpenApi;

/// The OpenAPI document of `/v2`, served at `/v2/openapi.json`.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "strangler-kit payment service",
        version = "2",
        description = "Payments (event-sourced ledger), refunds and invoices. Creates need an Idempotency-Key; any write honours X-Strangler-Dry-Run: 1 (rolled back, answered with X-Strangler-Dry-Run: rolled-back). Errors are application/problem+json (RFC 9457)."
    ),
    paths(
        payments::create, payments::list, payments::get_one, payments::by_legacy_id,
        payment_changes::capture, payment_changes::void, payment_changes::fail, payments::events,
        refunds::create, refunds::list, refunds::get_one, refunds::by_legacy_id,
        invoices::create, invoices::list, invoices::get_one, invoices::by_legacy_id,
        invoices::pay, invoices::void, invoices::credit,
        imports::import_payments, imports::import_invoices,
        imports::export_payments, imports::export_invoices,
    ),
    tags(
        (name = "payments", description = "Authorise, capture, void, fail"),
        (name = "refunds", description = "Money returned from captured payments"),
        (name = "invoices", description = "Numbered bills with a billing snapshot"),
        (name = "imports", description = "Data migration: backfill imports without side effects, export lists for verification"),
    )
)]
pub struct ApiDoc;

/// Registers every `/v2` route. Fixed segments (`by-legacy-id`) are
/// registered before `{id}` so they are not read as an id.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(payments::create)
        .service(payments::list)
        .service(payments::by_legacy_id)
        .service(payments::get_one)
        .service(payment_changes::capture)
        .service(payment_changes::void)
        .service(payment_changes::fail)
        .service(payments::events)
        .service(refunds::create)
        .service(refunds::list)
        .service(refunds::by_legacy_id)
        .service(refunds::get_one)
        .service(invoices::create)
        .service(invoices::list)
        .service(invoices::by_legacy_id)
        .service(invoices::get_one)
        .service(invoices::pay)
        .service(invoices::void)
        .service(invoices::credit)
        .service(imports::import_payments)
        .service(imports::import_invoices)
        .service(imports::export_payments)
        .service(imports::export_invoices)
        .route(payment_api::paths::OPENAPI, web::get().to(openapi_json));
}

async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
