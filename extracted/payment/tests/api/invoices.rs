//! Invoices: issue with a billing snapshot, read three ways, pay, credit, void.

use crate::helpers::{expect, expect_problem, key, spawn_app};
use platform::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::{Value, json};

pub fn invoice_body(order: i64, payment_id: Option<&str>) -> Value {
    json!({
        "order_legacy_id": order,
        "customer_legacy_id": 77,
        "payment_id": payment_id,
        "amount": {"amount": "99.50", "currency": "EUR"},
        "billing": {"name": "Ada Lovelace", "line1": "1 Analytical St", "city": "London",
                    "postal_code": "N1 7AA", "country": "GB"}
    })
}

async fn issue_pay_credit(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let mut body = crate::helpers::card(8, "99.50");
    body["method"] = json!("invoice");
    body.as_object_mut().unwrap().remove("card_token");
    let payment = app.create_payment(&body).await;
    let pid = payment["id"].as_str().unwrap();
    let res = app
        .post(
            "/v2/invoices",
            &invoice_body(8, Some(pid)),
            Some(&key()),
            false,
        )
        .await;
    let invoice = expect(res, StatusCode::CREATED).await;
    assert_eq!(invoice["status"], "open");
    assert_eq!(invoice["payment_legacy_id"], payment["legacy_id"]);
    let legacy = invoice["legacy_id"].as_i64().unwrap();
    assert_eq!(invoice["number"], format!("INV-{legacy:06}"));
    let id = invoice["id"].as_str().unwrap();
    assert_eq!(
        expect(app.get(&format!("/v2/invoices/{id}")).await, StatusCode::OK).await,
        invoice
    );
    let by_legacy = app
        .get(&format!("/v2/invoices/by-legacy-id/{legacy}"))
        .await;
    assert_eq!(expect(by_legacy, StatusCode::OK).await, invoice);
    let listed = expect(
        app.get("/v2/invoices?order_legacy_id=8").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["data"][0], invoice);
    let empty = expect(
        app.get("/v2/invoices?order_legacy_id=9").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(empty["total"], 0);

    expect_problem(
        app.post_empty(&format!("/v2/invoices/{id}/credit"), false)
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    let paid = expect(
        app.post_empty(&format!("/v2/invoices/{id}/pay"), false)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(paid["status"], "paid");
    expect_problem(
        app.post_empty(&format!("/v2/invoices/{id}/void"), false)
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    let credited = expect(
        app.post_empty(&format!("/v2/invoices/{id}/credit"), false)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(credited["status"], "credited");
    // payment authorised + issued + paid + credited
    assert_eq!(app.count("outbox").await, 4);
}

async fn imported_invoices_and_bad_ones(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let mut body = invoice_body(3, None);
    body["legacy_id"] = json!(17);
    body["number"] = json!("INV-000017");
    body["status"] = json!("paid");
    body["issued_at"] = json!("2024-01-02T03:04:05Z");
    let imported = expect(
        app.post("/v2/invoices", &body, Some(&key()), false).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(imported["number"], "INV-000017");
    assert_eq!(imported["status"], "paid");
    assert_eq!(imported["issued_at"], "2024-01-02T03:04:05Z");
    let id = imported["id"].as_str().unwrap();
    let credit = json!({"at": "2024-02-01T00:00:00Z"});
    let res = app
        .post(&format!("/v2/invoices/{id}/credit"), &credit, None, false)
        .await;
    let credited = expect(res, StatusCode::OK).await;
    assert_eq!(credited["updated_at"], "2024-02-01T00:00:00Z");
    let dup = app.post("/v2/invoices", &body, Some(&key()), false).await;
    expect_problem(dup, StatusCode::CONFLICT).await;
    for (field, value) in [
        ("number", json!("INV-12")),
        ("amount", json!({"amount": "-1.00", "currency": "EUR"})),
        (
            "billing",
            json!({"name": "A", "line1": "B", "city": "C", "postal_code": "D", "country": "Germany"}),
        ),
        ("payment_id", json!(uuid::Uuid::new_v4())),
    ] {
        let mut bad = invoice_body(3, None);
        bad[field] = value;
        let res = app.post("/v2/invoices", &bad, Some(&key()), false).await;
        let status = if field == "payment_id" {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        expect_problem(res, status).await;
    }
    assert_eq!(app.count("invoices").await, 1);
}

/// A captured card payment's invoice issued paid in one call; an
/// authorisation's cannot be, nothing is issued.
async fn an_invoice_is_issued_paid_only_for_a_captured_payment(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let authorised = app.create_payment(&crate::helpers::card(4, "99.50")).await;
    let mut body = invoice_body(4, authorised["id"].as_str());
    body["status"] = json!("paid");
    let res = app.post("/v2/invoices", &body, Some(&key()), false).await;
    let problem = expect_problem(res, StatusCode::CONFLICT).await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("nothing captured"),
        "{problem}"
    );
    assert_eq!(app.count("invoices").await, 0);

    let captured = app.captured_payment(5, "99.50").await;
    let mut body = invoice_body(5, captured["id"].as_str());
    body["status"] = json!("paid");
    let res = app.post("/v2/invoices", &body, Some(&key()), false).await;
    let invoice = expect(res, StatusCode::CREATED).await;
    assert_eq!(invoice["status"], "paid");
    assert_eq!(invoice["payment_legacy_id"], captured["legacy_id"]);
    let id = invoice["id"].as_str().unwrap();
    let credited = app
        .post_empty(&format!("/v2/invoices/{id}/credit"), false)
        .await;
    assert_eq!(expect(credited, StatusCode::OK).await["status"], "credited");
}

platform::both_backends!(
    issue_pay_credit,
    imported_invoices_and_bad_ones,
    an_invoice_is_issued_paid_only_for_a_captured_payment,
);
