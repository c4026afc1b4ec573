//! Orders and their lines (legacy `Order {cust, st, cur, tot, lines, pay, inv,
//! crt, upd}`), and the commands that move an order through its states.

use crate::{Money, Sku};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Where an order is in its life. Legacy letters: `P` pending, `C`
/// confirmed, `S` shipped, `D` delivered, `X` cancelled.
///
/// pending → confirmed → shipped → delivered; pending or confirmed →
/// cancelled. Anything else is refused with 409.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum OrderState {
    /// Placed, stock reserved, not yet paid.
    Pending,
    /// Paid: payment (and invoice) recorded.
    Confirmed,
    /// Handed to a carrier; the reserved stock has left the warehouse.
    Shipped,
    /// Received by the customer.
    Delivered,
    /// Cancelled before shipping; its reservations were released.
    Cancelled,
}

impl OrderState {
    /// The wire name (`pending`, …), as used in problem details.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Confirmed => "confirmed",
            Self::Shipped => "shipped",
            Self::Delivered => "delivered",
            Self::Cancelled => "cancelled",
        }
    }
}

/// An order as `/v2` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Order {
    /// Service id.
    pub id: Uuid,
    /// Legacy id (legacy `id`).
    pub legacy_id: i64,
    /// The customer, who lives in the monolith (legacy `cust`).
    pub customer_legacy_id: i64,
    /// Current state (legacy `st`).
    pub state: OrderState,
    /// Sum of the lines' amounts; its currency is the order's (legacy `tot` + `cur`).
    pub total: Money,
    /// The lines, in the order they were placed.
    pub lines: Vec<OrderLine>,
    /// The payment recorded at confirmation (legacy `pay`).
    pub payment_legacy_id: Option<i64>,
    /// The invoice, recorded when it is issued (legacy `inv`).
    pub invoice_legacy_id: Option<i64>,
    /// The shipment, once shipped.
    pub shipment_id: Option<Uuid>,
    /// When it was placed (legacy `crt`).
    #[serde(with = "v2_common::rfc3339")]
    pub created_at: DateTime<Utc>,
    /// When it last changed (legacy `upd`).
    #[serde(with = "v2_common::rfc3339")]
    pub updated_at: DateTime<Utc>,
}

/// One line of an order (legacy `{sku, qty, px, amt}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderLine {
    /// What was ordered.
    pub sku: Sku,
    /// How many units (at least 1).
    pub quantity: i64,
    /// Unit price when ordered.
    pub unit_price: Money,
    /// `quantity × unit_price`.
    pub amount: Money,
}

/// `POST /v2/orders`: places an order, reserving every line's stock at once
/// or nothing. Safe to repeat with an `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewOrder {
    /// The customer's id in the monolith; positive.
    pub customer_legacy_id: i64,
    /// 1 to 100 lines, each SKU at most once; all items must share one currency.
    pub lines: Vec<NewOrderLine>,
    /// For an order that already exists in the monolith (backfill): its id
    /// there. Without it the service assigns one from its own range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legacy_id: Option<i64>,
    /// For an imported order (only with `legacy_id`): when it was placed.
    #[serde(
        default,
        with = "v2_common::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_at: Option<DateTime<Utc>>,
}

/// One line of a new order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewOrderLine {
    /// What to order; the item must exist.
    pub sku: Sku,
    /// How many units; at least 1.
    pub quantity: i64,
}

/// `POST /v2/orders/{id}/confirm`: the order is paid (pending → confirmed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConfirmOrder {
    /// The payment that paid it (legacy `pay`); positive.
    #[serde(default)]
    pub payment_legacy_id: Option<i64>,
    /// The invoice issued for it (legacy `inv`); positive.
    #[serde(default)]
    pub invoice_legacy_id: Option<i64>,
}

/// `POST /v2/orders/{id}/ship`: hands a confirmed order to a carrier and
/// creates its shipment (confirmed → shipped). Safe to repeat with an
/// `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShipOrder {
    /// Carrier name (legacy `carr`), 1–100 characters.
    pub carrier: String,
    /// The carrier's tracking number; generated when absent (legacy `trk`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_number: Option<String>,
    /// For a shipment that already exists in the monolith (backfill).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legacy_id: Option<i64>,
}

/// `POST /v2/orders/{id}/cancel` (pending or confirmed → cancelled); releases
/// the order's reservations. The body may be empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CancelOrder {
    /// Why, for the outbox event and the logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_order_reads_as_the_v2_model() {
        let doc = json!({
            "id": "0190d0c2-0000-7000-8000-000000000001",
            "legacy_id": 1_000_000_001_i64,
            "customer_legacy_id": 42,
            "state": "confirmed",
            "total": {"amount": "25.00", "currency": "EUR"},
            "lines": [{"sku": "W-1", "quantity": 2,
                       "unit_price": {"amount": "12.50", "currency": "EUR"},
                       "amount": {"amount": "25.00", "currency": "EUR"}}],
            "payment_legacy_id": 7,
            "invoice_legacy_id": 8,
            "shipment_id": null,
            "created_at": "2026-11-24T21:00:00Z",
            "updated_at": "2026-11-24T21:05:00Z"
        });
        let order: Order = serde_json::from_value(doc.clone()).unwrap();
        assert_eq!(order.state, OrderState::Confirmed);
        assert_eq!(order.lines[0].quantity, 2);
        assert_eq!(serde_json::to_value(&order).unwrap(), doc);
    }

    #[test]
    fn a_new_order_refuses_unknown_fields_and_bad_skus() {
        let ok = json!({"customer_legacy_id": 1, "lines": [{"sku": "A", "quantity": 1}]});
        assert!(serde_json::from_value::<NewOrder>(ok).is_ok());
        let extra = json!({"customer_legacy_id": 1, "lines": [], "cust": 1});
        assert!(serde_json::from_value::<NewOrder>(extra).is_err());
        let bad_sku = json!({"customer_legacy_id": 1, "lines": [{"sku": "a b", "quantity": 1}]});
        assert!(serde_json::from_value::<NewOrder>(bad_sku).is_err());
    }
}
