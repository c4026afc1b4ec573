//! Placing an order through the saga: a card is charged and the order
//! confirmed; an invoice is authorised and the order stays pending; no
//! stock fails it with nothing done; a declined card is compensated.

use super::support::{place_body, world};
use platform::testing::TestBackend;

async fn a_card_order_is_reserved_charged_and_confirmed(backend: TestBackend) {
    let w = world(backend, 5000).await;
    let saga = w.start_expecting(&place_body(2, Some("tok_ok")), 201).await;
    assert_eq!(saga["status"], "completed");
    assert_eq!(saga["step"], "done");
    let order = &saga["order"];
    assert_eq!(order["state"], "confirmed");
    assert_eq!(order["payment_legacy_id"], saga["payment_legacy_id"]);
    assert_eq!(w.reserved().await, 2);
    let payments = w
        .payments
        .payments_of(order["legacy_id"].as_i64().unwrap())
        .await;
    assert_eq!(payments.len(), 1, "charged once");
    assert_eq!(payments[0]["status"], "captured");
    assert_eq!(payments[0]["captured"]["amount"], "25.00");
    assert_eq!(payments[0]["legacy_id"], order["payment_legacy_id"]);
    let invoice = w.payments.the_invoice(order).await;
    assert_eq!(
        invoice["status"], "paid",
        "a card's invoice is paid: {invoice}"
    );
    assert_eq!(invoice["amount"]["amount"], "25.00");
    assert_eq!(invoice["payment_id"], payments[0]["id"]);
    assert_eq!(invoice["billing"]["postal_code"], "SW1Y 4JH");
    assert_eq!(
        w.customers.lookups(),
        1,
        "the start's lookup gives the invoice its billing details"
    );
    let history = w.saga(saga["id"].as_str().unwrap()).await["history"].clone();
    let moves: Vec<(&str, &str)> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["step"].as_str().unwrap(), e["to_step"].as_str().unwrap()))
        .collect();
    assert_eq!(
        moves,
        [
            ("started", "reserve_stock"),
            ("reserve_stock", "charge_payment"),
            ("charge_payment", "issue_invoice"),
            ("issue_invoice", "confirm_order"),
            ("confirm_order", "done"),
        ]
    );
    assert_eq!(history[4]["status"], "completed");
}

async fn a_repeated_start_finds_the_same_saga(backend: TestBackend) {
    let w = world(backend, 5000).await;
    let body = place_body(1, Some("tok_ok"));
    let send = || {
        w.app
            .request(reqwest::Method::POST, "/v2/sagas")
            .header("Idempotency-Key", "same-key")
            .json(&body)
            .send()
    };
    let first: serde_json::Value = send().await.unwrap().json().await.unwrap();
    let again = send().await.unwrap();
    assert_eq!(again.status(), 201);
    let again: serde_json::Value = again.json().await.unwrap();
    assert_eq!(first["id"], again["id"]);
    assert_eq!(w.reserved().await, 1, "reserved once");
    w.payments.the_invoice(&again["order"]).await;
    let other = w
        .app
        .request(reqwest::Method::POST, "/v2/sagas")
        .header("Idempotency-Key", "same-key")
        .json(&place_body(3, Some("tok_ok")))
        .send()
        .await
        .unwrap();
    let problem = crate::helpers::problem(other, 422).await;
    assert!(problem["detail"].as_str().unwrap().contains("same-key"));
}

async fn an_invoice_order_is_authorised_and_stays_pending(backend: TestBackend) {
    let w = world(backend, 5000).await;
    let saga = w.start_expecting(&place_body(1, None), 201).await;
    let order = &saga["order"];
    assert_eq!(order["state"], "pending");
    assert!(order["payment_legacy_id"].is_i64());
    let payments = w
        .payments
        .payments_of(order["legacy_id"].as_i64().unwrap())
        .await;
    assert_eq!(payments[0]["status"], "authorized");
    let invoice = w.payments.the_invoice(order).await;
    assert_eq!(invoice["status"], "open", "billed, not paid yet: {invoice}");
}

async fn no_stock_fails_the_saga_with_nothing_to_undo(backend: TestBackend) {
    let w = world(backend, 5000).await;
    let problem = w
        .start_expecting(&place_body(11, Some("tok_ok")), 409)
        .await;
    assert_eq!(problem["saga_status"], "failed");
    let saga = w.saga(problem["saga_id"].as_str().unwrap()).await;
    assert_eq!(saga["order_id"], serde_json::Value::Null, "no order");
    assert_eq!(saga["failure"]["status"], 409);
    assert_eq!(w.reserved().await, 0);
    let (_, orders) = w.app.get_json("/v2/orders?customer_legacy_id=7").await;
    assert_eq!(orders["total"], 0);
}

async fn a_declined_card_is_compensated(backend: TestBackend) {
    let w = world(backend, 5000).await;
    let problem = w
        .start_expecting(&place_body(2, Some("tok_declined")), 402)
        .await;
    assert_eq!(problem["saga_status"], "compensated");
    assert!(problem["detail"].as_str().unwrap().contains("declined"));
    let saga = w.saga(problem["saga_id"].as_str().unwrap()).await;
    assert_eq!(saga["order"]["state"], "cancelled");
    assert_eq!(w.reserved().await, 0, "stock released");
    let legacy = saga["order"]["legacy_id"].as_i64().unwrap();
    let payments = w.payments.payments_of(legacy).await;
    assert_eq!(payments.len(), 1);
    assert_eq!(payments[0]["status"], "failed", "no money moved");
    assert_eq!(
        w.payments.invoices_of(legacy).await.len(),
        0,
        "nothing billed"
    );
    assert!(saga["order"]["invoice_legacy_id"].is_null());
}

async fn a_start_without_a_card_token_is_refused(backend: TestBackend) {
    let w = world(backend, 5000).await;
    let mut body = place_body(1, Some("tok_ok"));
    body.as_object_mut().unwrap().remove("card_token");
    let res = w.start(&body).await;
    let problem = crate::helpers::problem(res, 422).await;
    assert_eq!(problem["field"], "card_token");
    let (_, sagas) = w.app.get_json("/v2/sagas").await;
    assert_eq!(sagas.as_array().unwrap().len(), 0, "nothing recorded");
}

async fn metrics_count_sagas_by_status(backend: TestBackend) {
    let w = world(backend, 5000).await;
    w.start_expecting(&place_body(1, Some("tok_ok")), 201).await;
    w.start_expecting(&place_body(1, Some("tok_declined")), 402)
        .await;
    let wanted = [
        "fulfillment_sagas{status=\"completed\"} 1",
        "fulfillment_sagas{status=\"compensated\"} 1",
        "fulfillment_sagas{status=\"running\"} 0",
        "fulfillment_sagas_stuck 0",
    ];
    // The recovery loop counts at each round (every 50 ms here).
    for _ in 0..500 {
        let page = w
            .app
            .request(reqwest::Method::GET, "/metrics")
            .send()
            .await
            .unwrap();
        let text = page.text().await.unwrap();
        if wanted.iter().all(|line| text.lines().any(|l| l == *line)) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("/metrics never showed {wanted:?}");
}

platform::both_backends!(
    metrics_count_sagas_by_status,
    a_card_order_is_reserved_charged_and_confirmed,
    a_repeated_start_finds_the_same_saga,
    an_invoice_order_is_authorised_and_stays_pending,
    no_stock_fails_the_saga_with_nothing_to_undo,
    a_declined_card_is_compensated,
    a_start_without_a_card_token_is_refused,
);
