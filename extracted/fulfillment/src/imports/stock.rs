//! Importing a stock item: defined under a legacy id from the service's own
//! range (the monolith keys items by SKU and shows no id), its on-hand units
//! set, no reservation (open orders reserve as they are imported).

use crate::domain::{Invalid, LegacyIdRange, validate_put_item};
use crate::store::stock as store;
use fulfillment_api::{ImportStockItem, PutStockItem};
use platform::Problem;
use platform::db::AnyConnection;

/// Imports the item; `false` when an item with its SKU is already there.
pub(crate) fn import(
    conn: &mut AnyConnection,
    range: LegacyIdRange,
    item: &ImportStockItem,
) -> Result<bool, Problem> {
    let put = PutStockItem {
        name: item.name.clone(),
        unit_price: item.unit_price,
        legacy_id: None,
    };
    validate_put_item(&put, range)?;
    if item.on_hand < 0 {
        return Err(Invalid::new(
            "on_hand",
            format!("must not be negative, got {}", item.on_hand),
        )
        .into());
    }
    if store::exists(conn, item.sku.as_str())? {
        return Ok(false);
    }
    let now = crate::store::now();
    store::put(conn, &item.sku, &put, now)?;
    if item.on_hand > 0 {
        store::adjust(conn, &item.sku, item.on_hand, now)?;
    }
    Ok(true)
}
