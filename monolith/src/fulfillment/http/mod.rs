//! The fulfillment part of `/api/v1`: inventory, orders, shipments.

mod export;
mod inventory;
mod orders;
mod shipments;

use utoipa_actix_web::service_config::ServiceConfig;

/// Registers the module's routes (under `/api/v1`).
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.configure(inventory::routes)
        .configure(orders::routes)
        .configure(shipments::routes)
        .configure(export::routes);
}
