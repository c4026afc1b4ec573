//! When the payment service is away: the charge is retried until it answers
//! (the start answers 202 meanwhile), a restarted fulfillment service resumes
//! the saga, a charge failing past its deadline is compensated, and a refund
//! that cancels the order before the saga confirms it makes the saga give the
//! money back instead of fighting it.

use super::support::{place_body, world, world_with};
use platform::testing::TestBackend;
use reqwest::Method;
use serde_json::{Value, json};

async fn a_payment_outage_is_retried_until_it_answers(backend: TestBackend) {
    let mut w = world(backend, 200).await;
    w.payments.stop().await;
    let pending = w.start_expecting(&place_body(2, Some("tok_ok")), 202).await;
    assert_eq!(pending["step"], "charge_payment");
    let id = pending["id"].as_str().unwrap();
    let retried = w
        .saga_until(id, |s| s["attempts"].as_i64() >= Some(2))
        .await;
    assert_eq!(retried["status"], "running");
    assert!(
        retried["last_error"]
            .as_str()
            .unwrap()
            .contains("/v2/payments")
    );
    w.payments.start().await;
    let done = w.saga_reaching(id, &["completed"]).await;
    assert_eq!(done["order"]["state"], "confirmed");
    let legacy = done["order"]["legacy_id"].as_i64().unwrap();
    assert_eq!(
        w.payments.payments_of(legacy).await.len(),
        1,
        "charged once"
    );
    let failed_tries: Vec<&Value> = done["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["to_step"].is_null())
        .collect();
    assert!(
        failed_tries.len() >= 2,
        "each failed try in the history: {done}"
    );
    for e in failed_tries {
        assert_eq!(e["step"], "charge_payment");
        assert!(e["error"].as_str().unwrap().contains("/v2/payments"), "{e}");
    }
}

async fn a_restarted_service_resumes_the_saga(backend: TestBackend) {
    let mut w = world(backend, 200).await;
    w.payments.stop().await;
    let pending = w.start_expecting(&place_body(1, Some("tok_ok")), 202).await;
    let id = pending["id"].as_str().unwrap().to_owned();
    w.app.restart().await;
    w.payments.start().await;
    let done = w.saga_reaching(&id, &["completed"]).await;
    assert_eq!(done["order"]["state"], "confirmed");
    assert_eq!(w.reserved().await, 1, "reserved once across the restart");
}

async fn a_charge_failing_past_its_deadline_is_compensated(backend: TestBackend) {
    let mut w = world_with(backend, 200, |s| s.step_deadline_secs = 1).await;
    w.payments.stop().await;
    let pending = w.start_expecting(&place_body(3, Some("tok_ok")), 202).await;
    let id = pending["id"].as_str().unwrap();
    let compensating = w.saga_reaching(id, &["compensating"]).await;
    assert_eq!(compensating["failure"]["status"], 504);
    w.payments.start().await;
    let done = w.saga_reaching(id, &["compensated"]).await;
    assert_eq!(done["order"]["state"], "cancelled");
    assert_eq!(w.reserved().await, 0, "stock released");
    let legacy = done["order"]["legacy_id"].as_i64().unwrap();
    assert!(
        w.payments.payments_of(legacy).await.is_empty(),
        "never charged"
    );
}

/// `payment.refunded` for the order, as the payment service publishes it.
fn refunded(order_legacy_id: i64) -> Value {
    json!({
        "event_id": uuid::Uuid::now_v7().to_string(),
        "event_type": "payment.refunded",
        "aggregate_type": "payment",
        "aggregate_id": uuid::Uuid::now_v7().to_string(),
        "occurred_at": "2026-12-07T12:00:00Z",
        "payload": {
            "event": {"type": "refunded", "refund_id": uuid::Uuid::now_v7(), "refund_legacy_id": 71,
                      "amount_minor": 1250, "reason": "refunded at the counter",
                      "at": "2026-12-07T12:00:00Z"},
            "payment": {"legacy_id": 501, "order_legacy_id": order_legacy_id, "status": "refunded",
                        "captured": {"amount": "12.50", "currency": "EUR"}}
        }
    })
}

async fn a_refund_racing_the_confirm_is_not_fought(backend: TestBackend) {
    let mut w = world(backend, 200).await;
    w.payments.stop().await;
    let pending = w.start_expecting(&place_body(1, Some("tok_ok")), 202).await;
    let id = pending["id"].as_str().unwrap();
    let legacy = pending["order"]["legacy_id"].as_i64().unwrap();
    // The choreography cancels the pending order while the charge waits.
    let res = w
        .app
        .request(Method::POST, "/inbox")
        .json(&refunded(legacy))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        w.order(pending["order_id"].as_str().unwrap()).await["state"],
        "cancelled"
    );
    w.payments.start().await;
    let done = w.saga_reaching(id, &["compensated"]).await;
    assert_eq!(done["failure"]["current_state"], "cancelled");
    assert_eq!(done["order"]["state"], "cancelled");
    assert_eq!(w.reserved().await, 0);
    let payments = w.payments.payments_of(legacy).await;
    assert_eq!(payments.len(), 1);
    assert_eq!(
        payments[0]["status"], "refunded",
        "the late charge went back"
    );
}

platform::both_backends!(
    a_payment_outage_is_retried_until_it_answers,
    a_restarted_service_resumes_the_saga,
    a_charge_failing_past_its_deadline_is_compensated,
    a_refund_racing_the_confirm_is_not_fought,
);
