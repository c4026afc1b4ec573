//! Invoices: a numbered bill for an order with a snapshot of the customer's
//! billing details as they were when it was issued.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use v2_common::Money;

/// Where an invoice stands. Legacy letters: `O P V C`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    /// Not paid yet (legacy `O`).
    Open,
    /// Paid (legacy `P`).
    Paid,
    /// Voided before payment (legacy `V`).
    Void,
    /// Credited after payment (legacy `C`).
    Credited,
}

/// The billing details printed on the invoice (legacy `bill`:
/// `{nm, ln1, city, zip, ctry}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BillingDetails {
    /// Name (legacy `nm`).
    pub name: String,
    /// Street line (legacy `ln1`).
    pub line1: String,
    /// City.
    pub city: String,
    /// Postal code (legacy `zip`).
    pub postal_code: String,
    /// ISO 3166 alpha-2 country (legacy `ctry`).
    pub country: String,
}

/// An invoice as the service reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Invoice {
    /// Service identity.
    pub id: Uuid,
    /// Legacy identity.
    pub legacy_id: i64,
    /// `INV-` and six or more digits (legacy `no`).
    pub number: String,
    /// The order billed, when known.
    pub order_id: Option<Uuid>,
    /// The order's legacy id (legacy `ord`).
    pub order_legacy_id: i64,
    /// The customer billed, when known.
    pub customer_id: Option<Uuid>,
    /// The customer's legacy id (legacy `cust`).
    pub customer_legacy_id: i64,
    /// The payment that settles it, when linked.
    pub payment_id: Option<Uuid>,
    /// That payment's legacy id.
    pub payment_legacy_id: Option<i64>,
    /// The amount billed (legacy `amt`, `cur`).
    pub amount: Money,
    /// Where it stands.
    pub status: InvoiceStatus,
    /// Billing details when issued.
    pub billing: BillingDetails,
    /// When it was issued (RFC 3339, UTC; legacy `iss`).
    #[serde(with = "v2_common::rfc3339")]
    pub issued_at: DateTime<Utc>,
    /// When it last changed.
    #[serde(with = "v2_common::rfc3339")]
    pub updated_at: DateTime<Utc>,
}

/// `POST /v2/invoices`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueInvoice {
    /// Import an existing legacy invoice under this id.
    #[serde(default)]
    pub legacy_id: Option<i64>,
    /// Import with this number; omitted: `INV-` + the legacy id, six digits or more.
    #[serde(default)]
    pub number: Option<String>,
    /// The order's UUID, when known.
    #[serde(default)]
    pub order_id: Option<Uuid>,
    /// The order's legacy id.
    pub order_legacy_id: i64,
    /// The customer's UUID, when known.
    #[serde(default)]
    pub customer_id: Option<Uuid>,
    /// The customer's legacy id.
    pub customer_legacy_id: i64,
    /// The payment that will settle it, when known (must exist in the service).
    #[serde(default)]
    pub payment_id: Option<Uuid>,
    /// The amount billed; must not be negative.
    pub amount: Money,
    /// Billing details to print.
    pub billing: BillingDetails,
    /// The status it is issued in; omitted: `open`. `paid` issues an invoice
    /// already paid, in one call (a captured card payment's; refused with
    /// 409 when its `payment_id` has nothing captured); imports give any.
    /// An invoice issued paid records one event, `invoice.issued`.
    #[serde(default)]
    pub status: Option<InvoiceStatus>,
    /// For imports: when it was issued; omitted: now.
    #[serde(default, with = "v2_common::rfc3339::option")]
    pub issued_at: Option<DateTime<Utc>>,
}

/// `GET /v2/invoices?order_legacy_id=&limit=&offset=`.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::IntoParams,
)]
#[into_params(parameter_in = Query)]
pub struct InvoiceListQuery {
    /// Only the invoices of this order.
    pub order_legacy_id: Option<i64>,
    /// Page size, 1..=100 (default 20).
    pub limit: Option<u32>,
    /// Items to skip (default 0).
    pub offset: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invoice_states_have_explicit_names() {
        let names: Vec<_> = [
            InvoiceStatus::Open,
            InvoiceStatus::Paid,
            InvoiceStatus::Void,
            InvoiceStatus::Credited,
        ]
        .iter()
        .map(|s| serde_json::to_value(s).unwrap())
        .collect();
        assert_eq!(names, ["open", "paid", "void", "credited"]);
    }
}
