//! Timeouts on both client codecs (issue 27, class 3), over raw sockets on
//! loopback with short settings: a head that does not arrive whole gets a
//! `408` (own codec) or a close (hyper), an idle keep-alive connection is
//! closed, a stalled body in `new` mode gets a `408` problem and a close, an
//! upstream slower than the route's `timeout_ms` a `504`, and a body that
//! trickles past the total deadline a `408`; each counted by kind. The
//! timers themselves are unit-tested with paused time (`proxy::blame`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::proxy::TestProxy;
use support::{metrics, unleash_files, upstreams};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use strangler_proxy::app::Application;
use strangler_proxy::settings::Codec;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use unleash_files::{document, simple_flag};

/// An upstream that reads the whole body, waits a second on a path ending `/slow`, and
/// answers `ok`.
async fn upstream() -> SocketAddr {
    upstreams::serve(|req: Request<Incoming>| async move {
        let slow = req.uri().path().ends_with("/slow");
        let _ = req.into_body().collect().await;
        if slow {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        Response::new(Full::new(Bytes::from("ok")))
    })
    .await
}

/// A proxy with short timeouts and route `things` (`/things/**`) in `new` mode.
async fn proxy(codec: Codec) -> TestProxy {
    let (legacy, new) = (upstream().await, upstream().await);
    TestProxy::builder()
        .legacy(legacy)
        .proxy_toml(
            "timeout_ms = 300\nheader_timeout_ms = 300\nidle_timeout_ms = 300\n\
             body_timeout_ms = 300\ntotal_timeout_ms = 900",
        )
        .flags(document(vec![simple_flag("things.new", true)]))
        .toml(&format!(
            r#"
[[routes]]
name = "things"
patterns = ["/things/**"]
new = "http://{new}"
[routes.flags]
new = "things.new"
"#
        ))
        .adjust(move |settings| settings.proxy.codec = codec)
        .spawn()
        .await
}

/// Everything the proxy sends until it closes the connection, and how long
/// that took.
async fn until_closed(stream: &mut TcpStream) -> (String, Duration) {
    let started = Instant::now();
    let mut all = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut all));
    read.await.expect("the proxy closes the connection").ok();
    (
        String::from_utf8_lossy(&all).into_owned(),
        started.elapsed(),
    )
}

async fn timeouts(app: &Application, kind: &str) -> f64 {
    let admin = format!("http://{}", app.admin_addr());
    let text = metrics::scrape(&reqwest::Client::new(), &admin).await;
    metrics::sample(&text, "strangler_timeouts_total", &[("kind", kind)])
}

#[tokio::test]
async fn a_head_that_does_not_arrive_whole_is_cut_off() {
    for codec in [Codec::Own, Codec::Hyper] {
        let app = proxy(codec).await;
        let mut stream = TcpStream::connect(app.proxy_addr()).await.unwrap();
        stream
            .write_all(b"GET /things/1 HTTP/1.1\r\nhost: shop\r\n")
            .await
            .unwrap();
        let (answer, took) = until_closed(&mut stream).await;
        assert!(took >= Duration::from_millis(250), "{codec:?}: {took:?}");
        if codec == Codec::Own {
            assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
            assert!(answer.contains("application/problem+json"), "{answer}");
        }
        assert_eq!(timeouts(&app, "header").await, 1.0, "{codec:?}");
        app.stop().await;
    }
}

#[tokio::test]
async fn an_idle_connection_is_closed() {
    for codec in [Codec::Own, Codec::Hyper] {
        let app = proxy(codec).await;
        let mut stream = TcpStream::connect(app.proxy_addr()).await.unwrap();
        stream
            .write_all(b"GET /other HTTP/1.1\r\nhost: shop\r\n\r\n")
            .await
            .unwrap();
        let (answer, took) = until_closed(&mut stream).await;
        assert!(answer.starts_with("HTTP/1.1 200 "), "{codec:?}: {answer}");
        assert!(answer.ends_with("ok"), "nothing after the answer: {answer}");
        assert!(took >= Duration::from_millis(250), "{codec:?}: {took:?}");
        // hyper's one timer covers idle and head alike (see docs/security.md).
        let kind = if codec == Codec::Own {
            "idle"
        } else {
            "header"
        };
        assert_eq!(timeouts(&app, kind).await, 1.0, "{codec:?}");
        app.stop().await;
    }
}

#[tokio::test]
async fn a_stalled_body_in_new_mode_gets_408_and_the_connection_closes() {
    for codec in [Codec::Own, Codec::Hyper] {
        let app = proxy(codec).await;
        for key in ["", "idempotency-key: k\r\n"] {
            let mut stream = TcpStream::connect(app.proxy_addr()).await.unwrap();
            let head = format!(
                "POST /things/1 HTTP/1.1\r\nhost: shop\r\n{key}content-length: 10\r\n\r\nabc"
            );
            stream.write_all(head.as_bytes()).await.unwrap();
            let (answer, _) = until_closed(&mut stream).await;
            assert!(
                answer.starts_with("HTTP/1.1 408 "),
                "{codec:?} {key}: {answer}"
            );
            assert!(answer.contains("application/problem+json"), "{answer}");
            assert!(answer.contains("connection: close"), "{answer}");
        }
        assert_eq!(timeouts(&app, "body").await, 2.0, "{codec:?}");
        app.stop().await;
    }
}

#[tokio::test]
async fn a_slow_upstream_gets_504() {
    for codec in [Codec::Own, Codec::Hyper] {
        let app = proxy(codec).await;
        // The monolith (a GET relayed on the own codec), and the new side
        // (a write: no fallback, its body streamed).
        for (method, path, body) in [("GET", "/slow", ""), ("POST", "/things/slow", "hi")] {
            let mut stream = TcpStream::connect(app.proxy_addr()).await.unwrap();
            let request = format!(
                "{method} {path} HTTP/1.1\r\nhost: shop\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            );
            stream.write_all(request.as_bytes()).await.unwrap();
            let (answer, took) = until_closed(&mut stream).await;
            assert!(
                answer.starts_with("HTTP/1.1 504 "),
                "{codec:?} {path}: {answer}"
            );
            assert!(
                took < Duration::from_millis(900),
                "{codec:?} {path}: {took:?}"
            );
        }
        assert_eq!(timeouts(&app, "upstream").await, 2.0, "{codec:?}");
        app.stop().await;
    }
}

#[tokio::test]
async fn a_body_that_trickles_past_the_total_deadline_gets_408() {
    let app = proxy(Codec::Own).await;
    let mut stream = TcpStream::connect(app.proxy_addr()).await.unwrap();
    stream
        .write_all(b"POST /things/1 HTTP/1.1\r\nhost: shop\r\ncontent-length: 20\r\n\r\n")
        .await
        .unwrap();
    // A byte every 150 ms: never stalled (300 ms), past the total (900 ms).
    for _ in 0..8 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        if stream.write_all(b"x").await.is_err() {
            break;
        }
    }
    let (answer, _) = until_closed(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
    assert_eq!(timeouts(&app, "total").await, 1.0);
    app.stop().await;
}
