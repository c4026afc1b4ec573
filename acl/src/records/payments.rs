//! Payments, refunds and invoices: legacy ↔ `payment-api` records.

use super::id;
use crate::error::{FieldPath, Side, TranslateError};
use crate::legacy;
use crate::value::{LegacyClock, money, status};
use chrono::{DateTime, Utc};
use payment_api::{BillingDetails, Invoice, Payment, Refund};
use uuid::Uuid;

/// v2 payment → legacy payment.
pub fn payment_to_legacy(
    p: &Payment,
    clock: &LegacyClock,
) -> Result<legacy::Payment, TranslateError> {
    let f = FieldPath::field;
    let (amt, cur) = money::to_legacy(&f("amount"), &p.amount)?;
    let (cap, _) = money::to_legacy(&f("captured"), &p.captured)?;
    let (rfd, _) = money::to_legacy(&f("refunded"), &p.refunded)?;
    same_currency(&f("captured"), &p.amount, &p.captured)?;
    same_currency(&f("refunded"), &p.amount, &p.refunded)?;
    Ok(legacy::Payment {
        id: id("legacy_id", Side::V2, p.legacy_id)?,
        ord: id("order_legacy_id", Side::V2, p.order_legacy_id)?,
        amt,
        cur,
        st: status::payment_to_legacy(&f("status"), p.status)?,
        cap,
        rfd,
        pm: status::method_to_legacy(p.method),
        crt: clock.to_local(&f("created_at"), p.created_at)?,
        upd: clock.to_local(&f("updated_at"), p.updated_at)?,
    })
}

/// Legacy payment → v2 payment. `id` and `version` (the ledger's event
/// count) are not in the legacy record; the order's and customer's UUIDs and
/// the customer's legacy id are not either, and are left `None`.
pub fn payment_to_v2(
    p: &legacy::Payment,
    clock: &LegacyClock,
    uuid: Uuid,
    version: i64,
) -> Result<Payment, TranslateError> {
    let f = FieldPath::field;
    let cur = f("cur");
    Ok(Payment {
        id: uuid,
        legacy_id: id("id", Side::Legacy, p.id)?,
        order_id: None,
        order_legacy_id: id("ord", Side::Legacy, p.ord)?,
        customer_id: None,
        customer_legacy_id: None,
        method: status::method_to_v2(p.pm),
        status: status::payment_to_v2(p.st),
        amount: money::to_v2(&f("amt"), p.amt, &cur, &p.cur)?,
        captured: money::to_v2(&f("cap"), p.cap, &cur, &p.cur)?,
        refunded: money::to_v2(&f("rfd"), p.rfd, &cur, &p.cur)?,
        failure_reason: None,
        version,
        created_at: clock.to_utc(p.crt),
        updated_at: clock.to_utc(p.upd),
    })
}

/// v2 refund → legacy refund.
pub fn refund_to_legacy(r: &Refund, clock: &LegacyClock) -> Result<legacy::Refund, TranslateError> {
    let f = FieldPath::field;
    let (amt, cur) = money::to_legacy(&f("amount"), &r.amount)?;
    Ok(legacy::Refund {
        id: id("legacy_id", Side::V2, r.legacy_id)?,
        pay: id("payment_legacy_id", Side::V2, r.payment_legacy_id)?,
        amt,
        cur,
        rsn: r.reason.clone(),
        crt: clock.to_local(&f("created_at"), r.created_at)?,
    })
}

/// Legacy refund → v2 refund; `uuid` and the payment's `payment_uuid` are
/// not in the legacy record.
pub fn refund_to_v2(
    r: &legacy::Refund,
    clock: &LegacyClock,
    uuid: Uuid,
    payment_uuid: Uuid,
) -> Result<Refund, TranslateError> {
    let f = FieldPath::field;
    Ok(Refund {
        id: uuid,
        legacy_id: id("id", Side::Legacy, r.id)?,
        payment_id: payment_uuid,
        payment_legacy_id: id("pay", Side::Legacy, r.pay)?,
        amount: money::to_v2(&f("amt"), r.amt, &f("cur"), &r.cur)?,
        reason: r.rsn.clone(),
        created_at: clock.to_utc(r.crt),
    })
}

/// v2 invoice → legacy invoice. The legacy shape has no "last changed" time
/// and no payment link; those v2 fields are not rendered.
pub fn invoice_to_legacy(
    i: &Invoice,
    clock: &LegacyClock,
) -> Result<legacy::Invoice, TranslateError> {
    let f = FieldPath::field;
    let (amt, cur) = money::to_legacy(&f("amount"), &i.amount)?;
    Ok(legacy::Invoice {
        id: id("legacy_id", Side::V2, i.legacy_id)?,
        no: invoice_number(&f("number"), Side::V2, &i.number)?,
        ord: id("order_legacy_id", Side::V2, i.order_legacy_id)?,
        cust: id("customer_legacy_id", Side::V2, i.customer_legacy_id)?,
        amt,
        cur,
        st: status::invoice_to_legacy(i.status),
        bill: billing_to_legacy(&i.billing),
        iss: clock.to_local(&f("issued_at"), i.issued_at)?,
    })
}

/// Legacy invoice → v2 invoice. `uuid` and the last-changed time
/// `updated_at` are not in the legacy record; the order's, customer's and
/// payment's UUIDs and the payment link are not either, and are `None`.
pub fn invoice_to_v2(
    i: &legacy::Invoice,
    clock: &LegacyClock,
    uuid: Uuid,
    updated_at: DateTime<Utc>,
) -> Result<Invoice, TranslateError> {
    let f = FieldPath::field;
    Ok(Invoice {
        id: uuid,
        legacy_id: id("id", Side::Legacy, i.id)?,
        number: invoice_number(&f("no"), Side::Legacy, &i.no)?,
        order_id: None,
        order_legacy_id: id("ord", Side::Legacy, i.ord)?,
        customer_id: None,
        customer_legacy_id: id("cust", Side::Legacy, i.cust)?,
        payment_id: None,
        payment_legacy_id: None,
        amount: money::to_v2(&f("amt"), i.amt, &f("cur"), &i.cur)?,
        status: status::invoice_to_v2(i.st),
        billing: billing_to_v2(&i.bill),
        issued_at: clock.to_utc(i.iss),
        updated_at,
    })
}

/// An invoice number as both contracts spell it: `INV-` and six or more
/// digits.
fn invoice_number(field: &FieldPath, side: Side, number: &str) -> Result<String, TranslateError> {
    let digits = number.strip_prefix("INV-").unwrap_or("");
    if digits.len() >= 6 && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(number.to_owned())
    } else {
        Err(TranslateError::no_counterpart(
            field.clone(),
            side,
            number,
            "invoice numbers are `INV-` and six or more digits",
        ))
    }
}

/// v2 billing details → legacy `bill`.
pub fn billing_to_legacy(b: &BillingDetails) -> legacy::Billing {
    legacy::Billing {
        nm: b.name.clone(),
        ln1: b.line1.clone(),
        city: b.city.clone(),
        zip: b.postal_code.clone(),
        ctry: b.country.clone(),
    }
}

/// Legacy `bill` → v2 billing details.
pub fn billing_to_v2(b: &legacy::Billing) -> BillingDetails {
    BillingDetails {
        name: b.nm.clone(),
        line1: b.ln1.clone(),
        city: b.city.clone(),
        postal_code: b.zip.clone(),
        country: b.ctry.clone(),
    }
}

/// The legacy record has one `cur` for all amounts; a v2 record mixing
/// currencies has no legacy shape.
pub(crate) fn same_currency(
    field: &FieldPath,
    main: &v2_common::Money,
    other: &v2_common::Money,
) -> Result<(), TranslateError> {
    if main.currency() == other.currency() {
        Ok(())
    } else {
        Err(TranslateError::no_counterpart(
            field.key("currency"),
            Side::V2,
            other.currency(),
            format!(
                "the legacy record has one `cur` ({}) for all its amounts",
                main.currency()
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invoice_numbers_follow_the_contract() {
        let f = FieldPath::field("number");
        assert!(invoice_number(&f, Side::V2, "INV-000031").is_ok());
        assert!(invoice_number(&f, Side::V2, "INV-1234567").is_ok());
        for bad in ["INV-12345", "inv-000031", "INV-00003a", "000031", ""] {
            let err = invoice_number(&f, Side::V2, bad).unwrap_err();
            assert_eq!(err.field(), Some(&f), "{bad}");
        }
    }
}
