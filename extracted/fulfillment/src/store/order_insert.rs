//! Writing new orders: placing one (priced from the stock items, its stock
//! reserved in the same transaction) and importing one from the monolith in
//! the state it is in there (historical prices; stock reserved only while it
//! is open).

use super::convert::{conflict_on_duplicate, currency};
use super::legacy_ids::{self, Entity};
use super::schema::{order_lines as l, orders as o};
use super::{orders, shipments, stock};
use crate::domain::Invalid;
use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};
use diesel::prelude::*;
use fulfillment_api::{ImportOrder, NewOrder, Order, OrderState};
use platform::Problem;
use platform::db::AnyConnection;
use std::collections::HashMap;
use uuid::Uuid;

/// A priced line: SKU, units, unit price and amount in minor units.
struct Priced<'a> {
    sku: &'a str,
    quantity: i64,
    unit_price: i64,
    amount: i64,
}

/// The order row to insert.
struct Header<'a> {
    legacy_id: i64,
    customer_legacy_id: i64,
    state: OrderState,
    currency: &'a str,
    total: i64,
    payment_legacy_id: Option<i64>,
    invoice_legacy_id: Option<i64>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

fn stored_time(t: DateTime<Utc>) -> NaiveDateTime {
    t.naive_utc().trunc_subsecs(6)
}

/// `quantity × unit_price`, and the running total, without overflow.
fn amount(i: usize, unit_price: i64, quantity: i64, total: &mut i64) -> Result<i64, Invalid> {
    let amount = unit_price.checked_mul(quantity).ok_or_else(|| {
        Invalid::new(
            format!("lines[{i}].quantity"),
            "the line's amount is too large",
        )
    })?;
    *total = total
        .checked_add(amount)
        .ok_or_else(|| Invalid::new("lines", "the order's total is too large"))?;
    Ok(amount)
}

/// Inserts the order and its lines; returns the new order's id.
fn insert(conn: &mut AnyConnection, h: &Header, lines: &[Priced]) -> Result<String, Problem> {
    let id = Uuid::now_v7().to_string();
    diesel::insert_into(o::table)
        .values((
            o::id.eq(&id),
            o::legacy_id.eq(h.legacy_id),
            o::customer_legacy_id.eq(h.customer_legacy_id),
            o::state.eq(h.state.as_str()),
            o::currency.eq(h.currency),
            o::total_minor.eq(h.total),
            o::payment_legacy_id.eq(h.payment_legacy_id),
            o::invoice_legacy_id.eq(h.invoice_legacy_id),
            o::created_at.eq(h.created_at),
            o::updated_at.eq(h.updated_at),
        ))
        .execute(conn)
        .map_err(conflict_on_duplicate(format!(
            "an order with legacy id {}",
            h.legacy_id
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
    Ok(id)
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
                let detail = format!(
                    "{sku} is priced in {}, the order's earlier lines in {c}: an order has one currency",
                    item.currency
                );
                return Err(Invalid::new(&field, detail).into());
            }
            Some(_) => {}
        }
        let amount = amount(i, item.unit_price_minor, line.quantity, &mut total)?;
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
    let created_at = req.created_at.map_or(now, stored_time);
    let header = Header {
        legacy_id,
        customer_legacy_id: req.customer_legacy_id,
        state: OrderState::Pending,
        currency: &code,
        total,
        payment_legacy_id: None,
        invoice_legacy_id: None,
        created_at,
        updated_at: created_at,
    };
    let id = insert(conn, &header, &lines)?;
    let holds: Vec<(&str, i64)> = lines.iter().map(|l| (l.sku, l.quantity)).collect();
    stock::reserve(conn, &id, &holds, now)?;
    orders::get(conn, &id)
}

/// Imports the order (`true`), or answers with the one already imported
/// under its legacy id (`false`), unchanged. An open order reserves its
/// stock when `reserve` (a backfill: stock is imported without holds);
/// sync brings the item's counts as they are instead.
pub(crate) fn import(
    conn: &mut AnyConnection,
    req: &ImportOrder,
    now: NaiveDateTime,
    reserve: bool,
) -> Result<(Order, bool), Problem> {
    if let Some(id) = orders::id_by_legacy_id(conn, req.legacy_id)? {
        return Ok((orders::get(conn, &id)?, false));
    }
    let mut total = 0;
    let mut lines = Vec::with_capacity(req.lines.len());
    for (i, line) in req.lines.iter().enumerate() {
        let unit_price = line
            .unit_price
            .to_minor_units()
            .map_err(|e| Invalid::new(format!("lines[{i}].unit_price"), e.to_string()))?;
        let amount = amount(i, unit_price, line.quantity, &mut total)?;
        lines.push(Priced {
            sku: line.sku.as_str(),
            quantity: line.quantity,
            unit_price,
            amount,
        });
    }
    // The domain checked that every line shares the first line's currency.
    let code = req
        .lines
        .first()
        .map(|l| l.unit_price.currency().code())
        .unwrap_or_default();
    let header = Header {
        legacy_id: req.legacy_id,
        customer_legacy_id: req.customer_legacy_id,
        state: req.state,
        currency: code,
        total,
        payment_legacy_id: req.payment_legacy_id,
        invoice_legacy_id: req.invoice_legacy_id,
        created_at: stored_time(req.created_at),
        updated_at: stored_time(req.updated_at),
    };
    let id = insert(conn, &header, &lines)?;
    if reserve && matches!(req.state, OrderState::Pending | OrderState::Confirmed) {
        let holds: Vec<(&str, i64)> = lines.iter().map(|l| (l.sku, l.quantity)).collect();
        stock::reserve(conn, &id, &holds, now)?;
    }
    if let Some(shipment) = &req.shipment {
        shipments::import(conn, &id, shipment)?;
    }
    Ok((orders::get(conn, &id)?, true))
}
