//! The export lists verification walks: stock items by SKU (byte order) and
//! orders with their shipments by legacy id, keyset paged. Each page is one
//! read transaction.

use crate::store::{orders, shipments, stock};
use diesel::Connection;
use fulfillment_api::{ExportPage, LegacyKey, Order, OrderExport, StockItem};
use platform::Problem;
use platform::db::AnyConnection;
use v2_common::migration::cut_page;

/// Stock items with SKUs above `after`.
pub(crate) fn stock(
    conn: &mut AnyConnection,
    after: &str,
    limit: u32,
) -> Result<ExportPage<StockItem>, Problem> {
    conn.transaction(|conn| {
        let mut items = stock::after_sku(conn, after, limit.saturating_add(1))?;
        let next = cut_page(&mut items, limit, |i| LegacyKey::from(i.sku.as_str()));
        Ok(ExportPage { items, next })
    })
}

/// Orders with legacy ids above `after`, each with its shipment.
pub(crate) fn orders(
    conn: &mut AnyConnection,
    after: i64,
    limit: u32,
) -> Result<ExportPage<OrderExport>, Problem> {
    conn.transaction(|conn| {
        let mut rows = orders::after_legacy_id(conn, after, limit.saturating_add(1))?;
        let next = cut_page(&mut rows, limit, |o| LegacyKey::Id(o.legacy_id));
        let items = rows
            .into_iter()
            .map(|order| with_shipments(conn, order))
            .collect::<Result<_, Problem>>()?;
        Ok(ExportPage { items, next })
    })
}

/// The order with its shipment, as the export lists and sync show it.
pub(crate) fn with_shipments(
    conn: &mut AnyConnection,
    order: Order,
) -> Result<OrderExport, Problem> {
    let shipments = match order.shipment_id {
        Some(id) => vec![shipments::get(conn, &id.to_string())?],
        None => Vec::new(),
    };
    Ok(OrderExport { order, shipments })
}
