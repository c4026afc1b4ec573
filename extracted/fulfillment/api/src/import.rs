//! Backfill: bringing stock items and orders that already exist in the
//! monolith over in the state they are in, with historical prices,
//! timestamps and shipments, in batches (`POST /v2/imports/stock`,
//! `POST /v2/imports/orders`, each answered by an [`ImportReport`] with one
//! outcome per record). Stock comes first, with its on-hand units; open
//! orders (pending, confirmed) then reserve their stock again; shipped,
//! delivered and cancelled ones touch no stock (their units already left or
//! went back). An import publishes no event: everything that followed from
//! these records already happened in the monolith. Importing a key that is
//! already present changes nothing and says so, so a backfill can be resumed
//! or re-run. The export lists (`GET /v2/exports/*`) let a verifier walk
//! what the service holds in legacy-key order.

use crate::{Money, Order, OrderState, Shipment, Sku};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
pub use v2_common::migration::{
    ExportPage, ExportQuery, ImportOutcome, ImportReport, ImportResult, LegacyKey, MAX_BATCH,
};

/// `POST /v2/imports/stock`: stock items keyed by SKU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportStock {
    /// 1 to [`MAX_BATCH`] items.
    pub stock: Vec<ImportStockItem>,
}

/// A stock item as it stands in the monolith. The monolith keys items by
/// SKU and shows no id for them: the service assigns a legacy id from its
/// own range. Reservations are not imported here: the open orders that hold
/// them reserve again when they are imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportStockItem {
    /// The SKU (legacy `sku`): the record's key.
    pub sku: Sku,
    /// Display name (legacy `nm`).
    pub name: String,
    /// Price of one unit (legacy `px` + `cur`).
    pub unit_price: Money,
    /// Units on hand (legacy `qty`), not negative.
    pub on_hand: i64,
}

/// `POST /v2/imports/orders`: orders with their shipments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportOrders {
    /// 1 to [`MAX_BATCH`] orders.
    pub orders: Vec<ImportOrder>,
}

/// An order with its shipments, as `GET /v2/exports/orders` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderExport {
    /// The order.
    pub order: Order,
    /// Its shipments (at most one), oldest first.
    pub shipments: Vec<Shipment>,
}

/// One order as it stands in the monolith.
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
