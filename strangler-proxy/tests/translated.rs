//! Translated requests on the own codec (the translated relay: the v2 calls
//! written and read from the client connection's task, over its link)
//! against the data plane on hyper, over real sockets: whatever framing the
//! v2 service answers in (a length, chunks in pieces, up to the close) the
//! client gets the same legacy answer and the service sees the same request;
//! a v2 answer cut short sends the client to the monolith; a client keeps
//! its v2 connection between its requests.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::proxy::TestProxy;
use support::unleash_files::{document, simple_flag};
use support::{raw_http, upstreams};

use raw_http::response;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use strangler_proxy::settings::Codec;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use upstreams::counting;

/// A v2 payment as the payment service sends it, `{id}` its legacy id.
const PAYMENT: &str = r#"{"id":"00000000-0000-0000-0000-000000000001","legacy_id":{id},"order_id":"00000000-0000-0000-0000-000000000002","order_legacy_id":77,"customer_id":null,"customer_legacy_id":5,"method":"card","status":"partially_refunded","amount":{"amount":"125.00","currency":"EUR"},"captured":{"amount":"125.00","currency":"EUR"},"refunded":{"amount":"25.50","currency":"EUR"},"failure_reason":null,"version":3,"created_at":"2026-07-15T10:00:00Z","updated_at":"2026-10-25T01:30:00Z"}"#;

/// Legacy ids, each answered in its own way by [`v2_service`].
const BY_LENGTH: u32 = 1;
const IN_CHUNKS: u32 = 2;
const UP_TO_CLOSE: u32 = 3;
const CUT_SHORT: u32 = 4;
const NOT_FOUND: u32 = 5;

/// Header lines as (lower-cased name, value), in order.
type Lines = Vec<(String, String)>;

/// What a v2 service saw: each request's head, and how many connections.
#[derive(Default)]
struct Seen {
    requests: Vec<(String, Lines)>,
    connections: usize,
}

/// A payment service on a raw socket answering `/v2/payments/by-legacy-id/N`
/// as N says (see the constants above), with a `content-type` and an
/// `x-request-id` line the ACL does not read.
async fn v2_service() -> (SocketAddr, Arc<Mutex<Seen>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let record = seen.clone();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            record.lock().unwrap().connections += 1;
            tokio::spawn(answer_requests(stream, record.clone()));
        }
    });
    (addr, seen)
}

async fn answer_requests(mut stream: TcpStream, record: Arc<Mutex<Seen>>) {
    let mut buf = Vec::new();
    loop {
        let end = loop {
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break end;
            }
            let mut chunk = [0u8; 1024];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8(buf.drain(..end + 4).collect()).unwrap();
        let mut lines = head.trim_end().split("\r\n");
        let request_line = lines.next().unwrap().to_owned();
        let lines = lines
            .map(|l| {
                let (k, v) = l.split_once(':').unwrap();
                (k.to_ascii_lowercase(), v.trim().to_owned())
            })
            .collect();
        let id: u32 = request_line
            .split(' ')
            .nth(1)
            .and_then(|target| target.rsplit('/').next())
            .and_then(|id| id.parse().ok())
            .unwrap_or(0);
        record.lock().unwrap().requests.push((request_line, lines));
        let body = PAYMENT.replace("{id}", &id.to_string());
        let lines = "content-type: application/json\r\nx-request-id: v2-side";
        let writes: Vec<String> = match id {
            BY_LENGTH => vec![format!(
                "HTTP/1.1 200 OK\r\n{lines}\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            )],
            IN_CHUNKS => {
                let (a, b) = body.split_at(100);
                vec![
                    format!(
                        "HTTP/1.1 200 OK\r\n{lines}\r\ntransfer-encoding: chunked\r\n\r\n{:x}\r\n{a}\r\n",
                        a.len()
                    ),
                    format!("{:x};ext=1\r\n{b}\r\n", b.len()),
                    "0\r\nx-trailer: t\r\n\r\n".to_owned(),
                ]
            }
            UP_TO_CLOSE => vec![format!("HTTP/1.1 200 OK\r\n{lines}\r\n\r\n{body}")],
            CUT_SHORT => vec![format!(
                "HTTP/1.1 200 OK\r\n{lines}\r\ncontent-length: {}\r\n\r\n{}",
                body.len(),
                &body[..100]
            )],
            _ => {
                let problem = r#"{"type":"about:blank","title":"Not Found","status":404,"detail":"no payment"}"#;
                vec![format!(
                    "HTTP/1.1 404 Not Found\r\ncontent-type: application/problem+json\r\ncontent-length: {}\r\n\r\n{problem}",
                    problem.len()
                )]
            }
        };
        for piece in writes {
            if stream.write_all(piece.as_bytes()).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        if matches!(id, UP_TO_CLOSE | CUT_SHORT) {
            return;
        }
    }
}

/// A proxy on `codec` serving `pattern` (of the legacy payments API) from
/// `new` through the ACL's `payments` translator, the monolith at `legacy`.
async fn proxy(codec: Codec, legacy: SocketAddr, new: SocketAddr, pattern: &str) -> TestProxy {
    TestProxy::builder()
        .legacy(legacy)
        .flags(document(vec![simple_flag("payments.new", true)]))
        .toml(&format!(
            r#"
[[routes]]
name = "payments"
patterns = ["{pattern}"]
new = "http://{new}"
translator = "payments"
[routes.flags]
new = "payments.new"
"#
        ))
        .adjust(move |settings| settings.proxy.codec = codec)
        .spawn()
        .await
}

/// Lines that differ by design between two runs: the date, the span ids,
/// made correlation ids, the upstream's port.
fn comparable(lines: &Lines) -> BTreeMap<String, Vec<String>> {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in lines {
        let value = match name.as_str() {
            "date" => "a date".to_owned(),
            "traceparent" => format!("a trace context of {} characters", value.len()),
            "x-correlation-id" => format!("an id of {} characters", value.len()),
            "host" => "the service".to_owned(),
            _ => value.clone(),
        };
        map.entry(name.clone()).or_default().push(value);
    }
    map
}

type Answer = (String, BTreeMap<String, Vec<String>>, String);
type Request = (String, BTreeMap<String, Vec<String>>);

/// Each legacy id's answer and the v2 requests made for it, on one kept-alive
/// client connection through a proxy on `codec`; and how many connections
/// the v2 service was asked for.
async fn exchange(codec: Codec) -> (Vec<(Answer, Vec<Request>)>, usize) {
    let (new, seen) = v2_service().await;
    let (monolith, _) = counting(Duration::ZERO).await;
    let app = proxy(codec, monolith, new, "/api/v1/payments/{id}").await;
    let mut stream = TcpStream::connect(app.proxy_addr()).await.unwrap();
    let mut buf = Vec::new();
    let mut out = Vec::new();
    for id in [
        BY_LENGTH,
        BY_LENGTH,
        IN_CHUNKS,
        UP_TO_CLOSE,
        CUT_SHORT,
        NOT_FOUND,
        BY_LENGTH,
    ] {
        let before = seen.lock().unwrap().requests.len();
        let get = format!("GET /api/v1/payments/{id} HTTP/1.1\r\nHost: shop.example\r\n\r\n");
        stream.write_all(get.as_bytes()).await.unwrap();
        let (status, lines, body) = response(&mut stream, &mut buf, false).await;
        let v2 = seen.lock().unwrap().requests[before..]
            .iter()
            .map(|(line, lines)| (line.clone(), comparable(lines)))
            .collect();
        out.push(((status, comparable(&lines), body), v2));
    }
    let connections = seen.lock().unwrap().connections;
    app.stop().await;
    (out, connections)
}

#[tokio::test]
async fn v2_calls_on_the_own_codec_match_hypers() {
    let ((own, own_connections), (hyper, _)) =
        tokio::join!(exchange(Codec::Own), exchange(Codec::Hyper));
    for (i, (own, hyper)) in own.iter().zip(&hyper).enumerate() {
        assert_eq!(own, hyper, "request {i}: own codec, then hyper");
    }
    let body = |i: usize| own[i].0.2.as_str();
    let legacy = r#"{"id":1,"ord":77,"amt":12500,"cur":"EUR","st":"P","cap":12500,"rfd":2550,"pm":"card","crt":"2026-07-15 12:00:00","upd":"2026-10-25 02:30:00"}"#;
    assert_eq!(body(0), legacy, "a payment in the legacy shape");
    for (i, id) in [(2, IN_CHUNKS), (3, UP_TO_CLOSE)] {
        assert_eq!(body(i), legacy.replace("\"id\":1", &format!("\"id\":{id}")));
    }
    assert_eq!(body(4), "ok", "an answer cut short: the monolith's");
    assert!(own[5].0.0.contains(" 404 "), "{:?}", own[5].0);
    assert!(
        own[6].0.1["x-strangler-backend"] == ["new"],
        "after all that, the new side serves again: {:?}",
        own[6].0
    );
    let (line, lines) = &own[0].1[0];
    assert_eq!(line, "GET /v2/payments/by-legacy-id/1 HTTP/1.1");
    assert!(lines.contains_key("traceparent"), "{lines:?}");
    // Kept between requests; a new one after each the service closed.
    assert_eq!(own_connections, 3, "v2 connections on the own codec");
}

/// A refund the payment service takes (201) but answers in a shape the ACL
/// cannot show: the client is told the write may have been applied, on both
/// codecs, never a plain failure it would take for a refusal.
#[tokio::test]
async fn an_untranslatable_answer_to_a_write_says_it_may_have_been_applied() {
    let new = upstreams::serve(|req: hyper::Request<hyper::body::Incoming>| async move {
        if req.method() == hyper::Method::GET {
            let payment: serde_json::Value =
                serde_json::from_str(&PAYMENT.replace("{id}", "1")).unwrap();
            upstreams::json(200, &payment)
        } else {
            upstreams::json(201, &serde_json::json!({"not": "a refund"}))
        }
    })
    .await;
    let (monolith, monolith_calls) = counting(Duration::ZERO).await;
    for codec in [Codec::Own, Codec::Hyper] {
        let app = proxy(codec, monolith, new, "/api/v1/payments/{id}/refunds").await;
        let mut stream = TcpStream::connect(app.proxy_addr()).await.unwrap();
        let body = r#"{"amt":1000,"rsn":"dent"}"#;
        let post = format!(
            "POST /api/v1/payments/1/refunds HTTP/1.1\r\nHost: shop.example\r\n\
             content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(post.as_bytes()).await.unwrap();
        let (status, _, answer) = response(&mut stream, &mut Vec::new(), false).await;
        assert!(status.contains(" 502 "), "{codec:?}: {status} {answer}");
        let problem: serde_json::Value = serde_json::from_str(&answer).unwrap();
        assert!(
            problem["type"]
                .as_str()
                .unwrap()
                .ends_with(":new-side-answer-untranslatable"),
            "{codec:?}: {problem}"
        );
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("may have been applied"),
            "{codec:?}: {problem}"
        );
        app.stop().await;
    }
    assert_eq!(
        *monolith_calls.lock().unwrap(),
        0,
        "a write never falls back"
    );
}
