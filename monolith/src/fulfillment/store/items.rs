//! Stock per SKU: define, adjust, reserve, release, ship.

use super::schema::items;
use crate::error::{AppError, AppResult};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use platform::db::AnyConnection;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = items)]
pub struct ItemRow {
    pub sku: String,
    pub name: String,
    pub unit_price: i64,
    pub currency: String,
    pub on_hand: i64,
    pub reserved: i64,
}

pub fn get(conn: &mut AnyConnection, sku: &str) -> AppResult<Option<ItemRow>> {
    Ok(items::table
        .find(sku)
        .select(ItemRow::as_select())
        .first(conn)
        .optional()?)
}

/// Creates the item or updates its name and price; true when created.
pub fn upsert(
    conn: &mut AnyConnection,
    sku: &str,
    name: &str,
    price: i64,
    currency: &str,
    now: NaiveDateTime,
) -> AppResult<bool> {
    let changed = diesel::update(items::table.find(sku))
        .set((
            items::name.eq(name),
            items::unit_price.eq(price),
            items::currency.eq(currency),
            items::updated_at.eq(now),
        ))
        .execute(conn)?;
    if changed > 0 {
        return Ok(false);
    }
    diesel::insert_into(items::table)
        .values((
            items::sku.eq(sku),
            items::name.eq(name),
            items::unit_price.eq(price),
            items::currency.eq(currency),
            items::on_hand.eq(0_i64),
            items::reserved.eq(0_i64),
            items::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(true)
}

/// Changes what is on hand by `delta`, never below what is reserved.
pub fn adjust(
    conn: &mut AnyConnection,
    sku: &str,
    delta: i64,
    now: NaiveDateTime,
) -> AppResult<()> {
    let changed = diesel::update(
        items::table
            .find(sku)
            .filter((items::on_hand + delta).ge(items::reserved)),
    )
    .set((
        items::on_hand.eq(items::on_hand + delta),
        items::updated_at.eq(now),
    ))
    .execute(conn)?;
    if changed == 0 {
        let item = get(conn, sku)?.ok_or_else(|| AppError::not_found(format!("item {sku}")))?;
        return Err(AppError::Conflict(format!(
            "adjusting {sku} by {delta} would leave {} on hand, below the {} reserved",
            item.on_hand.saturating_add(delta),
            item.reserved
        )));
    }
    Ok(())
}

/// Reserves `qty` if that many are available, atomically.
pub fn reserve(conn: &mut AnyConnection, sku: &str, qty: i64, now: NaiveDateTime) -> AppResult<()> {
    let changed = diesel::update(
        items::table
            .find(sku)
            .filter((items::on_hand - items::reserved).ge(qty)),
    )
    .set((
        items::reserved.eq(items::reserved + qty),
        items::updated_at.eq(now),
    ))
    .execute(conn)?;
    if changed == 0 {
        let available = get(conn, sku)?.map(|i| i.on_hand - i.reserved).unwrap_or(0);
        return Err(AppError::Conflict(format!(
            "insufficient stock for {sku}: {available} available, {qty} asked"
        )));
    }
    Ok(())
}

/// Gives back a reservation (order cancelled).
pub fn release(conn: &mut AnyConnection, sku: &str, qty: i64, now: NaiveDateTime) -> AppResult<()> {
    diesel::update(items::table.find(sku))
        .set((
            items::reserved.eq(items::reserved - qty),
            items::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Reserved stock leaves the warehouse (order shipped).
pub fn ship(conn: &mut AnyConnection, sku: &str, qty: i64, now: NaiveDateTime) -> AppResult<()> {
    diesel::update(items::table.find(sku))
        .set((
            items::on_hand.eq(items::on_hand - qty),
            items::reserved.eq(items::reserved - qty),
            items::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Items with SKUs above `after` (byte order), in SKU order (export).
pub fn after(conn: &mut AnyConnection, after: &str, limit: i64) -> AppResult<(Vec<ItemRow>, i64)> {
    let rows = items::table
        .filter(items::sku.gt(after))
        .order(items::sku)
        .limit(limit)
        .select(ItemRow::as_select())
        .load(conn)?;
    Ok((rows, items::table.count().get_result(conn)?))
}
