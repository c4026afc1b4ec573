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
//!
//! A side that syncs several data contexts (the monolith: `payments` and
//! `fulfillment`) names each context's entities ([`SyncSide::context`]);
//! `GET /sync/status?context=payments` then counts only that context's
//! changes, so one context's backlog does not hold another's promotion,
//! handover or retirement. An unknown context is a `404` problem naming
//! the known ones. Without the parameter, or on a side that names no
//! contexts (it syncs one), every sync change of the side counts.

use super::Change;
use crate::db::Db;
use crate::outbox;
use crate::problem::Problem;
use crate::relay::{EventsSettings, Transport};
use actix_web::{HttpResponse, web};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
    /// Data context → the entities whose changes belong to it.
    contexts: BTreeMap<String, Vec<String>>,
}

impl SyncSide {
    /// The side whose changes travel as `origin` (`legacy`, `new`), relayed
    /// as `events` say.
    pub fn new(origin: &str, events: &EventsSettings) -> Self {
        Self {
            origin: origin.to_owned(),
            relay: events.relay_transport(),
            contexts: BTreeMap::new(),
        }
    }

    /// Names data context `name` (a route's `data`) and the entities whose
    /// changes it counts.
    pub fn context(mut self, name: &str, entities: &[&str]) -> Self {
        let entities = entities.iter().map(|e| (*e).to_owned()).collect();
        self.contexts.insert(name.to_owned(), entities);
        self
    }

    /// The `LIKE` patterns of the change types a reading counts.
    fn types(&self, context: Option<&str>) -> Result<Vec<String>, Problem> {
        let every = || vec![Change::event_type(&self.origin, "%")];
        let Some(name) = context.filter(|_| !self.contexts.is_empty()) else {
            return Ok(every());
        };
        match self.contexts.get(name) {
            Some(entities) => Ok(entities
                .iter()
                .map(|e| Change::event_type(&self.origin, e))
                .collect()),
            None => Err(Problem::not_found(format!(
                "this side syncs no data context `{name}`; it syncs {}",
                self.contexts
                    .keys()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }
}

/// `?context=`: the data context to count (optional).
#[derive(Debug, Deserialize)]
struct StatusQuery {
    context: Option<String>,
}

/// Mounts `GET /sync/status`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(PATH, web::get().to(status));
}

async fn status(
    side: web::Data<SyncSide>,
    db: web::Data<Db>,
    query: web::Query<StatusQuery>,
) -> Result<HttpResponse, Problem> {
    let types = side.types(query.context.as_deref())?;
    let lags = db
        .read(move |c| {
            types
                .iter()
                .map(|t| outbox::lag(c, Some(t)))
                .collect::<Result<Vec<_>, _>>()
                .map_err(Problem::from)
        })
        .await?;
    let now = Utc::now();
    Ok(HttpResponse::Ok().json(SyncStatus {
        origin: side.origin.clone(),
        pending: lags.iter().map(|l| l.pending).sum(),
        oldest_pending_age_seconds: lags
            .iter()
            .map(|l| l.oldest_age_seconds(now))
            .fold(0.0, f64::max),
        relay: side.relay,
    }))
}
