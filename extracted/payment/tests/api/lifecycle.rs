//! A payment's life over HTTP: authorise, read three ways, capture, refund in
//! part and in full, void, fail, decline.

use crate::helpers::{card, expect, expect_problem, key, spawn_app};
use platform::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::json;

async fn authorize_capture_refund(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let created = app.create_payment(&card(42, "25.00")).await;
    assert_eq!(created["status"], "authorized");
    assert_eq!(
        created["amount"],
        json!({"amount": "25.00", "currency": "EUR"})
    );
    assert_eq!(created["captured"]["amount"], "0.00");
    assert_eq!(created["version"], 1);
    let legacy_id = created["legacy_id"].as_i64().unwrap();
    assert!(legacy_id >= app.settings.legacy_ids.start, "{legacy_id}");
    let id = created["id"].as_str().unwrap().to_owned();

    let by_id = expect(app.get(&format!("/v2/payments/{id}")).await, StatusCode::OK).await;
    assert_eq!(by_id, created);
    let by_legacy = app
        .get(&format!("/v2/payments/by-legacy-id/{legacy_id}"))
        .await;
    assert_eq!(expect(by_legacy, StatusCode::OK).await, created);
    let listed = app
        .get("/v2/payments?order_legacy_id=42&limit=10&offset=0")
        .await;
    let listed = expect(listed, StatusCode::OK).await;
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["data"][0], created);

    let captured = app
        .post_empty(&format!("/v2/payments/{id}/capture"), false)
        .await;
    let captured = expect(captured, StatusCode::OK).await;
    assert_eq!(captured["status"], "captured");
    assert_eq!(captured["captured"]["amount"], "25.00");

    let refund = expect(app.refund(&captured, "10.00").await, StatusCode::CREATED).await;
    assert_eq!(refund["payment_id"], id.as_str());
    assert_eq!(refund["payment_legacy_id"], legacy_id);
    let after = expect(app.get(&format!("/v2/payments/{id}")).await, StatusCode::OK).await;
    assert_eq!(after["status"], "partially_refunded");
    assert_eq!(after["refunded"]["amount"], "10.00");

    let too_much = app.refund(&captured, "15.01").await;
    let problem = expect_problem(too_much, StatusCode::CONFLICT).await;
    assert_eq!(problem["refundable"], "15.00");
    expect(app.refund(&captured, "15.00").await, StatusCode::CREATED).await;
    let after = expect(app.get(&format!("/v2/payments/{id}")).await, StatusCode::OK).await;
    assert_eq!(after["status"], "refunded");
    assert_eq!(after["version"], 4);
    expect_problem(app.refund(&captured, "0.01").await, StatusCode::CONFLICT).await;

    let refunds = app.get(&format!("/v2/payments/{id}/refunds?limit=1")).await;
    let refunds = expect(refunds, StatusCode::OK).await;
    assert_eq!(refunds["total"], 2);
    assert_eq!(refunds["data"].as_array().unwrap().len(), 1);
    assert_eq!(refunds["data"][0], refund);
    let rid = refund["id"].as_str().unwrap();
    assert_eq!(
        expect(app.get(&format!("/v2/refunds/{rid}")).await, StatusCode::OK).await,
        refund
    );
    let rlegacy = refund["legacy_id"].as_i64().unwrap();
    let by_legacy = app
        .get(&format!("/v2/refunds/by-legacy-id/{rlegacy}"))
        .await;
    assert_eq!(expect(by_legacy, StatusCode::OK).await, refund);

    let ledger = expect(
        app.get(&format!("/v2/payments/{id}/events")).await,
        StatusCode::OK,
    )
    .await;
    let types: Vec<_> = ledger
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["version"].as_i64().unwrap(),
                e["event_type"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        types,
        [
            (1, "payment.authorized".to_owned()),
            (2, "payment.captured".to_owned()),
            (3, "payment.refunded".to_owned()),
            (4, "payment.refunded".to_owned())
        ]
    );
    assert_eq!(ledger[2]["data"]["amount_minor"], 1000);
    // One outbox event per state change, in the same transactions.
    assert_eq!(app.count("payment_events").await, 4);
    assert_eq!(app.count("outbox").await, 4);
}

async fn void_fail_and_illegal_transitions(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let p = app.create_payment(&card(1, "5.00")).await;
    let id = p["id"].as_str().unwrap();
    let voided = expect(
        app.post_empty(&format!("/v2/payments/{id}/void"), false)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(voided["status"], "voided");
    let again = app
        .post_empty(&format!("/v2/payments/{id}/capture"), false)
        .await;
    let problem = expect_problem(again, StatusCode::CONFLICT).await;
    assert_eq!(problem["status"], 409);
    expect_problem(app.refund(&p, "1.00").await, StatusCode::CONFLICT).await;

    let q = app.create_payment(&card(1, "5.00")).await;
    let qid = q["id"].as_str().unwrap();
    let res = app
        .post(
            &format!("/v2/payments/{qid}/fail"),
            &json!({"reason": "fraud suspected"}),
            None,
            false,
        )
        .await;
    let failed = expect(res, StatusCode::OK).await;
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["failure_reason"], "fraud suspected");
    expect_problem(
        app.post_empty(&format!("/v2/payments/{qid}/void"), false)
            .await,
        StatusCode::CONFLICT,
    )
    .await;
}

async fn a_declined_card_is_recorded_as_failed(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let mut body = card(9, "12.00");
    body["card_token"] = json!("tok_declined");
    let k = key();
    let first = app.post("/v2/payments", &body, Some(&k), false).await;
    let problem = expect_problem(first, StatusCode::PAYMENT_REQUIRED).await;
    assert_eq!(problem["status"], 402);
    assert_eq!(
        problem["type"],
        "urn:strangler-kit:problem:payment-declined"
    );
    let id = problem["payment_id"].as_str().unwrap();
    let payment = expect(app.get(&format!("/v2/payments/{id}")).await, StatusCode::OK).await;
    assert_eq!(payment["status"], "failed");
    assert_eq!(payment["legacy_id"], problem["payment_legacy_id"]);
    // The decline is a committed outcome: a retry replays it.
    let replay = app.post("/v2/payments", &body, Some(&k), false).await;
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(
        expect_problem(replay, StatusCode::PAYMENT_REQUIRED).await,
        problem
    );
    assert_eq!(app.count("payments").await, 1);
}

async fn imports_keep_their_legacy_id(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let mut body = card(5, "3.00");
    body["legacy_id"] = json!(1234);
    body["capture"] = json!(true);
    body["created_at"] = json!("2025-03-30T01:30:00.123456Z");
    let p = app.create_payment(&body).await;
    assert_eq!(p["legacy_id"], 1234);
    assert_eq!(p["status"], "captured");
    assert_eq!(p["created_at"], "2025-03-30T01:30:00.123456Z");
    let dup = app.post("/v2/payments", &body, Some(&key()), false).await;
    expect_problem(dup, StatusCode::CONFLICT).await;
    body["legacy_id"] = json!(app.settings.legacy_ids.start);
    let in_range = app.post("/v2/payments", &body, Some(&key()), false).await;
    let problem = expect_problem(in_range, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem["field"], "legacy_id");
    let found = app.get("/v2/payments/by-legacy-id/1234").await;
    assert_eq!(expect(found, StatusCode::OK).await, p);
}

/// Imports replay history: each state change may carry when it happened.
async fn imported_changes_keep_their_time(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let mut body = card(6, "3.00");
    body["legacy_id"] = json!(55);
    body["created_at"] = json!("2025-01-01T10:00:00Z");
    let p = app.create_payment(&body).await;
    let id = p["id"].as_str().unwrap();
    let void = format!("/v2/payments/{id}/void");
    let early = app
        .post(&void, &json!({"at": "2024-12-31T10:00:00Z"}), None, false)
        .await;
    let problem = expect_problem(early, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem["field"], "at");
    expect_problem(
        app.post(&void, &json!({"at": "soon"}), None, false).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let garbled = app
        .client
        .post(app.url(&void))
        .body("{oops")
        .send()
        .await
        .unwrap();
    expect_problem(garbled, StatusCode::BAD_REQUEST).await;
    let res = app
        .post(&void, &json!({"at": "2025-01-02T10:00:00Z"}), None, false)
        .await;
    let voided = expect(res, StatusCode::OK).await;
    assert_eq!(voided["status"], "voided");
    assert_eq!(voided["created_at"], "2025-01-01T10:00:00Z");
    assert_eq!(voided["updated_at"], "2025-01-02T10:00:00Z");
}

platform::both_backends!(
    imported_changes_keep_their_time,
    authorize_capture_refund,
    void_fail_and_illegal_transitions,
    a_declined_card_is_recorded_as_failed,
    imports_keep_their_legacy_id,
);
