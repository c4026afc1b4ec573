//! Forwarding done right, against a real upstream on loopback: hop-by-hop
//! headers dropped (also those `Connection` names), `X-Forwarded-*` and `Via`
//! added, `Host` rewritten or kept per route, large bodies streamed both ways
//! past the buffering limit, WebSocket-style upgrades tunnelled, and no route →
//! the monolith unchanged. A scripted upstream covers the framings (chunked,
//! until close, HEAD, interim 1xx, HTTP/1.0), request bodies of unknown length,
//! and connections the upstream closed while idle.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::proxy::TestProxy;
use support::upstreams;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// An upstream that answers with what it received: method, path, headers and
/// body length as JSON; and that switches protocols to an echo on `Upgrade`.
async fn upstream() -> SocketAddr {
    upstreams::serve(|mut req: Request<Incoming>| async move {
        if req.headers().contains_key("upgrade") {
            let on = hyper::upgrade::on(&mut req);
            tokio::spawn(async move {
                let mut io = TokioIo::new(on.await.unwrap());
                let mut buf = [0u8; 64];
                let n = io.read(&mut buf).await.unwrap();
                io.write_all(&buf[..n]).await.unwrap();
            });
            return Response::builder()
                .status(StatusCode::SWITCHING_PROTOCOLS)
                .header("connection", "upgrade")
                .header("upgrade", "echo")
                .body(Full::new(Bytes::new()))
                .unwrap();
        }
        let headers: serde_json::Map<String, Value> = req
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), json!(v.to_str().unwrap())))
            .collect();
        let (method, path) = (req.method().to_string(), req.uri().to_string());
        let body = req.into_body().collect().await.unwrap().to_bytes();
        let echo =
            json!({"method": method, "path": path, "headers": headers, "body_len": body.len()});
        Response::builder()
            .header("connection", "x-upstream-hop")
            .header("x-upstream-hop", "secret")
            .header("keep-alive", "timeout=5")
            .body(Full::new(Bytes::from(echo.to_string())))
            .unwrap()
    })
    .await
}

async fn proxy(legacy: SocketAddr) -> TestProxy {
    TestProxy::builder()
        .legacy(legacy)
        .proxy_toml("max_body_bytes = 1024")
        .toml(
            r#"
[[routes]]
name = "kept-host"
patterns = ["/kept/**"]
host = "keep"
"#,
        )
        .spawn()
        .await
}

#[tokio::test]
async fn headers_host_and_streaming() {
    let app = proxy(upstream().await).await;
    let base = format!("http://{}", app.proxy_addr());
    let client = reqwest::Client::new();

    let res = client
        .post(format!("{base}/anything/unrouted?q=1"))
        .header("host", "shop.example")
        .header("connection", "x-client-hop")
        .header("x-client-hop", "secret")
        .header("x-forwarded-for", "203.0.113.9")
        .header("x-kept", "yes")
        .body(vec![7u8; 3 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers().get("x-upstream-hop").is_none(),
        "a hop-by-hop field of the upstream leaked"
    );
    assert!(res.headers().get("keep-alive").is_none());
    assert_eq!(res.headers()["via"], "1.1 strangler");
    let echo: Value = res.json().await.unwrap();
    assert_eq!(
        echo["path"], "/anything/unrouted?q=1",
        "no route: the monolith gets the request unchanged"
    );
    assert_eq!(
        echo["body_len"],
        3 * 1024 * 1024,
        "a body past the buffering limit streams through"
    );
    let h = &echo["headers"];
    assert!(
        h.get("x-client-hop").is_none(),
        "a field named in Connection was forwarded"
    );
    assert_eq!(h["x-kept"], "yes");
    assert_eq!(h["x-forwarded-for"], "203.0.113.9, 127.0.0.1");
    assert_eq!(h["x-forwarded-host"], "shop.example");
    assert_eq!(h["x-forwarded-proto"], "http");
    assert_eq!(h["via"], "1.1 strangler");
    assert!(
        h["host"].as_str().unwrap().starts_with("127.0.0.1:"),
        "host rewritten by default: {}",
        h["host"]
    );
    assert!(
        h["x-correlation-id"].is_string(),
        "the proxy gives the request a correlation id"
    );

    let echo: Value = client
        .get(format!("{base}/kept/x"))
        .header("host", "shop.example")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        echo["headers"]["host"], "shop.example",
        "route `kept-host` keeps the client's Host"
    );
    app.stop().await;
}

#[tokio::test]
async fn connection_names_only_the_clients_own_fields() {
    let app = proxy(upstream().await).await;
    let base = format!("http://{}", app.proxy_addr());
    let client = reqwest::Client::new();
    // A plain GET (the relay) and a POST with a body (the data plane).
    for body in [None, Some("payload")] {
        let req = match body {
            None => client.get(format!("{base}/anything")),
            Some(body) => client.post(format!("{base}/anything")).body(body),
        };
        let echo: Value = req
            .header("connection", "traceparent, x-correlation-id, via, x-gone")
            .header(
                "traceparent",
                "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            )
            .header("x-gone", "1")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let h = &echo["headers"];
        assert!(h.get("x-gone").is_none(), "{body:?}: {h}");
        // The proxy's own trace context goes on (whether it continues the
        // client's, which was addressed to the proxy, is the path's choice).
        let traceparent = h["traceparent"].as_str().unwrap_or_default();
        assert!(
            traceparent.len() == 55 && !traceparent.ends_with("b7ad6b7169203331-01"),
            "{body:?}: {h}"
        );
        assert!(h["x-correlation-id"].is_string(), "{body:?}: {h}");
        assert_eq!(h["via"], "1.1 strangler", "{body:?}");
    }
    app.stop().await;
}

#[tokio::test]
async fn upgrades_are_tunnelled() {
    let app = proxy(upstream().await).await;
    let mut stream = TcpStream::connect(app.proxy_addr()).await.unwrap();
    stream
        .write_all(
            b"GET /socket HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n",
        )
        .await
        .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).await.unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    assert!(
        head.to_ascii_lowercase().contains("upgrade: echo"),
        "{head}"
    );
    stream.write_all(b"ping over the tunnel").await.unwrap();
    let mut echoed = [0u8; 20];
    stream.read_exact(&mut echoed).await.unwrap();
    assert_eq!(&echoed, b"ping over the tunnel");
    app.stop().await;
}

/// What the scripted upstream has seen.
#[derive(Default)]
struct Seen {
    connections: AtomicUsize,
    /// The last request's head and body, as received.
    last: Mutex<(String, Vec<u8>)>,
}

/// An upstream written byte by byte, for the framings hyper would never send:
/// the path picks the answer. Connections are kept alive unless the answer
/// ends them.
async fn scripted() -> (SocketAddr, Arc<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Seen::default());
    let shared = seen.clone();
    tokio::spawn(async move {
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            shared.connections.fetch_add(1, Ordering::SeqCst);
            let seen = shared.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                while let Some((head, body)) = read_request(&mut stream, &mut buf).await {
                    let path = head.split(' ').nth(1).unwrap_or("/").to_owned();
                    let answer: Vec<u8> = match path.as_str() {
                        "/chunked" => b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=1\r\nhello\r\n6\r\n world\r\n0\r\nx-sum: 1\r\n\r\n".to_vec(),
                        "/chunked-large" => {
                            let mut answer = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
                            for chunk in large_chunks() {
                                answer.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                                answer.extend_from_slice(&chunk);
                                answer.extend_from_slice(b"\r\n");
                            }
                            answer.extend_from_slice(b"0\r\n\r\n");
                            answer
                        }
                        "/until-close" => b"HTTP/1.1 200 OK\r\n\r\nuntil the end".to_vec(),
                        "/head" => b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n".to_vec(),
                        "/continue" => b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".to_vec(),
                        "/http10" => b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nold".to_vec(),
                        "/garbage" => b"SMTP ready\r\n\r\n".to_vec(),
                        _ => {
                            let echo = format!("{} bytes", body.len());
                            format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{echo}", echo.len()).into_bytes()
                        }
                    };
                    *seen.last.lock().unwrap() = (head, body);
                    stream.write_all(&answer).await.unwrap();
                    match path.as_str() {
                        "/until-close" | "/http10" | "/garbage" => return,
                        // Kept open, then closed while idle, as upstreams with a short keep-alive do.
                        "/idle-close" => {
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            return;
                        }
                        _ => {}
                    }
                }
            });
        }
    });
    (addr, seen)
}

/// A chunked body of about 1.4 MiB in chunks of growing size (1 byte to
/// 44 KiB), each filled with a letter of its own: read sizes the relay adapts
/// as it goes must still hand on every byte in order.
fn large_chunks() -> Vec<Vec<u8>> {
    (0..96u8)
        .map(|i| vec![b'a' + i % 26; usize::from(i) * usize::from(i) * 5 + 1])
        .collect()
}

/// Reads one request (head, then a `Content-Length` or chunked body); `None`
/// when the connection ends.
async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<(String, Vec<u8>)> {
    let end = loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        fill(stream, buf).await?;
    };
    let head = String::from_utf8(buf.drain(..end).collect()).unwrap();
    let lower = head.to_ascii_lowercase();
    let mut body = Vec::new();
    if lower.contains("transfer-encoding: chunked") {
        loop {
            let line_end = loop {
                if let Some(i) = buf.windows(2).position(|w| w == b"\r\n") {
                    break i;
                }
                fill(stream, buf).await?;
            };
            let size =
                usize::from_str_radix(std::str::from_utf8(&buf[..line_end]).unwrap(), 16).unwrap();
            while buf.len() < line_end + 2 + size + 2 {
                fill(stream, buf).await?;
            }
            body.extend_from_slice(&buf[line_end + 2..line_end + 2 + size]);
            buf.drain(..line_end + 2 + size + 2);
            if size == 0 {
                break;
            }
        }
    } else if let Some(at) = lower.find("content-length: ") {
        let len: usize = lower[at + 16..]
            .split("\r\n")
            .next()
            .unwrap()
            .parse()
            .unwrap();
        while buf.len() < len {
            fill(stream, buf).await?;
        }
        body = buf.drain(..len).collect();
    }
    Some((head, body))
}

async fn fill(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<()> {
    let mut chunk = [0u8; 4096];
    match stream.read(&mut chunk).await {
        Ok(0) | Err(_) => None,
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            Some(())
        }
    }
}

#[tokio::test]
async fn every_response_framing_reaches_the_client() {
    let (upstream, seen) = scripted().await;
    let app = proxy(upstream).await;
    let base = format!("http://{}", app.proxy_addr());
    let client = reqwest::Client::new();
    let get = |path: &str| client.get(format!("{base}{path}")).send();

    let res = get("/chunked").await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.text().await.unwrap(),
        "hello world",
        "chunks (with an extension and a trailer)"
    );
    let large = get("/chunked-large").await.unwrap().bytes().await.unwrap();
    assert!(
        large == large_chunks().concat(),
        "a large chunked body arrives whole and in order ({} bytes)",
        large.len()
    );
    assert_eq!(
        get("/until-close").await.unwrap().text().await.unwrap(),
        "until the end"
    );
    assert_eq!(
        get("/continue").await.unwrap().text().await.unwrap(),
        "ok",
        "the interim 100 is skipped"
    );
    assert_eq!(get("/http10").await.unwrap().text().await.unwrap(), "old");
    let head = client.head(format!("{base}/head")).send().await.unwrap();
    assert_eq!(
        head.headers()["content-length"],
        "11",
        "HEAD keeps its length and has no body"
    );
    assert_eq!(
        get("/after-head").await.unwrap().text().await.unwrap(),
        "0 bytes"
    );

    let res = get("/garbage").await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["type"], "urn:strangler-kit:problem:upstream-failed");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains(&upstream.to_string()),
        "{problem}"
    );

    let before = seen.connections.load(Ordering::SeqCst);
    for _ in 0..5 {
        assert_eq!(get("/kept").await.unwrap().text().await.unwrap(), "0 bytes");
    }
    assert_eq!(
        seen.connections.load(Ordering::SeqCst),
        before + 1,
        "sequential requests share one kept-alive upstream connection"
    );
    app.stop().await;
}

#[tokio::test]
async fn request_bodies_are_framed_for_the_upstream() {
    let (upstream, seen) = scripted().await;
    let app = proxy(upstream).await;
    let url = format!("http://{}/echo", app.proxy_addr());
    let client = reqwest::Client::new();

    let res = client.post(&url).body("twelve bytes").send().await.unwrap();
    assert_eq!(res.text().await.unwrap(), "12 bytes");
    assert!(
        seen.last
            .lock()
            .unwrap()
            .0
            .to_ascii_lowercase()
            .contains("content-length: 12")
    );

    // A body of unknown length (chunked by the client) goes on in chunks.
    let mut stream = TcpStream::connect(app.proxy_addr()).await.unwrap();
    stream
        .write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n6\r\nfirst \r\na\r\nand second\r\n0\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.ends_with("16 bytes"), "{answer}");
    let (head, body) = seen.last.lock().unwrap().clone();
    assert!(
        head.to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "{head}"
    );
    assert_eq!(body, b"first and second");

    let res = client.post(&url).send().await.unwrap();
    assert_eq!(res.text().await.unwrap(), "0 bytes");
    app.stop().await;
}

#[tokio::test]
async fn connections_the_upstream_closed_while_idle_are_not_used() {
    let (upstream, seen) = scripted().await;
    let app = proxy(upstream).await;
    let base = format!("http://{}", app.proxy_addr());
    let client = reqwest::Client::new();
    for round in 0..3 {
        let res = client
            .get(format!("{base}/idle-close"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "GET, round {round}");
        assert_eq!(res.text().await.unwrap(), "0 bytes");
        tokio::time::sleep(Duration::from_millis(150)).await;
        // The kept connection is closed now: a GET is sent again on a new one,
        // a POST (not safe to repeat) checks before it is sent.
        let res = client
            .post(format!("{base}/idle-close"))
            .body("once")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "POST, round {round}");
        assert_eq!(res.text().await.unwrap(), "4 bytes");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    assert_eq!(
        seen.connections.load(Ordering::SeqCst),
        6,
        "one connection per request"
    );
    app.stop().await;
}
