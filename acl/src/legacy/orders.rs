//! Orders and shipments as the legacy `/api/v1` shows them.

use super::{CurrencyCode, LocalTimestamp, OrderStatus, PaymentMethod, ShipmentStatus};
use serde::{Deserialize, Serialize};

/// `POST /api/v1/orders` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOrder {
    /// Customer id.
    pub cust: i64,
    /// What to order.
    pub lines: Vec<NewOrderLine>,
    /// `card` or `invoice`.
    pub pm: PaymentMethod,
    /// Card token (for `card`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tok: Option<String>,
}

/// One line of [`NewOrder`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOrderLine {
    /// Stock keeping unit.
    pub sku: String,
    /// Quantity.
    pub qty: i64,
}

/// An order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Order {
    /// Order id.
    pub id: i64,
    /// Customer id.
    pub cust: i64,
    /// Status letter.
    pub st: OrderStatus,
    /// Currency of every amount.
    pub cur: CurrencyCode,
    /// Total, minor units.
    pub tot: i64,
    /// The lines.
    pub lines: Vec<OrderLine>,
    /// Payment id; `null` while no payment is recorded.
    pub pay: Option<i64>,
    /// Invoice id; `null` while no invoice is issued.
    pub inv: Option<i64>,
    /// Created, local time.
    pub crt: LocalTimestamp,
    /// Last updated, local time.
    pub upd: LocalTimestamp,
}

/// One line of an [`Order`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderLine {
    /// Stock keeping unit.
    pub sku: String,
    /// Quantity.
    pub qty: i64,
    /// Unit price, minor units.
    pub px: i64,
    /// Line amount (`qty * px`), minor units.
    pub amt: i64,
}

/// `POST /api/v1/orders/{id}/shipments` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewShipment {
    /// Carrier.
    pub carr: String,
}

/// A shipment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shipment {
    /// Shipment id.
    pub id: i64,
    /// Order id.
    pub ord: i64,
    /// Status letter.
    pub st: ShipmentStatus,
    /// Carrier.
    pub carr: String,
    /// Tracking number.
    pub trk: String,
    /// Created (shipped), local time.
    pub crt: LocalTimestamp,
    /// Delivered, local time; `null` until delivered.
    pub dlv: Option<LocalTimestamp>,
}
