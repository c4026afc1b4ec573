//! `/v2/imports/*`: histories kept, no gateway call, no event published,
//! idempotent by legacy id, a refused record leaves nothing behind;
//! `/v2/exports/*` walks everything by legacy id.

use crate::helpers::{TestApp, expect, expect_problem, spawn_app};
use platform::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::{Value, json};

platform::both_backends!(
    an_import_keeps_the_history_and_calls_nobody,
    a_reimport_writes_nothing_and_says_so,
    a_refused_record_leaves_nothing_and_the_batch_goes_on,
    imports_and_exports_refuse_bad_input,
    exports_walk_every_record_by_legacy_id
);

fn eur(amount: &str) -> Value {
    json!({"amount": amount, "currency": "EUR"})
}

/// A card payment captured at once, refunded twice; an invoice payment
/// voided; an invoice payment still authorised.
fn batch() -> Value {
    json!({"payments": [
        {"legacy_id": 11, "order_legacy_id": 101, "method": "card", "amount": eur("30.00"),
         "created_at": "2026-03-01T10:00:00Z", "history": [
            {"type": "captured", "at": "2026-03-01T10:00:00Z"},
            {"type": "refunded", "legacy_id": 5, "amount": eur("10.00"), "reason": "damaged", "at": "2026-03-02T09:00:00Z"},
            {"type": "refunded", "legacy_id": 6, "amount": eur("20.00"), "reason": "returned", "at": "2026-03-03T09:00:00Z"}]},
        {"legacy_id": 12, "order_legacy_id": 102, "method": "invoice", "amount": eur("5.50"),
         "created_at": "2026-03-04T10:00:00Z", "history": [{"type": "voided", "at": "2026-03-05T11:00:00Z"}]},
        {"legacy_id": 13, "order_legacy_id": 103, "customer_legacy_id": 7, "method": "invoice",
         "amount": eur("1.00"), "created_at": "2026-03-06T10:00:00Z"}
    ]})
}

fn invoice(legacy_id: i64) -> Value {
    json!({"legacy_id": legacy_id, "number": format!("INV-{legacy_id:06}"), "order_legacy_id": 101,
        "customer_legacy_id": 7, "amount": eur("30.00"), "status": "credited",
        "billing": {"name": "Ada", "line1": "1 Road", "city": "Berlin", "postal_code": "10115", "country": "DE"},
        "issued_at": "2026-03-01T10:00:00Z", "updated_at": "2026-03-01T10:00:00Z"})
}

async fn import(app: &TestApp, path: &str, body: &Value) -> Vec<Value> {
    let report = expect(app.post(path, body, None, false).await, StatusCode::OK).await;
    report["results"].as_array().unwrap().clone()
}

fn outcomes(results: &[Value]) -> Vec<&str> {
    results
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect()
}

async fn an_import_keeps_the_history_and_calls_nobody(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let gateway_before = payment::gateway::calls();
    let results = import(&app, "/v2/imports/payments", &batch()).await;
    assert_eq!(outcomes(&results), ["imported"; 3]);
    let results = import(
        &app,
        "/v2/imports/invoices",
        &json!({"invoices": [invoice(9)]}),
    )
    .await;
    assert_eq!(outcomes(&results), ["imported"]);

    assert_eq!(
        payment::gateway::calls(),
        gateway_before,
        "an import never asks the gateway"
    );
    assert_eq!(app.count("outbox").await, 0, "an import publishes nothing");

    let p = expect(
        app.get("/v2/payments/by-legacy-id/11").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(p["status"], "refunded");
    assert_eq!(p["refunded"], eur("30.00"));
    assert_eq!(p["created_at"], "2026-03-01T10:00:00Z");
    assert_eq!(p["updated_at"], "2026-03-03T09:00:00Z");
    let events = expect(
        app.get(&format!(
            "/v2/payments/{}/events",
            p["id"].as_str().unwrap()
        ))
        .await,
        StatusCode::OK,
    )
    .await;
    let kinds: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "payment.authorized",
            "payment.captured",
            "payment.refunded",
            "payment.refunded"
        ]
    );
    let refund = expect(app.get("/v2/refunds/by-legacy-id/6").await, StatusCode::OK).await;
    assert_eq!(
        (refund["reason"].as_str(), refund["created_at"].as_str()),
        (Some("returned"), Some("2026-03-03T09:00:00Z"))
    );
    let voided = expect(
        app.get("/v2/payments/by-legacy-id/12").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (voided["status"].as_str(), voided["updated_at"].as_str()),
        (Some("voided"), Some("2026-03-05T11:00:00Z"))
    );
    let open = expect(
        app.get("/v2/payments/by-legacy-id/13").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (open["status"].as_str(), open["customer_legacy_id"].as_i64()),
        (Some("authorized"), Some(7))
    );
    let inv = expect(app.get("/v2/invoices/by-legacy-id/9").await, StatusCode::OK).await;
    assert_eq!(
        (inv["status"].as_str(), inv["number"].as_str()),
        (Some("credited"), Some("INV-000009"))
    );

    // The imported stream is an ordinary one: the next change is live.
    let path = format!("/v2/payments/{}/capture", open["id"].as_str().unwrap());
    expect(app.post_empty(&path, false).await, StatusCode::OK).await;
    assert_eq!(
        app.count("outbox").await,
        1,
        "a live change after the import publishes"
    );
}

async fn a_reimport_writes_nothing_and_says_so(backend: TestBackend) {
    let app = spawn_app(backend).await;
    import(&app, "/v2/imports/payments", &batch()).await;
    let events = app.count("payment_events").await;
    let results = import(&app, "/v2/imports/payments", &batch()).await;
    assert_eq!(outcomes(&results), ["already_imported"; 3]);
    assert_eq!(app.count("payment_events").await, events);
    assert_eq!(app.count("refunds").await, 2);
    import(
        &app,
        "/v2/imports/invoices",
        &json!({"invoices": [invoice(9)]}),
    )
    .await;
    let again = import(
        &app,
        "/v2/imports/invoices",
        &json!({"invoices": [invoice(9)]}),
    )
    .await;
    assert_eq!(outcomes(&again), ["already_imported"]);
    assert_eq!(app.count("invoices").await, 1);
}

async fn a_refused_record_leaves_nothing_and_the_batch_goes_on(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let mut body = batch();
    // Refunds 10 + 25 of a 30 capture: the second is more than refundable.
    body["payments"][0]["history"][2]["amount"] = eur("25.00");
    // A refund in another currency than the payment.
    body["payments"][1]["history"] = json!([{"type": "captured", "at": "2026-03-05T11:00:00Z"},
        {"type": "refunded", "legacy_id": 8, "amount": {"amount": "1.00", "currency": "USD"}, "reason": "x", "at": "2026-03-05T12:00:00Z"}]);
    let results = import(&app, "/v2/imports/payments", &body).await;
    assert_eq!(outcomes(&results), ["refused", "refused", "imported"]);
    let reason = results[0]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("history[2]: ") && reason.contains("refundable"),
        "{reason}"
    );
    assert!(
        results[1]["reason"].as_str().unwrap().contains("USD"),
        "{}",
        results[1]
    );
    assert_eq!(app.count("payments").await, 1);
    assert_eq!(
        app.count("refunds").await,
        0,
        "nothing of a refused record stays"
    );
    assert_eq!(app.count("payment_events").await, 1);
    // A history going back in time is refused too.
    let back = json!({"payments": [{"legacy_id": 20, "order_legacy_id": 1, "method": "card", "amount": eur("1.00"),
        "created_at": "2026-03-01T10:00:00Z", "history": [{"type": "captured", "at": "2026-02-01T10:00:00Z"}]}]});
    let results = import(&app, "/v2/imports/payments", &back).await;
    assert!(
        results[0]["reason"]
            .as_str()
            .unwrap()
            .contains("before the last change"),
        "{}",
        results[0]
    );
}

async fn imports_and_exports_refuse_bad_input(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let empty = app
        .post(
            "/v2/imports/payments",
            &json!({"payments": []}),
            None,
            false,
        )
        .await;
    let problem = expect_problem(empty, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(problem["detail"].as_str().unwrap().contains("1 to 1000"));
    let unknown = app
        .post(
            "/v2/imports/invoices",
            &json!({"invoices": [], "x": 1}),
            None,
            false,
        )
        .await;
    expect_problem(unknown, StatusCode::UNPROCESSABLE_ENTITY).await;
    // A dry run checks everything and keeps nothing.
    let dry = app.post("/v2/imports/payments", &batch(), None, true).await;
    assert_eq!(dry.headers()["x-strangler-dry-run"], "rolled-back");
    assert_eq!(
        outcomes(
            &expect(dry, StatusCode::OK).await["results"]
                .as_array()
                .unwrap()
                .clone()
        ),
        ["imported"; 3]
    );
    assert_eq!(app.count("payments").await, 0);
    let mut own_range = batch();
    own_range["payments"][0]["legacy_id"] = json!(app.settings.legacy_ids.start);
    let results = import(&app, "/v2/imports/payments", &own_range).await;
    assert!(
        results[0]["reason"].as_str().unwrap().contains("outside"),
        "{}",
        results[0]
    );
    for query in ["limit=0", "limit=1001", "after=-1"] {
        for list in ["payments", "invoices"] {
            let res = app.get(&format!("/v2/exports/{list}?{query}")).await;
            expect_problem(res, StatusCode::BAD_REQUEST).await;
        }
    }
}

async fn exports_walk_every_record_by_legacy_id(backend: TestBackend) {
    let app = spawn_app(backend).await;
    import(&app, "/v2/imports/payments", &batch()).await;
    let mut after = 0;
    let mut seen = Vec::new();
    loop {
        let page = expect(
            app.get(&format!("/v2/exports/payments?after={after}&limit=2"))
                .await,
            StatusCode::OK,
        )
        .await;
        for item in page["items"].as_array().unwrap() {
            seen.push((
                item["payment"]["legacy_id"].as_i64().unwrap(),
                item["refunds"].as_array().unwrap().len(),
            ));
        }
        match page["next"].as_i64() {
            Some(n) => after = n,
            None => break,
        }
    }
    assert_eq!(seen, [(11, 2), (12, 0), (13, 0)]);
}
