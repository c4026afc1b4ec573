//! Wire types every service's data-migration paths share: the import report
//! of a backfill batch (`POST /v2/imports/*`) and the keyset-paged export
//! lists verification walks (`GET /v2/exports/*`).
//!
//! A record's key in the monolith is usually an integer id, but not always:
//! a stock item is keyed by its SKU. [`LegacyKey`] is either, and is also the
//! cursor of an export list (the key of the last record of the page).

use serde::{Deserialize, Serialize};
use std::fmt;

/// The most records one import request may carry.
pub const MAX_BATCH: usize = 1000;
/// The largest page an export list serves.
pub const MAX_EXPORT_LIMIT: u32 = 1000;
/// The page size when `limit` is absent.
pub const DEFAULT_EXPORT_LIMIT: u32 = 100;

/// A record's key in the monolith: its integer id, or a text key (a SKU).
/// On the wire a JSON number or string. Integer keys order numerically,
/// text keys byte by byte (as a `C` collation does).
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(untagged)]
pub enum LegacyKey {
    /// An integer id.
    Id(i64),
    /// A text key.
    Text(String),
}

impl LegacyKey {
    /// The integer id, if it is one.
    pub fn id(&self) -> Option<i64> {
        match self {
            Self::Id(id) => Some(*id),
            Self::Text(_) => None,
        }
    }
}

impl From<i64> for LegacyKey {
    fn from(id: i64) -> Self {
        Self::Id(id)
    }
}

impl From<&str> for LegacyKey {
    fn from(key: &str) -> Self {
        Self::Text(key.to_owned())
    }
}

impl fmt::Display for LegacyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Id(id) => write!(f, "{id}"),
            Self::Text(key) => f.write_str(key),
        }
    }
}

/// The answer to an import: one outcome per record, in request order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// One per record.
    pub results: Vec<ImportResult>,
}

/// What became of one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportResult {
    /// The record's key in the monolith (a stock item's: its SKU).
    pub legacy_id: LegacyKey,
    /// Imported, already there, or refused.
    pub outcome: ImportOutcome,
    /// Why it was refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The outcome of one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportOutcome {
    /// Written now.
    Imported,
    /// A record with this legacy key was already there; nothing written.
    AlreadyImported,
    /// Not written, for the `reason` given.
    Refused,
}

/// The query of an export list: `?after=<legacy key>&limit=<n>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// Only records after this legacy key (the `next` of the previous page);
    /// absent: from the first.
    pub after: Option<String>,
    /// Records per page, 1 to 1000 (default 100).
    pub limit: Option<u32>,
}

/// A bad export query: which parameter, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{detail}")]
pub struct ExportQueryError {
    /// `after` or `limit`.
    pub field: &'static str,
    /// What is wrong and what is accepted.
    pub detail: String,
}

impl ExportQuery {
    /// An integer-keyed list's cursor (0 when absent) and page size.
    pub fn by_id(&self) -> Result<(i64, u32), ExportQueryError> {
        let after = match self.after.as_deref() {
            None => 0,
            Some(raw) => raw
                .parse::<i64>()
                .ok()
                .filter(|id| *id >= 0)
                .ok_or_else(|| ExportQueryError {
                    field: "after",
                    detail: format!("after must be 0 or a legacy id, got {raw}"),
                })?,
        };
        Ok((after, self.limit()?))
    }

    /// A text-keyed list's cursor (empty when absent: before every key) and
    /// page size.
    pub fn by_text(&self) -> Result<(String, u32), ExportQueryError> {
        Ok((self.after.clone().unwrap_or_default(), self.limit()?))
    }

    fn limit(&self) -> Result<u32, ExportQueryError> {
        let limit = self.limit.unwrap_or(DEFAULT_EXPORT_LIMIT);
        if (1..=MAX_EXPORT_LIMIT).contains(&limit) {
            Ok(limit)
        } else {
            Err(ExportQueryError {
                field: "limit",
                detail: format!("limit must be 1 to {MAX_EXPORT_LIMIT}, got {limit}"),
            })
        }
    }
}

/// One page of an export list, in legacy-key order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ExportPage<T> {
    /// The records.
    pub items: Vec<T>,
    /// The cursor of the next page (`?after=`), or `null` after the last.
    pub next: Option<LegacyKey>,
}

/// Drops the extra row a page query fetched to learn whether another page
/// follows (it asks for `limit + 1`), and answers the next page's cursor.
pub fn cut_page<R>(
    rows: &mut Vec<R>,
    limit: u32,
    key: impl Fn(&R) -> LegacyKey,
) -> Option<LegacyKey> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(key)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_their_wire_shape_and_order() {
        assert_eq!(serde_json::to_string(&LegacyKey::Id(7)).unwrap(), "7");
        assert_eq!(
            serde_json::to_string(&LegacyKey::from("W-1")).unwrap(),
            "\"W-1\""
        );
        let back: LegacyKey = serde_json::from_str("\"W-1\"").unwrap();
        assert_eq!(back, LegacyKey::from("W-1"));
        assert!(LegacyKey::Id(9) < LegacyKey::Id(10));
        assert!(LegacyKey::from("A-2") < LegacyKey::from("A1"));
        assert!(LegacyKey::from("Z") < LegacyKey::from("a"));
    }

    #[test]
    fn queries_are_checked() {
        let q = |after: Option<&str>, limit| ExportQuery {
            after: after.map(str::to_owned),
            limit,
        };
        assert_eq!(q(None, None).by_id().unwrap(), (0, 100));
        assert_eq!(q(Some("42"), Some(1000)).by_id().unwrap(), (42, 1000));
        assert_eq!(q(Some("-1"), None).by_id().unwrap_err().field, "after");
        assert_eq!(q(Some("W-1"), None).by_id().unwrap_err().field, "after");
        assert_eq!(q(None, Some(0)).by_id().unwrap_err().field, "limit");
        assert_eq!(q(Some("W-1"), None).by_text().unwrap(), ("W-1".into(), 100));
        assert_eq!(q(None, Some(1001)).by_text().unwrap_err().field, "limit");
    }

    #[test]
    fn a_page_is_cut_at_its_limit() {
        let mut rows = vec![1, 2, 3];
        assert_eq!(
            cut_page(&mut rows, 2, |r| LegacyKey::Id(*r)),
            Some(LegacyKey::Id(2))
        );
        assert_eq!(rows, [1, 2]);
        assert_eq!(cut_page(&mut rows, 2, |r| LegacyKey::Id(*r)), None);
    }
}
