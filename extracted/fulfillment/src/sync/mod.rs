//! Sync with the monolith while both sides live (see `docs/data.md`).
//!
//! - new → legacy: each command that changes an order (with its lines and
//!   shipment) or a stock item's counts also records its **legacy view**
//!   (the ACL's record translators, times in UTC) as a
//!   [`platform::sync::Change`] in the outbox, in the command's transaction
//!   ([`order_changed`], [`stock_changed`]); the relay takes it to the
//!   monolith's inbox. The saga's steps are such commands, so each step
//!   reaches the monolith too.
//! - legacy → new: the monolith's changes arrive at the inbox ([`apply`])
//!   and are written as they stand there: no reservation, no saga, no
//!   event, so nothing is echoed and nobody reacts twice.
//!
//! This is why the service depends on the ACL: the sync records are the
//! legacy export shape, the one both sides can read.

pub(crate) mod apply;

use crate::imports::export;
use crate::store::{orders, stock};
use acl::LegacyClock;
use acl::records::order_records;
use platform::Problem;
use platform::db::AnyConnection;

/// This side's origin in a change.
pub(crate) const ORIGIN: &str = "new";
/// The other side's.
pub(crate) const OTHER: &str = "legacy";
/// The entity names both sides use.
pub(crate) const ORDER: &str = "order";
/// See [`ORDER`]; keyed by SKU.
pub(crate) const STOCK_ITEM: &str = "stock_item";

/// Sync records show legacy times in UTC, so neither side needs the other's
/// zone.
pub(crate) fn clock() -> Result<LegacyClock, Problem> {
    LegacyClock::from_name("UTC").map_err(|e| Problem::internal(&e))
}

/// Records the legacy view of order `id` (stored text) with its shipment
/// for the monolith.
pub(crate) fn order_changed(conn: &mut AnyConnection, id: &str) -> Result<(), Problem> {
    let order = orders::get(conn, id)?;
    let legacy_id = order.legacy_id;
    let record = export::with_shipments(conn, order)?;
    let view = order_records::order_legacy_view(&record, &clock()?)
        .map_err(|e| no_legacy_shape("order", &legacy_id.to_string(), &e))?;
    publish(conn, ORDER, &legacy_id.to_string(), view)
}

/// Records the legacy view of stock item `sku` for the monolith.
pub(crate) fn stock_changed(conn: &mut AnyConnection, sku: &str) -> Result<(), Problem> {
    let item = stock::get(conn, sku)?;
    let view = order_records::stock_legacy_view(&item)
        .map_err(|e| no_legacy_shape("stock item", sku, &e))?;
    publish(conn, STOCK_ITEM, sku, view)
}

fn publish(
    conn: &mut AnyConnection,
    entity: &str,
    key: &str,
    record: serde_json::Value,
) -> Result<(), Problem> {
    platform::sync::publish(conn, ORIGIN, entity, key, record)?;
    Ok(())
}

/// While a rollback is possible the monolith must be able to hold every
/// record: one it could not show is refused rather than kept here alone.
fn no_legacy_shape(entity: &str, key: &str, why: &str) -> Problem {
    Problem::unprocessable(format!(
        "{entity} {key} would have no legacy shape, so the monolith could not keep it: {why}"
    ))
}
