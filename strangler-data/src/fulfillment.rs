//! The `fulfillment` context: legacy stock items and orders (with their
//! lines and shipments) translated into the fulfillment service's import
//! records, and the service's records back into their legacy view for
//! verification. The translations live in the ACL
//! ([`acl::records::order_records`]), shared with the ongoing sync.
//!
//! The legacy item shows no id and no timestamps: the service keys it by SKU
//! and gives it a legacy id from its own range. Its `rsv` is not imported as
//! a number: the open orders that hold it reserve again when they arrive, so
//! verify shows any `rsv` the monolith's open orders do not account for.

pub use acl::records::order_records::{
    LegacyOrder, order_legacy_view, order_to_import, stock_legacy_view, stock_to_import,
};
