//! The `/v2` HTTP API: one file per resource, plus the OpenAPI document
//! generated from the handlers' annotations. Handlers are thin: read and
//! validate the request, run one `actions` command in one transaction
//! (idempotent for creates, rolled back for dry runs), answer.

mod imports;
mod openapi;
mod orders;
mod sagas;
mod shipments;
mod stock;
mod write;

use crate::domain::LegacyIdRange;
use actix_web::web;
use fulfillment_api::paths::templates as t;

/// Per-app configuration the handlers read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Config {
    /// The service's legacy-id range.
    pub legacy_ids: LegacyIdRange,
}

/// Registers every `/v2` route.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(t::OPENAPI, web::get().to(openapi::document))
        .route(
            t::STOCK_ITEM_BY_LEGACY_ID,
            web::get().to(stock::get_by_legacy_id),
        )
        .route(t::STOCK_ITEM, web::put().to(stock::put))
        .route(t::STOCK_ITEM, web::get().to(stock::get))
        .route(t::STOCK_ADJUSTMENTS, web::post().to(stock::adjust))
        .route(t::ORDER_IMPORTS, web::post().to(imports::import_orders))
        .route(t::STOCK_IMPORTS, web::post().to(imports::import_stock))
        .route(t::ORDER_EXPORT, web::get().to(imports::export_orders))
        .route(t::STOCK_EXPORT, web::get().to(imports::export_stock))
        .route(t::ORDERS, web::post().to(orders::create))
        .route(t::ORDERS, web::get().to(orders::list))
        .route(
            t::ORDER_BY_LEGACY_ID,
            web::get().to(orders::get_by_legacy_id),
        )
        .route(t::ORDER, web::get().to(orders::get))
        .route(t::ORDER_CONFIRM, web::post().to(orders::confirm))
        .route(t::ORDER_SHIP, web::post().to(orders::ship))
        .route(t::ORDER_DELIVER, web::post().to(orders::deliver))
        .route(t::ORDER_CANCEL, web::post().to(orders::cancel))
        .route(
            t::SHIPMENT_BY_LEGACY_ID,
            web::get().to(shipments::get_by_legacy_id),
        )
        .route(t::SAGAS, web::post().to(sagas::start))
        .route(t::SAGAS, web::get().to(sagas::list))
        .route(t::SAGA, web::get().to(sagas::get))
        .route(t::SHIPMENT, web::get().to(shipments::get))
        .route(t::SHIPMENT_DELIVER, web::post().to(shipments::deliver));
}
