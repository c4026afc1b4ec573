//! The fulfillment service's published v2 wire contract: the JSON types of
//! `/v2` (orders with their lines, stock items with their reservations,
//! shipments), their explicit state enums, and the [`paths`] that reach them.
//!
//! Who uses it: the fulfillment service itself (it serialises exactly these
//! types) and the anti-corruption layer (it translates the legacy `/api/v1`
//! shapes to and from these). It holds types and serde only: no I/O, no
//! domain rule beyond what a value must look like, and it never depends on
//! the monolith or on the service's code.
//!
//! Identity rules: every entity has a service `id` (UUID) **and** a
//! `legacy_id` (`i64`), and every reference carries the legacy id too
//! (`customer_legacy_id`, `payment_legacy_id`, `invoice_legacy_id`,
//! `order_legacy_id`), so a legacy shape can be produced from one response.
//! Timestamps are RFC 3339 in UTC; money is [`Money`].
//!
//! With the `openapi` feature the types derive `utoipa::ToSchema`.

pub mod import;
pub mod money;
pub mod order;
pub mod paths;
pub mod shipment;
pub mod sku;
pub mod stock;

pub use import::{ImportOrder, ImportOrderLine, ImportShipment};
pub use money::{Currency, Money, Page};
pub use order::{
    CancelOrder, ConfirmOrder, NewOrder, NewOrderLine, Order, OrderLine, OrderState, ShipOrder,
};
pub use shipment::{Shipment, ShipmentState};
pub use sku::{Sku, SkuError};
pub use stock::{PutStockItem, Reservation, StockAdjustment, StockItem};

/// The request header that makes a create safe to repeat: the same key with
/// the same body answers with the first response and causes no second effect.
pub const IDEMPOTENCY_KEY_HEADER: &str = "Idempotency-Key";

/// The request header that asks for a dry run: `1` runs the whole write and
/// rolls it back; the response carries the same header to confirm it.
pub const DRY_RUN_HEADER: &str = "X-Strangler-Dry-Run";
