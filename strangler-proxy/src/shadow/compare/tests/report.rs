//! Reports grouped by (route, pattern) with redacted, labelled examples.

use serde_json::json;

use super::super::{
    DifferenceKind, Observed, RedactConfig, Redactor, Report, RequestSample, compare,
    compare_with_noise,
};
use super::{ok, order, rules};

fn request(i: usize) -> RequestSample {
    RequestSample {
        method: "POST".into(),
        target: format!("/api/v1/orders?eml=a{i}%40example.com"),
        headers: vec![
            ("Authorization".into(), "Bearer s3cret".into()),
            ("Accept".into(), "application/json".into()),
        ],
        body:
            json!({"cust": 7, "pm": "card", "tok": "tok_visa", "lines": [{"sku": "A-1", "qty": 1}]})
                .to_string()
                .into_bytes(),
    }
}

#[test]
fn groups_count_by_route_and_pattern_with_few_redacted_examples() {
    let r = rules(json!({"ignore": ["$.upd"]}));
    let redactor = Redactor::new(&RedactConfig::default()).unwrap();
    let mut report = Report::new(2);
    for i in 0..5 {
        let mut candidate = order();
        candidate["lines"][i % 3]["amt"] = json!(0);
        candidate["upd"] = json!("later");
        report.record(
            "orders.create",
            &request(i),
            &redactor,
            &compare(&ok(order()), &ok(candidate), &r),
        );
    }
    report.record(
        "orders.get",
        &request(9),
        &redactor,
        &compare(&ok(order()), &ok(order()), &r),
    );

    let amt = report.find("orders.create", "$.lines[*].amt").unwrap();
    assert_eq!((amt.mismatched, amt.ignored, amt.noise), (5, 0, 0));
    assert_eq!(amt.examples.len(), 2);
    let example = &amt.examples[0];
    assert_eq!(example.path, "$.lines[0].amt");
    assert_eq!(example.legacy_primary, Observed::Present(json!(999)));
    assert_eq!(example.new_candidate, Observed::Present(json!(0)));
    assert_eq!(example.request.target, "/api/v1/orders?eml=[redacted]");
    assert_eq!(example.request.headers[0].1, "[redacted]");
    assert_eq!(
        example.request.body.as_ref().unwrap()["tok"],
        json!("[redacted]")
    );

    let upd = report.find("orders.create", "$.upd").unwrap();
    assert_eq!((upd.mismatched, upd.ignored), (0, 5));
    assert!(report.find("orders.get", "$.upd").is_none());

    let routes: Vec<(&str, u64, u64)> = report
        .routes
        .iter()
        .map(|r| (r.route.as_str(), r.matched, r.mismatched))
        .collect();
    assert_eq!(routes, [("orders.create", 0, 5), ("orders.get", 1, 0)]);

    let stored = serde_json::to_string(&report).unwrap();
    assert!(
        !stored.contains("s3cret")
            && !stored.contains("tok_visa")
            && !stored.contains("%40example")
    );
    assert_eq!(serde_json::from_str::<Report>(&stored).unwrap(), report);
}

#[test]
fn mismatch_examples_displace_milder_ones() {
    let redactor = Redactor::new(&RedactConfig::default()).unwrap();
    let r = rules(json!({}));
    let mut report = Report::new(1);
    let mut model = super::super::NoiseModel::new();
    let noisy = compare_with_noise(
        &ok(json!({"x": 1})),
        Some(&ok(json!({"x": 2}))),
        &ok(json!({"x": 3})),
        &r,
        &mut model,
    );
    report.record("r", &request(0), &redactor, &noisy);
    assert_eq!(
        report.find("r", "$.x").unwrap().examples[0].kind,
        DifferenceKind::Noise
    );
    let real = compare(&ok(json!({"x": 1})), &ok(json!({"x": 4})), &r);
    report.record("r", &request(1), &redactor, &real);
    let group = report.find("r", "$.x").unwrap();
    assert_eq!((group.noise, group.mismatched), (1, 1));
    assert_eq!(group.examples[0].kind, DifferenceKind::Mismatch);
    assert_eq!(group.examples[0].new_candidate, Observed::Present(json!(4)));
}
