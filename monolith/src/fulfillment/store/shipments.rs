//! Shipments.

use super::schema::shipments;
use crate::error::{AppError, AppResult};
use crate::legacy::ids::own_id;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use platform::db::AnyConnection;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = shipments)]
pub struct ShipmentRow {
    pub id: i64,
    pub order_id: i64,
    pub status: String,
    pub carrier: String,
    pub tracking: String,
    pub created_at: NaiveDateTime,
    pub delivered_at: Option<NaiveDateTime>,
}

pub fn insert(
    conn: &mut AnyConnection,
    order_id: i64,
    carrier: &str,
    now: NaiveDateTime,
) -> AppResult<ShipmentRow> {
    let tracking = format!(
        "{}-{order_id:08}",
        carrier.to_uppercase().replace(char::is_whitespace, "")
    );
    let own = own_id!(conn, shipments);
    let id = diesel::insert_into(shipments::table)
        .values((
            own.map(|id| shipments::id.eq(id)),
            shipments::order_id.eq(order_id),
            shipments::status.eq("S"),
            shipments::carrier.eq(carrier),
            shipments::tracking.eq(tracking),
            shipments::created_at.eq(now),
        ))
        .returning(shipments::id)
        .get_result::<i64>(conn)?;
    get(conn, id)
}

pub fn get(conn: &mut AnyConnection, id: i64) -> AppResult<ShipmentRow> {
    shipments::table
        .find(id)
        .select(ShipmentRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found(format!("shipment {id}")))
}

/// Marks a shipped shipment delivered, atomically.
pub fn deliver(conn: &mut AnyConnection, id: i64, now: NaiveDateTime) -> AppResult<ShipmentRow> {
    let changed = diesel::update(
        shipments::table
            .filter(shipments::id.eq(id))
            .filter(shipments::status.eq("S")),
    )
    .set((
        shipments::status.eq("D"),
        shipments::delivered_at.eq(Some(now)),
    ))
    .execute(conn)?;
    let row = get(conn, id)?;
    if changed == 0 {
        return Err(AppError::Conflict(format!(
            "shipment {id} cannot move from status {} to D",
            row.status
        )));
    }
    Ok(row)
}

/// Shipments with ids above `after`, in id order (export).
pub fn after(
    conn: &mut AnyConnection,
    after: i64,
    limit: i64,
) -> AppResult<(Vec<ShipmentRow>, i64)> {
    let rows = shipments::table
        .filter(shipments::id.gt(after))
        .order(shipments::id)
        .limit(limit)
        .select(ShipmentRow::as_select())
        .load(conn)?;
    Ok((rows, shipments::table.count().get_result(conn)?))
}

/// The shipments of these orders, in id order (export).
pub fn of_orders(conn: &mut AnyConnection, order_ids: &[i64]) -> AppResult<Vec<ShipmentRow>> {
    Ok(shipments::table
        .filter(shipments::order_id.eq_any(order_ids))
        .order(shipments::id)
        .select(ShipmentRow::as_select())
        .load(conn)?)
}
