//! Importing one invoice as it stands in the monolith: number, status and
//! times kept; written without an outbox event (see [`super`]).

use super::Written;
use crate::error::CommandError;
use crate::invoices::commands::{billing, check_number};
use crate::invoices::{InvoiceRow, status_name};
use crate::ledger::commands::{positive, truncate};
use crate::legacy_ids::LegacyIds;
use crate::schema::invoices;
use diesel::prelude::*;
use payment_api::ImportInvoice;
use platform::Problem;
use platform::db::AnyConnection;
use uuid::Uuid;

/// Imports `i` unless its legacy id is already present.
pub fn import(
    conn: &mut AnyConnection,
    ids: &LegacyIds,
    i: &ImportInvoice,
) -> Result<Written, CommandError> {
    ids.check_explicit(i.legacy_id)?;
    let taken: i64 = invoices::table
        .filter(invoices::legacy_id.eq(i.legacy_id))
        .count()
        .get_result(conn)?;
    if taken > 0 {
        return Ok(Written::AlreadyThere);
    }
    let number = check_number(&i.number)?;
    let number_taken: i64 = invoices::table
        .filter(invoices::number.eq(&number))
        .count()
        .get_result(conn)?;
    if number_taken > 0 {
        return Err(Problem::conflict(format!(
            "invoice number {number} is taken by another invoice"
        ))
        .with("field", "number")
        .into());
    }
    let amount = i
        .amount
        .ensure_non_negative()
        .map_err(|e| Problem::unprocessable(e.to_string()).with("field", "amount"))?;
    positive("order_legacy_id", Some(i.order_legacy_id))?;
    positive("customer_legacy_id", Some(i.customer_legacy_id))?;
    let (issued, updated) = (truncate(i.issued_at), truncate(i.updated_at));
    if updated < issued {
        let problem =
            Problem::unprocessable("updated_at is before issued_at").with("field", "updated_at");
        return Err(problem.into());
    }
    let billing = billing(&i.billing)?;
    let row = InvoiceRow {
        id: Uuid::now_v7().to_string(),
        legacy_id: i.legacy_id,
        number,
        order_id: None,
        order_legacy_id: i.order_legacy_id,
        customer_id: None,
        customer_legacy_id: i.customer_legacy_id,
        payment_id: None,
        payment_legacy_id: None,
        currency: amount.currency().code().to_owned(),
        amount_minor: amount
            .to_minor_units()
            .map_err(|e| Problem::unprocessable(e.to_string()).with("field", "amount"))?,
        status: status_name(i.status).to_owned(),
        bill_name: billing.name,
        bill_line1: billing.line1,
        bill_city: billing.city,
        bill_postal_code: billing.postal_code,
        bill_country: billing.country,
        issued_at: issued.naive_utc(),
        updated_at: updated.naive_utc(),
    };
    diesel::insert_into(invoices::table)
        .values(&row)
        .execute(conn)?;
    Ok(Written::Imported)
}
