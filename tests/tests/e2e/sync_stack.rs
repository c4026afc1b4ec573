//! `SyncStack`: the monolith (in this process) and the payment service (its
//! own process, so it can be killed with SIGKILL and started again on the same
//! port and database), each relaying its payments changes to the other over
//! HTTP inboxes or NATS JetStream, behind the strangler proxy whose payments
//! route decides by the payment's id (one owner per record in `canary`).
//! The one way the e2e tests start a stack with sync both ways (`sync.rs`,
//! `under_load.rs`, `handover.rs`).

use crate::gate::Gate;
use crate::stack::{FLAGS, FlagsFile, TOKEN, config, decided_by_record, served_by};
use platform::db::Db;
use platform::relay::{EventsSettings, Relay, Transport};
use platform::testing::{TestBackend, TestDatabase};
use reqwest::StatusCode;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use strangler_proxy::app::Application;

/// How a [`SyncStack`] starts.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// HTTP inboxes or NATS JetStream.
    pub transport: Transport,
    /// The monolith's relay starts paused, its changes kept in its outbox
    /// until [`SyncStack::sync_on`] (the local stack's `stack sync on`): a
    /// backfill copies the history first. HTTP only.
    pub paused: bool,
    /// Whole TOML tables appended to the proxy's settings (`[watchdog]`).
    pub proxy_extra: &'a str,
    /// The handover is on: the payments route declares `data = "payments"`
    /// and `sync = true`, the monolith's own flows reach payments through
    /// its port by the same flags with `payments.sync = true`, and the
    /// service's changes reach the monolith through a [`Gate`]
    /// ([`SyncStack::gate`]). Writes may then answer `503 handover`.
    pub handover: bool,
}

impl Options<'_> {
    /// Sync on from the start, the proxy untuned.
    pub fn syncing(transport: Transport) -> Self {
        Self {
            transport,
            paused: false,
            proxy_extra: "",
            handover: false,
        }
    }
}

pub struct SyncStack {
    pub proxy: String,
    pub admin: String,
    pub monolith: String,
    /// The payment service's own address (its process is restarted on it).
    pub payment: String,
    pub monolith_db: Db,
    pub flags: FlagsFile,
    pub client: reqwest::Client,
    /// In front of the monolith's inbox for the service's changes (with
    /// [`Options::handover`]).
    pub gate: Option<Gate>,
    payment_process: Option<Child>,
    payment_config: PathBuf,
    /// The monolith's event settings (with its relay on).
    events: EventsSettings,
    relay: Option<Relay>,
    config_file: PathBuf,
    proxy_extra: String,
    handover: bool,
    dir: PathBuf,
    _app: Application,
    _dbs: Vec<TestDatabase>,
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

/// The payment service's settings file: its own port and database, its
/// changes relayed to the monolith's inbox.
fn payment_settings(
    payment: &str,
    db: &TestDatabase,
    monolith: &str,
    transport: Transport,
    e: &EventsSettings,
) -> String {
    format!(
        "[server]\nport = {port}\nworkers = 2\n[database]\nurl = \"{db}\"\n\
         [events]\ntransport = \"{t}\"\nsubscribers = [\"{monolith}/inbox\"]\n\
         nats_url = \"{nats}\"\nstream = \"{s}\"\nsubject_prefix = \"{sp}\"\n\
         consumer = \"{c}\"\npoll_interval_ms = 50\nmax_backoff_ms = 200\n",
        port = payment.rsplit(':').next().unwrap(),
        db = db.settings.url,
        t = if transport == Transport::Nats {
            "nats"
        } else {
            "http"
        },
        nats = e.nats_url,
        s = e.stream,
        sp = e.subject_prefix,
        c = e.consumer,
    )
}

impl SyncStack {
    pub async fn start(backend: TestBackend, options: Options<'_>) -> Self {
        assert!(
            !options.paused || options.transport == Transport::Http,
            "a paused relay is tested over HTTP inboxes"
        );
        platform::telemetry::init_for_tests();
        let unique = uuid::Uuid::new_v4().simple().to_string();
        let dir = std::env::temp_dir().join(format!("strangler-sync-{unique}"));
        std::fs::create_dir_all(&dir).unwrap();
        let payment = format!("http://127.0.0.1:{}", free_port());
        let flags = dir.join("flags.json");
        std::fs::write(&flags, FLAGS).unwrap();

        let monolith_db = TestDatabase::create(backend);
        let mut m = monolith::settings::Settings::load(None).unwrap();
        (m.server.port, m.server.workers, m.database) = (0, 2, monolith_db.settings.clone());
        m.events = events(m.events, options.transport, &unique, "monolith");
        m.events.subscribers = vec![format!("{payment}/inbox")];
        let relaying = m.events.clone();
        if options.paused {
            m.events.transport = Transport::Off;
        }
        if options.handover {
            m.payments.owner = monolith::settings::PaymentsOwner::Flags;
            m.payments.service_url = payment.clone();
            m.payments.flags.file = flags.clone();
            m.payments.sync = true;
        }
        let mono = monolith::startup::Application::build(&m).await.unwrap();
        let monolith = format!("http://127.0.0.1:{}", mono.port());
        tokio::spawn(mono.run_until_stopped());

        let payment_db = TestDatabase::create(backend);
        let p: payment::settings::Settings =
            platform::settings::load(payment::settings::DEFAULTS, None, "PAYMENT_SYNC_NONE")
                .unwrap();
        let pe = events(p.events, options.transport, &unique, "payment");
        let payment_config = dir.join("payment.toml");
        let gate = match options.handover {
            true => Some(Gate::start(&monolith).await),
            false => None,
        };
        let inbox_side = gate.as_ref().map_or(&monolith, |g| &g.url);
        let text = payment_settings(&payment, &payment_db, inbox_side, options.transport, &pe);
        std::fs::write(&payment_config, text).unwrap();

        let config_file = dir.join("strangler.toml");
        let routes = Self::routes(
            &monolith,
            &payment,
            &flags,
            options.proxy_extra,
            options.handover,
        );
        std::fs::write(&config_file, routes).unwrap();
        let settings = strangler_proxy::settings::Settings::load(Some(&config_file)).unwrap();
        let app = Application::start(settings, Some(config_file.clone()))
            .await
            .unwrap();
        let mut stack = Self {
            proxy: format!("http://{}", app.proxy_addr()),
            admin: format!("http://{}", app.admin_addr()),
            monolith,
            payment,
            monolith_db: Db::connect(&m.database, monolith::migrations()).unwrap(),
            flags: FlagsFile(flags),
            client: reqwest::Client::new(),
            gate,
            payment_process: None,
            payment_config,
            events: relaying,
            relay: None,
            config_file,
            proxy_extra: options.proxy_extra.to_owned(),
            handover: options.handover,
            dir,
            _app: app,
            _dbs: vec![monolith_db, payment_db],
        };
        stack.start_payment().await;
        stack
    }

    /// The proxy's settings: the payments route's new side at `new`, deciding
    /// by the payment's id, its data context `payments` synced (held during
    /// a handover) when `handover`; fulfillment is not part of these tests
    /// (its routes point nowhere).
    fn routes(monolith: &str, new: &str, flags: &Path, extra: &str, handover: bool) -> String {
        let nowhere = format!("http://127.0.0.1:{}", free_port());
        let mut routes = decided_by_record(&config(monolith, new, &nowhere, flags));
        if handover {
            routes = routes.replace(
                "record_param = \"id\"\n",
                "record_param = \"id\"\ndata = \"payments\"\nsync = true\n",
            );
        }
        routes + extra
    }

    /// Starts the monolith's relay: what its outbox kept goes first, in
    /// order (the local stack's `stack sync on`).
    pub fn sync_on(&mut self) {
        assert!(self.relay.is_none(), "sync is on already");
        self.relay = Relay::spawn(self.monolith_db.clone(), &self.events).unwrap();
        assert!(self.relay.is_some(), "the monolith's relay did not start");
    }

    /// Stops the monolith's relay: its changes wait in its outbox until
    /// [`SyncStack::sync_on`].
    pub async fn sync_off(&mut self) {
        let relay = self.relay.take().expect("sync is on");
        relay.stop().await;
    }

    /// Starts the payment service's process (again: same port, same database)
    /// and waits until it is ready.
    pub async fn start_payment(&mut self) {
        assert!(self.payment_process.is_none(), "the payment service runs");
        let child = Command::new(payment_bin())
            .arg("--config")
            .arg(&self.payment_config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.payment_process = Some(child);
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

    /// `kill -9` of the payment service; returns once it is gone.
    pub fn kill_payment(&mut self) {
        let mut child = self
            .payment_process
            .take()
            .expect("the payment service runs");
        child.kill().unwrap();
        child.wait().unwrap();
    }

    /// Points the payments route's new side at `new` (a candidate in front of
    /// the service, or the service itself) and has the proxy reload.
    pub async fn repoint_payments(&self, new: &str) {
        let text = Self::routes(
            &self.monolith,
            new,
            &self.flags.0,
            &self.proxy_extra,
            self.handover,
        );
        std::fs::write(&self.config_file, text).unwrap();
        let res = self
            .client
            .post(format!("{}/admin/reload", self.admin))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "reload: {}", res.status());
    }

    pub async fn admin_get(&self, path: &str) -> Value {
        let res = self
            .client
            .get(format!("{}{path}", self.admin))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        res.json().await.unwrap()
    }

    pub async fn send(&self, method: reqwest::Method, url: String, body: Option<Value>) -> Value {
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

    pub async fn post(&self, url: String, body: Value) -> Value {
        self.send(reqwest::Method::POST, url, Some(body)).await
    }

    /// A customer and `units` of stock item `W-1` at 30.00, through the
    /// proxy: the customer's id (to order `W-1` for 30.00 a unit).
    pub async fn customer_with_stock(&self, units: i64) -> i64 {
        let proxy = &self.proxy;
        let cust = self
            .post(
                format!("{proxy}/api/v1/customers"),
                serde_json::json!({"nm": "Ada", "eml": "ada@example.com",
                   "bill": {"nm": "Ada", "ln1": "1 Lane", "city": "London", "zip": "N1", "ctry": "GB"}}),
            )
            .await["id"]
            .as_i64()
            .unwrap();
        let put = self.client.put(format!("{proxy}/api/v1/inventory/W-1"));
        let res = put
            .json(&serde_json::json!({"nm": "Widget", "px": 3000, "cur": "EUR"}))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "stock item: {}", res.status());
        self.post(
            format!("{proxy}/api/v1/inventory/W-1/adjust"),
            serde_json::json!({"dq": units, "rsn": "stock"}),
        )
        .await;
        cust
    }

    pub async fn get(&self, url: String) -> Option<Value> {
        let res = self.client.get(&url).send().await.unwrap();
        if res.status() == StatusCode::NOT_FOUND {
            return None;
        }
        assert!(res.status().is_success(), "{url}: {}", res.status());
        Some(res.json().await.unwrap())
    }

    /// Polls `url` until `done` holds for its body; fails after 30 s.
    pub async fn wait_until(
        &self,
        url: String,
        what: &str,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
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

    /// Waits until neither side has a sync change left to deliver (`GET
    /// /sync/status` shows `pending: 0` on both): once writes have stopped.
    pub async fn drained(&self) {
        self.wait_for_sync("drained", |s| s["pending"] == 0).await;
    }

    /// Waits until each side's oldest undelivered sync change is under a
    /// second old: under continuous writes, the other side is current (what
    /// the proxy's gate asks before `canary` or `new`, with its own limit).
    pub async fn caught_up(&self) {
        self.wait_for_sync("caught up", |s| {
            s["oldest_pending_age_seconds"]
                .as_f64()
                .is_some_and(|age| age < 1.0)
        })
        .await;
    }

    /// Polls `GET /sync/status` of both sides until `done` holds for each;
    /// fails after 30 s a side.
    async fn wait_for_sync(&self, what: &str, done: impl Fn(&Value) -> bool) {
        for side in [&self.monolith, &self.payment] {
            let url = format!("{side}{}", platform::sync::status::PATH);
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                let status = self.get(url.clone()).await;
                if status.as_ref().is_some_and(&done) {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "sync from {side} never {what}: {status:?}"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }

    /// Who answers a read of `path` through the proxy now.
    pub async fn backend_of(&self, path: &str) -> String {
        let res = self
            .client
            .get(format!("{}{path}", self.proxy))
            .send()
            .await
            .unwrap();
        served_by(&res)
    }

    /// Waits until the proxy reports `route` in `mode` (it re-reads the
    /// flags file within a second).
    pub async fn wait_for_mode(&self, route: &str, mode: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let routes = self.admin_get("/admin/routes").await;
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

    /// Polls the proxy until `path` is served by `backend`.
    pub async fn wait_for_backend(&self, path: &str, backend: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if self.backend_of(path).await == backend {
                return;
            }
            assert!(Instant::now() < deadline, "{path} never moved to {backend}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn stop(mut self) {
        self.stop_payment();
        if let Some(relay) = self.relay.take() {
            relay.stop().await;
        }
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

impl SyncStack {
    fn stop_payment(&mut self) {
        if let Some(mut child) = self.payment_process.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A failed test leaves no payment service behind.
impl Drop for SyncStack {
    fn drop(&mut self) {
        self.stop_payment();
    }
}
