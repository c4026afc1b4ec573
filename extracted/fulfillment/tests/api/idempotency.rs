//! Creates with an `Idempotency-Key`: a repeat replays the first answer with
//! no second effect, even when the repeats race; the same key with another
//! body is a 422; a create without a key is a 400.

use crate::helpers::{new_key, order_body, problem, spawn};
use futures_util::future::join_all;
use platform::testing::TestBackend;
use serde_json::Value;

async fn a_repeated_create_has_one_effect(backend: TestBackend) {
    let app = spawn(backend).await;
    app.stock("I-1", "2.00", 10).await;
    let key = new_key();
    let body = order_body(3, &[("I-1", 4)]);
    let first = app.create_order_with(&key, &body).await;
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: Value = first.json().await.unwrap();
    let again = app.create_order_with(&key, &body).await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    assert_eq!(app.get_item("I-1").await["reserved"], 4);
    let (_, page) = app.get_json("/v2/orders?customer_legacy_id=3").await;
    assert_eq!(page["total"], 1);
}

async fn racing_repeats_have_one_effect(backend: TestBackend) {
    let app = spawn(backend).await;
    app.stock("I-2", "2.00", 100).await;
    let key = new_key();
    let body = order_body(4, &[("I-2", 1)]);
    let answers = join_all((0..10).map(|_| async {
        let res = app.create_order_with(&key, &body).await;
        (res.status().as_u16(), res.json::<Value>().await.unwrap())
    }))
    .await;
    let first_id = &answers[0].1["id"];
    for (status, order) in &answers {
        assert_eq!(*status, 201);
        assert_eq!(&order["id"], first_id);
    }
    assert_eq!(app.get_item("I-2").await["reserved"], 1);
    let (_, page) = app.get_json("/v2/orders?customer_legacy_id=4").await;
    assert_eq!(page["total"], 1);
}

async fn a_key_reused_for_another_body_is_422(backend: TestBackend) {
    let app = spawn(backend).await;
    app.stock("I-3", "2.00", 10).await;
    let key = new_key();
    assert_eq!(
        app.create_order_with(&key, &order_body(5, &[("I-3", 1)]))
            .await
            .status(),
        201
    );
    let res = app
        .create_order_with(&key, &order_body(5, &[("I-3", 2)]))
        .await;
    let p = problem(res, 422).await;
    assert!(
        p["detail"].as_str().unwrap().contains("different request"),
        "{p}"
    );
    assert_eq!(app.get_item("I-3").await["reserved"], 1);
}

async fn a_create_without_a_key_is_400(backend: TestBackend) {
    let app = spawn(backend).await;
    app.stock("I-4", "2.00", 10).await;
    let res = app
        .request(reqwest::Method::POST, "/v2/orders")
        .json(&order_body(5, &[("I-4", 1)]))
        .send()
        .await
        .unwrap();
    let p = problem(res, 400).await;
    assert_eq!(p["header"], "Idempotency-Key");
}

async fn a_failed_create_keeps_no_key(backend: TestBackend) {
    let app = spawn(backend).await;
    app.stock("I-5", "2.00", 1).await;
    let key = new_key();
    let body = order_body(6, &[("I-5", 2)]);
    problem(app.create_order_with(&key, &body).await, 409).await;
    assert_eq!(app.adjust("I-5", 1).await.status(), 200);
    assert_eq!(
        app.create_order_with(&key, &body).await.status(),
        201,
        "retry after restock works"
    );
}

async fn other_writes_honour_an_optional_key(backend: TestBackend) {
    let app = spawn(backend).await;
    app.stock("I-6", "2.00", 10).await;
    let key = new_key();
    for _ in 0..2 {
        let res = app
            .request(reqwest::Method::POST, "/v2/stock/I-6/adjustments")
            .header("Idempotency-Key", &key)
            .json(&serde_json::json!({"delta": 5, "reason": "delivery"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    assert_eq!(
        app.get_item("I-6").await["on_hand"],
        15,
        "the repeat did not add again"
    );

    let order = app.place(&[("I-6", 1)]).await;
    let cancel = format!("/v2/orders/{}/cancel", order["id"].as_str().unwrap());
    let key = new_key();
    let send = || {
        app.request(reqwest::Method::POST, &cancel)
            .header("Idempotency-Key", &key)
            .send()
    };
    assert_eq!(send().await.unwrap().status(), 200);
    let again = send().await.unwrap();
    assert_eq!(
        again.status(),
        200,
        "a retried cancel replays instead of a 409"
    );
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let bad = app
        .request(reqwest::Method::POST, &cancel)
        .header("Idempotency-Key", "")
        .send()
        .await
        .unwrap();
    problem(bad, 400).await;
}

platform::both_backends!(
    other_writes_honour_an_optional_key,
    a_repeated_create_has_one_effect,
    racing_repeats_have_one_effect,
    a_key_reused_for_another_body_is_422,
    a_create_without_a_key_is_400,
    a_failed_create_keeps_no_key
);
