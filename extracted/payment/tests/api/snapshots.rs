//! The wire shape of a payment, a refund and an invoice, pinned (ids and
//! timestamps redacted). The same snapshots hold on both backends.

use crate::helpers::{card, expect, key, spawn_app};
use crate::invoices::invoice_body;
use platform::testing::TestBackend;
use reqwest::StatusCode;

async fn wire_shapes(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let mut body = card(501, "12.30");
    body["capture"] = serde_json::json!(true);
    let payment = app.create_payment(&body).await;
    insta::assert_json_snapshot!("payment", payment, {
        ".id" => "[uuid]", ".created_at" => "[timestamp]", ".updated_at" => "[timestamp]"
    });
    let refund = expect(app.refund(&payment, "2.30").await, StatusCode::CREATED).await;
    insta::assert_json_snapshot!("refund", refund, {
        ".id" => "[uuid]", ".payment_id" => "[uuid]", ".created_at" => "[timestamp]"
    });
    let mut declined = card(502, "5.00");
    declined["card_token"] = serde_json::json!("tok_declined");
    let res = app
        .post("/v2/payments", &declined, Some(&key()), false)
        .await;
    let problem = expect(res, StatusCode::PAYMENT_REQUIRED).await;
    insta::assert_json_snapshot!("declined", problem, {
        ".payment_id" => "[uuid]", ".detail" => insta::dynamic_redaction(|value, _| {
            // The detail names the payment's UUID; keep the words.
            let text = value.as_str().unwrap_or_default();
            let words: Vec<&str> = text
                .split(' ')
                .map(|w| if uuid::Uuid::parse_str(w).is_ok() { "[uuid]" } else { w })
                .collect();
            words.join(" ")
        })
    });
    let pid = payment["id"].as_str().unwrap();
    let res = app
        .post(
            "/v2/invoices",
            &invoice_body(501, Some(pid)),
            Some(&key()),
            false,
        )
        .await;
    let invoice = expect(res, StatusCode::CREATED).await;
    insta::assert_json_snapshot!("invoice", invoice, {
        ".id" => "[uuid]", ".payment_id" => "[uuid]",
        ".issued_at" => "[timestamp]", ".updated_at" => "[timestamp]"
    });
}

async fn the_openapi_document_lists_every_route(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let doc = expect(app.get("/v2/openapi.json").await, StatusCode::OK).await;
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/v2/payments",
        "/v2/payments/{id}",
        "/v2/payments/by-legacy-id/{legacy_id}",
        "/v2/payments/{id}/capture",
        "/v2/payments/{id}/void",
        "/v2/payments/{id}/fail",
        "/v2/payments/{id}/events",
        "/v2/payments/{id}/refunds",
        "/v2/refunds/{id}",
        "/v2/refunds/by-legacy-id/{legacy_id}",
        "/v2/invoices",
        "/v2/invoices/{id}",
        "/v2/invoices/by-legacy-id/{legacy_id}",
        "/v2/invoices/{id}/pay",
        "/v2/invoices/{id}/void",
        "/v2/invoices/{id}/credit",
        "/v2/imports/payments",
        "/v2/imports/invoices",
        "/v2/exports/payments",
        "/v2/exports/invoices",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} missing from the OpenAPI document"
        );
    }
    let mut ids: Vec<&str> = paths
        .values()
        .flat_map(|ops| ops.as_object().unwrap().values())
        .map(|op| op["operationId"].as_str().unwrap())
        .collect();
    let operations = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(
        ids.len(),
        operations,
        "operation ids must be unique: {ids:?}"
    );
    assert_eq!(operations, 23);
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for schema in [
        "Payment",
        "Refund",
        "Invoice",
        "Money",
        "CreatePayment",
        "ProblemDoc",
    ] {
        assert!(schemas.contains_key(schema), "{schema} missing");
    }
    expect(app.get("/healthz").await, StatusCode::OK).await;
    expect(app.get("/readyz").await, StatusCode::OK).await;
}

platform::both_backends!(wire_shapes, the_openapi_document_lists_every_route);
