//! Builds the monolith: database (migrated), ports, the `/api/v1` app with its
//! generated OpenAPI document, health endpoints, `/metrics` (outbox lag
//! included), the HTTP server, and sync with the services: the outbox
//! relay, `POST /inbox`, (with NATS) the inbox consumer, and `GET
//! /sync/status` (how far legacy → new is behind, for the proxy's gate).

use crate::fulfillment::owner::OrderOwners;
use crate::legacy::LegacyClock;
use crate::ports::Ports;
use crate::settings::Settings;
use crate::{customers, fulfillment, payments};
use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, HttpResponse, HttpServer, web};
use anyhow::Context;
use platform::db::Db;
use platform::inbox::Inbox;
use platform::inbox::nats::Consumer;
use platform::metrics::Metrics;
use platform::relay::{Relay, Transport};
use platform::sync::status::SyncSide;
use utoipa::OpenApi;
use utoipa_actix_web::{AppExt, UtoipaApp};

/// The parts of the API document not derived from handlers.
#[derive(OpenApi)]
#[openapi(info(
    title = "strangler-kit monolith: legacy API",
    version = "1",
    description = "The legacy /api/v1 of the reference monolith. Errors are application/problem+json (RFC 9457)."
))]
struct ApiDoc;

/// What every request handler may use.
#[derive(Clone)]
pub struct AppState {
    /// The monolith's database.
    pub db: web::Data<Db>,
    /// The modules' ports.
    pub ports: web::Data<Ports>,
    /// Who owns each order (`orders.owner`).
    pub orders: web::Data<OrderOwners>,
    /// Legacy time rendering.
    pub clock: web::Data<LegacyClock>,
    /// Request body limit.
    pub max_body_bytes: usize,
    /// The `/api/v1` OpenAPI document, built once.
    pub openapi: web::Data<utoipa::openapi::OpenApi>,
    /// Its Prometheus registry (`/metrics`, outbox lag included).
    pub metrics: Metrics,
    /// Applies the services' changes (sync, new → legacy).
    pub inbox: web::Data<Inbox>,
    /// This side's sync direction, for `GET /sync/status`.
    pub sync: web::Data<SyncSide>,
}

impl AppState {
    /// Connects and migrates the database and wires the ports in-process
    /// ([`Application::build`] wires them as the settings say).
    pub fn connect(settings: &Settings) -> anyhow::Result<Self> {
        let db = Db::connect(&settings.database, crate::migrations()).with_context(|| {
            format!(
                "cannot open the database at {}",
                platform::db::redacted(&settings.database.url)
            )
        })?;
        let clock = LegacyClock::parse(&settings.legacy.timezone).map_err(anyhow::Error::msg)?;
        let inbox = crate::sync::inbox::inbox(db.clone(), settings);
        Ok(Self {
            inbox: web::Data::new(inbox),
            sync: web::Data::new(crate::sync::side(&settings.events)),
            db: web::Data::new(db),
            ports: web::Data::new(Ports::in_process()),
            orders: web::Data::new(OrderOwners::monolith()),
            clock: web::Data::new(clock),
            max_body_bytes: settings.server.max_body_bytes,
            openapi: web::Data::new(openapi()),
            metrics: Metrics::with_outbox_lag()?,
        })
    }
}

/// Registers every module's `/api/v1` handlers; the same registration feeds
/// the app and the OpenAPI document, so the document lists exactly what is
/// served.
fn register<T>(app: UtoipaApp<T>) -> UtoipaApp<T>
where
    T: ServiceFactory<ServiceRequest, Config = (), Error = actix_web::Error, InitError = ()>,
{
    app.service(
        utoipa_actix_web::scope("/api/v1")
            .configure(customers::http::routes)
            .configure(fulfillment::http::routes)
            .configure(payments::http::routes)
            .configure(payments::export::routes),
    )
}

/// The OpenAPI document of `/api/v1`, collected from the handlers.
pub fn openapi() -> utoipa::openapi::OpenApi {
    register(App::new().into_utoipa_app().openapi(ApiDoc::openapi()))
        .split_for_parts()
        .1
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
    let payments_gone = state.ports.payments.all_remote();
    let app = platform::server::base_app(state.max_body_bytes, state.metrics)
        .app_data(state.db)
        .app_data(state.ports)
        .app_data(state.orders)
        .app_data(state.clock)
        .app_data(state.openapi)
        .app_data(state.inbox)
        .app_data(state.sync)
        .configure(platform::inbox::http::configure)
        .configure(platform::sync::status::configure)
        // Before the `/api/v1` scope, which would otherwise claim the path.
        .route("/api/v1/openapi.json", web::get().to(openapi_json))
        .configure(|cfg| {
            if payments_gone {
                payments::gone::configure(cfg);
            }
        })
        .configure(platform::health::configure);
    register(app.into_utoipa_app()).into_app()
}

async fn openapi_json(api: web::Data<utoipa::openapi::OpenApi>) -> HttpResponse {
    HttpResponse::Ok().json(api.as_ref())
}

/// A running monolith.
pub struct Application {
    port: u16,
    server: Server,
    relay: Option<Relay>,
    consumer: Option<Consumer>,
}

impl Application {
    /// Connects, migrates, wires the ports (opening the payments route's
    /// flags when `payments.owner = "flags"`, the orders route's when
    /// `orders.owner = "flags"`), binds (port 0 picks a free
    /// port) and starts serving. Needs a Tokio runtime: the relay and the
    /// consumer run on it.
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        let mut state = AppState::connect(settings)?;
        state.ports = web::Data::new(Ports::from_settings(settings).await?);
        state.orders = web::Data::new(OrderOwners::from_settings(&settings.orders).await?);
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
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
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
