//! The client-facing HTTP/1.1 codecs, over raw sockets on loopback: the
//! proxy's own codec serves plain requests (pipelined ones in order), hands a
//! connection to hyper at the first request it does not take without losing
//! a byte, honours `Connection: close` and `HEAD`; and both codecs
//! (`[proxy] codec`) answer the same requests alike.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::proxy::TestProxy;
use support::{raw_http, upstreams};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use raw_http::{fill, response};
use std::net::SocketAddr;
use std::time::Duration;
use strangler_proxy::settings::Codec;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// An upstream answering `METHOD PATH BODY-LENGTH`; `/empty` answers 204.
async fn upstream() -> SocketAddr {
    upstreams::serve(|req: Request<Incoming>| async move {
        let (method, path) = (req.method().to_string(), req.uri().to_string());
        let body = req.into_body().collect().await.unwrap().to_bytes();
        if path == "/empty" {
            let mut res = Response::new(Full::new(Bytes::new()));
            *res.status_mut() = http::StatusCode::NO_CONTENT;
            return res;
        }
        Response::new(Full::new(Bytes::from(format!(
            "{method} {path} {}",
            body.len()
        ))))
    })
    .await
}

async fn proxy(legacy: SocketAddr, codec: Codec) -> TestProxy {
    TestProxy::builder()
        .legacy(legacy)
        .adjust(move |settings| settings.proxy.codec = codec)
        .spawn()
        .await
}

/// An own-codec proxy before the echo upstream, and a connection to it on
/// which `request` has been sent.
async fn sent(request: &[u8]) -> (TestProxy, TcpStream) {
    let app = proxy(upstream().await, Codec::Own).await;
    let mut stream = TcpStream::connect(app.proxy_addr()).await.unwrap();
    stream.write_all(request).await.unwrap();
    (app, stream)
}

/// Whether the proxy closes `stream` (reads EOF) within a few seconds.
async fn closes(stream: &mut TcpStream) -> bool {
    let mut byte = [0u8; 1];
    matches!(
        tokio::time::timeout(Duration::from_secs(5), stream.read(&mut byte)).await,
        Ok(Ok(0) | Err(_))
    )
}

const MIXED: &str = "GET /one HTTP/1.1\r\nHost: a\r\n\r\n\
    POST /two HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello\
    GET /three?x=1 HTTP/1.1\r\nHost: a\r\n\r\n\
    DELETE /four HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n\
    GET /empty HTTP/1.1\r\nHost: a\r\n\r\n";

/// What `MIXED`, sent in one write, gets back: status and body per request.
async fn mixed_answers(app: &TestProxy) -> Vec<(String, String)> {
    let mut stream = TcpStream::connect(app.proxy_addr()).await.unwrap();
    stream.write_all(MIXED.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let mut answers = Vec::new();
    for _ in 0..5 {
        let (status, headers, body) = response(&mut stream, &mut buf, false).await;
        assert!(headers.iter().any(|(k, _)| k == "date"), "{headers:?}");
        assert!(
            headers
                .iter()
                .any(|(k, v)| k == "via" && v == "1.1 strangler")
        );
        answers.push((status, body));
    }
    answers
}

#[tokio::test]
async fn pipelined_requests_are_answered_in_order_across_the_handoff() {
    let legacy = upstream().await;
    let own = proxy(legacy, Codec::Own).await;
    let answers = mixed_answers(&own).await;
    let expected = [
        ("HTTP/1.1 200 OK", "GET /one 0"),
        ("HTTP/1.1 200 OK", "POST /two 5"),
        ("HTTP/1.1 200 OK", "GET /three?x=1 0"),
        ("HTTP/1.1 200 OK", "DELETE /four 0"),
        ("HTTP/1.1 204 No Content", ""),
    ];
    let answers: Vec<(&str, &str)> = answers
        .iter()
        .map(|(s, b)| (s.as_str(), b.as_str()))
        .collect();
    assert_eq!(answers, expected);

    let hyper = proxy(legacy, Codec::Hyper).await;
    assert_eq!(
        mixed_answers(&hyper).await,
        mixed_answers(&own).await,
        "both codecs answer alike"
    );
    own.stop().await;
    hyper.stop().await;
}

#[tokio::test]
async fn connection_close_and_head_are_honoured() {
    let (app, mut stream) = sent(b"HEAD /h HTTP/1.1\r\nHost: a\r\n\r\nGET /last HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").await;
    let mut buf = Vec::new();
    let (status, headers, body) = response(&mut stream, &mut buf, true).await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "content-length" && v == "9"),
        "HEAD keeps the length GET would have: {headers:?}"
    );
    assert!(body.is_empty());
    let (_, headers, body) = response(&mut stream, &mut buf, false).await;
    assert_eq!(body, "GET /last 0", "the HEAD sent no body bytes");
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "connection" && v == "close")
    );
    assert!(buf.is_empty());
    assert!(closes(&mut stream).await, "closed after the answer");
    app.stop().await;
}

#[tokio::test]
async fn a_malformed_head_gets_hypers_answer() {
    let (app, mut stream) = sent(b"GET / HTTP/1.1\r\nBad Header: x\r\n\r\n").await;
    let mut buf = Vec::new();
    fill(&mut stream, &mut buf).await;
    assert!(
        buf.starts_with(b"HTTP/1.1 400 "),
        "{}",
        String::from_utf8_lossy(&buf)
    );
    app.stop().await;
}

#[tokio::test]
async fn idle_connections_close_when_the_proxy_stops() {
    let (app, mut stream) = sent(b"GET /one HTTP/1.1\r\nHost: a\r\n\r\n").await;
    let mut buf = Vec::new();
    let (_, _, body) = response(&mut stream, &mut buf, false).await;
    assert_eq!(body, "GET /one 0");
    let stopping = tokio::spawn(app.stop());
    assert!(closes(&mut stream).await, "the idle connection is closed");
    stopping.await.unwrap();
}

/// An upstream that takes one request and never answers; it says when the
/// request arrived and whether its connection was then closed under it.
async fn silent_upstream() -> (SocketAddr, tokio::sync::mpsc::Receiver<&'static str>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tell, heard) = tokio::sync::mpsc::channel(4);
    tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut buf = Vec::new();
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
            let mut chunk = [0u8; 1024];
            let n = stream.read(&mut chunk).await.unwrap();
            buf.extend_from_slice(&chunk[..n]);
        }
        tell.send("request").await.unwrap();
        let mut byte = [0u8; 1];
        let closed = matches!(
            tokio::time::timeout(Duration::from_secs(5), stream.read(&mut byte)).await,
            Ok(Ok(0) | Err(_))
        );
        tell.send(if closed { "closed" } else { "left open" })
            .await
            .unwrap();
    });
    (addr, heard)
}

#[tokio::test]
async fn a_client_that_goes_away_cancels_its_request() {
    for codec in [Codec::Own, Codec::Hyper] {
        let (legacy, mut heard) = silent_upstream().await;
        let app = proxy(legacy, codec).await;
        let mut stream = TcpStream::connect(app.proxy_addr()).await.unwrap();
        stream
            .write_all(b"GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
            .await
            .unwrap();
        assert_eq!(heard.recv().await, Some("request"));
        drop(stream);
        assert_eq!(
            heard.recv().await,
            Some("closed"),
            "{codec:?}: the upstream call is dropped with the client"
        );
        app.stop().await;
    }
}
