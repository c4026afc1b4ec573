//! Sync with the fulfillment service while both sides live (see
//! `docs/data.md` and [`crate::sync`]): every command of this module records
//! each order it changed (with its lines and shipments) and each stock item
//! whose counts it moved as a [`platform::sync::Change`] in the outbox, in
//! the command's transaction ([`order_changed`], [`stock_changed`]). The
//! service's changes come back through the monolith's inbox ([`apply`]),
//! which writes these tables directly: no reservation, no charge, no
//! change recorded, so nothing is echoed.
//!
//! A change's `record` is the legacy export shape: an order is
//! `{"order": <GET /api/v1/orders/{id}>, "shipments": [<GET
//! /api/v1/shipments/{id}>]}`, a stock item `GET /api/v1/inventory/{sku}`,
//! keyed by SKU; times in UTC.

pub mod apply;

use super::http::export::OrderExportWire;
use super::http::inventory::ItemWire;
use super::store::{items, orders, shipments};
use crate::error::{AppError, AppResult};
use crate::sync::{clock, publish};
use platform::db::AnyConnection;

/// The entity names both sides use.
pub const ORDER: &str = "order";
/// See [`ORDER`]; keyed by SKU.
pub const STOCK_ITEM: &str = "stock_item";

/// Records the current state of order `id` (lines, shipments) for the
/// service.
pub fn order_changed(conn: &mut AnyConnection, id: i64) -> AppResult<()> {
    let order = orders::get(conn, id)?;
    let of = shipments::of_orders(conn, &[id])?;
    let record = OrderExportWire::show(order, of, &clock());
    publish(conn, ORDER, &id.to_string(), &record)
}

/// Records the current state of stock item `sku` for the service.
pub fn stock_changed(conn: &mut AnyConnection, sku: &str) -> AppResult<()> {
    let item = items::get(conn, sku)?.ok_or_else(|| AppError::not_found(format!("item {sku}")))?;
    publish(conn, STOCK_ITEM, sku, &ItemWire::from(item))
}
