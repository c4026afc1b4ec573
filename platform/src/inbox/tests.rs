//! The inbox on both backends: each event applied once, a failed handler
//! leaves nothing behind, the handler runs in the sender's trace, and
//! `POST /inbox` answers bad input with problems.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::testing::{TestBackend, TestDatabase};
use diesel::connection::SimpleConnection;
use serde_json::{Value, json};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

const PARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// A database with the inbox and a table the test handler writes to.
pub(crate) async fn setup(backend: TestBackend) -> (TestDatabase, Db) {
    crate::telemetry::init_for_tests();
    let test_db = TestDatabase::create(backend);
    let db = test_db.unmigrated_db();
    db.write(|c| {
        c.batch_execute(DDL)?;
        c.batch_execute("CREATE TABLE applied (event_id TEXT NOT NULL, n BIGINT NOT NULL)")
            .map_err(Problem::from)
    })
    .await
    .unwrap();
    (test_db, db)
}

/// Writes one `applied` row per call: what a real handler's effect looks like.
pub(crate) fn record_applied(conn: &mut AnyConnection, event: &Envelope) -> Result<(), Problem> {
    let n = event.payload["n"].as_i64().unwrap_or(-1);
    conn.batch_execute(&format!(
        "INSERT INTO applied (event_id, n) VALUES ('{}', {n})",
        event.event_id.replace('\'', "")
    ))?;
    Ok(())
}

pub(crate) async fn applied_rows(db: &Db) -> Vec<i64> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    db.read(|c| {
        diesel::sql_query("SELECT n FROM applied ORDER BY n")
            .load::<Row>(c)
            .map_err(Problem::from)
    })
    .await
    .unwrap()
    .into_iter()
    .map(|r| r.n)
    .collect()
}

fn envelope(event_type: &str, n: i64) -> Envelope {
    Envelope {
        event_id: uuid::Uuid::now_v7().to_string(),
        event_type: event_type.into(),
        aggregate_type: "thing".into(),
        aggregate_id: "t-1".into(),
        occurred_at: Utc::now(),
        payload: json!({ "n": n }),
    }
}

async fn a_duplicate_is_applied_once(backend: TestBackend) {
    let (_guard, db) = setup(backend).await;
    let inbox = Inbox::new(db.clone()).on("thing.happened", record_applied);
    let event = envelope("thing.happened", 1);
    assert_eq!(
        inbox.receive(event.clone(), None).await.unwrap(),
        Received::Applied
    );
    assert_eq!(
        inbox.receive(event.clone(), None).await.unwrap(),
        Received::Duplicate
    );
    assert_eq!(applied_rows(&db).await, vec![1]);
    let id = event.event_id.clone();
    assert!(
        db.read(move |c| applied(c, &id).map_err(Problem::from))
            .await
            .unwrap()
    );
    let other = envelope("thing.ignored", 2);
    let id = other.event_id.clone();
    assert_eq!(inbox.receive(other, None).await.unwrap(), Received::Ignored);
    assert!(
        !db.read(move |c| applied(c, &id).map_err(Problem::from))
            .await
            .unwrap(),
        "an ignored event is not recorded"
    );
}

async fn a_failed_handler_leaves_the_event_to_come_again(backend: TestBackend) {
    let (_guard, db) = setup(backend).await;
    let broken = Arc::new(AtomicBool::new(true));
    let flag = broken.clone();
    let inbox = Inbox::new(db.clone()).on("thing.happened", move |c, e| {
        record_applied(c, e)?;
        if flag.load(Ordering::SeqCst) {
            return Err(Problem::unavailable("the handler's dependency is down"));
        }
        Ok(())
    });
    let event = envelope("thing.happened", 7);
    let err = inbox.receive(event.clone(), None).await.unwrap_err();
    assert_eq!(err.status().as_u16(), 503);
    assert!(applied_rows(&db).await.is_empty(), "rolled back");
    broken.store(false, Ordering::SeqCst);
    assert_eq!(inbox.receive(event, None).await.unwrap(), Received::Applied);
    assert_eq!(applied_rows(&db).await, vec![7]);
}

async fn the_handler_runs_in_the_senders_trace(backend: TestBackend) {
    let (_guard, db) = setup(backend).await;
    let seen = Arc::new(Mutex::new(None));
    let into = seen.clone();
    let inbox = Inbox::new(db).on("thing.happened", move |_, _| {
        *into.lock().unwrap() = TraceContext::current();
        Ok(())
    });
    let sent = TraceContext::parse(PARENT, Some("congo=t61rcWkgMzE")).unwrap();
    inbox
        .receive(envelope("thing.happened", 1), Some(sent.clone()))
        .await
        .unwrap();
    let seen = seen
        .lock()
        .unwrap()
        .clone()
        .expect("a trace in the handler");
    assert_eq!(seen.trace_id(), sent.trace_id());
    assert_ne!(seen.traceparent, sent.traceparent, "the handler's own span");
    assert_eq!(seen.tracestate, sent.tracestate);
}

/// `POST /inbox` on a real listener.
async fn the_http_inbox_applies_once_and_refuses_bad_input(backend: TestBackend) {
    let (_guard, db) = setup(backend).await;
    let seen = Arc::new(Mutex::new(None));
    let into = seen.clone();
    let inbox = Inbox::new(db.clone()).on("thing.happened", move |c, e| {
        *into.lock().unwrap() = TraceContext::current();
        record_applied(c, e)
    });
    let (base, server) = serve(inbox);
    let client = reqwest::Client::new();
    let event = envelope("thing.happened", 3);
    let post = |body: Value, key: Option<&str>| {
        let mut req = client
            .post(format!("{base}{}", http::PATH))
            .header(crate::trace_context::TRACEPARENT, PARENT)
            .json(&body);
        if let Some(key) = key {
            req = req.header("Idempotency-Key", key);
        }
        req.send()
    };
    let body = serde_json::to_value(&event).unwrap();
    for expected in ["applied", "duplicate"] {
        let res = post(body.clone(), Some(&event.event_id)).await.unwrap();
        assert_eq!(res.status(), 200);
        let answer: Value = res.json().await.unwrap();
        assert_eq!(answer["outcome"], expected);
        assert_eq!(answer["event_id"], event.event_id.as_str());
    }
    assert_eq!(applied_rows(&db).await, vec![3]);
    let traced = seen.lock().unwrap().clone().unwrap();
    assert_eq!(traced.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");

    let mut missing = body.clone();
    missing.as_object_mut().unwrap().remove("event_type");
    let mut wrong_type = body.clone();
    wrong_type["occurred_at"] = json!("yesterday");
    let mut empty_id = serde_json::to_value(envelope("thing.happened", 4)).unwrap();
    empty_id["event_id"] = json!(" ");
    for (bad, key, status, field) in [
        (missing, None, 422, "."),
        (wrong_type, None, 422, "occurred_at"),
        (body.clone(), Some("another-id"), 422, "event_id"),
        (empty_id, None, 422, "event_id"),
    ] {
        let res = post(bad, key).await.unwrap();
        assert_eq!(res.status(), status);
        assert_eq!(
            res.headers()["content-type"],
            "application/problem+json",
            "{field}"
        );
        let problem: Value = res.json().await.unwrap();
        assert_eq!(problem["field"], field, "{problem}");
        assert!(!problem["detail"].as_str().unwrap().is_empty());
    }
    let res = client
        .post(format!("{base}{}", http::PATH))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(applied_rows(&db).await, vec![3], "nothing else applied");
    server.stop(true).await;
}

/// An app with the inbox on 127.0.0.1:0; returns its base URL.
pub(crate) fn serve(inbox: Inbox) -> (String, actix_web::dev::ServerHandle) {
    let data = actix_web::web::Data::new(inbox);
    let server = actix_web::HttpServer::new(move || {
        crate::server::base_app(65536, crate::metrics::Metrics::new().unwrap())
            .app_data(data.clone())
            .configure(http::configure)
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let port = server.addrs()[0].port();
    let server = server.run();
    let handle = server.handle();
    tokio::spawn(server);
    (format!("http://127.0.0.1:{port}"), handle)
}

crate::both_backends!(
    a_duplicate_is_applied_once,
    a_failed_handler_leaves_the_event_to_come_again,
    the_handler_runs_in_the_senders_trace,
    the_http_inbox_applies_once_and_refuses_bad_input,
);
