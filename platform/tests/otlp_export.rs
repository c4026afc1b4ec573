//! Spans are exported over OTLP/HTTP JSON when an endpoint is configured: a
//! real receiver gets them with the service name, W3C ids and parent links, a
//! remote parent's trace id is kept, and dropping the guard exports what is
//! still buffered. (One test binary: it owns the global subscriber.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

use platform::settings::{LogFormat, TelemetrySettings, Validate};
use platform::testing::otlp::OtlpReceiver;
use platform::trace_context::{TraceContext, trace_id_of};
use std::time::Duration;

const CLIENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

fn settings(endpoint: &str) -> TelemetrySettings {
    TelemetrySettings {
        format: LogFormat::Json,
        filter: "info".into(),
        otlp_endpoint: endpoint.into(),
        service_name: "checkout".into(),
    }
}

#[test]
fn spans_reach_the_collector_with_service_ids_and_parents() {
    let receiver = OtlpReceiver::start();
    let settings = settings(receiver.endpoint());
    settings.validate().unwrap();
    let telemetry = platform::telemetry::init_with_writer(&settings, std::io::sink).unwrap();
    assert!(telemetry.exporting());
    let second = platform::telemetry::init(&settings).unwrap();
    assert!(!second.exporting(), "the first subscriber stays");
    drop(second);

    let root = tracing::info_span!("handle order");
    assert!(TraceContext::parse(CLIENT, None).unwrap().adopt_by(&root));
    let root_id = TraceContext::of(&root).unwrap();
    root.in_scope(|| {
        let _child = tracing::info_span!("charge card", amount = 1999).entered();
    });
    drop(root);

    let spans = receiver.wait_for(
        Duration::from_secs(20),
        || telemetry.flush(),
        |spans| spans.len() >= 2,
    );
    let root = spans.iter().find(|s| s.name == "handle order").unwrap();
    let child = spans.iter().find(|s| s.name == "charge card").unwrap();
    assert_eq!(root.service, "checkout");
    assert_eq!(root.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(root.parent_span_id.as_deref(), Some("00f067aa0ba902b7"));
    assert_eq!(root.span_id, &root_id.traceparent[36..52]);
    assert_eq!(child.trace_id, root.trace_id);
    assert_eq!(child.parent_span_id.as_deref(), Some(root.span_id.as_str()));
    assert_eq!(child.attributes["amount"], "1999");

    // What is still buffered when the guard drops is exported then.
    let last = tracing::info_span!("last words");
    let last_trace = trace_id_of(&last).unwrap();
    drop(last);
    drop(telemetry);
    assert!(
        receiver
            .spans()
            .iter()
            .any(|s| s.name == "last words" && s.trace_id == last_trace),
        "{:#?}",
        receiver.spans()
    );
}

#[test]
fn a_bad_endpoint_or_service_name_is_refused_by_key() {
    let err = settings("collector:4318").validate().unwrap_err();
    assert_eq!(err.key, "telemetry.otlp_endpoint");
    assert!(err.reason.contains("http://collector:4318"), "{err}");
    let mut unnamed = settings("");
    unnamed.service_name = " ".into();
    assert_eq!(
        unnamed.validate().unwrap_err().key,
        "telemetry.service_name"
    );
    let err = settings("https://otel.example:4318")
        .validate()
        .unwrap_err();
    assert_eq!(err.key, "telemetry.otlp_endpoint");
    assert!(err.reason.contains("https is not supported"), "{err}");
    settings("").validate().unwrap();
    settings("http://otel-collector:4318/").validate().unwrap();
}
