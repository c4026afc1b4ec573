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

use crate::sync_stack::{Options, SyncStack};
use platform::relay::Transport;
use platform::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::{Value, json};

platform::both_backends!(over_http, over_nats);

async fn over_http(backend: TestBackend) {
    a_rollback_loses_nothing(backend, Transport::Http).await
}

async fn over_nats(backend: TestBackend) {
    a_rollback_loses_nothing(backend, Transport::Nats).await
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
    let mut s = SyncStack::start(backend, Options::syncing(transport)).await;
    let (proxy, payment) = (s.proxy.clone(), s.payment.clone());

    // legacy: the monolith takes the writes.
    let cust = s.customer_with_stock(40).await;
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
    s.flags.enable("payments.shadow");
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
    s.flags.rollout("payments.canary", 50);
    s.flags.enable("payments.canary");
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
    s.flags.disable("payments.canary");

    // new: the service takes the writes, through the proxy and its own API.
    s.flags.enable("payments.new");
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
    s.kill_payment();
    s.flags.disable("payments.new");
    s.wait_for_backend(&format!("/api/v1/payments/{p1}"), "legacy")
        .await;
    // It comes back; its relay (or JetStream consumer) carries on.
    s.start_payment().await;

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
