//! `TestApp`: the service on 127.0.0.1:0 with a fresh database, and one
//! helper per endpoint.

use actix_web::dev::ServerHandle;
use fulfillment::settings::{DEFAULTS, Settings};
use fulfillment::startup::Application;
use platform::db::Db;
use platform::outbox::{self, StoredEvent};
use platform::testing::{TestBackend, TestDatabase};
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{Value, json};

/// The body limit the tests run with (small, so 413 is cheap to provoke).
pub const MAX_BODY: usize = 8 * 1024;

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: Db,
    server: ServerHandle,
    /// What it was built with (its bound port included), to restart it.
    settings: Settings,
    _database: TestDatabase,
}

impl Drop for TestApp {
    /// Stops the server (and with it the app's connection pool) before the
    /// database is dropped: a pool left reconnecting to a dropped PostgreSQL
    /// database while the test process exits can crash libpq's clean-up.
    fn drop(&mut self) {
        let server = self.server.clone();
        tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(server.stop(false));
        });
    }
}

pub async fn spawn(backend: TestBackend) -> TestApp {
    spawn_with(backend, |_| {}).await
}

/// Starts the service on `settings`, serving until stopped; its port.
async fn start(settings: Settings) -> (u16, ServerHandle) {
    let app = Application::build(settings).await.expect("the app builds");
    let port = app.port();
    let server = app.handle();
    tokio::spawn(app.run_until_stopped());
    (port, server)
}

/// Like [`spawn`], with the settings changed by `tweak` first.
pub async fn spawn_with(backend: TestBackend, tweak: impl FnOnce(&mut Settings)) -> TestApp {
    platform::telemetry::init_for_tests();
    let database = tokio::task::spawn_blocking(move || TestDatabase::create(backend))
        .await
        .unwrap();
    let mut settings: Settings =
        platform::settings::load(DEFAULTS, None, "FULFILLMENT_TEST_UNUSED").unwrap();
    settings.server.port = 0;
    settings.server.workers = 2;
    settings.server.max_body_bytes = MAX_BODY;
    settings.database = database.settings.clone();
    tweak(&mut settings);
    let (port, server) = start(settings.clone()).await;
    settings.server.port = port;
    let address = format!("http://127.0.0.1:{port}");
    // The tests' own handle only reads the outbox: two connections suffice.
    let mut db_settings = database.settings.clone();
    db_settings.pool_size = 2;
    let db = tokio::task::spawn_blocking(move || {
        Db::connect(&db_settings, fulfillment::migrations()).unwrap()
    })
    .await
    .unwrap();
    TestApp {
        address,
        client: reqwest::Client::new(),
        db,
        server,
        settings,
        _database: database,
    }
}

pub fn new_key() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl TestApp {
    /// Stops the service (as a restart or a crash between requests would)
    /// and starts it again on the same port and database.
    pub async fn restart(&mut self) {
        self.server.stop(false).await;
        let (_, server) = start(self.settings.clone()).await;
        self.server = server;
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.address))
    }

    pub async fn put_item(&self, sku: &str, price: &str, currency: &str) -> Response {
        self.request(Method::PUT, &format!("/v2/stock/{sku}"))
            .json(&json!({"name": format!("Item {sku}"), "unit_price": {"amount": price, "currency": currency}}))
            .send()
            .await
            .unwrap()
    }

    pub async fn adjust(&self, sku: &str, delta: i64) -> Response {
        self.request(Method::POST, &format!("/v2/stock/{sku}/adjustments"))
            .json(&json!({"delta": delta, "reason": "stock count"}))
            .send()
            .await
            .unwrap()
    }

    /// Defines an item with `units` on hand.
    pub async fn stock(&self, sku: &str, price: &str, units: i64) {
        assert!(self.put_item(sku, price, "EUR").await.status().is_success());
        assert_eq!(self.adjust(sku, units).await.status(), 200);
    }

    pub async fn get_item(&self, sku: &str) -> Value {
        let res = self
            .request(Method::GET, &format!("/v2/stock/{sku}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        res.json().await.unwrap()
    }

    pub async fn create_order_with(&self, key: &str, body: &Value) -> Response {
        self.request(Method::POST, "/v2/orders")
            .header("Idempotency-Key", key)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Places an order for customer 7 and returns it (asserting 201).
    pub async fn place(&self, lines: &[(&str, i64)]) -> Value {
        let res = self
            .create_order_with(&new_key(), &order_body(7, lines))
            .await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        res.json().await.unwrap()
    }

    pub async fn command(&self, order_id: &str, action: &str, body: Option<Value>) -> Response {
        let mut req = self.request(Method::POST, &format!("/v2/orders/{order_id}/{action}"));
        if action == "ship" {
            req = req.header("Idempotency-Key", new_key());
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send().await.unwrap()
    }

    pub async fn confirm(&self, order_id: &str) -> Response {
        self.command(
            order_id,
            "confirm",
            Some(json!({"payment_legacy_id": 501, "invoice_legacy_id": 601})),
        )
        .await
    }

    pub async fn ship(&self, order_id: &str) -> Response {
        self.command(order_id, "ship", Some(json!({"carrier": "DHL"})))
            .await
    }

    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let res = self.request(Method::GET, path).send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap())
    }

    pub async fn outbox(&self) -> Vec<StoredEvent> {
        self.db
            .read(|conn| outbox::pending(conn, 10_000).map_err(platform::db::DbError::from))
            .await
            .unwrap()
    }
}

pub fn order_body(customer: i64, lines: &[(&str, i64)]) -> Value {
    let lines: Vec<Value> = lines
        .iter()
        .map(|(sku, qty)| json!({"sku": sku, "quantity": qty}))
        .collect();
    json!({"customer_legacy_id": customer, "lines": lines})
}

/// Asserts a problem+json answer with `status` and returns its body.
pub async fn problem(res: Response, status: u16) -> Value {
    assert_eq!(res.status().as_u16(), status, "unexpected status");
    let ct = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert_eq!(ct, "application/problem+json");
    let body: Value = res.json().await.unwrap();
    assert!(!body["detail"].as_str().unwrap().is_empty());
    body
}
