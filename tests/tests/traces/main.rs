//! One trace per client request across the whole stack, exported over OTLP to
//! a receiver in the test, and the JSON logs of the same requests: a request
//! through the proxy to the monolith (legacy), to the payment service (new,
//! through the ACL), shadowed to it, and falling back to the monolith when the
//! service is gone keeps the client's trace id, every
//! backend request span is a child of the proxy's span, and the logs name
//! correlation id, trace id, route, mode, backend and latency but never the
//! client's bearer token or cookie, nor the admin token. (Its own test binary:
//! it owns the process's global subscriber.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)]
#[path = "../e2e/stack.rs"]
mod stack;

use platform::settings::{LogFormat, TelemetrySettings};
use platform::testing::TestBackend;
use platform::testing::otlp::{OtlpReceiver, ReceivedSpan};
use serde_json::Value;
use stack::{Stack, TOKEN, dead_upstream};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const BEARER: &str = "bearer-s3cr3t-e2e-5d1c";
const COOKIE: &str = "c00kie-s3cr3t-e2e-88a0";

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A client trace: 32 hex digits of trace id, 16 of parent span id.
fn client_trace(n: u8) -> (String, String) {
    (
        format!("{n:02x}{}", "ab".repeat(15)),
        format!("{n:02x}{}", "cd".repeat(7)),
    )
}

/// GETs `path` through the proxy in the client trace `n`, with credentials.
async fn traced_get(stack: &Stack, path: &str, n: u8, correlation: &str) -> String {
    let (trace, parent) = client_trace(n);
    let res = stack
        .client
        .get(format!("{}{path}", stack.proxy))
        .header("traceparent", format!("00-{trace}-{parent}-01"))
        .header("authorization", format!("Bearer {BEARER}"))
        .header("cookie", format!("session={COOKIE}; theme=dark"))
        .header("x-customer-id", "customer-9")
        .header("x-correlation-id", correlation)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{path}");
    res.headers()["x-strangler-backend"]
        .to_str()
        .unwrap()
        .to_owned()
}

/// The proxy's span of client trace `n` and the request spans under it.
fn spans_of(spans: &[ReceivedSpan], n: u8) -> (ReceivedSpan, Vec<ReceivedSpan>) {
    let (trace, parent) = client_trace(n);
    let proxy = spans
        .iter()
        .find(|s| s.trace_id == trace && s.name == "proxy")
        .unwrap_or_else(|| panic!("no proxy span in trace {trace}: {spans:#?}"));
    assert_eq!(proxy.parent_span_id.as_deref(), Some(parent.as_str()));
    let children = spans
        .iter()
        .filter(|s| s.trace_id == trace && s.parent_span_id.as_ref() == Some(&proxy.span_id))
        .cloned()
        .collect();
    (proxy.clone(), children)
}

fn routes(children: &[ReceivedSpan]) -> Vec<String> {
    children
        .iter()
        .filter_map(|s| s.attributes.get("http.route")?.as_str().map(str::to_owned))
        .collect()
}

fn has_child(spans: &[ReceivedSpan], n: u8, route_prefix: &str) -> bool {
    let (trace, _) = client_trace(n);
    let Some(proxy) = spans
        .iter()
        .find(|s| s.trace_id == trace && s.name == "proxy")
    else {
        return false;
    };
    spans.iter().any(|s| {
        s.parent_span_id.as_ref() == Some(&proxy.span_id)
            && s.attributes
                .get("http.route")
                .and_then(Value::as_str)
                .is_some_and(|r| r.starts_with(route_prefix))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_trace_through_proxy_monolith_and_payment_service_and_no_secrets_logged() {
    let receiver = OtlpReceiver::start();
    let logs = Captured::default();
    let writer = logs.clone();
    let telemetry = platform::telemetry::init_with_writer(
        &TelemetrySettings {
            format: LogFormat::Json,
            filter: "info".into(),
            otlp_endpoint: receiver.endpoint().into(),
            service_name: "e2e".into(),
        },
        move || writer.clone(),
    )
    .unwrap();

    let stack = Stack::start(TestBackend::Sqlite).await;
    let pay = stack.paid_order().await;
    stack.backfill_payment(pay).await;
    let path = format!("/api/v1/payments/{pay}");

    assert_eq!(traced_get(&stack, &path, 1, "trace-legacy").await, "legacy");

    stack.enable("payments.shadow");
    stack.wait_for_flag("payments.shadow", true, "100%").await;
    assert_eq!(traced_get(&stack, &path, 2, "trace-shadow").await, "legacy");

    stack.disable("payments.shadow");
    stack.enable("payments.new");
    stack.wait_for_backend(None, &path, "new").await;
    assert_eq!(traced_get(&stack, &path, 3, "trace-new").await, "new");

    let repointed = stack.repoint_payments(&dead_upstream()).await;
    assert_eq!(repointed.status(), 200);
    assert_eq!(
        traced_get(&stack, &path, 4, "trace-fallback").await,
        "legacy-fallback"
    );

    let spans = receiver.wait_for(
        Duration::from_secs(30),
        || telemetry.flush(),
        |spans| {
            has_child(spans, 1, "/api/v1/")
                && has_child(spans, 2, "/api/v1/")
                && has_child(spans, 2, "/v2/")
                && has_child(spans, 3, "/v2/")
                && has_child(spans, 4, "/api/v1/")
        },
    );
    assert!(spans.iter().all(|s| s.service == "e2e"));
    for (n, expected) in [
        (1, vec!["/api/v1/"]),
        (2, vec!["/api/v1/", "/v2/"]),
        (3, vec!["/v2/"]),
        (4, vec!["/api/v1/"]),
    ] {
        let (_, children) = spans_of(&spans, n);
        let routes = routes(&children);
        for prefix in expected {
            assert!(
                routes.iter().any(|r| r.starts_with(prefix)),
                "trace {n}: no {prefix} request under the proxy span: {routes:?}"
            );
        }
        if n != 2 {
            // Only the shadowed request reaches both sides.
            let other = if n == 3 { "/api/v1/" } else { "/v2/" };
            assert!(
                !routes.iter().any(|r| r.starts_with(other)),
                "trace {n}: {routes:?}"
            );
        }
    }

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    for secret in [BEARER, COOKIE, TOKEN] {
        assert!(!text.contains(secret), "a secret was logged: {secret}");
    }
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for (n, correlation, mode, backend) in [
        (1, "trace-legacy", "legacy", "legacy"),
        (2, "trace-shadow", "shadow", "legacy"),
        (3, "trace-new", "new", "new"),
        (4, "trace-fallback", "new", "legacy-fallback"),
    ] {
        let (trace, _) = client_trace(n);
        let proxied = lines
            .iter()
            .find(|l| {
                l["fields"]["message"] == "proxied" && l["fields"]["correlation_id"] == correlation
            })
            .unwrap_or_else(|| panic!("no proxied line for {correlation}"));
        let f = &proxied["fields"];
        assert_eq!(f["trace_id"], trace.as_str(), "{proxied}");
        assert_eq!(f["route"], "payments", "{proxied}");
        assert_eq!(f["mode"], mode, "{proxied}");
        assert_eq!(f["backend"], backend, "{proxied}");
        assert!(f["latency_ms"].is_u64(), "{proxied}");
        // The backends' request lines carry the same ids.
        assert!(
            lines.iter().any(|l| l["fields"]["message"] == "served"
                && l["span"]["trace_id"] == trace.as_str()
                && l["span"]["correlation_id"] == correlation),
            "no backend line in trace {trace}"
        );
    }
}
