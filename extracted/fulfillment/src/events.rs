//! What the service tells the world: one outbox event per state change,
//! written with `platform::outbox::record` in the same transaction as the
//! change, so an event exists exactly when the change committed (and a dry
//! run leaves none). The payload is the entity's full v2 representation after
//! the change, so a consumer never has to call back to learn the new state.
//!
//! | `event_type` | `aggregate_type` | payload |
//! |---|---|---|
//! | `stock_item.defined`, `stock_item.updated` | `stock_item` | `StockItem` |
//! | `stock_item.adjusted` | `stock_item` | `{delta, reason, item: StockItem}` |
//! | `order.placed`, `order.confirmed`, `order.shipped`, `order.delivered` | `order` | `Order` |
//! | `order.cancelled` | `order` | `{reason, order: Order}` |
//! | `shipment.created`, `shipment.delivered` | `shipment` | `Shipment` |
//!
//! `aggregate_id` is the entity's UUID. Imports (backfill) publish nothing
//! (see `imports`).

use platform::Problem;
use platform::db::AnyConnection;
use platform::outbox::{self, Event};
use serde::Serialize;

/// The aggregate kinds, as `aggregate_type`.
pub(crate) const STOCK_ITEM: &str = "stock_item";
pub(crate) const ORDER: &str = "order";
pub(crate) const SHIPMENT: &str = "shipment";

/// Records `event_type` about `aggregate_type`/`aggregate_id` with `payload`.
pub(crate) fn emit(
    conn: &mut AnyConnection,
    aggregate_type: &str,
    aggregate_id: impl ToString,
    event_type: &str,
    payload: &impl Serialize,
) -> Result<(), Problem> {
    let event = Event::new(aggregate_type, aggregate_id, event_type, payload)
        .map_err(|e| Problem::internal(&e))?;
    outbox::record(conn, &event)?;
    Ok(())
}
