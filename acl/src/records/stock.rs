//! Inventory items: legacy `Item` ↔ `fulfillment-api` `StockItem`.

use super::orders::sku;
use crate::error::{FieldPath, Side, TranslateError};
use crate::legacy;
use crate::value::money;
use chrono::{DateTime, Utc};
use fulfillment_api::StockItem;
use uuid::Uuid;

/// v2 stock item → legacy item. The legacy item has no id, timestamps or
/// reservation list; those are not rendered. `avl` must equal `qty - rsv` on
/// the v2 side too, or the record has no consistent legacy shape.
pub fn item_to_legacy(s: &StockItem) -> Result<legacy::Item, TranslateError> {
    let (px, cur) = money::to_legacy(&FieldPath::field("unit_price"), &s.unit_price)?;
    let expected = s.on_hand.checked_sub(s.reserved);
    if expected != Some(s.available) {
        return Err(TranslateError::no_counterpart(
            FieldPath::field("available"),
            Side::V2,
            s.available,
            "legacy `avl` is always `qty - rsv`",
        ));
    }
    Ok(legacy::Item {
        sku: s.sku.as_str().to_owned(),
        nm: s.name.clone(),
        px,
        cur,
        qty: s.on_hand,
        rsv: s.reserved,
        avl: s.available,
    })
}

/// What a v2 stock item holds that a legacy item does not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockIdentity {
    /// Service id.
    pub id: Uuid,
    /// The monolith's id for the item (not shown on the legacy wire).
    pub legacy_id: i64,
    /// When the item was defined.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// Legacy item → v2 stock item. The reservations behind `rsv` are not in the
/// legacy record: the list is left empty while `reserved` keeps the total.
pub fn item_to_v2(i: &legacy::Item, ids: &StockIdentity) -> Result<StockItem, TranslateError> {
    let f = FieldPath::field;
    if i.qty.checked_sub(i.rsv) != Some(i.avl) {
        return Err(TranslateError::invalid(f("avl"), i.avl, "qty - rsv"));
    }
    Ok(StockItem {
        id: ids.id,
        legacy_id: super::id("legacy_id", Side::Legacy, ids.legacy_id)?,
        sku: sku(&f("sku"), &i.sku)?,
        name: i.nm.clone(),
        unit_price: money::to_v2(&f("px"), i.px, &f("cur"), &i.cur)?,
        on_hand: i.qty,
        reserved: i.rsv,
        available: i.avl,
        reservations: Vec::new(),
        created_at: ids.created_at,
        updated_at: ids.updated_at,
    })
}
