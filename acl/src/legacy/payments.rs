//! Payments, refunds and invoices as the legacy `/api/v1` shows them.

use super::{CurrencyCode, InvoiceStatus, LocalTimestamp, PaymentMethod, PaymentStatus};
use serde::{Deserialize, Serialize};

/// `GET /api/v1/payments/{id}`: `amt` authorised, `cap` captured, `rfd`
/// refunded so far, all in minor units of `cur`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Payment {
    /// Payment id.
    pub id: i64,
    /// Order id.
    pub ord: i64,
    /// Authorised amount, minor units.
    pub amt: i64,
    /// Currency of every amount.
    pub cur: CurrencyCode,
    /// Status letter.
    pub st: PaymentStatus,
    /// Captured, minor units.
    pub cap: i64,
    /// Refunded so far, minor units.
    pub rfd: i64,
    /// Payment method.
    pub pm: PaymentMethod,
    /// Created, local time.
    pub crt: LocalTimestamp,
    /// Last updated, local time.
    pub upd: LocalTimestamp,
}

/// `POST /api/v1/payments/{id}/refunds` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewRefund {
    /// Amount to refund, minor units of the payment's currency.
    pub amt: i64,
    /// Reason, free text.
    pub rsn: String,
}

/// A refund of a payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Refund {
    /// Refund id.
    pub id: i64,
    /// Payment id.
    pub pay: i64,
    /// Refunded amount, minor units.
    pub amt: i64,
    /// Currency.
    pub cur: CurrencyCode,
    /// Reason.
    pub rsn: String,
    /// Created, local time.
    pub crt: LocalTimestamp,
}

/// A customer's billing details (also copied onto an invoice when issued).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Billing {
    /// Name.
    pub nm: String,
    /// Address line.
    pub ln1: String,
    /// City.
    pub city: String,
    /// Postal code.
    pub zip: String,
    /// ISO 3166 alpha-2 country.
    pub ctry: String,
}

/// `GET /api/v1/invoices/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Invoice {
    /// Invoice id.
    pub id: i64,
    /// Invoice number, `INV-` and six or more digits.
    pub no: String,
    /// Order id.
    pub ord: i64,
    /// Customer id.
    pub cust: i64,
    /// Amount, minor units.
    pub amt: i64,
    /// Currency.
    pub cur: CurrencyCode,
    /// Status letter.
    pub st: InvoiceStatus,
    /// Billing details when issued.
    pub bill: Billing,
    /// Issued, local time.
    pub iss: LocalTimestamp,
}
