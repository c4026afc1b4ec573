//! One trace per client request across the whole stack, exported over OTLP to
//! a receiver in the test, and the JSON logs of the same requests:
//! - a request through the proxy to the monolith (legacy), to the payment
//!   service (new, through the ACL), shadowed to it, and falling back to the
//!   monolith when the service is gone keeps the client's trace id, every
//!   backend request span is a child of the proxy's span, and the logs name
//!   correlation id, trace id, route, mode, backend and latency but never the
//!   client's bearer token or cookie, nor the admin token;
//! - a refund through the proxy reaches the payment service, its
//!   `payment.refunded` event goes through the outbox and the relay to
//!   fulfillment's inbox, and the consumer's work (and the `order.cancelled`
//!   event it records) is in the same trace.
//!
//! Its own test binary: it owns the process's global subscriber, installed
//! once ([`observed`]) and shared by the tests (their traces differ).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)]
#[path = "../e2e/stack.rs"]
mod stack;

use platform::settings::{LogFormat, TelemetrySettings};
use platform::testing::TestBackend;
use platform::testing::captured_logs::CapturedLogs;
use platform::testing::otlp::{OtlpReceiver, ReceivedSpan};
use serde_json::Value;
use stack::{Stack, TOKEN, dead_upstream};
use std::sync::OnceLock;
use std::time::Duration;

const BEARER: &str = "bearer-s3cr3t-e2e-5d1c";
const COOKIE: &str = "c00kie-s3cr3t-e2e-88a0";

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

/// The receiver, the captured JSON logs and the exporting subscriber of
/// this process.
struct Observed {
    receiver: OtlpReceiver,
    logs: CapturedLogs,
    telemetry: platform::telemetry::Telemetry,
}

fn observed() -> &'static Observed {
    static OBSERVED: OnceLock<Observed> = OnceLock::new();
    OBSERVED.get_or_init(|| {
        let receiver = OtlpReceiver::start();
        let logs = CapturedLogs::default();
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
        assert!(telemetry.exporting(), "the first subscriber of the process");
        Observed {
            receiver,
            logs,
            telemetry,
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_trace_through_proxy_monolith_and_payment_service_and_no_secrets_logged() {
    let Observed {
        receiver,
        logs,
        telemetry,
    } = observed();
    let stack = Stack::start(TestBackend::Sqlite).await;
    let pay = stack.paid_order().await;
    stack.backfill_payment(pay).await;
    let path = format!("/api/v1/payments/{pay}");

    assert_eq!(traced_get(&stack, &path, 1, "trace-legacy").await, "legacy");

    stack.flags.enable("payments.shadow");
    stack.wait_for_flag("payments.shadow", true, "100%").await;
    assert_eq!(traced_get(&stack, &path, 2, "trace-shadow").await, "legacy");

    stack.flags.disable("payments.shadow");
    stack.flags.enable("payments.new");
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

    let text = logs.text();
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

/// The span `id` and its ancestors in `spans`, nearest first.
fn ancestry<'a>(spans: &'a [ReceivedSpan], id: &str) -> Vec<&'a ReceivedSpan> {
    let mut chain = Vec::new();
    let mut next = Some(id.to_owned());
    while let Some(id) = next {
        let Some(span) = spans.iter().find(|s| s.span_id == id) else {
            break;
        };
        chain.push(span);
        next = span.parent_span_id.clone();
    }
    chain
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_trace_from_the_proxy_to_the_consumer_of_the_refund_event() {
    let Observed {
        receiver,
        logs,
        telemetry,
    } = observed();
    let stack = Stack::with_events(TestBackend::Sqlite).await;
    let get = |url: String| {
        let client = stack.client.clone();
        async move {
            let res = client.get(url).send().await.unwrap();
            assert_eq!(res.status(), 200);
            res.json::<Value>().await.unwrap()
        }
    };

    // A paid order in the monolith, its payment backfilled into the payment
    // service and the order imported into fulfillment (both by legacy id).
    let pay = stack.paid_order().await;
    stack.backfill_payment(pay).await;
    let payment = get(format!("{}/api/v1/payments/{pay}", stack.monolith)).await;
    let order_id = payment["ord"].as_i64().unwrap();
    let order = get(format!("{}/api/v1/orders/{order_id}", stack.monolith)).await;
    let f = &stack.fulfillment;
    let put = stack
        .client
        .put(format!("{f}/v2/stock/W-1"))
        .json(&serde_json::json!({"name": "Widget", "unit_price": {"amount": "19.99", "currency": "EUR"}}))
        .send()
        .await
        .unwrap();
    assert!(put.status().is_success());
    let stocked = stack
        .client
        .post(format!("{f}/v2/stock/W-1/adjustments"))
        .header("idempotency-key", "stock-w-1")
        .json(&serde_json::json!({"delta": 5, "reason": "stock"}))
        .send()
        .await
        .unwrap();
    assert!(stocked.status().is_success());
    let now = chrono::Utc::now();
    let imported = stack
        .client
        .post(format!("{}/v2/imports/orders", stack.fulfillment))
        .json(&serde_json::json!({"orders": [{
            "legacy_id": order_id, "customer_legacy_id": order["cust"], "state": "confirmed",
            "lines": [{"sku": "W-1", "quantity": 1, "unit_price": {"amount": "19.99", "currency": "EUR"}}],
            "payment_legacy_id": pay, "created_at": now, "updated_at": now,
        }]}))
        .send()
        .await
        .unwrap();
    let (status, imported) = (imported.status(), imported.json::<Value>().await.unwrap());
    assert!(
        status.is_success() && imported["results"][0]["outcome"] == "imported",
        "{imported}"
    );
    let fulfillment_order = format!("{}/v2/orders/by-legacy-id/{order_id}", stack.fulfillment);

    // The refund, in client trace 5, through the proxy to the payment service.
    stack.flags.enable("payments.new");
    let path = format!("/api/v1/payments/{pay}");
    stack.wait_for_backend(None, &path, "new").await;
    let (trace, parent) = client_trace(5);
    let refund = stack
        .client
        .post(format!("{}{path}/refunds", stack.proxy))
        .header("traceparent", format!("00-{trace}-{parent}-01"))
        .header("x-correlation-id", "trace-refund")
        .json(&serde_json::json!({"amt": payment["cap"], "rsn": "changed mind"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refund.status(), 201, "{:?}", refund.text().await);
    assert_eq!(refund.headers()["x-strangler-backend"], "new");

    // Fulfillment applies `payment.refunded`: the order is cancelled.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while get(fulfillment_order.clone()).await["state"] != "cancelled" {
        assert!(
            std::time::Instant::now() < deadline,
            "the order was not cancelled"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let spans = receiver.wait_for(
        Duration::from_secs(30),
        || telemetry.flush(),
        |spans| {
            spans
                .iter()
                .any(|s| s.trace_id == trace && s.name == "inbox.apply")
        },
    );
    let (proxy, children) = spans_of(&spans, 5);
    assert!(
        routes(&children)
            .iter()
            .any(|r| r.starts_with("/v2/payments/")),
        "the payment service's request is under the proxy span: {:?}",
        routes(&children)
    );
    let consumer = spans
        .iter()
        .find(|s| s.trace_id == trace && s.name == "inbox.apply")
        .unwrap();
    assert_eq!(
        consumer.attributes["event_type"], "payment.refunded",
        "{consumer:?}"
    );
    let chain = ancestry(&spans, &consumer.span_id);
    assert!(
        chain.iter().any(|s| s.span_id == proxy.span_id),
        "the consumer's span descends from the proxy's: {chain:#?}"
    );
    assert!(
        chain.iter().all(|s| s.trace_id == trace),
        "one trace id throughout"
    );
    // The relay's delivery to the inbox is a request of that trace too.
    assert!(
        spans.iter().any(|s| s.trace_id == trace
            && s.attributes.get("http.route").and_then(Value::as_str) == Some("/inbox")),
        "the inbox request is in the trace"
    );

    let text = logs.text();
    assert!(
        text.lines().any(|l| {
            let l: Value = serde_json::from_str(l).unwrap();
            l["fields"]["message"] == "event received" && l.to_string().contains(trace.as_str())
        }),
        "the consumer's log line carries the trace id"
    );
}
