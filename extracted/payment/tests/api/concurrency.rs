//! Optimistic concurrency on the ledger: two appends at one expected version
//! (one wins, the other is told), and concurrent refunds over HTTP (retried,
//! never lost, never above the capture).

use crate::helpers::{expect, spawn_app};
use payment::error::CommandError;
use payment::ledger::events::PaymentEvent;
use payment::ledger::store;
use platform::testing::TestBackend;
use reqwest::StatusCode;
use uuid::Uuid;

async fn a_stale_append_is_refused_and_nothing_is_lost(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let p = app.create_payment(&crate::helpers::card(1, "10.00")).await;
    let id = Uuid::parse_str(p["id"].as_str().unwrap()).unwrap();
    let at = chrono::Utc::now();
    let first = app
        .db
        .write(move |c| store::append(c, id, 1, &[PaymentEvent::Voided { at }]))
        .await;
    assert_eq!(first.unwrap(), 2);
    let second = app
        .db
        .write(move |c| {
            let capture = PaymentEvent::Captured {
                amount_minor: 1000,
                at,
            };
            store::append(c, id, 1, &[capture])
        })
        .await;
    assert!(
        matches!(second, Err(CommandError::Conflict(_))),
        "{second:?}"
    );
    let events = app.db.write(move |c| store::load(c, id)).await.unwrap();
    let names: Vec<_> = events.iter().map(|(v, e)| (*v, e.name())).collect();
    assert_eq!(names, [(1, "payment.authorized"), (2, "payment.voided")]);
}

async fn concurrent_refunds_are_all_counted(backend: TestBackend) {
    let app = std::sync::Arc::new(spawn_app(backend).await);
    let p = app.captured_payment(4, "100.00").await;
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let (app, p) = (app.clone(), p.clone());
            tokio::spawn(async move {
                let res = app.refund(&p, "10.00").await;
                (res.status(), res.text().await.unwrap())
            })
        })
        .collect();
    let mut created = 0;
    for t in tasks {
        let (status, body) = t.await.unwrap();
        match status {
            StatusCode::CREATED => created += 1,
            // Above the refundable rest, or still losing races after the retries.
            StatusCode::CONFLICT => {}
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(created, 10, "exactly the capture can be refunded");
    let id = p["id"].as_str().unwrap();
    let after = expect(app.get(&format!("/v2/payments/{id}")).await, StatusCode::OK).await;
    assert_eq!(after["status"], "refunded");
    assert_eq!(after["refunded"]["amount"], "100.00");
    assert_eq!(after["version"], 2 + created);
    assert_eq!(app.count("refunds").await, created);
    assert_eq!(app.count("payment_events").await, 2 + created);
}

platform::both_backends!(
    a_stale_append_is_refused_and_nothing_is_lost,
    concurrent_refunds_are_all_counted,
);
