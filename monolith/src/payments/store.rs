//! The `payments`, `refunds` and `invoices` tables: the only code that touches
//! them. Invariants that concurrency could break (a refund never above what is
//! refundable, a capture only once) are conditional updates, so they hold on
//! both backends without locks.

use super::domain::{InvoiceStatus, PaymentStatus, refund_refused};
use crate::customers::port::BillingDetails;
use crate::error::{AppError, AppResult};
use crate::legacy::ids::own_id;
use crate::legacy::page::PageRequest;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use platform::db::AnyConnection;

pub mod retired;
pub mod synced;

diesel::table! {
    payments (id) {
        id -> BigInt,
        order_id -> BigInt,
        customer_id -> BigInt,
        amount -> BigInt,
        currency -> Text,
        status -> Text,
        captured -> BigInt,
        refunded -> BigInt,
        method -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    refunds (id) {
        id -> BigInt,
        payment_id -> BigInt,
        amount -> BigInt,
        currency -> Text,
        reason -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    invoices (id) {
        id -> BigInt,
        order_id -> BigInt,
        customer_id -> BigInt,
        amount -> BigInt,
        currency -> Text,
        status -> Text,
        bill_name -> Text,
        bill_line1 -> Text,
        bill_city -> Text,
        bill_zip -> Text,
        bill_country -> Text,
        issued_at -> Timestamp,
    }
}

#[derive(Debug, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = payments)]
pub struct PaymentRow {
    pub id: i64,
    pub order_id: i64,
    pub customer_id: i64,
    pub amount: i64,
    pub currency: String,
    pub status: String,
    pub captured: i64,
    pub refunded: i64,
    pub method: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = refunds)]
pub struct RefundRow {
    pub id: i64,
    pub payment_id: i64,
    pub amount: i64,
    pub currency: String,
    pub reason: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = invoices)]
pub struct InvoiceRow {
    pub id: i64,
    pub order_id: i64,
    pub customer_id: i64,
    pub amount: i64,
    pub currency: String,
    pub status: String,
    pub bill_name: String,
    pub bill_line1: String,
    pub bill_city: String,
    pub bill_zip: String,
    pub bill_country: String,
    pub issued_at: NaiveDateTime,
}

/// A payment to record.
pub struct NewPayment<'a> {
    pub order_id: i64,
    pub customer_id: i64,
    pub amount: i64,
    pub currency: &'a str,
    pub status: PaymentStatus,
    pub method: &'a str,
}

pub fn insert_payment(
    conn: &mut AnyConnection,
    p: &NewPayment,
    now: NaiveDateTime,
) -> AppResult<i64> {
    let captured = if p.status == PaymentStatus::Captured {
        p.amount
    } else {
        0
    };
    let id = own_id!(conn, payments);
    Ok(diesel::insert_into(payments::table)
        .values((
            id.map(|id| payments::id.eq(id)),
            payments::order_id.eq(p.order_id),
            payments::customer_id.eq(p.customer_id),
            payments::amount.eq(p.amount),
            payments::currency.eq(p.currency),
            payments::status.eq(p.status.letter()),
            payments::captured.eq(captured),
            payments::refunded.eq(0_i64),
            payments::method.eq(p.method),
            payments::created_at.eq(now),
            payments::updated_at.eq(now),
        ))
        .returning(payments::id)
        .get_result(conn)?)
}

#[allow(clippy::too_many_arguments)]
pub fn insert_invoice(
    conn: &mut AnyConnection,
    order_id: i64,
    customer_id: i64,
    amount: i64,
    currency: &str,
    status: InvoiceStatus,
    bill: &BillingDetails,
    now: NaiveDateTime,
) -> AppResult<i64> {
    let id = own_id!(conn, invoices);
    Ok(diesel::insert_into(invoices::table)
        .values((
            id.map(|id| invoices::id.eq(id)),
            invoices::order_id.eq(order_id),
            invoices::customer_id.eq(customer_id),
            invoices::amount.eq(amount),
            invoices::currency.eq(currency),
            invoices::status.eq(status.letter()),
            invoices::bill_name.eq(&bill.name),
            invoices::bill_line1.eq(&bill.line1),
            invoices::bill_city.eq(&bill.city),
            invoices::bill_zip.eq(&bill.zip),
            invoices::bill_country.eq(&bill.country),
            invoices::issued_at.eq(now),
        ))
        .returning(invoices::id)
        .get_result(conn)?)
}

pub fn payment(conn: &mut AnyConnection, id: i64) -> AppResult<PaymentRow> {
    payments::table
        .find(id)
        .select(PaymentRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found(format!("payment {id}")))
}

pub fn payments_of_order(
    conn: &mut AnyConnection,
    order_id: i64,
    page: PageRequest,
) -> AppResult<(Vec<PaymentRow>, i64)> {
    let filter = payments::table.filter(payments::order_id.eq(order_id));
    let rows = filter
        .order(payments::id)
        .limit(page.per_page)
        .offset(page.offset())
        .select(PaymentRow::as_select())
        .load(conn)?;
    Ok((rows, filter.count().get_result(conn)?))
}

/// Moves a payment from one of `from` to `to`, atomically; `Conflict` names the
/// current status when it is not in `from`.
pub fn transition(
    conn: &mut AnyConnection,
    id: i64,
    from: &[PaymentStatus],
    to: PaymentStatus,
    now: NaiveDateTime,
) -> AppResult<()> {
    let letters: Vec<&str> = from.iter().map(|s| s.letter()).collect();
    let target = payments::table
        .filter(payments::id.eq(id))
        .filter(payments::status.eq_any(letters));
    let changed = match to {
        PaymentStatus::Captured => diesel::update(target)
            .set((
                payments::status.eq(to.letter()),
                payments::captured.eq(payments::amount),
                payments::updated_at.eq(now),
            ))
            .execute(conn)?,
        _ => diesel::update(target)
            .set((
                payments::status.eq(to.letter()),
                payments::updated_at.eq(now),
            ))
            .execute(conn)?,
    };
    if changed == 0 {
        let current = payment(conn, id)?.status;
        return Err(AppError::Conflict(format!(
            "payment {id} cannot move from status {current} to {}",
            to.letter()
        )));
    }
    Ok(())
}

/// Records a refund if it fits in what is refundable, atomically.
pub fn refund(
    conn: &mut AnyConnection,
    id: i64,
    amount: i64,
    reason: &str,
    now: NaiveDateTime,
) -> AppResult<RefundRow> {
    let changed = diesel::update(
        payments::table
            .filter(payments::id.eq(id))
            .filter(payments::status.eq_any(["C", "P"]))
            .filter((payments::captured - payments::refunded).ge(amount)),
    )
    .set((
        payments::refunded.eq(payments::refunded + amount),
        payments::updated_at.eq(now),
    ))
    .execute(conn)?;
    let row = payment(conn, id)?;
    if changed == 0 {
        return Err(refund_refused(
            id,
            &row.status,
            row.captured,
            row.refunded,
            amount,
        ));
    }
    let status = PaymentStatus::after_refund(row.captured, row.refunded);
    diesel::update(payments::table.find(id))
        .set(payments::status.eq(status.letter()))
        .execute(conn)?;
    let own = own_id!(conn, refunds);
    let refund_id = diesel::insert_into(refunds::table)
        .values((
            own.map(|id| refunds::id.eq(id)),
            refunds::payment_id.eq(id),
            refunds::amount.eq(amount),
            refunds::currency.eq(&row.currency),
            refunds::reason.eq(reason),
            refunds::created_at.eq(now),
        ))
        .returning(refunds::id)
        .get_result::<i64>(conn)?;
    Ok(refunds::table
        .find(refund_id)
        .select(RefundRow::as_select())
        .first(conn)?)
}

pub fn refunds_of_payment(
    conn: &mut AnyConnection,
    payment_id: i64,
    page: PageRequest,
) -> AppResult<(Vec<RefundRow>, i64)> {
    payment(conn, payment_id)?;
    let filter = refunds::table.filter(refunds::payment_id.eq(payment_id));
    let rows = filter
        .order(refunds::id)
        .limit(page.per_page)
        .offset(page.offset())
        .select(RefundRow::as_select())
        .load(conn)?;
    Ok((rows, filter.count().get_result(conn)?))
}

pub fn invoice(conn: &mut AnyConnection, id: i64) -> AppResult<InvoiceRow> {
    invoices::table
        .find(id)
        .select(InvoiceRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found(format!("invoice {id}")))
}

pub fn invoices_of_order(
    conn: &mut AnyConnection,
    order_id: i64,
    page: PageRequest,
) -> AppResult<(Vec<InvoiceRow>, i64)> {
    let filter = invoices::table.filter(invoices::order_id.eq(order_id));
    let rows = filter
        .order(invoices::id)
        .limit(page.per_page)
        .offset(page.offset())
        .select(InvoiceRow::as_select())
        .load(conn)?;
    Ok((rows, filter.count().get_result(conn)?))
}

/// Sets the status of the open or paid invoices of an order; returns the
/// ids of those it changed.
pub fn set_invoice_status(
    conn: &mut AnyConnection,
    order_id: i64,
    from: InvoiceStatus,
    to: InvoiceStatus,
) -> AppResult<Vec<i64>> {
    Ok(diesel::update(
        invoices::table
            .filter(invoices::order_id.eq(order_id))
            .filter(invoices::status.eq(from.letter())),
    )
    .set(invoices::status.eq(to.letter()))
    .returning(invoices::id)
    .get_results(conn)?)
}

/// Every refund of a payment, oldest first.
pub fn all_refunds_of(conn: &mut AnyConnection, payment_id: i64) -> AppResult<Vec<RefundRow>> {
    Ok(refunds::table
        .filter(refunds::payment_id.eq(payment_id))
        .order(refunds::id)
        .select(RefundRow::as_select())
        .load(conn)?)
}

/// A payment with its refunds.
pub type PaymentWithRefunds = (PaymentRow, Vec<RefundRow>);

/// Payments with ids above `after` and their refunds, in id order (export).
pub fn payments_after(
    conn: &mut AnyConnection,
    after: i64,
    limit: i64,
) -> AppResult<(Vec<PaymentWithRefunds>, i64)> {
    let rows = payments::table
        .filter(payments::id.gt(after))
        .order(payments::id)
        .limit(limit)
        .select(PaymentRow::as_select())
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|p| p.id).collect();
    let refunds: Vec<RefundRow> = refunds::table
        .filter(refunds::payment_id.eq_any(&ids))
        .order(refunds::id)
        .select(RefundRow::as_select())
        .load(conn)?;
    let mut by_payment: std::collections::HashMap<i64, Vec<RefundRow>> =
        std::collections::HashMap::with_capacity(rows.len());
    for r in refunds {
        by_payment.entry(r.payment_id).or_default().push(r);
    }
    let out = rows
        .into_iter()
        .map(|p| {
            let of = by_payment.remove(&p.id).unwrap_or_default();
            (p, of)
        })
        .collect();
    Ok((out, payments::table.count().get_result(conn)?))
}

/// Invoices with ids above `after`, in id order (export).
pub fn invoices_after(
    conn: &mut AnyConnection,
    after: i64,
    limit: i64,
) -> AppResult<(Vec<InvoiceRow>, i64)> {
    let rows = invoices::table
        .filter(invoices::id.gt(after))
        .order(invoices::id)
        .limit(limit)
        .select(InvoiceRow::as_select())
        .load(conn)?;
    Ok((rows, invoices::table.count().get_result(conn)?))
}
