//! Sync between two systems of record while both live (the monolith and a
//! service that took over one of its contexts): each side records a
//! [`Change`] in its outbox ([`crate::outbox`]) in the transaction of every
//! write, the relay delivers it at least once, and the other side's inbox
//! ([`crate::inbox`]) applies it exactly once with [`apply`].
//!
//! A change carries the whole record as it now stands (state transfer, not a
//! delta) and a **per-record version**: the producer's count of changes to
//! that record, from 1 ([`next_version`]). The consumer keeps the last
//! version it applied per record and applies only the next one: an older or
//! equal version is a no-op (already there), a later one than the next is
//! refused so that it comes again after the one it waits for (a gap: events
//! delivered out of order). Both counters live in one table, `sync_records`
//! ([`DDL`], the same on both backends):
//!
//! ```sql
//! CREATE TABLE sync_records (
//!     entity TEXT NOT NULL,
//!     record_key TEXT NOT NULL,
//!     published BIGINT NOT NULL,
//!     applied BIGINT NOT NULL,
//!     PRIMARY KEY (entity, record_key)
//! );
//! ```
//!
//! No echo: applying a change must not record one (the consumer writes its
//! tables without going through its publishing path), and every change names
//! its [`Change::origin`] so a consumer refuses its own.
//!
//! How far each direction is behind is served by [`status`] (`GET
//! /sync/status`), for the proxy's promotion gate.

pub mod status;

use crate::db::AnyConnection;
use crate::outbox;
use crate::problem::Problem;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

/// The table's DDL (both backends).
pub const DDL: &str = "CREATE TABLE sync_records (
    entity TEXT NOT NULL,
    record_key TEXT NOT NULL,
    published BIGINT NOT NULL,
    applied BIGINT NOT NULL,
    PRIMARY KEY (entity, record_key)
);";

/// The diesel schema of the table.
#[allow(missing_docs)]
pub mod schema {
    diesel::table! {
        sync_records (entity, record_key) {
            entity -> Text,
            record_key -> Text,
            published -> BigInt,
            applied -> BigInt,
        }
    }
}

use schema::sync_records as t;

/// One record's new state, as one side publishes it for the other.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    /// Who took the write: `legacy` (the monolith) or `new` (the service).
    pub origin: String,
    /// The kind of record, e.g. `payment`.
    pub entity: String,
    /// Which one (its legacy id, as text).
    pub key: String,
    /// The producer's count of changes to this record, from 1.
    pub version: i64,
    /// The record as it now stands, in the shape both sides agreed on.
    pub record: serde_json::Value,
}

impl Change {
    /// The outbox event type a change of `entity` from `origin` travels as:
    /// `<origin>.<entity>.changed`, e.g. `legacy.payment.changed`.
    pub fn event_type(origin: &str, entity: &str) -> String {
        format!("{origin}.{entity}.changed")
    }
}

/// Records `record` as the next change of `(entity, key)` in the outbox,
/// with the caller's connection: call it inside the write transaction.
pub fn publish(
    conn: &mut AnyConnection,
    origin: &str,
    entity: &str,
    key: &str,
    record: serde_json::Value,
) -> QueryResult<()> {
    let version = next_version(conn, entity, key)?;
    let change = Change {
        origin: origin.to_owned(),
        entity: entity.to_owned(),
        key: key.to_owned(),
        version,
        record,
    };
    let event_type = Change::event_type(origin, entity);
    let event = outbox::Event::new(entity, key, &event_type, &change)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    outbox::record(conn, &event)
}

/// Counts one more published change of `(entity, key)` and returns its
/// version (1 for the first). One atomic upsert: concurrent writers of the
/// same record get distinct versions in commit order.
pub fn next_version(conn: &mut AnyConnection, entity: &str, key: &str) -> QueryResult<i64> {
    let insert = diesel::insert_into(t::table).values((
        t::entity.eq(entity),
        t::record_key.eq(key),
        t::published.eq(1_i64),
        t::applied.eq(0_i64),
    ));
    match conn {
        AnyConnection::Postgresql(c) => insert
            .on_conflict((t::entity, t::record_key))
            .do_update()
            .set(t::published.eq(t::published + 1))
            .returning(t::published)
            .get_result(c),
        AnyConnection::Sqlite(c) => insert
            .on_conflict((t::entity, t::record_key))
            .do_update()
            .set(t::published.eq(t::published + 1))
            .returning(t::published)
            .get_result(c),
    }
}

/// How many changes of `(entity, key)` this side (`origin`) recorded and has
/// not delivered yet: while any waits, the other side's copy of the record
/// is behind (one query, on the outbox's undelivered index).
pub fn pending_changes(
    conn: &mut AnyConnection,
    origin: &str,
    entity: &str,
    key: &str,
) -> QueryResult<i64> {
    use outbox::schema::outbox as o;
    o::table
        .filter(o::delivered_at.is_null())
        .filter(o::event_type.eq(Change::event_type(origin, entity)))
        .filter(o::aggregate_type.eq(entity))
        .filter(o::aggregate_id.eq(key))
        .count()
        .get_result(conn)
}

/// The last version applied of `(entity, key)` (0 when none was).
pub fn applied_version(conn: &mut AnyConnection, entity: &str, key: &str) -> QueryResult<i64> {
    Ok(t::table
        .find((entity, key))
        .select(t::applied)
        .first::<i64>(conn)
        .optional()?
        .unwrap_or(0))
}

/// What [`apply`] did with a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// It was the next version: applied.
    Applied,
    /// That version (or a later one) was applied before: nothing done.
    Stale,
}

/// Applies the change an inbox `event` carries, which must be about
/// `entity`, with [`apply`]: the one decoding of a sync event for every
/// consumer's handlers. An event that is not a change of `entity` is a 422.
pub fn apply_event<E>(
    conn: &mut AnyConnection,
    local_origin: &str,
    event: &outbox::Envelope,
    entity: &str,
    write: impl FnOnce(&mut AnyConnection, &serde_json::Value) -> Result<(), E>,
) -> Result<(), Problem>
where
    Problem: From<E>,
{
    let change: Change = serde_json::from_value(event.payload.clone()).map_err(|e| {
        Problem::unprocessable(format!("{} is not a sync change: {e}", event.event_type))
    })?;
    if change.entity != entity {
        return Err(Problem::unprocessable(format!(
            "{} carries a `{}` change, not a `{entity}` one",
            event.event_type, change.entity
        )));
    }
    apply(conn, local_origin, &change, |conn, record| {
        write(conn, record).map_err(Problem::from)
    })?;
    Ok(())
}

/// Applies `change` with `write` when it is the next version of its record,
/// and notes the version; see the module docs for stale and early changes.
/// `local_origin` is the consumer's own origin: a change from it is an echo
/// and refused. Run it inside the inbox transaction.
pub fn apply(
    conn: &mut AnyConnection,
    local_origin: &str,
    change: &Change,
    write: impl FnOnce(&mut AnyConnection, &serde_json::Value) -> Result<(), Problem>,
) -> Result<Applied, Problem> {
    if change.origin == local_origin {
        return Err(Problem::unprocessable(format!(
            "change {} {} v{} comes from `{local_origin}`, this side: it is not applied back",
            change.entity, change.key, change.version
        ))
        .with("field", "origin"));
    }
    if change.version < 1 {
        return Err(Problem::unprocessable(format!(
            "version must be 1 or more, got {}",
            change.version
        ))
        .with("field", "version"));
    }
    let applied = applied_version(conn, &change.entity, &change.key)?;
    if change.version <= applied {
        return Ok(Applied::Stale);
    }
    if change.version > applied + 1 {
        return Err(Problem::conflict(format!(
            "{} {} v{} arrived before v{}: refused until that one is applied",
            change.entity,
            change.key,
            change.version,
            applied + 1
        )));
    }
    write(conn, &change.record)?;
    mark_applied(conn, &change.entity, &change.key, change.version)?;
    Ok(Applied::Applied)
}

fn mark_applied(
    conn: &mut AnyConnection,
    entity: &str,
    key: &str,
    version: i64,
) -> QueryResult<()> {
    let insert = diesel::insert_into(t::table).values((
        t::entity.eq(entity),
        t::record_key.eq(key),
        t::published.eq(0_i64),
        t::applied.eq(version),
    ));
    match conn {
        AnyConnection::Postgresql(c) => insert
            .on_conflict((t::entity, t::record_key))
            .do_update()
            .set(t::applied.eq(version))
            .execute(c),
        AnyConnection::Sqlite(c) => insert
            .on_conflict((t::entity, t::record_key))
            .do_update()
            .set(t::applied.eq(version))
            .execute(c),
    }
    .map(|_| ())
}

#[cfg(all(test, feature = "testing"))]
#[path = "sync_tests.rs"]
mod tests;
