//! The counters behind the legacy ids the service assigns. One row per entity
//! kind; taking an id is one `UPDATE … RETURNING`, which the row lock makes
//! safe under concurrency on PostgreSQL (SQLite serialises writers anyway).

use super::schema::legacy_id_counters as c;
use crate::domain::LegacyIdRange;
use diesel::prelude::*;
use platform::Problem;
use platform::db::AnyConnection;

/// What a legacy id names; each kind counts on its own, as the monolith's
/// tables do.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Entity {
    StockItem,
    Order,
    Shipment,
}

impl Entity {
    const ALL: [Entity; 3] = [Entity::StockItem, Entity::Order, Entity::Shipment];

    fn key(self) -> &'static str {
        match self {
            Self::StockItem => "stock_item",
            Self::Order => "order",
            Self::Shipment => "shipment",
        }
    }
}

/// Creates missing counters and lifts any below the configured range start
/// (run once at start, in one transaction).
pub(crate) fn ensure_range(conn: &mut AnyConnection, range: LegacyIdRange) -> Result<(), Problem> {
    let floor = range.start() - 1;
    for entity in Entity::ALL {
        let exists = c::table
            .find(entity.key())
            .select(c::last_assigned)
            .first::<i64>(conn)
            .optional()?;
        match exists {
            None => {
                diesel::insert_into(c::table)
                    .values((c::entity.eq(entity.key()), c::last_assigned.eq(floor)))
                    .execute(conn)?;
            }
            Some(last) if last < floor => {
                diesel::update(c::table.find(entity.key()))
                    .set(c::last_assigned.eq(floor))
                    .execute(conn)?;
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Takes the next legacy id for `entity`.
pub(crate) fn next(conn: &mut AnyConnection, entity: Entity) -> Result<i64, Problem> {
    let id = diesel::update(c::table.find(entity.key()))
        .set(c::last_assigned.eq(c::last_assigned + 1))
        .returning(c::last_assigned)
        .get_result::<i64>(conn)?;
    Ok(id)
}
