//! A `place_order` start asks the customers' owner first: an unknown customer
//! is the monolith's 422, an owner that cannot answer is a 503, and either
//! way nothing is started: no saga, no stock reserved, no payment.

use super::support::{World, place_body, world};
use platform::testing::TestBackend;
use serde_json::Value;

impl World {
    async fn assert_nothing_started(&self) {
        let (status, sagas) = self.app.get_json("/v2/sagas").await;
        assert_eq!(status, 200);
        assert_eq!(sagas, serde_json::json!([]), "no saga row");
        assert_eq!(self.reserved().await, 0, "nothing reserved");
        let payments: Value =
            reqwest::get(format!("{}/v2/payments?limit=100", self.payments.url()))
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
        assert_eq!(payments["data"], serde_json::json!([]), "no payment");
    }
}

async fn an_unknown_customer_is_refused_with_nothing_started(backend: TestBackend) {
    let w = world(backend, 5000).await;
    let mut body = place_body(2, Some("tok_ok"));
    body["customer_legacy_id"] = 99.into();
    let problem = crate::helpers::problem(w.start(&body).await, 422).await;
    assert_eq!(problem["detail"], "customer 99 does not exist");
    w.assert_nothing_started().await;
}

async fn an_unreachable_customers_owner_is_a_503_with_nothing_started(backend: TestBackend) {
    let w = world(backend, 5000).await;
    w.customers.stop().await;
    let problem = crate::helpers::problem(w.start(&place_body(2, Some("tok_ok"))).await, 503).await;
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("same Idempotency-Key"), "{detail}");
    w.assert_nothing_started().await;
}

platform::both_backends!(
    an_unknown_customer_is_refused_with_nothing_started,
    an_unreachable_customers_owner_is_a_503_with_nothing_started,
);
