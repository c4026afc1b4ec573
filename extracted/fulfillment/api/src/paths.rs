//! The `/v2` routes: templates (as the service registers them) and functions
//! that build concrete paths (as a client such as the ACL calls them).
//!
//! | method | path | body → answer |
//! |---|---|---|
//! | PUT  | `/v2/stock/{sku}` | `PutStockItem` → 201/200 `StockItem` |
//! | GET  | `/v2/stock/{sku}` | → `StockItem` |
//! | GET  | `/v2/stock/by-legacy-id/{legacy_id}` | → `StockItem` |
//! | POST | `/v2/stock/{sku}/adjustments` | `StockAdjustment` → `StockItem` |
//! | POST | `/v2/orders` | `NewOrder` → 201 `Order` |
//! | GET  | `/v2/orders?customer_legacy_id=&limit=&offset=` | → `Page<Order>` |
//! | GET  | `/v2/orders/{id}` | → `Order` |
//! | GET  | `/v2/orders/by-legacy-id/{legacy_id}` | → `Order` |
//! | POST | `/v2/orders/{id}/confirm` | `ConfirmOrder` → `Order` |
//! | POST | `/v2/orders/{id}/ship` | `ShipOrder` → 201 `Shipment` |
//! | POST | `/v2/orders/{id}/deliver` | → `Order` (its shipment delivered) |
//! | POST | `/v2/orders/{id}/cancel` | `CancelOrder`? → `Order` |
//! | POST | `/v2/sagas` | `StartSaga` → 201 / 202 `Saga`, or the problem that failed it |
//! | GET  | `/v2/sagas?status=&limit=` | → `Vec<Saga>`, newest first |
//! | GET  | `/v2/sagas/{id}` | → `Saga` |
//! | GET  | `/v2/shipments/{id}` | → `Shipment` |
//! | GET  | `/v2/shipments/by-legacy-id/{legacy_id}` | → `Shipment` |
//! | POST | `/v2/shipments/{id}/deliver` | → `Shipment` (its order delivered) |
//! | POST | `/v2/imports/stock` | `ImportStock` → `ImportReport` (backfill) |
//! | POST | `/v2/imports/orders` | `ImportOrders` → `ImportReport` (backfill) |
//! | GET  | `/v2/exports/stock?after=<sku>&limit=` | → `ExportPage<StockItem>` (verify) |
//! | GET  | `/v2/exports/orders?after=<legacy id>&limit=` | → `ExportPage<OrderExport>` (verify) |
//! | GET  | `/v2/openapi.json` | the OpenAPI document |

use crate::Sku;
use uuid::Uuid;

/// Route templates, with `{placeholders}`.
pub mod templates {
    /// Collection of orders; POST creates, GET lists by customer.
    pub const ORDERS: &str = "/v2/orders";
    /// One order.
    pub const ORDER: &str = "/v2/orders/{id}";
    /// One order by its legacy id.
    pub const ORDER_BY_LEGACY_ID: &str = "/v2/orders/by-legacy-id/{legacy_id}";
    /// Confirm an order.
    pub const ORDER_CONFIRM: &str = "/v2/orders/{id}/confirm";
    /// Ship an order.
    pub const ORDER_SHIP: &str = "/v2/orders/{id}/ship";
    /// Deliver an order.
    pub const ORDER_DELIVER: &str = "/v2/orders/{id}/deliver";
    /// Cancel an order.
    pub const ORDER_CANCEL: &str = "/v2/orders/{id}/cancel";
    /// Collection of sagas; POST starts one, GET lists the newest first.
    pub const SAGAS: &str = "/v2/sagas";
    /// One saga.
    pub const SAGA: &str = "/v2/sagas/{id}";
    /// One stock item.
    pub const STOCK_ITEM: &str = "/v2/stock/{sku}";
    /// One stock item by its legacy id.
    pub const STOCK_ITEM_BY_LEGACY_ID: &str = "/v2/stock/by-legacy-id/{legacy_id}";
    /// Adjust a stock item's on-hand units.
    pub const STOCK_ADJUSTMENTS: &str = "/v2/stock/{sku}/adjustments";
    /// One shipment.
    pub const SHIPMENT: &str = "/v2/shipments/{id}";
    /// One shipment by its legacy id.
    pub const SHIPMENT_BY_LEGACY_ID: &str = "/v2/shipments/by-legacy-id/{legacy_id}";
    /// Deliver a shipment.
    pub const SHIPMENT_DELIVER: &str = "/v2/shipments/{id}/deliver";
    /// Import (backfill) orders from the monolith.
    pub const ORDER_IMPORTS: &str = "/v2/imports/orders";
    /// Import (backfill) stock items from the monolith.
    pub const STOCK_IMPORTS: &str = "/v2/imports/stock";
    /// Stock items by SKU, for verification.
    pub const STOCK_EXPORT: &str = "/v2/exports/stock";
    /// Orders with their shipments by legacy id, for verification.
    pub const ORDER_EXPORT: &str = "/v2/exports/orders";
    /// The OpenAPI document.
    pub const OPENAPI: &str = "/v2/openapi.json";
}

/// `/v2/orders` (POST to create).
pub fn orders() -> &'static str {
    templates::ORDERS
}

/// `/v2/imports/orders` (POST an `ImportOrders`).
pub fn order_imports() -> &'static str {
    templates::ORDER_IMPORTS
}

/// `/v2/orders?customer_legacy_id=..&limit=..&offset=..`.
pub fn orders_of_customer(customer_legacy_id: i64, limit: u32, offset: u64) -> String {
    format!("/v2/orders?customer_legacy_id={customer_legacy_id}&limit={limit}&offset={offset}")
}

/// `/v2/orders/{id}`.
pub fn order(id: Uuid) -> String {
    format!("/v2/orders/{id}")
}

/// `/v2/orders/by-legacy-id/{legacy_id}`.
pub fn order_by_legacy_id(legacy_id: i64) -> String {
    v2_common::paths::by_legacy_id("/v2/orders", legacy_id)
}

/// `/v2/orders/{id}/confirm`.
pub fn order_confirm(id: Uuid) -> String {
    format!("/v2/orders/{id}/confirm")
}

/// `/v2/orders/{id}/ship`.
pub fn order_ship(id: Uuid) -> String {
    format!("/v2/orders/{id}/ship")
}

/// `/v2/orders/{id}/deliver`.
pub fn order_deliver(id: Uuid) -> String {
    format!("/v2/orders/{id}/deliver")
}

/// `/v2/orders/{id}/cancel`.
pub fn order_cancel(id: Uuid) -> String {
    format!("/v2/orders/{id}/cancel")
}

/// `/v2/sagas` (POST to start one).
pub fn sagas() -> &'static str {
    templates::SAGAS
}

/// `/v2/sagas/{id}`
pub fn saga(id: Uuid) -> String {
    format!("/v2/sagas/{id}")
}

/// `/v2/stock/{sku}` (a [`Sku`] is always one safe path segment).
pub fn stock_item(sku: &Sku) -> String {
    format!("/v2/stock/{sku}")
}

/// `/v2/stock/by-legacy-id/{legacy_id}`.
pub fn stock_item_by_legacy_id(legacy_id: i64) -> String {
    v2_common::paths::by_legacy_id("/v2/stock", legacy_id)
}

/// `/v2/stock/{sku}/adjustments`.
pub fn stock_adjustments(sku: &Sku) -> String {
    format!("/v2/stock/{sku}/adjustments")
}

/// `/v2/shipments/{id}`.
pub fn shipment(id: Uuid) -> String {
    format!("/v2/shipments/{id}")
}

/// `/v2/shipments/by-legacy-id/{legacy_id}`.
pub fn shipment_by_legacy_id(legacy_id: i64) -> String {
    v2_common::paths::by_legacy_id("/v2/shipments", legacy_id)
}

/// `/v2/shipments/{id}/deliver`.
pub fn shipment_deliver(id: Uuid) -> String {
    format!("/v2/shipments/{id}/deliver")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_fill_the_templates() {
        let id = Uuid::nil();
        let fill = |t: &str| t.replace("{id}", &id.to_string());
        assert_eq!(order(id), fill(templates::ORDER));
        assert_eq!(order_confirm(id), fill(templates::ORDER_CONFIRM));
        assert_eq!(order_ship(id), fill(templates::ORDER_SHIP));
        assert_eq!(order_deliver(id), fill(templates::ORDER_DELIVER));
        assert_eq!(order_cancel(id), fill(templates::ORDER_CANCEL));
        assert_eq!(saga(id), fill(templates::SAGA));
        assert_eq!(shipment(id), fill(templates::SHIPMENT));
        assert_eq!(shipment_deliver(id), fill(templates::SHIPMENT_DELIVER));
        let sku = Sku::parse("W-1").unwrap();
        assert_eq!(
            stock_item(&sku),
            templates::STOCK_ITEM.replace("{sku}", "W-1")
        );
        assert_eq!(
            stock_adjustments(&sku),
            templates::STOCK_ADJUSTMENTS.replace("{sku}", "W-1")
        );
        assert_eq!(
            order_by_legacy_id(7),
            templates::ORDER_BY_LEGACY_ID.replace("{legacy_id}", "7")
        );
        assert_eq!(
            orders_of_customer(3, 20, 40),
            "/v2/orders?customer_legacy_id=3&limit=20&offset=40"
        );
    }
}
