//! Where things live. `*_TEMPLATE` constants are the route patterns the
//! service registers (actix `{name}` segments); the functions build concrete
//! paths for clients (the ACL), so both sides use one spelling.

use uuid::Uuid;

/// `POST` authorises a payment; `GET` lists them (`?order_legacy_id=&limit=&offset=`).
pub const PAYMENTS: &str = "/v2/payments";
/// One payment by its UUID.
pub const PAYMENT_TEMPLATE: &str = "/v2/payments/{id}";
/// One payment by its legacy id.
pub const PAYMENT_BY_LEGACY_TEMPLATE: &str = "/v2/payments/by-legacy-id/{legacy_id}";
/// `POST`: capture the authorised amount.
pub const PAYMENT_CAPTURE_TEMPLATE: &str = "/v2/payments/{id}/capture";
/// `POST`: release an uncaptured authorisation.
pub const PAYMENT_VOID_TEMPLATE: &str = "/v2/payments/{id}/void";
/// `POST`: mark an authorised payment as failed.
pub const PAYMENT_FAIL_TEMPLATE: &str = "/v2/payments/{id}/fail";
/// `GET`: the payment's ledger stream, oldest first.
pub const PAYMENT_EVENTS_TEMPLATE: &str = "/v2/payments/{id}/events";
/// `POST` refunds a payment; `GET` lists its refunds (`?limit=&offset=`).
pub const PAYMENT_REFUNDS_TEMPLATE: &str = "/v2/payments/{id}/refunds";
/// One refund by its UUID.
pub const REFUND_TEMPLATE: &str = "/v2/refunds/{id}";
/// One refund by its legacy id.
pub const REFUND_BY_LEGACY_TEMPLATE: &str = "/v2/refunds/by-legacy-id/{legacy_id}";
/// `POST` issues an invoice; `GET` lists them (`?order_legacy_id=&limit=&offset=`).
pub const INVOICES: &str = "/v2/invoices";
/// One invoice by its UUID.
pub const INVOICE_TEMPLATE: &str = "/v2/invoices/{id}";
/// One invoice by its legacy id.
pub const INVOICE_BY_LEGACY_TEMPLATE: &str = "/v2/invoices/by-legacy-id/{legacy_id}";
/// `POST`: the invoice was paid.
pub const INVOICE_PAY_TEMPLATE: &str = "/v2/invoices/{id}/pay";
/// `POST`: void an unpaid invoice.
pub const INVOICE_VOID_TEMPLATE: &str = "/v2/invoices/{id}/void";
/// `POST`: credit a paid invoice.
pub const INVOICE_CREDIT_TEMPLATE: &str = "/v2/invoices/{id}/credit";
/// `POST`: import payments with their history (backfill).
pub const IMPORT_PAYMENTS: &str = "/v2/imports/payments";
/// `POST`: import invoices (backfill).
pub const IMPORT_INVOICES: &str = "/v2/imports/invoices";
/// `GET ?after=&limit=`: payments with their refunds by legacy id (verify).
pub const EXPORT_PAYMENTS: &str = "/v2/exports/payments";
/// `GET ?after=&limit=`: invoices by legacy id (verify).
pub const EXPORT_INVOICES: &str = "/v2/exports/invoices";
/// The OpenAPI document of `/v2`.
pub const OPENAPI: &str = "/v2/openapi.json";

/// `/v2/payments/{id}`
pub fn payment(id: Uuid) -> String {
    format!("{PAYMENTS}/{id}")
}

/// `/v2/payments/by-legacy-id/{legacy_id}`
pub fn payment_by_legacy_id(legacy_id: i64) -> String {
    v2_common::paths::by_legacy_id(PAYMENTS, legacy_id)
}

/// `/v2/payments?order_legacy_id=..&limit=..&offset=..`
pub fn payments_for_order(order_legacy_id: i64, limit: u32, offset: u64) -> String {
    format!("{PAYMENTS}?order_legacy_id={order_legacy_id}&limit={limit}&offset={offset}")
}

/// `/v2/payments/{id}/capture`
pub fn capture(id: Uuid) -> String {
    format!("{PAYMENTS}/{id}/capture")
}

/// `/v2/payments/{id}/void`
pub fn void(id: Uuid) -> String {
    format!("{PAYMENTS}/{id}/void")
}

/// `/v2/payments/{id}/fail`
pub fn fail(id: Uuid) -> String {
    format!("{PAYMENTS}/{id}/fail")
}

/// `/v2/payments/{id}/events`
pub fn payment_events(id: Uuid) -> String {
    format!("{PAYMENTS}/{id}/events")
}

/// `/v2/payments/{id}/refunds` (create)
pub fn refunds(payment_id: Uuid) -> String {
    format!("{PAYMENTS}/{payment_id}/refunds")
}

/// `/v2/payments/{id}/refunds?limit=..&offset=..` (list)
pub fn refunds_page(payment_id: Uuid, limit: u32, offset: u64) -> String {
    format!("{PAYMENTS}/{payment_id}/refunds?limit={limit}&offset={offset}")
}

/// `/v2/refunds/{id}`
pub fn refund(id: Uuid) -> String {
    format!("/v2/refunds/{id}")
}

/// `/v2/refunds/by-legacy-id/{legacy_id}`
pub fn refund_by_legacy_id(legacy_id: i64) -> String {
    v2_common::paths::by_legacy_id("/v2/refunds", legacy_id)
}

/// `/v2/invoices/{id}`
pub fn invoice(id: Uuid) -> String {
    format!("{INVOICES}/{id}")
}

/// `/v2/invoices/by-legacy-id/{legacy_id}`
pub fn invoice_by_legacy_id(legacy_id: i64) -> String {
    v2_common::paths::by_legacy_id(INVOICES, legacy_id)
}

/// `/v2/invoices?order_legacy_id=..&limit=..&offset=..`
pub fn invoices_for_order(order_legacy_id: i64, limit: u32, offset: u64) -> String {
    format!("{INVOICES}?order_legacy_id={order_legacy_id}&limit={limit}&offset={offset}")
}

/// `/v2/invoices/{id}/pay`
pub fn invoice_pay(id: Uuid) -> String {
    format!("{INVOICES}/{id}/pay")
}

/// `/v2/invoices/{id}/void`
pub fn invoice_void(id: Uuid) -> String {
    format!("{INVOICES}/{id}/void")
}

/// `/v2/invoices/{id}/credit`
pub fn invoice_credit(id: Uuid) -> String {
    format!("{INVOICES}/{id}/credit")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A concrete path must match its template segment by segment.
    fn matches(template: &str, path: &str) -> bool {
        let path = path.split('?').next().unwrap_or(path);
        let (t, p): (Vec<_>, Vec<_>) = (template.split('/').collect(), path.split('/').collect());
        t.len() == p.len()
            && t.iter()
                .zip(&p)
                .all(|(t, p)| (t.starts_with('{') && !p.is_empty()) || t == p)
    }

    #[test]
    fn builders_follow_the_templates() {
        let id = Uuid::nil();
        let cases = [
            (PAYMENT_TEMPLATE, payment(id)),
            (PAYMENT_BY_LEGACY_TEMPLATE, payment_by_legacy_id(7)),
            (PAYMENTS, payments_for_order(7, 20, 0)),
            (PAYMENT_CAPTURE_TEMPLATE, capture(id)),
            (PAYMENT_VOID_TEMPLATE, void(id)),
            (PAYMENT_FAIL_TEMPLATE, fail(id)),
            (PAYMENT_EVENTS_TEMPLATE, payment_events(id)),
            (PAYMENT_REFUNDS_TEMPLATE, refunds(id)),
            (PAYMENT_REFUNDS_TEMPLATE, refunds_page(id, 5, 10)),
            (REFUND_TEMPLATE, refund(id)),
            (REFUND_BY_LEGACY_TEMPLATE, refund_by_legacy_id(3)),
            (INVOICE_TEMPLATE, invoice(id)),
            (INVOICE_BY_LEGACY_TEMPLATE, invoice_by_legacy_id(3)),
            (INVOICES, invoices_for_order(3, 20, 40)),
            (INVOICE_PAY_TEMPLATE, invoice_pay(id)),
            (INVOICE_VOID_TEMPLATE, invoice_void(id)),
            (INVOICE_CREDIT_TEMPLATE, invoice_credit(id)),
        ];
        for (template, path) in cases {
            assert!(matches(template, &path), "{path} does not fit {template}");
        }
        assert_eq!(
            payments_for_order(42, 20, 0),
            "/v2/payments?order_legacy_id=42&limit=20&offset=0"
        );
    }
}
