//! `TestApp`: a monolith on 127.0.0.1:0 with a fresh database, and one helper
//! per endpoint the tests use. With [`Port::Remote`] its payments port is the
//! payment service (a real one on 127.0.0.1:0, its own fresh database), which
//! owns every payment (`payments.new` on for everyone).

use monolith::settings::{PaymentsOwner, Settings};
use monolith::startup::Application;
use platform::testing::{TestBackend, TestDatabase};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

/// Which implementation of the payments port the monolith runs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Port {
    /// The in-process payments module.
    InProcess,
    /// The payment service's `/v2` API.
    Remote,
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    /// The payment service, when it owns the payments.
    pub payment: Option<String>,
    /// Its database, for tests that look past the API (the outbox).
    pub database: platform::settings::DatabaseSettings,
    _dbs: Vec<TestDatabase>,
    _flags: Option<FlagsFile>,
}

/// A flags file removed with the app.
struct FlagsFile(std::path::PathBuf);

impl Drop for FlagsFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

impl TestApp {
    pub async fn spawn(backend: TestBackend) -> Self {
        Self::spawn_with(backend, Port::InProcess).await
    }

    pub async fn spawn_with(backend: TestBackend, port: Port) -> Self {
        Self::spawn_tuned(backend, port, |_| {}).await
    }

    /// With the payment service owning the payments and `payments.sync =
    /// true`: the port's own writes wait out a handover.
    pub async fn spawn_synced(backend: TestBackend) -> Self {
        Self::spawn_tuned(backend, Port::Remote, |s| s.payments.sync = true).await
    }

    /// As [`Self::spawn_with`], with `tune` applied to the settings last.
    pub async fn spawn_tuned(
        backend: TestBackend,
        port: Port,
        tune: impl FnOnce(&mut Settings),
    ) -> Self {
        platform::telemetry::init_for_tests();
        let db = TestDatabase::create(backend);
        let mut settings = Settings::load(None).unwrap();
        settings.server.port = 0;
        settings.server.workers = 2;
        settings.database = db.settings.clone();
        let database = db.settings.clone();
        let mut dbs = vec![db];
        let (mut payment, mut flags) = (None, None);
        if port == Port::Remote {
            let (url, payment_db) = payment_service(backend).await;
            let file = std::env::temp_dir().join(format!(
                "monolith-flags-{}.json",
                uuid::Uuid::new_v4().simple()
            ));
            std::fs::write(
                &file,
                r#"{"version": 2, "features": [
              {"name": "payments.new", "enabled": true, "strategies": [{"name": "default"}]}]}"#,
            )
            .unwrap();
            settings.payments.owner = PaymentsOwner::Flags;
            settings.payments.service_url = url.clone();
            settings.payments.flags.file = file.clone();
            (payment, flags) = (Some(url), Some(FlagsFile(file)));
            dbs.push(payment_db);
        }
        tune(&mut settings);
        let app = Application::build(&settings).await.unwrap();
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        Self {
            address,
            client: reqwest::Client::new(),
            payment,
            database,
            _dbs: dbs,
            _flags: flags,
        }
    }

    /// GET of a payments read (`/api/v1/payments/…`, `/invoices/…`,
    /// `/orders/{id}/payments|invoices`) from the payments' owner: the
    /// monolith, or the payment service read through the ACL.
    pub async fn owner_get(&self, path: &str) -> Value {
        match &self.payment {
            None => self.expect(self.get(path).await, StatusCode::OK).await,
            Some(service) => crate::owner_reads::read(&self.client, service, path).await,
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

    /// Places a card order of `lines` for `cust`, expecting 201; its answer.
    pub async fn card_order(&self, cust: i64, lines: Value) -> Value {
        let res = self.place_order(cust, lines, "card").await;
        self.expect(res, StatusCode::CREATED).await
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

/// A payment service on 127.0.0.1:0 with a fresh database of `backend`.
async fn payment_service(backend: TestBackend) -> (String, TestDatabase) {
    let db = TestDatabase::create(backend);
    let mut p: payment::settings::Settings =
        platform::settings::load(payment::settings::DEFAULTS, None, "PAYMENT_TEST_NONE").unwrap();
    (p.server.port, p.server.workers, p.database) = (0, 2, db.settings.clone());
    p.events.transport = platform::relay::Transport::Off;
    let app = payment::startup::Application::build(&p).await.unwrap();
    let url = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    (url, db)
}
