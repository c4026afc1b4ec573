//! Wire-format snapshots: for every entity, the v2 request a legacy request
//! becomes, and the legacy response a v2 response becomes.

use crate::fixtures::*;
use acl::{Method, Request, Response};
use serde_json::{Value, json};

fn show_request(r: &Request) -> Value {
    let headers: Vec<_> = r.headers.iter().map(|(n, v)| format!("{n}: {v}")).collect();
    let body = if r.body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&r.body).unwrap()
    };
    json!({"method": r.method.as_str(), "target": r.target(), "headers": headers, "body": body})
}

fn show_response(r: &Response) -> Value {
    let headers: Vec<_> = r.headers.iter().map(|(n, v)| format!("{n}: {v}")).collect();
    json!({"status": r.status, "headers": headers, "body": body_json(r)})
}

fn snap(group: &str, req: &Request, answers: &[Response]) -> Value {
    let (calls, reply) = drive(group, req, answers).unwrap();
    json!({
        "v2_calls": calls.iter().map(show_request).collect::<Vec<_>>(),
        "legacy_response": show_response(&reply),
    })
}

#[test]
fn payment() {
    let req = legacy(Method::Get, "/api/v1/payments/1234");
    insta::assert_json_snapshot!(snap(
        "payments",
        &req,
        &[ok(200, &super::fixtures::payment())]
    ));
}

#[test]
fn payments_of_an_order() {
    let page = v2_common::Page {
        data: vec![super::fixtures::payment()],
        total: 41,
        limit: 20,
        offset: 20,
    };
    let req = legacy(Method::Get, "/api/v1/orders/77/payments?page=2");
    insta::assert_json_snapshot!(snap("payments", &req, &[ok(200, &page)]));
}

#[test]
fn refund_created() {
    let req = legacy_json(
        Method::Post,
        "/api/v1/payments/1234/refunds",
        json!({"amt": 2550, "rsn": "damaged"}),
    );
    let answers = [ok(200, &super::fixtures::payment()), ok(201, &refund())];
    insta::assert_json_snapshot!(snap("payments", &req, &answers));
}

#[test]
fn invoice() {
    let req = legacy(Method::Get, "/api/v1/invoices/31");
    insta::assert_json_snapshot!(snap(
        "invoices",
        &req,
        &[ok(200, &super::fixtures::invoice())]
    ));
}

#[test]
fn order() {
    let req = legacy(Method::Get, "/api/v1/orders/77");
    insta::assert_json_snapshot!(snap("orders", &req, &[ok(200, &super::fixtures::order())]));
}

#[test]
fn shipment_delivered() {
    let req = legacy(Method::Post, "/api/v1/shipments/401/deliver");
    let answers = [
        ok(200, &super::fixtures::shipment()),
        ok(200, &super::fixtures::shipment()),
    ];
    insta::assert_json_snapshot!(snap("shipments", &req, &answers));
}

#[test]
fn stock_item_adjusted() {
    let req = legacy_json(
        Method::Post,
        "/api/v1/inventory/W-1/adjust",
        json!({"dq": -2, "rsn": "breakage"}),
    );
    insta::assert_json_snapshot!(snap("inventory", &req, &[ok(201, &item())]));
}

#[test]
fn stock_item_defined() {
    let req = legacy_json(
        Method::Put,
        "/api/v1/inventory/W-1",
        json!({"nm": "Widget", "px": 1250, "cur": "USD"}),
    );
    insta::assert_json_snapshot!(snap("inventory", &req, &[ok(201, &item())]));
}

#[test]
fn v2_problem() {
    let req = legacy(Method::Get, "/api/v1/orders/77");
    let answer = problem(
        422,
        "invalid-request",
        "quantity must be at least 1 (lines[0].quantity)",
    );
    insta::assert_json_snapshot!(snap("orders", &req, &[answer]));
}

/// legacy record → v2 record (backfill direction), for every entity.
#[test]
fn records_legacy_to_v2() {
    use acl::records::{orders, payments, stock};
    let clock = acl::LegacyClock::default();
    let p = payments::payment_to_legacy(&super::fixtures::payment(), &clock).unwrap();
    let r = payments::refund_to_legacy(&refund(), &clock).unwrap();
    let i = payments::invoice_to_legacy(&super::fixtures::invoice(), &clock).unwrap();
    let o = orders::order_to_legacy(&super::fixtures::order(), &clock).unwrap();
    let s = orders::shipment_to_legacy(&super::fixtures::shipment(), &clock).unwrap();
    let it = stock::item_to_legacy(&item()).unwrap();
    let ids = stock::StockIdentity {
        id: uuid(7),
        legacy_id: 12,
        created_at: at("2026-01-01T00:00:00Z"),
        updated_at: at("2026-11-24T21:00:00Z"),
    };
    insta::assert_json_snapshot!(json!({
        "payment": payments::payment_to_v2(&p, &clock, uuid(1), 3).unwrap(),
        "refund": payments::refund_to_v2(&r, &clock, uuid(3), uuid(1)).unwrap(),
        "invoice": payments::invoice_to_v2(&i, &clock, uuid(4), at("2026-03-29T02:00:00Z")).unwrap(),
        "order": orders::order_to_v2(&o, &clock, uuid(5)).unwrap(),
        "shipment": orders::shipment_to_v2(&s, &clock, uuid(6), uuid(5)).unwrap(),
        "item": stock::item_to_v2(&it, &ids).unwrap(),
    }));
}
