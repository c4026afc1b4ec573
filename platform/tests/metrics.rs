//! Every app built on `base_app` counts and times its requests by matched
//! route pattern and serves its own registry on `GET /metrics`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use actix_web::{HttpResponse, test, web};
use platform::metrics::{Kind, Metrics, Sample};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

async fn item() -> HttpResponse {
    HttpResponse::Ok().body("item")
}

async fn scrape(
    app: &impl actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
    >,
) -> String {
    let res = test::call_service(app, test::TestRequest::get().uri("/metrics").to_request()).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers().get("content-type").unwrap(),
        platform::metrics::CONTENT_TYPE
    );
    String::from_utf8(test::read_body(res).await.to_vec()).unwrap()
}

/// The value of the sample line that starts with `series` (exact labels).
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .map(|v| v.parse().unwrap())
}

#[actix_web::test]
async fn requests_are_counted_by_pattern_method_and_status() {
    let metrics = Metrics::new().unwrap();
    let app = test::init_service(
        platform::server::base_app(1024, metrics.clone()).route("/items/{id}", web::get().to(item)),
    )
    .await;
    for path in ["/items/1", "/items/2", "/items/3", "/nowhere/42"] {
        test::call_service(&app, test::TestRequest::get().uri(path).to_request()).await;
    }
    test::call_service(
        &app,
        test::TestRequest::delete().uri("/items/1").to_request(),
    )
    .await;

    let text = scrape(&app).await;
    let ok = r#"http_server_requests_total{method="GET",route="/items/{id}",status="200"}"#;
    assert_eq!(value(&text, ok), Some(3.0), "{text}");
    let unmatched = r#"http_server_requests_total{method="GET",route="unmatched",status="404"}"#;
    assert_eq!(value(&text, unmatched), Some(1.0), "{text}");
    // The resource matched, its GET-only route did not: the pattern is still known.
    let wrong_method =
        r#"http_server_requests_total{method="DELETE",route="/items/{id}",status="404"}"#;
    assert_eq!(value(&text, wrong_method), Some(1.0), "{text}");
    let count = r#"http_server_request_duration_seconds_count{method="GET",route="/items/{id}"}"#;
    assert_eq!(value(&text, count), Some(3.0), "{text}");
    assert!(
        !text.contains("/items/1"),
        "raw paths never become labels: {text}"
    );
    #[cfg(target_os = "linux")]
    assert!(text.contains("process_resident_memory_bytes"), "{text}");

    let again = scrape(&app).await;
    let scrapes = r#"http_server_requests_total{method="GET",route="/metrics",status="200"}"#;
    assert_eq!(
        value(&again, scrapes),
        Some(1.0),
        "the first scrape is counted: {again}"
    );
}

#[actix_web::test]
async fn two_apps_in_one_process_keep_their_own_numbers() {
    let (one, two) = (Metrics::new().unwrap(), Metrics::new().unwrap());
    let app_one = test::init_service(
        platform::server::base_app(1024, one).route("/items/{id}", web::get().to(item)),
    )
    .await;
    let app_two = test::init_service(platform::server::base_app(1024, two)).await;
    test::call_service(
        &app_one,
        test::TestRequest::get().uri("/items/1").to_request(),
    )
    .await;
    let text = scrape(&app_two).await;
    assert!(!text.contains("/items/{id}"), "{text}");
}

#[actix_web::test]
async fn a_snapshot_family_reads_its_numbers_at_scrape_time() {
    let metrics = Metrics::new().unwrap();
    let seen = Arc::new(AtomicU64::new(0));
    let read = seen.clone();
    metrics
        .register_snapshot(
            "widget_spins_total",
            "Spins so far.",
            Kind::Counter,
            &["widget"],
            move || {
                vec![
                    Sample::new(["a"], read.load(Ordering::Relaxed) as f64),
                    Sample::new(["b", "extra"], 1.0),
                ]
            },
        )
        .unwrap();
    let app = test::init_service(platform::server::base_app(1024, metrics.clone())).await;
    seen.store(7, Ordering::Relaxed);
    let text = scrape(&app).await;
    assert!(text.contains("# TYPE widget_spins_total counter"), "{text}");
    assert_eq!(
        value(&text, r#"widget_spins_total{widget="a"}"#),
        Some(7.0),
        "{text}"
    );
    assert!(
        !text.contains("extra"),
        "a malformed sample is left out: {text}"
    );
    assert!(
        metrics
            .register_snapshot("widget_spins_total", "again", Kind::Counter, &[], Vec::new)
            .is_err(),
        "a name is registered once"
    );

    metrics
        .register_snapshot(
            "widget_state",
            "0 idle, 2 spinning.",
            Kind::Gauge,
            &["widget"],
            || vec![Sample::new(["a"], 2.0), Sample::new(["b"], 0.0)],
        )
        .unwrap();
    let text = scrape(&app).await;
    assert!(text.contains("# TYPE widget_state gauge"), "{text}");
    assert_eq!(value(&text, r#"widget_state{widget="a"}"#), Some(2.0));
    assert_eq!(value(&text, r#"widget_state{widget="b"}"#), Some(0.0));
}
