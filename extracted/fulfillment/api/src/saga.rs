//! Order sagas: placing, capturing and cancelling an order across the
//! fulfillment and payment services, orchestrated by the fulfillment service
//! and persisted step by step (`POST /v2/sagas`, `GET /v2/sagas/{id}`).

use crate::{NewOrderLine, Order};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Which business transaction a saga runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum SagaKind {
    /// Reserve stock → charge (card) or authorise (invoice) → confirm.
    PlaceOrder,
    /// Capture an invoice order's authorised payment → confirm the order.
    CaptureOrder,
    /// Cancel the order (releasing its stock) → void or refund its payment.
    CancelOrder,
}

impl SagaKind {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PlaceOrder => "place_order",
            Self::CaptureOrder => "capture_order",
            Self::CancelOrder => "cancel_order",
        }
    }
}

/// Where a saga stands. `running` and `compensating` are unfinished (the
/// recovery loop resumes them); the other three are terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum SagaStatus {
    /// Moving forward.
    Running,
    /// A step failed for good; undoing what was done, in reverse.
    Compensating,
    /// Every step done.
    Completed,
    /// Failed after some steps and every one of them undone: no order kept,
    /// no money kept.
    Compensated,
    /// Refused at its first step: nothing was done, nothing to undo.
    Failed,
}

impl SagaStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Compensating => "compensating",
            Self::Completed => "completed",
            Self::Compensated => "compensated",
            Self::Failed => "failed",
        }
    }

    /// True for `completed`, `compensated` and `failed`.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Completed | Self::Compensated | Self::Failed)
    }
}

/// How the customer pays an order placed by a saga.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PaymentMethod {
    /// Charged (authorised and captured) at once; the order is confirmed.
    Card,
    /// Authorised only; the order stays pending until captured.
    Invoice,
}

/// `POST /v2/sagas` body: the transaction to run. Requires an
/// `Idempotency-Key`: the same key answers with the same saga.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum StartSaga {
    /// Place an order and pay for it.
    PlaceOrder {
        /// The customer's id in the monolith; positive.
        customer_legacy_id: i64,
        /// 1 to 100 lines, each SKU at most once, one currency.
        lines: Vec<NewOrderLine>,
        /// Card or invoice.
        method: PaymentMethod,
        /// The card token (required for `card`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        card_token: Option<String>,
    },
    /// Capture a pending invoice order's payment and confirm the order.
    CaptureOrder {
        /// The order.
        order_id: Uuid,
    },
    /// Cancel a pending or confirmed order and settle its payment.
    CancelOrder {
        /// The order.
        order_id: Uuid,
    },
}

impl StartSaga {
    /// Which kind of saga this starts.
    pub fn kind(&self) -> SagaKind {
        match self {
            Self::PlaceOrder { .. } => SagaKind::PlaceOrder,
            Self::CaptureOrder { .. } => SagaKind::CaptureOrder,
            Self::CancelOrder { .. } => SagaKind::CancelOrder,
        }
    }
}

/// A saga as `/v2/sagas` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Saga {
    /// Its id (also the root of the idempotency keys it sends).
    pub id: Uuid,
    /// What it runs.
    pub kind: SagaKind,
    /// Where it stands.
    pub status: SagaStatus,
    /// The step it is at (or ended at), e.g. `charge_payment`, `settle_payment`, `done`.
    pub step: String,
    /// The order, once one exists.
    pub order_id: Option<Uuid>,
    /// The payment taken or settled, once known.
    pub payment_id: Option<Uuid>,
    /// That payment's legacy id.
    pub payment_legacy_id: Option<i64>,
    /// Tries of the current step so far.
    pub attempts: i32,
    /// When the current step is tried next; `null` once ended.
    #[serde(with = "v2_common::rfc3339::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The last transient error met, if any.
    pub last_error: Option<String>,
    /// The business answer that failed it (a problem document), if any.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub failure: Option<serde_json::Value>,
    /// When it started (RFC 3339, UTC).
    #[serde(with = "v2_common::rfc3339")]
    pub created_at: DateTime<Utc>,
    /// When it last moved (RFC 3339, UTC).
    #[serde(with = "v2_common::rfc3339")]
    pub updated_at: DateTime<Utc>,
    /// The order as it is now, when there is one.
    pub order: Option<Order>,
    /// What it did, oldest first: its start, each move and each failed try.
    /// Shown by `GET /v2/sagas/{id}`; a list leaves it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<SagaEvent>>,
}

/// One entry of a saga's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SagaEvent {
    /// When (RFC 3339, UTC).
    #[serde(with = "v2_common::rfc3339")]
    pub at: DateTime<Utc>,
    /// The step it was at (`started` for its start).
    pub step: String,
    /// The step it moved to; `null` for a failed try, to be retried.
    pub to_step: Option<String>,
    /// Its status after this entry.
    pub status: SagaStatus,
    /// A failed try's transient error, or the failure (a problem document, as
    /// JSON text) that turned the saga.
    pub error: Option<String>,
}
