//! `/v2/stock/{sku}`: define or update an item, read it, adjust on-hand units.

use super::Config;
use super::write::{self, Keyed};
use crate::actions;
use crate::domain::{validate_adjustment, validate_put_item};
use crate::store::stock as store;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use fulfillment_api::{PutStockItem, Sku, StockAdjustment, StockItem};
use platform::Problem;
use platform::db::Db;
use platform::dry_run::DryRun;
use v2_common::ProblemDoc;

/// A SKU in the path; one that cannot be a SKU names nothing.
fn path_sku(raw: &str) -> Result<Sku, Problem> {
    Sku::parse(raw).map_err(|e| Problem::not_found(format!("no stock item at this path: {e}")))
}

#[utoipa::path(put, path = "/v2/stock/{sku}", operation_id = "put_stock_item", tag = "stock",
    params(("sku" = String, Path, description = "1–64 of A-Z a-z 0-9 - _ ."), ("Idempotency-Key" = Option<String>, Header, description = "optional; repeat it to retry safely")),
    request_body = PutStockItem,
    responses(
        (status = 201, description = "defined", body = StockItem),
        (status = 200, description = "updated", body = StockItem),
        (status = 409, description = "legacy id clash", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "invalid item", body = ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn put(
    http: HttpRequest,
    db: web::Data<Db>,
    cfg: web::Data<Config>,
    sku: web::Path<String>,
    dry_run: DryRun,
    body: web::Json<PutStockItem>,
) -> Result<HttpResponse, Problem> {
    let sku =
        Sku::parse(&sku).map_err(|e| Problem::unprocessable(e.to_string()).with("field", "sku"))?;
    let req = body.into_inner();
    validate_put_item(&req, cfg.legacy_ids)?;
    let keyed = Keyed::optional(&http, &req)?;
    write::run(&db, dry_run, keyed, move |conn| {
        let (item, created) = actions::stock::put(conn, &sku, &req)?;
        let status = if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        Ok((status, item))
    })
    .await
}

#[utoipa::path(get, path = "/v2/stock/{sku}", operation_id = "get_stock_item", tag = "stock",
    params(("sku" = String, Path)),
    responses((status = 200, body = StockItem), (status = 404, body = ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn get(
    db: web::Data<Db>,
    sku: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let sku = path_sku(&sku)?;
    let item = db.read(move |conn| store::get(conn, sku.as_str())).await?;
    Ok(HttpResponse::Ok().json(item))
}

#[utoipa::path(get, path = "/v2/stock/by-legacy-id/{legacy_id}", operation_id = "get_stock_item_by_legacy_id", tag = "stock",
    params(("legacy_id" = i64, Path)),
    responses((status = 200, body = StockItem), (status = 404, body = ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn get_by_legacy_id(
    db: web::Data<Db>,
    legacy_id: web::Path<i64>,
) -> Result<HttpResponse, Problem> {
    let legacy_id = legacy_id.into_inner();
    let item = db
        .read(move |conn| store::get_by_legacy_id(conn, legacy_id))
        .await?;
    Ok(HttpResponse::Ok().json(item))
}

#[utoipa::path(post, path = "/v2/stock/{sku}/adjustments", operation_id = "adjust_stock", tag = "stock",
    params(("sku" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "optional; repeat it to retry safely")),
    request_body = StockAdjustment,
    responses(
        (status = 200, body = StockItem),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, description = "on hand would fall below reserved", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn adjust(
    http: HttpRequest,
    db: web::Data<Db>,
    sku: web::Path<String>,
    dry_run: DryRun,
    body: web::Json<StockAdjustment>,
) -> Result<HttpResponse, Problem> {
    let sku = path_sku(&sku)?;
    let req = body.into_inner();
    validate_adjustment(&req)?;
    let keyed = Keyed::optional(&http, &req)?;
    write::run(&db, dry_run, keyed, move |conn| {
        Ok((StatusCode::OK, actions::stock::adjust(conn, &sku, &req)?))
    })
    .await
}
