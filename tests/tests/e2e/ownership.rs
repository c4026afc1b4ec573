//! One owner per payment, in every mode: the over-refund interleaving of
//! issue 29 (10.00 refunded through the proxy by a canary customer, then the
//! order cancelled by the monolith's own flow, on a 30.00 capture) lands both
//! writes on the payment's one owner, which refunds exactly 30.00 in all; the
//! other side refunds nothing. The payment exists on both sides first (the
//! backfill), as in the issue.

use crate::stack::Stack;
use platform::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::{Value, json};

platform::both_backends!(
    in_legacy_the_monolith_owns_and_refunds_once,
    in_shadow_the_monolith_owns_and_refunds_once,
    in_canary_each_payment_has_one_owner_for_every_writer,
    in_new_the_service_owns_and_refunds_once
);

/// A flags file: the payments route's flags, `shadow`/`canary`/`new` on as given.
fn flags(shadow: bool, canary: Option<u32>, new: bool) -> String {
    let rollout = |name: &str, on: bool, percent: u32| {
        json!({"name": name, "enabled": on, "strategies": [{"name": "flexibleRollout",
            "parameters": {"rollout": percent.to_string(), "stickiness": "userId", "groupId": "payments"}}]})
    };
    json!({"version": 2, "features": [
        rollout("payments.shadow", shadow, 100),
        rollout("payments.canary", canary.is_some(), canary.unwrap_or(0)),
        {"name": "payments.new", "enabled": new, "strategies": [{"name": "default"}]},
        {"name": "inventory.new", "enabled": false, "strategies": [{"name": "default"}]}
    ]})
    .to_string()
}

/// Where the payment's refunds were taken.
#[derive(Debug, PartialEq, Eq)]
enum Side {
    Monolith,
    Service,
}

/// A customer and 30.00 of stock, through the proxy; the customer's id.
async fn customer(stack: &Stack) -> i64 {
    let customer = json!({"nm": "Ada", "eml": "ada@example.com",
        "bill": {"nm": "Ada", "ln1": "1 Lane", "city": "London", "zip": "N1", "ctry": "GB"}});
    let res = stack
        .post(&stack.proxy, "/api/v1/customers", customer)
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

async fn stock(stack: &Stack) {
    let put = stack
        .client
        .put(format!("{}/api/v1/inventory/T-30", stack.proxy));
    let res = put
        .json(&json!({"nm": "Thirty", "px": 3000, "cur": "EUR"}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    let adjust = json!({"dq": 100, "rsn": "stock"});
    let res = stack
        .post(&stack.proxy, "/api/v1/inventory/T-30/adjust", adjust)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

/// A card order of 30.00, placed through the proxy as `cust`: (order, payment).
async fn order(stack: &Stack, cust: i64) -> (i64, i64) {
    let body = json!({"cust": cust, "lines": [{"sku": "T-30", "qty": 1}], "pm": "card", "tok": "tok_visa"});
    let res = stack
        .client
        .post(format!("{}/api/v1/orders", stack.proxy))
        .header("x-customer-id", cust.to_string())
        .json(&body)
        .send()
        .await
        .unwrap();
    let order: Value = res.json().await.unwrap();
    assert_eq!(order["st"], "C", "{order}");
    (
        order["id"].as_i64().unwrap(),
        order["pay"].as_i64().unwrap(),
    )
}

/// Refunded so far, minor units, on each side (`None`: the side has no such payment).
async fn refunded(stack: &Stack, pay: i64) -> (Option<i64>, Option<i64>) {
    let legacy = stack
        .client
        .get(format!("{}/api/v1/payments/{pay}", stack.monolith))
        .send()
        .await
        .unwrap();
    let legacy = match legacy.status() {
        StatusCode::NOT_FOUND => None,
        _ => Some(
            legacy.json::<Value>().await.unwrap()["rfd"]
                .as_i64()
                .unwrap(),
        ),
    };
    let v2 = stack
        .client
        .get(format!("{}/v2/payments/by-legacy-id/{pay}", stack.payment))
        .send()
        .await
        .unwrap();
    let v2 = match v2.status() {
        StatusCode::NOT_FOUND => None,
        _ => {
            let amount = v2.json::<Value>().await.unwrap()["refunded"]["amount"].clone();
            let amount: f64 = amount.as_str().unwrap().parse().unwrap();
            Some((amount * 100.0).round() as i64)
        }
    };
    (legacy, v2)
}

/// The interleaving on payment `pay` of order `order`: 10.00 refunded
/// through the proxy by customer `refunder`, then the order cancelled by
/// the monolith's own flow. Returns the side that took both.
async fn refund_then_cancel(stack: &Stack, order: i64, pay: i64, refunder: &str) -> Side {
    let res = stack
        .client
        .post(format!("{}/api/v1/payments/{pay}/refunds", stack.proxy))
        .header("x-customer-id", refunder)
        .json(&json!({"amt": 1000, "rsn": "partial"}))
        .send()
        .await
        .unwrap();
    let backend = res.headers()["x-strangler-backend"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        res.status(),
        StatusCode::CREATED,
        "{}",
        res.text().await.unwrap()
    );
    let res = stack
        .post(
            &stack.proxy,
            &format!("/api/v1/orders/{order}/cancel"),
            json!({}),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );

    let (legacy, v2) = refunded(stack, pay).await;
    let side = if backend == "new" {
        Side::Service
    } else {
        Side::Monolith
    };
    let (owner, other) = match side {
        Side::Monolith => (legacy, v2),
        Side::Service => (v2, legacy),
    };
    assert_eq!(
        owner,
        Some(3000),
        "payment {pay}: its owner ({side:?}) refunds the 30.00 capture exactly once"
    );
    assert!(
        other.is_none_or(|r| r == 0),
        "payment {pay}: the side that does not own it took a refund: {other:?}"
    );
    side
}

/// Legacy and shadow: the monolith creates, owns and refunds.
async fn monolith_owns(backend: TestBackend, shadow: bool) {
    let stack = Stack::owned(backend, &flags(shadow, None, false)).await;
    stock(&stack).await;
    let cust = customer(&stack).await;
    let (order, pay) = order(&stack, cust).await;
    stack.backfill_payment(pay).await;
    assert_eq!(
        refund_then_cancel(&stack, order, pay, "canary-customer").await,
        Side::Monolith
    );
}

async fn in_legacy_the_monolith_owns_and_refunds_once(backend: TestBackend) {
    monolith_owns(backend, false).await;
}

async fn in_shadow_the_monolith_owns_and_refunds_once(backend: TestBackend) {
    monolith_owns(backend, true).await;
}

/// New: the service charges (the monolith's order flow through the remote
/// port), owns and refunds; the monolith holds no copy of the payment.
async fn in_new_the_service_owns_and_refunds_once(backend: TestBackend) {
    let stack = Stack::owned(backend, &flags(true, Some(100), true)).await;
    stock(&stack).await;
    let cust = customer(&stack).await;
    let (order, pay) = order(&stack, cust).await;
    assert_eq!(
        refunded(&stack, pay).await,
        (None, Some(0)),
        "charged by the service only"
    );
    assert_eq!(
        refund_then_cancel(&stack, order, pay, "anyone").await,
        Side::Service
    );
}

/// Canary at 50 %: payments the monolith created (their customers outside
/// the cohort) and backfilled are owned by their own id's point, whoever
/// refunds; both writes land on that owner, and both owners occur.
async fn in_canary_each_payment_has_one_owner_for_every_writer(backend: TestBackend) {
    let stack = Stack::owned(backend, &flags(true, Some(50), false)).await;
    stock(&stack).await;
    let mut owners = Vec::new();
    for _ in 0..12 {
        let cust = customer(&stack).await;
        let (order, pay) = order(&stack, cust).await;
        if refunded(&stack, pay).await.0.is_none() {
            continue; // charged by the service: its customer is in the cohort
        }
        stack.backfill_payment(pay).await;
        // A refunder inside the cohort and one outside: the payment decides.
        let refunder = if owners.len() % 2 == 0 {
            "canary-1"
        } else {
            "canary-2"
        };
        owners.push(refund_then_cancel(&stack, order, pay, refunder).await);
    }
    assert!(
        owners.contains(&Side::Monolith) && owners.contains(&Side::Service),
        "at 50 % some payments belong to each side: {owners:?}"
    );
}
