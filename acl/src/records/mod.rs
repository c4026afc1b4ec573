//! Entity translators: one v2 record ↔ one legacy record, both ways.
//!
//! v2 → legacy is what the proxy uses on every response and what parity
//! verification compares. legacy → v2 is for backfill and for tests: the v2
//! model knows more than the legacy one (UUIDs, a payment's event count, an
//! item's reservations), so those functions take what the legacy record
//! cannot supply as explicit arguments, and set references the legacy record
//! does not carry (an order's UUID on a payment) to `None`, never a made-up
//! value. legacy → v2 → legacy is the identity for every entity (proptest).

pub mod order_records;
pub mod orders;
pub mod payment_records;
pub mod payments;
pub mod requests;
pub mod stock;

use crate::error::{FieldPath, Side, TranslateError};
use crate::value::ids;

/// Checks a legacy id read from `side` at `$.{name}`.
pub(crate) fn id(name: &'static str, side: Side, value: i64) -> Result<i64, TranslateError> {
    ids::legacy_id(&FieldPath::field(name), side, value)
}
