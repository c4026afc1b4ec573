//! Sync across the cut with real processes: the monolith (in this process)
//! and the payment service (its own process, so it can be killed with
//! SIGKILL) each relay their payments writes to the other, behind the
//! strangler proxy. Writes taken in `legacy` and `shadow` reach the service;
//! in `canary` (50 %, by the payment's id) a payment in the cohort is written
//! by the service and reaches the monolith, one outside it the other way;
//! writes taken in `new` reach the monolith; then the service is killed right after its
//! writes, the route is rolled back to `legacy`, the service comes back (its
//! relay or JetStream consumer restarts) and every write is readable through
//! the monolith exactly once. Over HTTP inboxes and over NATS JetStream.

use crate::stack::{FLAGS, config, decided_by_record};
use platform::db::Db;
use platform::relay::{EventsSettings, Transport};
use platform::testing::{TestBackend, TestDatabase};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use strangler_proxy::app::Application;
use strangler_proxy::flags::file;
use strangler_proxy::flags::file::Percent;

platform::both_backends!(over_http, over_nats);

async fn over_http(backend: TestBackend) {
    a_rollback_loses_nothing(backend, Transport::Http).await
}

async fn over_nats(backend: TestBackend) {
    a_rollback_loses_nothing(backend, Transport::Nats).await
}

/// The `payment` binary, built if needed (a test binary cannot name another
/// package's binary, so it asks cargo for it).
fn payment_bin() -> PathBuf {
    let status = Command::new(env!("CARGO"))
        .args(["build", "-q", "-p", "payment", "--bin", "payment"])
        .status()
        .unwrap();
    assert!(status.success());
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().join("payment")
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Event settings of one side: fast polling, and with NATS a stream and
/// subjects of this test's own.
fn events(base: EventsSettings, transport: Transport, unique: &str, me: &str) -> EventsSettings {
    let mut e = base;
    e.transport = transport;
    e.stream = format!("SYNC_{unique}");
    e.subject_prefix = format!("sync_{unique}");
    e.consumer = format!("{me}_{unique}");
    e.poll_interval_ms = 50;
    e.max_backoff_ms = 200;
    if let Ok(url) = std::env::var("TEST_NATS_URL") {
        e.nats_url = url;
    }
    e
}

struct Sides {
    proxy: String,
    monolith: String,
    payment: String,
    monolith_db: Db,
    flags: PathBuf,
    client: reqwest::Client,
    payment_process: Child,
    payment_config: PathBuf,
    events: EventsSettings,
    dir: PathBuf,
    _app: Application,
    _dbs: Vec<TestDatabase>,
}

impl Sides {
    async fn start(backend: TestBackend, transport: Transport) -> Self {
        platform::telemetry::init_for_tests();
        let unique = uuid::Uuid::new_v4().simple().to_string();
        let dir = std::env::temp_dir().join(format!("strangler-sync-{unique}"));
        std::fs::create_dir_all(&dir).unwrap();
        let payment = format!("http://127.0.0.1:{}", free_port());

        let monolith_db = TestDatabase::create(backend);
        let mut m = monolith::settings::Settings::load(None).unwrap();
        (m.server.port, m.server.workers, m.database) = (0, 2, monolith_db.settings.clone());
        m.events = events(m.events, transport, &unique, "monolith");
        m.events.subscribers = vec![format!("{payment}/inbox")];
        let mono = monolith::startup::Application::build(&m).await.unwrap();
        let monolith = format!("http://127.0.0.1:{}", mono.port());
        tokio::spawn(mono.run_until_stopped());

        let payment_db = TestDatabase::create(backend);
        let p: payment::settings::Settings =
            platform::settings::load(payment::settings::DEFAULTS, None, "PAYMENT_SYNC_NONE")
                .unwrap();
        let pe = events(p.events, transport, &unique, "payment");
        let payment_config = dir.join("payment.toml");
        std::fs::write(
            &payment_config,
            format!(
                "[server]\nport = {port}\nworkers = 2\n[database]\nurl = \"{db}\"\n\
                 [events]\ntransport = \"{t}\"\nsubscribers = [\"{monolith}/inbox\"]\n\
                 nats_url = \"{nats}\"\nstream = \"{s}\"\nsubject_prefix = \"{sp}\"\n\
                 consumer = \"{c}\"\npoll_interval_ms = 50\nmax_backoff_ms = 200\n",
                port = payment.rsplit(':').next().unwrap(),
                db = payment_db.settings.url,
                t = if transport == Transport::Nats {
                    "nats"
                } else {
                    "http"
                },
                nats = pe.nats_url,
                s = pe.stream,
                sp = pe.subject_prefix,
                c = pe.consumer,
            ),
        )
        .unwrap();
        let payment_process = spawn_payment(&payment_config);

        let flags = dir.join("flags.json");
        std::fs::write(&flags, FLAGS).unwrap();
        let config_file = dir.join("strangler.toml");
        // Fulfillment is not part of this test: its route points nowhere.
        let nowhere = format!("http://127.0.0.1:{}", free_port());
        let routes = decided_by_record(&config(&monolith, &payment, &nowhere, &flags));
        std::fs::write(&config_file, routes).unwrap();
        let settings = strangler_proxy::settings::Settings::load(Some(&config_file)).unwrap();
        let app = Application::start(settings, Some(config_file))
            .await
            .unwrap();
        let sides = Self {
            proxy: format!("http://{}", app.proxy_addr()),
            monolith,
            payment,
            monolith_db: Db::connect(&m.database, monolith::migrations()).unwrap(),
            flags,
            client: reqwest::Client::new(),
            payment_process,
            payment_config,
            events: m.events,
            dir,
            _app: app,
            _dbs: vec![monolith_db, payment_db],
        };
        sides.wait_for_payment().await;
        sides
    }

    async fn wait_for_payment(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let up = self
                .client
                .get(format!("{}/readyz", self.payment))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if up {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the payment service did not start"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn send(&self, method: reqwest::Method, url: String, body: Option<Value>) -> Value {
        let mut req = self
            .client
            .request(method, &url)
            .header("Idempotency-Key", uuid::Uuid::new_v4().to_string());
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        assert!(status.is_success(), "{url}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    async fn post(&self, url: String, body: Value) -> Value {
        self.send(reqwest::Method::POST, url, Some(body)).await
    }

    async fn get(&self, url: String) -> Option<Value> {
        let res = self.client.get(&url).send().await.unwrap();
        if res.status() == StatusCode::NOT_FOUND {
            return None;
        }
        assert!(res.status().is_success(), "{url}: {}", res.status());
        Some(res.json().await.unwrap())
    }

    /// Polls `url` until `done` holds for its body; fails after 30 s.
    async fn wait_until(&self, url: String, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(body) = self.get(url.clone()).await
                && done(&body)
            {
                return body;
            }
            assert!(Instant::now() < deadline, "{what} never arrived ({url})");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Polls the proxy until `path` is served by `backend`.
    /// Who answers a read of `path` through the proxy now.
    async fn backend_of(&self, path: &str) -> String {
        let res = self
            .client
            .get(format!("{}{path}", self.proxy))
            .send()
            .await
            .unwrap();
        res.headers()["x-strangler-backend"]
            .to_str()
            .unwrap()
            .to_owned()
    }

    /// Waits until the proxy reports `route` in `mode` (it re-reads the
    /// flags file within a second).
    async fn wait_for_mode(&self, route: &str, mode: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        let admin = self._app.admin_addr();
        loop {
            let routes: Value = self
                .client
                .get(format!("http://{admin}/admin/routes"))
                .bearer_auth(crate::stack::TOKEN)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let now = routes
                .as_array()
                .and_then(|r| r.iter().find(|r| r["name"] == route))
                .map(|r| r["mode"].clone());
            if now.as_ref().and_then(Value::as_str) == Some(mode) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{route} never moved to {mode}: {routes}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn wait_for_backend(&self, path: &str, backend: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if self.backend_of(path).await == backend {
                return;
            }
            assert!(Instant::now() < deadline, "{path} never moved to {backend}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn stop(mut self) {
        let _ = self.payment_process.kill();
        let _ = self.payment_process.wait();
        if self.events.transport == Transport::Nats {
            let client = async_nats::connect(self.events.nats_url.as_str())
                .await
                .unwrap();
            let _ = async_nats::jetstream::new(client)
                .delete_stream(&self.events.stream)
                .await;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn spawn_payment(config: &Path) -> Child {
    Command::new(payment_bin())
        .arg("--config")
        .arg(config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Amounts of a legacy refund list, in id order.
fn amounts(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["amt"].as_i64().unwrap())
        .collect()
}

async fn a_rollback_loses_nothing(backend: TestBackend, transport: Transport) {
    let mut s = Sides::start(backend, transport).await;
    let (proxy, payment) = (s.proxy.clone(), s.payment.clone());

    // legacy: the monolith takes the writes.
    let cust = s
        .post(
            format!("{proxy}/api/v1/customers"),
            json!({"nm": "Ada", "eml": "ada@example.com",
                   "bill": {"nm": "Ada", "ln1": "1 Lane", "city": "London", "zip": "N1", "ctry": "GB"}}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let put = s.client.put(format!("{proxy}/api/v1/inventory/W-1"));
    put.json(&json!({"nm": "Widget", "px": 3000, "cur": "EUR"}))
        .send()
        .await
        .unwrap();
    s.post(
        format!("{proxy}/api/v1/inventory/W-1/adjust"),
        json!({"dq": 40, "rsn": "stock"}),
    )
    .await;
    let order = |pm: &str| json!({"cust": cust, "lines": [{"sku": "W-1", "qty": 1}], "pm": pm, "tok": "tok_visa"});
    let card = s
        .post(format!("{proxy}/api/v1/orders"), order("card"))
        .await;
    let by_invoice = s
        .post(format!("{proxy}/api/v1/orders"), order("invoice"))
        .await;
    s.post(
        format!("{proxy}/api/v1/orders/{}/capture", by_invoice["id"]),
        json!({}),
    )
    .await;
    let p1 = card["pay"].as_i64().unwrap();
    s.post(
        format!("{proxy}/api/v1/payments/{p1}/refunds"),
        json!({"amt": 500, "rsn": "scratched"}),
    )
    .await;

    // …and they reach the service.
    let p1_new = s
        .wait_until(
            format!("{payment}/v2/payments/by-legacy-id/{p1}"),
            "the monolith's refund",
            |p| p["refunded"]["amount"] == "5.00",
        )
        .await;
    assert_eq!(p1_new["status"], "partially_refunded");
    let inv2 = by_invoice["inv"].as_i64().unwrap();
    s.wait_until(
        format!("{payment}/v2/invoices/by-legacy-id/{inv2}"),
        "the paid invoice",
        |i| i["status"] == "paid",
    )
    .await;

    // More payments, each its own order, for the canary to split.
    let mut more = Vec::new();
    for _ in 0..16 {
        let placed = s
            .post(format!("{proxy}/api/v1/orders"), order("card"))
            .await;
        more.push(placed["pay"].as_i64().unwrap());
    }

    // shadow: the monolith still takes every write (a write is not shadowed).
    file::enable(&s.flags, "payments.shadow").unwrap();
    s.wait_for_mode("payments", "shadow").await;
    s.post(
        format!("{proxy}/api/v1/payments/{p1}/refunds"),
        json!({"amt": 100, "rsn": "shadowed"}),
    )
    .await;
    s.wait_until(
        format!("{payment}/v2/payments/by-legacy-id/{p1}"),
        "the refund taken in shadow",
        |p| p["refunded"]["amount"] == "6.00",
    )
    .await;

    // canary at 50 %, by the payment's id: a payment in the cohort is the
    // service's to write, one outside it the monolith's; each write reaches
    // the other side.
    file::rollout(&s.flags, "payments.canary", Percent::new(50).unwrap()).unwrap();
    file::enable(&s.flags, "payments.canary").unwrap();
    s.wait_for_mode("payments", "canary").await;
    let (mut in_cohort, mut outside) = (None, None);
    for &p in &more {
        let side = s.backend_of(&format!("/api/v1/payments/{p}")).await;
        match side.as_str() {
            "new" => in_cohort = in_cohort.or(Some(p)),
            _ => outside = outside.or(Some(p)),
        }
    }
    let (Some(in_cohort), Some(outside)) = (in_cohort, outside) else {
        panic!("16 payments all on one side of a 50 % canary: {more:?}");
    };
    for (p, rsn) in [(in_cohort, "canary-new"), (outside, "canary-legacy")] {
        let refund = s
            .client
            .post(format!("{proxy}/api/v1/payments/{p}/refunds"))
            .json(&json!({"amt": 50, "rsn": rsn}))
            .send()
            .await
            .unwrap();
        assert_eq!(refund.status(), StatusCode::CREATED);
        let expected = if p == in_cohort { "new" } else { "legacy" };
        assert_eq!(
            refund.headers()["x-strangler-backend"],
            expected,
            "payment {p}"
        );
    }
    let m = s.monolith.clone();
    s.wait_until(
        format!("{m}/api/v1/payments/{in_cohort}"),
        "the canary's refund taken by the service",
        |p| p["rfd"] == 50,
    )
    .await;
    s.wait_until(
        format!("{payment}/v2/payments/by-legacy-id/{outside}"),
        "the canary's refund taken by the monolith",
        |p| p["refunded"]["amount"] == "0.50",
    )
    .await;
    file::disable(&s.flags, "payments.canary").unwrap();

    // new: the service takes the writes, through the proxy and its own API.
    file::enable(&s.flags, "payments.new").unwrap();
    s.wait_for_backend(&format!("/api/v1/payments/{p1}"), "new")
        .await;
    let shown = s
        .get(format!("{proxy}/api/v1/payments/{p1}"))
        .await
        .unwrap();
    assert_eq!(
        shown["rfd"], 600,
        "the monolith's refunds, read through the proxy from new"
    );
    s.post(
        format!("{proxy}/api/v1/payments/{p1}/refunds"),
        json!({"amt": 300, "rsn": "late"}),
    )
    .await;
    let created = s
        .post(
            format!("{payment}/v2/payments"),
            json!({"order_legacy_id": card["id"], "customer_legacy_id": cust,
                   "amount": {"amount": "12.00", "currency": "EUR"}, "method": "card",
                   "card_token": "tok_visa", "capture": true}),
        )
        .await;
    let p2 = created["legacy_id"].as_i64().unwrap();
    s.post(
        format!("{proxy}/api/v1/payments/{p2}/refunds"),
        json!({"amt": 200, "rsn": "goodwill"}),
    )
    .await;
    let invoice = s
        .post(
            format!("{payment}/v2/invoices"),
            json!({"order_legacy_id": card["id"], "customer_legacy_id": cust,
                   "amount": {"amount": "12.00", "currency": "EUR"},
                   "billing": {"name": "Ada", "line1": "1 Lane", "city": "London",
                               "postal_code": "N1", "country": "GB"}}),
        )
        .await;
    s.post(
        format!(
            "{payment}/v2/invoices/{}/pay",
            invoice["id"].as_str().unwrap()
        ),
        json!({}),
    )
    .await;
    let inv3 = invoice["legacy_id"].as_i64().unwrap();

    // The service dies right after its writes; the route goes back.
    s.payment_process.kill().unwrap();
    s.payment_process.wait().unwrap();
    file::disable(&s.flags, "payments.new").unwrap();
    s.wait_for_backend(&format!("/api/v1/payments/{p1}"), "legacy")
        .await;
    // It comes back; its relay (or JetStream consumer) carries on.
    s.payment_process = spawn_payment(&s.payment_config);
    s.wait_for_payment().await;

    // Every write, through the monolith, exactly once.
    s.wait_until(
        format!("{m}/api/v1/payments/{p2}/refunds"),
        "the service's refund of its payment",
        |r| r["items"].as_array().is_some_and(|i| !i.is_empty()),
    )
    .await;
    s.wait_until(
        format!("{m}/api/v1/invoices/{inv3}"),
        "the service's paid invoice",
        |i| i["st"] == "P",
    )
    .await;
    s.wait_until(
        format!("{m}/api/v1/payments/{p1}"),
        "the refund taken in new",
        |p| p["rfd"] == 900,
    )
    .await;
    let refunds_p1 = s
        .get(format!("{proxy}/api/v1/payments/{p1}/refunds"))
        .await
        .unwrap();
    assert_eq!(amounts(&refunds_p1), vec![500, 100, 300], "{refunds_p1}");
    for p in [in_cohort, outside] {
        let refunds = s
            .get(format!("{proxy}/api/v1/payments/{p}/refunds"))
            .await
            .unwrap();
        assert_eq!(amounts(&refunds), vec![50], "payment {p}: {refunds}");
    }
    let refunds_p2 = s
        .get(format!("{proxy}/api/v1/payments/{p2}/refunds"))
        .await
        .unwrap();
    assert_eq!(amounts(&refunds_p2), vec![200], "{refunds_p2}");
    let p2_legacy = s
        .get(format!("{proxy}/api/v1/payments/{p2}"))
        .await
        .unwrap();
    assert_eq!(
        (p2_legacy["st"].as_str(), p2_legacy["rfd"].as_i64()),
        (Some("P"), Some(200))
    );
    let inv = s
        .get(format!("{proxy}/api/v1/invoices/{inv3}"))
        .await
        .unwrap();
    assert_eq!(
        (inv["amt"].as_i64(), inv["cust"].as_i64()),
        (Some(1200), Some(cust)),
        "{inv}"
    );

    // No echo: the monolith published nothing about what the service did.
    let echoed = s
        .monolith_db
        .read(move |c| {
            platform::outbox::for_aggregate(c, "payment", &p2.to_string())
                .map_err(platform::Problem::from)
        })
        .await
        .unwrap();
    assert!(echoed.is_empty(), "{echoed:?}");
    // And the service holds each refund of p1 once.
    let p1_new = s
        .get(format!("{payment}/v2/payments/by-legacy-id/{p1}"))
        .await
        .unwrap();
    assert_eq!(p1_new["refunded"]["amount"], "9.00", "{p1_new}");
    s.stop().await;
}
