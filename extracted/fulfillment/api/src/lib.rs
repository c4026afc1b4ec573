#![doc = include_str!("../README.md")]

pub mod import;
pub mod money;
pub mod order;
pub mod paths;
pub mod saga;
pub mod shipment;
pub mod sku;
pub mod stock;

pub use import::{
    ExportPage, ExportQuery, ImportOrder, ImportOrderLine, ImportOrders, ImportOutcome,
    ImportReport, ImportResult, ImportShipment, ImportStock, ImportStockItem, LegacyKey, MAX_BATCH,
    OrderExport,
};
pub use money::{Currency, Money, Page};
pub use order::{
    CancelOrder, ConfirmOrder, NewOrder, NewOrderLine, Order, OrderLine, OrderState, ShipOrder,
};
pub use saga::{PaymentMethod, Saga, SagaEvent, SagaKind, SagaStatus, StartSaga};
pub use shipment::{Shipment, ShipmentState};
pub use sku::{Sku, SkuError};
pub use stock::{PutStockItem, Reservation, StockAdjustment, StockItem};

/// The request header that makes a create safe to repeat: the same key with
/// the same body answers with the first response and causes no second effect.
pub const IDEMPOTENCY_KEY_HEADER: &str = "Idempotency-Key";

/// The request header that asks for a dry run: `1` runs the whole write and
/// rolls it back; the response carries the same header to confirm it.
pub const DRY_RUN_HEADER: &str = "X-Strangler-Dry-Run";
