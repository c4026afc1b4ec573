//! Capture and cancel through the saga: a captured invoice order is
//! confirmed; a cancel after the charge refunds it; a cancel after shipment
//! is refused with the order's 409 and changes nothing.

use super::support::{place_body, world};
use crate::helpers::problem;
use platform::testing::TestBackend;
use serde_json::json;

async fn capturing_an_invoice_order_confirms_it(backend: TestBackend) {
    let w = world(backend, 5000).await;
    let placed = w.start_expecting(&place_body(1, None), 201).await;
    let order_id = placed["order_id"].as_str().unwrap();
    let captured = w
        .start_expecting(&json!({"kind": "capture_order", "order_id": order_id}), 200)
        .await;
    assert_eq!(captured["status"], "completed");
    assert_eq!(captured["order"]["state"], "confirmed");
    let legacy = captured["order"]["legacy_id"].as_i64().unwrap();
    let payments = w.payments.payments_of(legacy).await;
    assert_eq!(payments.len(), 1);
    assert_eq!(payments[0]["status"], "captured");
    let invoice = w.payments.the_invoice(&captured["order"]).await;
    assert_eq!(invoice["status"], "paid", "the capture pays the invoice");
    // A second capture finds the order confirmed: the legacy 409.
    let again = w
        .start(&json!({"kind": "capture_order", "order_id": order_id}))
        .await;
    let body = problem(again, 409).await;
    assert_eq!(body["current_state"], "confirmed");
}

async fn cancelling_after_the_charge_refunds_it(backend: TestBackend) {
    let w = world(backend, 5000).await;
    let placed = w.start_expecting(&place_body(2, Some("tok_ok")), 201).await;
    let order_id = placed["order_id"].as_str().unwrap();
    let cancelled = w
        .start_expecting(&json!({"kind": "cancel_order", "order_id": order_id}), 200)
        .await;
    assert_eq!(cancelled["status"], "completed");
    assert_eq!(cancelled["order"]["state"], "cancelled");
    assert_eq!(w.reserved().await, 0, "stock released");
    let legacy = cancelled["order"]["legacy_id"].as_i64().unwrap();
    let payments = w.payments.payments_of(legacy).await;
    assert_eq!(payments[0]["status"], "refunded", "no money kept");
    assert_eq!(payments[0]["refunded"]["amount"], "25.00");
    let invoice = w.payments.the_invoice(&cancelled["order"]).await;
    assert_eq!(invoice["status"], "credited", "a paid invoice is credited");
}

async fn cancelling_an_authorised_order_voids_it(backend: TestBackend) {
    let w = world(backend, 5000).await;
    let placed = w.start_expecting(&place_body(1, None), 201).await;
    let order_id = placed["order_id"].as_str().unwrap();
    let cancelled = w
        .start_expecting(&json!({"kind": "cancel_order", "order_id": order_id}), 200)
        .await;
    let legacy = placed["order"]["legacy_id"].as_i64().unwrap();
    assert_eq!(w.payments.payments_of(legacy).await[0]["status"], "voided");
    let invoice = w.payments.the_invoice(&cancelled["order"]).await;
    assert_eq!(invoice["status"], "void", "an open invoice is voided");
}

async fn cancelling_after_shipment_is_refused(backend: TestBackend) {
    let w = world(backend, 5000).await;
    let placed = w.start_expecting(&place_body(1, Some("tok_ok")), 201).await;
    let order_id = placed["order_id"].as_str().unwrap();
    assert_eq!(w.app.ship(order_id).await.status(), 201);
    let res = w
        .start(&json!({"kind": "cancel_order", "order_id": order_id}))
        .await;
    let body = problem(res, 409).await;
    assert_eq!(body["current_state"], "shipped");
    let legacy = placed["order"]["legacy_id"].as_i64().unwrap();
    assert_eq!(
        w.payments.payments_of(legacy).await[0]["status"],
        "captured"
    );
    assert_eq!(
        w.payments.the_invoice(&placed["order"]).await["status"],
        "paid"
    );
    let (_, sagas) = w.app.get_json("/v2/sagas").await;
    assert_eq!(
        sagas.as_array().map(Vec::len),
        Some(1),
        "only the placing saga: {sagas}"
    );
}

async fn an_unknown_order_is_not_found(backend: TestBackend) {
    let w = world(backend, 5000).await;
    let res = w
        .start(&json!({"kind": "cancel_order", "order_id": uuid::Uuid::now_v7()}))
        .await;
    problem(res, 404).await;
}

platform::both_backends!(
    capturing_an_invoice_order_confirms_it,
    cancelling_after_the_charge_refunds_it,
    cancelling_an_authorised_order_voids_it,
    cancelling_after_shipment_is_refused,
    an_unknown_order_is_not_found,
);
