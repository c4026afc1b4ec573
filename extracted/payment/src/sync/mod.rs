//! Sync with the monolith while both sides live (see `docs/data.md`).
//!
//! - new → legacy: each command that changes a payment (with its refunds) or
//!   an invoice also records its **legacy view** (the ACL's record
//!   translators, times in UTC) as a [`platform::sync::Change`] in the
//!   outbox, in the command's transaction ([`payment_changed`],
//!   [`invoice_changed`]); the relay takes it to the monolith's inbox.
//! - legacy → new: the monolith's changes arrive at the inbox ([`apply`]) and
//!   are written through the import path: no gateway call, no outbox event,
//!   so nothing is echoed and nobody reacts twice to what the monolith did.
//!
//! This is why the service depends on the ACL: the sync records are the
//! legacy shape, the one both sides can read.

pub mod apply;

use crate::error::CommandError;
use crate::ledger::projection::RefundRow;
use crate::ledger::queries::{self, refund_from_row};
use crate::schema::refunds;
use acl::LegacyClock;
use acl::records::payment_records;
use diesel::prelude::*;
use payment_api::{Invoice, PaymentExport, PaymentStatus};
use platform::Problem;
use platform::db::AnyConnection;
use uuid::Uuid;

/// This side's origin in a change.
pub const ORIGIN: &str = "new";
/// The other side's.
pub const OTHER: &str = "legacy";
/// The entity names both sides use.
pub const PAYMENT: &str = "payment";
/// See [`PAYMENT`].
pub const INVOICE: &str = "invoice";

/// Sync records show legacy times in UTC, so neither side needs the other's
/// zone.
pub fn clock() -> Result<LegacyClock, Problem> {
    LegacyClock::from_name("UTC").map_err(|e| Problem::internal(&e))
}

/// Records the legacy view of payment `id` (with all its refunds) for the
/// monolith. A payment with no legacy shape (a declined one: the monolith
/// never keeps those) is not recorded.
pub fn payment_changed(conn: &mut AnyConnection, id: Uuid) -> Result<(), CommandError> {
    let payment = queries::payment(conn, id)?;
    if payment.status == PaymentStatus::Failed {
        return Ok(());
    }
    let refunds = refunds::table
        .filter(refunds::payment_id.eq(id.to_string()))
        .order(refunds::legacy_id.asc())
        .select(RefundRow::as_select())
        .load(conn)?
        .into_iter()
        .map(refund_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    let cust = payment.customer_legacy_id;
    let legacy_id = payment.legacy_id;
    let view = payment_records::legacy_view(&PaymentExport { payment, refunds }, &clock()?)
        .map_err(|e| no_legacy_shape("payment", legacy_id, &e))?;
    let mut record = view;
    record["cust"] = serde_json::json!(cust);
    publish(conn, PAYMENT, legacy_id, record)
}

/// Records the legacy view of `invoice` for the monolith.
pub fn invoice_changed(conn: &mut AnyConnection, invoice: &Invoice) -> Result<(), CommandError> {
    let record = payment_records::invoice_legacy_view(invoice, &clock()?)
        .map_err(|e| no_legacy_shape("invoice", invoice.legacy_id, &e))?;
    publish(conn, INVOICE, invoice.legacy_id, record)
}

fn publish(
    conn: &mut AnyConnection,
    entity: &str,
    legacy_id: i64,
    record: serde_json::Value,
) -> Result<(), CommandError> {
    platform::sync::publish(conn, ORIGIN, entity, &legacy_id.to_string(), record)?;
    Ok(())
}

/// While a rollback is possible the monolith must be able to hold every
/// record: one it could not show is refused rather than kept here alone.
fn no_legacy_shape(entity: &str, legacy_id: i64, why: &str) -> Problem {
    Problem::unprocessable(format!(
        "{entity} {legacy_id} would have no legacy shape, so the monolith could not keep it: {why}"
    ))
}
