//! `orders` and `order_lines`: placing an order (priced from the stock
//! items, stock reserved in the same transaction), reading and listing, and
//! state transitions as conditional UPDATEs (`… WHERE state IN (sources)`), so
//! two concurrent requests can never both move the same order.

use super::convert::{conflict_on_duplicate, currency, money, state, utc, uuid};
use super::legacy_ids::{self, Entity};
use super::schema::{order_lines as l, orders as o, shipments};
use super::stock;
use crate::domain::{IllegalTransition, Invalid, order_state_sources};
use chrono::{NaiveDateTime, SubsecRound};
use diesel::prelude::*;
use fulfillment_api::{NewOrder, Order, OrderLine, OrderState, Page, Sku};
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

/// A priced line: SKU, units, unit price and amount in minor units.
struct Priced<'a> {
    sku: &'a str,
    quantity: i64,
    unit_price: i64,
    amount: i64,
}

/// Prices every line from its stock item; all must share one currency.
fn price<'a>(
    conn: &mut AnyConnection,
    req: &'a NewOrder,
) -> Result<(Vec<Priced<'a>>, String, i64), Problem> {
    let skus: Vec<&str> = req.lines.iter().map(|l| l.sku.as_str()).collect();
    let items: HashMap<String, stock::ItemRow> = stock::rows_for(conn, &skus)?
        .into_iter()
        .map(|r| (r.sku.clone(), r))
        .collect();
    let mut priced = Vec::with_capacity(req.lines.len());
    let mut order_currency: Option<&str> = None;
    let mut total: i64 = 0;
    for (i, line) in req.lines.iter().enumerate() {
        let field = format!("lines[{i}].sku");
        let sku = line.sku.as_str();
        let item = items.get(sku).ok_or_else(|| {
            Invalid::new(
                &field,
                format!("there is no stock item {sku}; define it first"),
            )
        })?;
        match order_currency {
            None => order_currency = Some(&item.currency),
            Some(c) if c != item.currency => {
                return Err(Invalid::new(
                    &field,
                    format!("{sku} is priced in {}, the order's earlier lines in {c}: an order has one currency", item.currency),
                ).into());
            }
            Some(_) => {}
        }
        let amount = item
            .unit_price_minor
            .checked_mul(line.quantity)
            .ok_or_else(|| {
                Invalid::new(
                    format!("lines[{i}].quantity"),
                    "the line's amount is too large",
                )
            })?;
        total = total
            .checked_add(amount)
            .ok_or_else(|| Invalid::new("lines", "the order's total is too large"))?;
        priced.push(Priced {
            sku,
            quantity: line.quantity,
            unit_price: item.unit_price_minor,
            amount,
        });
    }
    // An order has at least one line (validated), so a currency was found.
    let code = order_currency.unwrap_or_default().to_owned();
    currency(&code)?;
    Ok((priced, code, total))
}

/// Places the order: priced, stored `pending`, every line's stock reserved.
pub(crate) fn place(
    conn: &mut AnyConnection,
    req: &NewOrder,
    now: NaiveDateTime,
) -> Result<Order, Problem> {
    let (lines, code, total) = price(conn, req)?;
    let legacy_id = match req.legacy_id {
        Some(id) => id,
        None => legacy_ids::next(conn, Entity::Order)?,
    };
    let id = Uuid::now_v7().to_string();
    let created_at = req
        .created_at
        .map_or(now, |t| t.naive_utc().trunc_subsecs(6));
    diesel::insert_into(o::table)
        .values((
            o::id.eq(&id),
            o::legacy_id.eq(legacy_id),
            o::customer_legacy_id.eq(req.customer_legacy_id),
            o::state.eq(OrderState::Pending.as_str()),
            o::currency.eq(&code),
            o::total_minor.eq(total),
            o::created_at.eq(created_at),
            o::updated_at.eq(created_at),
        ))
        .execute(conn)
        .map_err(conflict_on_duplicate(format!(
            "an order with legacy id {legacy_id}"
        )))?;
    for (no, line) in lines.iter().enumerate() {
        diesel::insert_into(l::table)
            .values((
                l::order_id.eq(&id),
                l::line_no.eq(i32::try_from(no).map_err(|e| Problem::internal(&e))?),
                l::sku.eq(line.sku),
                l::quantity.eq(line.quantity),
                l::unit_price_minor.eq(line.unit_price),
                l::amount_minor.eq(line.amount),
            ))
            .execute(conn)?;
    }
    let holds: Vec<(&str, i64)> = lines.iter().map(|l| (l.sku, l.quantity)).collect();
    stock::reserve(conn, &id, &holds, now)?;
    get(conn, &id)
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
