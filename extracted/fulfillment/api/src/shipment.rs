//! Shipments (legacy `Shipment {ord, st, carr, trk, crt, dlv}`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Where a shipment is. Legacy letters: `S` shipped, `D` delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ShipmentState {
    /// With the carrier.
    Shipped,
    /// Received.
    Delivered,
}

impl ShipmentState {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Shipped => "shipped",
            Self::Delivered => "delivered",
        }
    }
}

/// A shipment as `/v2` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Shipment {
    /// Service id.
    pub id: Uuid,
    /// Legacy id (legacy `id`).
    pub legacy_id: i64,
    /// The order shipped.
    pub order_id: Uuid,
    /// That order's legacy id (legacy `ord`).
    pub order_legacy_id: i64,
    /// Current state (legacy `st`).
    pub state: ShipmentState,
    /// Carrier name (legacy `carr`).
    pub carrier: String,
    /// Tracking number (legacy `trk`).
    pub tracking_number: String,
    /// When it was handed over (legacy `crt`).
    #[serde(with = "v2_common::rfc3339")]
    pub created_at: DateTime<Utc>,
    /// When it was delivered; `null` until then (legacy `dlv`).
    #[serde(default, with = "v2_common::rfc3339::option")]
    pub delivered_at: Option<DateTime<Utc>>,
}
