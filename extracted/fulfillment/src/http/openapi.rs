//! The `/v2` OpenAPI document, generated from the handlers' annotations and
//! the contract crate's schemas, served at `/v2/openapi.json`.

use actix_web::HttpResponse;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(title = "fulfillment /v2", description = "Stock, reservations, orders, order sagas and shipments of the extracted fulfillment service."),
    paths(
        super::stock::put, super::stock::get, super::stock::get_by_legacy_id, super::stock::adjust,
        super::orders::create, super::orders::list, super::orders::get, super::orders::get_by_legacy_id,
        super::orders::confirm, super::orders::ship, super::orders::deliver, super::orders::cancel,
        super::sagas::start, super::sagas::get, super::sagas::list,
        super::shipments::get, super::shipments::get_by_legacy_id, super::shipments::deliver,
        super::imports::import_stock, super::imports::import_orders, super::imports::export_stock, super::imports::export_orders,
    ),
    tags(
        (name = "stock", description = "items, on-hand units and reservations"),
        (name = "orders", description = "orders and their life cycle"),
        (name = "sagas", description = "orders placed, captured and cancelled across the payment service"),
        (name = "shipments", description = "shipments of shipped orders"),
        (name = "imports", description = "backfill from the monolith and export lists for verification"),
    )
)]
pub(crate) struct ApiDoc;

/// `GET /v2/openapi.json`.
pub(crate) async fn document() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
