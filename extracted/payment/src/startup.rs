//! Builds the service: database (migrated, legacy id counters seeded), the
//! `/v2` app, health endpoints, `/metrics` (outbox lag included), the HTTP
//! server, the outbox relay, and the inbox for the monolith's changes (`POST
//! /inbox`, and with NATS a consumer), `GET /sync/status` (how far new →
//! legacy is behind, for the proxy's gate); and the offline projection
//! rebuild.

use crate::error::CommandError;
use crate::legacy_ids::LegacyIds;
use crate::settings::Settings;
use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServerHandle, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use platform::Problem;
use platform::db::Db;
use platform::inbox::Inbox;
use platform::inbox::nats::Consumer;
use platform::metrics::Metrics;
use platform::relay::{Relay, Transport};
use platform::sync::status::SyncSide;

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    /// The service's database.
    pub db: web::Data<Db>,
    /// The legacy id range.
    pub ids: web::Data<LegacyIds>,
    /// Request body limit.
    pub max_body_bytes: usize,
    /// Its Prometheus registry (`/metrics`, outbox lag included).
    pub metrics: Metrics,
    /// Applies the monolith's changes (sync, legacy → new).
    pub inbox: web::Data<Inbox>,
    /// This side's sync direction, for `GET /sync/status`.
    pub sync: web::Data<SyncSide>,
}

impl AppState {
    /// Connects, migrates and seeds the legacy id counters.
    pub async fn connect(settings: &Settings) -> anyhow::Result<Self> {
        let db = connect(settings)?;
        let ids = LegacyIds::new(settings.legacy_ids.start);
        db.write(move |c| ids.seed(c).map_err(Problem::from))
            .await
            .map_err(|p| anyhow::anyhow!("cannot seed the legacy id counters: {p}"))?;
        let inbox = crate::sync::apply::handlers(Inbox::new(db.clone()), ids);
        Ok(Self {
            db: web::Data::new(db),
            ids: web::Data::new(ids),
            inbox: web::Data::new(inbox),
            sync: web::Data::new(SyncSide::new(crate::sync::ORIGIN, &settings.events)),
            max_body_bytes: settings.server.max_body_bytes,
            metrics: Metrics::with_outbox_lag()?,
        })
    }
}

fn connect(settings: &Settings) -> anyhow::Result<Db> {
    Db::connect(&settings.database, crate::migrations()).with_context(|| {
        format!(
            "cannot open the database at {}",
            platform::db::redacted(&settings.database.url)
        )
    })
}

/// The whole HTTP app.
pub fn app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    platform::server::base_app(state.max_body_bytes, state.metrics)
        .app_data(state.db)
        .app_data(state.ids)
        .app_data(state.inbox)
        .app_data(state.sync)
        .configure(platform::inbox::http::configure)
        .configure(platform::sync::status::configure)
        .configure(crate::http::routes)
        .configure(platform::health::configure)
}

/// A running service.
pub struct Application {
    port: u16,
    server: Server,
    relay: Option<Relay>,
    consumer: Option<Consumer>,
}

impl Application {
    /// Connects, migrates, binds (port 0 picks a free port) and starts serving.
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        let state = AppState::connect(settings).await?;
        let db = state.db.get_ref().clone();
        let consumer = match settings.events.transport {
            Transport::Nats => Consumer::spawn(state.inbox.get_ref().clone(), &settings.events),
            Transport::Http | Transport::Off => None,
        };
        let (port, server) = platform::server::start(
            &settings.server,
            HttpServer::new(move || app(state.clone())),
        )?;
        let relay = Relay::spawn(db, &settings.events).context("cannot start the outbox relay")?;
        Ok(Self {
            port,
            server,
            relay,
            consumer,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle to stop the server (and with it the relay) from elsewhere.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM or Ctrl-C, then lets in-flight requests finish
    /// and stops the relay and the consumer after the event each has in hand.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        if let Some(relay) = self.relay {
            relay.stop().await;
        }
        if let Some(consumer) = self.consumer {
            consumer.stop().await;
        }
        served
    }
}

/// Recreates the `payments` and `refunds` projections from the event store,
/// in one transaction. On PostgreSQL it is safe while the service runs:
/// appends wait until the rebuild commits (then project themselves), reads
/// see the old projection until then. On SQLite another process's write that
/// collides with the rebuild may fail as busy (the client retries it), so
/// prefer running it with the service stopped.
pub async fn rebuild_projections(
    settings: &Settings,
) -> anyhow::Result<crate::ledger::projection::Rebuilt> {
    let db = connect(settings)?;
    db.write(crate::ledger::projection::rebuild)
        .await
        .map_err(|e: CommandError| anyhow::anyhow!("rebuild failed: {}", Problem::from(e)))
}
