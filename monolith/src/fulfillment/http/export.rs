//! `/api/v1/export/stock`, `/api/v1/export/orders` (each with its lines and
//! shipments) and `/api/v1/export/shipments`: every record in key order,
//! page by page, in the legacy shapes, for data migration (see
//! `legacy::export`). Stock is keyed by SKU, so its cursor is text.

use super::inventory::ItemWire;
use super::orders::OrderWire;
use super::shipments::ShipmentWire;
use crate::fulfillment::store::{items, orders, shipments};
use crate::legacy::LegacyClock;
use crate::legacy::export::{self, Export, ExportParams};
use actix_web::{HttpResponse, get, web};
use platform::Problem;
use platform::db::Db;
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers the export routes (under `/api/v1`).
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(export_stock)
        .service(export_orders)
        .service(export_shipments);
}

/// An order with its shipments (at most one in practice), legacy shapes;
/// also the record an order's sync change carries.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderExportWire {
    /// The order, as `GET /orders/{id}` shows it.
    pub order: OrderWire,
    /// Its shipments, as `GET /shipments/{id}` shows them, in id order.
    pub shipments: Vec<ShipmentWire>,
}

impl OrderExportWire {
    /// The order with its shipments, times shown by `clock`.
    pub(crate) fn show(
        order: orders::OrderWithLines,
        of: Vec<shipments::ShipmentRow>,
        clock: &LegacyClock,
    ) -> Self {
        Self {
            order: OrderWire::show(order, clock),
            shipments: of
                .into_iter()
                .map(|s| ShipmentWire::show(s, clock))
                .collect(),
        }
    }
}

/// Every stock item, in SKU order (byte order; keyset paged by SKU).
#[utoipa::path(tag = "export", params(ExportParams), responses(
    (status = 200, body = Export<ItemWire, String>),
    (status = 400, description = "limit outside 1..=1000")))]
#[get("/export/stock")]
async fn export_stock(
    db: web::Data<Db>,
    query: web::Query<ExportParams>,
) -> Result<HttpResponse, Problem> {
    export::respond(
        &db,
        query.into_inner(),
        |conn, req: export::ExportRequest<String>| items::after(conn, &req.after, req.limit),
        |i| i.sku.clone(),
        ItemWire::from,
    )
    .await
}

/// Every order with its lines and shipments, in id order (keyset paged).
#[utoipa::path(tag = "export", params(ExportParams), responses(
    (status = 200, body = Export<OrderExportWire>),
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
        |conn, req| {
            let (orders, total) = orders::after(conn, req.after, req.limit)?;
            let ids: Vec<i64> = orders.iter().map(|(o, _)| o.id).collect();
            let mut by_order: HashMap<i64, Vec<shipments::ShipmentRow>> = HashMap::new();
            for s in shipments::of_orders(conn, &ids)? {
                by_order.entry(s.order_id).or_default().push(s);
            }
            let rows = orders
                .into_iter()
                .map(|o| {
                    let of = by_order.remove(&o.0.id).unwrap_or_default();
                    (o, of)
                })
                .collect();
            Ok((rows, total))
        },
        |((o, _), _)| o.id,
        |(o, of)| OrderExportWire::show(o, of, &clock),
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
