//! The `payments` context: legacy payments (with refunds) and invoices
//! translated by the ACL's record translators into the payment service's
//! import records, and the payment service's records back into their legacy
//! view for verification. The translations live in the ACL
//! ([`acl::records::payment_records`]), shared with the ongoing sync.

pub use acl::records::payment_records::{
    LegacyPayment, invoice_legacy_view, invoice_to_import, legacy_view, record_to_import, to_import,
};
