//! Shadowed writes against the real payment service: the candidate runs a
//! refund as a dry run, so its database keeps no row and no outbox event,
//! while the monolith serves the client and the comparison is recorded.

use crate::stack::{Stack, TOKEN};
use platform::db::{Db, DbError};
use platform::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

platform::both_backends!(a_shadowed_refund_leaves_nothing_in_the_service);

async fn outbox_events(db: &Db) -> usize {
    db.read(|conn| platform::outbox::pending(conn, 100_000).map_err(DbError::Query))
        .await
        .unwrap()
        .len()
}

async fn a_shadowed_refund_leaves_nothing_in_the_service(backend: TestBackend) {
    let stack = Stack::start(backend).await;
    let pay = stack.paid_order().await;
    stack.backfill_payment(pay).await;
    let service_db = Db::connect(&stack.payment_db, payment::migrations()).unwrap();
    let events_before = outbox_events(&service_db).await;

    stack.flags.enable("payments.shadow");
    stack.wait_for_flag("payments.shadow", true, "100%").await;
    let refund = stack
        .client
        .post(format!("{}/api/v1/payments/{pay}/refunds", stack.proxy))
        .header("x-customer-id", "customer-9")
        .json(&json!({"amt": 300, "rsn": "shadowed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refund.status(), StatusCode::CREATED);
    assert_eq!(
        refund.headers()["x-strangler-backend"],
        "legacy",
        "the monolith served the client"
    );

    // The comparison arrives off the client's path.
    let deadline = Instant::now() + Duration::from_secs(20);
    let route = loop {
        let url = format!(
            "{}/admin/shadow/report?route=payments&since=1h",
            stack.admin
        );
        let report: Value = stack
            .client
            .get(url)
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let route = report["report"]["routes"][0].clone();
        if route["samples"].as_u64().unwrap_or(0) >= 1 {
            break route;
        }
        assert!(Instant::now() < deadline, "no shadow result: {report}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        route["verdicts"]["candidate_error"], 0,
        "the service answered the dry run: {route}"
    );

    let monolith: Value = stack
        .client
        .get(format!("{}/api/v1/payments/{pay}", stack.monolith))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(monolith["rfd"], 300, "the monolith refunded");
    let v2: Value = stack
        .client
        .get(format!("{}/v2/payments/by-legacy-id/{pay}", stack.payment))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        v2["refunded"]["amount"], "0.00",
        "the service kept no refund: {v2}"
    );
    assert_eq!(
        outbox_events(&service_db).await,
        events_before,
        "and no outbox event"
    );
}
