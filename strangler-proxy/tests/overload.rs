//! Overload that degrades (issue 27, class 3): with `max_connections = 2`,
//! a third client connection is told `503` problem+json with `Retry-After`
//! and closed, the two open ones keep being served, and a place freed by a
//! close is taken by the next client; on both client codecs. (The accept
//! backoff is a unit test of its policy: `server::accept`.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::proxy::TestProxy;
use support::{metrics, raw_http, upstreams};

use bytes::Bytes;
use http::Response;
use http_body_util::Full;
use std::time::Duration;
use strangler_proxy::settings::Codec;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn proxy(codec: Codec) -> TestProxy {
    let legacy = upstreams::serve(|_| async { Response::new(Full::new(Bytes::from("ok"))) }).await;
    TestProxy::builder()
        .legacy(legacy)
        .proxy_toml("max_connections = 2")
        .adjust(move |settings| settings.proxy.codec = codec)
        .spawn()
        .await
}

/// One keep-alive request on `stream`: its status line.
async fn get(stream: &mut TcpStream) -> String {
    stream
        .write_all(b"GET /x HTTP/1.1\r\nhost: shop\r\n\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    raw_http::response(stream, &mut buf, false).await.0
}

#[tokio::test]
async fn past_the_connection_limit_a_client_is_refused_clearly() {
    for codec in [Codec::Own, Codec::Hyper] {
        let app = proxy(codec).await;
        let mut a = TcpStream::connect(app.proxy_addr()).await.unwrap();
        let mut b = TcpStream::connect(app.proxy_addr()).await.unwrap();
        assert!(get(&mut a).await.contains(" 200 "), "{codec:?}");
        assert!(get(&mut b).await.contains(" 200 "), "{codec:?}");
        let mut c = TcpStream::connect(app.proxy_addr()).await.unwrap();
        let mut refused = String::new();
        let read = tokio::time::timeout(Duration::from_secs(5), c.read_to_string(&mut refused));
        read.await.expect("the refusal and a close").unwrap();
        assert!(refused.starts_with("HTTP/1.1 503 "), "{codec:?}: {refused}");
        assert!(refused.contains("retry-after: 1\r\n"), "{refused}");
        assert!(refused.contains("application/problem+json"), "{refused}");
        // The open ones are still served; a closed one frees its place.
        assert!(get(&mut a).await.contains(" 200 "), "{codec:?}");
        drop(b);
        let mut d = loop {
            let mut d = TcpStream::connect(app.proxy_addr()).await.unwrap();
            d.write_all(b"GET /x HTTP/1.1\r\nhost: shop\r\n\r\n")
                .await
                .unwrap();
            let mut first = [0u8; 12];
            d.read_exact(&mut first).await.unwrap();
            if &first == b"HTTP/1.1 200" {
                break d;
            }
            // The close had not reached the proxy yet.
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let mut rest = Vec::new();
        let _ = tokio::time::timeout(Duration::from_millis(200), d.read_buf(&mut rest)).await;
        let text = metrics::scrape(
            &reqwest::Client::new(),
            &format!("http://{}", app.admin_addr()),
        )
        .await;
        let line = text
            .lines()
            .find_map(|l| l.strip_prefix("strangler_connections_refused_total "))
            .unwrap();
        assert!(line.parse::<f64>().unwrap() >= 1.0, "{codec:?}: {line}");
        drop((a, d));
        app.stop().await;
    }
}
