//! Orders and their lines.

use super::schema::{order_lines, orders};
use crate::error::{AppError, AppResult};
use crate::fulfillment::domain::OrderStatus;
use crate::legacy::ids::own_id;
use crate::legacy::page::PageRequest;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use platform::db::AnyConnection;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = orders)]
pub struct OrderRow {
    pub id: i64,
    pub customer_id: i64,
    pub status: String,
    pub currency: String,
    pub total: i64,
    pub payment_id: Option<i64>,
    pub invoice_id: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = order_lines)]
pub struct LineRow {
    pub order_id: i64,
    pub sku: String,
    pub qty: i64,
    pub unit_price: i64,
    pub amount: i64,
}

/// An order with its lines, in line order.
pub type OrderWithLines = (OrderRow, Vec<LineRow>);

/// A line priced at placement.
pub struct PricedLine {
    pub sku: String,
    pub qty: i64,
    pub unit_price: i64,
    pub amount: i64,
}

pub fn insert(
    conn: &mut AnyConnection,
    customer_id: i64,
    currency: &str,
    total: i64,
    lines: &[PricedLine],
    now: NaiveDateTime,
) -> AppResult<i64> {
    let own = own_id!(conn, orders);
    let id: i64 = diesel::insert_into(orders::table)
        .values((
            own.map(|id| orders::id.eq(id)),
            orders::customer_id.eq(customer_id),
            orders::status.eq(OrderStatus::Pending.letter()),
            orders::currency.eq(currency),
            orders::total.eq(total),
            orders::created_at.eq(now),
            orders::updated_at.eq(now),
        ))
        .returning(orders::id)
        .get_result(conn)?;
    for l in lines {
        diesel::insert_into(order_lines::table)
            .values((
                order_lines::order_id.eq(id),
                order_lines::sku.eq(&l.sku),
                order_lines::qty.eq(l.qty),
                order_lines::unit_price.eq(l.unit_price),
                order_lines::amount.eq(l.amount),
            ))
            .execute(conn)?;
    }
    Ok(id)
}

pub fn set_payment(
    conn: &mut AnyConnection,
    id: i64,
    payment_id: i64,
    invoice_id: i64,
) -> AppResult<()> {
    diesel::update(orders::table.find(id))
        .set((
            orders::payment_id.eq(payment_id),
            orders::invoice_id.eq(invoice_id),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn get(conn: &mut AnyConnection, id: i64) -> AppResult<OrderWithLines> {
    let order = orders::table
        .find(id)
        .select(OrderRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found(format!("order {id}")))?;
    let lines = lines_of(conn, &[id])?;
    Ok((order, lines))
}

fn lines_of(conn: &mut AnyConnection, ids: &[i64]) -> AppResult<Vec<LineRow>> {
    Ok(order_lines::table
        .filter(order_lines::order_id.eq_any(ids))
        .order(order_lines::id)
        .select(LineRow::as_select())
        .load(conn)?)
}

pub fn of_customer(
    conn: &mut AnyConnection,
    customer_id: i64,
    page: PageRequest,
) -> AppResult<(Vec<OrderWithLines>, i64)> {
    let filter = orders::table.filter(orders::customer_id.eq(customer_id));
    let rows: Vec<OrderRow> = filter
        .order(orders::id)
        .limit(page.per_page)
        .offset(page.offset())
        .select(OrderRow::as_select())
        .load(conn)?;
    let total = filter.count().get_result(conn)?;
    let ids: Vec<i64> = rows.iter().map(|o| o.id).collect();
    let mut lines = lines_of(conn, &ids)?;
    let orders = rows
        .into_iter()
        .map(|o| {
            let (mine, rest): (Vec<LineRow>, Vec<LineRow>) =
                lines.drain(..).partition(|l| l.order_id == o.id);
            lines = rest;
            (o, mine)
        })
        .collect();
    Ok((orders, total))
}

/// Orders with ids above `after` and their lines, in id order (export).
pub fn after(
    conn: &mut AnyConnection,
    after: i64,
    limit: i64,
) -> AppResult<(Vec<OrderWithLines>, i64)> {
    let rows: Vec<OrderRow> = orders::table
        .filter(orders::id.gt(after))
        .order(orders::id)
        .limit(limit)
        .select(OrderRow::as_select())
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|o| o.id).collect();
    let mut by_order: std::collections::HashMap<i64, Vec<LineRow>> =
        std::collections::HashMap::with_capacity(rows.len());
    for line in lines_of(conn, &ids)? {
        by_order.entry(line.order_id).or_default().push(line);
    }
    let orders = rows
        .into_iter()
        .map(|o| {
            let lines = by_order.remove(&o.id).unwrap_or_default();
            (o, lines)
        })
        .collect();
    Ok((orders, orders::table.count().get_result(conn)?))
}

/// Moves an order to `to` if its current state allows it, atomically; the 409
/// names the current state.
pub fn transition(
    conn: &mut AnyConnection,
    id: i64,
    to: OrderStatus,
    now: NaiveDateTime,
) -> AppResult<OrderRow> {
    let from: Vec<&str> = to.allowed_from().iter().map(|s| s.letter()).collect();
    let changed = diesel::update(
        orders::table
            .filter(orders::id.eq(id))
            .filter(orders::status.eq_any(from)),
    )
    .set((orders::status.eq(to.letter()), orders::updated_at.eq(now)))
    .execute(conn)?;
    let (order, _) = get(conn, id)?;
    if changed == 0 {
        return Err(to.refused(id, &order.status));
    }
    Ok(order)
}
