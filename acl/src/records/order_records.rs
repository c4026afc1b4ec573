//! Whole fulfillment records across the cut: a legacy stock item and a
//! legacy order (with its lines and shipments) as the fulfillment service's
//! import records, and the service's records back into their legacy view.
//! The backfill, verify and the ongoing sync all use these, so a record means
//! the same to each of them.
//!
//! The legacy item shows no id and no timestamps: the service keys it by SKU
//! and gives it a legacy id from its own range. Its `rsv` is not imported as
//! a number: the open orders that hold it reserve again when they arrive, so
//! verify shows any `rsv` the monolith's open orders do not account for.

use crate::LegacyClock;
use crate::legacy;
use crate::records::orders as translate;
use crate::records::stock::{StockIdentity, item_to_legacy, item_to_v2};
use chrono::DateTime;
use fulfillment_api::{
    ImportOrder, ImportOrderLine, ImportShipment, ImportStockItem, OrderExport, StockItem,
};
use serde_json::Value;
use uuid::Uuid;

/// A legacy order with its shipments, as a source serves it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegacyOrder {
    /// The order, with its lines.
    pub order: legacy::Order,
    /// Its shipments, oldest first.
    pub shipments: Vec<legacy::Shipment>,
}

/// A legacy stock item → the service's import record, or why it has none.
pub fn stock_to_import(body: &Value, _clock: &LegacyClock) -> Result<ImportStockItem, String> {
    let item: legacy::Item = serde_json::from_value(body.clone())
        .map_err(|e| format!("not a legacy stock item: {e}"))?;
    // The identity is not part of the import (the legacy item has none):
    // the translator needs one to build a whole v2 item.
    let identity = StockIdentity {
        id: Uuid::nil(),
        legacy_id: 1,
        created_at: DateTime::UNIX_EPOCH,
        updated_at: DateTime::UNIX_EPOCH,
    };
    let v2 = item_to_v2(&item, &identity).map_err(|e| e.to_string())?;
    Ok(ImportStockItem {
        sku: v2.sku,
        name: v2.name,
        unit_price: v2.unit_price,
        on_hand: v2.on_hand,
    })
}

/// A legacy order record → the service's import record, or why it has none.
pub fn order_to_import(body: &Value, clock: &LegacyClock) -> Result<ImportOrder, String> {
    let record: LegacyOrder = serde_json::from_value(body.clone())
        .map_err(|e| format!("not a legacy order record: {e}"))?;
    let o = &record.order;
    let v2 = translate::order_to_v2(o, clock, Uuid::nil()).map_err(|e| e.to_string())?;
    let mut total = 0_i64;
    for (i, line) in o.lines.iter().enumerate() {
        if line.px.checked_mul(line.qty) != Some(line.amt) {
            return Err(format!(
                "line {i}: amt {} is not qty {} × px {}: the service keeps no other amount",
                line.amt, line.qty, line.px
            ));
        }
        total = total.saturating_add(line.amt);
    }
    if total != o.tot {
        return Err(format!(
            "its lines add up to {total} but `tot` says {}",
            o.tot
        ));
    }
    let shipment = match record.shipments.as_slice() {
        [] => None,
        [s] => Some(shipment(s, o.id, clock)?),
        more => {
            return Err(format!(
                "{} shipments: the service keeps one per order",
                more.len()
            ));
        }
    };
    Ok(ImportOrder {
        legacy_id: v2.legacy_id,
        customer_legacy_id: v2.customer_legacy_id,
        state: v2.state,
        lines: v2
            .lines
            .into_iter()
            .map(|l| ImportOrderLine {
                sku: l.sku,
                quantity: l.quantity,
                unit_price: l.unit_price,
            })
            .collect(),
        payment_legacy_id: v2.payment_legacy_id,
        invoice_legacy_id: v2.invoice_legacy_id,
        created_at: v2.created_at,
        updated_at: v2.updated_at,
        shipment,
    })
}

fn shipment(
    s: &legacy::Shipment,
    order: i64,
    clock: &LegacyClock,
) -> Result<ImportShipment, String> {
    if s.ord != order {
        return Err(format!(
            "shipment {} names order {}, not {order}",
            s.id, s.ord
        ));
    }
    let v2 = translate::shipment_to_v2(s, clock, Uuid::nil(), Uuid::nil())
        .map_err(|e| format!("shipment {}: {e}", s.id))?;
    Ok(ImportShipment {
        legacy_id: v2.legacy_id,
        carrier: v2.carrier,
        tracking_number: v2.tracking_number,
        created_at: v2.created_at,
        delivered_at: v2.delivered_at,
    })
}

/// The legacy view of a v2 stock item (for verification and sync).
pub fn stock_legacy_view(item: &StockItem) -> Result<Value, String> {
    let legacy = item_to_legacy(item).map_err(|e| e.to_string())?;
    serde_json::to_value(legacy).map_err(|e| e.to_string())
}

/// The legacy view of a v2 order with its shipments, in the shape the
/// legacy source serves (for verification and sync).
pub fn order_legacy_view(o: &OrderExport, clock: &LegacyClock) -> Result<Value, String> {
    let order = translate::order_to_legacy(&o.order, clock).map_err(|e| e.to_string())?;
    let shipments = o
        .shipments
        .iter()
        .map(|s| translate::shipment_to_legacy(s, clock))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    serde_json::to_value(LegacyOrder { order, shipments }).map_err(|e| e.to_string())
}
