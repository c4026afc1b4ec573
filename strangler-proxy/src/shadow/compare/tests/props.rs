//! Property tests: any JSON compared with itself matches; arbitrary pairs
//! never panic and every reported path matches its own pattern.

use proptest::prelude::*;
use serde_json::{Map, Value};

use super::super::{JsonPath, Pattern, Response, Verdict, compare};
use super::{defaults, rules};

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z.' \\[\\]]{0,6}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn body(value: &Value) -> Response {
    Response::json(200, value)
}

proptest! {
    #[test]
    fn any_document_matches_itself(doc in json()) {
        prop_assert_eq!(compare(&body(&doc), &body(&doc), &defaults()).verdict(), Verdict::Match);
        let keyed = rules(serde_json::json!({"array_keys": {"$..*": "a"}, "numeric_tolerance": {"relative": 0.1}}));
        prop_assert_eq!(compare(&body(&doc), &body(&doc), &keyed).verdict(), Verdict::Match);
    }

    #[test]
    fn arbitrary_pairs_never_panic_and_paths_match_patterns(a in json(), b in json()) {
        let comparison = compare(&body(&a), &body(&b), &defaults());
        prop_assert_eq!(comparison.differences.is_empty(), comparison.verdict() == Verdict::Match);
        for d in &comparison.differences {
            let path = JsonPath::parse(&d.path).map_err(|e| TestCaseError::fail(format!("{}: {e}", d.path)))?;
            let pattern = Pattern::parse(&d.pattern).map_err(|e| TestCaseError::fail(format!("{}: {e}", d.pattern)))?;
            prop_assert_eq!(path.to_string(), d.path.clone());
            prop_assert_eq!(path.generalised(), d.pattern.clone());
            prop_assert!(pattern.matches(&path), "{} does not match {}", d.pattern, d.path);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(a in prop::collection::vec(any::<u8>(), 0..64), b in prop::collection::vec(any::<u8>(), 0..64)) {
        let response = |body: Vec<u8>| Response { status: 200, headers: vec![], body };
        let same = compare(&response(a.clone()), &response(a.clone()), &defaults());
        prop_assert_eq!(same.verdict(), Verdict::Match);
        let _ = compare(&response(a), &response(b), &defaults());
    }
}

/// A Luhn-valid 16-digit number from 15 random digits and its check digit.
fn card() -> impl Strategy<Value = String> {
    prop::collection::vec(0u32..10, 15).prop_map(|digits| {
        let sum: u32 = digits
            .iter()
            .rev()
            .enumerate()
            .map(|(i, d)| {
                if i % 2 == 0 {
                    let x = d * 2;
                    if x > 9 { x - 9 } else { x }
                } else {
                    *d
                }
            })
            .sum();
        let check = (10 - sum % 10) % 10;
        digits
            .iter()
            .chain(std::iter::once(&check))
            .map(|d| char::from_digit(*d, 10).unwrap_or('0'))
            .collect()
    })
}

proptest! {
    #[test]
    fn card_numbers_never_survive_redaction(number in card(), before in "[a-z ]{0,8}", after in "[a-z ]{0,8}", key in "[a-z]{1,6}") {
        let redactor = super::super::Redactor::new(&super::super::RedactConfig::default()).unwrap();
        let text = format!("{before} {number} {after}");
        let doc = serde_json::json!({"note": {key.clone(): [text]}, "n": number.parse::<u64>().unwrap()});
        let out = redactor.value(&doc).to_string();
        prop_assert!(!out.contains(&number), "{} kept in {}", number, out);
        let spaced = format!("{} {} {} {}", &number[0..4], &number[4..8], &number[8..12], &number[12..16]);
        let sentence = format!("pay {spaced}.");
        prop_assert!(!redactor.text(&sentence).contains(&spaced));
    }
}
