//! `stock_items` and `reservations`: item definitions, on-hand adjustments,
//! and the holds orders put on stock. Every change to `on_hand`/`reserved` is
//! a conditional UPDATE, so concurrent requests can never drive stock below
//! zero or below what is reserved (the table's CHECKs back this up).

use super::convert::{conflict_on_duplicate, money, utc, uuid};
use super::legacy_ids::{self, Entity};
use super::schema::{orders, reservations as r, stock_items as s};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use fulfillment_api::{PutStockItem, Reservation, Sku, StockItem};
use platform::Problem;
use platform::db::AnyConnection;
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = s)]
pub(crate) struct ItemRow {
    pub id: String,
    pub legacy_id: i64,
    pub sku: String,
    pub name: String,
    pub unit_price_minor: i64,
    pub currency: String,
    pub on_hand: i64,
    pub reserved: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

fn find_row(conn: &mut AnyConnection, sku: &str) -> Result<Option<ItemRow>, Problem> {
    Ok(s::table
        .filter(s::sku.eq(sku))
        .select(ItemRow::as_select())
        .first(conn)
        .optional()?)
}

fn not_found(sku: &str) -> Problem {
    Problem::not_found(format!("there is no stock item with SKU {sku}"))
}

/// Defines the item (`true`: created) or renames/reprices it.
pub(crate) fn put(
    conn: &mut AnyConnection,
    sku: &Sku,
    req: &PutStockItem,
    now: NaiveDateTime,
) -> Result<(StockItem, bool), Problem> {
    let price = req
        .unit_price
        .to_minor_units()
        .map_err(|e| Problem::unprocessable(format!("unit_price: {e}")))?;
    let code = req.unit_price.currency().code();
    let created = match find_row(conn, sku.as_str())? {
        Some(row) => {
            if let Some(wanted) = req.legacy_id.filter(|l| *l != row.legacy_id) {
                return Err(Problem::conflict(format!(
                    "stock item {sku} already has legacy id {}, not {wanted}",
                    row.legacy_id
                )));
            }
            diesel::update(s::table.filter(s::sku.eq(sku.as_str())))
                .set((
                    s::name.eq(&req.name),
                    s::unit_price_minor.eq(price),
                    s::currency.eq(code),
                    s::updated_at.eq(now),
                ))
                .execute(conn)?;
            false
        }
        None => {
            let legacy_id = match req.legacy_id {
                Some(id) => id,
                None => legacy_ids::next(conn, Entity::StockItem)?,
            };
            diesel::insert_into(s::table)
                .values((
                    s::id.eq(Uuid::now_v7().to_string()),
                    s::legacy_id.eq(legacy_id),
                    s::sku.eq(sku.as_str()),
                    s::name.eq(&req.name),
                    s::unit_price_minor.eq(price),
                    s::currency.eq(code),
                    s::on_hand.eq(0),
                    s::reserved.eq(0),
                    s::created_at.eq(now),
                    s::updated_at.eq(now),
                ))
                .execute(conn)
                .map_err(conflict_on_duplicate(format!(
                    "a stock item with SKU {sku} or legacy id {legacy_id}"
                )))?;
            true
        }
    };
    Ok((get(conn, sku.as_str())?, created))
}

/// The item with its reservations.
pub(crate) fn get(conn: &mut AnyConnection, sku: &str) -> Result<StockItem, Problem> {
    let row = find_row(conn, sku)?.ok_or_else(|| not_found(sku))?;
    to_wire(conn, row)
}

/// The item by its legacy id.
pub(crate) fn get_by_legacy_id(
    conn: &mut AnyConnection,
    legacy_id: i64,
) -> Result<StockItem, Problem> {
    let row = s::table
        .filter(s::legacy_id.eq(legacy_id))
        .select(ItemRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| {
            Problem::not_found(format!("there is no stock item with legacy id {legacy_id}"))
        })?;
    to_wire(conn, row)
}

/// Items with SKUs above `after` in byte order, at most `limit` (the export
/// list verification walks).
pub(crate) fn after_sku(
    conn: &mut AnyConnection,
    after: &str,
    limit: u32,
) -> Result<Vec<StockItem>, Problem> {
    let rows: Vec<ItemRow> = s::table
        .filter(s::sku.gt(after))
        .order(s::sku)
        .limit(i64::from(limit))
        .select(ItemRow::as_select())
        .load(conn)?;
    rows.into_iter().map(|row| to_wire(conn, row)).collect()
}

/// Whether an item with this SKU exists.
pub(crate) fn exists(conn: &mut AnyConnection, sku: &str) -> Result<bool, Problem> {
    Ok(find_row(conn, sku)?.is_some())
}

fn to_wire(conn: &mut AnyConnection, row: ItemRow) -> Result<StockItem, Problem> {
    let holds: Vec<(String, i64, i64, NaiveDateTime)> = r::table
        .inner_join(orders::table.on(orders::id.eq(r::order_id)))
        .filter(r::sku.eq(&row.sku))
        .order((r::created_at, orders::legacy_id))
        .select((r::order_id, orders::legacy_id, r::quantity, r::created_at))
        .load(conn)?;
    let reservations = holds
        .into_iter()
        .map(|(order_id, order_legacy_id, quantity, created_at)| {
            Ok(Reservation {
                order_id: uuid(&order_id)?,
                order_legacy_id,
                quantity,
                created_at: utc(created_at),
            })
        })
        .collect::<Result<_, Problem>>()?;
    Ok(StockItem {
        id: uuid(&row.id)?,
        legacy_id: row.legacy_id,
        sku: Sku::parse(&row.sku).map_err(|e| Problem::internal(&e))?,
        name: row.name,
        unit_price: money(row.unit_price_minor, &row.currency)?,
        on_hand: row.on_hand,
        reserved: row.reserved,
        available: row.on_hand - row.reserved,
        reservations,
        created_at: utc(row.created_at),
        updated_at: utc(row.updated_at),
    })
}

/// Adds `delta` on-hand units; refused (409) when on-hand would fall below
/// what is reserved.
pub(crate) fn adjust(
    conn: &mut AnyConnection,
    sku: &Sku,
    delta: i64,
    now: NaiveDateTime,
) -> Result<StockItem, Problem> {
    let changed = diesel::update(
        s::table
            .filter(s::sku.eq(sku.as_str()))
            .filter((s::on_hand + delta).ge(s::reserved)),
    )
    .set((s::on_hand.eq(s::on_hand + delta), s::updated_at.eq(now)))
    .execute(conn)?;
    if changed == 0 {
        let row = find_row(conn, sku.as_str())?.ok_or_else(|| not_found(sku.as_str()))?;
        return Err(Problem::conflict(format!(
            "adjusting {sku} by {delta} would leave {} on hand, below the {} reserved by open orders",
            row.on_hand + delta,
            row.reserved
        ))
        .with("on_hand", row.on_hand)
        .with("reserved", row.reserved));
    }
    get(conn, sku.as_str())
}

/// The rows of the given SKUs, for pricing an order.
pub(crate) fn rows_for(conn: &mut AnyConnection, skus: &[&str]) -> Result<Vec<ItemRow>, Problem> {
    Ok(s::table
        .filter(s::sku.eq_any(skus))
        .select(ItemRow::as_select())
        .load(conn)?)
}

/// Holds `lines` (SKU, units) for `order_id`: all or nothing (the caller's
/// transaction rolls back on `Err`). SKUs are taken in sorted order so two
/// orders never wait on each other's rows in opposite orders.
pub(crate) fn reserve(
    conn: &mut AnyConnection,
    order_id: &str,
    lines: &[(&str, i64)],
    now: NaiveDateTime,
) -> Result<(), Problem> {
    let mut sorted = lines.to_vec();
    sorted.sort_unstable();
    for (sku, quantity) in sorted {
        let changed = diesel::update(
            s::table
                .filter(s::sku.eq(sku))
                .filter((s::on_hand - s::reserved).ge(quantity)),
        )
        .set((
            s::reserved.eq(s::reserved + quantity),
            s::updated_at.eq(now),
        ))
        .execute(conn)?;
        if changed == 0 {
            let available = find_row(conn, sku)?.map_or(0, |r| r.on_hand - r.reserved);
            return Err(Problem::conflict(format!(
                "not enough stock of {sku}: {quantity} requested, {available} available"
            ))
            .with("sku", sku)
            .with("requested", quantity)
            .with("available", available));
        }
        diesel::insert_into(r::table)
            .values((
                r::order_id.eq(order_id),
                r::sku.eq(sku),
                r::quantity.eq(quantity),
                r::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Ends `order_id`'s holds. `ship = true`: the units leave the warehouse
/// (on-hand drops too); `false`: they return to what is available.
pub(crate) fn end_reservations(
    conn: &mut AnyConnection,
    order_id: &str,
    ship: bool,
    now: NaiveDateTime,
) -> Result<(), Problem> {
    let mut holds: Vec<(String, i64)> = r::table
        .filter(r::order_id.eq(order_id))
        .select((r::sku, r::quantity))
        .load(conn)?;
    holds.sort_unstable();
    for (sku, quantity) in holds {
        let target = s::table
            .filter(s::sku.eq(&sku))
            .filter(s::reserved.ge(quantity))
            .filter(s::on_hand.ge(quantity));
        let changed = if ship {
            diesel::update(target)
                .set((
                    s::on_hand.eq(s::on_hand - quantity),
                    s::reserved.eq(s::reserved - quantity),
                    s::updated_at.eq(now),
                ))
                .execute(conn)?
        } else {
            diesel::update(target)
                .set((
                    s::reserved.eq(s::reserved - quantity),
                    s::updated_at.eq(now),
                ))
                .execute(conn)?
        };
        if changed == 0 {
            return Err(Problem::internal(&format!(
                "reservation of {quantity} × {sku} for order {order_id} exceeds the item's reserved stock"
            )));
        }
    }
    diesel::delete(r::table.filter(r::order_id.eq(order_id))).execute(conn)?;
    Ok(())
}

/// Drops `order_id`'s holds without moving any count (sync, legacy → new:
/// the monolith closed the order, and the item's counts arrive as their own
/// change).
pub(crate) fn forget_reservations(conn: &mut AnyConnection, order_id: &str) -> Result<(), Problem> {
    diesel::delete(r::table.filter(r::order_id.eq(order_id))).execute(conn)?;
    Ok(())
}

/// Sets the item's counts as the monolith has them (sync, legacy → new).
pub(crate) fn set_counts(
    conn: &mut AnyConnection,
    sku: &Sku,
    on_hand: i64,
    reserved: i64,
    now: NaiveDateTime,
) -> Result<(), Problem> {
    if on_hand < 0 || !(0..=on_hand).contains(&reserved) {
        return Err(Problem::unprocessable(format!(
            "stock item {sku}: {reserved} reserved of {on_hand} on hand are not counts of one item"
        )));
    }
    diesel::update(s::table.filter(s::sku.eq(sku.as_str())))
        .set((
            s::on_hand.eq(on_hand),
            s::reserved.eq(reserved),
            s::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}
