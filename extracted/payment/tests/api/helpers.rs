//! `TestApp`: the service on 127.0.0.1:0 over a fresh database, one helper
//! per endpoint, and direct database counts for "nothing was written" checks.

use diesel::prelude::*;
use payment::settings::{DEFAULTS, Settings};
use payment::startup::Application;
use platform::Problem;
use platform::db::Db;
use platform::testing::{TestBackend, TestDatabase};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: Db,
    pub settings: Settings,
    _database: TestDatabase,
}

pub async fn spawn_app(backend: TestBackend) -> TestApp {
    platform::telemetry::init_for_tests();
    let database = TestDatabase::create(backend);
    let mut settings: Settings =
        platform::settings::load(DEFAULTS, None, "PAYMENT_TEST_NONE").unwrap();
    settings.server.port = 0;
    settings.server.workers = 2;
    settings.database = database.settings.clone();
    // The tests read the outbox themselves: no relay marks events delivered.
    settings.events.transport = platform::relay::Transport::Off;
    let app = Application::build(&settings).await.unwrap();
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let db = Db::connect(&settings.database, payment::migrations()).unwrap();
    TestApp {
        address,
        client: reqwest::Client::new(),
        db,
        settings,
        _database: database,
    }
}

/// A card payment body for order `order` of `amount` EUR.
pub fn card(order: i64, amount: &str) -> Value {
    json!({
        "order_legacy_id": order,
        "customer_legacy_id": 77,
        "amount": {"amount": amount, "currency": "EUR"},
        "method": "card",
        "card_token": "tok_visa"
    })
}

pub fn key() -> String {
    Uuid::new_v4().to_string()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// POST with JSON, an optional idempotency key and optional dry run.
    pub async fn post(&self, path: &str, body: &Value, key: Option<&str>, dry: bool) -> Response {
        let mut req = self.client.post(self.url(path)).json(body);
        if let Some(k) = key {
            req = req.header("Idempotency-Key", k);
        }
        if dry {
            req = req.header("X-Strangler-Dry-Run", "1");
        }
        req.send().await.unwrap()
    }

    /// POST with no body (capture, void, pay…).
    pub async fn post_empty(&self, path: &str, dry: bool) -> Response {
        let mut req = self.client.post(self.url(path));
        if dry {
            req = req.header("X-Strangler-Dry-Run", "1");
        }
        req.send().await.unwrap()
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// Creates a payment and returns its JSON (asserting 201).
    pub async fn create_payment(&self, body: &Value) -> Value {
        let res = self.post("/v2/payments", body, Some(&key()), false).await;
        expect(res, StatusCode::CREATED).await
    }

    /// A captured card payment of `amount` EUR.
    pub async fn captured_payment(&self, order: i64, amount: &str) -> Value {
        let mut body = card(order, amount);
        body["capture"] = json!(true);
        self.create_payment(&body).await
    }

    pub async fn refund(&self, payment: &Value, amount: &str) -> Response {
        let path = format!("/v2/payments/{}/refunds", payment["id"].as_str().unwrap());
        let body = json!({"amount": {"amount": amount, "currency": "EUR"}, "reason": "test"});
        self.post(&path, &body, Some(&key()), false).await
    }

    /// Rows in a table the service owns (`outbox`: its domain events;
    /// `sync_changes`: the changes recorded for the monolith).
    pub async fn count(&self, table: &'static str) -> i64 {
        self.db
            .read(move |c| {
                use payment::schema::*;
                let n = match table {
                    "payments" => payments::table.count().get_result(c),
                    "refunds" => refunds::table.count().get_result(c),
                    "invoices" => invoices::table.count().get_result(c),
                    "payment_events" => payment_events::table.count().get_result(c),
                    // Domain events (payment.refunded, …), not the sync
                    // changes recorded beside them for the monolith.
                    "outbox" => platform::outbox::schema::outbox::table
                        .filter(platform::outbox::schema::outbox::event_type.not_like("%.changed"))
                        .count()
                        .get_result(c),
                    "sync_changes" => platform::outbox::schema::outbox::table
                        .filter(platform::outbox::schema::outbox::event_type.like("%.changed"))
                        .count()
                        .get_result(c),
                    "idempotency_keys" => platform::idempotency::schema::idempotency_keys::table
                        .count()
                        .get_result(c),
                    other => panic!("unknown table {other}"),
                };
                n.map_err(Problem::from)
            })
            .await
            .unwrap()
    }
}

/// Asserts the status (showing the body when it differs) and returns the JSON.
pub async fn expect(res: Response, status: StatusCode) -> Value {
    let got = res.status();
    let text = res.text().await.unwrap();
    assert_eq!(got, status, "body: {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Asserts a problem+json answer with `status` and returns it.
pub async fn expect_problem(res: Response, status: StatusCode) -> Value {
    let content_type = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = expect(res, status).await;
    assert_eq!(content_type.as_deref(), Some("application/problem+json"));
    assert_eq!(body["status"], status.as_u16());
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{body}"
    );
    body
}
