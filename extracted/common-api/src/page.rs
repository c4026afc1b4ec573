//! The v2 list envelope and its query: `?limit=&offset=` →
//! `{"data": [...], "total": 57, "limit": 20, "offset": 0}`.

use serde::{Deserialize, Serialize};

/// The largest `limit` a v2 list accepts.
pub const MAX_LIMIT: u32 = 100;
/// The `limit` when none is given.
pub const DEFAULT_LIMIT: u32 = 20;

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Page<T> {
    /// The items on this page, in the list's stable order.
    pub data: Vec<T>,
    /// How many items the whole list has.
    pub total: u64,
    /// The page size asked for.
    pub limit: u32,
    /// How many items were skipped.
    pub offset: u64,
}

/// `?limit=&offset=` as received; [`PageParams::validate`] applies the
/// defaults and bounds.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::IntoParams,
)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page size, 1..=100 (default 20).
    pub limit: Option<u32>,
    /// Items to skip (default 0).
    pub offset: Option<u64>,
}

/// A `limit` out of bounds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("limit must be between 1 and {MAX_LIMIT}, got {0}")]
pub struct PageParamsError(pub u32);

impl PageParams {
    /// `(limit, offset)` with defaults applied, or why `limit` is refused.
    pub fn validate(self) -> Result<(u32, u64), PageParamsError> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if limit == 0 || limit > MAX_LIMIT {
            return Err(PageParamsError(limit));
        }
        Ok((limit, self.offset.unwrap_or(0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_bounds() {
        assert_eq!(PageParams::default().validate().unwrap(), (20, 0));
        let p = PageParams {
            limit: Some(100),
            offset: Some(40),
        };
        assert_eq!(p.validate().unwrap(), (100, 40));
        assert!(
            PageParams {
                limit: Some(0),
                offset: None
            }
            .validate()
            .is_err()
        );
        assert!(
            PageParams {
                limit: Some(101),
                offset: None
            }
            .validate()
            .is_err()
        );
    }

    #[test]
    fn envelope_shape() {
        let page = Page {
            data: vec![1, 2],
            total: 5,
            limit: 2,
            offset: 0,
        };
        assert_eq!(
            serde_json::to_value(&page).unwrap(),
            serde_json::json!({"data": [1, 2], "total": 5, "limit": 2, "offset": 0})
        );
    }
}
