//! Money and pages on the wire: the one place where the contract names them.
//!
//! INTEGRATION POINT: these become `pub use v2_common::{Money, Page};` once the
//! shared `v2-common` crate lands; every other file refers to them through
//! this module only, so the switch is this file alone.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// An amount of one currency: a decimal string (`"12.50"`) and an ISO 4217 code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Money {
    /// The decimal amount, serialised as a string so no precision is lost.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "12.50"))]
    pub amount: Decimal,
    /// ISO 4217 code, upper case (`EUR`).
    pub currency: String,
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    /// The entries of this page.
    pub data: Vec<T>,
    /// How many entries exist in all.
    pub total: u64,
    /// The page size asked for.
    pub limit: u32,
    /// How many entries were skipped.
    pub offset: u64,
}
