//! Builds the running service: database (migrated), legacy-id counters,
//! listener, HTTP server with `/metrics` (outbox lag included). Tests build
//! it on port 0 and read [`Application::port`].

use crate::domain::LegacyIdRange;
use crate::settings::Settings;
use crate::{http, migrations, store};
use actix_web::dev::{Server, ServerHandle};
use actix_web::{HttpServer, web};
use anyhow::Context;
use platform::Problem;
use platform::db::Db;
use std::time::Duration;

/// The service, bound and ready to run.
pub struct Application {
    port: u16,
    server: Server,
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
        let (port, server) = serve(db, http::Config { legacy_ids: range }, &settings)?;
        Ok(Self { port, server })
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

    /// Serves until SIGTERM/Ctrl-C, then lets in-flight requests finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

fn serve(db: Db, config: http::Config, settings: &Settings) -> anyhow::Result<(u16, Server)> {
    let max_body = settings.server.max_body_bytes;
    let db = web::Data::new(db);
    let config = web::Data::new(config);
    let metrics = platform::metrics::Metrics::with_outbox_lag()?;
    let server = HttpServer::new(move || {
        platform::server::base_app(max_body, metrics.clone())
            .app_data(db.clone())
            .app_data(config.clone())
            .configure(platform::health::configure)
            .configure(http::configure)
    })
    .client_request_timeout(Duration::from_secs(30));
    Ok(platform::server::start(&settings.server, server)?)
}
