//! How far a service's outbox relay is behind: `outbox_pending_events` and
//! `outbox_oldest_pending_age_seconds` (0 when nothing waits), read from the
//! database at each scrape so they are never stale. When the database cannot
//! be read both are NaN — "unknown" — rather than an old number.

use crate::db::{Db, DbError};
use crate::outbox;
use actix_web::web;
use chrono::Utc;
use prometheus::{Gauge, Registry};

/// The two gauges.
pub struct OutboxLag {
    pending: Gauge,
    oldest_age: Gauge,
}

impl OutboxLag {
    /// Creates both gauges in `registry`.
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let pending = Gauge::new(
            "outbox_pending_events",
            "Outbox events recorded but not yet delivered (NaN when the database cannot be read).",
        )?;
        let oldest_age = Gauge::new(
            "outbox_oldest_pending_age_seconds",
            "Age of the oldest undelivered outbox event in seconds, 0 when none waits.",
        )?;
        registry.register(Box::new(pending.clone()))?;
        registry.register(Box::new(oldest_age.clone()))?;
        Ok(Self {
            pending,
            oldest_age,
        })
    }

    /// Reads the outbox now and sets both gauges.
    pub async fn refresh(&self, db: Option<&web::Data<Db>>) {
        let Some(db) = db else {
            tracing::warn!("outbox lag: the app has no database");
            return self.unknown();
        };
        // The whole outbox: the relay's health, whoever the events are for.
        match db
            .read(|c| outbox::lag(c, None).map_err(DbError::from))
            .await
        {
            Ok(lag) => {
                // A pending count fits an f64 exactly far beyond any real backlog.
                self.pending.set(lag.pending as f64);
                self.oldest_age.set(lag.oldest_age_seconds(Utc::now()));
            }
            Err(e) => {
                tracing::warn!(error = %e, "outbox lag: cannot read the outbox");
                self.unknown();
            }
        }
    }

    fn unknown(&self) {
        self.pending.set(f64::NAN);
        self.oldest_age.set(f64::NAN);
    }
}
