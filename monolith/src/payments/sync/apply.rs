//! new → legacy: the payment service's changes applied to this module's
//! tables through the inbox, once each and in order per record
//! ([`platform::sync::apply`]), without recording anything (no echo).

use super::{INVOICE, PAYMENT, PaymentRecord};
use crate::error::{AppError, AppResult};
use crate::payments::http::InvoiceWire;
use crate::payments::store::synced::{self, SyncedInvoice, SyncedPayment, SyncedRefund};
use crate::sync::{ORIGIN, OTHER, letter, parse, time};
use platform::db::AnyConnection;
use platform::inbox::Inbox;
use platform::sync::Change;

/// `inbox` with the handlers for the payment service's changes.
pub fn handlers(inbox: Inbox) -> Inbox {
    inbox
        .on(&Change::event_type(OTHER, PAYMENT), |conn, event| {
            platform::sync::apply_event(conn, ORIGIN, event, PAYMENT, payment)
        })
        .on(&Change::event_type(OTHER, INVOICE), |conn, event| {
            platform::sync::apply_event(conn, ORIGIN, event, INVOICE, invoice)
        })
}

fn payment(conn: &mut AnyConnection, record: &serde_json::Value) -> AppResult<()> {
    let r: PaymentRecord = parse("payment", record)?;
    let p = &r.payment;
    letter("payment.st", &p.st, &["A", "C", "P", "R", "V"])?;
    letter("payment.pm", &p.pm, &["card", "invoice"])?;
    synced::upsert_payment(
        conn,
        &SyncedPayment {
            id: p.id,
            order_id: p.ord,
            customer_id: r.cust,
            amount: p.amt,
            currency: &p.cur,
            status: &p.st,
            captured: p.cap,
            refunded: p.rfd,
            method: &p.pm,
            created_at: time("payment.crt", &p.crt)?,
            updated_at: time("payment.upd", &p.upd)?,
        },
    )?;
    for refund in &r.refunds {
        if refund.pay != p.id {
            return Err(AppError::Invalid(format!(
                "refund {} names payment {}, not {}",
                refund.id, refund.pay, p.id
            )));
        }
        synced::insert_refund(
            conn,
            &SyncedRefund {
                id: refund.id,
                payment_id: p.id,
                amount: refund.amt,
                currency: &refund.cur,
                reason: &refund.rsn,
                created_at: time("refund.crt", &refund.crt)?,
            },
        )?;
    }
    // Refunds this side took that the record does not know of yet count too.
    synced::settle_refunded(conn, p.id)
}

fn invoice(conn: &mut AnyConnection, record: &serde_json::Value) -> AppResult<()> {
    let i: InvoiceWire = parse("invoice", record)?;
    letter("st", &i.st, &["O", "P", "V", "C"])?;
    let b = &i.bill;
    synced::upsert_invoice(
        conn,
        &SyncedInvoice {
            id: i.id,
            order_id: i.ord,
            customer_id: i.cust,
            amount: i.amt,
            currency: &i.cur,
            status: &i.st,
            bill: [&b.nm, &b.ln1, &b.city, &b.zip, &b.ctry],
            issued_at: time("iss", &i.iss)?,
        },
    )
}
