//! Payments: an authorisation of an amount for an order, later captured,
//! voided, failed, or (once captured) refunded in part or in full.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use v2_common::Money;

/// How the customer pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    /// A card, charged through the (simulated) gateway with a token.
    Card,
    /// Pay on invoice: authorised at once, captured when the invoice is paid.
    Invoice,
}

/// Where a payment stands. Legacy letters: `A C P R V`; `failed` has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// Authorised, not captured (legacy `A`).
    Authorized,
    /// Captured, nothing refunded (legacy `C`).
    Captured,
    /// Captured, part refunded (legacy `P`).
    PartiallyRefunded,
    /// Captured and refunded in full (legacy `R`).
    Refunded,
    /// Authorisation released without capture (legacy `V`).
    Voided,
    /// Declined by the gateway or marked failed; final, no money moved.
    Failed,
}

/// A payment as the service reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Payment {
    /// Service identity.
    pub id: Uuid,
    /// Legacy identity (the monolith's, or one from the service's range).
    pub legacy_id: i64,
    /// The order paid for, when the service knows its UUID.
    pub order_id: Option<Uuid>,
    /// The order's legacy id.
    pub order_legacy_id: i64,
    /// The paying customer, when known.
    pub customer_id: Option<Uuid>,
    /// The paying customer's legacy id, when known.
    pub customer_legacy_id: Option<i64>,
    /// Card or invoice.
    pub method: PaymentMethod,
    /// Where it stands.
    pub status: PaymentStatus,
    /// The authorised amount (legacy `amt`).
    pub amount: Money,
    /// Captured so far (legacy `cap`).
    pub captured: Money,
    /// Refunded so far (legacy `rfd`).
    pub refunded: Money,
    /// Why it failed, when `status` is `failed`.
    pub failure_reason: Option<String>,
    /// The number of events in the payment's ledger stream.
    pub version: i64,
    /// When it was authorised (RFC 3339, UTC).
    #[serde(with = "v2_common::rfc3339")]
    pub created_at: DateTime<Utc>,
    /// When it last changed (RFC 3339, UTC).
    #[serde(with = "v2_common::rfc3339")]
    pub updated_at: DateTime<Utc>,
}

/// `POST /v2/payments`: authorise (and optionally capture) a payment.
/// A card whose token the gateway declines is recorded as `failed` and
/// answered with a 402 problem naming the payment (`payment_id`,
/// `payment_legacy_id` extension members).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePayment {
    /// Import an existing legacy payment under this id; omitted: the service
    /// assigns one from its own range.
    #[serde(default)]
    pub legacy_id: Option<i64>,
    /// The order's UUID, when known.
    #[serde(default)]
    pub order_id: Option<Uuid>,
    /// The order's legacy id.
    pub order_legacy_id: i64,
    /// The customer's UUID, when known.
    #[serde(default)]
    pub customer_id: Option<Uuid>,
    /// The customer's legacy id, when known.
    #[serde(default)]
    pub customer_legacy_id: Option<i64>,
    /// The amount to authorise; must be positive.
    pub amount: Money,
    /// Card or invoice.
    pub method: PaymentMethod,
    /// The card token (required for `card`; `tok_declined` is declined).
    #[serde(default)]
    pub card_token: Option<String>,
    /// Capture at once (the legacy card flow).
    #[serde(default)]
    pub capture: bool,
    /// For imports: when it happened; omitted: now.
    #[serde(default, with = "v2_common::rfc3339::option")]
    pub created_at: Option<DateTime<Utc>>,
}

/// `POST /v2/payments/{id}/fail`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FailPayment {
    /// Why (1–200 characters, trimmed).
    pub reason: String,
    /// For imports: when it happened; omitted: now.
    #[serde(default, with = "v2_common::rfc3339::option")]
    pub at: Option<DateTime<Utc>>,
}

/// The optional body of a state change without parameters (payment
/// capture and void; invoice pay, void and credit). No body means "now".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StateChange {
    /// For imports: when it happened (not before the entity's last change);
    /// omitted: now.
    #[serde(default, with = "v2_common::rfc3339::option")]
    pub at: Option<DateTime<Utc>>,
}

/// One event of a payment's ledger stream (`GET /v2/payments/{id}/events`),
/// for audits: the stream is append-only and numbered from 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LedgerEntry {
    /// Position in the stream, from 1.
    pub version: i64,
    /// What happened, e.g. `payment.captured`.
    pub event_type: String,
    /// The event as stored.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    /// When it was appended (RFC 3339, UTC).
    #[serde(with = "v2_common::rfc3339")]
    pub recorded_at: DateTime<Utc>,
}

/// `GET /v2/payments?order_legacy_id=&limit=&offset=`.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::IntoParams,
)]
#[into_params(parameter_in = Query)]
pub struct PaymentListQuery {
    /// Only the payments of this order.
    pub order_legacy_id: Option<i64>,
    /// Page size, 1..=100 (default 20).
    pub limit: Option<u32>,
    /// Items to skip (default 0).
    pub offset: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn states_and_methods_have_explicit_names() {
        let names: Vec<_> = [
            PaymentStatus::Authorized,
            PaymentStatus::Captured,
            PaymentStatus::PartiallyRefunded,
            PaymentStatus::Refunded,
            PaymentStatus::Voided,
            PaymentStatus::Failed,
        ]
        .iter()
        .map(|s| serde_json::to_value(s).unwrap())
        .collect();
        assert_eq!(
            names,
            [
                "authorized",
                "captured",
                "partially_refunded",
                "refunded",
                "voided",
                "failed"
            ]
        );
        assert_eq!(
            serde_json::to_value(PaymentMethod::Invoice).unwrap(),
            "invoice"
        );
    }

    #[test]
    fn a_minimal_create_reads_and_unknown_fields_are_refused() {
        let body = json!({
            "order_legacy_id": 12,
            "amount": {"amount": "10.00", "currency": "EUR"},
            "method": "card",
            "card_token": "tok_ok"
        });
        let create: CreatePayment = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(create.legacy_id, None);
        assert!(!create.capture);
        let mut extra = body;
        extra["amt"] = json!(1);
        assert!(serde_json::from_value::<CreatePayment>(extra).is_err());
    }
}
