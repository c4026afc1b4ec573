//! Route group `inventory`: `/api/v1/inventory/{sku}` (define, read, adjust),
//! served by the fulfillment service's `/v2/stock`.

use super::flow::{Status, one};
use super::{Ctx, Route, Table, legacy_body, v2_request};
use crate::error::{FieldPath, Side, TranslateError};
use crate::exchange::Exchange;
use crate::http::{Method, Request};
use crate::legacy;
use crate::records::requests;
use crate::records::stock::item_to_legacy;
use crate::reply::Renames;
use fulfillment_api::{Sku, StockItem, paths};

/// v2 field names in problem details and their legacy names.
pub const RENAMES: Renames = &[
    ("unit_price", "px"),
    ("on_hand", "qty"),
    ("reserved", "rsv"),
    ("available", "avl"),
    ("currency", "cur"),
    ("delta", "dq"),
    ("reason", "rsn"),
    ("name", "nm"),
];

const ROUTES: &[Route] = &[
    Route {
        method: Method::Put,
        pattern: "/api/v1/inventory/*",
        start: put,
    },
    Route {
        method: Method::Get,
        pattern: "/api/v1/inventory/*",
        start: get,
    },
    Route {
        method: Method::Post,
        pattern: "/api/v1/inventory/*/adjust",
        start: adjust,
    },
];

pub(crate) fn table(ctx: Ctx) -> Table {
    Table {
        group: "inventory",
        service: super::FULFILLMENT,
        ctx,
        routes: ROUTES,
    }
}

/// A SKU in the path that is not a SKU names no item: 404, as for any
/// unknown path.
fn sku_param(p: &[&str]) -> Result<Sku, TranslateError> {
    let raw = p.first().copied().unwrap_or("");
    Sku::parse(raw).map_err(|_| TranslateError::NotFound {
        field: FieldPath::field("sku"),
        value: crate::error::clip(raw),
    })
}

fn put(_: &Ctx, p: &[&str], req: &Request) -> Result<Exchange, TranslateError> {
    let sku = sku_param(p)?;
    let body: legacy::PutItem = legacy_body(req)?;
    let put = requests::put_item(&body)?;
    let bytes = serde_json::to_vec(&put).map_err(|e| TranslateError::NotJson {
        side: Side::V2,
        message: e.to_string(),
    })?;
    let call = v2_request(Method::Put, paths::stock_item(&sku), req)
        .with_header("Content-Type", "application/json")
        .with_body(bytes);
    Ok(one(
        "inventory.put",
        call,
        &[200, 201],
        Status::Same,
        RENAMES,
        |v: &StockItem| item_to_legacy(v),
    ))
}

fn get(_: &Ctx, p: &[&str], req: &Request) -> Result<Exchange, TranslateError> {
    let sku = sku_param(p)?;
    let call = v2_request(Method::Get, paths::stock_item(&sku), req);
    Ok(one(
        "inventory.get",
        call,
        &[200],
        Status::Same,
        RENAMES,
        |v: &StockItem| item_to_legacy(v),
    ))
}

fn adjust(_: &Ctx, p: &[&str], req: &Request) -> Result<Exchange, TranslateError> {
    let sku = sku_param(p)?;
    let body: legacy::Adjustment = legacy_body(req)?;
    let adjustment = requests::adjustment(&body);
    let key = super::idempotency_key(req);
    let call = super::v2_write(
        Method::Post,
        &paths::stock_adjustments(&sku),
        req,
        &key,
        &adjustment,
    )?;
    Ok(one(
        "inventory.adjust",
        call,
        &[200, 201],
        Status::Fixed(200),
        RENAMES,
        |v: &StockItem| item_to_legacy(v),
    ))
}
