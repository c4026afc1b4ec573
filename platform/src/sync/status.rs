//! `GET /sync/status`: how far this side's sync direction is behind, as JSON
//! for the strangler proxy (which polls both sides of a data context and
//! gates promotions on it).
//!
//! Only this side's own sync changes count (`<origin>.*.changed`): the
//! outbox also carries other events (`payment.refunded` for fulfillment),
//! which say nothing about how stale the other side's copy is. The relay
//! delivers in `seq` order, so a stuck event of another type still shows
//! here as soon as a sync change waits behind it. The same query as the
//! `outbox_*` gauges ([`crate::outbox::lag`]), filtered by event type.

use super::Change;
use crate::db::Db;
use crate::outbox;
use crate::problem::Problem;
use crate::relay::{EventsSettings, Transport};
use actix_web::{HttpResponse, web};
use chrono::Utc;
use serde::{Deserialize, Serialize};

/// The path of the endpoint.
pub const PATH: &str = "/sync/status";

/// The answer: one sync direction, the one leaving this side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncStatus {
    /// Whose changes these are: `legacy` (the monolith) or `new` (the service).
    pub origin: String,
    /// Sync changes recorded here and not yet delivered to the other side.
    pub pending: i64,
    /// Age of the oldest of them in seconds; 0 when none waits.
    pub oldest_pending_age_seconds: f64,
    /// How the relay runs: `http`, `nats`, or `off` (no relay: changes wait).
    pub relay: Transport,
}

/// What the endpoint needs to know of this side (`web::Data<SyncSide>`,
/// beside `web::Data<Db>`).
#[derive(Debug, Clone)]
pub struct SyncSide {
    origin: String,
    relay: Transport,
}

impl SyncSide {
    /// The side whose changes travel as `origin` (`legacy`, `new`), relayed
    /// as `events` say.
    pub fn new(origin: &str, events: &EventsSettings) -> Self {
        Self {
            origin: origin.to_owned(),
            relay: events.relay_transport(),
        }
    }
}

/// Mounts `GET /sync/status`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(PATH, web::get().to(status));
}

async fn status(side: web::Data<SyncSide>, db: web::Data<Db>) -> Result<HttpResponse, Problem> {
    let types = Change::event_type(&side.origin, "%");
    let lag = db
        .read(move |c| outbox::lag(c, Some(&types)).map_err(Problem::from))
        .await?;
    Ok(HttpResponse::Ok().json(SyncStatus {
        origin: side.origin.clone(),
        pending: lag.pending,
        oldest_pending_age_seconds: lag.oldest_age_seconds(Utc::now()),
        relay: side.relay,
    }))
}
