//! One trace per saga across both services: a saga started in a client's
//! trace has a `saga` span in it with one `saga.step` span per step, and the
//! payment service's span for the charge is a child of the `charge_payment`
//! step (the trace context travels on the call). Both services run in this
//! process and export over OTLP to a receiver in the test.
//!
//! Its own test binary: it owns the process's global subscriber.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)]
#[path = "../api/sagas/customers.rs"]
mod customers;
#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;
#[allow(dead_code)]
#[path = "../api/sagas/support.rs"]
mod support;

use platform::settings::{LogFormat, TelemetrySettings};
use platform::testing::TestBackend;
use platform::testing::otlp::{OtlpReceiver, ReceivedSpan};
use serde_json::Value;
use std::time::Duration;

const TRACE: &str = "5a9a5a9a5a9a5a9a5a9a5a9a5a9a5a9a";

fn step<'a>(spans: &'a [ReceivedSpan], name: &str) -> Option<&'a ReceivedSpan> {
    spans.iter().find(|s| {
        s.trace_id == TRACE
            && s.name == "saga.step"
            && s.attributes.get("step").and_then(Value::as_str) == Some(name)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saga_is_one_trace_with_a_span_per_step_across_both_services() {
    let receiver = OtlpReceiver::start();
    let telemetry = platform::telemetry::init(&TelemetrySettings {
        format: LogFormat::Json,
        filter: "info".into(),
        otlp_endpoint: receiver.endpoint().into(),
        service_name: "saga-trace".into(),
    })
    .unwrap();
    assert!(telemetry.exporting(), "the first subscriber of the process");
    let w = support::world(TestBackend::Sqlite, 5000).await;
    let res = w
        .app
        .request(reqwest::Method::POST, "/v2/sagas")
        .header("Idempotency-Key", helpers::new_key())
        .header("traceparent", format!("00-{TRACE}-00f067aa0ba902b7-01"))
        .json(&support::place_body(1, Some("tok_ok")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);

    let spans = tokio::task::block_in_place(|| {
        receiver.wait_for(
            Duration::from_secs(30),
            || telemetry.flush(),
            |spans| {
                ["reserve_stock", "charge_payment", "confirm_order"]
                    .iter()
                    .all(|name| step(spans, name).is_some())
                    && spans.iter().any(|s| {
                        s.attributes.get("http.route").and_then(Value::as_str)
                            == Some("/v2/payments")
                    })
            },
        )
    });
    let saga = spans
        .iter()
        .find(|s| s.trace_id == TRACE && s.name == "saga")
        .expect("a saga span in the client's trace");
    for name in ["reserve_stock", "charge_payment", "confirm_order"] {
        let s = step(&spans, name).unwrap();
        assert_eq!(s.parent_span_id.as_ref(), Some(&saga.span_id), "{name}");
    }
    let charge = step(&spans, "charge_payment").unwrap();
    let payment = spans
        .iter()
        .find(|s| s.attributes.get("http.route").and_then(Value::as_str) == Some("/v2/payments"))
        .unwrap();
    assert_eq!(
        payment.trace_id, TRACE,
        "the payment service joined the trace"
    );
    assert_eq!(payment.parent_span_id.as_ref(), Some(&charge.span_id));
}
