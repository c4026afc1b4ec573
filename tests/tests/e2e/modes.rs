//! Flags move a route legacy → canary → new and back without a restart, and
//! the legacy contract holds whichever side serves.

use crate::stack::Stack;
use platform::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::{Value, json};

platform::both_backends!(
    flags_move_a_route_and_back_without_restart,
    the_legacy_contract_holds_in_every_mode
);

async fn flags_move_a_route_and_back_without_restart(backend: TestBackend) {
    let stack = Stack::start(backend).await;
    let pay = stack.paid_order().await;
    stack.backfill_payment(pay).await;
    let path = format!("/api/v1/payments/{pay}");
    let who = Some("customer-1");

    assert_eq!(stack.backend(who, &path).await, "legacy");
    assert_eq!(stack.admin_get("/admin/routes").await[0]["mode"], "legacy");

    stack.flags.rollout("payments.canary", 100);
    stack.flags.enable("payments.canary");
    stack.wait_for_backend(who, &path, "new").await;
    assert_eq!(stack.admin_get("/admin/routes").await[0]["mode"], "canary");

    stack.flags.enable("payments.new");
    stack.flags.disable("payments.canary");
    stack.wait_for_backend(None, &path, "new").await;
    assert_eq!(stack.admin_get("/admin/routes").await[0]["mode"], "new");

    stack.flags.disable("payments.new");
    stack.wait_for_backend(who, &path, "legacy").await;
    assert_eq!(stack.admin_get("/admin/routes").await[0]["mode"], "legacy");
    let routes = stack.admin_get("/admin/routes").await;
    assert!(routes[0]["counters"]["served_by_new"].as_u64().unwrap() > 0);
    assert_eq!(routes[0]["counters"]["fallbacks"], 0);
}

/// The same requests and checks, whoever serves: the legacy contract suite
/// for the payments group.
async fn contract_suite(
    stack: &Stack,
    who: Option<&str>,
    pay: i64,
    expected: &Value,
    backend: &str,
) {
    let get = |path: String| async move { stack.get_as(who, &path).await };
    let post = |path: String, body: Value| async move {
        let mut req = stack
            .client
            .post(format!("{}{path}", stack.proxy))
            .json(&body);
        if let Some(c) = who {
            req = req.header("x-customer-id", c);
        }
        req.send().await.unwrap()
    };
    let json = |res: reqwest::Response, status: StatusCode| async move {
        assert_eq!(res.status(), status);
        assert_eq!(res.headers()["x-strangler-backend"], backend);
        res.json::<Value>().await.unwrap()
    };
    let problem = |res: reqwest::Response, status: StatusCode| async move {
        assert_eq!(res.status(), status);
        assert_eq!(res.headers()["content-type"], "application/problem+json");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["status"], status.as_u16());
        assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()));
    };

    let payment = json(get(format!("/api/v1/payments/{pay}")).await, StatusCode::OK).await;
    assert_eq!(
        &payment, expected,
        "the payment reads exactly as the monolith wrote it"
    );

    let refund = json(
        post(
            format!("/api/v1/payments/{pay}/refunds"),
            json!({"amt": 500, "rsn": "scratched"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        (
            refund["pay"].as_i64(),
            refund["amt"].as_i64(),
            refund["cur"].as_str()
        ),
        (Some(pay), Some(500), Some("EUR"))
    );
    assert_eq!(refund["rsn"], "scratched");

    let after = json(get(format!("/api/v1/payments/{pay}")).await, StatusCode::OK).await;
    assert_eq!(
        (
            after["st"].as_str(),
            after["rfd"].as_i64(),
            after["cap"].as_i64()
        ),
        (Some("P"), Some(500), expected["cap"].as_i64())
    );

    let refunds = json(
        get(format!("/api/v1/payments/{pay}/refunds")).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (
            refunds["total"].as_i64(),
            refunds["page"].as_i64(),
            refunds["per_page"].as_i64()
        ),
        (Some(1), Some(1), Some(20))
    );
    assert_eq!(refunds["items"][0]["amt"], 500);

    let of_order = json(
        get(format!("/api/v1/orders/{}/payments", expected["ord"])).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(of_order["total"], 1);
    assert_eq!(of_order["items"][0]["id"], pay);

    problem(
        post(
            format!("/api/v1/payments/{pay}/refunds"),
            json!({"amt": 1_000_000, "rsn": "too much"}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    problem(
        post(
            format!("/api/v1/payments/{pay}/refunds"),
            json!({"amt": 0, "rsn": "nothing"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    problem(
        get("/api/v1/payments/987654321".into()).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        get("/api/v1/payments/abc".into()).await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

async fn the_legacy_contract_holds_in_every_mode(backend: TestBackend) {
    let stack = Stack::start(backend).await;
    let who = Some("customer-7");

    // legacy
    let pay = stack.paid_order().await;
    let expected = stack.backfill_payment(pay).await;
    contract_suite(&stack, who, pay, &expected, "legacy").await;

    // canary, with this customer in the cohort
    stack.flags.rollout("payments.canary", 100);
    stack.flags.enable("payments.canary");
    let pay = stack.paid_order().await;
    let expected = stack.backfill_payment(pay).await;
    stack
        .wait_for_backend(who, &format!("/api/v1/payments/{pay}"), "new")
        .await;
    contract_suite(&stack, who, pay, &expected, "new").await;

    // new, for everyone
    stack.flags.enable("payments.new");
    let pay = stack.paid_order().await;
    let expected = stack.backfill_payment(pay).await;
    stack
        .wait_for_backend(None, &format!("/api/v1/payments/{pay}"), "new")
        .await;
    contract_suite(&stack, None, pay, &expected, "new").await;
}
