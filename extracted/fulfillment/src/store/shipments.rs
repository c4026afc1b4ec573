//! `shipments`: one per shipped order; delivered once.

use super::convert::{conflict_on_duplicate, state, utc, uuid};
use super::legacy_ids::{self, Entity};
use super::schema::{orders, shipments as sh};
use chrono::{NaiveDateTime, SubsecRound};
use diesel::prelude::*;
use fulfillment_api::{ImportShipment, ShipOrder, Shipment, ShipmentState};
use platform::Problem;
use platform::db::AnyConnection;
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sh)]
struct ShipmentRow {
    id: String,
    legacy_id: i64,
    order_id: String,
    state: String,
    carrier: String,
    tracking_number: String,
    created_at: NaiveDateTime,
    delivered_at: Option<NaiveDateTime>,
}

/// The shipment row to insert.
struct NewShipment<'a> {
    legacy_id: i64,
    state: ShipmentState,
    carrier: &'a str,
    tracking_number: &'a str,
    created_at: NaiveDateTime,
    delivered_at: Option<NaiveDateTime>,
}

fn insert(conn: &mut AnyConnection, order_id: &str, new: &NewShipment) -> Result<String, Problem> {
    let id = Uuid::now_v7().to_string();
    diesel::insert_into(sh::table)
        .values((
            sh::id.eq(&id),
            sh::legacy_id.eq(new.legacy_id),
            sh::order_id.eq(order_id),
            sh::state.eq(new.state.as_str()),
            sh::carrier.eq(new.carrier),
            sh::tracking_number.eq(new.tracking_number),
            sh::created_at.eq(new.created_at),
            sh::delivered_at.eq(new.delivered_at),
        ))
        .execute(conn)
        .map_err(conflict_on_duplicate(format!(
            "a shipment with legacy id {} (or for order {order_id})",
            new.legacy_id
        )))?;
    Ok(id)
}

/// Creates the shipment of `order_id` (the caller has moved the order to
/// shipped in the same transaction).
pub(crate) fn create(
    conn: &mut AnyConnection,
    order_id: &str,
    req: &ShipOrder,
    now: NaiveDateTime,
) -> Result<Shipment, Problem> {
    let legacy_id = match req.legacy_id {
        Some(id) => id,
        None => legacy_ids::next(conn, Entity::Shipment)?,
    };
    let tracking = match &req.tracking_number {
        Some(t) => t.clone(),
        // Carriers issue their own numbers; without one we issue a unique
        // number, so `trk` is never empty.
        None => format!("TRK{}", Uuid::new_v4().simple()).to_uppercase()[..19].to_owned(),
    };
    let new = NewShipment {
        legacy_id,
        state: ShipmentState::Shipped,
        carrier: &req.carrier,
        tracking_number: &tracking,
        created_at: now,
        delivered_at: None,
    };
    let id = insert(conn, order_id, &new)?;
    get(conn, &id)
}

/// Stores the shipment of an imported order as it is in the monolith.
pub(crate) fn import(
    conn: &mut AnyConnection,
    order_id: &str,
    s: &ImportShipment,
) -> Result<(), Problem> {
    let new = NewShipment {
        legacy_id: s.legacy_id,
        state: if s.delivered_at.is_some() {
            ShipmentState::Delivered
        } else {
            ShipmentState::Shipped
        },
        carrier: &s.carrier,
        tracking_number: &s.tracking_number,
        created_at: s.created_at.naive_utc().trunc_subsecs(6),
        delivered_at: s.delivered_at.map(|t| t.naive_utc().trunc_subsecs(6)),
    };
    insert(conn, order_id, &new).map(|_| ())
}

fn load(
    conn: &mut AnyConnection,
    row: Option<ShipmentRow>,
    what: String,
) -> Result<Shipment, Problem> {
    let row = row.ok_or_else(|| Problem::not_found(format!("there is no shipment {what}")))?;
    let order_legacy_id: i64 = orders::table
        .find(&row.order_id)
        .select(orders::legacy_id)
        .first(conn)?;
    Ok(Shipment {
        id: uuid(&row.id)?,
        legacy_id: row.legacy_id,
        order_id: uuid(&row.order_id)?,
        order_legacy_id,
        state: state(&row.state)?,
        carrier: row.carrier,
        tracking_number: row.tracking_number,
        created_at: utc(row.created_at),
        delivered_at: row.delivered_at.map(utc),
    })
}

/// The shipment by id (stored text).
pub(crate) fn get(conn: &mut AnyConnection, id: &str) -> Result<Shipment, Problem> {
    let row = sh::table
        .find(id)
        .select(ShipmentRow::as_select())
        .first(conn)
        .optional()?;
    load(conn, row, id.to_owned())
}

/// The shipment by legacy id.
pub(crate) fn get_by_legacy_id(
    conn: &mut AnyConnection,
    legacy_id: i64,
) -> Result<Shipment, Problem> {
    let row = sh::table
        .filter(sh::legacy_id.eq(legacy_id))
        .select(ShipmentRow::as_select())
        .first(conn)
        .optional()?;
    load(conn, row, format!("with legacy id {legacy_id}"))
}

/// The shipment's order id, or 404.
pub(crate) fn order_of(conn: &mut AnyConnection, id: &str) -> Result<String, Problem> {
    sh::table
        .find(id)
        .select(sh::order_id)
        .first(conn)
        .optional()?
        .ok_or_else(|| Problem::not_found(format!("there is no shipment {id}")))
}

/// The shipment id of an order, if it has shipped.
pub(crate) fn of_order(
    conn: &mut AnyConnection,
    order_id: &str,
) -> Result<Option<String>, Problem> {
    Ok(sh::table
        .filter(sh::order_id.eq(order_id))
        .select(sh::id)
        .first(conn)
        .optional()?)
}

/// Marks the shipment delivered (once).
pub(crate) fn deliver(
    conn: &mut AnyConnection,
    id: &str,
    now: NaiveDateTime,
) -> Result<Shipment, Problem> {
    let changed = diesel::update(
        sh::table
            .find(id)
            .filter(sh::state.eq(ShipmentState::Shipped.as_str())),
    )
    .set((
        sh::state.eq(ShipmentState::Delivered.as_str()),
        sh::delivered_at.eq(Some(now)),
    ))
    .execute(conn)?;
    if changed == 0 {
        let current = get(conn, id)?;
        return Err(Problem::conflict(format!(
            "shipment {id} is {}; only a shipped shipment can be delivered",
            current.state.as_str()
        ))
        .with("current_state", current.state.as_str())
        .with("requested_state", ShipmentState::Delivered.as_str()));
    }
    get(conn, id)
}
