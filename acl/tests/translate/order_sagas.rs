//! Placing, capturing and cancelling orders through the order saga: each
//! saga outcome answered as the monolith answers it.

use crate::fixtures::*;
use acl::{Method, Response, TranslateError};
use fulfillment_api::{OrderState, SagaKind, SagaStatus};
use serde_json::{Value, json};

fn place_request(body: Value) -> acl::Request {
    legacy_json(Method::Post, "/api/v1/orders", body)
}

fn card_order() -> Value {
    json!({"cust": 5, "lines": [{"sku": "W-1", "qty": 2}], "pm": "card", "tok": "tok_ok"})
}

/// The saga's problem for a failed start, as `POST /v2/sagas` answers it.
fn saga_problem(status: u16, slug: &str, detail: &str) -> Response {
    let doc = json!({"type": format!("urn:strangler-kit:problem:{slug}"), "title": "Error",
        "status": status, "detail": detail, "saga_id": uuid(9).to_string(),
        "saga_status": "compensated"});
    Response::new(status).with_body(doc.to_string())
}

fn pending_order() -> fulfillment_api::Order {
    let mut o = order();
    o.state = OrderState::Pending;
    o.payment_legacy_id = None;
    o
}

#[test]
fn a_placed_order_starts_a_saga_and_answers_201_with_the_order() {
    let done = saga(SagaKind::PlaceOrder, SagaStatus::Completed, Some(order()));
    let (calls, reply) = drive("orders", &place_request(card_order()), &[ok(201, &done)]).unwrap();
    assert_eq!(
        (calls[0].method, calls[0].target()),
        (Method::Post, "/v2/sagas".into())
    );
    assert_eq!(calls[0].headers.get("Idempotency-Key"), Some("key-1"));
    let sent: Value = serde_json::from_slice(&calls[0].body).unwrap();
    assert_eq!(
        sent,
        json!({"kind": "place_order", "customer_legacy_id": 5, "lines": [{"sku": "W-1",
            "quantity": 2}], "method": "card", "card_token": "tok_ok"})
    );
    assert_eq!(reply.status, 201);
    let body = body_json(&reply);
    assert_eq!(
        (body["id"].clone(), body["st"].clone()),
        (json!(77), json!("C"))
    );
    assert_eq!(body["pay"], 1234);
}

#[test]
fn a_failed_saga_answers_the_legacy_problem_with_its_status() {
    for (status, slug, detail, legacy_detail) in [
        (
            409,
            "insufficient-stock",
            "sku W-1: quantity 2 > available 1",
            "sku W-1: qty 2 > available 1",
        ),
        (402, "payment-declined", "card declined", "card declined"),
        (
            422,
            "invalid",
            "customer_legacy_id 5 does not exist",
            "cust 5 does not exist",
        ),
        // the customers port's refusal
        (
            422,
            "invalid-request",
            "customer 5 does not exist",
            "cust 5 does not exist",
        ),
        (
            422,
            "invalid",
            "lines[0].quantity must be at least 1",
            "lines[0].qty must be at least 1",
        ),
    ] {
        let (_, reply) = drive(
            "orders",
            &place_request(card_order()),
            &[saga_problem(status, slug, detail)],
        )
        .unwrap();
        assert_eq!(reply.status, status);
        assert_eq!(
            reply.headers.get("content-type"),
            Some("application/problem+json")
        );
        let body = body_json(&reply);
        assert_eq!(body["detail"], legacy_detail);
        assert_eq!(
            body.get("saga_id"),
            None,
            "legacy problems have four members"
        );
    }
}

#[test]
fn bad_lines_are_refused_before_any_call() {
    let t = registry().get("orders").unwrap();
    for body in [
        json!({"cust": 5, "lines": [{"sku": "a b", "qty": 1}], "pm": "card"}),
        json!({"cust": 5, "lines": [{"sku": "W-1"}], "pm": "card"}),
        json!({"cust": 5, "lines": [], "pm": "cheque"}),
    ] {
        let err = t.start(&place_request(body)).unwrap_err();
        assert_eq!(err.legacy_status(), 422, "{err}");
    }
    let not_json = legacy(Method::Post, "/api/v1/orders")
        .with_header("Content-Type", "application/json")
        .with_body("{");
    assert_eq!(t.start(&not_json).unwrap_err().legacy_status(), 400);
}

#[test]
fn a_saga_outliving_the_wait_answers_the_pending_order() {
    let running = saga(
        SagaKind::PlaceOrder,
        SagaStatus::Running,
        Some(pending_order()),
    );
    let (_, reply) = drive("orders", &place_request(card_order()), &[ok(202, &running)]).unwrap();
    assert_eq!(reply.status, 201);
    let body = body_json(&reply);
    assert_eq!(
        (body["st"].clone(), body["pay"].clone()),
        (json!("P"), Value::Null)
    );

    let no_order_yet = saga(SagaKind::PlaceOrder, SagaStatus::Running, None);
    let (_, reply) = drive(
        "orders",
        &place_request(card_order()),
        &[ok(202, &no_order_yet)],
    )
    .unwrap();
    assert_eq!(reply.status, 503);
    assert_eq!(reply.headers.get("Retry-After"), Some("1"));
    assert!(
        body_json(&reply)["detail"]
            .as_str()
            .unwrap()
            .contains("Idempotency-Key")
    );
}

#[test]
fn a_saga_compensating_when_the_wait_ran_out_answers_its_failure() {
    let mut failing = saga(
        SagaKind::PlaceOrder,
        SagaStatus::Compensating,
        Some(pending_order()),
    );
    failing.failure = Some(json!({"type": "urn:strangler-kit:problem:payment-declined",
        "title": "Payment Required", "status": 402, "detail": "card declined"}));
    let (_, reply) = drive("orders", &place_request(card_order()), &[ok(202, &failing)]).unwrap();
    assert_eq!(reply.status, 402);
    assert_eq!(body_json(&reply)["detail"], "card declined");
}

#[test]
fn capture_and_cancel_resolve_the_order_then_start_its_saga() {
    for (action, kind) in [("capture", "capture_order"), ("cancel", "cancel_order")] {
        let done = saga(SagaKind::CaptureOrder, SagaStatus::Completed, Some(order()));
        let req = legacy(Method::Post, &format!("/api/v1/orders/77/{action}"));
        let (calls, reply) = drive("orders", &req, &[ok(200, &order()), ok(200, &done)]).unwrap();
        assert_eq!(calls[0].target(), "/v2/orders/by-legacy-id/77");
        assert_eq!(calls[1].target(), "/v2/sagas");
        let sent: Value = serde_json::from_slice(&calls[1].body).unwrap();
        assert_eq!(sent, json!({"kind": kind, "order_id": uuid(5).to_string()}));
        assert_eq!(reply.status, 200);
        assert_eq!(body_json(&reply)["id"], 77);
    }
}

#[test]
fn capture_and_cancel_errors_keep_the_legacy_status() {
    let shipped =
        "order 00000000-0000-0000-0000-000000000005 cannot move from shipped to cancelled";
    for (action, answers, status) in [
        (
            "cancel",
            vec![ok(200, &order()), saga_problem(409, "conflict", shipped)],
            409,
        ),
        (
            "capture",
            vec![
                ok(200, &order()),
                saga_problem(409, "conflict", "not pending"),
            ],
            409,
        ),
        (
            "capture",
            vec![problem(404, "not-found", "no order with legacy_id 77")],
            404,
        ),
    ] {
        let req = legacy(Method::Post, &format!("/api/v1/orders/77/{action}"));
        let (calls, reply) = drive("orders", &req, &answers).unwrap();
        assert_eq!(calls.len(), answers.len());
        assert_eq!(reply.status, status);
        assert_eq!(
            reply.headers.get("content-type"),
            Some("application/problem+json")
        );
    }
    let err = registry()
        .get("orders")
        .unwrap()
        .start(&legacy(Method::Post, "/api/v1/orders/abc/cancel"))
        .unwrap_err();
    assert!(matches!(err, TranslateError::NotFound { .. }), "{err}");
}
