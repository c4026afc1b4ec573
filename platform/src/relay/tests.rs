//! The relay against real subscribers on both backends: over HTTP to an inbox
//! on 127.0.0.1, and through the NATS JetStream server at `TEST_NATS_URL`
//! (default 127.0.0.1:4222) with a stream, subjects and consumer of its own,
//! or a NATS server of the test's own where the broker is killed.
//! Events go in `seq` order, are marked delivered only when acknowledged,
//! survive a failing transport, arrive once, and carry the trace they were
//! recorded in.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::inbox::tests::{applied_rows, record_applied, serve, setup};
use crate::inbox::{self, Inbox};
use crate::outbox::{DDL_POSTGRES, DDL_SQLITE, DDL_TRACE_CONTEXT, Event};
use crate::testing::TestBackend;
use crate::trace_context::TraceContext;
use actix_web::dev::Service;
use diesel::connection::SimpleConnection;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tracing::Instrument;

/// The inbox test database plus an outbox: one database plays both sides.
async fn setup_both(backend: TestBackend) -> (crate::testing::TestDatabase, Db) {
    let (guard, db) = setup(backend).await;
    let ddl = match db.target() {
        crate::db::Target::Postgres(_) => DDL_POSTGRES,
        crate::db::Target::Sqlite(_) => DDL_SQLITE,
    };
    db.write(move |c| {
        c.batch_execute(ddl)?;
        c.batch_execute(DDL_TRACE_CONTEXT).map_err(Problem::from)
    })
    .await
    .unwrap();
    (guard, db)
}

fn settings(transport: Transport, subscribers: Vec<String>) -> EventsSettings {
    let unique = uuid::Uuid::new_v4().simple().to_string();
    EventsSettings {
        transport,
        subscribers,
        nats_url: std::env::var("TEST_NATS_URL").unwrap_or_else(|_| "127.0.0.1:4222".into()),
        stream: format!("TEST_{unique}"),
        subject_prefix: format!("test_{unique}"),
        consumer: format!("consumer_{unique}"),
        poll_interval_ms: 20,
        batch_size: 2,
        max_backoff_ms: 100,
        publish_timeout_ms: 5000,
    }
}

/// Records events 1..=n, each in a request span of its own; returns their traces.
async fn record_events(db: &Db, from: i64, to: i64) -> Vec<TraceContext> {
    let mut traces = Vec::new();
    for n in from..=to {
        let span = tracing::info_span!("request", n);
        let trace = TraceContext::of(&span).unwrap();
        db.write(move |c| {
            let event = Event::new(
                "thing",
                "t-1",
                "thing.happened",
                &serde_json::json!({ "n": n }),
            )
            .map_err(|e| Problem::internal(&e))?;
            outbox::record(c, &event).map_err(Problem::from)
        })
        .instrument(span)
        .await
        .unwrap();
        traces.push(trace);
    }
    traces
}

async fn pending_count(db: &Db) -> usize {
    db.read(|c| outbox::pending(c, 1000).map_err(Problem::from))
        .await
        .unwrap()
        .len()
}

/// Waits (bounded) until `check` holds.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(15);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn until_empty(db: &Db) {
    eventually("the outbox is empty", || async {
        pending_count(db).await == 0
    })
    .await;
}

/// What the recording handler saw: each event's `n` and trace id, in order.
type Seen = Arc<Mutex<Vec<(i64, Option<String>)>>>;

/// An inbox whose handler records each event's `n` and trace id, in order.
fn recording_inbox(db: &Db) -> (Inbox, Seen) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let into = seen.clone();
    let inbox = Inbox::new(db.clone()).on("thing.happened", move |c, e| {
        record_applied(c, e)?;
        let trace = TraceContext::current().map(|t| t.trace_id().to_owned());
        into.lock()
            .unwrap()
            .push((e.payload["n"].as_i64().unwrap(), trace));
        Ok(())
    });
    (inbox, seen)
}

fn trace_ids(traces: &[TraceContext]) -> Vec<Option<String>> {
    traces
        .iter()
        .map(|t| Some(t.trace_id().to_owned()))
        .collect()
}

async fn over_http_events_arrive_in_order_in_their_trace(backend: TestBackend) {
    let (_guard, db) = setup_both(backend).await;
    let (inbox, seen) = recording_inbox(&db);
    let (base, server) = serve(inbox);
    let traces = record_events(&db, 1, 5).await;
    let relay = Relay::spawn(
        db.clone(),
        &settings(
            Transport::Http,
            vec![format!("{base}{}", inbox::http::PATH)],
        ),
    )
    .unwrap()
    .unwrap();
    until_empty(&db).await;
    relay.stop().await;
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5]
    );
    assert_eq!(
        seen.into_iter().map(|(_, t)| t).collect::<Vec<_>>(),
        trace_ids(&traces),
        "each handler ran in the trace its event was recorded in"
    );
    server.stop(true).await;
}

async fn a_failing_subscriber_delays_events_without_loss_or_reorder(backend: TestBackend) {
    let (_guard, db) = setup_both(backend).await;
    let (inbox, seen) = recording_inbox(&db);
    let down = Arc::new(AtomicBool::new(true));
    let refused = Arc::new(AtomicUsize::new(0));
    // The inbox behind a switch: 503 while `down`.
    let data = actix_web::web::Data::new(inbox);
    let (gate, count) = (down.clone(), refused.clone());
    let server = actix_web::HttpServer::new(move || {
        let (gate, count) = (gate.clone(), count.clone());
        crate::server::base_app(65536, crate::metrics::Metrics::new().unwrap())
            .app_data(data.clone())
            .wrap_fn(move |req, srv| {
                let refuse = gate.load(Ordering::SeqCst);
                if refuse {
                    count.fetch_add(1, Ordering::SeqCst);
                }
                let fut = srv.call(req);
                async move {
                    let res = fut.await?;
                    Ok(if refuse {
                        res.into_response(
                            actix_web::HttpResponse::ServiceUnavailable().body("down for a test"),
                        )
                    } else {
                        res.map_into_boxed_body()
                    })
                }
            })
            .configure(inbox::http::configure)
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let base = format!("http://127.0.0.1:{}", server.addrs()[0].port());
    let server = server.run();
    let handle = server.handle();
    tokio::spawn(server);

    record_events(&db, 1, 3).await;
    let relay = Relay::spawn(
        db.clone(),
        &settings(
            Transport::Http,
            vec![format!("{base}{}", inbox::http::PATH)],
        ),
    )
    .unwrap()
    .unwrap();
    eventually("the subscriber refused three times", || {
        let n = refused.load(Ordering::SeqCst);
        async move { n >= 3 }
    })
    .await;
    assert_eq!(pending_count(&db).await, 3, "nothing marked delivered");
    // The gate answers 503 after the inbox ran (an acknowledgement lost on
    // the way): the first event was applied, and nothing after it was tried.
    assert_eq!(applied_rows(&db).await, vec![1]);
    record_events(&db, 4, 5).await;
    down.store(false, Ordering::SeqCst);
    until_empty(&db).await;
    relay.stop().await;
    // Event 1 came again each retry and was applied once.
    assert_eq!(applied_rows(&db).await, vec![1, 2, 3, 4, 5]);
    let order: Vec<i64> = seen.lock().unwrap().iter().map(|(n, _)| *n).collect();
    assert_eq!(order, vec![1, 2, 3, 4, 5]);
    handle.stop(true).await;
}

async fn over_nats_events_arrive_once_in_order_in_their_trace(backend: TestBackend) {
    let (_guard, db) = setup_both(backend).await;
    let (inbox, seen) = recording_inbox(&db);
    let settings = settings(Transport::Nats, vec![]);
    let traces = record_events(&db, 1, 5).await;
    let relay = Relay::spawn(db.clone(), &settings).unwrap().unwrap();
    until_empty(&db).await;
    let consumer = crate::inbox::nats::Consumer::spawn(inbox, &settings).unwrap();
    eventually("five events applied", || {
        let n = seen.lock().unwrap().len();
        async move { n >= 5 }
    })
    .await;
    // Delivered again (as after a crash before the mark): JetStream drops the
    // repeat by Nats-Msg-Id, and the inbox would skip it anyway.
    db.write(|c| {
        c.batch_execute("UPDATE outbox SET delivered_at = NULL")
            .map_err(Problem::from)
    })
    .await
    .unwrap();
    until_empty(&db).await;
    record_events(&db, 6, 6).await;
    eventually("the sixth event applied", || {
        let n = seen.lock().unwrap().len();
        async move { n >= 6 }
    })
    .await;
    relay.stop().await;
    consumer.stop().await;
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5, 6]
    );
    assert_eq!(
        seen[..5].iter().map(|(_, t)| t.clone()).collect::<Vec<_>>(),
        trace_ids(&traces)
    );
    assert_eq!(applied_rows(&db).await, vec![1, 2, 3, 4, 5, 6]);
    delete_stream(&settings).await;
}

async fn an_unreachable_broker_leaves_events_pending(backend: TestBackend) {
    let (_guard, db) = setup_both(backend).await;
    let mut settings = settings(Transport::Nats, vec![]);
    // A port nothing listens on (bound, then released).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    settings.nats_url = format!("127.0.0.1:{port}");
    settings.publish_timeout_ms = 200;
    record_events(&db, 1, 2).await;
    let relay = Relay::spawn(db.clone(), &settings).unwrap().unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    relay.stop().await;
    assert_eq!(pending_count(&db).await, 2);
}

/// A NATS server of the test's own (the broker the other tests share must
/// not be killed), with JetStream storing in a folder that outlives it, so
/// a restart finds the stream and the consumer's position where they were.
struct Broker {
    port: u16,
    store: std::path::PathBuf,
    process: Option<std::process::Child>,
}

impl Broker {
    fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut broker = Self {
            port,
            store: std::env::temp_dir().join(format!("nats-{}", uuid::Uuid::new_v4().simple())),
            process: None,
        };
        broker.restart();
        broker
    }

    fn url(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Starts the server (again) on the same port and store, and waits until
    /// it accepts connections.
    fn restart(&mut self) {
        let process = std::process::Command::new("nats-server")
            .args([
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-js",
                "-sd",
            ])
            .arg(&self.store)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("nats-server must be installed (scripts/test installs it)");
        self.process = Some(process);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "nats-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL: no goodbye to the clients, nothing flushed on purpose.
    fn kill(&mut self) {
        if let Some(mut process) = self.process.take() {
            process.kill().unwrap();
            process.wait().unwrap();
        }
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.store);
    }
}

/// The broker killed while relay and consumer run, events recorded while it
/// is gone, then the broker back: every event arrives, once, in order, and
/// the relay and the consumer carry on by themselves (no restart of either).
async fn a_broker_restart_loses_nothing(backend: TestBackend) {
    let (_guard, db) = setup_both(backend).await;
    let (inbox, seen) = recording_inbox(&db);
    let mut broker = Broker::start();
    let mut settings = settings(Transport::Nats, vec![]);
    settings.nats_url = broker.url();
    settings.publish_timeout_ms = 500;
    let relay = Relay::spawn(db.clone(), &settings).unwrap().unwrap();
    let consumer = crate::inbox::nats::Consumer::spawn(inbox, &settings).unwrap();
    let applied = |n: usize| {
        let seen = seen.clone();
        move || {
            let count = seen.lock().unwrap().len();
            async move { count >= n }
        }
    };
    record_events(&db, 1, 3).await;
    eventually("three events applied", applied(3)).await;

    broker.kill();
    record_events(&db, 4, 6).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(
        pending_count(&db).await,
        3,
        "with the broker gone the events wait in the outbox"
    );

    broker.restart();
    until_empty(&db).await;
    // Within the ack wait (5 s): a broker killed before it stored the
    // consumer's last ack delivers that message again first.
    eventually("all six events applied", applied(6)).await;
    // A moment for anything that would arrive twice.
    tokio::time::sleep(Duration::from_millis(500)).await;
    relay.stop().await;
    consumer.stop().await;
    let order: Vec<i64> = seen.lock().unwrap().iter().map(|(n, _)| *n).collect();
    assert_eq!(order, vec![1, 2, 3, 4, 5, 6]);
    assert_eq!(applied_rows(&db).await, vec![1, 2, 3, 4, 5, 6]);
}

/// A durable consumer left by an older release (30 s ack wait) takes this
/// release's config when the consumer starts, and keeps its position.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_durable_consumer_takes_the_current_config() {
    use async_nats::jetstream::consumer::{AckPolicy, DeliverPolicy, pull};
    let (_guard, db) = setup_both(TestBackend::Sqlite).await;
    let (inbox, seen) = recording_inbox(&db);
    let settings = settings(Transport::Nats, vec![]);
    let (_js, stream) = super::nats::connect(&settings).await.unwrap();
    let old: async_nats::jetstream::consumer::Consumer<pull::Config> = stream
        .create_consumer(pull::Config {
            durable_name: Some(settings.consumer.clone()),
            filter_subject: settings.subject(inbox.event_types().next().unwrap()),
            ack_policy: AckPolicy::Explicit,
            deliver_policy: DeliverPolicy::All,
            max_ack_pending: 1,
            ack_wait: Duration::from_secs(30),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(old.cached_info().config.ack_wait, Duration::from_secs(30));
    record_events(&db, 1, 3).await;
    let relay = Relay::spawn(db.clone(), &settings).unwrap().unwrap();
    until_empty(&db).await;
    let consumer = crate::inbox::nats::Consumer::spawn(inbox, &settings).unwrap();
    eventually("three events applied", || {
        let n = seen.lock().unwrap().len();
        async move { n >= 3 }
    })
    .await;
    let info = stream.consumer_info(&settings.consumer).await.unwrap();
    assert_eq!(info.config.ack_wait, crate::inbox::nats::ACK_WAIT);
    relay.stop().await;
    consumer.stop().await;
    assert_eq!(applied_rows(&db).await, vec![1, 2, 3]);
    delete_stream(&settings).await;
}

async fn delete_stream(settings: &EventsSettings) {
    let client = async_nats::connect(settings.nats_url.as_str())
        .await
        .unwrap();
    async_nats::jetstream::new(client)
        .delete_stream(&settings.stream)
        .await
        .unwrap();
}

crate::both_backends!(
    over_http_events_arrive_in_order_in_their_trace,
    a_failing_subscriber_delays_events_without_loss_or_reorder,
    over_nats_events_arrive_once_in_order_in_their_trace,
    an_unreachable_broker_leaves_events_pending,
    a_broker_restart_loses_nothing,
);
