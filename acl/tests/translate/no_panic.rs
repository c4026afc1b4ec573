//! No input makes a translator panic: arbitrary paths, queries, bodies and
//! v2 answers (arbitrary bytes, arbitrary JSON, and valid v2 records with
//! arbitrary values swapped in) give a response or an error, never a panic.

use crate::fixtures::*;
use acl::{Method, Request, Response, Step};
use proptest::prelude::*;
use serde_json::Value;

/// Arbitrary JSON documents.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".*".prop_map(Value::String),
        "-?[0-9]{1,40}(\\.[0-9]{1,40})?".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,20}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64),
        json().prop_map(|v| v.to_string().into_bytes()),
    ]
}

const PATTERNS: &[(Method, &str)] = &[
    (Method::Get, "/api/v1/payments/*"),
    (Method::Get, "/api/v1/orders/*/payments"),
    (Method::Post, "/api/v1/payments/*/refunds"),
    (Method::Get, "/api/v1/payments/*/refunds"),
    (Method::Get, "/api/v1/invoices/*"),
    (Method::Get, "/api/v1/orders/*/invoices"),
    (Method::Get, "/api/v1/orders/*"),
    (Method::Get, "/api/v1/customers/*/orders"),
    (Method::Post, "/api/v1/orders"),
    (Method::Post, "/api/v1/orders/*/capture"),
    (Method::Post, "/api/v1/orders/*/cancel"),
    (Method::Post, "/api/v1/orders/*/shipments"),
    (Method::Get, "/api/v1/shipments/*"),
    (Method::Post, "/api/v1/shipments/*/deliver"),
    (Method::Put, "/api/v1/inventory/*"),
    (Method::Get, "/api/v1/inventory/*"),
    (Method::Post, "/api/v1/inventory/*/adjust"),
];

fn request() -> impl Strategy<Value = Request> {
    let segment = prop_oneof![
        "[0-9]{1,22}",
        "-?[0-9]{1,5}",
        ".{0,12}",
        "[A-Za-z0-9_.-]{1,70}"
    ];
    let query = prop_oneof![
        "",
        "(page|per_page|x)=-?[0-9]{0,25}(&(page|per_page)=.{0,6})?",
        ".{0,20}"
    ];
    let media = prop_oneof![
        4 => Just("application/json".to_owned()),
        1 => Just("application/problem+json; charset=utf-8".to_owned()),
        1 => ".{0,20}",
    ];
    (
        prop::sample::select(PATTERNS.to_vec()),
        segment,
        query,
        body(),
        media,
    )
        .prop_map(|((method, pattern), seg, query, body, media)| {
            let mut req = Request::new(method, pattern.replace('*', &seg));
            req.query = query;
            req.with_header("Content-Type", media).with_body(body)
        })
}

/// A valid v2 record with one value swapped for arbitrary JSON.
fn mangled_record() -> impl Strategy<Value = Vec<u8>> {
    let records = vec![
        serde_json::to_value(payment()).unwrap(),
        serde_json::to_value(refund()).unwrap(),
        serde_json::to_value(invoice()).unwrap(),
        serde_json::to_value(order()).unwrap(),
        serde_json::to_value(shipment()).unwrap(),
        serde_json::to_value(item()).unwrap(),
    ];
    (
        prop::sample::select(records),
        any::<prop::sample::Index>(),
        json(),
        any::<bool>(),
    )
        .prop_map(|(mut record, at, value, as_page)| {
            if let Value::Object(map) = &mut record {
                let keys: Vec<String> = map.keys().cloned().collect();
                let key = at.get(&keys).clone();
                map.insert(key, value);
            }
            let doc = if as_page {
                serde_json::json!({"data": [record], "total": 1, "limit": 20, "offset": 0})
            } else {
                record
            };
            doc.to_string().into_bytes()
        })
}

fn response() -> impl Strategy<Value = Response> {
    let status = prop_oneof![Just(200_u16), Just(201), Just(404), Just(409), 100_u16..600];
    (status, prop_oneof![body(), mangled_record()]).prop_map(|(s, b)| Response::new(s).with_body(b))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn no_request_or_answer_makes_a_translator_panic(
        req in request(),
        answers in prop::collection::vec(response(), 3),
    ) {
        let registry = registry();
        for group in registry.groups().map(str::to_owned).collect::<Vec<_>>() {
            let Ok(mut exchange) = registry.get(&group).unwrap().start(&req) else { continue };
            for answer in &answers {
                match exchange.respond(answer) {
                    Ok(Step::Call(next)) => exchange = next,
                    Ok(Step::Reply(reply)) => {
                        prop_assert!((100..600).contains(&reply.status));
                        break;
                    }
                    Err(err) => {
                        prop_assert!(!err.to_string().is_empty());
                        break;
                    }
                }
            }
        }
    }

    #[test]
    fn reading_arbitrary_legacy_bodies_never_panics(b in body()) {
        use acl::{Side, TranslateError};
        let _ = TranslateError::read_json::<acl::legacy::Payment>(Side::Legacy, &b);
        let _ = TranslateError::read_json::<acl::legacy::Order>(Side::Legacy, &b);
        let _ = TranslateError::read_json::<acl::legacy::Page<acl::legacy::Item>>(Side::Legacy, &b);
        let _ = acl::legacy::LocalTimestamp::parse(&String::from_utf8_lossy(&b));
    }

    #[test]
    fn money_never_panics(mantissa in any::<i128>(), scale in 0_u32..=28, cur in prop::sample::select(v2_common::Currency::ALL.to_vec())) {
        let field = acl::FieldPath::field("amount");
        if let Ok(d) = v2_common::Decimal::try_from_i128_with_scale(mantissa % 10_i128.pow(28), scale) {
            let _ = acl::value::money::decimal_to_minor(&field, d, cur);
        }
    }
}
