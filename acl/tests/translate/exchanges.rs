//! Route translators driven as the proxy drives them.

use crate::fixtures::*;
use acl::{Method, TranslateError};
use payment_api::PaymentStatus;
use serde_json::json;
use v2_common::Currency;

#[test]
fn a_payment_is_read_by_legacy_id_and_answered_in_the_legacy_shape() {
    let (calls, reply) = drive(
        "payments",
        &legacy(Method::Get, "/api/v1/payments/1234"),
        &[ok(200, &payment())],
    )
    .unwrap();
    assert_eq!(calls[0].method, Method::Get);
    assert_eq!(calls[0].target(), "/v2/payments/by-legacy-id/1234");
    assert_eq!(calls[0].headers.get("x-correlation-id"), Some("corr-1"));
    assert_eq!(reply.status, 200);
    assert_eq!(reply.headers.get("X-Correlation-ID"), Some("corr-1"));
    let body = body_json(&reply);
    assert_eq!(body["amt"], 12500);
    assert_eq!(body["st"], "P");
    assert_eq!(body["upd"], "2026-10-25 02:30:00");
}

#[test]
fn a_refund_resolves_the_payment_then_posts_in_its_currency() {
    let mut yen = payment();
    yen.amount = money("5000", Currency::Jpy);
    yen.captured = money("5000", Currency::Jpy);
    yen.refunded = money("0", Currency::Jpy);
    let mut created = refund();
    created.amount = money("500", Currency::Jpy);
    let req = legacy_json(
        Method::Post,
        "/api/v1/payments/1234/refunds",
        json!({"amt": 500, "rsn": "damaged"}),
    );
    let (calls, reply) = drive("payments", &req, &[ok(200, &yen), ok(201, &created)]).unwrap();
    assert_eq!(calls.len(), 2);
    assert_eq!(
        calls[1].target(),
        format!("/v2/payments/{}/refunds", uuid(1))
    );
    assert_eq!(calls[1].headers.get("Idempotency-Key"), Some("key-1"));
    let sent: serde_json::Value = serde_json::from_slice(&calls[1].body).unwrap();
    assert_eq!(sent["amount"], json!({"amount": "500", "currency": "JPY"}));
    assert_eq!(reply.status, 201);
    assert_eq!(body_json(&reply)["amt"], 500);
}

#[test]
fn an_unknown_payment_answers_404_without_a_second_call() {
    let req = legacy_json(
        Method::Post,
        "/api/v1/payments/9/refunds",
        json!({"amt": 1, "rsn": "x"}),
    );
    let (calls, reply) = drive(
        "payments",
        &req,
        &[problem(404, "not-found", "no payment with legacy_id 9")],
    )
    .unwrap();
    assert_eq!(calls.len(), 1);
    assert_eq!(reply.status, 404);
    assert_eq!(
        reply.headers.get("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(body_json(&reply)["detail"], "no payment with legacy_id 9");
}

#[test]
fn a_v2_conflict_keeps_its_status_and_speaks_legacy_field_names() {
    let req = legacy_json(
        Method::Post,
        "/api/v1/payments/1234/refunds",
        json!({"amt": 99999, "rsn": "x"}),
    );
    let conflict = problem(
        409,
        "conflict",
        "amount 999.99 exceeds captured minus refunded",
    );
    let (_, reply) = drive("payments", &req, &[ok(200, &payment()), conflict]).unwrap();
    assert_eq!(reply.status, 409);
    assert_eq!(
        body_json(&reply)["detail"],
        "amt 999.99 exceeds cap minus rfd"
    );
}

#[test]
fn a_missing_idempotency_key_is_generated_per_request() {
    let mut req = legacy_json(
        Method::Post,
        "/api/v1/payments/1234/refunds",
        json!({"amt": 1, "rsn": "x"}),
    );
    req.headers = acl::Headers::new().with("Content-Type", "application/json");
    let key = |req: &acl::Request| {
        let (calls, _) =
            drive("payments", req, &[ok(200, &payment()), ok(201, &refund())]).unwrap();
        calls[1].headers.get("Idempotency-Key").unwrap().to_owned()
    };
    let (a, b) = (key(&req), key(&req));
    assert!(!a.is_empty() && a != b, "{a} {b}");
}

#[test]
fn client_mistakes_get_the_monoliths_statuses() {
    let t = registry().get("payments").unwrap();
    let status = |req: acl::Request| t.start(&req).unwrap_err().legacy_status();
    let refunds = "/api/v1/payments/1234/refunds";
    assert_eq!(status(legacy(Method::Get, "/api/v1/payments/abc")), 404);
    assert_eq!(status(legacy(Method::Get, "/api/v1/payments/0")), 404);
    assert_eq!(status(legacy(Method::Get, "/api/v1/invoices/1")), 404);
    let json_header =
        |r: acl::Request| r.with_header("Content-Type", "application/json; charset=utf-8");
    assert_eq!(
        status(json_header(legacy(Method::Post, refunds)).with_body("{")),
        400
    );
    assert_eq!(status(json_header(legacy(Method::Post, refunds))), 400);
    let as_text = legacy(Method::Post, refunds).with_header("Content-Type", "text/plain");
    assert_eq!(status(as_text.with_body(r#"{"amt":1,"rsn":"x"}"#)), 415);
    assert_eq!(status(legacy(Method::Delete, "/api/v1/payments/1")), 405);
    assert_eq!(
        status(legacy_json(
            Method::Post,
            refunds,
            json!({"amt": -1, "rsn": "x"})
        )),
        422
    );
    assert_eq!(
        status(legacy_json(Method::Post, refunds, json!({"amt": 1}))),
        422
    );
    assert_eq!(
        status(legacy(Method::Get, "/api/v1/orders/1/payments?per_page=0")),
        422
    );
    assert_eq!(
        status(legacy(Method::Get, "/api/v1/orders/1/payments?page=x")),
        400
    );
    let err = t
        .start(&legacy_json(
            Method::Post,
            refunds,
            json!({"amt": 1, "rsn": "x", "cur": "EUR"}),
        ))
        .unwrap_err();
    assert_eq!(err.legacy_status(), 422);
    assert!(err.to_string().contains("cur"), "{err}");
}

#[test]
fn a_failed_payment_has_no_legacy_shape_and_the_error_names_the_item() {
    let mut failed = payment();
    failed.status = PaymentStatus::Failed;
    let page = v2_common::Page {
        data: vec![payment(), failed],
        total: 2,
        limit: 20,
        offset: 0,
    };
    let err = drive(
        "payments",
        &legacy(Method::Get, "/api/v1/orders/77/payments"),
        &[ok(200, &page)],
    )
    .unwrap_err();
    assert_eq!(err.field().unwrap().as_str(), "$.data[1].status");
    assert!(err.to_string().contains("failed"), "{err}");
}

#[test]
fn lists_translate_page_and_per_page() {
    let page = v2_common::Page {
        data: vec![invoice()],
        total: 11,
        limit: 5,
        offset: 10,
    };
    let req = legacy(Method::Get, "/api/v1/orders/77/invoices?page=3&per_page=5");
    let (calls, reply) = drive("invoices", &req, &[ok(200, &page)]).unwrap();
    assert_eq!(
        calls[0].target(),
        "/v2/invoices?order_legacy_id=77&limit=5&offset=10"
    );
    let body = body_json(&reply);
    assert_eq!(
        (
            body["page"].clone(),
            body["per_page"].clone(),
            body["total"].clone()
        ),
        (json!(3), json!(5), json!(11))
    );
    assert_eq!(body["items"][0]["amt"], 1250);
}

#[test]
fn an_unexpected_success_status_is_an_error_not_a_guess() {
    let err = drive(
        "orders",
        &legacy(Method::Get, "/api/v1/orders/77"),
        &[acl::Response::new(204)],
    )
    .unwrap_err();
    assert!(
        matches!(err, TranslateError::UnexpectedStatus { status: 204, .. }),
        "{err}"
    );
}

#[test]
fn shipping_resolves_the_order_then_ships_it() {
    let req = legacy_json(
        Method::Post,
        "/api/v1/orders/77/shipments",
        json!({"carr": "DHL"}),
    );
    let (calls, reply) = drive(
        "shipments",
        &req,
        &[ok(200, &order()), ok(201, &shipment())],
    )
    .unwrap();
    assert_eq!(calls[0].target(), "/v2/orders/by-legacy-id/77");
    assert_eq!(calls[1].target(), format!("/v2/orders/{}/ship", uuid(5)));
    assert_eq!(reply.status, 201);
    assert_eq!(body_json(&reply)["st"], "D");
}

#[test]
fn inventory_put_keeps_created_versus_updated() {
    let req = legacy_json(
        Method::Put,
        "/api/v1/inventory/W-1",
        json!({"nm": "Widget", "px": 1250, "cur": "USD"}),
    );
    for status in [200, 201] {
        let (calls, reply) = drive("inventory", &req, &[ok(status, &item())]).unwrap();
        assert_eq!(calls[0].target(), "/v2/stock/W-1");
        assert_eq!(reply.status, status);
    }
    let bad_sku = legacy(Method::Get, "/api/v1/inventory/a%20b");
    assert_eq!(
        registry()
            .get("inventory")
            .unwrap()
            .start(&bad_sku)
            .unwrap_err()
            .legacy_status(),
        404
    );
}

#[test]
fn a_request_error_renders_as_a_legacy_problem() {
    let req = legacy(Method::Get, "/api/v1/orders/1/payments?per_page=500");
    let err = registry().get("payments").unwrap().start(&req).unwrap_err();
    let reply = acl::error_to_legacy(&err, &req);
    assert_eq!(reply.status, 422);
    assert_eq!(reply.headers.get("X-Correlation-ID"), Some("corr-1"));
    let body = body_json(&reply);
    assert_eq!(body["status"], 422);
    assert!(body["detail"].as_str().unwrap().contains("per_page"));
}
