//! Issuing an invoice and moving it through `open → paid → credited` or
//! `open → void`; anything else is a 409.

use super::{InvoiceRow, row, status_name};
use crate::error::CommandError;
use crate::ledger::commands::{positive, text, truncate, when};
use crate::ledger::{now, queries};
use crate::legacy_ids::{Entity, LegacyIds};
use crate::schema::invoices;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use payment_api::{BillingDetails, Invoice, InvoiceStatus, IssueInvoice};
use platform::Problem;
use platform::db::AnyConnection;
use platform::outbox;
use uuid::Uuid;

/// `POST /v2/invoices`.
pub fn issue(
    conn: &mut AnyConnection,
    ids: &LegacyIds,
    req: &IssueInvoice,
) -> Result<Invoice, CommandError> {
    let amount = req
        .amount
        .ensure_non_negative()
        .map_err(|e| Problem::unprocessable(e.to_string()).with("field", "amount"))?;
    positive("order_legacy_id", Some(req.order_legacy_id))?;
    positive("customer_legacy_id", Some(req.customer_legacy_id))?;
    let billing = billing(&req.billing)?;
    let payment = match req.payment_id {
        Some(p) => Some(queries::payment(conn, p)?),
        None => None,
    };
    if req.status == Some(InvoiceStatus::Paid)
        && let Some(p) = &payment
        && p.captured.amount().is_zero()
    {
        return Err(Problem::conflict(format!(
            "payment {} has nothing captured: an invoice is issued paid only for a captured \
             payment; issue it open and pay it once the payment is captured",
            p.id
        ))
        .with("field", "status")
        .into());
    }
    let payment_legacy_id = payment.map(|p| p.legacy_id);
    let legacy_id = ids.explicit_or_next(conn, Entity::Invoice, req.legacy_id)?;
    let number = match &req.number {
        Some(n) => check_number(n)?,
        None => format!("INV-{legacy_id:06}"),
    };
    ensure_free(conn, legacy_id, &number)?;
    let at = req.issued_at.map(truncate).unwrap_or_else(now).naive_utc();
    let row = InvoiceRow {
        id: Uuid::now_v7().to_string(),
        legacy_id,
        number,
        order_id: req.order_id.map(|u| u.to_string()),
        order_legacy_id: req.order_legacy_id,
        customer_id: req.customer_id.map(|u| u.to_string()),
        customer_legacy_id: req.customer_legacy_id,
        payment_id: req.payment_id.map(|u| u.to_string()),
        payment_legacy_id,
        currency: amount.currency().code().to_owned(),
        amount_minor: amount
            .to_minor_units()
            .map_err(|e| Problem::unprocessable(e.to_string()))?,
        status: status_name(req.status.unwrap_or(InvoiceStatus::Open)).to_owned(),
        bill_name: billing.name,
        bill_line1: billing.line1,
        bill_city: billing.city,
        bill_postal_code: billing.postal_code,
        bill_country: billing.country,
        issued_at: at,
        updated_at: at,
    };
    diesel::insert_into(invoices::table)
        .values(&row)
        .execute(conn)?;
    let invoice = row.to_api()?;
    record(conn, "invoice.issued", &invoice)?;
    Ok(invoice)
}

/// Moves an invoice to `to` if its current status allows it, now or
/// (imports) `at`.
pub fn transition(
    conn: &mut AnyConnection,
    id: Uuid,
    to: InvoiceStatus,
    at: Option<DateTime<Utc>>,
) -> Result<Invoice, CommandError> {
    let current = row(conn, id)?.to_api()?;
    let at = when(at, current.updated_at)?;
    let current = current.status;
    let from = match to {
        InvoiceStatus::Paid | InvoiceStatus::Void => InvoiceStatus::Open,
        InvoiceStatus::Credited => InvoiceStatus::Paid,
        InvoiceStatus::Open => {
            return Err(Problem::conflict("an invoice cannot be reopened").into());
        }
    };
    // Conditional on the status read, so two concurrent changes cannot both win.
    let changed = diesel::update(
        invoices::table
            .find(id.to_string())
            .filter(invoices::status.eq(status_name(from))),
    )
    .set((
        invoices::status.eq(status_name(to)),
        invoices::updated_at.eq(at.naive_utc()),
    ))
    .execute(conn)?;
    if changed == 0 {
        return Err(Problem::conflict(format!(
            "invoice {id} is {} and cannot become {}",
            status_name(current),
            status_name(to)
        ))
        .with("current_status", status_name(current))
        .into());
    }
    let invoice = row(conn, id)?.to_api()?;
    let event = match to {
        InvoiceStatus::Paid => "invoice.paid",
        InvoiceStatus::Void => "invoice.voided",
        _ => "invoice.credited",
    };
    record(conn, event, &invoice)?;
    Ok(invoice)
}

fn record(conn: &mut AnyConnection, event: &str, invoice: &Invoice) -> Result<(), CommandError> {
    let payload = serde_json::json!({ "invoice": invoice });
    outbox::record(
        conn,
        &outbox::Event::new("invoice", invoice.id, event, &payload)?,
    )?;
    crate::sync::invoice_changed(conn, invoice)
}

pub(crate) fn billing(b: &BillingDetails) -> Result<BillingDetails, Problem> {
    let country = b.country.trim();
    if country.len() != 2 || !country.bytes().all(|c| c.is_ascii_uppercase()) {
        return Err(Problem::unprocessable(format!(
            "billing.country must be an ISO 3166 alpha-2 code such as DE, not `{}`",
            b.country
        ))
        .with("field", "billing.country"));
    }
    Ok(BillingDetails {
        name: text("billing.name", &b.name)?,
        line1: text("billing.line1", &b.line1)?,
        city: text("billing.city", &b.city)?,
        postal_code: text("billing.postal_code", &b.postal_code)?,
        country: country.to_owned(),
    })
}

pub(crate) fn check_number(n: &str) -> Result<String, Problem> {
    match n.strip_prefix("INV-") {
        Some(d) if d.len() >= 6 && d.len() <= 18 && d.bytes().all(|c| c.is_ascii_digit()) => {
            Ok(n.to_owned())
        }
        _ => Err(Problem::unprocessable(format!(
            "number must be INV- followed by six or more digits, not `{n}`"
        ))
        .with("field", "number")),
    }
}

fn ensure_free(conn: &mut AnyConnection, legacy_id: i64, number: &str) -> Result<(), CommandError> {
    let taken: i64 = invoices::table
        .filter(
            invoices::legacy_id
                .eq(legacy_id)
                .or(invoices::number.eq(number)),
        )
        .count()
        .get_result(conn)?;
    if taken > 0 {
        return Err(Problem::conflict(format!(
            "an invoice with legacy id {legacy_id} or number {number} already exists"
        ))
        .into());
    }
    Ok(())
}
