//! The service's own endpoints: health, readiness, the generated OpenAPI document.

use crate::helpers::spawn;
use fulfillment_api::paths::templates as t;
use platform::testing::TestBackend;

async fn health_readiness_and_openapi(backend: TestBackend) {
    let app = spawn(backend).await;
    assert_eq!(app.get_json("/healthz").await.0, 200);
    let (status, ready) = app.get_json("/readyz").await;
    assert_eq!((status, ready["status"].as_str()), (200, Some("ready")));

    let (status, doc) = app.get_json(t::OPENAPI).await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        t::ORDERS,
        t::ORDER,
        t::ORDER_BY_LEGACY_ID,
        t::ORDER_CONFIRM,
        t::ORDER_SHIP,
        t::ORDER_DELIVER,
        t::ORDER_CANCEL,
        t::STOCK_ITEM,
        t::STOCK_ITEM_BY_LEGACY_ID,
        t::STOCK_ADJUSTMENTS,
        t::ORDER_IMPORTS,
        t::STOCK_IMPORTS,
        t::STOCK_EXPORT,
        t::ORDER_EXPORT,
        t::SHIPMENT,
        t::SHIPMENT_BY_LEGACY_ID,
        t::SHIPMENT_DELIVER,
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is not documented");
    }
    for schema in [
        "Order",
        "OrderState",
        "StockItem",
        "Shipment",
        "NewOrder",
        "ImportOrder",
        "ImportOrders",
        "ImportStock",
        "ImportReport",
        "OrderExport",
        "Money",
        "ProblemDoc",
    ] {
        assert!(
            doc["components"]["schemas"][schema].is_object(),
            "{schema} is not documented"
        );
    }
    // The whole document is pinned: a change to the v2 contract shows up in review.
    insta::assert_json_snapshot!("openapi", doc, { ".info.version" => "[version]" });
}

platform::both_backends!(health_readiness_and_openapi);
