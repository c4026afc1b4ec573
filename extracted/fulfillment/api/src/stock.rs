//! Stock items and their reservations (legacy `Item {sku, nm, px, cur, qty,
//! rsv, avl}`).

use crate::{Money, Sku};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One SKU's stock: what is on hand, what open orders hold, what is left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StockItem {
    /// Service id.
    pub id: Uuid,
    /// The monolith's id for this item (or one assigned from the service's range).
    pub legacy_id: i64,
    /// The SKU (legacy `sku`).
    pub sku: Sku,
    /// Display name (legacy `nm`).
    pub name: String,
    /// Price of one unit (legacy `px` + `cur`).
    pub unit_price: Money,
    /// Units in the warehouse (legacy `qty`).
    pub on_hand: i64,
    /// Units held by open orders (legacy `rsv`); never more than `on_hand`.
    pub reserved: i64,
    /// `on_hand - reserved` (legacy `avl`).
    pub available: i64,
    /// The open orders' holds, oldest first.
    pub reservations: Vec<Reservation>,
    /// When the item was first defined (RFC 3339, UTC).
    #[serde(with = "v2_common::rfc3339")]
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    #[serde(with = "v2_common::rfc3339")]
    pub updated_at: DateTime<Utc>,
}

/// Units of one SKU held for one open order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reservation {
    /// The order holding them.
    pub order_id: Uuid,
    /// That order's legacy id.
    pub order_legacy_id: i64,
    /// How many units.
    pub quantity: i64,
    /// When they were reserved.
    #[serde(with = "v2_common::rfc3339")]
    pub created_at: DateTime<Utc>,
}

/// `PUT /v2/stock/{sku}`: defines an item (201) or renames/reprices it (200).
/// On-hand stock changes only through adjustments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PutStockItem {
    /// Display name, 1–200 characters.
    pub name: String,
    /// Price of one unit; not negative, at most the currency's minor-unit digits.
    pub unit_price: Money,
    /// For an item that already exists in the monolith (backfill): its id
    /// there. Honoured only when the item is created; otherwise one is
    /// assigned from the service's range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legacy_id: Option<i64>,
}

/// `POST /v2/stock/{sku}/adjustments`: adds (or, negative, removes) on-hand
/// units. Refused with 409 when on-hand would drop below what is reserved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StockAdjustment {
    /// Units to add (positive) or remove (negative); not 0 (legacy `dq`).
    pub delta: i64,
    /// Why (legacy `rsn`), 1–200 characters.
    pub reason: String,
}
