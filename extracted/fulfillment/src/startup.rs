//! Builds the running service: database (migrated), legacy-id counters,
//! listener, HTTP server with `/metrics` (outbox lag and saga counts
//! included), the event inbox (other services' events and the monolith's
//! sync changes) and `GET /sync/status` (how far new → legacy is behind),
//! the outbox relay, (with NATS) the inbox consumer, and the order sagas'
//! recovery loop. Tests build it
//! on port 0 and read [`Application::port`].

use crate::domain::LegacyIdRange;
use crate::saga::{Recovery, SagaCounts, Sagas};
use crate::settings::Settings;
use crate::{http, migrations, reactions, store, sync};
use actix_web::dev::{Server, ServerHandle};
use actix_web::{HttpServer, web};
use anyhow::Context;
use platform::Problem;
use platform::db::Db;
use platform::inbox::Inbox;
use platform::inbox::nats::Consumer;
use platform::relay::{Relay, Transport};
use platform::sync::status::SyncSide;
use std::time::Duration;

/// The service, bound and ready to run.
pub struct Application {
    port: u16,
    server: Server,
    relay: Option<Relay>,
    consumer: Option<Consumer>,
    recovery: Recovery,
}

impl Application {
    /// Connects and migrates the database, prepares the legacy-id counters,
    /// binds the listener and builds the server (not yet polled).
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let db_settings = settings.database.clone();
        let db = tokio::task::spawn_blocking(move || Db::connect(&db_settings, migrations()))
            .await
            .context("database start-up task failed")?
            .context("cannot open the fulfillment database")?;
        let range = LegacyIdRange::new(settings.legacy_ids.start);
        db.write(move |conn| store::legacy_ids::ensure_range(conn, range))
            .await
            .map_err(|p: Problem| anyhow::anyhow!("cannot prepare legacy-id counters: {p}"))?;
        let inbox = sync::apply::handlers(reactions::inbox(db.clone()), range);
        let consumer = match settings.events.transport {
            Transport::Nats => Consumer::spawn(inbox.clone(), &settings.events),
            Transport::Http | Transport::Off => None,
        };
        let relay =
            Relay::spawn(db.clone(), &settings.events).context("cannot start the outbox relay")?;
        let sagas = Sagas::new(db.clone(), settings.saga.clone(), range)
            .context("cannot set up the order sagas")?;
        let counts = SagaCounts::default();
        let recovery = Recovery::spawn(sagas.clone(), counts.clone());
        let config = http::Config { legacy_ids: range };
        let (port, server) = serve(db, inbox, config, (sagas, counts), &settings)?;
        Ok(Self {
            port,
            server,
            relay,
            consumer,
            recovery,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle to stop the server from elsewhere (tests stop it before they
    /// drop their database, so no pooled connection outlives it).
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM/Ctrl-C, then lets in-flight requests finish and
    /// stops the saga recovery loop after its round, and the relay and the
    /// consumer after the event each has in hand.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        self.recovery.stop().await;
        if let Some(consumer) = self.consumer {
            consumer.stop().await;
        }
        if let Some(relay) = self.relay {
            relay.stop().await;
        }
        served
    }
}

fn serve(
    db: Db,
    inbox: Inbox,
    config: http::Config,
    (sagas, counts): (Sagas, SagaCounts),
    settings: &Settings,
) -> anyhow::Result<(u16, Server)> {
    let max_body = settings.server.max_body_bytes;
    let db = web::Data::new(db);
    let inbox = web::Data::new(inbox);
    let config = web::Data::new(config);
    let metrics = platform::metrics::Metrics::with_outbox_lag()?;
    counts.register(&metrics)?;
    let sagas = web::Data::new(sagas);
    let side = web::Data::new(SyncSide::new(sync::ORIGIN, &settings.events));
    let server = HttpServer::new(move || {
        platform::server::base_app(max_body, metrics.clone())
            .app_data(db.clone())
            .app_data(config.clone())
            .app_data(inbox.clone())
            .app_data(sagas.clone())
            .app_data(side.clone())
            .configure(platform::inbox::http::configure)
            .configure(platform::sync::status::configure)
            .configure(platform::health::configure)
            .configure(http::configure)
    })
    .client_request_timeout(Duration::from_secs(30));
    Ok(platform::server::start(&settings.server, server)?)
}
