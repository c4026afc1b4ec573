//! The outbox relay: a background task per service that publishes what the
//! outbox ([`crate::outbox`]) holds, **at least once and in `seq` order**.
//!
//! Each round reads up to `batch_size` pending events, publishes them one by
//! one and marks those whose publish was acknowledged (a subscriber's 2xx,
//! or the JetStream ack) delivered, in one write. The first failure ends the round:
//! that event and every later one stay pending and go, in order, on a later
//! round after a back-off that doubles from `poll_interval_ms` up to
//! `max_backoff_ms`. A crash between an ack and the round's mark sends those
//! events again; consumers dedupe by `event_id` ([`crate::inbox`]). Run one relay per
//! database: two would both send (still deduped, but no longer in order).
//!
//! Transports ([`Transport`]): `http` POSTs the event to each configured
//! inbox ([`http`]), `nats` publishes it to JetStream ([`nats`]), `off` runs no
//! relay. [`Relay::stop`] ends it between two events.

pub mod http;
pub mod nats;
pub mod settings;

pub use settings::{EventsSettings, Transport};

use crate::db::{Db, DbError};
use crate::outbox::{self, StoredEvent};
use crate::problem::Problem;
use chrono::Utc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Why an event was not delivered (it stays pending).
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The transport could not be built.
    #[error("cannot set up the transport: {0}")]
    Setup(String),
    /// A subscriber or the broker failed or refused.
    #[error("{to}: {error}")]
    Transport {
        /// The subscriber URL or broker address.
        to: String,
        /// What happened.
        error: String,
    },
    /// The stored event cannot be turned into a message (its payload is not
    /// JSON): it blocks the outbox until fixed, and is logged each round.
    #[error("the event cannot be published: {0}")]
    Unpublishable(String),
}

/// Why a round ended early.
#[derive(Debug, thiserror::Error)]
enum RoundError {
    #[error("event {event_id} (seq {seq}) not delivered: {error}")]
    Publish {
        seq: i64,
        event_id: String,
        error: PublishError,
    },
    #[error("outbox: {0}")]
    Database(#[from] Problem),
}

/// Where events go.
enum Sender {
    Http(http::HttpTransport),
    Nats(Box<nats::NatsTransport>),
}

impl Sender {
    async fn publish(&mut self, event: &StoredEvent) -> Result<(), PublishError> {
        match self {
            Self::Http(t) => t.publish(event).await,
            Self::Nats(t) => t.publish(event).await,
        }
    }
}

/// A running relay.
pub struct Relay {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Relay {
    /// Starts relaying `db`'s outbox as `settings` say; `None` when there is
    /// nothing to run (`off`, or `http` with no subscribers: events then wait
    /// in the outbox for a subscriber to be configured).
    pub fn spawn(db: Db, settings: &EventsSettings) -> Result<Option<Self>, PublishError> {
        let sender = match settings.relay_transport() {
            Transport::Off => None,
            Transport::Http => Some(Sender::Http(http::HttpTransport::new(
                settings.subscribers.clone(),
                settings.publish_timeout(),
            )?)),
            Transport::Nats => Some(Sender::Nats(Box::new(nats::NatsTransport::new(
                settings.clone(),
            )))),
        };
        let Some(sender) = sender else {
            tracing::info!(
                transport = ?settings.transport,
                "outbox relay not started: events stay pending"
            );
            return Ok(None);
        };
        tracing::info!(transport = ?settings.transport, "outbox relay started");
        let (stop, stopped) = watch::channel(false);
        let rounds = Rounds {
            db,
            sender,
            batch_size: settings.batch_size,
            poll: settings.poll_interval(),
            max_backoff: settings.max_backoff(),
            stopped,
        };
        Ok(Some(Self {
            stop,
            task: tokio::spawn(rounds.run()),
        }))
    }

    /// Asks the relay to stop after the event in flight and waits for it.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

struct Rounds {
    db: Db,
    sender: Sender,
    batch_size: i64,
    poll: Duration,
    max_backoff: Duration,
    stopped: watch::Receiver<bool>,
}

impl Rounds {
    async fn run(mut self) {
        let mut backoff = self.poll;
        loop {
            let wait = match self.round().await {
                Ok(n) => {
                    backoff = self.poll;
                    // A full batch: more may be waiting.
                    if n as i64 == self.batch_size {
                        Duration::ZERO
                    } else {
                        self.poll
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "outbox relay");
                    let wait = backoff;
                    backoff = (backoff * 2).min(self.max_backoff);
                    wait
                }
            };
            if *self.stopped.borrow() {
                break;
            }
            tokio::select! {
                _ = self.stopped.changed() => break,
                _ = tokio::time::sleep(wait) => {}
            }
        }
        tracing::info!("outbox relay stopped");
    }

    /// Publishes one batch in order; returns how many were delivered. The
    /// acknowledged events are marked delivered in one write at the end of
    /// the round (also when a publish fails or the relay stops midway): a
    /// write per event made the relay compete with its service's own writes
    /// for every event, and fall behind under load.
    async fn round(&mut self) -> Result<usize, RoundError> {
        let limit = self.batch_size;
        let events = self
            .db
            .read(move |c| outbox::pending(c, limit).map_err(Problem::from))
            .await?;
        let mut acknowledged = Vec::with_capacity(events.len());
        let mut failed = None;
        for event in events {
            if *self.stopped.borrow() {
                break;
            }
            if let Err(error) = self.sender.publish(&event).await {
                failed = Some(RoundError::Publish {
                    seq: event.seq,
                    event_id: event.event_id.clone(),
                    error,
                });
                break;
            }
            tracing::debug!(seq = event.seq, event_id = %event.event_id, event_type = %event.event_type, "event delivered");
            acknowledged.push(event.seq);
        }
        let delivered = acknowledged.len();
        if delivered > 0 {
            self.db
                .write(move |c| {
                    outbox::mark_delivered(c, &acknowledged, Utc::now())
                        .map_err(|e| Problem::from(DbError::from(e)))
                })
                .await?;
        }
        match failed {
            Some(error) => Err(error),
            None => Ok(delivered),
        }
    }
}

#[cfg(all(test, feature = "testing"))]
#[path = "tests.rs"]
mod tests;
