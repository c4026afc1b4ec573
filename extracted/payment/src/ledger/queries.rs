//! Reads from the projection tables, answered as v2 resources.

use super::projection::{PaymentRow, RefundRow};
use super::state::parse_status;
use crate::error::CommandError;
use crate::schema::{payments, refunds};
use diesel::prelude::*;
use payment_api::{Payment, PaymentMethod, Refund};
use platform::Problem;
use platform::db::AnyConnection;
use uuid::Uuid;
use v2_common::{Currency, Money, Page};

/// A payment by UUID, or 404.
pub fn payment(conn: &mut AnyConnection, id: Uuid) -> Result<Payment, CommandError> {
    let row = payments::table
        .find(id.to_string())
        .select(PaymentRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| Problem::not_found(format!("no payment with id {id}")))?;
    Ok(payment_from_row(row)?)
}

/// A payment by legacy id, or 404.
pub fn payment_by_legacy_id(
    conn: &mut AnyConnection,
    legacy_id: i64,
) -> Result<Payment, CommandError> {
    let row = payments::table
        .filter(payments::legacy_id.eq(legacy_id))
        .select(PaymentRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| Problem::not_found(format!("no payment with legacy id {legacy_id}")))?;
    Ok(payment_from_row(row)?)
}

/// A page of payments (optionally of one order), by legacy id.
pub fn payments_page(
    conn: &mut AnyConnection,
    order_legacy_id: Option<i64>,
    limit: u32,
    offset: u64,
) -> Result<Page<Payment>, CommandError> {
    let filtered = || {
        let mut q = payments::table.into_boxed();
        if let Some(order) = order_legacy_id {
            q = q.filter(payments::order_legacy_id.eq(order));
        }
        q
    };
    let total: i64 = filtered().count().get_result(conn)?;
    let rows = filtered()
        .order(payments::legacy_id.asc())
        .limit(i64::from(limit))
        .offset(to_i64(offset))
        .select(PaymentRow::as_select())
        .load(conn)?;
    let data = rows
        .into_iter()
        .map(payment_from_row)
        .collect::<Result<_, _>>()?;
    Ok(Page {
        data,
        total: total.unsigned_abs(),
        limit,
        offset,
    })
}

/// A page of one payment's refunds, oldest first (404 when the payment is unknown).
pub fn refunds_page(
    conn: &mut AnyConnection,
    payment_id: Uuid,
    limit: u32,
    offset: u64,
) -> Result<Page<Refund>, CommandError> {
    payment(conn, payment_id)?;
    let of_payment = || refunds::table.filter(refunds::payment_id.eq(payment_id.to_string()));
    let total: i64 = of_payment().count().get_result(conn)?;
    let rows = of_payment()
        .order((refunds::created_at.asc(), refunds::legacy_id.asc()))
        .limit(i64::from(limit))
        .offset(to_i64(offset))
        .select(RefundRow::as_select())
        .load(conn)?;
    let data = rows
        .into_iter()
        .map(refund_from_row)
        .collect::<Result<_, _>>()?;
    Ok(Page {
        data,
        total: total.unsigned_abs(),
        limit,
        offset,
    })
}

/// A refund by UUID, or 404.
pub fn refund(conn: &mut AnyConnection, id: Uuid) -> Result<Refund, CommandError> {
    let row = refunds::table
        .find(id.to_string())
        .select(RefundRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| Problem::not_found(format!("no refund with id {id}")))?;
    Ok(refund_from_row(row)?)
}

/// A refund by legacy id, or 404.
pub fn refund_by_legacy_id(
    conn: &mut AnyConnection,
    legacy_id: i64,
) -> Result<Refund, CommandError> {
    let row = refunds::table
        .filter(refunds::legacy_id.eq(legacy_id))
        .select(RefundRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| Problem::not_found(format!("no refund with legacy id {legacy_id}")))?;
    Ok(refund_from_row(row)?)
}

/// True when a refund already has this legacy id.
pub fn refund_legacy_id_taken(conn: &mut AnyConnection, legacy_id: i64) -> QueryResult<bool> {
    let n: i64 = refunds::table
        .filter(refunds::legacy_id.eq(legacy_id))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

pub(crate) fn payment_from_row(r: PaymentRow) -> Result<Payment, Problem> {
    let currency = currency(&r.currency)?;
    Ok(Payment {
        id: uuid(&r.id)?,
        legacy_id: r.legacy_id,
        order_id: r.order_id.as_deref().map(uuid).transpose()?,
        order_legacy_id: r.order_legacy_id,
        customer_id: r.customer_id.as_deref().map(uuid).transpose()?,
        customer_legacy_id: r.customer_legacy_id,
        method: match r.method.as_str() {
            "card" => PaymentMethod::Card,
            "invoice" => PaymentMethod::Invoice,
            other => return Err(corrupt("payments.method", other)),
        },
        status: parse_status(&r.status).ok_or_else(|| corrupt("payments.status", &r.status))?,
        amount: Money::from_minor_units(r.amount_minor, currency),
        captured: Money::from_minor_units(r.captured_minor, currency),
        refunded: Money::from_minor_units(r.refunded_minor, currency),
        failure_reason: r.failure_reason,
        version: r.version,
        created_at: r.created_at.and_utc(),
        updated_at: r.updated_at.and_utc(),
    })
}

pub(crate) fn refund_from_row(r: RefundRow) -> Result<Refund, Problem> {
    Ok(Refund {
        id: uuid(&r.id)?,
        legacy_id: r.legacy_id,
        payment_id: uuid(&r.payment_id)?,
        payment_legacy_id: r.payment_legacy_id,
        amount: Money::from_minor_units(r.amount_minor, currency(&r.currency)?),
        reason: r.reason,
        created_at: r.created_at.and_utc(),
    })
}

/// Reads a stored UUID.
pub fn uuid(s: &str) -> Result<Uuid, Problem> {
    Uuid::parse_str(s).map_err(|_| corrupt("uuid", s))
}

/// Reads a stored currency code.
pub fn currency(s: &str) -> Result<Currency, Problem> {
    Currency::parse(s).map_err(|_| corrupt("currency", s))
}

fn corrupt(column: &str, value: &str) -> Problem {
    Problem::internal(&format!("stored {column} `{value}` cannot be read"))
}

/// Offsets beyond `i64` are clamped (they return an empty page anyway).
pub fn to_i64(offset: u64) -> i64 {
    i64::try_from(offset).unwrap_or(i64::MAX)
}
