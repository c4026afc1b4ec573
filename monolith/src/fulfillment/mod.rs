//! Bounded context `fulfillment`: inventory (stock per SKU and reservations),
//! orders with their lines, and shipments. Owns the `items`, `orders`,
//! `order_lines` and `shipments` tables. It charges and refunds through the
//! payments port and never touches a payments table. While the fulfillment
//! service lives beside it, its `sync` keeps the service's copy current and
//! applies the service's changes.

mod commands;
mod domain;
pub(crate) mod http;
pub(crate) mod owner;
mod remote_flows;
mod store;
pub(crate) mod sync;
