//! When the new side is down, a GET falls back to the monolith (counted); a
//! write never does, not even with an idempotency key: the monolith does not
//! know the new side's keys, so it could take a write the new side took.

use crate::stack::{Stack, dead_upstream};
use platform::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::{Value, json};

platform::both_backends!(a_stopped_service_falls_back_for_reads_only);

async fn a_stopped_service_falls_back_for_reads_only(backend: TestBackend) {
    let stack = Stack::start(backend).await;
    let pay = stack.paid_order().await;
    let path = format!("/api/v1/payments/{pay}");
    stack.flags.enable("payments.new");
    stack.wait_for_backend(None, &path, "new").await;

    // The payment service goes away (the route now points where nothing listens).
    assert_eq!(
        stack.repoint_payments(&dead_upstream()).await.status(),
        StatusCode::OK
    );

    let res = stack.get_as(None, &path).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["x-strangler-backend"], "legacy-fallback");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["id"], pay, "the monolith answered");

    for key in [None, Some("late-refund-1")] {
        let mut refund = stack
            .client
            .post(format!("{}{path}/refunds", stack.proxy))
            .json(&json!({"amt": 100, "rsn": "late"}));
        if let Some(key) = key {
            refund = refund.header("Idempotency-Key", key);
        }
        let res = refund.send().await.unwrap();
        assert_eq!(
            res.status(),
            StatusCode::BAD_GATEWAY,
            "a write is not served by the monolith (key {key:?})"
        );
        assert_eq!(res.headers()["content-type"], "application/problem+json");
    }
    let direct: Value = stack
        .client
        .get(format!("{}{path}", stack.monolith))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(direct["rfd"], 0, "the monolith never saw either refund");

    let routes = stack.admin_get("/admin/routes").await;
    assert_eq!(routes[0]["counters"]["fallbacks"], 1);
    assert_eq!(routes[0]["counters"]["upstream_failures"], 3);
}
