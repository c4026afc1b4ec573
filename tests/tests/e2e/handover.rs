//! The handover (docs/data.md, "The handover"), with the real payment
//! binary: when the owner flags change while the old owner's last write is
//! still in its outbox, the new owner takes no write on that context until it
//! has arrived: a refund through the proxy and an order cancel in the
//! monolith (its own flow, through its payments port) answer `503 handover`
//! and write nothing, reads are served, `/admin/status` shows it; once the
//! change arrives the over-refund is refused `409`, the cancel refunds the
//! rest, and the payment ends refunded exactly 30.00 of 30.00.
//!
//! (a) promotion: a 10.00 refund the monolith took with its relay stopped,
//! then `new`; (b) rollback: in `new` a 20.00 refund the service took with
//! its changes held at a gate before the monolith's inbox, then `legacy`.

use crate::sync_stack::{Options, SyncStack};
use platform::relay::Transport;
use platform::testing::TestBackend;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use std::future::Future;
use std::time::{Duration, Instant};

platform::both_backends!(
    a_promotion_waits_for_the_monolith_s_last_refund,
    a_rollback_waits_for_the_service_s_last_refund
);

async fn stack(backend: TestBackend) -> SyncStack {
    let options = Options {
        transport: Transport::Http,
        paused: true,
        proxy_extra: "",
        handover: true,
    };
    let mut s = SyncStack::start(backend, options).await;
    s.sync_on();
    s
}

/// A customer and a card order of 30.00, through the proxy: (order, payment).
async fn paid_order(s: &SyncStack) -> (i64, i64) {
    let cust = s.customer_with_stock(10).await;
    let order = s
        .post(
            format!("{}/api/v1/orders", s.proxy),
            json!({"cust": cust, "lines": [{"sku": "W-1", "qty": 1}], "pm": "card", "tok": "tok_visa"}),
        )
        .await;
    assert_eq!(order["st"], "C", "{order}");
    (
        order["id"].as_i64().unwrap(),
        order["pay"].as_i64().unwrap(),
    )
}

async fn refund(s: &SyncStack, pay: i64, amt: i64) -> Response {
    s.client
        .post(format!("{}/api/v1/payments/{pay}/refunds", s.proxy))
        .json(&json!({"amt": amt, "rsn": "handover"}))
        .send()
        .await
        .unwrap()
}

/// The monolith's own order flow: cancel, which refunds what is left.
async fn cancel(s: &SyncStack, order: i64) -> Response {
    s.client
        .post(format!("{}/api/v1/orders/{order}/cancel", s.monolith))
        .send()
        .await
        .unwrap()
}

/// A `503 handover` problem with `Retry-After: 1`; its detail.
async fn held(res: Response, what: &str) -> String {
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE, "{what}");
    assert_eq!(res.headers()["retry-after"], "1", "{what}");
    assert_eq!(
        res.headers()["content-type"],
        "application/problem+json",
        "{what}"
    );
    let problem: Value = res.json().await.unwrap();
    assert_eq!(
        problem["type"], "urn:strangler-kit:problem:handover",
        "{what}"
    );
    problem["detail"].as_str().unwrap().to_owned()
}

/// Asserts the answer's status, showing its body when it is another.
async fn answered(res: Response, status: StatusCode, what: &str) {
    let got = res.status();
    if got != status {
        let body = res.text().await.unwrap_or_default();
        panic!("{what}: expected {status}, got {got}: {body}");
    }
}

/// Sends again while the answer is `503 handover`; the first other answer.
async fn once_handed_over<F: Future<Output = Response>>(send: impl Fn() -> F) -> Response {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let res = send().await;
        if res.status() != StatusCode::SERVICE_UNAVAILABLE {
            return res;
        }
        assert!(Instant::now() < deadline, "the handover never ended");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Refunded so far on the monolith (minor units) and on the service (v2 text).
async fn refunded(s: &SyncStack, pay: i64) -> (i64, String) {
    let legacy = s
        .get(format!("{}/api/v1/payments/{pay}", s.monolith))
        .await
        .unwrap();
    let new = s
        .get(format!("{}/v2/payments/by-legacy-id/{pay}", s.payment))
        .await
        .unwrap();
    (
        legacy["rfd"].as_i64().unwrap(),
        new["refunded"]["amount"].as_str().unwrap().to_owned(),
    )
}

/// What both holds show while the old owner's change is away: nothing
/// written, reads served, the handover in the status.
async fn both_writes_are_held(s: &SyncStack, order: i64, pay: i64, direction: &str) {
    let detail = held(refund(s, pay, 2500).await, "a refund through the proxy").await;
    assert!(
        detail.contains("`payments`") && detail.contains(direction),
        "{detail}"
    );
    // The monolith re-reads the flags file on its own clock (docs/data.md,
    // "what it does not cover"): give it three of its intervals to see what
    // the proxy saw before its own flow is asked.
    tokio::time::sleep(strangler_proxy::flags::DEFAULT_FILE_INTERVAL * 3).await;
    held(cancel(s, order).await, "the monolith's order cancel").await;
    let read = s
        .client
        .get(format!("{}/api/v1/payments/{pay}", s.proxy))
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), StatusCode::OK, "reads are served");
    let status = s.admin_get("/admin/status").await;
    let handover = &status["handovers"][0];
    assert_eq!(handover["data"], "payments", "{status}");
    assert!(handover["held_writes"].as_u64().unwrap() >= 1, "{status}");
    let order_now = s
        .get(format!("{}/api/v1/orders/{order}", s.monolith))
        .await
        .unwrap();
    assert_eq!(order_now["st"], "C", "the held cancel changed nothing");
}

/// The over-refund is refused, the cancel refunds the rest: 30.00 of 30.00
/// on both sides.
async fn ends_refunded_once(s: &SyncStack, order: i64, pay: i64) {
    let over = once_handed_over(|| refund(s, pay, 2500)).await;
    answered(over, StatusCode::CONFLICT, "the over-refund").await;
    let cancelled = once_handed_over(|| cancel(s, order)).await;
    answered(cancelled, StatusCode::OK, "the cancel").await;
    let payment = s
        .wait_until(
            format!("{}/api/v1/payments/{pay}", s.monolith),
            "the whole refund in the monolith",
            |p| p["rfd"] == 3000,
        )
        .await;
    assert_eq!(payment["cap"], 3000);
    s.wait_until(
        format!("{}/v2/payments/by-legacy-id/{pay}", s.payment),
        "the whole refund in the service",
        |p| p["refunded"]["amount"] == "30.00",
    )
    .await;
    s.drained().await;
    assert_eq!(refunded(s, pay).await, (3000, "30.00".to_owned()));
}

async fn a_promotion_waits_for_the_monolith_s_last_refund(backend: TestBackend) {
    let mut s = stack(backend).await;
    let (order, pay) = paid_order(&s).await;
    s.wait_until(
        format!("{}/v2/payments/by-legacy-id/{pay}", s.payment),
        "the payment in the service",
        |p| p["captured"]["amount"] == "30.00",
    )
    .await;
    s.sync_off().await;
    answered(
        refund(&s, pay, 1000).await,
        StatusCode::CREATED,
        "the monolith's refund",
    )
    .await;

    s.flags.enable("payments.new");
    s.wait_for_mode("payments", "new").await;
    both_writes_are_held(&s, order, pay, "to new").await;
    assert_eq!(refunded(&s, pay).await, (1000, "0.00".to_owned()));

    s.sync_on();
    ends_refunded_once(&s, order, pay).await;
    s.stop().await;
}

async fn a_rollback_waits_for_the_service_s_last_refund(backend: TestBackend) {
    let s = stack(backend).await;
    s.flags.enable("payments.new");
    s.wait_for_mode("payments", "new").await;
    let (order, pay) = paid_order(&s).await;
    s.wait_until(
        format!("{}/api/v1/payments/{pay}", s.monolith),
        "the service's payment in the monolith",
        |p| p["cap"] == 3000,
    )
    .await;
    let gate = s.gate.as_ref().unwrap();
    gate.close();
    let taken = once_handed_over(|| refund(&s, pay, 2000)).await;
    answered(taken, StatusCode::CREATED, "the service's refund").await;

    s.flags.disable("payments.new");
    s.wait_for_mode("payments", "legacy").await;
    both_writes_are_held(&s, order, pay, "to legacy").await;
    assert_eq!(refunded(&s, pay).await, (0, "20.00".to_owned()));

    gate.open();
    ends_refunded_once(&s, order, pay).await;
    s.stop().await;
}
