//! v2 records and legacy requests the tests share, and a tiny driver that
//! plays the proxy: start an exchange, answer each v2 call from a script.

use acl::routes::{IDEMPOTENCY_KEY, LEGACY_HEADERS_READ, V2_HEADERS_READ};
use acl::{Headers, LegacyClock, Method, Registry, Request, Response, Step, TranslateError};
use chrono::{DateTime, Utc};
use fulfillment_api::{
    Order, OrderLine, OrderState, Saga, SagaKind, SagaStatus, Shipment, ShipmentState, Sku,
    StockItem,
};
use payment_api::{
    BillingDetails, Invoice, InvoiceStatus, Payment, PaymentMethod, PaymentStatus, Refund,
};
use serde::Serialize;
use std::str::FromStr;
use uuid::Uuid;
use v2_common::{Currency, Decimal, Money};

pub fn registry() -> Registry {
    Registry::standard(LegacyClock::default())
}

pub fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .with_timezone(&Utc)
}

pub fn money(amount: &str, currency: Currency) -> Money {
    Money::new(Decimal::from_str(amount).unwrap(), currency).unwrap()
}

pub fn uuid(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

pub fn payment() -> Payment {
    Payment {
        id: uuid(1),
        legacy_id: 1234,
        order_id: Some(uuid(2)),
        order_legacy_id: 77,
        customer_id: None,
        customer_legacy_id: Some(5),
        method: PaymentMethod::Card,
        status: PaymentStatus::PartiallyRefunded,
        amount: money("125.00", Currency::Eur),
        captured: money("125.00", Currency::Eur),
        refunded: money("25.50", Currency::Eur),
        failure_reason: None,
        version: 3,
        created_at: at("2026-07-15T10:00:00Z"),
        updated_at: at("2026-10-25T01:30:00Z"),
    }
}

pub fn refund() -> Refund {
    Refund {
        id: uuid(3),
        legacy_id: 9,
        payment_id: uuid(1),
        payment_legacy_id: 1234,
        amount: money("25.50", Currency::Eur),
        reason: "damaged".into(),
        created_at: at("2026-01-15T11:00:00Z"),
    }
}

pub fn invoice() -> Invoice {
    Invoice {
        id: uuid(4),
        legacy_id: 31,
        number: "INV-000031".into(),
        order_id: None,
        order_legacy_id: 77,
        customer_id: None,
        customer_legacy_id: 5,
        payment_id: Some(uuid(1)),
        payment_legacy_id: Some(1234),
        amount: money("1.250", Currency::Kwd),
        status: InvoiceStatus::Paid,
        billing: BillingDetails {
            name: "Ada Lovelace".into(),
            line1: "1 Analytical Way".into(),
            city: "London".into(),
            postal_code: "N1 1AA".into(),
            country: "GB".into(),
        },
        issued_at: at("2026-03-29T01:30:00Z"),
        updated_at: at("2026-03-29T02:00:00Z"),
    }
}

pub fn order() -> Order {
    let line = |sku: &str, qty: i64, px: &str, amt: &str| OrderLine {
        sku: Sku::parse(sku).unwrap(),
        quantity: qty,
        unit_price: money(px, Currency::Jpy),
        amount: money(amt, Currency::Jpy),
    };
    Order {
        id: uuid(5),
        legacy_id: 77,
        customer_legacy_id: 5,
        state: OrderState::Confirmed,
        total: money("3500", Currency::Jpy),
        lines: vec![
            line("W-1", 2, "1000", "2000"),
            line("G.2", 1, "1500", "1500"),
        ],
        payment_legacy_id: Some(1234),
        invoice_legacy_id: None,
        shipment_id: None,
        created_at: at("2026-11-24T21:00:00Z"),
        updated_at: at("2026-11-24T21:05:00Z"),
    }
}

/// A saga of `kind` at `status`, with [`order`] once it has one.
pub fn saga(kind: SagaKind, status: SagaStatus, order: Option<Order>) -> Saga {
    Saga {
        id: uuid(9),
        kind,
        status,
        step: "done".into(),
        order_id: order.as_ref().map(|o| o.id),
        payment_id: None,
        payment_legacy_id: None,
        attempts: 0,
        next_attempt_at: None,
        last_error: None,
        failure: None,
        created_at: at("2026-11-24T21:00:00Z"),
        updated_at: at("2026-11-24T21:05:00Z"),
        order,
        history: None,
    }
}

pub fn shipment() -> Shipment {
    Shipment {
        id: uuid(6),
        legacy_id: 401,
        order_id: uuid(5),
        order_legacy_id: 77,
        state: ShipmentState::Delivered,
        carrier: "DHL".into(),
        tracking_number: "TRK-0001".into(),
        created_at: at("2026-11-24T21:10:00Z"),
        delivered_at: Some(at("2026-11-26T08:00:00Z")),
    }
}

pub fn item() -> StockItem {
    StockItem {
        id: uuid(7),
        legacy_id: 12,
        sku: Sku::parse("W-1").unwrap(),
        name: "Widget".into(),
        unit_price: money("12.50", Currency::Usd),
        on_hand: 10,
        reserved: 3,
        available: 7,
        reservations: vec![fulfillment_api::Reservation {
            order_id: uuid(5),
            order_legacy_id: 77,
            quantity: 3,
            created_at: at("2026-11-24T21:00:00Z"),
        }],
        created_at: at("2026-01-01T00:00:00Z"),
        updated_at: at("2026-11-24T21:00:00Z"),
    }
}

pub fn ok<T: Serialize>(status: u16, body: &T) -> Response {
    Response::new(status)
        .with_header("Content-Type", "application/json")
        .with_header("X-Correlation-ID", "corr-1")
        .with_body(serde_json::to_vec(body).unwrap())
}

pub fn problem(status: u16, slug: &str, detail: &str) -> Response {
    let doc = serde_json::json!({
        "type": format!("urn:strangler-kit:problem:{slug}"),
        "title": "Error", "status": status, "detail": detail,
    });
    Response::new(status)
        .with_header("Content-Type", "application/problem+json")
        .with_body(doc.to_string())
}

pub fn legacy(method: Method, target: &str) -> Request {
    Request::with_target(method, target)
        .with_header("X-Correlation-ID", "corr-1")
        .with_header("Idempotency-Key", "key-1")
}

pub fn legacy_json(method: Method, target: &str, body: serde_json::Value) -> Request {
    legacy(method, target)
        .with_header("Content-Type", "application/json")
        .with_body(body.to_string())
}

/// Runs a legacy request through `group`, answering the v2 calls in order;
/// returns the v2 requests made and the final legacy response.
///
/// Runs it twice: with headers a client and a service would add besides, and
/// with only the headers the layer says it reads ([`LEGACY_HEADERS_READ`],
/// [`V2_HEADERS_READ`]), and checks both runs agree, since the proxy copies
/// only those. Every exchange test so proves the lists complete.
pub fn drive(
    group: &str,
    request: &Request,
    answers: &[Response],
) -> Result<(Vec<Request>, Response), TranslateError> {
    let noisy = |headers: &Headers, extra: &[(&str, &str)]| -> Headers {
        headers
            .iter()
            .chain(extra.iter().copied())
            .map(|(n, v)| (n.to_owned(), v))
            .collect()
    };
    let mut full = request.clone();
    full.headers = noisy(
        &request.headers,
        &[
            ("Accept", "*/*"),
            ("User-Agent", "legacy-client/1"),
            ("Cookie", "s=1"),
        ],
    );
    let full_answers: Vec<Response> = answers
        .iter()
        .map(|a| Response {
            headers: noisy(
                &a.headers,
                &[("Date", "Tue, 24 Nov 2026 21:00:00 GMT"), ("Server", "v2")],
            ),
            ..a.clone()
        })
        .collect();
    let mut lean = request.clone();
    lean.headers = only(&request.headers, LEGACY_HEADERS_READ);
    let lean_answers: Vec<Response> = answers
        .iter()
        .map(|a| Response {
            headers: only(&a.headers, V2_HEADERS_READ),
            ..a.clone()
        })
        .collect();
    let ran = run(group, &full, &full_answers);
    let generated_key = request.headers.get(IDEMPOTENCY_KEY).is_none();
    let comparable = |r: &Result<(Vec<Request>, Response), TranslateError>| match r {
        Ok((calls, reply)) => {
            let calls: Vec<Request> = calls
                .iter()
                .map(|c| {
                    let mut c = c.clone();
                    if generated_key {
                        c.headers.set(IDEMPOTENCY_KEY, "generated");
                    }
                    c
                })
                .collect();
            Ok((calls, reply.clone()))
        }
        Err(e) => Err(e.to_string()),
    };
    assert_eq!(
        comparable(&ran),
        comparable(&run(group, &lean, &lean_answers)),
        "the layer reads a header its lists do not name"
    );
    ran
}

fn only(headers: &Headers, names: &[&str]) -> Headers {
    headers
        .iter()
        .filter(|(n, _)| names.iter().any(|k| k.eq_ignore_ascii_case(n)))
        .map(|(n, v)| (n.to_owned(), v))
        .collect()
}

fn run(
    group: &str,
    request: &Request,
    answers: &[Response],
) -> Result<(Vec<Request>, Response), TranslateError> {
    let translator = registry().get(group).expect("group registered");
    let mut exchange = translator.start(request)?;
    let mut calls = Vec::new();
    for answer in answers {
        calls.push(exchange.request().clone());
        match exchange.respond(answer)? {
            Step::Call(next) => exchange = next,
            Step::Reply(reply) => return Ok((calls, reply)),
        }
    }
    panic!(
        "the exchange wanted more than {} answers: {calls:?}",
        answers.len()
    );
}

pub fn body_json(response: &Response) -> serde_json::Value {
    serde_json::from_slice(&response.body).unwrap()
}
