//! The legacy list envelope and its query: `?page=1&per_page=20` →
//! `{"items": [...], "page": 1, "per_page": 20, "total": 57}`.

use serde::{Deserialize, Serialize};

/// The page asked for when `page` is absent.
pub const DEFAULT_PAGE: u64 = 1;
/// The page size when `per_page` is absent.
pub const DEFAULT_PER_PAGE: u32 = 20;
/// The largest `per_page` the legacy API accepts.
pub const MAX_PER_PAGE: u32 = 100;

/// One page of a legacy list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Page<T> {
    /// The entries.
    pub items: Vec<T>,
    /// 1-based page number.
    pub page: u64,
    /// Page size.
    pub per_page: u32,
    /// Entries in the whole list.
    pub total: u64,
}
