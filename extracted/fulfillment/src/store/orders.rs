//! `orders` and `order_lines`, read side and state changes: reading and
//! listing orders with their lines, and state transitions as conditional
//! UPDATEs (`… WHERE state IN (sources)`), so two concurrent requests can
//! never both move the same order. Inserting orders is in `order_insert`.

use super::convert::{money, state, utc, uuid};
use super::schema::{order_lines as l, orders as o, shipments};
use crate::domain::{IllegalTransition, order_state_sources};
use chrono::{NaiveDateTime, SubsecRound};
use diesel::prelude::*;
use fulfillment_api::{Order, OrderLine, OrderState, Page, Sku};
use platform::Problem;
use platform::db::AnyConnection;
use std::collections::HashMap;
use uuid::Uuid;
use v2_common::Money;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = o)]
struct OrderRow {
    id: String,
    legacy_id: i64,
    customer_legacy_id: i64,
    state: String,
    currency: String,
    total_minor: i64,
    payment_legacy_id: Option<i64>,
    invoice_legacy_id: Option<i64>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = l)]
struct LineRow {
    order_id: String,
    sku: String,
    quantity: i64,
    unit_price_minor: i64,
    amount_minor: i64,
}

/// The order by id (`id` as stored text).
pub(crate) fn get(conn: &mut AnyConnection, id: &str) -> Result<Order, Problem> {
    let row = o::table
        .find(id)
        .select(OrderRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| Problem::not_found(format!("there is no order {id}")))?;
    Ok(assemble(conn, vec![row])?.remove(0))
}

/// The order by id, if there is one.
pub(crate) fn find(conn: &mut AnyConnection, id: &str) -> Result<Option<Order>, Problem> {
    let row = o::table
        .find(id)
        .select(OrderRow::as_select())
        .first(conn)
        .optional()?;
    match row {
        Some(row) => Ok(Some(assemble(conn, vec![row])?.remove(0))),
        None => Ok(None),
    }
}

/// The id of the order with this legacy id, if there is one.
pub(crate) fn id_by_legacy_id(
    conn: &mut AnyConnection,
    legacy_id: i64,
) -> Result<Option<String>, Problem> {
    Ok(o::table
        .filter(o::legacy_id.eq(legacy_id))
        .select(o::id)
        .first(conn)
        .optional()?)
}

/// The order by legacy id.
pub(crate) fn get_by_legacy_id(conn: &mut AnyConnection, legacy_id: i64) -> Result<Order, Problem> {
    let row = o::table
        .filter(o::legacy_id.eq(legacy_id))
        .select(OrderRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| {
            Problem::not_found(format!("there is no order with legacy id {legacy_id}"))
        })?;
    Ok(assemble(conn, vec![row])?.remove(0))
}

/// A customer's orders by ascending legacy id: the monolith's own order, so an
/// imported history pages exactly as it did there, and assigned ids (above
/// the monolith's) follow it in creation order.
pub(crate) fn list_by_customer(
    conn: &mut AnyConnection,
    customer_legacy_id: i64,
    limit: u32,
    offset: u64,
) -> Result<Page<Order>, Problem> {
    let rows = o::table
        .filter(o::customer_legacy_id.eq(customer_legacy_id))
        .order(o::legacy_id)
        .limit(i64::from(limit))
        // An offset past any possible row simply yields an empty page.
        .offset(i64::try_from(offset).unwrap_or(i64::MAX))
        .select(OrderRow::as_select())
        .load(conn)?;
    let total: i64 = o::table
        .filter(o::customer_legacy_id.eq(customer_legacy_id))
        .count()
        .get_result(conn)?;
    Ok(Page {
        data: assemble(conn, rows)?,
        total: u64::try_from(total).map_err(|e| Problem::internal(&e))?,
        limit,
        offset,
    })
}

/// Orders with legacy ids above `after`, in legacy-id order, at most
/// `limit` (the export list verification walks).
pub(crate) fn after_legacy_id(
    conn: &mut AnyConnection,
    after: i64,
    limit: u32,
) -> Result<Vec<Order>, Problem> {
    let rows = o::table
        .filter(o::legacy_id.gt(after))
        .order(o::legacy_id)
        .limit(i64::from(limit))
        .select(OrderRow::as_select())
        .load(conn)?;
    assemble(conn, rows)
}

/// Orders with their lines and shipment ids, in the rows' order.
fn assemble(conn: &mut AnyConnection, rows: Vec<OrderRow>) -> Result<Vec<Order>, Problem> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let mut lines: HashMap<String, Vec<LineRow>> = HashMap::new();
    for line in l::table
        .filter(l::order_id.eq_any(&ids))
        .order((l::order_id, l::line_no))
        .select(LineRow::as_select())
        .load(conn)?
    {
        lines.entry(line.order_id.clone()).or_default().push(line);
    }
    let shipped: HashMap<String, String> = shipments::table
        .filter(shipments::order_id.eq_any(&ids))
        .select((shipments::order_id, shipments::id))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    rows.into_iter()
        .map(|row| {
            let own = lines.remove(&row.id).unwrap_or_default();
            let shipment = shipped.get(&row.id).map(|s| uuid(s)).transpose()?;
            to_wire(row, own, shipment)
        })
        .collect()
}

fn to_wire(
    row: OrderRow,
    lines: Vec<LineRow>,
    shipment_id: Option<Uuid>,
) -> Result<Order, Problem> {
    let at = |minor: i64| -> Result<Money, Problem> { money(minor, &row.currency) };
    let lines = lines
        .into_iter()
        .map(|line| {
            Ok(OrderLine {
                sku: Sku::parse(&line.sku).map_err(|e| Problem::internal(&e))?,
                quantity: line.quantity,
                unit_price: at(line.unit_price_minor)?,
                amount: at(line.amount_minor)?,
            })
        })
        .collect::<Result<_, Problem>>()?;
    Ok(Order {
        id: uuid(&row.id)?,
        legacy_id: row.legacy_id,
        customer_legacy_id: row.customer_legacy_id,
        state: state(&row.state)?,
        total: at(row.total_minor)?,
        lines,
        payment_legacy_id: row.payment_legacy_id,
        invoice_legacy_id: row.invoice_legacy_id,
        shipment_id,
        created_at: utc(row.created_at),
        updated_at: utc(row.updated_at),
    })
}

/// Moves the order to `to` if, and only if, it is in a state `to` may be
/// reached from; otherwise 409 naming both states (404 when there is no order).
pub(crate) fn transition(
    conn: &mut AnyConnection,
    id: &str,
    to: OrderState,
    now: NaiveDateTime,
) -> Result<(), Problem> {
    let sources: Vec<&str> = order_state_sources(to).iter().map(|s| s.as_str()).collect();
    let changed = diesel::update(o::table.find(id).filter(o::state.eq_any(&sources)))
        .set((o::state.eq(to.as_str()), o::updated_at.eq(now)))
        .execute(conn)?;
    if changed == 1 {
        return Ok(());
    }
    let current: String = o::table
        .find(id)
        .select(o::state)
        .first(conn)
        .optional()?
        .ok_or_else(|| Problem::not_found(format!("there is no order {id}")))?;
    Err(IllegalTransition {
        current: state(&current)?,
        requested: to,
    }
    .into())
}

/// Records what paid the order (at confirmation).
pub(crate) fn set_payment(
    conn: &mut AnyConnection,
    id: &str,
    payment_legacy_id: Option<i64>,
    invoice_legacy_id: Option<i64>,
) -> Result<(), Problem> {
    diesel::update(o::table.find(id))
        .set((
            o::payment_legacy_id.eq(payment_legacy_id),
            o::invoice_legacy_id.eq(invoice_legacy_id),
        ))
        .execute(conn)?;
    Ok(())
}

/// Links the order to its invoice (the saga records it as soon as it is
/// issued; the payment follows when the order is confirmed).
pub(crate) fn set_invoice(
    conn: &mut AnyConnection,
    id: &str,
    invoice_legacy_id: i64,
) -> Result<(), Problem> {
    let updated = diesel::update(o::table.find(id))
        .set(o::invoice_legacy_id.eq(Some(invoice_legacy_id)))
        .execute(conn)?;
    if updated != 1 {
        return Err(Problem::not_found(format!("order {id}")));
    }
    Ok(())
}

/// Gives the order the state, links and times the monolith's record has
/// (sync, legacy → new): written as they stand there, no transition rule,
/// since the monolith already applied its own.
pub(crate) fn set_synced(
    conn: &mut AnyConnection,
    id: &str,
    record: &fulfillment_api::ImportOrder,
) -> Result<(), Problem> {
    diesel::update(o::table.find(id))
        .set((
            o::state.eq(record.state.as_str()),
            o::payment_legacy_id.eq(record.payment_legacy_id),
            o::invoice_legacy_id.eq(record.invoice_legacy_id),
            o::updated_at.eq(record.updated_at.naive_utc().trunc_subsecs(6)),
        ))
        .execute(conn)?;
    Ok(())
}
