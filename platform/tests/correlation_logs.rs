//! Every log line written while a request is handled carries its correlation
//! id and its trace id (continuing the client's `traceparent` when valid).
//! (One test binary: it owns the global subscriber.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

use actix_web::{HttpResponse, test, web};
use platform::testing::captured_logs::CapturedLogs;

async fn handler() -> HttpResponse {
    tracing::info!("inside the handler");
    HttpResponse::Ok().finish()
}

fn lines_with(captured: &CapturedLogs, needle: &str) -> Vec<serde_json::Value> {
    let text = captured.text();
    text.lines()
        .filter(|l| l.contains(needle))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[actix_web::test]
async fn log_lines_of_a_request_carry_its_correlation_and_trace_ids() {
    let captured = CapturedLogs::default();
    let writer = captured.clone();
    let settings = platform::settings::TelemetrySettings {
        format: platform::settings::LogFormat::Json,
        filter: "info".into(),
        otlp_endpoint: String::new(),
        service_name: "test".into(),
    };
    let telemetry =
        platform::telemetry::init_with_writer(&settings, move || writer.clone()).unwrap();
    assert!(!telemetry.exporting());

    let app = test::init_service(
        platform::server::base_app(1024, platform::metrics::Metrics::new().unwrap())
            .route("/work", web::get().to(handler)),
    )
    .await;
    let req = test::TestRequest::get()
        .uri("/work")
        .insert_header(("x-correlation-id", "trace-me-42"))
        .insert_header((
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ))
        .to_request();
    let res = test::call_service(&app, req).await;
    assert_eq!(
        res.headers().get("x-correlation-id").unwrap(),
        "trace-me-42"
    );
    let lines = lines_with(&captured, "trace-me-42");
    let line = lines
        .iter()
        .find(|l| l["fields"]["message"] == "inside the handler")
        .expect("the handler logged");
    assert_eq!(line["span"]["correlation_id"], "trace-me-42", "{line}");
    assert_eq!(
        line["span"]["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736",
        "{line}"
    );
    let served = lines
        .iter()
        .find(|l| l["fields"]["message"] == "served")
        .expect("one line per answered request");
    assert_eq!(served["fields"]["status"], 200, "{served}");
    assert!(served["fields"]["latency_ms"].is_u64(), "{served}");
    assert_eq!(served["span"]["http.route"], "/work", "{served}");
    assert_eq!(
        served["span"]["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736",
        "{served}"
    );

    // An invalid traceparent starts a new trace; the request is served.
    let req = test::TestRequest::get()
        .uri("/work")
        .insert_header(("x-correlation-id", "fresh-trace-7"))
        .insert_header(("traceparent", "00-not-a-trace-01"))
        .to_request();
    assert!(test::call_service(&app, req).await.status().is_success());
    let lines = lines_with(&captured, "fresh-trace-7");
    let trace_id = lines[0]["span"]["trace_id"].as_str().unwrap();
    assert_eq!(trace_id.len(), 32, "{}", lines[0]);
    assert_ne!(trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
}
