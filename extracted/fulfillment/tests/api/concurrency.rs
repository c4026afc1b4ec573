//! Stock never goes negative, whatever the interleaving: 50 concurrent orders
//! for the last 10 units, exactly 10 win.

use crate::helpers::{new_key, order_body, spawn};
use futures_util::future::join_all;
use platform::testing::TestBackend;

async fn fifty_orders_for_the_last_ten_units(backend: TestBackend) {
    let app = spawn(backend).await;
    app.stock("LAST", "5.00", 10).await;
    let body = order_body(9, &[("LAST", 1)]);
    let attempts = (0..50).map(|_| {
        let key = new_key();
        let app = &app;
        let body = &body;
        async move { app.create_order_with(&key, body).await.status().as_u16() }
    });
    let statuses = join_all(attempts).await;
    let won = statuses.iter().filter(|s| **s == 201).count();
    let refused = statuses.iter().filter(|s| **s == 409).count();
    assert_eq!((won, refused), (10, 40), "{statuses:?}");
    let item = app.get_item("LAST").await;
    assert_eq!(item["available"], 0);
    assert_eq!(item["reserved"], 10);
    assert_eq!(item["on_hand"], 10);
    assert_eq!(item["reservations"].as_array().unwrap().len(), 10);
    let (_, page) = app
        .get_json("/v2/orders?customer_legacy_id=9&limit=100")
        .await;
    assert_eq!(page["total"], 10);
}

async fn an_order_reserves_all_its_lines_or_none(backend: TestBackend) {
    let app = spawn(backend).await;
    app.stock("A-1", "1.00", 5).await;
    app.stock("B-1", "1.00", 1).await;
    let res = app
        .create_order_with(&new_key(), &order_body(9, &[("A-1", 5), ("B-1", 2)]))
        .await;
    let p = crate::helpers::problem(res, 409).await;
    assert_eq!(p["sku"], "B-1");
    assert_eq!(p["available"], 1);
    assert_eq!(
        app.get_item("A-1").await["reserved"],
        0,
        "the first line's hold was rolled back"
    );
}

async fn adjustments_racing_orders_never_undercut_reservations(backend: TestBackend) {
    let app = spawn(backend).await;
    app.stock("MIX", "1.00", 10).await;
    let body = order_body(9, &[("MIX", 1)]);
    let orders = (0..20).map(|_| {
        let (app, body) = (&app, &body);
        async move {
            (
                "order",
                app.create_order_with(&new_key(), body)
                    .await
                    .status()
                    .as_u16(),
            )
        }
    });
    let removals =
        (0..5).map(|_| async { ("adjust", app.adjust("MIX", -2).await.status().as_u16()) });
    // Both kinds run at the same time, interleaved by the server.
    let (mut all, removed_all) =
        futures_util::future::join(join_all(orders), join_all(removals)).await;
    all.extend(removed_all);
    let ok =
        |kind: &str, code: u16| all.iter().filter(|(k, s)| *k == kind && *s == code).count() as i64;
    let (placed, removed) = (ok("order", 201), ok("adjust", 200));
    assert_eq!(placed + ok("order", 409), 20, "{all:?}");
    assert_eq!(removed + ok("adjust", 409), 5, "{all:?}");
    let item = app.get_item("MIX").await;
    assert_eq!(item["on_hand"].as_i64(), Some(10 - 2 * removed));
    assert_eq!(item["reserved"].as_i64(), Some(placed));
    assert!(item["available"].as_i64().unwrap() >= 0);
}

platform::both_backends!(
    adjustments_racing_orders_never_undercut_reservations,
    fifty_orders_for_the_last_ten_units,
    an_order_reserves_all_its_lines_or_none
);
