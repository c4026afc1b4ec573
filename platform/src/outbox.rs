//! The transactional outbox: a service records each domain event in an
//! `outbox` table **in the same transaction** as the state change it
//! describes, so an event exists if and only if the change committed (and a
//! dry run, rolled back, leaves none). Delivering the events (a relay to
//! subscribers or a broker, at least once, in `seq` order) is a separate job;
//! consumers dedupe by `event_id`.
//!
//! Each service adds the table to its own migrations. PostgreSQL:
//!
//! ```sql
//! CREATE TABLE outbox (
//!     seq BIGSERIAL PRIMARY KEY,
//!     event_id TEXT NOT NULL UNIQUE,
//!     aggregate_type TEXT NOT NULL,
//!     aggregate_id TEXT NOT NULL,
//!     event_type TEXT NOT NULL,
//!     payload TEXT NOT NULL,
//!     occurred_at TIMESTAMP NOT NULL,
//!     delivered_at TIMESTAMP NULL
//! );
//! CREATE INDEX outbox_undelivered ON outbox (seq) WHERE delivered_at IS NULL;
//! ```
//!
//! SQLite: the same with `seq INTEGER PRIMARY KEY AUTOINCREMENT` ([`DDL_SQLITE`]).
//! A later migration adds the W3C trace context of the transaction that
//! recorded each event ([`DDL_TRACE_CONTEXT`], the same on both backends), so
//! the work a consumer does for the event joins the producer's trace:
//!
//! ```sql
//! ALTER TABLE outbox ADD COLUMN traceparent TEXT NULL;
//! ALTER TABLE outbox ADD COLUMN tracestate TEXT NULL;
//! ```
//!
//! [`crate::relay`] publishes what is pending; what it sends is an
//! [`Envelope`].

use crate::db::AnyConnection;
use crate::trace_context::TraceContext;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The table's DDL on PostgreSQL.
pub const DDL_POSTGRES: &str = "CREATE TABLE outbox (
    seq BIGSERIAL PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    aggregate_type TEXT NOT NULL,
    aggregate_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP NULL
);
CREATE INDEX outbox_undelivered ON outbox (seq) WHERE delivered_at IS NULL;";

/// The table's DDL on SQLite.
pub const DDL_SQLITE: &str = "CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    aggregate_type TEXT NOT NULL,
    aggregate_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP NULL
);
CREATE INDEX outbox_undelivered ON outbox (seq) WHERE delivered_at IS NULL;";

/// The migration that adds the trace context columns (both backends).
pub const DDL_TRACE_CONTEXT: &str = "ALTER TABLE outbox ADD COLUMN traceparent TEXT NULL;
ALTER TABLE outbox ADD COLUMN tracestate TEXT NULL;";

/// The diesel schema of the table.
#[allow(missing_docs)]
pub mod schema {
    diesel::table! {
        outbox (seq) {
            seq -> BigInt,
            event_id -> Text,
            aggregate_type -> Text,
            aggregate_id -> Text,
            event_type -> Text,
            payload -> Text,
            occurred_at -> Timestamp,
            delivered_at -> Nullable<Timestamp>,
            traceparent -> Nullable<Text>,
            tracestate -> Nullable<Text>,
        }
    }
}

use schema::outbox;

/// An event to record.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Unique per event; consumers dedupe on it.
    pub event_id: Uuid,
    /// The kind of thing that changed, e.g. `payment`.
    pub aggregate_type: String,
    /// Which one, e.g. its UUID.
    pub aggregate_id: String,
    /// What happened, e.g. `payment.refunded`.
    pub event_type: String,
    /// The event's JSON body.
    pub payload: serde_json::Value,
    /// When it happened (UTC).
    pub occurred_at: DateTime<Utc>,
    /// The trace of the work that made the change, when there is one.
    pub trace: Option<TraceContext>,
}

impl Event {
    /// An event with a fresh id (UUID v7, so ids sort by time), now, in the
    /// current span's trace.
    pub fn new(
        aggregate_type: &str,
        aggregate_id: impl ToString,
        event_type: &str,
        payload: &impl Serialize,
    ) -> Result<Self, serde_json::Error> {
        Ok(Self {
            event_id: Uuid::now_v7(),
            aggregate_type: aggregate_type.to_owned(),
            aggregate_id: aggregate_id.to_string(),
            event_type: event_type.to_owned(),
            payload: serde_json::to_value(payload)?,
            occurred_at: Utc::now(),
            trace: TraceContext::current(),
        })
    }
}

/// An event as stored, with its position.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct StoredEvent {
    /// Position in the outbox (delivery order).
    pub seq: i64,
    /// The event id (UUID text).
    pub event_id: String,
    /// See [`Event::aggregate_type`].
    pub aggregate_type: String,
    /// See [`Event::aggregate_id`].
    pub aggregate_id: String,
    /// See [`Event::event_type`].
    pub event_type: String,
    /// The JSON body, as text.
    pub payload: String,
    /// When it happened (UTC).
    pub occurred_at: NaiveDateTime,
    /// When a relay delivered it; `None` until then.
    pub delivered_at: Option<NaiveDateTime>,
    /// See [`Event::trace`].
    pub traceparent: Option<String>,
    /// See [`Event::trace`].
    pub tracestate: Option<String>,
}

impl StoredEvent {
    /// The recorded trace context, when it is (still) a valid one.
    pub fn trace(&self) -> Option<TraceContext> {
        TraceContext::parse(self.traceparent.as_deref()?, self.tracestate.as_deref())
    }

    /// What a relay publishes; the payload text must be the JSON it was
    /// recorded as.
    pub fn envelope(&self) -> Result<Envelope, serde_json::Error> {
        Ok(Envelope {
            event_id: self.event_id.clone(),
            event_type: self.event_type.clone(),
            aggregate_type: self.aggregate_type.clone(),
            aggregate_id: self.aggregate_id.clone(),
            occurred_at: self.occurred_at.and_utc(),
            payload: serde_json::from_str(&self.payload)?,
        })
    }
}

/// An event as published to subscribers and the broker (JSON). The trace
/// context travels beside it, in the `traceparent`/`tracestate` headers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// Unique per event: consumers dedupe on it.
    pub event_id: String,
    /// What happened, e.g. `payment.refunded`.
    pub event_type: String,
    /// The kind of thing that changed, e.g. `payment`.
    pub aggregate_type: String,
    /// Which one.
    pub aggregate_id: String,
    /// When it happened (RFC 3339, UTC).
    pub occurred_at: DateTime<Utc>,
    /// The event's body.
    pub payload: serde_json::Value,
}

#[derive(Insertable)]
#[diesel(table_name = outbox)]
struct NewEvent<'a> {
    event_id: String,
    aggregate_type: &'a str,
    aggregate_id: &'a str,
    event_type: &'a str,
    payload: String,
    occurred_at: NaiveDateTime,
    traceparent: Option<&'a str>,
    tracestate: Option<&'a str>,
}

/// Writes `event` with the caller's connection: call it inside the write
/// transaction that makes the change, never after it.
pub fn record(conn: &mut AnyConnection, event: &Event) -> QueryResult<()> {
    diesel::insert_into(outbox::table)
        .values(NewEvent {
            event_id: event.event_id.to_string(),
            aggregate_type: &event.aggregate_type,
            aggregate_id: &event.aggregate_id,
            event_type: &event.event_type,
            payload: event.payload.to_string(),
            occurred_at: event.occurred_at.naive_utc(),
            traceparent: event.trace.as_ref().map(|t| t.traceparent.as_str()),
            tracestate: event.trace.as_ref().and_then(|t| t.tracestate.as_deref()),
        })
        .execute(conn)
        .map(|_| ())
}

/// Undelivered events in delivery order, at most `limit` (for a relay).
pub fn pending(conn: &mut AnyConnection, limit: i64) -> QueryResult<Vec<StoredEvent>> {
    outbox::table
        .filter(outbox::delivered_at.is_null())
        .order(outbox::seq.asc())
        .limit(limit)
        .select(StoredEvent::as_select())
        .load(conn)
}

/// How far delivery is behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lag {
    /// Undelivered events.
    pub pending: i64,
    /// When the oldest undelivered event happened (UTC); `None` when none waits.
    pub oldest_pending: Option<NaiveDateTime>,
}

impl Lag {
    /// The oldest undelivered event's age at `now` in seconds; 0 when none
    /// waits (and never below 0, whatever the clocks say).
    pub fn oldest_age_seconds(&self, now: DateTime<Utc>) -> f64 {
        self.oldest_pending.map_or(0.0, |oldest| {
            let age = now.naive_utc() - oldest;
            (age.num_milliseconds() as f64 / 1000.0).max(0.0)
        })
    }
}

/// Counts the undelivered events and finds the oldest (one indexed query):
/// all of them, or only those whose type is `LIKE event_types` (such as
/// `legacy.%.changed`, one sync direction).
pub fn lag(conn: &mut AnyConnection, event_types: Option<&str>) -> QueryResult<Lag> {
    let (pending, oldest_pending) = outbox::table
        .filter(outbox::delivered_at.is_null())
        .filter(outbox::event_type.like(event_types.unwrap_or("%")))
        .select((
            diesel::dsl::count_star(),
            diesel::dsl::min(outbox::occurred_at),
        ))
        .first::<(i64, Option<NaiveDateTime>)>(conn)?;
    Ok(Lag {
        pending,
        oldest_pending,
    })
}

/// Every event of one aggregate, oldest first (for tests and audits).
pub fn for_aggregate(
    conn: &mut AnyConnection,
    aggregate_type: &str,
    aggregate_id: &str,
) -> QueryResult<Vec<StoredEvent>> {
    outbox::table
        .filter(outbox::aggregate_type.eq(aggregate_type))
        .filter(outbox::aggregate_id.eq(aggregate_id))
        .order(outbox::seq.asc())
        .select(StoredEvent::as_select())
        .load(conn)
}

/// Marks events delivered (for a relay, a round's acknowledged events in
/// one write); returns how many of them were still pending.
pub fn mark_delivered(
    conn: &mut AnyConnection,
    seqs: &[i64],
    at: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(
        outbox::table
            .filter(outbox::seq.eq_any(seqs))
            .filter(outbox::delivered_at.is_null()),
    )
    .set(outbox::delivered_at.eq(Some(at.naive_utc())))
    .execute(conn)
}

#[cfg(all(test, feature = "testing"))]
#[path = "outbox_tests.rs"]
mod tests;
