//! Writes of records the fulfillment service changed (sync, new → legacy):
//! each record is written as it stands on the other side, under the same
//! ids, and nothing else moves (no reservation, no release: a stock item's
//! counts arrive as its own record).

use super::schema::{items, order_lines, orders, shipments};
use crate::error::AppResult;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use platform::db::AnyConnection;

/// An order as the other side has it.
pub struct SyncedOrder<'a> {
    pub id: i64,
    pub customer_id: i64,
    pub status: &'a str,
    pub currency: &'a str,
    pub total: i64,
    pub payment_id: Option<i64>,
    pub invoice_id: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// One of its lines.
pub struct SyncedLine {
    pub sku: String,
    pub qty: i64,
    pub unit_price: i64,
    pub amount: i64,
}

/// Updates the order to `o`, or inserts it with its lines (a placed
/// order's lines never change).
pub fn upsert_order(
    conn: &mut AnyConnection,
    o: &SyncedOrder,
    lines: &[SyncedLine],
) -> AppResult<()> {
    let changes = (
        orders::customer_id.eq(o.customer_id),
        orders::status.eq(o.status),
        orders::currency.eq(o.currency),
        orders::total.eq(o.total),
        orders::payment_id.eq(o.payment_id),
        orders::invoice_id.eq(o.invoice_id),
        orders::created_at.eq(o.created_at),
        orders::updated_at.eq(o.updated_at),
    );
    let updated = diesel::update(orders::table.find(o.id))
        .set(changes)
        .execute(conn)?;
    if updated == 1 {
        return Ok(());
    }
    diesel::insert_into(orders::table)
        .values((orders::id.eq(o.id), changes))
        .execute(conn)?;
    for l in lines {
        diesel::insert_into(order_lines::table)
            .values((
                order_lines::order_id.eq(o.id),
                order_lines::sku.eq(&l.sku),
                order_lines::qty.eq(l.qty),
                order_lines::unit_price.eq(l.unit_price),
                order_lines::amount.eq(l.amount),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// A shipment as the other side has it.
pub struct SyncedShipment<'a> {
    pub id: i64,
    pub order_id: i64,
    pub status: &'a str,
    pub carrier: &'a str,
    pub tracking: &'a str,
    pub created_at: NaiveDateTime,
    pub delivered_at: Option<NaiveDateTime>,
}

/// Updates the shipment to `s`, or inserts it.
pub fn upsert_shipment(conn: &mut AnyConnection, s: &SyncedShipment) -> AppResult<()> {
    let changes = (
        shipments::order_id.eq(s.order_id),
        shipments::status.eq(s.status),
        shipments::carrier.eq(s.carrier),
        shipments::tracking.eq(s.tracking),
        shipments::created_at.eq(s.created_at),
        shipments::delivered_at.eq(s.delivered_at),
    );
    let updated = diesel::update(shipments::table.find(s.id))
        .set(changes)
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(shipments::table)
            .values((shipments::id.eq(s.id), changes))
            .execute(conn)?;
    }
    Ok(())
}

/// A stock item as the other side has it.
pub struct SyncedItem<'a> {
    pub sku: &'a str,
    pub name: &'a str,
    pub unit_price: i64,
    pub currency: &'a str,
    pub on_hand: i64,
    pub reserved: i64,
}

/// Makes the item `i`, counts included, or inserts it.
pub fn upsert_item(conn: &mut AnyConnection, i: &SyncedItem, now: NaiveDateTime) -> AppResult<()> {
    let changes = (
        items::name.eq(i.name),
        items::unit_price.eq(i.unit_price),
        items::currency.eq(i.currency),
        items::on_hand.eq(i.on_hand),
        items::reserved.eq(i.reserved),
        items::updated_at.eq(now),
    );
    let updated = diesel::update(items::table.find(i.sku))
        .set(changes)
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(items::table)
            .values((items::sku.eq(i.sku), changes))
            .execute(conn)?;
    }
    Ok(())
}
