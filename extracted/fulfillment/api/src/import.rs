//! Backfill: bringing an order that already exists in the monolith over in
//! the state it is in, with its historical prices, timestamps and shipment.
//! Open orders (pending, confirmed) reserve their stock again; shipped,
//! delivered and cancelled ones touch no stock (their units already left or
//! went back). Importing a legacy id that is already present changes nothing
//! and answers with what is there, so a backfill can be resumed or re-run.

use crate::{Money, OrderState, Sku};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `POST /v2/imports/orders`: 201 with the imported `Order`, or 200 with the
/// one already imported under this legacy id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportOrder {
    /// The order's id in the monolith (below the service's own range).
    pub legacy_id: i64,
    /// The customer's id in the monolith.
    pub customer_legacy_id: i64,
    /// The state it is in there.
    pub state: OrderState,
    /// Its lines at their historical prices; all in one currency.
    pub lines: Vec<ImportOrderLine>,
    /// Its payment, if any (legacy `pay`).
    #[serde(default)]
    pub payment_legacy_id: Option<i64>,
    /// Its invoice, if any (legacy `inv`).
    #[serde(default)]
    pub invoice_legacy_id: Option<i64>,
    /// When it was placed (legacy `crt`).
    #[serde(with = "v2_common::rfc3339")]
    pub created_at: DateTime<Utc>,
    /// When it last changed (legacy `upd`).
    #[serde(with = "v2_common::rfc3339")]
    pub updated_at: DateTime<Utc>,
    /// Its shipment: required when shipped or delivered, refused otherwise.
    #[serde(default)]
    pub shipment: Option<ImportShipment>,
}

/// One historical order line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportOrderLine {
    /// What was ordered.
    pub sku: Sku,
    /// How many units (at least 1).
    pub quantity: i64,
    /// The unit price charged (legacy `px`).
    pub unit_price: Money,
}

/// The shipment of an imported shipped or delivered order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportShipment {
    /// The shipment's id in the monolith.
    pub legacy_id: i64,
    /// Carrier (legacy `carr`).
    pub carrier: String,
    /// Tracking number (legacy `trk`).
    pub tracking_number: String,
    /// When it was handed over (legacy `crt`).
    #[serde(with = "v2_common::rfc3339")]
    pub created_at: DateTime<Utc>,
    /// When it was delivered: required exactly when the order is delivered
    /// (legacy `dlv`).
    #[serde(default, with = "v2_common::rfc3339::option")]
    pub delivered_at: Option<DateTime<Utc>>,
}
