//! Refunds: money returned from a captured payment, never more in total than
//! was captured.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use v2_common::Money;

/// A refund as the service reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Refund {
    /// Service identity.
    pub id: Uuid,
    /// Legacy identity.
    pub legacy_id: i64,
    /// The refunded payment.
    pub payment_id: Uuid,
    /// The refunded payment's legacy id.
    pub payment_legacy_id: i64,
    /// The amount returned (legacy `amt`).
    pub amount: Money,
    /// Why (legacy `rsn`).
    pub reason: String,
    /// When (RFC 3339, UTC).
    #[serde(with = "v2_common::rfc3339")]
    pub created_at: DateTime<Utc>,
}

/// `POST /v2/payments/{id}/refunds`. The amount must be positive, in the
/// payment's currency, and at most captured minus refunded (else 409).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRefund {
    /// Import an existing legacy refund under this id.
    #[serde(default)]
    pub legacy_id: Option<i64>,
    /// The amount to return.
    pub amount: Money,
    /// Why (1–200 characters, trimmed).
    pub reason: String,
    /// For imports: when it happened; omitted: now.
    #[serde(default, with = "v2_common::rfc3339::option")]
    pub created_at: Option<DateTime<Utc>>,
}
