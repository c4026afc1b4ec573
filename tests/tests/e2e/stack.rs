//! `Stack`: the monolith and the payment service on fresh databases, and the
//! strangler proxy in front of them with a flags file in a temporary folder.

use platform::testing::{TestBackend, TestDatabase};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use strangler_proxy::app::Application;
use strangler_proxy::flags::file::{self, Percent};
use strangler_proxy::settings::Settings;

pub const TOKEN: &str = "e2e-admin-token-0123456789";

/// The flags every stack starts with: all off.
pub const FLAGS: &str = r#"{"version": 2, "features": [
  {"name": "payments.shadow", "enabled": false, "strategies": [{"name": "flexibleRollout", "parameters": {"rollout": "100", "stickiness": "userId", "groupId": "payments"}}]},
  {"name": "payments.canary", "enabled": false, "strategies": [{"name": "flexibleRollout", "parameters": {"rollout": "0", "stickiness": "userId", "groupId": "payments"}}]},
  {"name": "payments.new", "enabled": false, "strategies": [{"name": "default"}]},
  {"name": "inventory.new", "enabled": false, "strategies": [{"name": "default"}]},
  {"name": "orders.canary", "enabled": false, "strategies": [{"name": "flexibleRollout", "parameters": {"rollout": "0", "stickiness": "userId", "groupId": "orders"}}]},
  {"name": "orders.new", "enabled": false, "strategies": [{"name": "default"}]},
  {"name": "shipments.new", "enabled": false, "strategies": [{"name": "default"}]}
]}"#;

pub struct Stack {
    pub proxy: String,
    pub admin: String,
    pub monolith: String,
    pub payment: String,
    pub fulfillment: String,
    /// The payment service's own database.
    pub payment_db: platform::settings::DatabaseSettings,
    /// The fulfillment service's own database.
    #[allow(dead_code)] // not used by the traces binary, which shares this file
    pub fulfillment_db: platform::settings::DatabaseSettings,
    pub flags: FlagsFile,
    pub config_file: PathBuf,
    pub client: reqwest::Client,
    /// Settings appended to the proxy's file (tests that tune the watchdog).
    extra: String,
    /// Held: dropping it stops the proxy.
    _app: Application,
    dir: PathBuf,
    _dbs: Vec<TestDatabase>,
}

/// A complete proxy settings file: the proxy reloads from it.
pub fn config(monolith: &str, payment: &str, fulfillment: &str, flags: &std::path::Path) -> String {
    format!(
        r#"
[proxy]
listen = "127.0.0.1:0"
legacy = "{monolith}"

[admin]
listen = "127.0.0.1:0"
token = "{TOKEN}"

[flags]
file = "{flags}"

[shadow]
database_url = "sqlite://{shadow_db}"

[[routes]]
name = "payments"
patterns = ["/api/v1/payments/{{id}}", "/api/v1/payments/{{id}}/refunds", "/api/v1/orders/{{id}}/payments"]
new = "{payment}"
translator = "payments"
timeout_ms = 3000
[routes.flags]
shadow = "payments.shadow"
canary = "payments.canary"
new = "payments.new"
[routes.shadow]
writes = "dry-run"

[[routes]]
name = "inventory"
patterns = ["/api/v1/inventory/{{sku}}", "/api/v1/inventory/{{sku}}/adjust"]
new = "{fulfillment}"
translator = "inventory"
[routes.flags]
new = "inventory.new"

[[routes]]
name = "orders"
patterns = ["/api/v1/orders", "/api/v1/orders/{{id}}", "/api/v1/orders/{{id}}/capture", "/api/v1/orders/{{id}}/cancel"]
new = "{fulfillment}"
translator = "orders"
[routes.flags]
canary = "orders.canary"
new = "orders.new"

[[routes]]
name = "shipments"
patterns = ["/api/v1/orders/{{order}}/shipments", "/api/v1/shipments/{{id}}"]
new = "{fulfillment}"
translator = "shipments"
[routes.flags]
new = "shipments.new"
"#,
        flags = flags.display(),
        shadow_db = flags.with_file_name("shadow.db").display()
    )
}

/// `config` with the payments route deciding by the payment's id
/// (`record_param`), as the example route table does: one owner per payment
/// in `canary`.
pub fn decided_by_record(config: &str) -> String {
    config
        .replace(
            "/api/v1/orders/{id}/payments",
            "/api/v1/orders/{order}/payments",
        )
        .replace(
            "translator = \"payments\"\n",
            "translator = \"payments\"\nrecord_param = \"id\"\n",
        )
}

impl Stack {
    pub async fn start(backend: TestBackend) -> Self {
        Self::build(backend, false, None, "").await
    }

    /// One owner per payment (docs/data.md): the proxy's payments route
    /// decides by the payment's id (`record_param`), and the monolith's
    /// payments port reads the same `flags` file (`payments.owner = "flags"`)
    /// and calls the payment service for the payments it owns.
    #[allow(dead_code)] // used by the e2e binary only; the traces binary shares this file
    pub async fn owned(backend: TestBackend, flags: &str) -> Self {
        Self::build(backend, false, Some(flags), "").await
    }

    /// Like [`Stack::start`], with `extra` (whole TOML tables, e.g.
    /// `[watchdog]`) appended to the proxy's settings file.
    #[allow(dead_code)] // not used by the traces binary, which shares this file
    pub async fn tuned(backend: TestBackend, extra: &str) -> Self {
        Self::build(backend, false, None, extra).await
    }

    /// Like [`Stack::start`], with the payment service's outbox relayed to
    /// fulfillment's inbox over HTTP (the embedded default).
    #[allow(dead_code)] // used by the traces binary, which shares this file
    pub async fn with_events(backend: TestBackend) -> Self {
        Self::build(backend, true, None, "").await
    }

    async fn build(backend: TestBackend, events: bool, owned: Option<&str>, extra: &str) -> Self {
        platform::telemetry::init_for_tests();
        let dir =
            std::env::temp_dir().join(format!("strangler-e2e-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let flags_file = dir.join("flags.json");
        std::fs::write(&flags_file, owned.unwrap_or(FLAGS)).unwrap();

        let (fulfillment_db, payment_db, monolith_db) = (
            TestDatabase::create(backend),
            TestDatabase::create(backend),
            TestDatabase::create(backend),
        );
        // The payment service relays its events to fulfillment's inbox,
        // fulfillment's order sagas call the payment service and ask the
        // monolith about customers, and a monolith owning payments by flags
        // calls the payment service: whichever needs another's address starts
        // after it.
        let (monolith, fulfillment, payment) = if events {
            assert!(
                owned.is_none(),
                "no run relays events with payments owned by flags"
            );
            let monolith = start_monolith(&monolith_db, None).await;
            let fulfillment = start_fulfillment(&fulfillment_db, None, &monolith).await;
            let payment = start_payment(&payment_db, Some(&fulfillment)).await;
            (monolith, fulfillment, payment)
        } else {
            let payment = start_payment(&payment_db, None).await;
            let owner = owned.map(|_| (payment.as_str(), flags_file.as_path()));
            let monolith = start_monolith(&monolith_db, owner).await;
            let fulfillment = start_fulfillment(&fulfillment_db, Some(&payment), &monolith).await;
            (monolith, fulfillment, payment)
        };

        let config_file = dir.join("strangler.toml");
        let mut proxy_config = config(&monolith, &payment, &fulfillment, &flags_file);
        if owned.is_some() {
            proxy_config = decided_by_record(&proxy_config);
        }
        std::fs::write(&config_file, proxy_config + extra).unwrap();
        let settings = Settings::load(Some(&config_file)).unwrap();
        let app = Application::start(settings, Some(config_file.clone()))
            .await
            .unwrap();
        Self {
            proxy: format!("http://{}", app.proxy_addr()),
            admin: format!("http://{}", app.admin_addr()),
            monolith,
            payment,
            fulfillment,
            payment_db: payment_db.settings.clone(),
            fulfillment_db: fulfillment_db.settings.clone(),
            flags: FlagsFile(flags_file),
            config_file,
            client: reqwest::Client::new(),
            extra: extra.to_owned(),
            _app: app,
            dir,
            _dbs: vec![monolith_db, payment_db, fulfillment_db],
        }
    }

    /// GET through the proxy as `customer` (the identity header).
    pub async fn get_as(&self, customer: Option<&str>, path: &str) -> reqwest::Response {
        let mut req = self.client.get(format!("{}{path}", self.proxy));
        if let Some(c) = customer {
            req = req.header("x-customer-id", c);
        }
        req.send().await.unwrap()
    }

    pub async fn post(&self, base: &str, path: &str, body: Value) -> reqwest::Response {
        self.client
            .post(format!("{base}{path}"))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn admin_get(&self, path: &str) -> Value {
        let res = self
            .client
            .get(format!("{}{path}", self.admin))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.unwrap()
    }

    /// Creates a paid order in the monolith through the proxy; returns its payment id.
    pub async fn paid_order(&self) -> i64 {
        let customer = json!({"nm": "Ada", "eml": "ada@example.com",
            "bill": {"nm": "Ada", "ln1": "1 Lane", "city": "London", "zip": "N1", "ctry": "GB"}});
        let cust: Value = self
            .post(&self.proxy, "/api/v1/customers", customer)
            .await
            .json()
            .await
            .unwrap();
        let put = self
            .client
            .put(format!("{}/api/v1/inventory/W-1", self.proxy));
        put.json(&json!({"nm": "Widget", "px": 1999, "cur": "EUR"}))
            .send()
            .await
            .unwrap();
        self.post(
            &self.proxy,
            "/api/v1/inventory/W-1/adjust",
            json!({"dq": 100, "rsn": "stock"}),
        )
        .await;
        let order = json!({"cust": cust["id"], "lines": [{"sku": "W-1", "qty": 1}], "pm": "card", "tok": "tok_visa"});
        let order: Value = self
            .post(&self.proxy, "/api/v1/orders", order)
            .await
            .json()
            .await
            .unwrap();
        order["pay"].as_i64().unwrap()
    }

    /// The backend that served `path` for `customer`.
    pub async fn backend(&self, customer: Option<&str>, path: &str) -> String {
        served_by(&self.get_as(customer, path).await)
    }

    /// Polls until `path` is served by `backend` (flag changes take a poll
    /// interval to arrive); fails after 20 s.
    pub async fn wait_for_backend(&self, customer: Option<&str>, path: &str, backend: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if self.backend(customer, path).await == backend {
                return;
            }
            assert!(Instant::now() < deadline, "{path} never moved to {backend}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// The monolith on `db`, calling the payment service for the payments its
/// flags give it (`payments`: the service and the flags file) if given.
async fn start_monolith(db: &TestDatabase, payments: Option<(&str, &std::path::Path)>) -> String {
    let mut m = monolith::settings::Settings::load(None).unwrap();
    (m.server.port, m.server.workers, m.database) = (0, 2, db.settings.clone());
    if let Some((service, flags)) = payments {
        m.payments.owner = monolith::settings::PaymentsOwner::Flags;
        m.payments.service_url = service.to_owned();
        m.payments.flags.file = flags.to_owned();
    }
    let mono = monolith::startup::Application::build(&m).await.unwrap();
    let url = format!("http://127.0.0.1:{}", mono.port());
    tokio::spawn(mono.run_until_stopped());
    url
}

/// The fulfillment service on `db`, its sagas calling `payment` if given and
/// asking `monolith` about customers.
async fn start_fulfillment(db: &TestDatabase, payment: Option<&str>, monolith: &str) -> String {
    let mut f = fulfillment::settings::load(None).unwrap();
    (f.server.port, f.server.workers, f.database) = (0, 2, db.settings.clone());
    f.saga.customers_url = monolith.to_owned();
    if let Some(payment) = payment {
        f.saga.payments_url = payment.to_owned();
    }
    let ful = fulfillment::startup::Application::build(f).await.unwrap();
    let url = format!("http://127.0.0.1:{}", ful.port());
    tokio::spawn(ful.run_until_stopped());
    url
}

/// The payment service on `db`, relaying its events to `fulfillment`'s inbox
/// if given.
async fn start_payment(db: &TestDatabase, fulfillment: Option<&str>) -> String {
    let mut p: payment::settings::Settings =
        platform::settings::load(payment::settings::DEFAULTS, None, "PAYMENT_E2E_NONE").unwrap();
    (p.server.port, p.server.workers, p.database) = (0, 2, db.settings.clone());
    if let Some(fulfillment) = fulfillment {
        p.events.transport = platform::relay::Transport::Http;
        p.events.subscribers = vec![format!("{fulfillment}/inbox")];
        p.events.poll_interval_ms = 50;
    } else {
        // Events are tested on their own (events.rs), and tests that count
        // outbox rows need no relay taking them.
        p.events.transport = platform::relay::Transport::Off;
    }
    let pay = payment::startup::Application::build(&p).await.unwrap();
    let url = format!("http://127.0.0.1:{}", pay.port());
    tokio::spawn(pay.run_until_stopped());
    url
}

impl Drop for Stack {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Stack {
    /// Rewrites the settings file with `payment` as the new upstream and asks
    /// the proxy to reload it.
    pub async fn repoint_payments(&self, payment: &str) -> reqwest::Response {
        let text = config(&self.monolith, payment, &self.fulfillment, &self.flags.0) + &self.extra;
        std::fs::write(&self.config_file, text).unwrap();
        self.client
            .post(format!("{}/admin/reload", self.admin))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
    }
}

/// An address where nothing listens: a stopped service.
pub fn dead_upstream() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

impl Stack {
    /// Copies a monolith payment (with its refunds) into the payment service
    /// the way the backfill does: read from the legacy export list, translated
    /// by the ACL, written through the side-effect-free import path (no
    /// gateway call), under the same legacy id and instants.
    pub async fn backfill_payment(&self, pay: i64) -> Value {
        let page: Value = self
            .client
            .get(format!(
                "{}/api/v1/export/payments?after={}&limit=1",
                self.monolith,
                pay - 1
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let record = &page["items"][0];
        assert_eq!(record["payment"]["id"], pay, "{page}");
        let import =
            strangler_data::payments::to_import(record, &acl::LegacyClock::default()).unwrap();
        let res = self
            .client
            .post(format!("{}/v2/imports/payments", self.payment))
            .json(&json!({ "payments": [import] }))
            .send()
            .await
            .unwrap();
        let report: Value = res.json().await.unwrap();
        assert_eq!(
            report["results"][0]["outcome"], "imported",
            "backfill: {report}"
        );
        record["payment"].clone()
    }
}

impl Stack {
    /// Polls the admin API until `flag` shows `enabled` with a strategy line
    /// containing `needle` (a flags-file change is picked up on the next look
    /// at the file); fails after 20 s.
    pub async fn wait_for_flag(&self, flag: &str, enabled: bool, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let flags = self.admin_get("/admin/flags").await;
            let found = flags["flags"]["flags"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|f| {
                    f["name"] == flag
                        && f["enabled"] == enabled
                        && f["strategies"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .any(|s| s.as_str().is_some_and(|s| s.contains(needle)))
                });
            if found {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "flag {flag} never showed enabled={enabled} with `{needle}`: {flags}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// The proxy's flags file, changed as `strangler flags` changes it.
pub struct FlagsFile(pub PathBuf);

impl FlagsFile {
    pub fn enable(&self, flag: &str) {
        file::enable(&self.0, flag).unwrap();
    }

    pub fn disable(&self, flag: &str) {
        file::disable(&self.0, flag).unwrap();
    }

    pub fn rollout(&self, flag: &str, percent: u32) {
        file::rollout(&self.0, flag, Percent::new(percent).unwrap()).unwrap();
    }
}

/// Who answered, as the proxy says (`x-strangler-backend`).
pub fn served_by(res: &reqwest::Response) -> String {
    res.headers()["x-strangler-backend"]
        .to_str()
        .unwrap()
        .to_owned()
}
