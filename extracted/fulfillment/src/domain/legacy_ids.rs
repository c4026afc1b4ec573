//! Legacy ids: the monolith's stay below `start`; the service assigns from
//! `start` upwards; an explicit legacy id (an import of a monolith entity)
//! must lie below `start`, so the two sources can never collide.

use super::Invalid;

/// The service's own range of legacy ids: `start..`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LegacyIdRange {
    start: i64,
}

impl LegacyIdRange {
    pub(crate) fn new(start: i64) -> Self {
        Self { start }
    }

    /// The first id the service assigns.
    pub(crate) fn start(self) -> i64 {
        self.start
    }

    /// Accepts an explicit legacy id from a client importing a monolith entity.
    pub(crate) fn check_explicit(self, field: &str, id: i64) -> Result<i64, Invalid> {
        if id < 1 {
            return Err(Invalid::new(field, format!("must be positive, got {id}")));
        }
        if id >= self.start {
            return Err(Invalid::new(
                field,
                format!(
                    "{id} lies in the range the service assigns itself (from {}); \
                     an explicit legacy id must name an entity of the monolith, below it",
                    self.start
                ),
            ));
        }
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_ids_must_be_positive_and_below_the_range() {
        let range = LegacyIdRange::new(1_000);
        assert_eq!(range.check_explicit("legacy_id", 999), Ok(999));
        assert!(range.check_explicit("legacy_id", 1_000).is_err());
        assert!(range.check_explicit("legacy_id", 0).is_err());
        assert!(range.check_explicit("legacy_id", -5).is_err());
    }
}
