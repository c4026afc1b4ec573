//! The wire shapes of an order, a stock item and a shipment, pinned by insta
//! snapshots (ids and timestamps redacted: they differ on every run).

use crate::helpers::spawn;
use platform::testing::TestBackend;

async fn wire_shapes(backend: TestBackend) {
    let app = spawn(backend).await;
    app.stock("SNAP-1", "12.50", 10).await;
    app.stock("SNAP-2", "0.99", 10).await;
    let order = app.place(&[("SNAP-1", 2), ("SNAP-2", 3)]).await;
    let id = order["id"].as_str().unwrap();
    insta::assert_json_snapshot!("order_pending", order, {
        ".id" => "[id]", ".legacy_id" => "[legacy_id]",
        ".created_at" => "[timestamp]", ".updated_at" => "[timestamp]",
    });
    insta::assert_json_snapshot!("stock_item", app.get_item("SNAP-1").await, {
        ".id" => "[id]", ".legacy_id" => "[legacy_id]",
        ".created_at" => "[timestamp]", ".updated_at" => "[timestamp]",
        ".reservations[].order_id" => "[id]", ".reservations[].order_legacy_id" => "[legacy_id]",
        ".reservations[].created_at" => "[timestamp]",
    });
    app.confirm(id).await;
    let shipment: serde_json::Value = app.ship(id).await.json().await.unwrap();
    insta::assert_json_snapshot!("shipment", shipment, {
        ".id" => "[id]", ".legacy_id" => "[legacy_id]", ".order_id" => "[id]",
        ".order_legacy_id" => "[legacy_id]", ".tracking_number" => "[tracking]",
        ".created_at" => "[timestamp]",
    });
}

platform::both_backends!(wire_shapes);
