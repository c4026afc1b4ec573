//! Whole payment records across the cut: a legacy payment with its refunds
//! (and a legacy invoice) as the payment service's import record, and a v2
//! payment with its refunds (and a v2 invoice) as its legacy view. The
//! backfill, verify and the ongoing sync all use these, so a record means
//! the same to each of them.
//!
//! The legacy payment keeps no time for its capture or void, only `crt` and
//! `upd`: a card payment is captured when created (the monolith charges and
//! captures at once); an invoice payment captured and never refunded was
//! captured at `upd` (its last change); one refunded later is dated at `crt`,
//! the only time known to precede its refunds. A void is dated at `upd`.

use crate::LegacyClock;
use crate::legacy;
use crate::records::payments as translate;
use payment_api::{ImportInvoice, ImportPayment, ImportedChange, PaymentStatus};
use serde_json::Value;
use uuid::Uuid;

/// A legacy payment with its refunds, as a source serves it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegacyPayment {
    /// The payment.
    pub payment: legacy::Payment,
    /// Its refunds, oldest first.
    pub refunds: Vec<legacy::Refund>,
}

/// A legacy payment record → the payment service's import record, or why it
/// has none (the record then goes to the dead letters).
pub fn to_import(body: &Value, clock: &LegacyClock) -> Result<ImportPayment, String> {
    let record: LegacyPayment = serde_json::from_value(body.clone())
        .map_err(|e| format!("not a legacy payment record: {e}"))?;
    record_to_import(&record, clock)
}

/// [`to_import`] for a record already read.
pub fn record_to_import(
    record: &LegacyPayment,
    clock: &LegacyClock,
) -> Result<ImportPayment, String> {
    let p = &record.payment;
    let v2 = translate::payment_to_v2(p, clock, Uuid::nil(), 0).map_err(|e| e.to_string())?;
    if v2.captured != v2.amount && !v2.captured.amount().is_zero() {
        return Err(format!(
            "captured {} differs from the authorised {}: a partial capture has no v2 history",
            v2.captured, v2.amount
        ));
    }
    let mut history = Vec::with_capacity(record.refunds.len() + 1);
    match v2.status {
        PaymentStatus::Captured | PaymentStatus::PartiallyRefunded | PaymentStatus::Refunded => {
            let at = if p.pm == legacy::PaymentMethod::Card || !record.refunds.is_empty() {
                v2.created_at
            } else {
                v2.updated_at
            };
            history.push(ImportedChange::Captured { at });
        }
        PaymentStatus::Voided => history.push(ImportedChange::Voided { at: v2.updated_at }),
        PaymentStatus::Authorized | PaymentStatus::Failed => {}
    }
    let mut refunded = 0_i64;
    for r in &record.refunds {
        if r.pay != p.id {
            return Err(format!(
                "refund {} names payment {}, not {}",
                r.id, r.pay, p.id
            ));
        }
        let v2r = translate::refund_to_v2(r, clock, Uuid::nil(), Uuid::nil())
            .map_err(|e| format!("refund {}: {e}", r.id))?;
        refunded = refunded.saturating_add(r.amt);
        history.push(ImportedChange::Refunded {
            legacy_id: v2r.legacy_id,
            amount: v2r.amount,
            reason: v2r.reason,
            at: v2r.created_at,
        });
    }
    if refunded != p.rfd {
        return Err(format!(
            "its refunds add up to {refunded} but `rfd` says {}",
            p.rfd
        ));
    }
    Ok(ImportPayment {
        legacy_id: v2.legacy_id,
        order_legacy_id: v2.order_legacy_id,
        customer_legacy_id: None,
        method: v2.method,
        amount: v2.amount,
        created_at: v2.created_at,
        history,
    })
}

/// A legacy invoice → the payment service's import record, or why it has none.
pub fn invoice_to_import(body: &Value, clock: &LegacyClock) -> Result<ImportInvoice, String> {
    let i: legacy::Invoice =
        serde_json::from_value(body.clone()).map_err(|e| format!("not a legacy invoice: {e}"))?;
    // The legacy invoice has no "last changed" time: its issue time stands in.
    let issued = clock.to_utc(i.iss);
    let v2 = translate::invoice_to_v2(&i, clock, Uuid::nil(), issued).map_err(|e| e.to_string())?;
    Ok(ImportInvoice {
        legacy_id: v2.legacy_id,
        number: v2.number,
        order_legacy_id: v2.order_legacy_id,
        customer_legacy_id: v2.customer_legacy_id,
        amount: v2.amount,
        status: v2.status,
        billing: v2.billing,
        issued_at: v2.issued_at,
        updated_at: v2.updated_at,
    })
}

/// The legacy view of a v2 payment with its refunds, in the shape the
/// legacy source serves (for verification).
pub fn legacy_view(p: &payment_api::PaymentExport, clock: &LegacyClock) -> Result<Value, String> {
    let payment = translate::payment_to_legacy(&p.payment, clock).map_err(|e| e.to_string())?;
    let refunds = p
        .refunds
        .iter()
        .map(|r| translate::refund_to_legacy(r, clock))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    serde_json::to_value(LegacyPayment { payment, refunds }).map_err(|e| e.to_string())
}

/// The legacy view of a v2 invoice.
pub fn invoice_legacy_view(i: &payment_api::Invoice, clock: &LegacyClock) -> Result<Value, String> {
    let legacy = translate::invoice_to_legacy(i, clock).map_err(|e| e.to_string())?;
    serde_json::to_value(legacy).map_err(|e| e.to_string())
}
