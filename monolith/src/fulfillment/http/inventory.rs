//! `/api/v1/inventory/{sku}`: define, read and adjust stock.

use crate::error::AppError;
use crate::fulfillment::domain::{self, MAX_QTY};
use crate::fulfillment::store::items::{self, ItemRow};
use crate::fulfillment::sync::stock_changed;
use crate::legacy::{Currency, LegacyClock, money};
use actix_web::{HttpResponse, get, post, put, web};
use platform::Problem;
use platform::db::Db;
use platform::json::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(define).service(read).service(adjust);
}

/// Body of `PUT /inventory/{sku}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemDefinitionWire {
    /// Name.
    pub nm: String,
    /// Unit price, minor units.
    pub px: i64,
    /// ISO 4217 code.
    pub cur: String,
}

/// Body of `POST /inventory/{sku}/adjust`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustWire {
    /// Change of the quantity on hand (negative removes).
    pub dq: i64,
    /// Why.
    pub rsn: String,
}

/// A stock item, legacy shape.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemWire {
    /// SKU.
    pub sku: String,
    /// Name.
    pub nm: String,
    /// Unit price, minor units.
    pub px: i64,
    /// ISO 4217 code.
    pub cur: String,
    /// On hand.
    pub qty: i64,
    /// Reserved by open orders.
    pub rsv: i64,
    /// Available: on hand minus reserved.
    pub avl: i64,
}

impl From<ItemRow> for ItemWire {
    fn from(i: ItemRow) -> Self {
        Self {
            sku: i.sku,
            nm: i.name,
            px: i.unit_price,
            cur: i.currency,
            qty: i.on_hand,
            rsv: i.reserved,
            avl: i.on_hand - i.reserved,
        }
    }
}

fn found(sku: &str, item: Option<ItemRow>) -> Result<ItemWire, AppError> {
    item.map(ItemWire::from)
        .ok_or_else(|| AppError::not_found(format!("item {sku}")))
}

/// Creates an item or changes its name and price.
#[utoipa::path(tag = "inventory", params(("sku" = String, Path)), request_body = ItemDefinitionWire, responses(
    (status = 201, body = ItemWire, description = "created"), (status = 200, body = ItemWire, description = "updated"), (status = 422)))]
#[put("/inventory/{sku}")]
async fn define(
    db: web::Data<Db>,
    sku: web::Path<String>,
    body: Json<ItemDefinitionWire>,
) -> Result<HttpResponse, Problem> {
    let sku = domain::sku("sku", &sku)?;
    let name = crate::legacy::text("nm", &body.nm, 200)?;
    let price = money::non_negative("px", body.px)?;
    let currency = Currency::parse(&body.cur)?;
    let (created, item) = db
        .write(move |conn| {
            let created = items::upsert(
                conn,
                &sku,
                &name,
                price,
                currency.code(),
                LegacyClock::now(),
            )?;
            stock_changed(conn, &sku)?;
            Ok::<_, AppError>((created, found(&sku, items::get(conn, &sku)?)?))
        })
        .await?;
    Ok(if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    }
    .json(item))
}

/// Reads an item's stock.
#[utoipa::path(tag = "inventory", params(("sku" = String, Path)), responses((status = 200, body = ItemWire), (status = 404)))]
#[get("/inventory/{sku}")]
async fn read(db: web::Data<Db>, sku: web::Path<String>) -> Result<HttpResponse, Problem> {
    let sku = sku.into_inner();
    let item = db
        .read(move |conn| found(&sku, items::get(conn, &sku)?))
        .await?;
    Ok(HttpResponse::Ok().json(item))
}

/// Adds or removes stock on hand; never below what is reserved.
#[utoipa::path(tag = "inventory", params(("sku" = String, Path)), request_body = AdjustWire, responses(
    (status = 200, body = ItemWire), (status = 404), (status = 409, description = "would leave less on hand than reserved"), (status = 422)))]
#[post("/inventory/{sku}/adjust")]
async fn adjust(
    db: web::Data<Db>,
    sku: web::Path<String>,
    body: Json<AdjustWire>,
) -> Result<HttpResponse, Problem> {
    let sku = sku.into_inner();
    let delta = body.dq;
    if delta == 0 || delta.unsigned_abs() > MAX_QTY.unsigned_abs() {
        return Err(AppError::Invalid(format!(
            "dq must be non-zero and at most {MAX_QTY} either way, got {delta}"
        ))
        .into());
    }
    crate::legacy::text("rsn", &body.rsn, 200)?;
    let item = db
        .write(move |conn| {
            items::adjust(conn, &sku, delta, LegacyClock::now())?;
            stock_changed(conn, &sku)?;
            found(&sku, items::get(conn, &sku)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(item))
}
