//! `/v2/imports/*` (backfill writes) and `/v2/exports/*` (verification
//! reads): the data-migration side of the service (see [`crate::imports`]).

use super::Config;
use crate::imports::{self, check_batch_size, export};
use actix_web::{HttpResponse, web};
use fulfillment_api::{
    ExportPage, ExportQuery, ImportOrders, ImportReport, ImportStock, LegacyKey, OrderExport,
    StockItem,
};
use platform::Problem;
use platform::db::Db;
use platform::dry_run::DryRun;
use v2_common::ProblemDoc;
use v2_common::migration::ExportQueryError;

#[utoipa::path(post, path = "/v2/imports/stock", operation_id = "import_stock", tag = "imports",
    params(("X-Strangler-Dry-Run" = Option<String>, Header, description = "1: check everything, keep nothing")),
    request_body = ImportStock,
    responses(
        (status = 200, description = "one result per item (keyed by SKU): imported, already_imported or refused with the reason", body = ImportReport),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn import_stock(
    db: web::Data<Db>,
    cfg: web::Data<Config>,
    dry_run: DryRun,
    body: web::Json<ImportStock>,
) -> Result<HttpResponse, Problem> {
    let body = body.into_inner();
    check_batch_size("stock", body.stock.len())?;
    let range = cfg.legacy_ids;
    let results = db
        .write_or_rollback(dry_run.enabled(), move |conn| {
            imports::each(
                conn,
                &body.stock,
                |i| LegacyKey::from(i.sku.as_str()),
                |c, i| imports::stock::import(c, range, i),
            )
        })
        .await?;
    Ok(dry_run.mark(HttpResponse::Ok().json(ImportReport { results })))
}

#[utoipa::path(post, path = "/v2/imports/orders", operation_id = "import_orders", tag = "imports",
    params(("X-Strangler-Dry-Run" = Option<String>, Header, description = "1: check everything, keep nothing")),
    request_body = ImportOrders,
    responses(
        (status = 200, description = "one result per order: imported, already_imported or refused with the reason (not enough stock for an open order, shipment legacy id taken, invalid)", body = ImportReport),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn import_orders(
    db: web::Data<Db>,
    cfg: web::Data<Config>,
    dry_run: DryRun,
    body: web::Json<ImportOrders>,
) -> Result<HttpResponse, Problem> {
    let body = body.into_inner();
    check_batch_size("orders", body.orders.len())?;
    let range = cfg.legacy_ids;
    let results = db
        .write_or_rollback(dry_run.enabled(), move |conn| {
            imports::each(
                conn,
                &body.orders,
                |o| LegacyKey::Id(o.legacy_id),
                |c, o| imports::order(c, range, o),
            )
        })
        .await?;
    Ok(dry_run.mark(HttpResponse::Ok().json(ImportReport { results })))
}

#[utoipa::path(get, path = "/v2/exports/stock", operation_id = "export_stock", tag = "imports",
    params(ExportQuery),
    responses((status = 200, description = "stock items by SKU (byte order); `after` is a SKU", body = ExportPage<StockItem>),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn export_stock(
    db: web::Data<Db>,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, Problem> {
    let (after, limit) = query.by_text().map_err(bad_query)?;
    let page = db
        .read(move |conn| export::stock(conn, &after, limit))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

#[utoipa::path(get, path = "/v2/exports/orders", operation_id = "export_orders", tag = "imports",
    params(ExportQuery),
    responses((status = 200, description = "orders with their shipments by legacy id", body = ExportPage<OrderExport>),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn export_orders(
    db: web::Data<Db>,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, Problem> {
    let (after, limit) = query.by_id().map_err(bad_query)?;
    let page = db
        .read(move |conn| export::orders(conn, after, limit))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// A bad cursor or page size is a bad query string (400).
fn bad_query(e: ExportQueryError) -> Problem {
    Problem::bad_request(e.detail).with("field", e.field)
}
