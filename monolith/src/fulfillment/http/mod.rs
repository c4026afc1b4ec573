//! The fulfillment part of `/api/v1`: inventory, orders, shipments.

pub(crate) mod export;
pub(crate) mod inventory;
pub(crate) mod orders;
pub(crate) mod shipments;

use utoipa_actix_web::service_config::ServiceConfig;

/// Registers the module's routes (under `/api/v1`).
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.configure(inventory::routes)
        .configure(orders::routes)
        .configure(shipments::routes)
        .configure(export::routes);
}
