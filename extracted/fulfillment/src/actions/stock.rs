//! Stock commands: define or update an item, adjust what is on hand; each
//! also records the item for the monolith ([`crate::sync`]).

use crate::events::{self, STOCK_ITEM};
use crate::store::{self, stock};
use crate::sync::stock_changed;
use fulfillment_api::{PutStockItem, Sku, StockAdjustment, StockItem};
use platform::Problem;
use platform::db::AnyConnection;

/// Defines (`true`) or updates the item.
pub(crate) fn put(
    conn: &mut AnyConnection,
    sku: &Sku,
    req: &PutStockItem,
) -> Result<(StockItem, bool), Problem> {
    let (item, created) = stock::put(conn, sku, req, store::now())?;
    let event = if created {
        "stock_item.defined"
    } else {
        "stock_item.updated"
    };
    events::emit(conn, STOCK_ITEM, item.id, event, &item)?;
    stock_changed(conn, sku.as_str())?;
    Ok((item, created))
}

/// Adds or removes on-hand units.
pub(crate) fn adjust(
    conn: &mut AnyConnection,
    sku: &Sku,
    req: &StockAdjustment,
) -> Result<StockItem, Problem> {
    let item = stock::adjust(conn, sku, req.delta, store::now())?;
    #[derive(serde::Serialize)]
    struct Adjusted<'a> {
        delta: i64,
        reason: &'a str,
        item: &'a StockItem,
    }
    let payload = Adjusted {
        delta: req.delta,
        reason: &req.reason,
        item: &item,
    };
    events::emit(conn, STOCK_ITEM, item.id, "stock_item.adjusted", &payload)?;
    stock_changed(conn, sku.as_str())?;
    Ok(item)
}
