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

/// Captures and voids race for one authorised payment: each loser either
/// retried and then saw the winner's state, or was told; exactly one wins.
async fn racing_transitions_have_one_winner(backend: TestBackend) {
    let app = std::sync::Arc::new(spawn_app(backend).await);
    let p = app.create_payment(&crate::helpers::card(6, "8.00")).await;
    let id = p["id"].as_str().unwrap().to_owned();
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let (app, id) = (app.clone(), id.clone());
            let action = if i % 2 == 0 { "capture" } else { "void" };
            tokio::spawn(async move {
                let res = app
                    .post_empty(&format!("/v2/payments/{id}/{action}"), false)
                    .await;
                res.status()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    let wins = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert_eq!(wins, 1, "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::CONFLICT)
    );
    assert_eq!(app.count("payment_events").await, 2);
    assert_eq!(app.count("outbox").await, 2);
    let after = expect(app.get(&format!("/v2/payments/{id}")).await, StatusCode::OK).await;
    assert_eq!(after["version"], 2);
}

/// A conflict is retried up to `MAX_ATTEMPTS` times, then answered with 409.
async fn conflicts_are_retried_then_refused(backend: TestBackend) {
    use payment::http::support::{MAX_ATTEMPTS, run_command};
    use platform::dry_run::DryRun;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};
    let app = spawn_app(backend).await;
    let tries = Arc::new(AtomicU32::new(0));
    let counter = tries.clone();
    let flaky = move |_: &mut platform::db::AnyConnection| {
        if counter.fetch_add(1, Ordering::SeqCst) < 2 {
            Err(CommandError::Conflict("s".into()))
        } else {
            Ok(7)
        }
    };
    assert_eq!(
        run_command(&app.db, DryRun::default(), flaky)
            .await
            .unwrap(),
        7
    );
    assert_eq!(tries.load(Ordering::SeqCst), 3);
    let tries = Arc::new(AtomicU32::new(0));
    let counter = tries.clone();
    let hopeless = move |_: &mut platform::db::AnyConnection| {
        counter.fetch_add(1, Ordering::SeqCst);
        Err::<(), _>(CommandError::Conflict("s".into()))
    };
    let problem = run_command(&app.db, DryRun::default(), hopeless)
        .await
        .unwrap_err();
    assert_eq!(problem.status().as_u16(), 409);
    assert_eq!(tries.load(Ordering::SeqCst), MAX_ATTEMPTS);
}

platform::both_backends!(
    conflicts_are_retried_then_refused,
    a_stale_append_is_refused_and_nothing_is_lost,
    concurrent_refunds_are_all_counted,
    racing_transitions_have_one_winner,
);
