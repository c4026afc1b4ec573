//! Status, headers and bodies: what is found, where, and how it counts.

use serde_json::json;

use super::super::{DifferenceKind, Observed, Response, Section, Verdict, compare};
use super::{defaults, ok, only, order, present, rules};

#[test]
fn identical_documents_match() {
    let c = compare(&ok(order()), &ok(order()), &defaults());
    assert!(c.differences.is_empty());
    assert_eq!(c.verdict(), Verdict::Match);
}

#[test]
fn a_planted_difference_is_found_with_its_path_and_pattern() {
    let mut candidate = order();
    candidate["lines"][2]["amt"] = json!(2);
    let c = compare(&ok(order()), &ok(candidate), &defaults());
    let d = only(&c);
    assert_eq!(d.path, "$.lines[2].amt");
    assert_eq!(d.pattern, "$.lines[*].amt");
    assert_eq!(d.section, Section::Body);
    assert_eq!(d.primary, present(json!(1)));
    assert_eq!(d.candidate, present(json!(2)));
    assert_eq!(d.kind, DifferenceKind::Mismatch);
    assert_eq!(c.verdict(), Verdict::Mismatch);
}

#[test]
fn missing_and_extra_fields_say_which_side_lacks_them() {
    let mut candidate = order();
    candidate.as_object_mut().unwrap().remove("inv");
    candidate["extra"] = json!(true);
    let c = compare(&ok(order()), &ok(candidate), &defaults());
    assert_eq!(c.differences.len(), 2);
    let extra = &c.differences[0];
    assert_eq!(
        (extra.path.as_str(), &extra.primary),
        ("$.extra", &Observed::Missing)
    );
    let inv = &c.differences[1];
    assert_eq!(
        (inv.path.as_str(), &inv.candidate),
        ("$.inv", &Observed::Missing)
    );
    assert_eq!(inv.primary, present(json!(5)));
}

#[test]
fn arrays_by_position_see_a_reordering() {
    let mut candidate = order();
    candidate["lines"].as_array_mut().unwrap().reverse();
    let c = compare(&ok(order()), &ok(candidate), &defaults());
    assert_eq!(c.verdict(), Verdict::Mismatch);
    assert!(c.differences.iter().any(|d| d.path == "$.lines[0].sku"));
}

#[test]
fn arrays_by_key_ignore_the_order_but_not_the_content() {
    let by_sku = rules(json!({"array_keys": {"$.lines": "sku"}}));
    let mut reordered = order();
    reordered["lines"].as_array_mut().unwrap().reverse();
    assert_eq!(
        compare(&ok(order()), &ok(reordered.clone()), &by_sku).verdict(),
        Verdict::Match
    );

    // B-2 is the primary's line 1: reported there whatever its candidate index.
    reordered["lines"][1]["qty"] = json!(3);
    let c = compare(&ok(order()), &ok(reordered.clone()), &by_sku);
    assert_eq!(only(&c).path, "$.lines[1].qty");

    // A line only the candidate has is reported at its own index, primary Missing.
    reordered["lines"][1]["qty"] = json!(2);
    reordered["lines"]
        .as_array_mut()
        .unwrap()
        .push(json!({"sku": "D-4", "qty": 1}));
    let c = compare(&ok(order()), &ok(reordered), &by_sku);
    let d = only(&c);
    assert_eq!(
        (d.path.as_str(), &d.primary),
        ("$.lines[3]", &Observed::Missing)
    );
}

#[test]
fn numeric_tolerance_absolute_and_relative() {
    let (a, b) = (ok(json!({"amt": 1000})), ok(json!({"amt": 1004})));
    assert_eq!(compare(&a, &b, &defaults()).verdict(), Verdict::Mismatch);
    let absolute = rules(json!({"numeric_tolerance": {"absolute": 5}}));
    assert_eq!(compare(&a, &b, &absolute).verdict(), Verdict::Match);
    let too_tight = rules(json!({"numeric_tolerance": {"absolute": 3}}));
    assert_eq!(compare(&a, &b, &too_tight).verdict(), Verdict::Mismatch);
    let relative = rules(json!({"numeric_tolerance": {"relative": 0.005}}));
    assert_eq!(compare(&a, &b, &relative).verdict(), Verdict::Match);
    let (small, small2) = (ok(json!({"amt": 10})), ok(json!({"amt": 14})));
    assert_eq!(
        compare(&small, &small2, &relative).verdict(),
        Verdict::Mismatch
    );
    // Representation does not matter, value does.
    assert_eq!(
        compare(&ok(json!(1)), &ok(json!(1.0)), &defaults()).verdict(),
        Verdict::Match
    );
    // Large ids beyond f64 precision stay exact.
    let (x, y) = (
        ok(json!(9_007_199_254_740_993_u64)),
        ok(json!(9_007_199_254_740_992_u64)),
    );
    assert_eq!(compare(&x, &y, &defaults()).verdict(), Verdict::Mismatch);
}

#[test]
fn ignore_rules_count_as_ignored_never_as_match() {
    let r = rules(json!({"ignore": ["$.crt", "$.lines[*].px", "$..trk"]}));
    let mut candidate = order();
    candidate["crt"] = json!("2026-11-24 10:00:01");
    candidate["lines"][0]["px"] = json!(1);
    candidate["ship"] = json!({"trk": "Z1"});
    let c = compare(&ok(order()), &ok(candidate.clone()), &r);
    assert_eq!(c.count(DifferenceKind::Ignored), 2, "{c:#?}");
    assert_eq!(
        c.count(DifferenceKind::Mismatch),
        1,
        "$.ship is not covered by $..trk"
    );
    candidate.as_object_mut().unwrap().remove("ship");
    let c = compare(&ok(order()), &ok(candidate), &r);
    assert_eq!(c.verdict(), Verdict::IgnoredOnly);
    assert_ne!(c.verdict(), Verdict::Match);
}

#[test]
fn ignore_covers_everything_under_the_named_place() {
    let r = rules(json!({"ignore": ["$.meta"]}));
    let c = compare(
        &ok(json!({"meta": {"a": 1}})),
        &ok(json!({"meta": {"a": 2, "b": 3}})),
        &r,
    );
    assert_eq!(c.count(DifferenceKind::Ignored), 2);
    assert_eq!(c.verdict(), Verdict::IgnoredOnly);
}

#[test]
fn ignore_values_needs_both_values_to_match_the_regex() {
    let r = rules(json!({"ignore_values": [
        {"pattern": "$..upd", "regex": r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"}
    ]}));
    let mut candidate = order();
    candidate["upd"] = json!("2026-11-24 10:00:07");
    assert_eq!(
        compare(&ok(order()), &ok(candidate.clone()), &r).verdict(),
        Verdict::IgnoredOnly
    );
    candidate["upd"] = json!("2026-11-24T10:00:07Z");
    let c = compare(&ok(order()), &ok(candidate.clone()), &r);
    assert_eq!(only(&c).kind, DifferenceKind::Mismatch);
    // Elsewhere the rule does not apply.
    candidate["upd"] = order()["upd"].clone();
    candidate["crt"] = json!("2026-11-24 10:00:07");
    assert_eq!(
        compare(&ok(order()), &ok(candidate), &r).verdict(),
        Verdict::Mismatch
    );
}

#[test]
fn non_json_bodies_compare_as_bytes() {
    let text = |s: &str| Response {
        status: 200,
        headers: vec![],
        body: s.as_bytes().to_vec(),
    };
    assert_eq!(
        compare(&text("pong"), &text("pong"), &defaults()).verdict(),
        Verdict::Match
    );
    let c = compare(&text("pong"), &text("ping"), &defaults());
    let d = only(&c);
    assert_eq!((d.path.as_str(), d.section), ("body", Section::Body));
    assert_eq!(d.candidate, present(json!("ping")));
    // JSON on one side only is a body difference too.
    let c = compare(&text("{\"a\":1}"), &text("<html>"), &defaults());
    assert_eq!(only(&c).primary, present(json!({"a": 1})));
    // Empty bodies are equal.
    assert_eq!(
        compare(&text(""), &text(""), &defaults()).verdict(),
        Verdict::Match
    );
}

#[test]
fn status_and_configured_headers() {
    let r = rules(json!({"headers": ["Content-Type", "ETag"]}));
    let primary = Response {
        status: 200,
        headers: vec![
            ("Content-Type".into(), "application/json".into()),
            ("etag".into(), "\"1\"".into()),
            ("date".into(), "x".into()),
        ],
        body: b"{}".to_vec(),
    };
    let mut candidate = primary.clone();
    candidate.headers = vec![
        ("content-type".into(), "application/problem+json".into()),
        ("date".into(), "y".into()),
    ];
    candidate.status = 404;
    let c = compare(&primary, &candidate, &r);
    let found: Vec<(&str, Section)> = c
        .differences
        .iter()
        .map(|d| (d.path.as_str(), d.section))
        .collect();
    assert_eq!(
        found,
        [
            ("status", Section::Status),
            ("headers.content-type", Section::Header),
            ("headers.etag", Section::Header)
        ]
    );
    assert_eq!(c.differences[0].candidate, present(json!(404)));
    assert_eq!(c.differences[2].candidate, Observed::Missing);
    // `date` differs but is not configured.
    assert!(c.differences.iter().all(|d| d.path != "headers.date"));
}

#[test]
fn verdict_precedence_follows_the_store() {
    use super::super::{Comparison, Difference};
    let diff = |kind| Difference {
        section: Section::Body,
        path: "$.a".into(),
        pattern: "$.a".into(),
        primary: Observed::Missing,
        candidate: Observed::Missing,
        kind,
    };
    let verdict = |kinds: &[DifferenceKind]| {
        Comparison {
            differences: kinds.iter().map(|k| diff(*k)).collect(),
        }
        .verdict()
    };
    use DifferenceKind::{Ignored, Mismatch, Noise};
    assert_eq!(verdict(&[]), Verdict::Match);
    assert_eq!(verdict(&[Ignored]), Verdict::IgnoredOnly);
    assert_eq!(verdict(&[Ignored, Noise]), Verdict::NoiseOnly);
    assert_eq!(verdict(&[Noise, Ignored, Mismatch]), Verdict::Mismatch);
    assert_eq!(
        serde_json::to_value(Verdict::IgnoredOnly).unwrap(),
        json!("ignored")
    );
    assert_eq!(
        serde_json::to_value(Verdict::NoiseOnly).unwrap(),
        json!("noise")
    );
}

#[test]
fn the_wire_shape_of_a_difference() {
    let mut candidate = order();
    candidate["lines"][0].as_object_mut().unwrap().remove("amt");
    let c = compare(&ok(order()), &ok(candidate), &defaults());
    assert_eq!(
        serde_json::to_value(&c).unwrap(),
        json!({"differences": [{
            "section": "body",
            "path": "$.lines[0].amt",
            "pattern": "$.lines[*].amt",
            "primary": {"state": "present", "value": 999},
            "candidate": {"state": "missing"},
            "kind": "mismatch"
        }]})
    );
}

#[test]
fn huge_values_are_cut_to_a_preview() {
    use super::super::{MAX_VALUE_BYTES, TEXT_PREVIEW_CHARS};
    let big: Vec<u64> = (0..2000).collect();
    let c = compare(
        &ok(json!({"a": big})),
        &ok(json!({"a": "gone"})),
        &defaults(),
    );
    let Observed::Present(serde_json::Value::String(preview)) = &only(&c).primary else {
        panic!("expected a string preview: {c:#?}");
    };
    assert!(preview.starts_with("[0,1,2,3"), "{preview}");
    assert!(preview.ends_with("bytes of JSON in all)"), "{preview}");
    assert!(preview.chars().count() < TEXT_PREVIEW_CHARS + 40);
    assert!(json!(big).to_string().len() > MAX_VALUE_BYTES);
    assert_eq!(only(&c).candidate, present(json!("gone")));
}
