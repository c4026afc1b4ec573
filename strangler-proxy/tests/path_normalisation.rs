//! A route cannot be walked around (issue 27, class 1): a route in `new`
//! mode asked for by another spelling of its path (percent-encoded, doubled
//! slashes, dot segments) is served by the new side with the normal path, on
//! both client codecs and with or without a body; an ambiguous path (an
//! encoded slash, a NUL, a broken escape) is refused with a problem and
//! reaches no upstream. Raw sockets: an HTTP client would normalise the
//! paths itself.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::proxy::TestProxy;
use support::{metrics, raw_http, unleash_files, upstreams};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use strangler_proxy::app::Application;
use strangler_proxy::settings::Codec;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use unleash_files::{document, simple_flag};

/// An upstream answering `<name> <target>` and counting its calls.
async fn upstream(name: &'static str) -> (SocketAddr, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let addr = upstreams::serve(move |req: Request<Incoming>| {
        counted.fetch_add(1, Ordering::SeqCst);
        async move {
            let target = req.uri().to_string();
            let _ = req.into_body().collect().await;
            Response::new(Full::new(Bytes::from(format!("{name} {target}"))))
        }
    })
    .await;
    (addr, calls)
}

async fn proxy(legacy: SocketAddr, new: SocketAddr, codec: Codec) -> TestProxy {
    TestProxy::builder()
        .legacy(legacy)
        .flags(document(vec![simple_flag("payments.new", true)]))
        .toml(&format!(
            r#"
[[routes]]
name = "payments"
patterns = ["/api/v1/payments/{{id}}", "/api/v1/payments/{{id}}/refunds"]
new = "http://{new}"
[routes.flags]
new = "payments.new"
"#
        ))
        .adjust(move |settings| settings.proxy.codec = codec)
        .spawn()
        .await
}

/// Sends `head` (and `body`) on a new connection; the status line, headers
/// and body.
async fn send(
    app: &Application,
    head: &str,
    body: &str,
) -> (String, Vec<(String, String)>, String) {
    let mut stream = TcpStream::connect(app.proxy_addr()).await.unwrap();
    stream
        .write_all(format!("{head}\r\nhost: shop\r\n").as_bytes())
        .await
        .unwrap();
    let framing = if body.is_empty() {
        String::from("\r\n")
    } else {
        format!("content-length: {}\r\n\r\n{body}", body.len())
    };
    stream.write_all(framing.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    raw_http::response(&mut stream, &mut buf, false).await
}

#[tokio::test]
async fn other_spellings_of_a_moved_route_reach_the_new_side() {
    for codec in [Codec::Own, Codec::Hyper] {
        let (legacy, legacy_calls) = upstream("legacy").await;
        let (new, _) = upstream("new").await;
        let app = proxy(legacy, new, codec).await;
        for (method, sent, body, normal) in [
            ("GET", "/api/v1/%70ayments/1", "", "/api/v1/payments/1"),
            ("GET", "/api/v1//payments/1", "", "/api/v1/payments/1"),
            ("GET", "/api/v1/x/../payments/1", "", "/api/v1/payments/1"),
            (
                "GET",
                "/api/%76%31/payments/./1?q=%2F",
                "",
                "/api/v1/payments/1?q=%2F",
            ),
            (
                "GET",
                "/api/v1/x/%2E%2e/payments/1",
                "",
                "/api/v1/payments/1",
            ),
            // With a body: hyper serves it on the own codec too.
            (
                "POST",
                "/api/v1/%70ayments/1//refunds",
                "{}",
                "/api/v1/payments/1/refunds",
            ),
            (
                "POST",
                "/api/v1/payments/1/x/../refunds",
                "{}",
                "/api/v1/payments/1/refunds",
            ),
        ] {
            let (status, _, answer) = send(&app, &format!("{method} {sent} HTTP/1.1"), body).await;
            assert!(status.contains(" 200 "), "{codec:?} {sent}: {status}");
            assert_eq!(answer, format!("new {normal}"), "{codec:?} {sent}");
        }
        // A path no route claims is normalised for the monolith too.
        let (_, _, answer) = send(&app, "GET /other//a/./b HTTP/1.1", "").await;
        assert_eq!(answer, "legacy /other/a/b", "{codec:?}");
        assert_eq!(legacy_calls.load(Ordering::SeqCst), 1, "{codec:?}");
        app.stop().await;
    }
}

#[tokio::test]
async fn ambiguous_paths_are_refused_before_any_upstream() {
    for codec in [Codec::Own, Codec::Hyper] {
        let (legacy, legacy_calls) = upstream("legacy").await;
        let (new, new_calls) = upstream("new").await;
        let app = proxy(legacy, new, codec).await;
        for (sent, body) in [
            ("/api/v1/payments%2F1", ""),
            ("/api/v1/payments/1%2frefunds", "{}"),
            ("/api/v1/payments/%5C1", ""),
            ("/api/v1/payments/1%00", ""),
            ("/api/v1/payments/%zz", ""),
        ] {
            let method = if body.is_empty() { "GET" } else { "POST" };
            let (status, headers, answer) =
                send(&app, &format!("{method} {sent} HTTP/1.1"), body).await;
            assert!(status.contains(" 400 "), "{codec:?} {sent}: {status}");
            let kind = headers.iter().find(|(k, _)| k == "content-type");
            assert_eq!(
                kind.map(|(_, v)| v.as_str()),
                Some("application/problem+json"),
                "{codec:?} {sent}"
            );
            assert!(answer.contains("path"), "{codec:?} {sent}: {answer}");
        }
        assert_eq!(legacy_calls.load(Ordering::SeqCst), 0, "{codec:?}");
        assert_eq!(new_calls.load(Ordering::SeqCst), 0, "{codec:?}");
        let text = metrics::scrape(
            &reqwest::Client::new(),
            &format!("http://{}", app.admin_addr()),
        )
        .await;
        let refused = metrics::sample(
            &text,
            "strangler_client_errors_total",
            &[("kind", "bad_path")],
        );
        assert_eq!(refused, 5.0, "{codec:?}");
        app.stop().await;
    }
}
