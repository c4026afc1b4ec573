//! Identities across the cut: a legacy id (`i64`, positive) is carried as the
//! v2 entity's `legacy_id` unchanged, both ways, so a client that created
//! payment `1234` keeps reading it as `1234`. Anything that is not a positive
//! `i64` is refused, naming the field.

use crate::error::{FieldPath, Side, TranslateError};

/// Checks a legacy id (or a v2 `legacy_id`) read from `side` at `field`.
pub fn legacy_id(field: &FieldPath, side: Side, id: i64) -> Result<i64, TranslateError> {
    if id > 0 {
        Ok(id)
    } else {
        Err(TranslateError::no_counterpart(
            field.clone(),
            side,
            id,
            "legacy ids are positive integers",
        ))
    }
}

/// Reads a legacy id from a path segment (`/api/v1/payments/1234`) the way
/// the monolith's path extractor does (`i64` syntax, so `+7` and `007` are
/// 7). A segment that is not an `i64`, or names no possible record (zero or
/// negative), is [`TranslateError::NotFound`]: the monolith answers 404.
pub fn parse_segment(name: &'static str, segment: &str) -> Result<i64, TranslateError> {
    let field = FieldPath::field(name);
    let id = segment
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| TranslateError::NotFound {
            field,
            value: crate::error::clip(segment),
        })?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_positive_integers() {
        assert_eq!(parse_segment("id", "1234").unwrap(), 1234);
        assert_eq!(parse_segment("id", "+7").unwrap(), 7);
        assert_eq!(parse_segment("id", "007").unwrap(), 7);
        for bad in ["0", "-1", "1e3", "", " 1", "99999999999999999999", "12a"] {
            assert!(parse_segment("id", bad).is_err(), "{bad:?}");
        }
        assert!(legacy_id(&FieldPath::field("ord"), Side::V2, 0).is_err());
    }
}
