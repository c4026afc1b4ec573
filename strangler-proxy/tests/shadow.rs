//! Shadow traffic against real servers on loopback: planted differences are
//! caught at the right rate and field, legacy noise is learned, a slow
//! candidate delays no client and overflow is counted, writes are shadowed
//! only as dry runs; the report API and CLI, the promotion gate, the watchdog,
//! and the dashboard in a real browser.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::proxy::TestProxy;
use support::{metrics, upstreams};

use http::Request;
use hyper::body::Incoming;
use serde_json::{Value, json};
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const TOKEN: &str = "shadow-test-token-0123456789";

type Handler = Arc<
    dyn Fn(u64, Request<Incoming>) -> Pin<Box<dyn Future<Output = (u16, Value)> + Send>>
        + Send
        + Sync,
>;

/// A JSON server; `handler` gets the request number (from 1) and the request.
async fn stub(handler: Handler) -> String {
    let count = Arc::new(AtomicU64::new(0));
    let addr = upstreams::serve(move |req| {
        let (handler, n) = (handler.clone(), count.fetch_add(1, Ordering::SeqCst) + 1);
        async move {
            let (status, body) = handler(n, req).await;
            upstreams::json(status, &body)
        }
    })
    .await;
    format!("http://{addr}")
}

fn handler<F, Fut>(f: F) -> Handler
where
    F: Fn(u64, Request<Incoming>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = (u16, Value)> + Send + 'static,
{
    Arc::new(move |n, req| Box::pin(f(n, req)))
}

struct Proxy {
    app: TestProxy,
    base: String,
    admin: String,
}

/// A proxy with route `orders` shadowed to `new`; `shadow` goes into the
/// route's `[routes.shadow]`, `extra` after the `[shadow]` settings.
async fn proxy(legacy: &str, new: &str, shadow: &str, extra: &str) -> Proxy {
    let app = TestProxy::builder()
        .legacy_url(legacy)
        .token(TOKEN)
        .flags(json!({"version": 2, "features": [
            {"name": "orders.shadow", "enabled": true, "strategies": [{"name": "default"}]},
            {"name": "orders.canary", "enabled": false, "strategies": [{"name": "flexibleRollout", "parameters": {"rollout": "10", "stickiness": "userId", "groupId": "orders"}}]},
            {"name": "orders.new", "enabled": false, "strategies": [{"name": "default"}]}]}))
        .shadow_toml(extra)
        .toml(&format!(
            r#"
[[routes]]
name = "orders"
patterns = ["/api/v1/orders/{{id}}", "/api/v1/orders"]
new = "{new}"
[routes.flags]
shadow = "orders.shadow"
canary = "orders.canary"
new = "orders.new"
[routes.shadow]
# These tests count every comparison: no budget unless a test sets one.
{shadow_settings}
"#,
            shadow_settings = if shadow.contains("max_per_second") {
                shadow.to_owned()
            } else {
                format!("max_per_second = 0\n{shadow}")
            },
        ))
        .spawn()
        .await;
    Proxy {
        base: app.url(""),
        admin: app.admin_url(""),
        app,
    }
}

fn rand() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

impl Proxy {
    async fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        self.app.admin(method, path, body.as_ref()).await
    }

    async fn report(&self) -> Value {
        self.app.admin_get("/admin/shadow/report?since=1h").await
    }

    /// Waits (bounded) until the route has `n` results of any kind.
    async fn wait_for_results(&self, n: u64) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let report = self.report().await;
            let route = &report["report"]["routes"][0];
            let counted: u64 = route["verdicts"]
                .as_object()
                .map(|v| v.values().filter_map(Value::as_u64).sum())
                .unwrap_or(0);
            if counted >= n {
                return report;
            }
            assert!(
                Instant::now() < deadline,
                "only {counted} of {n} shadow results arrived: {report}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn order(n: u64) -> Value {
    json!({"id": n, "cust": 7, "st": "C", "cur": "EUR", "tot": 1999})
}

fn id_of(req: &Request<Incoming>) -> u64 {
    req.uri()
        .path()
        .rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_planted_difference_is_caught_at_its_rate_and_field() {
    let legacy = stub(handler(|_, req| async move { (200, order(id_of(&req))) })).await;
    // The candidate gets `tot` wrong for every 20th request: 5 %.
    let new = stub(handler(|n, req| async move {
        let mut body = order(id_of(&req));
        if n % 20 == 0 {
            body["tot"] = json!(1998);
        }
        (200, body)
    }))
    .await;
    let proxy = proxy(&legacy, &new, "", "").await;
    let client = reqwest::Client::new();
    for id in 1..=200 {
        let res = client
            .get(format!("{}/api/v1/orders/{id}", proxy.base))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.json::<Value>().await.unwrap(),
            order(id),
            "the client always gets the monolith's answer"
        );
    }
    let report = proxy.wait_for_results(200).await;
    let route = &report["report"]["routes"][0];
    assert_eq!(route["samples"], 200);
    let rate = route["match_rate"].as_f64().unwrap();
    assert!((0.94..=0.96).contains(&rate), "match rate {rate}");
    assert_eq!(route["fields"][0]["pattern"], "$.tot");
    assert_eq!(route["fields"][0]["mismatches"], 10);
    let top = &report["report"]["top_mismatches"][0];
    assert_eq!(
        (top["route"].as_str(), top["pattern"].as_str()),
        (Some("orders"), Some("$.tot"))
    );

    // One example, side by side, the request included.
    let id = top["examples"][0].as_i64().unwrap();
    let path = format!("/admin/shadow/results/{id}");
    let example = proxy.app.admin_get(&path).await;
    assert_eq!(example["verdict"], "mismatch");
    let diff = &example["differences"][0];
    assert_eq!(
        (diff["primary"].as_i64(), diff["candidate"].as_i64()),
        (Some(1999), Some(1998)),
        "{example}"
    );
    assert!(
        example["request"]["path"]
            .as_str()
            .unwrap()
            .starts_with("/api/v1/orders/")
    );
    proxy.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_field_random_on_the_legacy_side_is_noise() {
    let nonce = |mut body: Value| {
        body["nonce"] = json!(rand().to_string());
        body
    };
    let legacy = stub(handler(move |_, req| async move {
        (200, nonce(order(id_of(&req))))
    }))
    .await;
    let new = stub(handler(move |_, req| async move {
        (200, nonce(order(id_of(&req))))
    }))
    .await;
    let proxy = proxy(&legacy, &new, "secondary = true", "").await;
    let client = reqwest::Client::new();
    for id in 1..=30 {
        client
            .get(format!("{}/api/v1/orders/{id}", proxy.base))
            .send()
            .await
            .unwrap();
    }
    let report = proxy.wait_for_results(30).await;
    let verdicts = &report["report"]["routes"][0]["verdicts"];
    assert_eq!(
        (verdicts["mismatch"].as_u64(), verdicts["noise"].as_u64()),
        (Some(0), Some(30)),
        "{report}"
    );
    let field = &report["report"]["routes"][0]["fields"][0];
    assert_eq!(
        (field["pattern"].as_str(), field["mismatches"].as_u64()),
        (Some("$.nonce"), Some(0))
    );
    proxy.app.stop().await;
}

/// Every 5th order is missing on the new side (404), every 4th differs only
/// in a field marked `ignore`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_classes_count_missing_records_once_and_ignored_as_matches() {
    let legacy = stub(handler(|_, req| async move {
        let mut body = order(id_of(&req));
        body["upd"] = json!("2026-12-07 10:00:00");
        (200, body)
    }))
    .await;
    let new = stub(handler(|_, req| async move {
        let id = id_of(&req);
        if id.is_multiple_of(5) {
            return (404, json!({"title": "not found", "status": 404}));
        }
        let mut body = order(id);
        body["upd"] = json!(if id.is_multiple_of(4) {
            "2026-12-07 10:00:01"
        } else {
            "2026-12-07 10:00:00"
        });
        (200, body)
    }))
    .await;
    let proxy = proxy(
        &legacy,
        &new,
        "[routes.shadow.compare]\nignore = [\"$.upd\"]",
        "",
    )
    .await;
    shadowed_requests(&proxy, 1, 40).await;
    let report = proxy.report().await;
    let route = &report["report"]["routes"][0];
    let classes = &route["classes"];
    assert_eq!(
        (
            classes["candidate_missing"].as_u64(),
            classes["ignored"].as_u64(),
            classes["match"].as_u64()
        ),
        (Some(8), Some(8), Some(24)),
        "ids 5..40 step 5 are missing, 4, 8, 12, … (not 20, 40) differ in $.upd: {route}"
    );
    let total: u64 = classes
        .as_object()
        .unwrap()
        .values()
        .filter_map(Value::as_u64)
        .sum();
    assert_eq!(
        total,
        route["samples"].as_u64().unwrap(),
        "the classes add up"
    );
    assert_eq!(
        route["match_rate"].as_f64(),
        Some(32.0 / 40.0),
        "ignored counts as a match"
    );
    let fields: Vec<&str> = route["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["pattern"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["$.upd"],
        "a missing record is not a mismatch on each of its fields: {route}"
    );
    proxy.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_candidate_delays_no_client_and_overflow_is_counted() {
    let finished = Arc::new(AtomicU64::new(0));
    let legacy = stub(handler(|_, req| async move { (200, order(id_of(&req))) })).await;
    let done = finished.clone();
    let new = stub(handler(move |_, req| {
        let done = done.clone();
        async move {
            tokio::time::sleep(Duration::from_secs(3)).await;
            done.fetch_add(1, Ordering::SeqCst);
            (200, order(id_of(&req)))
        }
    }))
    .await;
    let proxy = proxy(&legacy, &new, "", "queue_capacity = 2\nconcurrency = 1").await;
    let client = reqwest::Client::new();
    let answers = futures_util::future::join_all((1..=10).map(|id| {
        client
            .get(format!("{}/api/v1/orders/{id}", proxy.base))
            .send()
    }))
    .await;
    assert!(
        answers
            .iter()
            .all(|r| r.as_ref().is_ok_and(|r| r.status() == 200))
    );
    // (Whether a copy has reached the candidate yet depends on the shadow
    // thread's turn: only that none has come back is certain.)
    assert_eq!(
        finished.load(Ordering::SeqCst),
        0,
        "every client was answered before any candidate call came back"
    );
    let report = proxy.report().await;
    let dropped = report["queue"]["dropped"].as_u64().unwrap();
    assert!(
        dropped >= 5,
        "a full queue drops copies and counts them: {report}"
    );
    assert_eq!(report["queue"]["accepted"].as_u64().unwrap() + dropped, 10);
    proxy.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_route_shadows_no_more_than_its_budget_and_counts_the_rest() {
    let legacy = stub(handler(|_, req| async move { (200, order(id_of(&req))) })).await;
    let new = stub(handler(|_, req| async move { (200, order(id_of(&req))) })).await;
    let proxy = proxy(&legacy, &new, "max_per_second = 1", "").await;
    let client = reqwest::Client::new();
    for id in 1..=20 {
        let res = client
            .get(format!("{}/api/v1/orders/{id}", proxy.base))
            .send()
            .await
            .unwrap();
        // Over the budget or not, the client gets the monolith's answer.
        assert_eq!(res.json::<Value>().await.unwrap(), order(id));
    }
    let metrics = metrics::scrape(&client, &proxy.admin).await;
    let budget = [("reason", "over_budget"), ("route", "orders")];
    let over = metrics::sample(&metrics, "strangler_shadow_dropped_total", &budget) as u64;
    // One a second, from a burst of one: 20 requests take far less than 10 s.
    assert!(over >= 10, "{over} of 20 requests over a budget of 1/s");
    let report = proxy.wait_for_results(20 - over).await;
    let route = &report["report"]["routes"][0];
    let compared: u64 = route["verdicts"]
        .as_object()
        .map(|v| v.values().filter_map(Value::as_u64).sum())
        .unwrap();
    assert_eq!(compared + over, 20, "{report}");
    // Copies made and comparisons completed are counted apart from the drops.
    let metrics = metrics::scrape(&client, &proxy.admin).await;
    let route = [("route", "orders")];
    let copies = metrics::sample(&metrics, "strangler_shadow_copies_total", &route) as u64;
    assert_eq!(copies, 20 - over, "{metrics}");
    proxy.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_are_shadowed_only_as_dry_runs() {
    let legacy = stub(handler(|n, _| async move { (201, order(n)) })).await;
    let dry_runs = Arc::new(AtomicU64::new(0));
    let seen = dry_runs.clone();
    let new = stub(handler(move |n, req| {
        let seen = seen.clone();
        async move {
            if req
                .headers()
                .get("x-strangler-dry-run")
                .is_some_and(|v| v == "1")
            {
                seen.fetch_add(1, Ordering::SeqCst);
            }
            (201, order(n))
        }
    }))
    .await;
    let client = reqwest::Client::new();

    let unsafe_writes = proxy(&legacy, &new, "", "").await;
    let res = client
        .post(format!("{}/api/v1/orders", unsafe_writes.base))
        .json(&json!({"cust": 7}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let report = unsafe_writes.wait_for_results(1).await;
    assert_eq!(
        report["report"]["routes"][0]["verdicts"]["skipped_unsafe"], 1,
        "{report}"
    );
    assert_eq!(
        dry_runs.load(Ordering::SeqCst),
        0,
        "the candidate never saw the write"
    );
    unsafe_writes.app.stop().await;

    let dry = proxy(&legacy, &new, "writes = \"dry-run\"", "").await;
    let res = client
        .post(format!("{}/api/v1/orders", dry.base))
        .json(&json!({"cust": 7}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    dry.wait_for_results(1).await;
    assert_eq!(
        dry_runs.load(Ordering::SeqCst),
        1,
        "the candidate got the write as a dry run"
    );
    dry.app.stop().await;
}

const GATE: &str = "[gate]\nmatch_rate = 0.99\nmin_samples = 50\nwindow = \"1h\"";

async fn shadowed_requests(proxy: &Proxy, from: u64, to: u64) {
    let client = reqwest::Client::new();
    for id in from..=to {
        client
            .get(format!("{}/api/v1/orders/{id}", proxy.base))
            .send()
            .await
            .unwrap();
    }
    proxy.wait_for_results(to).await;
}

fn flag_on(proxy: &Proxy, flag: &str) -> bool {
    strangler_proxy::flags::file::list(proxy.app.flags_file())
        .unwrap()
        .iter()
        .any(|f| f.name == flag && f.enabled)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gate_refuses_below_the_bar_and_records_a_forced_override() {
    let legacy = stub(handler(|_, req| async move { (200, order(id_of(&req))) })).await;
    let new = stub(handler(|n, req| async move {
        let mut body = order(id_of(&req));
        if n % 20 == 0 {
            body["tot"] = json!(1);
        }
        (200, body)
    }))
    .await;
    let proxy = proxy(&legacy, &new, "", GATE).await;
    shadowed_requests(&proxy, 1, 100).await;

    let (status, gate) = proxy
        .admin(reqwest::Method::GET, "/admin/routes/orders/gate", None)
        .await;
    assert_eq!(
        (status, gate["open"].as_bool()),
        (200, Some(false)),
        "{gate}"
    );
    let promote = |body| {
        proxy.admin(
            reqwest::Method::POST,
            "/admin/routes/orders/promote",
            Some(body),
        )
    };
    let (status, problem) = promote(json!({"to": "canary"})).await;
    assert_eq!(status, 409, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("match rate 95.00 %"),
        "{problem}"
    );
    assert!(!flag_on(&proxy, "orders.canary"));
    let (status, _) = promote(json!({"to": "canary", "force": true})).await;
    assert_eq!(status, 422, "forcing needs a reason");
    let (status, _) = promote(json!({"to": "sideways"})).await;
    assert_eq!(status, 422, "an unknown stage is a bad body");
    let (status, answer) = promote(
        json!({"to": "canary", "force": true, "reason": "tot rounding accepted by finance"}),
    )
    .await;
    assert_eq!(
        (status, answer["outcome"].as_str()),
        (200, Some("forced")),
        "{answer}"
    );
    assert!(flag_on(&proxy, "orders.canary"), "the canary flag is on");

    let (_, decisions) = proxy
        .admin(reqwest::Method::GET, "/admin/decisions?route=orders", None)
        .await;
    let outcomes: Vec<&str> = decisions
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["forced", "refused"], "newest first");
    assert_eq!(decisions[0]["reason"], "tot rounding accepted by finance");
    assert_eq!(decisions[0]["evidence"]["samples"], 100);
    let (status, _) = proxy
        .admin(reqwest::Method::GET, "/admin/routes/nope/gate", None)
        .await;
    assert_eq!(status, 404);
    proxy.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gate_opens_on_enough_matching_samples() {
    let legacy = stub(handler(|_, req| async move { (200, order(id_of(&req))) })).await;
    let new = stub(handler(|_, req| async move { (200, order(id_of(&req))) })).await;
    let proxy = proxy(&legacy, &new, "", GATE).await;
    shadowed_requests(&proxy, 1, 10).await;
    let (_, gate) = proxy
        .admin(reqwest::Method::GET, "/admin/routes/orders/gate", None)
        .await;
    assert!(
        gate["why"]
            .as_str()
            .unwrap()
            .contains("only 10 shadow samples"),
        "{gate}"
    );

    shadowed_requests(&proxy, 11, 60).await;
    let (status, answer) = proxy
        .admin(
            reqwest::Method::POST,
            "/admin/routes/orders/promote",
            Some(json!({"to": "new"})),
        )
        .await;
    assert_eq!(
        (status, answer["outcome"].as_str()),
        (200, Some("granted")),
        "{answer}"
    );
    assert!(flag_on(&proxy, "orders.new"));
    // The flags are reloaded at once: the route is served by the new side now.
    let res = reqwest::get(format!("{}/api/v1/orders/1", proxy.base))
        .await
        .unwrap();
    assert_eq!(res.headers()["x-strangler-backend"], "new");
    proxy.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watchdog_rolls_a_failing_canary_back() {
    let legacy = stub(handler(|_, req| async move { (200, order(id_of(&req))) })).await;
    let new = stub(handler(|_, _| async move {
        (500, json!({"detail": "the new side is broken"}))
    }))
    .await;
    let watchdog =
        "[watchdog]\ninterval = \"1s\"\nwindow = \"1m\"\nmin_requests = 10\nmax_error_rate = 0.05";
    let proxy = proxy(&legacy, &new, "", watchdog).await;
    strangler_proxy::flags::file::rollout(
        proxy.app.flags_file(),
        "orders.canary",
        "100".parse().unwrap(),
    )
    .unwrap();
    strangler_proxy::flags::file::enable(proxy.app.flags_file(), "orders.canary").unwrap();

    let client = reqwest::Client::new();
    let get = |id: u64| {
        client
            .get(format!("{}/api/v1/orders/{id}", proxy.base))
            .header("x-customer-id", "customer-1")
            .send()
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while get(1).await.unwrap().headers()["x-strangler-backend"] != "legacy-fallback" {
        assert!(
            Instant::now() < deadline,
            "the canary never took the customer"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for id in 2..=20 {
        let res = get(id).await.unwrap();
        assert_eq!(
            res.status(),
            200,
            "clients are served by the fallback meanwhile"
        );
    }

    let deadline = Instant::now() + Duration::from_secs(20);
    let rollback = loop {
        let (_, decisions) = proxy
            .admin(reqwest::Method::GET, "/admin/decisions?route=orders", None)
            .await;
        if let Some(d) = decisions
            .as_array()
            .and_then(|d| d.iter().find(|d| d["action"] == "rollback"))
        {
            break d.clone();
        }
        assert!(
            Instant::now() < deadline,
            "the watchdog never acted: {decisions}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(
        (rollback["from_mode"].as_str(), rollback["outcome"].as_str()),
        (Some("canary"), Some("applied")),
        "{rollback}"
    );
    assert!(
        rollback["reason"]
            .as_str()
            .unwrap()
            .starts_with("error rate 100.0 %"),
        "{rollback}"
    );
    assert!(!flag_on(&proxy, "orders.canary"), "the canary flag is off");
    assert_eq!(
        get(21).await.unwrap().headers()["x-strangler-backend"],
        "legacy",
        "back to the monolith (shadowed)"
    );
    proxy.app.stop().await;
}

use platform::testing::chromium::headless as chromium;

/// The visible text of an HTML document, roughly: tags out, whitespace folded.
fn text_of(html: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    let body = html.split("<body").nth(1).unwrap_or(html);
    for c in body.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace("&gt;", ">")
        .replace("&lt;", "<")
        .replace("&amp;", "&")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_shows_what_a_person_needs() {
    let legacy = stub(handler(|_, req| async move { (200, order(id_of(&req))) })).await;
    let new = stub(handler(|n, req| async move {
        let mut body = order(id_of(&req));
        if n % 20 == 0 {
            body["tot"] = json!(1998);
        }
        (200, body)
    }))
    .await;
    let proxy = proxy(&legacy, &new, "", GATE).await;
    shadowed_requests(&proxy, 1, 100).await;
    // Writes the route does not dry-run: shadowed, never compared.
    for _ in 0..4 {
        let url = format!("{}/api/v1/orders", proxy.base);
        let res = reqwest::Client::new()
            .post(url)
            .json(&json!({"cust": 7}))
            .send();
        assert_eq!(res.await.unwrap().status(), 200);
    }
    proxy.wait_for_results(104).await;
    let login = |next: &str| format!("{}/dashboard/login?token={TOKEN}&next={next}", proxy.admin);

    // Without signing in, a page sends the person to the sign-in form.
    let page = tokio::task::block_in_place(|| {
        chromium(&["--dump-dom"], &format!("{}/dashboard", proxy.admin))
    });
    assert!(text_of(&String::from_utf8_lossy(&page.stdout)).contains("Admin token"));

    let overview = tokio::task::block_in_place(|| chromium(&["--dump-dom"], &login("/dashboard")));
    let seen = text_of(&String::from_utf8_lossy(&overview.stdout));
    for expected in [
        "orders",
        "shadow",
        "95.0 %",
        "100",
        "closed",
        "below the required 99.00 %",
        "95 match · 5 field differs",
        "96.2 % of 104 shadowed",
        "100 copies · 100 compared · 0 dropped · 4 skipped",
        "Data verification",
        "No verify runs yet",
    ] {
        assert!(
            seen.contains(expected),
            "the overview lacks {expected:?}: {seen}"
        );
    }

    let detail = tokio::task::block_in_place(|| {
        chromium(&["--dump-dom"], &login("/dashboard/routes/orders"))
    });
    let seen = text_of(&String::from_utf8_lossy(&detail.stdout));
    for expected in [
        "Results by class",
        "Field differs 5 no",
        "Candidate missing the record 0",
        "Shadowed traffic compared since the proxy started: 96.2 % of 104 shadowed",
        "Samples 100",
        "Fields",
        "$.tot",
        "Mismatch groups",
        "#",
    ] {
        assert!(
            seen.contains(expected),
            "the route page lacks {expected:?}: {seen}"
        );
    }

    let report = proxy.report().await;
    let id = report["report"]["top_mismatches"][0]["examples"][0]
        .as_i64()
        .unwrap();
    let side_by_side = tokio::task::block_in_place(|| {
        chromium(&["--dump-dom"], &login(&format!("/dashboard/results/{id}")))
    });
    let seen = text_of(&String::from_utf8_lossy(&side_by_side.stdout));
    for expected in [
        "Monolith (primary)",
        "New service (candidate)",
        "1999",
        "1998",
        "$.tot",
        "Request (redacted)",
    ] {
        assert!(
            seen.contains(expected),
            "the result page lacks {expected:?}: {seen}"
        );
    }

    // A picture of it, for the docs (copied to docs/dashboard.png by hand).
    let shot = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dashboard.png");
    tokio::task::block_in_place(|| {
        platform::testing::chromium::screenshot(
            &login("/dashboard/routes/orders"),
            &shot,
            1280,
            640,
        )
    });
    proxy.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_cli_prints_a_table_and_the_api_refuses_bad_input() {
    let legacy = stub(handler(|_, req| async move { (200, order(id_of(&req))) })).await;
    let new = stub(handler(|_, req| async move { (200, order(id_of(&req))) })).await;
    let proxy = proxy(&legacy, &new, "", "").await;
    shadowed_requests(&proxy, 1, 5).await;

    for (query, needle) in [
        ("since=forever", "not a window"),
        ("since=0m", "0m"),
        ("format=xml", "format"),
        ("limit=3", "limit"),
    ] {
        let (status, problem) = proxy
            .admin(
                reqwest::Method::GET,
                &format!("/admin/shadow/report?{query}"),
                None,
            )
            .await;
        assert_eq!(status, 400, "{query}: {problem}");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap_or_default()
                .contains(needle),
            "{query}: {problem}"
        );
    }
    let (status, empty) = proxy
        .admin(
            reqwest::Method::GET,
            "/admin/shadow/report?route=nope",
            None,
        )
        .await;
    assert_eq!(
        (status, empty["report"]["routes"].as_array().map(Vec::len)),
        (200, Some(0)),
        "an unknown route has no results"
    );

    let admin = proxy.admin.trim_start_matches("http://").to_owned();
    let out = tokio::task::block_in_place(|| {
        std::process::Command::new(env!("CARGO_BIN_EXE_strangler"))
            .args(["shadow", "report", "--route", "orders", "--since", "1h"])
            .env("STRANGLER__ADMIN__TOKEN", TOKEN)
            .env("STRANGLER__ADMIN__LISTEN", &admin)
            .output()
            .unwrap()
    });
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table
            .lines()
            .any(|l| l.contains("orders") && l.contains('5')),
        "{table}"
    );
    assert!(
        table.contains("shadow queue: 5 jobs queued, 0 dropped"),
        "{table}"
    );
    let out = tokio::task::block_in_place(|| {
        std::process::Command::new(env!("CARGO_BIN_EXE_strangler"))
            .args(["shadow", "report", "--since", "soon"])
            .env("STRANGLER__ADMIN__TOKEN", TOKEN)
            .env("STRANGLER__ADMIN__LISTEN", &admin)
            .output()
            .unwrap()
    });
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.lines().count() == 1 && stderr.contains("soon"),
        "{stderr}"
    );
    proxy.app.stop().await;
}
