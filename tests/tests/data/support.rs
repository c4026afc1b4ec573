//! `Sides`: a monolith with generated data (captures, voids, partial and full
//! refunds, credited and void invoices; open, shipped, delivered and
//! cancelled orders) and an empty payment service; an empty fulfillment
//! service on request.

use acl::LegacyClock;
use diesel::connection::SimpleConnection;
use platform::db::Db;
use platform::testing::{TestBackend, TestDatabase};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::path::PathBuf;
use strangler_data::backfill::Options;

pub struct Sides {
    pub monolith: String,
    pub payment: String,
    pub monolith_db: TestDatabase,
    pub payment_db: TestDatabase,
    pub client: reqwest::Client,
    pub dir: PathBuf,
}

impl Sides {
    pub async fn start(backend: TestBackend) -> Self {
        platform::telemetry::init_for_tests();
        let dir =
            std::env::temp_dir().join(format!("strangler-data-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let monolith_db = TestDatabase::create(backend);
        let mut m = monolith::settings::Settings::load(None).unwrap();
        (m.server.port, m.server.workers, m.database) = (0, 2, monolith_db.settings.clone());
        let mono = monolith::startup::Application::build(&m).await.unwrap();
        let monolith = format!("http://127.0.0.1:{}", mono.port());
        tokio::spawn(mono.run_until_stopped());

        let payment_db = TestDatabase::create(backend);
        let mut p: payment::settings::Settings =
            platform::settings::load(payment::settings::DEFAULTS, None, "PAYMENT_DATA_NONE")
                .unwrap();
        (p.server.port, p.server.workers, p.database) = (0, 2, payment_db.settings.clone());
        p.events.transport = platform::relay::Transport::Off;
        let pay = payment::startup::Application::build(&p).await.unwrap();
        let payment = format!("http://127.0.0.1:{}", pay.port());
        tokio::spawn(pay.run_until_stopped());
        Self {
            monolith,
            payment,
            monolith_db,
            payment_db,
            client: reqwest::Client::new(),
            dir,
        }
    }

    pub async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.monolith));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        assert!(status.is_success(), "{path}: {status} {body}");
        body
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    /// `n` orders, every kind of history: card captured; card refunded in
    /// part, then in full; card cancelled (refunded, invoice credited);
    /// invoice authorised; invoice captured; invoice cancelled (voided);
    /// prices with odd cents and an order of several lines.
    pub async fn generate(&self, n: usize) -> Vec<i64> {
        let cust = self
            .post("/api/v1/customers", json!({"nm": "Grace Hopper", "eml": "g@example.com",
                "bill": {"nm": "Grace Hopper", "ln1": "1 Navy Way", "city": "Arlington", "zip": "22201", "ctry": "US"}}))
            .await["id"].as_i64().unwrap();
        for (sku, px) in [("W-1", 1999), ("W-2", 1), ("W-3", 123457)] {
            self.call(
                reqwest::Method::PUT,
                &format!("/api/v1/inventory/{sku}"),
                Some(json!({"nm": sku, "px": px, "cur": "EUR"})),
            )
            .await;
            self.post(
                &format!("/api/v1/inventory/{sku}/adjust"),
                json!({"dq": 10_000, "rsn": "stock"}),
            )
            .await;
        }
        let mut payments = Vec::new();
        for i in 0..n {
            let pm = if i % 3 == 1 { "invoice" } else { "card" };
            let lines = if i % 4 == 0 {
                json!([{"sku": "W-1", "qty": 2}, {"sku": "W-2", "qty": 3}])
            } else {
                json!([{"sku": "W-3", "qty": 1}])
            };
            let order = self
                .post(
                    "/api/v1/orders",
                    json!({"cust": cust, "lines": lines, "pm": pm, "tok": "tok_visa"}),
                )
                .await;
            let (id, pay) = (
                order["id"].as_i64().unwrap(),
                order["pay"].as_i64().unwrap(),
            );
            payments.push(pay);
            match (pm, i % 5) {
                ("card", 1) => {
                    self.post(
                        &format!("/api/v1/payments/{pay}/refunds"),
                        json!({"amt": 1, "rsn": "scratch"}),
                    )
                    .await;
                }
                ("card", 2) => {
                    self.post(
                        &format!("/api/v1/payments/{pay}/refunds"),
                        json!({"amt": 100, "rsn": "late"}),
                    )
                    .await;
                    let left = order["tot"].as_i64().unwrap() - 100;
                    self.post(
                        &format!("/api/v1/payments/{pay}/refunds"),
                        json!({"amt": left, "rsn": "returned"}),
                    )
                    .await;
                }
                ("card", 3) => {
                    self.post(&format!("/api/v1/orders/{id}/cancel"), json!({}))
                        .await;
                }
                ("invoice", 2 | 4) => {
                    self.post(&format!("/api/v1/orders/{id}/cancel"), json!({}))
                        .await;
                }
                ("invoice", 0 | 3) => {
                    self.post(&format!("/api/v1/orders/{id}/capture"), json!({}))
                        .await;
                }
                _ => {}
            }
        }
        payments
    }

    /// Ships every other confirmed order and delivers every other shipment,
    /// and adds an item with odd values (a SKU with `_` and `.`, a free
    /// unit, a name and a carrier beyond ASCII) ordered, shipped and
    /// delivered. Call after [`Self::generate`].
    pub async fn generate_fulfillment(&self) {
        self.call(
            reqwest::Method::PUT,
            "/api/v1/inventory/odd_sku.1",
            Some(json!({"nm": "Ünïcode «Zeug» ✓", "px": 0, "cur": "EUR"})),
        )
        .await;
        self.post(
            "/api/v1/inventory/odd_sku.1/adjust",
            json!({"dq": 7, "rsn": "found"}),
        )
        .await;
        let cust = self
            .post("/api/v1/customers", json!({"nm": "Ada", "eml": "a@example.com",
                "bill": {"nm": "Ada", "ln1": "1 Engine St", "city": "London", "zip": "N1", "ctry": "GB"}}))
            .await["id"].as_i64().unwrap();
        self.post(
            "/api/v1/orders",
            json!({"cust": cust, "lines": [{"sku": "odd_sku.1", "qty": 7}], "pm": "card", "tok": "tok_visa"}),
        )
        .await;
        let orders = self
            .call(
                reqwest::Method::GET,
                "/api/v1/export/orders?limit=1000",
                None,
            )
            .await;
        for (n, item) in orders["items"].as_array().unwrap().iter().enumerate() {
            let order = &item["order"];
            let last = n + 1 == orders["items"].as_array().unwrap().len();
            if order["st"] != "C" || !(n % 2 == 0 || last) {
                continue;
            }
            let carrier = if last { "Üps & Cö" } else { "DHL" };
            let shipment = self
                .post(
                    &format!("/api/v1/orders/{}/shipments", order["id"]),
                    json!({ "carr": carrier }),
                )
                .await;
            if n % 4 == 0 || last {
                self.post(
                    &format!("/api/v1/shipments/{}/deliver", shipment["id"]),
                    json!({}),
                )
                .await;
            }
        }
    }

    pub fn options(&self) -> Options {
        Options {
            batch_size: 3,
            rate: None,
            dry_run: false,
            from_start: false,
            state_dir: self.dir.join("state"),
            clock: LegacyClock::default(),
            quiet: true,
        }
    }

    /// Runs SQL on one side's database, as an operator (or a bug) would.
    pub async fn sql(
        &self,
        on: &TestDatabase,
        sql: &'static str,
        migrations: platform::db::Migrations,
    ) {
        let db = Db::connect(&on.settings, migrations).unwrap();
        db.write(move |c| c.batch_execute(sql).map_err(platform::db::DbError::from))
            .await
            .unwrap();
    }

    pub async fn payment_count(&self, table: &'static str) -> i64 {
        count(&self.payment_db, payment::migrations(), table).await
    }
}

/// An empty fulfillment service on a fresh database: its URL and database.
pub async fn start_fulfillment(backend: TestBackend) -> (String, TestDatabase) {
    start_fulfillment_with(backend, |_| {}).await
}

/// [`start_fulfillment`] with its settings changed by `tune` last.
pub async fn start_fulfillment_with(
    backend: TestBackend,
    tune: impl FnOnce(&mut fulfillment::settings::Settings),
) -> (String, TestDatabase) {
    let db = TestDatabase::create(backend);
    let mut f: fulfillment::settings::Settings = platform::settings::load(
        fulfillment::settings::DEFAULTS,
        None,
        "FULFILLMENT_DATA_NONE",
    )
    .unwrap();
    (f.server.port, f.server.workers, f.database) = (0, 2, db.settings.clone());
    tune(&mut f);
    let app = fulfillment::startup::Application::build(f).await.unwrap();
    let url = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    (url, db)
}

/// Rows in `table` (may carry a `WHERE`) of a service's database.
pub async fn count(
    on: &TestDatabase,
    migrations: platform::db::Migrations,
    table: &'static str,
) -> i64 {
    let db = Db::connect(&on.settings, migrations).unwrap();
    db.read(move |c| {
        use diesel::prelude::*;
        let q = format!("SELECT COUNT(*) AS n FROM {table}");
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        diesel::sql_query(q)
            .get_result::<N>(c)
            .map(|r| r.n)
            .map_err(platform::db::DbError::from)
    })
    .await
    .unwrap()
}

pub async fn ok_json(res: reqwest::Response) -> Value {
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}
