//! Forwarding done right, against a real upstream on loopback: hop-by-hop
//! headers dropped (also those `Connection` names), `X-Forwarded-*` and `Via`
//! added, `Host` rewritten or kept per route, large bodies streamed both ways
//! past the buffering limit, WebSocket-style upgrades tunnelled, and no route →
//! the monolith unchanged.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use std::convert::Infallible;
use std::net::SocketAddr;
use strangler_proxy::app::Application;
use strangler_proxy::settings::Settings;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// An upstream that answers with what it received: method, path, headers and
/// body length as JSON; and that switches protocols to an echo on `Upgrade`.
async fn upstream() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let service = service_fn(|mut req: Request<Incoming>| async move {
                    if req.headers().contains_key("upgrade") {
                        let on = hyper::upgrade::on(&mut req);
                        tokio::spawn(async move {
                            let mut io = TokioIo::new(on.await.unwrap());
                            let mut buf = [0u8; 64];
                            let n = io.read(&mut buf).await.unwrap();
                            io.write_all(&buf[..n]).await.unwrap();
                        });
                        let res = Response::builder()
                            .status(StatusCode::SWITCHING_PROTOCOLS)
                            .header("connection", "upgrade")
                            .header("upgrade", "echo")
                            .body(Full::new(Bytes::new()))
                            .unwrap();
                        return Ok::<_, Infallible>(res);
                    }
                    let headers: serde_json::Map<String, Value> = req
                        .headers()
                        .iter()
                        .map(|(k, v)| (k.as_str().to_owned(), json!(v.to_str().unwrap())))
                        .collect();
                    let (method, path) = (req.method().to_string(), req.uri().to_string());
                    let body = req.into_body().collect().await.unwrap().to_bytes();
                    let echo = json!({"method": method, "path": path, "headers": headers, "body_len": body.len()});
                    let res = Response::builder()
                        .header("connection", "x-upstream-hop")
                        .header("x-upstream-hop", "secret")
                        .header("keep-alive", "timeout=5")
                        .body(Full::new(Bytes::from(echo.to_string())))
                        .unwrap();
                    Ok(res)
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .with_upgrades()
                    .await;
            });
        }
    });
    addr
}

async fn proxy(name: &str, legacy: SocketAddr) -> Application {
    let dir = std::env::temp_dir().join(format!("strangler-fwd-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let routes = format!(
        r#"
[shadow]
database_url = "sqlite://{shadow_db}"
[proxy]
listen = "127.0.0.1:0"
legacy = "http://{legacy}"
max_body_bytes = 1024
[admin]
listen = "127.0.0.1:0"
token = "forwarding-test-token-0123"
[[routes]]
name = "kept-host"
patterns = ["/kept/**"]
host = "keep"
"#,
        shadow_db = dir.join("shadow.db").display()
    );
    let config = dir.join("strangler.toml");
    std::fs::write(&config, routes).unwrap();
    let flags = dir.join("flags.json");
    std::fs::write(&flags, r#"{"version": 2, "features": []}"#).unwrap();
    let mut settings = Settings::load(Some(&config)).unwrap();
    settings.flags.file = flags;
    Application::start(settings, Some(config)).await.unwrap()
}

#[tokio::test]
async fn headers_host_and_streaming() {
    let app = proxy("headers", upstream().await).await;
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
async fn upgrades_are_tunnelled() {
    let app = proxy("upgrade", upstream().await).await;
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
