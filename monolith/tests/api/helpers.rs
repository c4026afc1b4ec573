//! `TestApp`: a monolith on 127.0.0.1:0 with a fresh database, and one helper
//! per endpoint the tests use.

use monolith::settings::Settings;
use monolith::startup::Application;
use platform::testing::{TestBackend, TestDatabase};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    /// Its database, for tests that look past the API (the outbox).
    pub database: platform::settings::DatabaseSettings,
    _db: TestDatabase,
}

impl TestApp {
    pub async fn spawn(backend: TestBackend) -> Self {
        platform::telemetry::init_for_tests();
        let db = TestDatabase::create(backend);
        let mut settings = Settings::load(None).unwrap();
        settings.server.port = 0;
        settings.server.workers = 2;
        settings.database = db.settings.clone();
        let app = Application::build(&settings).unwrap();
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        Self {
            address,
            client: reqwest::Client::new(),
            database: db.settings.clone(),
            _db: db,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.client
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn put(&self, path: &str, body: Value) -> Response {
        self.client
            .put(self.url(path))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// POST/PUT that must answer `status`; returns the JSON body.
    pub async fn expect(&self, res: Response, status: StatusCode) -> Value {
        let got = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        assert_eq!(got, status, "body: {body}");
        body
    }

    pub async fn create_customer(&self, name: &str) -> i64 {
        let body = json!({"nm": name, "eml": "ada@example.com",
            "bill": {"nm": name, "ln1": "12 St James's Square", "city": "London", "zip": "SW1Y 4JH", "ctry": "GB"}});
        let res = self.post("/api/v1/customers", body).await;
        self.expect(res, StatusCode::CREATED).await["id"]
            .as_i64()
            .unwrap()
    }

    /// Defines `sku` at `price` EUR cents with `qty` on hand.
    pub async fn stock(&self, sku: &str, price: i64, qty: i64) {
        let res = self
            .put(
                &format!("/api/v1/inventory/{sku}"),
                json!({"nm": sku, "px": price, "cur": "EUR"}),
            )
            .await;
        assert!(res.status().is_success(), "{}", res.text().await.unwrap());
        let res = self
            .post(
                &format!("/api/v1/inventory/{sku}/adjust"),
                json!({"dq": qty, "rsn": "test"}),
            )
            .await;
        self.expect(res, StatusCode::OK).await;
    }

    pub async fn place_order(&self, cust: i64, lines: Value, pm: &str) -> Response {
        self.post(
            "/api/v1/orders",
            json!({"cust": cust, "lines": lines, "pm": pm, "tok": "tok_visa"}),
        )
        .await
    }

    pub async fn item(&self, sku: &str) -> Value {
        let res = self.get(&format!("/api/v1/inventory/{sku}")).await;
        self.expect(res, StatusCode::OK).await
    }
}

/// Asserts a problem+json response with `status` and a detail containing `needle`.
pub async fn assert_problem(res: Response, status: StatusCode, needle: &str) -> Value {
    assert_eq!(res.status(), status);
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert_eq!(ct, "application/problem+json");
    let body: Value = res.json().await.unwrap();
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains(needle),
        "detail {detail:?} lacks {needle:?}"
    );
    assert_eq!(body["status"], status.as_u16());
    body
}
