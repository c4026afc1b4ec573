//! Blame where it belongs (issue 27, class 2), against real upstreams on
//! loopback over raw sockets: a dozen malformed request bodies for a route
//! on the new side are answered `400` and leave its breaker closed; input
//! its translator cannot read is a `400` that never reaches the new side;
//! a client that takes its time sending a body moves neither the route's
//! latency nor the watchdog, whose p99 limit it would cross otherwise.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::proxy::TestProxy;
use support::{metrics, raw_http, unleash_files, upstreams};

use serde_json::Value;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::Duration;
use strangler_proxy::app::Application;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use unleash_files::{document, simple_flag};

const TOKEN: &str = "blame-test-token-0123456789";

/// A proxy with route `things` (`/things/**`) and `payments` (through the
/// ACL, its new side at `dead`) on the new side; a breaker that opens at
/// 2 failures of 4 calls; a watchdog looking every second with a p99 limit
/// of 300 ms over one request.
async fn proxy(legacy: SocketAddr, new: SocketAddr, dead: SocketAddr) -> TestProxy {
    TestProxy::builder()
        .legacy(legacy)
        .token(TOKEN)
        .flags(document(vec![
            simple_flag("things.new", true),
            simple_flag("payments.new", true),
        ]))
        .toml(&format!(
            r#"
[resilience]
breaker_window = 4
breaker_min_calls = 4
breaker_failure_rate = 0.5
[watchdog]
enabled = true
interval = "1s"
min_requests = 1
max_p99_ms = 300
[[routes]]
name = "things"
patterns = ["/things/**"]
new = "http://{new}"
[routes.flags]
new = "things.new"
[[routes]]
name = "payments"
patterns = ["/api/v1/payments/{{id}}", "/api/v1/payments/{{id}}/refunds"]
new = "http://{dead}"
translator = "payments"
[routes.flags]
new = "payments.new"
"#
        ))
        .spawn()
        .await
}

/// `/admin/status`.
async fn status(app: &TestProxy) -> Value {
    app.admin_get("/admin/status").await
}

/// Sends `request` on a new connection; the status line when an answer
/// comes (a connection the proxy closes without one gives `None`).
async fn answer(app: &Application, request: &str) -> Option<String> {
    let mut stream = TcpStream::connect(app.proxy_addr()).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if buf.windows(4).any(|w| w == b"\r\n\r\n") {
                return Some(String::from_utf8_lossy(&buf).into_owned());
            }
            let mut chunk = [0u8; 1024];
            match tokio::io::AsyncReadExt::read(&mut stream, &mut chunk).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    });
    read.await.expect("an answer or a close in time")
}

/// Who answers `GET path`: the upstream's name.
async fn served_by(app: &Application, path: &str) -> String {
    let mut stream = TcpStream::connect(app.proxy_addr()).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nhost: shop\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    raw_http::response(&mut stream, &mut buf, false).await.2
}

async fn metric(app: &Application, family: &str, labels: &[(&str, &str)]) -> f64 {
    let admin = format!("http://{}", app.admin_addr());
    let text = metrics::scrape(&reqwest::Client::new(), &admin).await;
    metrics::sample(&text, family, labels)
}

#[tokio::test]
async fn malformed_bodies_never_open_the_breaker() {
    let (legacy, _) = upstreams::named("legacy").await;
    let (new, _) = upstreams::named("new").await;
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let app = proxy(legacy, new, dead.local_addr().unwrap()).await;
    for i in 0..12 {
        // Streamed (no second chance) or buffered (an idempotency key).
        let key = if i % 2 == 0 {
            ""
        } else {
            "idempotency-key: k\r\n"
        };
        let request = format!(
            "POST /things/{i} HTTP/1.1\r\nhost: shop\r\n{key}transfer-encoding: chunked\r\n\r\n\
             5\r\nhello\r\nzz\r\n"
        );
        if let Some(head) = answer(&app, &request).await {
            assert!(head.starts_with("HTTP/1.1 400 "), "{i}: {head}");
            assert!(head.contains("application/problem+json"), "{i}: {head}");
        }
    }
    let backends = status(&app).await["backends"].clone();
    let things = backends
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["backend"] == format!("http://{new}"))
        .unwrap()
        .clone();
    assert_eq!(things["breaker"], "closed", "{things}");
    assert_eq!(things["breaker_opened_total"], 0, "{things}");
    let bad = metric(
        &app,
        "strangler_client_errors_total",
        &[("kind", "bad_body")],
    )
    .await;
    assert!(
        bad >= 1.0,
        "the broken bodies are counted as the clients': {bad}"
    );
    // Still served by the new side.
    assert_eq!(served_by(&app, "/things/ok").await, "new");
    app.stop().await;
}

#[tokio::test]
async fn input_the_translator_refuses_is_the_clients() {
    let (legacy, legacy_calls) = upstreams::named("legacy").await;
    let (new, _) = upstreams::named("new").await;
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let app = proxy(legacy, new, dead.local_addr().unwrap()).await;
    for _ in 0..12 {
        let body = "{not json";
        let request = format!(
            "POST /api/v1/payments/1/refunds HTTP/1.1\r\nhost: shop\r\ncontent-type: application/json\r\n\
             content-length: {}\r\n\r\n{body}",
            body.len()
        );
        let head = answer(&app, &request).await.unwrap();
        assert!(head.starts_with("HTTP/1.1 400 "), "{head}");
    }
    assert_eq!(legacy_calls.load(Ordering::SeqCst), 0);
    let refused = metric(
        &app,
        "strangler_client_errors_total",
        &[("kind", "untranslatable")],
    )
    .await;
    assert_eq!(refused, 12.0);
    let backends = status(&app).await["backends"].clone();
    assert!(
        backends
            .as_array()
            .unwrap()
            .iter()
            .all(|b| b["breaker"] == "closed"),
        "{backends}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_slow_body_is_the_clients_time_not_the_new_sides() {
    let (legacy, _) = upstreams::named("legacy").await;
    let (new, _) = upstreams::named("new").await;
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let app = proxy(legacy, new, dead.local_addr().unwrap()).await;
    let mut stream = TcpStream::connect(app.proxy_addr()).await.unwrap();
    stream
        .write_all(b"POST /things/1 HTTP/1.1\r\nhost: shop\r\ncontent-length: 6\r\n\r\n")
        .await
        .unwrap();
    for byte in b"slowly" {
        tokio::time::sleep(Duration::from_millis(250)).await;
        stream.write_all(&[*byte]).await.unwrap();
    }
    let mut buf = Vec::new();
    let (status_line, _, body) = raw_http::response(&mut stream, &mut buf, false).await;
    assert!(status_line.contains(" 200 "), "{status_line}");
    assert_eq!(body, "new");
    let labels = [("route", "things"), ("backend", "new")];
    let upstream_time = metric(&app, "strangler_request_duration_seconds_sum", &labels).await;
    assert!(upstream_time < 0.3, "the new side's time: {upstream_time}");
    let admin = format!("http://{}", app.admin_addr());
    let text = metrics::scrape(&reqwest::Client::new(), &admin).await;
    let client_time: f64 = text
        .lines()
        .find_map(|line| line.strip_prefix("strangler_client_body_seconds_sum "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(client_time >= 1.4, "the client's time: {client_time}");
    // Two looks of the watchdog later, the route is still on the new side.
    tokio::time::sleep(Duration::from_millis(2200)).await;
    assert_eq!(served_by(&app, "/things/2").await, "new");
    let flags = std::fs::read_to_string(app.flags_file()).unwrap();
    let doc: Value = serde_json::from_str(&flags).unwrap();
    let things = doc["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "things.new")
        .unwrap();
    assert_eq!(
        things["enabled"], true,
        "the watchdog left the route alone: {flags}"
    );
    app.stop().await;
}
