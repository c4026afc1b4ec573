//! Redaction of differences, headers and requests.

use serde_json::json;

use super::super::{Observed, RedactConfig, Redactor, Response, compare};
use super::{defaults, ok, rules};

fn builtin() -> Redactor {
    Redactor::new(&RedactConfig::default()).unwrap()
}

#[test]
fn nested_bodies_lose_cards_emails_and_tokens() {
    let doc = json!({
        "cust": {"nm": "Ada", "eml": "ada@example.com", "bill": {"ln1": "1 Road"}},
        "notes": ["call ada@example.com", "card 4111 1111 1111 1111 ok", "ref 1234567890123"],
        "payment": {"number": 4111111111111111_u64, "token": {"v": "abc"}, "tok": "tok_visa"},
        "auth": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig",
        "contact_email": null
    });
    let out = builtin().value(&doc);
    assert_eq!(out["cust"]["eml"], json!("[redacted]"));
    assert_eq!(out["cust"]["nm"], json!("Ada"));
    assert_eq!(out["notes"][0], json!("call [redacted email]"));
    assert_eq!(out["notes"][1], json!("card [redacted card] ok"));
    assert_eq!(
        out["notes"][2],
        json!("ref 1234567890123"),
        "not Luhn-valid: kept"
    );
    assert_eq!(out["payment"]["number"], json!("[redacted card]"));
    assert_eq!(
        out["payment"]["token"],
        json!("[redacted]"),
        "whole object under a sensitive name"
    );
    assert_eq!(out["payment"]["tok"], json!("[redacted]"));
    assert_eq!(out["auth"], json!("[redacted token]"));
    assert_eq!(
        out["contact_email"],
        json!(null),
        "null says unset, nothing sensitive"
    );
    assert!(!out.to_string().contains("4111"));
}

#[test]
fn differences_carry_redacted_values() {
    let p = ok(json!({"cust": {"eml": "a@example.com", "note": "x@example.org"}}));
    let c = ok(json!({"cust": {"eml": "b@example.com", "note": "y@example.org"}}));
    let comparison = compare(&p, &c, &defaults());
    assert_eq!(comparison.differences.len(), 2);
    for d in &comparison.differences {
        let text = serde_json::to_string(d).unwrap();
        assert!(!text.contains("example."), "{text}");
    }
    assert_eq!(
        comparison.differences[0].primary,
        Observed::Present(json!("[redacted]"))
    );
    assert_eq!(
        comparison.differences[1].primary,
        Observed::Present(json!("[redacted email]"))
    );
}

#[test]
fn headers_are_redacted_by_name_and_content() {
    let r = builtin();
    let headers = r.headers(&[
        ("Authorization".into(), "Bearer abc".into()),
        ("Cookie".into(), "sid=1".into()),
        ("X-Api-Key".into(), "k".into()),
        ("X-Note".into(), "from bob@example.com".into()),
        ("Accept".into(), "application/json".into()),
    ]);
    let values: Vec<&str> = headers.iter().map(|(_, v)| v.as_str()).collect();
    assert_eq!(
        values,
        [
            "[redacted]",
            "[redacted]",
            "[redacted]",
            "from [redacted email]",
            "application/json"
        ]
    );

    let with_header = rules(json!({"headers": ["set-cookie"]}));
    let mut p = Response::json(200, &json!({}));
    p.headers.push(("Set-Cookie".into(), "sid=secret".into()));
    let c = compare(&p, &Response::json(200, &json!({})), &with_header);
    assert_eq!(
        c.differences[0].primary,
        Observed::Present(json!("[redacted]"))
    );
}

#[test]
fn query_strings_and_configured_names_and_paths() {
    let r = Redactor::new(&RedactConfig {
        fields: vec!["ln1".into()],
        paths: vec!["$.bill.zip".into()],
        ..RedactConfig::default()
    })
    .unwrap();
    assert_eq!(
        r.target("/api/v1/customers?eml=a%40b.com&page=2&access_token=x&q=c%40d.org"),
        "/api/v1/customers?eml=[redacted]&page=2&access_token=[redacted]&q=[redacted email]"
    );
    let out = r.value(&json!({"bill": {"ln1": "1 Road", "zip": 75001, "city": "Paris"}}));
    assert_eq!(
        out,
        json!({"bill": {"ln1": "[redacted]", "zip": "[redacted]", "city": "Paris"}})
    );
}

#[test]
fn detectors_and_builtin_names_can_be_switched_off() {
    let none = Redactor::new(&RedactConfig {
        builtin_fields: false,
        detect: vec![],
        ..RedactConfig::default()
    })
    .unwrap();
    let doc = json!({"eml": "a@example.com", "n": 4111111111111111_u64});
    assert_eq!(none.value(&doc), doc);
}

#[test]
fn a_difference_deep_under_a_sensitive_name_is_redacted() {
    let p = ok(json!({"payment": {"token": {"v": "abc", "n": [1]}}}));
    let c = ok(json!({"payment": {"token": {"v": "abd", "n": [2]}}}));
    let comparison = compare(&p, &c, &defaults());
    assert_eq!(comparison.differences.len(), 2);
    for d in &comparison.differences {
        assert_eq!(
            d.primary,
            Observed::Present(json!("[redacted]")),
            "{}",
            d.path
        );
        assert_eq!(
            d.candidate,
            Observed::Present(json!("[redacted]")),
            "{}",
            d.path
        );
    }
}

#[test]
fn form_and_text_bodies_are_redacted() {
    let r = builtin();
    assert_eq!(
        r.body(b"user=ada&password=hunter2&note=hi", 200),
        json!("user=ada&password=[redacted]&note=hi")
    );
    assert_eq!(
        r.body(b"mail me: ada@example.com", 200),
        json!("mail me: [redacted email]")
    );
    assert_eq!(r.body(b"abcdef", 3), json!("abc"));
}
