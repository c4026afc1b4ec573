//! The export lists verification walks: payments with their refunds and
//! invoices, in legacy-id order after a cursor (keyset, so rows written
//! meanwhile never shift a page). Each page is one read transaction.

use crate::error::CommandError;
use crate::invoices::InvoiceRow;
use crate::ledger::projection::{PaymentRow, RefundRow};
use crate::ledger::queries::{payment_from_row, refund_from_row};
use crate::schema::{invoices, payments, refunds};
use diesel::prelude::*;
use payment_api::{ExportPage, Invoice, PaymentExport};
use platform::db::AnyConnection;
use std::collections::HashMap;
use v2_common::migration::cut_page;

/// Payments with legacy ids above `after`, each with its refunds.
pub fn payments(
    conn: &mut AnyConnection,
    after: i64,
    limit: u32,
) -> Result<ExportPage<PaymentExport>, CommandError> {
    conn.transaction(|conn| {
        let mut rows: Vec<PaymentRow> = payments::table
            .filter(payments::legacy_id.gt(after))
            .order(payments::legacy_id.asc())
            .limit(i64::from(limit) + 1)
            .select(PaymentRow::as_select())
            .load(conn)?;
        let next = cut_page(&mut rows, limit, |r| r.legacy_id.into());
        let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        let refund_rows: Vec<RefundRow> = refunds::table
            .filter(refunds::payment_id.eq_any(&ids))
            .order(refunds::legacy_id.asc())
            .select(RefundRow::as_select())
            .load(conn)?;
        let mut by_payment: HashMap<String, Vec<RefundRow>> = HashMap::with_capacity(rows.len());
        for r in refund_rows {
            by_payment.entry(r.payment_id.clone()).or_default().push(r);
        }
        let mut items = Vec::with_capacity(rows.len());
        for row in rows {
            let of = by_payment.remove(&row.id).unwrap_or_default();
            items.push(PaymentExport {
                payment: payment_from_row(row)?,
                refunds: of
                    .into_iter()
                    .map(refund_from_row)
                    .collect::<Result<_, _>>()?,
            });
        }
        Ok(ExportPage { items, next })
    })
}

/// Invoices with legacy ids above `after`.
pub fn invoices(
    conn: &mut AnyConnection,
    after: i64,
    limit: u32,
) -> Result<ExportPage<Invoice>, CommandError> {
    let mut rows: Vec<InvoiceRow> = invoices::table
        .filter(invoices::legacy_id.gt(after))
        .order(invoices::legacy_id.asc())
        .limit(i64::from(limit) + 1)
        .select(InvoiceRow::as_select())
        .load(conn)?;
    let next = cut_page(&mut rows, limit, |r| r.legacy_id.into());
    let items = rows
        .iter()
        .map(InvoiceRow::to_api)
        .collect::<Result<_, _>>()?;
    Ok(ExportPage { items, next })
}
