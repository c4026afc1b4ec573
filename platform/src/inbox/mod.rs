//! The inbox: a consumer applies each event **exactly once**, however often
//! it is delivered. Handling an event is one transaction in the consumer's
//! database: insert its `event_id` into `inbox` (already there → a duplicate,
//! nothing more happens) and run the handler registered for its type; both
//! commit or neither does, so a failed handler leaves the event to be
//! delivered again.
//!
//! The handler runs in a span (`inbox.apply`) that adopts the event's trace
//! context ([`TraceContext::adopt_by`]), so the consumer's work is part of the
//! producer's trace. Events come in over HTTP (`POST /inbox`, [`http`]) or from
//! a durable NATS JetStream consumer ([`nats`]). Types with no handler are
//! acknowledged and ignored (a subscriber receives all of a producer's events).
//!
//! The table, the same on both backends ([`DDL`]):
//!
//! ```sql
//! CREATE TABLE inbox (
//!     event_id TEXT PRIMARY KEY,
//!     event_type TEXT NOT NULL,
//!     received_at TIMESTAMP NOT NULL
//! );
//! ```

pub mod http;
pub mod nats;

use crate::db::{AnyConnection, Db};
use crate::outbox::Envelope;
use crate::problem::Problem;
use crate::trace_context::TraceContext;
use chrono::Utc;
use diesel::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use tracing::Instrument;

/// The table's DDL (both backends).
pub const DDL: &str = "CREATE TABLE inbox (
    event_id TEXT PRIMARY KEY,
    event_type TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL
);";

/// The diesel schema of the table.
#[allow(missing_docs)]
pub mod schema {
    diesel::table! {
        inbox (event_id) {
            event_id -> Text,
            event_type -> Text,
            received_at -> Timestamp,
        }
    }
}

/// Applies one event inside the inbox transaction.
pub type Handler = Arc<dyn Fn(&mut AnyConnection, &Envelope) -> Result<(), Problem> + Send + Sync>;

/// What became of a received event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Received {
    /// Applied now.
    Applied,
    /// Applied before: nothing done.
    Duplicate,
    /// No handler for its type: nothing done, nothing recorded.
    Ignored,
}

/// A consumer's handlers and its database; cheap to clone.
#[derive(Clone)]
pub struct Inbox {
    db: Db,
    handlers: Arc<BTreeMap<String, Handler>>,
}

impl Inbox {
    /// An inbox with no handler yet.
    pub fn new(db: Db) -> Self {
        Self {
            db,
            handlers: Arc::default(),
        }
    }

    /// Registers `handler` for `event_type` (the last one registered wins).
    pub fn on(
        mut self,
        event_type: &str,
        handler: impl Fn(&mut AnyConnection, &Envelope) -> Result<(), Problem> + Send + Sync + 'static,
    ) -> Self {
        Arc::make_mut(&mut self.handlers).insert(event_type.to_owned(), Arc::new(handler));
        self
    }

    /// The event types it applies, sorted.
    pub fn event_types(&self) -> impl Iterator<Item = &str> {
        self.handlers.keys().map(String::as_str)
    }

    /// Applies `event` once (see the module docs), in `trace` when given.
    pub async fn receive(
        &self,
        event: Envelope,
        trace: Option<TraceContext>,
    ) -> Result<Received, Problem> {
        let Some(handler) = self.handlers.get(&event.event_type).cloned() else {
            tracing::debug!(event_id = %event.event_id, event_type = %event.event_type, "event ignored: no handler");
            return Ok(Received::Ignored);
        };
        let span = tracing::info_span!(
            "inbox.apply",
            event_id = %event.event_id,
            event_type = %event.event_type,
            trace_id = tracing::field::Empty,
        );
        if let Some(trace) = &trace
            && trace.adopt_by(&span)
        {
            // A field too, so the consumer's log lines name the trace.
            span.record("trace_id", trace.trace_id());
        }
        let in_handler = span.clone();
        let outcome = self
            .db
            .write(move |conn| in_handler.in_scope(|| apply(conn, &event, &*handler)))
            .instrument(span.clone())
            .await;
        span.in_scope(|| match &outcome {
            Ok(received) => tracing::info!(outcome = ?received, "event received"),
            Err(p) => tracing::warn!(detail = p.detail(), "event not applied; it will come again"),
        });
        outcome
    }
}

fn apply(
    conn: &mut AnyConnection,
    event: &Envelope,
    handler: &(dyn Fn(&mut AnyConnection, &Envelope) -> Result<(), Problem> + Send + Sync),
) -> Result<Received, Problem> {
    use schema::inbox;
    let row = (
        inbox::event_id.eq(&event.event_id),
        inbox::event_type.eq(&event.event_type),
        inbox::received_at.eq(Utc::now().naive_utc()),
    );
    let insert = diesel::insert_into(inbox::table).values(row);
    // ON CONFLICT DO NOTHING: a duplicate must not abort the transaction.
    let inserted = match conn {
        AnyConnection::Postgresql(c) => insert.on_conflict_do_nothing().execute(c)?,
        AnyConnection::Sqlite(c) => insert.on_conflict_do_nothing().execute(c)?,
    };
    if inserted == 0 {
        return Ok(Received::Duplicate);
    }
    handler(conn, event)?;
    Ok(Received::Applied)
}

/// Whether `event_id` was applied (for tests and audits).
pub fn applied(conn: &mut AnyConnection, event_id: &str) -> QueryResult<bool> {
    use schema::inbox;
    inbox::table
        .find(event_id)
        .count()
        .get_result::<i64>(conn)
        .map(|n| n > 0)
}

#[cfg(all(test, feature = "testing"))]
#[path = "tests.rs"]
pub(crate) mod tests;
