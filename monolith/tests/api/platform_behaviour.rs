//! What the platform gives every request: correlation ids, health, the OpenAPI
//! document.

use crate::helpers::TestApp;
use platform::testing::TestBackend;
use reqwest::StatusCode;
use serde_json::Value;

platform::both_backends!(correlation_ids_health_and_openapi);

async fn correlation_ids_health_and_openapi(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;

    let res = app
        .client
        .get(app.url("/healthz"))
        .header("x-correlation-id", "req-42")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["x-correlation-id"], "req-42");
    let generated = app.get("/healthz").await;
    assert_eq!(generated.headers()["x-correlation-id"].len(), 32);
    let res = app
        .client
        .get(app.url("/healthz"))
        .header("x-correlation-id", "bad id!")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    let ready: Value = app.get("/readyz").await.json().await.unwrap();
    let name = match backend {
        TestBackend::Sqlite => "sqlite",
        TestBackend::Postgres => "postgres",
    };
    assert_eq!(ready["database"], name);

    let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/api/v1/customers",
        "/api/v1/orders/{id}",
        "/api/v1/payments/{id}/refunds",
        "/api/v1/inventory/{sku}/adjust",
        "/api/v1/shipments/{id}/deliver",
        "/api/v1/invoices/{id}",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} missing from the OpenAPI document"
        );
    }
    assert!(doc["components"]["schemas"]["OrderWire"]["properties"]["st"].is_object());
}
