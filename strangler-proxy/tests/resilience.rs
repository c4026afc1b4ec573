//! Resilience against real upstreams on loopback: a failing new side opens
//! its circuit breaker (requests then fall back without calling it, writes
//! get 503), a cool-down lets a probe through that closes it again or opens
//! it anew, and failed ACL exchanges count the same; a bulkhead of 2 in
//! front of a slow upstream sends 3 of 5 concurrent requests to the
//! monolith; a refused connection is retried and succeeds on a later
//! attempt; bad settings are refused by name.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::proxy::TestProxy;
use support::{metrics, unleash_files, upstreams};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use strangler_proxy::settings::Settings;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use unleash_files::{TempDir, document, eventually, simple_flag};

const TOKEN: &str = "resilience-test-token-0123";

/// How the fake upstream answers.
const ANSWER: u8 = 0;
const FAIL: u8 = 1;
const HOLD: u8 = 2;

/// A fake upstream: counts its calls and answers 200 `name`, 500, or holds
/// each request until [`Fake::release`].
struct Fake {
    addr: SocketAddr,
    mode: AtomicU8,
    calls: AtomicU64,
    /// How many `x-correlation-id` values the last request carried.
    correlation_values: AtomicU64,
    /// The `tracestate` lines the last request carried.
    tracestate: Mutex<Vec<String>>,
    gate: Semaphore,
}

impl Fake {
    async fn start(name: &'static str) -> Arc<Self> {
        Self::serve(name, TcpListener::bind("127.0.0.1:0").await.unwrap())
    }

    fn serve(name: &'static str, listener: TcpListener) -> Arc<Self> {
        let fake = Arc::new(Self {
            addr: listener.local_addr().unwrap(),
            mode: AtomicU8::new(ANSWER),
            calls: AtomicU64::new(0),
            correlation_values: AtomicU64::new(0),
            tracestate: Mutex::default(),
            gate: Semaphore::new(0),
        });
        let state = fake.clone();
        upstreams::serve_on(listener, move |req: Request<Incoming>| {
            let state = state.clone();
            let ids = req.headers().get_all("x-correlation-id").iter().count();
            let tracestate = req.headers().get_all("tracestate").iter();
            let tracestate = tracestate.map(|v| v.to_str().unwrap().to_owned());
            *state.tracestate.lock().unwrap() = tracestate.collect();
            async move {
                state.calls.fetch_add(1, Ordering::SeqCst);
                state.correlation_values.store(ids as u64, Ordering::SeqCst);
                let mode = state.mode.load(Ordering::SeqCst);
                if mode == HOLD {
                    state.gate.acquire().await.unwrap().forget();
                }
                let status = if mode == FAIL {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::OK
                };
                Response::builder()
                    .status(status)
                    .body(Full::new(Bytes::from(name)))
                    .unwrap()
            }
        });
        fake
    }

    fn set(&self, mode: u8) {
        self.mode.store(mode, Ordering::SeqCst);
    }

    fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }

    fn release(&self) {
        self.gate.add_permits(1000);
    }
}

struct Proxy {
    app: TestProxy,
    path: &'static str,
    base: String,
    admin: String,
    client: reqwest::Client,
}

/// A proxy with route `things` (`/things/**`) on the new side `new`, the
/// monolith at `legacy`, and `[resilience]` set to `resilience`.
async fn proxy(legacy: SocketAddr, new: SocketAddr, resilience: &str) -> Proxy {
    proxy_of(legacy, new, resilience, Things::Plain).await
}

/// What route `things` is.
#[derive(PartialEq)]
enum Things {
    /// `/things/**`, the new side speaks the legacy contract.
    Plain,
    /// `/api/v1/payments/{id}` through the ACL's `payments` translator.
    Translated,
}

async fn proxy_of(legacy: SocketAddr, new: SocketAddr, resilience: &str, things: Things) -> Proxy {
    let (pattern, translator, path) = match things {
        Things::Plain => ("/things/**", "", "/things/1"),
        Things::Translated => (
            "/api/v1/payments/{id}",
            "translator = \"payments\"",
            "/api/v1/payments/1",
        ),
    };
    let app = TestProxy::builder()
        .legacy(legacy)
        .token(TOKEN)
        .flags(document(vec![simple_flag("things.new", true)]))
        .toml(&format!(
            r#"
[resilience]
{resilience}
[[routes]]
name = "things"
patterns = ["{pattern}"]
new = "http://{new}"
{translator}
[routes.flags]
new = "things.new"
"#
        ))
        .spawn()
        .await;
    Proxy {
        path,
        base: app.url(""),
        admin: app.admin_url(""),
        app,
        client: reqwest::Client::new(),
    }
}

impl Proxy {
    /// Sends `method` to the route; returns the status, backend header and body.
    async fn send(&self, method: reqwest::Method) -> (StatusCode, String, reqwest::Response) {
        let res = self
            .client
            .request(method, format!("{}{}", self.base, self.path))
            .send()
            .await
            .unwrap();
        let backend = res.headers()["x-strangler-backend"]
            .to_str()
            .unwrap()
            .to_owned();
        (res.status(), backend, res)
    }

    async fn get(&self) -> (StatusCode, String) {
        let (status, backend, _) = self.send(reqwest::Method::GET).await;
        (status, backend)
    }

    /// The one guarded upstream's state from `/admin/status`.
    async fn backend(&self) -> Value {
        let status = self.app.admin_get("/admin/status").await;
        let backends = status["backends"].as_array().unwrap();
        assert_eq!(backends.len(), 1, "{status}");
        backends[0].clone()
    }

    /// The value of `family{backend="<the new side>"}` on `/metrics`.
    async fn metric(&self, family: &str, new: SocketAddr) -> f64 {
        let text = metrics::scrape(&self.client, &self.admin).await;
        metrics::sample(&text, family, &[("backend", &format!("http://{new}"))])
    }
}

const BREAKER: &str = "breaker_window = 4\nbreaker_min_calls = 4\nbreaker_failure_rate = 0.5\n\
                       breaker_cooldown_ms = 2000\nbreaker_probes = 1";

#[tokio::test]
async fn a_failing_new_side_opens_the_breaker_and_a_probe_closes_it() {
    let (legacy, new) = (Fake::start("legacy").await, Fake::start("new").await);
    let proxy = proxy(legacy.addr, new.addr, BREAKER).await;
    assert_eq!(proxy.get().await, (StatusCode::OK, "new".into()));

    new.set(FAIL);
    for _ in 0..2 {
        assert_eq!(
            proxy.get().await,
            (StatusCode::OK, "legacy-fallback".into())
        );
    }
    assert_eq!(
        proxy.backend().await["breaker"],
        "closed",
        "3 calls < min_calls 4"
    );
    assert_eq!(
        proxy.get().await,
        (StatusCode::OK, "legacy-fallback".into())
    );
    let open = proxy.backend().await;
    assert_eq!(open["breaker"], "open", "3 of 4 failed: {open}");
    assert_eq!(open["breaker_opened_total"], 1);
    assert_eq!(new.calls(), 4);
    assert_eq!(proxy.metric("strangler_breaker_state", new.addr).await, 2.0);
    assert_eq!(
        proxy
            .metric("strangler_breaker_opened_total", new.addr)
            .await,
        1.0
    );

    // Open: safe requests go to the monolith, the new side is not called.
    for _ in 0..3 {
        assert_eq!(
            proxy.get().await,
            (StatusCode::OK, "legacy-fallback".into())
        );
    }
    let (status, backend, res) = proxy.send(reqwest::Method::POST).await;
    assert_eq!(
        (status, backend.as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, "new")
    );
    let retry_after: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry_after), "Retry-After: {retry_after}");
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let problem: Value = res.json().await.unwrap();
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("`things`") && detail.contains("circuit breaker"),
        "{detail}"
    );
    assert_eq!(
        new.calls(),
        4,
        "an open breaker keeps requests off the new side"
    );
    assert_eq!(proxy.backend().await["breaker"], "open");
    let shown = proxy.app.cli(&["status"]).await;
    let row = format!("http://{}  open", new.addr);
    assert!(
        shown.contains(&row),
        "`strangler status` shows the breaker:\n{shown}"
    );

    // After the cool-down one probe goes through; it succeeds: closed.
    new.set(ANSWER);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(proxy.get().await, (StatusCode::OK, "new".into()));
    assert_eq!(new.calls(), 5);
    assert_eq!(proxy.backend().await["breaker"], "closed");

    // Failing again: open again; a failed probe opens it anew.
    new.set(FAIL);
    for _ in 0..4 {
        assert_eq!(
            proxy.get().await,
            (StatusCode::OK, "legacy-fallback".into())
        );
    }
    assert_eq!(proxy.backend().await["breaker"], "open");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(
        proxy.get().await,
        (StatusCode::OK, "legacy-fallback".into())
    );
    assert_eq!(new.calls(), 10, "4 failures and 1 probe");
    let reopened = proxy.backend().await;
    assert_eq!(reopened["breaker"], "open", "{reopened}");
    assert_eq!(reopened["breaker_opened_total"], 3);
    assert_eq!(
        proxy.get().await,
        (StatusCode::OK, "legacy-fallback".into())
    );
    assert_eq!(new.calls(), 10);
    proxy.app.stop().await;
}

#[tokio::test]
async fn failed_acl_exchanges_open_the_breaker_too() {
    let (legacy, new) = (Fake::start("legacy").await, Fake::start("new").await);
    let proxy = proxy_of(legacy.addr, new.addr, BREAKER, Things::Translated).await;
    new.set(FAIL);
    for _ in 0..3 {
        assert_eq!(
            proxy.get().await,
            (StatusCode::OK, "legacy-fallback".into())
        );
    }
    assert_eq!(new.calls(), 3, "one v2 call per request, each answered 500");
    let open = proxy.backend().await;
    assert_eq!(open["breaker"], "closed", "3 calls < min_calls 4: {open}");
    assert_eq!(
        proxy.get().await,
        (StatusCode::OK, "legacy-fallback".into())
    );
    assert_eq!(proxy.backend().await["breaker"], "open");
    assert_eq!(
        proxy.get().await,
        (StatusCode::OK, "legacy-fallback".into())
    );
    assert_eq!(
        new.calls(),
        4,
        "the open breaker kept the last request off the new side"
    );
    proxy.app.stop().await;
}

#[tokio::test]
async fn a_translated_call_carries_one_correlation_id() {
    let (legacy, new) = (Fake::start("legacy").await, Fake::start("new").await);
    let proxy = proxy_of(legacy.addr, new.addr, BREAKER, Things::Translated).await;
    // "new" is no v2 payment: the exchange fails and the monolith answers;
    // what matters is the v2 call the new side saw.
    proxy.get().await;
    assert_eq!(new.calls(), 1);
    assert_eq!(new.correlation_values.load(Ordering::SeqCst), 1);
    proxy.app.stop().await;
}

#[tokio::test]
async fn a_translated_call_carries_every_tracestate_line() {
    let (legacy, new) = (Fake::start("legacy").await, Fake::start("new").await);
    let proxy = proxy_of(legacy.addr, new.addr, BREAKER, Things::Translated).await;
    proxy
        .client
        .get(format!("{}{}", proxy.base, proxy.path))
        .header(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        )
        .header("tracestate", "congo=t61rcWkgMzE")
        .header("tracestate", "rojo=00f067aa0ba902b7")
        .send()
        .await
        .unwrap();
    assert_eq!(new.calls(), 1);
    assert_eq!(
        *new.tracestate.lock().unwrap(),
        ["congo=t61rcWkgMzE", "rojo=00f067aa0ba902b7"],
        "a tracestate list split over lines reaches the v2 service whole"
    );
    proxy.app.stop().await;
}

#[tokio::test]
async fn a_full_bulkhead_sends_the_rest_to_the_monolith() {
    let (legacy, new) = (Fake::start("legacy").await, Fake::start("new").await);
    let proxy = Arc::new(proxy(legacy.addr, new.addr, "max_concurrent = 2").await);
    new.set(HOLD);
    let done = Arc::new(AtomicU64::new(0));
    let requests: Vec<_> = (0..5)
        .map(|_| {
            let (proxy, done) = (proxy.clone(), done.clone());
            tokio::spawn(async move {
                let answer = proxy.get().await;
                done.fetch_add(1, Ordering::SeqCst);
                answer
            })
        })
        .collect();
    assert!(
        eventually(Duration::from_secs(10), || new.calls() == 2
            && done.load(Ordering::SeqCst) == 3)
        .await,
        "2 held by the new side, 3 answered: calls {}, answered {}",
        new.calls(),
        done.load(Ordering::SeqCst)
    );
    let full = proxy.backend().await;
    assert_eq!(
        (full["in_flight"].as_u64(), full["capacity"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(full["rejected_total"], 3);
    assert_eq!(
        proxy.metric("strangler_bulkhead_in_flight", new.addr).await,
        proxy.metric("strangler_bulkhead_capacity", new.addr).await,
        "saturated"
    );
    assert_eq!(
        proxy
            .metric("strangler_bulkhead_rejected_total", new.addr)
            .await,
        3.0
    );

    // A request not safe to repeat gets 503 while it is full.
    let (status, _, res) = proxy.send(reqwest::Method::POST).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.headers()["retry-after"], "1");
    let problem: Value = res.json().await.unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("2 requests in flight"),
        "{problem}"
    );

    new.release();
    let mut backends = Vec::new();
    for request in requests {
        let (status, backend) = request.await.unwrap();
        assert_eq!(status, StatusCode::OK);
        backends.push(backend);
    }
    backends.sort();
    assert_eq!(
        backends,
        [
            "legacy-fallback",
            "legacy-fallback",
            "legacy-fallback",
            "new",
            "new"
        ]
    );
    let after = proxy.backend().await;
    assert_eq!(
        (
            after["in_flight"].as_u64(),
            after["rejected_total"].as_u64()
        ),
        (Some(0), Some(4))
    );
    assert_eq!(
        after["breaker"], "closed",
        "a full bulkhead is not a failure"
    );
}

#[tokio::test]
async fn a_refused_connection_is_retried() {
    let legacy = Fake::start("legacy").await;
    let (_proxy, new, answer) = retried_once(&legacy, Things::Plain).await;
    assert_eq!(answer, (StatusCode::OK, "new".into()));
    assert_eq!(new.calls(), 1);
    assert_eq!(legacy.calls(), 0, "no fallback was needed");
}

#[tokio::test]
async fn a_refused_translated_call_is_made_again_in_full() {
    let legacy = Fake::start("legacy").await;
    let (_proxy, new, _) = retried_once(&legacy, Things::Translated).await;
    // The retried v2 call is made again from the ACL's request: it carries
    // the correlation id once, like the first attempt would have.
    assert_eq!(new.calls(), 1);
    assert_eq!(new.correlation_values.load(Ordering::SeqCst), 1);
}

/// A proxy whose new side refuses connections until a request to it has
/// been retried, the new side (up by then), and that request's answer.
async fn retried_once(
    legacy: &Fake,
    things: Things,
) -> (Arc<Proxy>, Arc<Fake>, (StatusCode, String)) {
    // A port nothing listens on yet: connections are refused.
    let reserved = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let new_addr = reserved.local_addr().unwrap();
    drop(reserved);
    let proxy = Arc::new(
        proxy_of(
            legacy.addr,
            new_addr,
            "retry_attempts = 4\nretry_min_delay_ms = 300\nretry_max_delay_ms = 600",
            things,
        )
        .await,
    );
    let request = tokio::spawn({
        let proxy = proxy.clone();
        async move { proxy.get().await }
    });
    let mut retried = false;
    for _ in 0..250 {
        if proxy.backend().await["retries_total"].as_u64() >= Some(1) {
            retried = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(retried, "the refused connection was not retried");
    // Now the new side comes up; the next attempt reaches it.
    let new = Fake::serve("new", TcpListener::bind(new_addr).await.unwrap());
    let answer = request.await.unwrap();
    (proxy, new, answer)
}

#[test]
fn bad_resilience_settings_are_refused_by_name() {
    let dir = TempDir::new();
    for (line, key) in [
        (
            "breaker_failure_rate = 0.0",
            "resilience.breaker_failure_rate",
        ),
        ("breaker_min_calls = 50", "resilience.breaker_min_calls"),
        ("max_concurrent = 0", "max_concurrent"),
        ("retry_min_delay_ms = 900", "resilience.retry_min_delay_ms"),
    ] {
        let config = dir.path().join("strangler.toml");
        std::fs::write(
            &config,
            format!("[admin]\ntoken = \"{TOKEN}\"\n[resilience]\n{line}\n"),
        )
        .unwrap();
        let err = Settings::load(Some(&config)).unwrap_err().to_string();
        assert!(err.contains(key) && !err.contains('\n'), "{line}: {err}");
    }
}
