//! Legacy ids for entities the service creates. They come from one counter
//! per entity starting at `legacy_ids.start` (default 1 000 000 000), a range
//! the monolith never reaches, so a legacy client can address a payment made
//! by the new service without any collision. Entities imported from the
//! monolith keep their own id, which must lie below the start.

use crate::schema::legacy_id_counters;
use diesel::prelude::*;
use platform::Problem;
use platform::db::AnyConnection;

/// Which counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    /// Payments.
    Payment,
    /// Refunds.
    Refund,
    /// Invoices.
    Invoice,
}

impl Entity {
    const ALL: [Entity; 3] = [Self::Payment, Self::Refund, Self::Invoice];

    fn key(self) -> &'static str {
        match self {
            Self::Payment => "payment",
            Self::Refund => "refund",
            Self::Invoice => "invoice",
        }
    }
}

/// The configured range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LegacyIds {
    start: i64,
}

impl LegacyIds {
    /// Ids from `start` up.
    pub fn new(start: i64) -> Self {
        Self { start }
    }

    /// Creates missing counters and moves any counter below `start` up to
    /// it (the range may be raised, never lowered). Run at start.
    pub fn seed(&self, conn: &mut AnyConnection) -> QueryResult<()> {
        for entity in Entity::ALL {
            let row = (
                legacy_id_counters::entity.eq(entity.key()),
                legacy_id_counters::next_value.eq(self.start),
            );
            let insert = diesel::insert_into(legacy_id_counters::table).values(row);
            // The upsert clause is backend-specific in diesel.
            match conn {
                AnyConnection::Postgresql(c) => insert.on_conflict_do_nothing().execute(c)?,
                AnyConnection::Sqlite(c) => insert.on_conflict_do_nothing().execute(c)?,
            };
            diesel::update(
                legacy_id_counters::table
                    .find(entity.key())
                    .filter(legacy_id_counters::next_value.lt(self.start)),
            )
            .set(legacy_id_counters::next_value.eq(self.start))
            .execute(conn)?;
        }
        Ok(())
    }

    /// The next id for `entity` (row-locked on PostgreSQL until commit, so
    /// concurrent creates never share one; rolled back with a dry run).
    pub fn next(&self, conn: &mut AnyConnection, entity: Entity) -> QueryResult<i64> {
        let after: i64 = diesel::update(legacy_id_counters::table.find(entity.key()))
            .set(legacy_id_counters::next_value.eq(legacy_id_counters::next_value + 1))
            .returning(legacy_id_counters::next_value)
            .get_result(conn)?;
        Ok(after - 1)
    }

    /// An explicit (imported) legacy id, or a fresh one.
    pub fn explicit_or_next(
        &self,
        conn: &mut AnyConnection,
        entity: Entity,
        explicit: Option<i64>,
    ) -> Result<i64, crate::error::CommandError> {
        match explicit {
            Some(id) => Ok(self.check_explicit(id)?),
            None => Ok(self.next(conn, entity)?),
        }
    }

    /// An imported id must be positive and below the service's own range.
    pub fn check_explicit(&self, id: i64) -> Result<i64, Problem> {
        if id >= 1 && id < self.start {
            Ok(id)
        } else {
            Err(Problem::unprocessable(format!(
                "legacy_id {id} is outside 1..{}: ids from {} up are assigned by the payment service; omit legacy_id to get one",
                self.start, self.start
            ))
            .with("field", "legacy_id"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_ids_stay_below_the_service_range() {
        let ids = LegacyIds::new(1_000);
        assert_eq!(ids.check_explicit(999).unwrap(), 999);
        assert!(ids.check_explicit(1_000).is_err());
        assert!(ids.check_explicit(0).is_err());
        assert!(ids.check_explicit(-5).is_err());
    }
}
