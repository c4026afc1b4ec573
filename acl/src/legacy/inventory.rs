//! Inventory items as the legacy `/api/v1` shows them.

use super::CurrencyCode;
use serde::{Deserialize, Serialize};

/// `PUT /api/v1/inventory/{sku}` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PutItem {
    /// Name.
    pub nm: String,
    /// Unit price, minor units.
    pub px: i64,
    /// Currency.
    pub cur: CurrencyCode,
}

/// `POST /api/v1/inventory/{sku}/adjust` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Adjustment {
    /// Change of the quantity on hand (may be negative).
    pub dq: i64,
    /// Reason, free text.
    pub rsn: String,
}

/// A stock item: `qty` on hand, `rsv` reserved by open orders,
/// `avl = qty - rsv`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// Stock keeping unit.
    pub sku: String,
    /// Name.
    pub nm: String,
    /// Unit price, minor units.
    pub px: i64,
    /// Currency.
    pub cur: CurrencyCode,
    /// On hand.
    pub qty: i64,
    /// Reserved.
    pub rsv: i64,
    /// Available.
    pub avl: i64,
}
