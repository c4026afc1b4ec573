//! Writes of records the payment service changed (sync, new → legacy): the
//! record is written as it stands on the other side, under the same ids,
//! and nothing is recorded for sync (no echo).

use super::{invoices, payments, refunds};
use crate::error::{AppError, AppResult};
use crate::payments::domain::PaymentStatus;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use platform::db::AnyConnection;

/// A payment as the other side has it.
pub struct SyncedPayment<'a> {
    pub id: i64,
    pub order_id: i64,
    pub customer_id: Option<i64>,
    pub amount: i64,
    pub currency: &'a str,
    pub status: &'a str,
    pub captured: i64,
    pub refunded: i64,
    pub method: &'a str,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Updates the payment to `p`, or inserts it (then its customer must be known).
pub fn upsert_payment(conn: &mut AnyConnection, p: &SyncedPayment) -> AppResult<()> {
    let changes = (
        payments::order_id.eq(p.order_id),
        payments::amount.eq(p.amount),
        payments::currency.eq(p.currency),
        payments::status.eq(p.status),
        payments::captured.eq(p.captured),
        payments::refunded.eq(p.refunded),
        payments::method.eq(p.method),
        payments::created_at.eq(p.created_at),
        payments::updated_at.eq(p.updated_at),
    );
    let updated = diesel::update(payments::table.find(p.id))
        .set(changes)
        .execute(conn)?;
    if updated == 1 {
        if let Some(customer) = p.customer_id {
            diesel::update(payments::table.find(p.id))
                .set(payments::customer_id.eq(customer))
                .execute(conn)?;
        }
        return Ok(());
    }
    let customer = p.customer_id.ok_or_else(|| {
        AppError::Invalid(format!(
            "payment {} is new here and its record has no `cust`: it cannot be stored without its customer",
            p.id
        ))
    })?;
    diesel::insert_into(payments::table)
        .values((
            payments::id.eq(p.id),
            payments::customer_id.eq(customer),
            changes,
        ))
        .execute(conn)?;
    Ok(())
}

/// A refund as the other side has it.
pub struct SyncedRefund<'a> {
    pub id: i64,
    pub payment_id: i64,
    pub amount: i64,
    pub currency: &'a str,
    pub reason: &'a str,
    pub created_at: NaiveDateTime,
}

/// Inserts the refund unless it is already there (refunds never change).
pub fn insert_refund(conn: &mut AnyConnection, r: &SyncedRefund) -> AppResult<()> {
    let existing: Option<i64> = refunds::table
        .find(r.id)
        .select(refunds::payment_id)
        .first(conn)
        .optional()?;
    match existing {
        Some(of) if of == r.payment_id => Ok(()),
        Some(of) => Err(AppError::Conflict(format!(
            "refund {} belongs to payment {of} here, not {}",
            r.id, r.payment_id
        ))),
        None => {
            diesel::insert_into(refunds::table)
                .values((
                    refunds::id.eq(r.id),
                    refunds::payment_id.eq(r.payment_id),
                    refunds::amount.eq(r.amount),
                    refunds::currency.eq(r.currency),
                    refunds::reason.eq(r.reason),
                    refunds::created_at.eq(r.created_at),
                ))
                .execute(conn)?;
            Ok(())
        }
    }
}

/// Makes payment `id`'s refunded total (and status, once captured) the sum
/// of the refunds held here. Refunds are kept by id from both sides, and a
/// side's record names only the refunds it knew of: when both took a refund
/// of the same payment before either heard of the other's (the route rolled
/// back while the service's last writes were still in its outbox), the
/// record's `rfd` counts only its own side's, and the refunds here add up to
/// more.
pub fn settle_refunded(conn: &mut AnyConnection, id: i64) -> AppResult<()> {
    let amounts: Vec<i64> = refunds::table
        .filter(refunds::payment_id.eq(id))
        .select(refunds::amount)
        .load(conn)?;
    let total: i64 = amounts.iter().sum();
    let (captured, refunded, status): (i64, i64, String) = payments::table
        .find(id)
        .select((payments::captured, payments::refunded, payments::status))
        .first(conn)?;
    if total <= refunded {
        return Ok(());
    }
    let status = if matches!(status.as_str(), "C" | "P" | "R") {
        PaymentStatus::after_refund(captured, total).letter()
    } else {
        status.as_str()
    };
    diesel::update(payments::table.find(id))
        .set((payments::refunded.eq(total), payments::status.eq(status)))
        .execute(conn)?;
    Ok(())
}

/// An invoice as the other side has it.
pub struct SyncedInvoice<'a> {
    pub id: i64,
    pub order_id: i64,
    pub customer_id: i64,
    pub amount: i64,
    pub currency: &'a str,
    pub status: &'a str,
    pub bill: [&'a str; 5],
    pub issued_at: NaiveDateTime,
}

/// Updates the invoice to `i`, or inserts it.
pub fn upsert_invoice(conn: &mut AnyConnection, i: &SyncedInvoice) -> AppResult<()> {
    let [name, line1, city, zip, country] = i.bill;
    let changes = (
        invoices::order_id.eq(i.order_id),
        invoices::customer_id.eq(i.customer_id),
        invoices::amount.eq(i.amount),
        invoices::currency.eq(i.currency),
        invoices::status.eq(i.status),
        invoices::bill_name.eq(name),
        invoices::bill_line1.eq(line1),
        invoices::bill_city.eq(city),
        invoices::bill_zip.eq(zip),
        invoices::bill_country.eq(country),
        invoices::issued_at.eq(i.issued_at),
    );
    let updated = diesel::update(invoices::table.find(i.id))
        .set(changes)
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(invoices::table)
            .values((invoices::id.eq(i.id), changes))
            .execute(conn)?;
    }
    Ok(())
}
