//! legacy → new: the monolith's changes applied once each and in order per
//! record ([`platform::sync::apply`]), as they stand in the monolith. An
//! order not here yet is stored whole (the backfill's import, without
//! reserving: its stock item's counts come as their own change); one
//! already here takes the monolith's state, links and shipment. A stock
//! item takes the monolith's name, price and counts. No reservation, no
//! saga, no outbox event.

use super::{ORDER, ORIGIN, OTHER, STOCK_ITEM, clock};
use crate::domain::{LegacyIdRange, validate_import};
use crate::store::{self, order_insert, orders, shipments, stock};
use acl::legacy;
use acl::records::order_records;
use chrono::SubsecRound;
use fulfillment_api::{ImportOrder, OrderState, PutStockItem, ShipmentState};
use platform::Problem;
use platform::db::AnyConnection;
use platform::inbox::Inbox;
use platform::sync::Change;

/// `inbox` with the handlers for the monolith's changes.
pub(crate) fn handlers(inbox: Inbox, range: LegacyIdRange) -> Inbox {
    inbox
        .on(&Change::event_type(OTHER, ORDER), move |conn, event| {
            platform::sync::apply_event(conn, ORIGIN, event, ORDER, |c, r| order(c, range, r))
        })
        .on(
            &Change::event_type(OTHER, STOCK_ITEM),
            move |conn, event| {
                platform::sync::apply_event(conn, ORIGIN, event, STOCK_ITEM, |c, r| {
                    stock_item(c, range, r)
                })
            },
        )
}

fn order(
    conn: &mut AnyConnection,
    range: LegacyIdRange,
    record: &serde_json::Value,
) -> Result<(), Problem> {
    let import = order_records::order_to_import(record, &clock()?)
        .map_err(|e| Problem::unprocessable(format!("not an order the service can hold: {e}")))?;
    let Some(id) = orders::id_by_legacy_id(conn, import.legacy_id)? else {
        validate_import(&import, range)?;
        order_insert::import(conn, &import, store::now(), false)?;
        return Ok(());
    };
    catch_up(conn, &id, &import)
}

/// Gives order `id` the state, links and shipment `import` has.
fn catch_up(conn: &mut AnyConnection, id: &str, import: &ImportOrder) -> Result<(), Problem> {
    orders::set_synced(conn, id, import)?;
    if let Some(s) = &import.shipment {
        match shipments::of_order(conn, id)? {
            None => shipments::import(conn, id, s)?,
            Some(shipment) => {
                let current = shipments::get(conn, &shipment)?;
                if let (ShipmentState::Shipped, Some(at)) = (current.state, s.delivered_at) {
                    shipments::deliver(conn, &shipment, at.naive_utc().trunc_subsecs(6))?;
                }
            }
        }
    }
    if !matches!(import.state, OrderState::Pending | OrderState::Confirmed) {
        // Holds of an order the monolith closed; the counts come with the
        // stock item's own change.
        stock::forget_reservations(conn, id)?;
    }
    Ok(())
}

fn stock_item(
    conn: &mut AnyConnection,
    range: LegacyIdRange,
    record: &serde_json::Value,
) -> Result<(), Problem> {
    let item: legacy::Item = serde_json::from_value(record.clone())
        .map_err(|e| Problem::unprocessable(format!("not a legacy stock item: {e}")))?;
    let import = order_records::stock_to_import(record, &clock()?)
        .map_err(|e| Problem::unprocessable(format!("stock item {}: {e}", item.sku)))?;
    let put = PutStockItem {
        name: import.name.clone(),
        unit_price: import.unit_price,
        legacy_id: None,
    };
    crate::domain::validate_put_item(&put, range)?;
    let now = store::now();
    stock::put(conn, &import.sku, &put, now)?;
    stock::set_counts(conn, &import.sku, item.qty, item.rsv, now)
}
