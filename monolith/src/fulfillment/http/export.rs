//! `/api/v1/export/orders` (with their lines) and `/api/v1/export/shipments`:
//! every record in id order, page by page, in the legacy shapes, for data
//! migration (see `legacy::export`).

use super::orders::OrderWire;
use super::shipments::ShipmentWire;
use crate::fulfillment::store::{orders, shipments};
use crate::legacy::LegacyClock;
use crate::legacy::export::{self, Export, ExportParams};
use actix_web::{HttpResponse, get, web};
use platform::Problem;
use platform::db::Db;
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers the export routes (under `/api/v1`).
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(export_orders).service(export_shipments);
}

/// Every order with its lines, in id order (keyset paged).
#[utoipa::path(tag = "export", params(ExportParams), responses(
    (status = 200, body = Export<OrderWire>),
    (status = 400, description = "after below 0, limit outside 1..=1000")))]
#[get("/export/orders")]
async fn export_orders(
    db: web::Data<Db>,
    clock: web::Data<LegacyClock>,
    query: web::Query<ExportParams>,
) -> Result<HttpResponse, Problem> {
    export::respond(
        &db,
        query.into_inner(),
        |conn, req| orders::after(conn, req.after, req.limit),
        |(o, _)| o.id,
        |o| OrderWire::show(o, &clock),
    )
    .await
}

/// Every shipment, in id order (keyset paged).
#[utoipa::path(tag = "export", params(ExportParams), responses(
    (status = 200, body = Export<ShipmentWire>),
    (status = 400, description = "after below 0, limit outside 1..=1000")))]
#[get("/export/shipments")]
async fn export_shipments(
    db: web::Data<Db>,
    clock: web::Data<LegacyClock>,
    query: web::Query<ExportParams>,
) -> Result<HttpResponse, Problem> {
    export::respond(
        &db,
        query.into_inner(),
        |conn, req| shipments::after(conn, req.after, req.limit),
        |s| s.id,
        |s| ShipmentWire::show(s, &clock),
    )
    .await
}
