//! What can happen to a payment. Stored as JSON in `payment_events.payload`;
//! the variant names are part of the stored format: add, never rename.

use chrono::{DateTime, Utc};
use payment_api::PaymentMethod;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use v2_common::Currency;

/// The facts a payment starts with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opened {
    /// The stream id.
    pub payment_id: Uuid,
    /// Its legacy id.
    pub legacy_id: i64,
    /// The order's UUID, when known.
    pub order_id: Option<Uuid>,
    /// The order's legacy id.
    pub order_legacy_id: i64,
    /// The customer's UUID, when known.
    pub customer_id: Option<Uuid>,
    /// The customer's legacy id, when known.
    pub customer_legacy_id: Option<i64>,
    /// Card or invoice.
    pub method: PaymentMethod,
    /// The currency of every amount in the stream.
    pub currency: Currency,
    /// The authorised amount, minor units.
    pub amount_minor: i64,
    /// When.
    pub at: DateTime<Utc>,
}

/// One event of a payment's stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PaymentEvent {
    /// The gateway authorised the amount. Always the first event, or…
    Authorized {
        /// The payment's facts.
        opened: Opened,
    },
    /// …the gateway declined it: the payment exists, failed.
    Declined {
        /// The payment's facts.
        opened: Opened,
        /// The gateway's reason.
        reason: String,
    },
    /// The authorised amount was captured.
    Captured {
        /// Minor units captured.
        amount_minor: i64,
        /// When.
        at: DateTime<Utc>,
    },
    /// The authorisation was released.
    Voided {
        /// When.
        at: DateTime<Utc>,
    },
    /// The payment was marked failed.
    Failed {
        /// Why.
        reason: String,
        /// When.
        at: DateTime<Utc>,
    },
    /// Part or all of the capture was returned.
    Refunded {
        /// The refund's id.
        refund_id: Uuid,
        /// The refund's legacy id.
        refund_legacy_id: i64,
        /// Minor units returned.
        amount_minor: i64,
        /// Why.
        reason: String,
        /// When.
        at: DateTime<Utc>,
    },
}

impl PaymentEvent {
    /// The event's type as stored and published (`payment.captured`).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Authorized { .. } => "payment.authorized",
            Self::Declined { .. } => "payment.declined",
            Self::Captured { .. } => "payment.captured",
            Self::Voided { .. } => "payment.voided",
            Self::Failed { .. } => "payment.failed",
            Self::Refunded { .. } => "payment.refunded",
        }
    }

    /// When it happened.
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            Self::Authorized { opened } | Self::Declined { opened, .. } => opened.at,
            Self::Captured { at, .. }
            | Self::Voided { at }
            | Self::Failed { at, .. }
            | Self::Refunded { at, .. } => *at,
        }
    }
}
