//! The own codec's relay against the data plane, over real sockets: the same
//! requests through a proxy on the own codec (legacy-mode and unrouted
//! requests relayed) and one on hyper (every request through the data
//! plane) reach the upstream with the same header lines and reach the client
//! with the same answers; and what only the relay does (its upstream
//! connections, its failures) behaves.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::proxy::TestProxy;
use support::{raw_http, upstreams};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use raw_http::response;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use strangler_proxy::settings::Codec;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use upstreams::counting;

/// Header lines as (lower-cased name, value), in order.
type Lines = Vec<(String, String)>;

/// What the upstream saw of each request, in order.
type Seen = Arc<Mutex<Vec<Lines>>>;

/// An upstream that records each request's lines and answers with fields a
/// proxy must drop (hop-by-hop, and those its `Connection` names), keep, or
/// add to (`Via`).
async fn recording() -> (SocketAddr, Seen) {
    let seen: Seen = Arc::default();
    let record = seen.clone();
    let addr = upstreams::serve(move |req: Request<Incoming>| {
        let record = record.clone();
        async move {
            let lines = req
                .headers()
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned()))
                .collect();
            record.lock().unwrap().push(lines);
            Response::builder()
                .header("connection", "x-upstream-hop")
                .header("x-upstream-hop", "secret")
                .header("keep-alive", "timeout=5")
                .header("via", "1.0 backend")
                .header("x-strangler-route", "forged")
                .header("x-kept", "yes")
                .body(Full::new(Bytes::from(format!(
                    "{} {}",
                    req.method(),
                    req.uri()
                ))))
                .unwrap()
        }
    })
    .await;
    (addr, seen)
}

async fn proxy(legacy: SocketAddr, codec: Codec) -> TestProxy {
    proxy_with(legacy, move |settings| settings.proxy.codec = codec).await
}

/// A proxy before `legacy` with a legacy-mode route, one that keeps the
/// client's `Host`, and what `adjust` changes.
async fn proxy_with(
    legacy: SocketAddr,
    adjust: impl FnOnce(&mut strangler_proxy::settings::Settings) + 'static,
) -> TestProxy {
    TestProxy::builder()
        .legacy(legacy)
        .toml(
            r#"
[[routes]]
name = "catalog"
patterns = ["/catalog/{id}"]
[[routes]]
name = "kept-host"
patterns = ["/kept/{id}"]
host = "keep"
"#,
        )
        .adjust(adjust)
        .spawn()
        .await
}

/// Requests that exercise the header rules: hop-by-hop fields and those
/// `Connection` names, a prior `X-Forwarded-For` and `Via`, a client trace
/// and correlation id (kept) or none (made), `Host` kept or rewritten, HEAD,
/// no route.
const REQUESTS: [&str; 6] = [
    "GET /catalog/1 HTTP/1.1\r\nHost: shop.example\r\nConnection: keep-alive, X-Client-Hop\r\nX-Client-Hop: secret\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\nProxy-Authorization: Basic eA==\r\nX-Forwarded-For: 203.0.113.9\r\nx-forwarded-for: 198.51.100.1\r\nVia: 1.0 edge\r\nX-Kept: one\r\nx-kept: two\r\n\r\n",
    "GET /catalog/2?q=1 HTTP/1.1\r\nHost: shop.example\r\ntraceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\ntracestate: congo=t61rcWkgMzE\r\nX-Correlation-Id: client-id-1\r\n\r\n",
    "GET /catalog/3 HTTP/1.1\r\nHost: shop.example\r\ntraceparent: 00-bad-bad-01\r\ntracestate: orphan=1\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: forged\r\n\r\n",
    "HEAD /kept/4 HTTP/1.1\r\nHost: shop.example\r\n\r\n",
    "DELETE /kept/5 HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
    "GET /not/routed HTTP/1.1\r\nHost: shop.example\r\nUser-Agent: relay-test\r\n\r\n",
];

/// Fields that differ by design from request to request: a new parent span
/// id, a new correlation id when the client sent none, the date.
fn comparable(lines: &Lines, sent: &str) -> BTreeMap<String, Vec<String>> {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in lines {
        let value = match name.as_str() {
            "traceparent" => {
                let (trace, rest) = value[3..].split_once('-').unwrap();
                assert_eq!(rest.len(), 16 + 3, "{value}");
                // A client's valid trace goes on; a new one is random.
                if sent.contains("traceparent: 00-4bf9") {
                    trace.to_owned()
                } else {
                    format!("new trace of {} digits", trace.len())
                }
            }
            "x-correlation-id" if !sent.contains("X-Correlation-Id") => {
                format!("made: {} digits", value.len())
            }
            "date" => "a date".to_owned(),
            "host" if value.starts_with("127.0.0.1:") => "the upstream".to_owned(),
            _ => value.clone(),
        };
        map.entry(name.clone()).or_default().push(value);
    }
    map
}

/// The answers and what the upstream saw, for `REQUESTS` on one kept-alive
/// connection through a proxy on `codec`.
async fn exchange(
    codec: Codec,
) -> Vec<(
    String,
    BTreeMap<String, Vec<String>>,
    BTreeMap<String, Vec<String>>,
    String,
)> {
    let (upstream, seen) = recording().await;
    let app = proxy(upstream, codec).await;
    let mut stream = TcpStream::connect(app.proxy_addr()).await.unwrap();
    let mut buf = Vec::new();
    let mut out = Vec::new();
    for (i, request) in REQUESTS.iter().enumerate() {
        stream.write_all(request.as_bytes()).await.unwrap();
        let (status, headers, body) =
            response(&mut stream, &mut buf, request.starts_with("HEAD")).await;
        let upstream_saw = seen.lock().unwrap()[i].clone();
        out.push((
            status,
            comparable(&headers, request),
            comparable(&upstream_saw, request),
            body,
        ));
    }
    app.stop().await;
    out
}

#[tokio::test]
async fn the_relay_forwards_as_the_data_plane_does() {
    let relayed = exchange(Codec::Own).await;
    let planned = exchange(Codec::Hyper).await;
    for (i, (relayed, planned)) in relayed.iter().zip(&planned).enumerate() {
        assert_eq!(relayed, planned, "request {i}: {}", REQUESTS[i]);
    }
    // And what both do is what a proxy must.
    let (_, answer, upstream, body) = &relayed[0];
    assert_eq!(body, "GET /catalog/1");
    for hop in [
        "connection",
        "keep-alive",
        "te",
        "proxy-authorization",
        "x-client-hop",
    ] {
        assert!(
            !upstream.contains_key(hop),
            "{hop} went upstream: {upstream:?}"
        );
    }
    assert_eq!(upstream["x-forwarded-for"], ["203.0.113.9, 127.0.0.1"]);
    assert_eq!(upstream["via"], ["1.0 edge, 1.1 strangler"]);
    assert_eq!(upstream["x-kept"], ["one", "two"]);
    assert_eq!(upstream["host"], ["the upstream"]);
    assert_eq!(upstream["x-forwarded-host"], ["shop.example"]);
    for hop in ["x-upstream-hop", "keep-alive"] {
        assert!(
            !answer.contains_key(hop),
            "{hop} reached the client: {answer:?}"
        );
    }
    assert_eq!(answer["via"], ["1.0 backend, 1.1 strangler"]);
    assert_eq!(answer["x-strangler-route"], ["catalog"]);
    assert_eq!(answer["x-strangler-backend"], ["legacy"]);
    let (_, _, upstream, _) = &relayed[1];
    assert_eq!(upstream["x-correlation-id"], ["client-id-1"]);
    assert_eq!(upstream["tracestate"], ["congo=t61rcWkgMzE"]);
    let (_, _, upstream, _) = &relayed[2];
    assert!(
        !upstream.contains_key("tracestate"),
        "an orphan tracestate went on"
    );
    assert_eq!(upstream["x-forwarded-proto"], ["http"]);
    let (_, answer, upstream, body) = &relayed[3];
    assert_eq!(
        (body.as_str(), &upstream["host"][..]),
        ("", &["shop.example".to_owned()][..])
    );
    assert_eq!(answer["content-length"], ["12"], "HEAD keeps its length");
    let (_, answer, _, body) = &relayed[5];
    assert_eq!(body, "GET /not/routed");
    assert!(
        !answer.contains_key("x-strangler-backend"),
        "no route, no labels"
    );
}

#[tokio::test]
async fn clients_keep_their_upstream_connection_and_hand_it_on_when_they_close() {
    let (upstream, connections) = counting(Duration::ZERO).await;
    let app = proxy(upstream, Codec::Own).await;
    let get = b"GET /catalog/1 HTTP/1.1\r\nHost: a\r\n\r\n";
    let (mut a, mut b) = (
        TcpStream::connect(app.proxy_addr()).await.unwrap(),
        TcpStream::connect(app.proxy_addr()).await.unwrap(),
    );
    let mut buf = Vec::new();
    for _ in 0..3 {
        for client in [&mut a, &mut b] {
            client.write_all(get).await.unwrap();
            assert_eq!(response(client, &mut buf, false).await.2, "ok");
        }
    }
    assert_eq!(
        *connections.lock().unwrap(),
        2,
        "one upstream connection per client"
    );
    drop(a);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut c = TcpStream::connect(app.proxy_addr()).await.unwrap();
    c.write_all(get).await.unwrap();
    let (_, lines, body) = response(&mut c, &mut buf, false).await;
    assert_eq!(body, "ok");
    assert!(
        lines.iter().any(|(name, _)| name == "date"),
        "an answer without a date gets one: {lines:?}"
    );
    assert_eq!(
        *connections.lock().unwrap(),
        2,
        "a new client takes the connection a closed one left"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_client_moving_to_another_upstream_hands_its_connection_on() {
    let (first, to_first) = counting(Duration::ZERO).await;
    let (second, to_second) = counting(Duration::ZERO).await;
    let app = proxy_with(first, move |settings| {
        settings.proxy.codec = Codec::Own;
        settings.routes[1].legacy = Some(format!("http://{second}"));
    })
    .await;
    let mut buf = Vec::new();
    let mut a = TcpStream::connect(app.proxy_addr()).await.unwrap();
    for path in ["/catalog/1", "/kept/1"] {
        let get = format!("GET {path} HTTP/1.1\r\nHost: a\r\n\r\n");
        a.write_all(get.as_bytes()).await.unwrap();
        assert_eq!(response(&mut a, &mut buf, false).await.2, "ok");
    }
    let mut b = TcpStream::connect(app.proxy_addr()).await.unwrap();
    b.write_all(b"GET /catalog/2 HTTP/1.1\r\nHost: a\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(response(&mut b, &mut buf, false).await.2, "ok");
    assert_eq!(
        (*to_first.lock().unwrap(), *to_second.lock().unwrap()),
        (1, 1),
        "the first upstream's connection went on to the next client"
    );
    app.stop().await;
}

#[tokio::test]
async fn relayed_failures_are_problems() {
    // Nothing listens: 502 with the upstream named.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let nowhere = closed.local_addr().unwrap();
    drop(closed);
    let app = proxy(nowhere, Codec::Own).await;
    let mut stream = TcpStream::connect(app.proxy_addr()).await.unwrap();
    stream
        .write_all(b"GET /catalog/1 HTTP/1.1\r\nHost: a\r\n\r\n")
        .await
        .unwrap();
    let (status, headers, body) = response(&mut stream, &mut Vec::new(), false).await;
    assert!(status.contains(" 502 "), "{status}");
    assert!(headers.contains(&("content-type".into(), "application/problem+json".into())));
    assert!(
        headers.contains(&("x-strangler-route".into(), "catalog".into())),
        "{headers:?}"
    );
    assert!(
        body.contains("upstream-unreachable") && body.contains(&nowhere.to_string()),
        "{body}"
    );
    app.stop().await;

    // No answer within the route's timeout: 504, and the connection serves on.
    let (slow, _) = counting(Duration::from_secs(3)).await;
    let app = proxy_with(slow, move |settings| {
        settings.proxy.codec = Codec::Own;
        settings.routes[0].timeout_ms = Some(200);
    })
    .await;
    let mut stream = TcpStream::connect(app.proxy_addr()).await.unwrap();
    let mut buf = Vec::new();
    stream
        .write_all(b"GET /catalog/1 HTTP/1.1\r\nHost: a\r\n\r\n")
        .await
        .unwrap();
    let (status, _, body) = response(&mut stream, &mut buf, false).await;
    assert!(status.contains(" 504 "), "{status}");
    assert!(body.contains("upstream-timeout"), "{body}");
    app.stop().await;
}
