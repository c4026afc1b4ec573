//! The event store: `payment_events`, one row per event, primary key
//! `(stream_id, version)`. Appends state the version they read; the key makes
//! a second append at the same version fail on both backends (on PostgreSQL
//! the loser waits for the winner's commit, then sees the violation).

use super::events::PaymentEvent;
use super::state::PaymentState;
use crate::error::CommandError;
use crate::schema::payment_events;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use platform::Problem;
use platform::db::AnyConnection;
use uuid::Uuid;

/// A stream's events in version order.
pub fn load(
    conn: &mut AnyConnection,
    stream: Uuid,
) -> Result<Vec<(i64, PaymentEvent)>, CommandError> {
    let rows: Vec<(i64, String)> = payment_events::table
        .filter(payment_events::stream_id.eq(stream.to_string()))
        .order(payment_events::version.asc())
        .select((payment_events::version, payment_events::payload))
        .load(conn)?;
    rows.into_iter()
        .map(|(version, payload)| Ok((version, serde_json::from_str(&payload)?)))
        .collect()
}

/// The current state of a payment, or 404.
pub fn load_state(conn: &mut AnyConnection, id: Uuid) -> Result<PaymentState, CommandError> {
    let events = load(conn, id)?;
    PaymentState::replay(events.iter().map(|(v, e)| (*v, e)))
        .map_err(|e| Problem::internal(&e))?
        .ok_or_else(|| Problem::not_found(format!("no payment with id {id}")).into())
}

/// The current version of a stream (0 when it has no event).
pub fn version(conn: &mut AnyConnection, stream: Uuid) -> Result<i64, CommandError> {
    let max: Option<i64> = payment_events::table
        .filter(payment_events::stream_id.eq(stream.to_string()))
        .select(diesel::dsl::max(payment_events::version))
        .first(conn)?;
    Ok(max.unwrap_or(0))
}

/// Appends `events` after `expected_version`; returns the new version.
/// [`CommandError::Conflict`] when another writer appended first.
pub fn append(
    conn: &mut AnyConnection,
    stream: Uuid,
    expected_version: i64,
    events: &[PaymentEvent],
) -> Result<i64, CommandError> {
    // Cheap check first; the primary key is what guarantees it.
    if version(conn, stream)? != expected_version {
        return Err(CommandError::Conflict(stream.to_string()));
    }
    let mut version = expected_version;
    for event in events {
        version += 1;
        let inserted = diesel::insert_into(payment_events::table)
            .values((
                payment_events::stream_id.eq(stream.to_string()),
                payment_events::version.eq(version),
                payment_events::event_id.eq(Uuid::now_v7().to_string()),
                payment_events::event_type.eq(event.name()),
                payment_events::payload.eq(serde_json::to_string(event)?),
                payment_events::recorded_at.eq(chrono::Utc::now().naive_utc()),
            ))
            .execute(conn);
        match inserted {
            Ok(_) => {}
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                return Err(CommandError::Conflict(stream.to_string()));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(version)
}

/// Every stream id, in a stable order (for rebuilds).
pub fn stream_ids(conn: &mut AnyConnection) -> Result<Vec<Uuid>, CommandError> {
    let ids: Vec<String> = payment_events::table
        .select(payment_events::stream_id)
        .distinct()
        .order(payment_events::stream_id.asc())
        .load(conn)?;
    ids.iter()
        .map(|s| Uuid::parse_str(s).map_err(|e| Problem::internal(&e).into()))
        .collect()
}

/// A stream as audit entries, oldest first (404 when there is none).
pub fn entries(
    conn: &mut AnyConnection,
    stream: Uuid,
) -> Result<Vec<payment_api::LedgerEntry>, CommandError> {
    let rows: Vec<(i64, String, String, chrono::NaiveDateTime)> = payment_events::table
        .filter(payment_events::stream_id.eq(stream.to_string()))
        .order(payment_events::version.asc())
        .select((
            payment_events::version,
            payment_events::event_type,
            payment_events::payload,
            payment_events::recorded_at,
        ))
        .load(conn)?;
    if rows.is_empty() {
        return Err(Problem::not_found(format!("no payment with id {stream}")).into());
    }
    rows.into_iter()
        .map(|(version, event_type, payload, recorded_at)| {
            Ok(payment_api::LedgerEntry {
                version,
                event_type,
                data: serde_json::from_str(&payload)?,
                recorded_at: recorded_at.and_utc(),
            })
        })
        .collect()
}
