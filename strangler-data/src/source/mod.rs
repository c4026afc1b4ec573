//! Where legacy records come from: a small trait with one method per entity,
//! each answering the page of records after a cursor, in id order. Records
//! are legacy-shaped JSON (as `/api/v1` serves them): the ACL reads them
//! strictly later, one by one, so one malformed record becomes a dead letter
//! instead of failing a whole page.

pub mod api;
pub mod sql;

use serde_json::Value;
use std::future::Future;

/// One page of legacy records.
#[derive(Debug, Clone, PartialEq)]
pub struct SourcePage {
    /// The records, in id order.
    pub items: Vec<LegacyItem>,
    /// The cursor of the next page; `None` after the last.
    pub next: Option<i64>,
    /// Records in the whole list when the page was read (for progress).
    pub total: u64,
}

/// One legacy record: its id and its legacy-shaped body.
#[derive(Debug, Clone, PartialEq)]
pub struct LegacyItem {
    /// The record's legacy id (the cursor).
    pub id: i64,
    /// The record as `/api/v1` shows it; a payment is
    /// `{"payment": Payment, "refunds": [Refund]}`.
    pub body: Value,
}

/// A source of legacy records, read in id order after a cursor.
pub trait LegacySource: Send + Sync {
    /// Payments with their refunds, ids above `after`, at most `limit`.
    fn payments(
        &self,
        after: i64,
        limit: u32,
    ) -> impl Future<Output = anyhow::Result<SourcePage>> + Send;

    /// Invoices, ids above `after`, at most `limit`.
    fn invoices(
        &self,
        after: i64,
        limit: u32,
    ) -> impl Future<Output = anyhow::Result<SourcePage>> + Send;
}

/// Which source, as the command line names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSpec {
    /// The legacy HTTP API at this base URL.
    Api(String),
    /// The legacy database at this URL (`sqlite://…`, `postgres://…`).
    Db(String),
}
