//! Sync lag gates the promotion of a synced route, with real sides: each is
//! an outbox on a real database (both backends), its HTTP relay and its
//! `GET /sync/status` (platform's), and the relays deliver to an inbox that
//! refuses until told otherwise. While the monolith's change waits, the gate
//! refuses and names the direction, `strangler status` and `/metrics` show
//! the lag; once the change is delivered, the gate grants. A side that does
//! not answer is "unknown", never 0, and keeps the gate closed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::proxy::TestProxy;
use support::unleash_files::{document, simple_flag};

use actix_web::{App, HttpResponse, HttpServer, web};
use platform::db::{Db, Target};
use platform::outbox::{self, Event};
use platform::relay::{EventsSettings, Relay, Transport};
use platform::sync::status::{SyncSide, SyncStatus};
use platform::testing::{TestBackend, TestDatabase};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use strangler_proxy::app::Application;

const TOKEN: &str = "sync-lag-test-token-0123456789";

/// An inbox that answers 503 until `accept` is set.
async fn inbox(accept: Arc<AtomicBool>) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/inbox", listener.local_addr().unwrap());
    let server = HttpServer::new(move || {
        let accept = accept.clone();
        App::new().route(
            "/inbox",
            web::post().to(move || {
                let open = accept.load(Ordering::SeqCst);
                async move {
                    match open {
                        true => HttpResponse::Ok().json(json!({ "outcome": "applied" })),
                        false => HttpResponse::ServiceUnavailable().finish(),
                    }
                }
            }),
        )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    url
}

/// One side of the sync: its outbox, its relay to `inbox`, its status.
struct Side {
    url: String,
    db: Db,
    _relay: Option<Relay>,
    _database: TestDatabase,
}

async fn side(backend: TestBackend, origin: &str, inbox: &str) -> Side {
    let database = TestDatabase::create(backend);
    let db = database.unmigrated_db();
    let ddl = match db.target() {
        Target::Postgres(_) => outbox::DDL_POSTGRES,
        Target::Sqlite(_) => outbox::DDL_SQLITE,
    };
    db.write(move |c| {
        use diesel::connection::SimpleConnection;
        c.batch_execute(ddl)?;
        c.batch_execute(outbox::DDL_TRACE_CONTEXT)
            .map_err(platform::Problem::from)
    })
    .await
    .unwrap();
    let events = EventsSettings {
        transport: Transport::Http,
        subscribers: vec![inbox.to_owned()],
        nats_url: "127.0.0.1:4222".into(),
        stream: "EVENTS".into(),
        subject_prefix: "events".into(),
        consumer: origin.into(),
        poll_interval_ms: 50,
        batch_size: 100,
        max_backoff_ms: 200,
        publish_timeout_ms: 2000,
    };
    let relay = Relay::spawn(db.clone(), &events).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (data, sync) = (
        web::Data::new(db.clone()),
        // Two data contexts on one side, as the monolith has: the proxy
        // asks by the route's `data` and sees only its own.
        web::Data::new(
            SyncSide::new(origin, &events)
                .context("payments", &["payment"])
                .context("fulfillment", &["order"]),
        ),
    );
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(sync.clone())
            .configure(platform::sync::status::configure)
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    Side {
        url,
        db,
        _relay: relay,
        _database: database,
    }
}

impl Side {
    /// Records a sync change of `origin` that happened two minutes ago, a
    /// change of another data context (which a payments route's reading
    /// does not count), and an event of another kind (which no sync status
    /// counts).
    async fn record_old_change(&self, origin: &str) {
        let mut change = Event::new(
            "payment",
            "17",
            &format!("{origin}.payment.changed"),
            &json!({ "v": 1 }),
        )
        .unwrap();
        change.occurred_at -= chrono::TimeDelta::minutes(2);
        let other = Event::new("payment", "17", "payment.refunded", &json!({})).unwrap();
        let order =
            Event::new("order", "5", &format!("{origin}.order.changed"), &json!({})).unwrap();
        self.db
            .write(move |c| {
                outbox::record(c, &change)?;
                outbox::record(c, &order)?;
                outbox::record(c, &other).map_err(platform::Problem::from)
            })
            .await
            .unwrap();
    }

    async fn status(&self) -> SyncStatus {
        reqwest::get(format!("{}/sync/status", self.url))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

async fn proxy(legacy: &str, new: &str) -> TestProxy {
    // The stage flags exist, off, so a granted promotion can switch one on.
    let flags = document(vec![
        simple_flag("payments.canary", false),
        simple_flag("payments.new", false),
    ]);
    TestProxy::builder()
        .legacy_url(legacy)
        .token(TOKEN)
        .flags(flags)
        .toml(&format!(
            r#"
[gate]
min_samples = 0
max_sync_lag = "30s"
[sync]
poll_interval = "1s"
[[routes]]
name = "payments"
patterns = ["/api/v1/payments/{{id}}"]
new = "{new}"
data = "payments"
sync = true
[routes.flags]
canary = "payments.canary"
new = "payments.new"
"#
        ))
        .spawn()
        .await
}

async fn promote_to_canary(app: &TestProxy) -> (u16, Value) {
    let to = json!({ "to": "canary" });
    app.admin(
        reqwest::Method::POST,
        "/admin/routes/payments/promote",
        Some(&to),
    )
    .await
}

/// The route page of `payments` as a real (headless) browser renders it.
fn dashboard_route(app: &Application) -> String {
    let url = format!(
        "http://{}/dashboard/login?token={TOKEN}&next=/dashboard/routes/payments",
        app.admin_addr()
    );
    let out = tokio::task::block_in_place(|| {
        platform::testing::chromium::headless(&["--dump-dom"], &url)
    });
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

async fn metrics(app: &Application) -> String {
    reqwest::get(format!("http://{}/metrics", app.admin_addr()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Waits (up to a generous bound, never judged on speed) until `done`.
async fn eventually<F: std::future::Future<Output = bool>>(
    what: &str,
    mut done: impl FnMut() -> F,
) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done().await {
        assert!(Instant::now() < deadline, "never happened: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn a_pending_change_keeps_the_gate_closed_until_delivered(backend: TestBackend) {
    let accept = Arc::new(AtomicBool::new(false));
    let inbox = inbox(accept.clone()).await;
    let (legacy, new) = (
        side(backend, "legacy", &inbox).await,
        side(backend, "new", &inbox).await,
    );
    legacy.record_old_change("legacy").await;
    let status = legacy.status().await;
    assert_eq!(status.pending, 2, "only sync changes count: {status:?}");
    assert!(status.oldest_pending_age_seconds >= 120.0, "{status:?}");

    let app = proxy(&legacy.url, &new.url).await;
    let (code, refused) = promote_to_canary(&app).await;
    assert_eq!(code, 409, "{refused}");
    let detail = refused["detail"].as_str().unwrap();
    assert!(
        detail.contains("sync legacy → new of `payments` lags 1")
            && detail.contains("s (1 changes pending), above gate.max_sync_lag (30s)")
            && !detail.contains("new → legacy"),
        "{detail}"
    );

    let text = app.cli(&["status"]).await;
    let row = |arrow: &str| {
        text.lines()
            .find(|l| l.starts_with("payments") && l.contains(arrow))
            .unwrap_or_else(|| panic!("no {arrow} row in:\n{text}"))
            .to_owned()
    };
    assert!(
        row("legacy → new").contains("(1 pending)") && row("legacy → new").contains(&legacy.url),
        "{text}"
    );
    assert!(row("new → legacy").contains("0.0 s (0 pending)"), "{text}");
    let page = dashboard_route(&app);
    assert!(
        page.contains("Sync lag")
            && page.contains("legacy → new")
            && page.contains("s (1 pending)")
            && page.contains("0.0 s (0 pending)"),
        "{page}"
    );
    let scraped = metrics(&app).await;
    assert!(
        scraped.contains(
            r#"strangler_sync_pending_events{data="payments",direction="legacy_to_new"} 1"#
        ) && scraped
            .contains(r#"strangler_sync_lag_seconds{data="payments",direction="new_to_legacy"} 0"#),
        "{scraped}"
    );

    accept.store(true, Ordering::SeqCst);
    eventually("the relay delivers the change", || async {
        legacy.status().await.pending == 0
    })
    .await;
    eventually("the proxy reads the caught-up side", || async {
        let (_, status) = app.admin(reqwest::Method::GET, "/admin/status", None).await;
        status["sync"]
            .as_array()
            .is_some_and(|r| r.iter().all(|r| r["pending"] == json!(0)))
    })
    .await;
    let granted = app.cli(&["promote", "payments", "--to", "canary"]).await;
    assert!(
        granted.contains("(granted)")
            && granted.contains(
                "; sync legacy → new 0.0 s (0 pending); sync new → legacy 0.0 s (0 pending)"
            ),
        "{granted}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_side_that_does_not_answer_is_unknown_and_keeps_the_gate_closed() {
    let app = proxy("http://127.0.0.1:9", "http://127.0.0.1:9").await;
    let (code, refused) = promote_to_canary(&app).await;
    assert_eq!(code, 409, "{refused}");
    let detail = refused["detail"].as_str().unwrap();
    for arrow in ["legacy → new", "new → legacy"] {
        assert!(
            detail.contains(&format!("sync {arrow} of `payments` is unknown: http://127.0.0.1:9/sync/status does not answer")),
            "{detail}"
        );
    }
    let text = app.cli(&["status"]).await;
    assert!(
        text.contains("unknown: http://127.0.0.1:9/sync/status does not answer"),
        "{text}"
    );
    let scraped = metrics(&app).await;
    assert!(
        scraped.contains(
            r#"strangler_sync_lag_seconds{data="payments",direction="legacy_to_new"} NaN"#
        ),
        "{scraped}"
    );
    app.stop().await;
}

platform::both_backends!(a_pending_change_keeps_the_gate_closed_until_delivered);
