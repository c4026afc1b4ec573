//! The saga tests' world: the real payment service (in-process, on its own
//! fresh database, stoppable and restartable on its port), the customers'
//! owner (a stand-in for the monolith) and the fulfillment service pointed at
//! both, with short retry delays so outages pass quickly.

use super::customers::Customers;
use crate::helpers::{TestApp, new_key, spawn_with};
use actix_web::dev::ServerHandle;
use platform::testing::{TestBackend, TestDatabase};
use reqwest::{Method, Response};
use serde_json::{Value, json};
use std::time::Duration;

pub struct PaymentService {
    settings: payment::settings::Settings,
    server: Option<ServerHandle>,
    client: reqwest::Client,
    _database: TestDatabase,
}

impl PaymentService {
    pub async fn spawn(backend: TestBackend) -> Self {
        let database = tokio::task::spawn_blocking(move || TestDatabase::create(backend))
            .await
            .unwrap();
        let mut settings: payment::settings::Settings =
            platform::settings::load(payment::settings::DEFAULTS, None, "PAYMENT_TEST_UNUSED")
                .unwrap();
        settings.server.port = 0;
        settings.server.workers = 1;
        settings.database = database.settings.clone();
        let mut service = Self {
            settings,
            server: None,
            client: reqwest::Client::new(),
            _database: database,
        };
        service.start().await;
        service
    }

    /// Starts it (again, on the same port after the first start).
    pub async fn start(&mut self) {
        let app = payment::startup::Application::build(&self.settings)
            .await
            .expect("the payment service builds");
        self.settings.server.port = app.port();
        self.server = Some(app.handle());
        tokio::spawn(app.run_until_stopped());
    }

    /// Stops it: calls to it now fail as a crashed service's would.
    pub async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop(false).await;
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.settings.server.port)
    }

    /// The invoices the service holds for the order.
    pub async fn invoices_of(&self, order_legacy_id: i64) -> Vec<Value> {
        let path = payment_api::paths::invoices_for_order(order_legacy_id, 100, 0);
        self.page(&path).await
    }

    /// The order's one invoice (`order` as the saga shows it), checked to be
    /// the one the order records.
    pub async fn the_invoice(&self, order: &Value) -> Value {
        let invoices = self.invoices_of(order["legacy_id"].as_i64().unwrap()).await;
        assert_eq!(invoices.len(), 1, "one invoice per order: {invoices:?}");
        assert_eq!(
            invoices[0]["legacy_id"], order["invoice_legacy_id"],
            "the order records its invoice"
        );
        invoices[0].clone()
    }

    /// The payments the service holds for the order.
    pub async fn payments_of(&self, order_legacy_id: i64) -> Vec<Value> {
        let path = payment_api::paths::payments_for_order(order_legacy_id, 100, 0);
        self.page(&path).await
    }

    /// The records of one page of a `/v2` list.
    async fn page(&self, path: &str) -> Vec<Value> {
        let res = self
            .client
            .get(format!("{}{path}", self.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let page: Value = res.json().await.unwrap();
        page["data"].as_array().unwrap().clone()
    }
}

impl Drop for PaymentService {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            tokio::task::block_in_place(|| {
                tokio::runtime::Handle::current().block_on(server.stop(false));
            });
        }
    }
}

/// The services; the fulfillment service answers a start within `wait_ms`.
pub struct World {
    pub app: TestApp,
    pub payments: PaymentService,
    pub customers: Customers,
}

pub async fn world(backend: TestBackend, wait_ms: u64) -> World {
    world_with(backend, wait_ms, |_| {}).await
}

pub async fn world_with(
    backend: TestBackend,
    wait_ms: u64,
    tweak: impl FnOnce(&mut fulfillment::settings::SagaSettings),
) -> World {
    let payments = PaymentService::spawn(backend).await;
    let customers = Customers::spawn().await;
    let (url, customers_url) = (payments.url(), customers.url());
    let app = spawn_with(backend, move |s| {
        s.saga.payments_url = url;
        s.saga.customers_url = customers_url;
        s.saga.wait_ms = wait_ms;
        s.saga.request_timeout_ms = 1000;
        s.saga.lease_secs = 2;
        s.saga.retry_initial_ms = 20;
        s.saga.retry_max_ms = 200;
        s.saga.recovery_interval_ms = 50;
        tweak(&mut s.saga);
    })
    .await;
    app.stock("W-1", "12.50", 10).await;
    World {
        app,
        payments,
        customers,
    }
}

pub fn place_body(qty: i64, token: Option<&str>) -> Value {
    let mut body = json!({
        "kind": "place_order",
        "customer_legacy_id": 7,
        "lines": [{"sku": "W-1", "quantity": qty}],
        "method": if token.is_some() { "card" } else { "invoice" },
    });
    if let Some(token) = token {
        body["card_token"] = token.into();
    }
    body
}

impl World {
    pub async fn start(&self, body: &Value) -> Response {
        self.app
            .request(Method::POST, "/v2/sagas")
            .header("Idempotency-Key", new_key())
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Starts a saga expecting `status`; the answer's body.
    pub async fn start_expecting(&self, body: &Value, status: u16) -> Value {
        let res = self.start(body).await;
        let got = res.status().as_u16();
        let text = res.text().await.unwrap();
        assert_eq!(got, status, "{text}");
        serde_json::from_str(&text).unwrap()
    }

    pub async fn saga(&self, id: &str) -> Value {
        let (status, saga) = self.app.get_json(&format!("/v2/sagas/{id}")).await;
        assert_eq!(status, 200, "{saga}");
        saga
    }

    /// Waits (bounded) until the saga's status is one of `statuses`.
    pub async fn saga_reaching(&self, id: &str, statuses: &[&str]) -> Value {
        self.saga_until(id, |saga| {
            statuses.contains(&saga["status"].as_str().unwrap())
        })
        .await
    }

    /// Waits (bounded) until `done` holds for the saga.
    pub async fn saga_until(&self, id: &str, done: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..1500 {
            let saga = self.saga(id).await;
            if done(&saga) {
                return saga;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("saga {id} never got there: {}", self.saga(id).await);
    }

    pub async fn order(&self, id: &str) -> Value {
        self.app.get_json(&format!("/v2/orders/{id}")).await.1
    }

    pub async fn reserved(&self) -> i64 {
        self.app.get_item("W-1").await["reserved"].as_i64().unwrap()
    }
}
