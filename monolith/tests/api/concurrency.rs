//! Stock never goes negative and refunds never exceed the capture, however many
//! requests race for them.

use crate::helpers::TestApp;
use futures_util::future::join_all;
use platform::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::json;

platform::both_backends!(
    fifty_orders_race_for_the_last_ten_units,
    concurrent_refunds_never_exceed_the_capture
);

async fn fifty_orders_race_for_the_last_ten_units(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let cust = app.create_customer("Edsger Dijkstra").await;
    app.stock("LAST-10", 250, 10).await;

    let attempts =
        (0..50).map(|_| app.place_order(cust, json!([{"sku": "LAST-10", "qty": 1}]), "card"));
    let statuses: Vec<StatusCode> = join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.status())
        .collect();

    let won = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::CONFLICT)
        .count();
    assert_eq!((won, refused), (10, 40), "{statuses:?}");
    let item = app.item("LAST-10").await;
    assert_eq!(
        (
            item["qty"].as_i64(),
            item["rsv"].as_i64(),
            item["avl"].as_i64()
        ),
        (Some(10), Some(10), Some(0))
    );
    let orders = app
        .expect(
            app.get(&format!("/api/v1/customers/{cust}/orders")).await,
            StatusCode::OK,
        )
        .await;
    assert_eq!(orders["total"], 10, "a refused order leaves no row");
}

async fn concurrent_refunds_never_exceed_the_capture(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let cust = app.create_customer("Barbara Liskov").await;
    app.stock("W-1", 1000, 1).await;
    let order = app
        .card_order(cust, json!([{"sku": "W-1", "qty": 1}]))
        .await;
    let pay = order["pay"].as_i64().unwrap();

    let path = format!("/api/v1/payments/{pay}/refunds");
    let attempts = (0..20).map(|_| app.post(&path, json!({"amt": 300, "rsn": "race"})));
    let statuses: Vec<StatusCode> = join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.status())
        .collect();
    let won = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    assert_eq!(
        won, 3,
        "1000 captured fits three refunds of 300: {statuses:?}"
    );
    let payment = app
        .expect(
            app.get(&format!("/api/v1/payments/{pay}")).await,
            StatusCode::OK,
        )
        .await;
    assert_eq!(
        (payment["rfd"].as_i64(), payment["st"].as_str()),
        (Some(900), Some("P"))
    );
}
