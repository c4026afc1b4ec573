//! A legacy `POST /api/v1/orders` whose saga cannot make its order within
//! the request's wait (`saga.wait_ms`, below the proxy's route timeout): the
//! legacy client gets the ACL's `503` problem+json with `Retry-After`, and the
//! same request repeated with its `Idempotency-Key` once the saga is free gets
//! the order, placed once.
//!
//! The saga is held by a lock on the fulfillment service's stock table, so
//! its `reserve_stock` waits while its start is already recorded. PostgreSQL
//! only: SQLite has one writer, so holding the stock would hold the start too.

use crate::stack::Stack;
use diesel::{Connection, PgConnection, RunQueryDsl};
use platform::testing::TestBackend;
use reqwest::Response;
use serde_json::{Value, json};
use std::sync::mpsc;

/// Holds `LOCK TABLE stock_items` in a transaction until dropped.
struct StockLock {
    release: Option<mpsc::Sender<()>>,
    holder: Option<std::thread::JoinHandle<()>>,
}

impl StockLock {
    fn take(url: &str) -> Self {
        let (locked, is_locked) = mpsc::channel();
        let (release, released) = mpsc::channel::<()>();
        let url = url.to_owned();
        let holder = std::thread::spawn(move || {
            let mut conn = PgConnection::establish(&url).unwrap();
            conn.transaction::<_, diesel::result::Error, _>(|c| {
                diesel::sql_query("LOCK TABLE stock_items IN EXCLUSIVE MODE").execute(c)?;
                locked.send(()).unwrap();
                let _ = released.recv();
                Ok(())
            })
            .unwrap();
        });
        is_locked.recv().unwrap();
        Self {
            release: Some(release),
            holder: Some(holder),
        }
    }
}

impl Drop for StockLock {
    fn drop(&mut self) {
        drop(self.release.take());
        if let Some(holder) = self.holder.take() {
            holder.join().unwrap();
        }
    }
}

async fn place(stack: &Stack, key: &str, body: &Value) -> Response {
    stack
        .client
        .post(format!("{}/api/v1/orders", stack.proxy))
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn a_saga_held_past_the_wait_is_a_503_then_its_order(backend: TestBackend) {
    let stack = Stack::start(backend).await;
    let customer = json!({"nm": "Ada", "eml": "ada@example.com",
        "bill": {"nm": "Ada", "ln1": "1 Lane", "city": "London", "zip": "N1", "ctry": "GB"}});
    let res = stack
        .post(&stack.monolith, "/api/v1/customers", customer)
        .await;
    let customer = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    for flag in ["inventory.new", "orders.new"] {
        stack.flags.enable(flag);
    }
    stack
        .wait_for_backend(None, "/api/v1/inventory/ANY", "new")
        .await;
    stack
        .wait_for_backend(None, "/api/v1/orders/1", "new")
        .await;
    let item = json!({"nm": "Held widget", "px": 1250, "cur": "EUR"});
    let res = stack
        .client
        .put(format!("{}/api/v1/inventory/SKU-H1", stack.proxy))
        .json(&item)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
    let restock = json!({"dq": 5, "rsn": "held saga run"});
    let res = stack
        .client
        .post(format!("{}/api/v1/inventory/SKU-H1/adjust", stack.proxy))
        .json(&restock)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());

    let order = json!({"cust": customer, "lines": [{"sku": "SKU-H1", "qty": 2}],
        "pm": "card", "tok": "tok_visa"});
    let lock = StockLock::take(stack.fulfillment_db.url.as_str());
    let held = place(&stack, "held-order", &order).await;
    assert_eq!(held.status(), 503);
    assert_eq!(
        held.headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );
    assert_eq!(
        held.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    let problem: Value = held.json().await.unwrap();
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("still being placed") && detail.contains("Idempotency-Key"),
        "{problem}"
    );

    drop(lock);
    let placed = place(&stack, "held-order", &order).await;
    assert_eq!(placed.status(), 201);
    let placed: Value = placed.json().await.unwrap();
    assert_eq!(placed["st"], "C", "{placed}");
    let again = place(&stack, "held-order", &order).await;
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], placed["id"], "one order per key");
    let res = stack
        .client
        .get(format!("{}/api/v1/inventory/SKU-H1", stack.proxy))
        .send()
        .await
        .unwrap();
    let item: Value = res.json().await.unwrap();
    assert_eq!(item["rsv"], 2, "reserved once: {item}");
}

mod on_postgres {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_saga_held_past_the_wait_is_a_503_then_its_order() {
        super::a_saga_held_past_the_wait_is_a_503_then_its_order(
            platform::testing::TestBackend::Postgres,
        )
        .await
    }
}
