//! Sync with the payment service while both sides live (see `docs/data.md`
//! and [`crate::sync`]): every write of this module records the changed
//! payment (with its refunds) or invoice as a [`platform::sync::Change`] in
//! the outbox, in the write's transaction ([`payment_changed`],
//! [`invoice_changed`]); the relay takes it to the service. The service's
//! changes come back through the monolith's inbox ([`apply`]), which writes
//! these tables directly and records nothing, so nothing is echoed.
//!
//! A change's `record` is the legacy shape of `GET /api/v1/payments/{id}`
//! with its refunds, plus `cust` (the customer, which the legacy payment does
//! not show), or of `GET /api/v1/invoices/{id}`; its times are legacy
//! `YYYY-MM-DD HH:MM:SS` strings **in UTC**, so neither side needs the
//! other's zone.

pub mod apply;

use super::http::{InvoiceWire, PaymentWire, RefundWire};
use super::store;
use crate::error::AppResult;
use crate::sync::{clock, publish};
use platform::db::AnyConnection;
use serde::{Deserialize, Serialize};

/// The entity names both sides use.
pub const PAYMENT: &str = "payment";
/// See [`PAYMENT`].
pub const INVOICE: &str = "invoice";

/// A payment as a change carries it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentRecord {
    /// The payment, legacy shape, UTC times.
    pub payment: PaymentWire,
    /// All its refunds, oldest first.
    pub refunds: Vec<RefundWire>,
    /// Its customer, when known (the legacy payment does not show it).
    #[serde(default)]
    pub cust: Option<i64>,
}

/// Records the current state of payment `id` for the other side.
pub fn payment_changed(conn: &mut AnyConnection, id: i64) -> AppResult<()> {
    let clock = clock();
    let row = store::payment(conn, id)?;
    let cust = Some(row.customer_id);
    let refunds = store::all_refunds_of(conn, id)?
        .into_iter()
        .map(|r| RefundWire::show(r, &clock))
        .collect();
    let record = PaymentRecord {
        payment: PaymentWire::show(row, &clock),
        refunds,
        cust,
    };
    publish(conn, PAYMENT, &id.to_string(), &record)
}

/// Records the current state of invoice `id` for the other side.
pub fn invoice_changed(conn: &mut AnyConnection, id: i64) -> AppResult<()> {
    let row = store::invoice(conn, id)?;
    publish(
        conn,
        INVOICE,
        &id.to_string(),
        &InvoiceWire::show(row, &clock()),
    )
}
