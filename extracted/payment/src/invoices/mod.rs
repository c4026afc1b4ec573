//! Invoices: plain state (not event-sourced), one row each, with the billing
//! details snapshotted when issued. Every change records an outbox event in
//! the same transaction.

pub mod commands;

use crate::error::CommandError;
use crate::ledger::queries::{currency, to_i64, uuid};
use crate::schema::invoices;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use payment_api::{BillingDetails, Invoice, InvoiceStatus};
use platform::Problem;
use platform::db::AnyConnection;
use uuid::Uuid;
use v2_common::{Money, Page};

/// An `invoices` row.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = invoices)]
pub struct InvoiceRow {
    /// UUID text.
    pub id: String,
    /// Legacy id.
    pub legacy_id: i64,
    /// `INV-…`.
    pub number: String,
    /// Order UUID text.
    pub order_id: Option<String>,
    /// Order legacy id.
    pub order_legacy_id: i64,
    /// Customer UUID text.
    pub customer_id: Option<String>,
    /// Customer legacy id.
    pub customer_legacy_id: i64,
    /// Payment UUID text.
    pub payment_id: Option<String>,
    /// Payment legacy id.
    pub payment_legacy_id: Option<i64>,
    /// ISO 4217 code.
    pub currency: String,
    /// Minor units.
    pub amount_minor: i64,
    /// Wire status name.
    pub status: String,
    /// Billing name.
    pub bill_name: String,
    /// Billing street line.
    pub bill_line1: String,
    /// Billing city.
    pub bill_city: String,
    /// Billing postal code.
    pub bill_postal_code: String,
    /// Billing country.
    pub bill_country: String,
    /// Issued at (UTC).
    pub issued_at: NaiveDateTime,
    /// Last change (UTC).
    pub updated_at: NaiveDateTime,
}

/// The wire name of a status.
pub fn status_name(s: InvoiceStatus) -> &'static str {
    match s {
        InvoiceStatus::Open => "open",
        InvoiceStatus::Paid => "paid",
        InvoiceStatus::Void => "void",
        InvoiceStatus::Credited => "credited",
    }
}

fn parse_status(s: &str) -> Result<InvoiceStatus, Problem> {
    [
        InvoiceStatus::Open,
        InvoiceStatus::Paid,
        InvoiceStatus::Void,
        InvoiceStatus::Credited,
    ]
    .into_iter()
    .find(|st| status_name(*st) == s)
    .ok_or_else(|| Problem::internal(&format!("stored invoice status `{s}` cannot be read")))
}

impl InvoiceRow {
    /// The v2 resource.
    pub fn to_api(&self) -> Result<Invoice, Problem> {
        Ok(Invoice {
            id: uuid(&self.id)?,
            legacy_id: self.legacy_id,
            number: self.number.clone(),
            order_id: self.order_id.as_deref().map(uuid).transpose()?,
            order_legacy_id: self.order_legacy_id,
            customer_id: self.customer_id.as_deref().map(uuid).transpose()?,
            customer_legacy_id: self.customer_legacy_id,
            payment_id: self.payment_id.as_deref().map(uuid).transpose()?,
            payment_legacy_id: self.payment_legacy_id,
            amount: Money::from_minor_units(self.amount_minor, currency(&self.currency)?),
            status: parse_status(&self.status)?,
            billing: BillingDetails {
                name: self.bill_name.clone(),
                line1: self.bill_line1.clone(),
                city: self.bill_city.clone(),
                postal_code: self.bill_postal_code.clone(),
                country: self.bill_country.clone(),
            },
            issued_at: self.issued_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
        })
    }
}

/// The row of an invoice by UUID, or 404.
pub fn row(conn: &mut AnyConnection, id: Uuid) -> Result<InvoiceRow, CommandError> {
    invoices::table
        .find(id.to_string())
        .select(InvoiceRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| Problem::not_found(format!("no invoice with id {id}")).into())
}

/// An invoice by legacy id, or 404.
pub fn by_legacy_id(conn: &mut AnyConnection, legacy_id: i64) -> Result<Invoice, CommandError> {
    let row = invoices::table
        .filter(invoices::legacy_id.eq(legacy_id))
        .select(InvoiceRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| Problem::not_found(format!("no invoice with legacy id {legacy_id}")))?;
    Ok(row.to_api()?)
}

/// A page of invoices (optionally of one order), by legacy id.
pub fn page(
    conn: &mut AnyConnection,
    order_legacy_id: Option<i64>,
    limit: u32,
    offset: u64,
) -> Result<Page<Invoice>, CommandError> {
    let filtered = || {
        let mut q = invoices::table.into_boxed();
        if let Some(order) = order_legacy_id {
            q = q.filter(invoices::order_legacy_id.eq(order));
        }
        q
    };
    let total: i64 = filtered().count().get_result(conn)?;
    let rows = filtered()
        .order(invoices::legacy_id.asc())
        .limit(i64::from(limit))
        .offset(to_i64(offset))
        .select(InvoiceRow::as_select())
        .load(conn)?;
    let data = rows
        .iter()
        .map(InvoiceRow::to_api)
        .collect::<Result<_, _>>()?;
    Ok(Page {
        data,
        total: total.unsigned_abs(),
        limit,
        offset,
    })
}
