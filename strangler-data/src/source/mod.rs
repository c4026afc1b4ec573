//! Where legacy records come from: a small trait with one method per list,
//! each answering the page of records after a cursor, in key order. Records
//! are legacy-shaped JSON (as `/api/v1` serves them): the ACL reads them
//! strictly later, one by one, so one malformed record becomes a dead letter
//! instead of failing a whole page.
//!
//! Most lists are keyed by integer id; stock items by SKU (text, byte
//! order). A [`LegacyKey`] is either, and [`read`] hands a list its cursor
//! in the type it pages by.

pub mod api;
pub mod sql;

use anyhow::bail;
use serde_json::Value;
use std::future::Future;
pub use v2_common::LegacyKey;

/// One page of legacy records.
#[derive(Debug, Clone, PartialEq)]
pub struct SourcePage {
    /// The records, in key order.
    pub items: Vec<LegacyItem>,
    /// The cursor of the next page; `None` after the last.
    pub next: Option<LegacyKey>,
    /// Records in the whole list when the page was read (for progress).
    pub total: u64,
}

/// One legacy record: its key and its legacy-shaped body.
#[derive(Debug, Clone, PartialEq)]
pub struct LegacyItem {
    /// The record's legacy key (the cursor).
    pub id: LegacyKey,
    /// The record as `/api/v1` shows it; a payment is
    /// `{"payment": Payment, "refunds": [Refund]}`, an order
    /// `{"order": Order, "shipments": [Shipment]}`.
    pub body: Value,
}

/// A source of legacy records, read in key order after a cursor.
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

    /// Stock items, SKUs above `after` in byte order, at most `limit`.
    fn stock(
        &self,
        after: &str,
        limit: u32,
    ) -> impl Future<Output = anyhow::Result<SourcePage>> + Send;

    /// Orders with their lines and shipments, ids above `after`, at most
    /// `limit`.
    fn orders(
        &self,
        after: i64,
        limit: u32,
    ) -> impl Future<Output = anyhow::Result<SourcePage>> + Send;
}

/// The lists a source serves, each a kind of record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum List {
    /// Payments, each with its refunds.
    Payments,
    /// Invoices.
    Invoices,
    /// Stock items, keyed by SKU.
    Stock,
    /// Orders, each with its lines and shipments.
    Orders,
}

impl List {
    /// The list's name (`payments`), as paths and checkpoints say it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Payments => "payments",
            Self::Invoices => "invoices",
            Self::Stock => "stock",
            Self::Orders => "orders",
        }
    }

    /// One record's entity name (`payment`), as dead letters and
    /// differences say it.
    pub fn record(self) -> &'static str {
        match self {
            Self::Payments => "payment",
            Self::Invoices => "invoice",
            Self::Stock => "stock item",
            Self::Orders => "order",
        }
    }

    /// The cursor before the first record.
    pub fn start(self) -> LegacyKey {
        match self {
            Self::Stock => LegacyKey::Text(String::new()),
            _ => LegacyKey::Id(0),
        }
    }
}

/// Reads the page of `list` after `after` (a cursor of the list's kind).
pub async fn read<S: LegacySource>(
    source: &S,
    list: List,
    after: &LegacyKey,
    limit: u32,
) -> anyhow::Result<SourcePage> {
    match (list, after) {
        (List::Stock, LegacyKey::Text(sku)) => source.stock(sku, limit).await,
        (List::Payments, LegacyKey::Id(id)) => source.payments(*id, limit).await,
        (List::Invoices, LegacyKey::Id(id)) => source.invoices(*id, limit).await,
        (List::Orders, LegacyKey::Id(id)) => source.orders(*id, limit).await,
        (list, after) => bail!(
            "`{after}` is not a cursor of the {} list (a checkpoint from another version?)",
            list.name()
        ),
    }
}

/// Which source, as the command line names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSpec {
    /// The legacy HTTP API at this base URL.
    Api(String),
    /// The legacy database at this URL (`sqlite://…`, `postgres://…`).
    Db(String),
}
