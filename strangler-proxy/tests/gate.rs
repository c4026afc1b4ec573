//! The promotion gate through the admin API, on both backends, with results
//! planted in the proxy's own database: an epoch (counting afresh) opens a
//! gate the older mismatching samples kept closed, and is recorded with who
//! and why (the CLI starts one too); `[gate]` changes take effect on reload
//! and when the file changes; a route with a data context moves to `new`
//! only on a recent verify run that passed, and the gate says what to do.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::proxy::TestProxy;

use chrono::Utc;
use platform::testing::{TestBackend, TestDatabase};
use serde_json::{Value, json};
use strangler_proxy::shadow::store::{
    DiffKind, NewDifference, NewResult, RequestExample, ShadowStore, Verdict,
};

const TOKEN: &str = "gate-test-token-0123456789";

struct Gate {
    app: TestProxy,
    admin: String,
    store: ShadowStore,
    _db: TestDatabase,
}

/// A proxy with the route `payments` (never called: results are planted).
async fn gate(backend: TestBackend, route_extra: &str) -> Gate {
    let db = TestDatabase::create(backend);
    let app = TestProxy::builder()
        .token(TOKEN)
        .shadow_database(db.url())
        .toml(&format!(
            r#"
[gate]
match_rate = 0.9
min_samples = 10
window = "1h"
[[routes]]
name = "payments"
patterns = ["/api/v1/payments/{{id}}"]
new = "http://127.0.0.1:9"
{route_extra}
[routes.flags]
shadow = "payments.shadow"
new = "payments.new"
"#
        ))
        .spawn()
        .await;
    Gate {
        admin: app.admin_url(""),
        store: ShadowStore::connect(&db.settings).unwrap(),
        app,
        _db: db,
    }
}

impl Gate {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        self.app.admin(method, path, body.as_ref()).await
    }

    async fn verdict(&self) -> Value {
        self.verdict_to("new").await
    }

    async fn verdict_to(&self, to: &str) -> Value {
        let path = format!("/admin/routes/payments/gate?to={to}");
        let (status, verdict) = self.call(reqwest::Method::GET, &path, None).await;
        assert_eq!(status, 200, "{verdict}");
        verdict
    }

    /// `n` results, matching or not, created `minutes_ago`.
    async fn plant(&self, n: usize, matching: bool, minutes_ago: i64) {
        let at = Utc::now() - chrono::TimeDelta::minutes(minutes_ago);
        for _ in 0..n {
            self.store.record_at(result(matching), at).await.unwrap();
        }
    }
}

fn result(matching: bool) -> NewResult {
    let differences = if matching {
        vec![]
    } else {
        vec![NewDifference {
            path: "$.amt".into(),
            pattern: "$.amt".into(),
            kind: DiffKind::Mismatch,
            primary: Some(json!(1999)),
            candidate: Some(json!(1899)),
        }]
    };
    NewResult {
        route: "payments".into(),
        method: "GET".into(),
        path_template: "/api/v1/payments/{id}".into(),
        path: "/api/v1/payments/7".into(),
        correlation_id: "c".into(),
        primary_status: 200,
        candidate_status: Some(200),
        primary_latency_ms: 1,
        candidate_latency_ms: Some(1),
        verdict: if matching {
            Verdict::Match
        } else {
            Verdict::Mismatch
        },
        request: RequestExample::default(),
        differences,
    }
}

fn cli(gate: &Gate, args: &[&str], user: &str) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_strangler"))
        .args(args)
        .env("STRANGLER__ADMIN__TOKEN", TOKEN)
        .env(
            "STRANGLER__ADMIN__LISTEN",
            gate.admin.trim_start_matches("http://"),
        )
        .env("USER", user)
        .output()
        .unwrap()
}

async fn an_epoch_opens_a_gate_the_old_samples_kept_closed(backend: TestBackend) {
    let gate = gate(backend, "").await;
    gate.plant(40, false, 10).await;
    let closed = gate.verdict().await;
    assert_eq!(closed["open"], false, "{closed}");
    assert!(
        closed["why"]
            .as_str()
            .unwrap()
            .contains("match rate 0.00 %"),
        "{closed}"
    );

    let epoch = |body: Value| {
        gate.call(
            reqwest::Method::POST,
            "/admin/routes/payments/epoch",
            Some(body),
        )
    };
    let (status, problem) = epoch(json!({"reason": " ", "by": "ana"})).await;
    assert_eq!(status, 422, "a reason is required: {problem}");
    let (status, _) = epoch(json!({"reason": "backfill done"})).await;
    assert_eq!(status, 422, "who is required");
    let (status, _) = gate
        .call(
            reqwest::Method::POST,
            "/admin/routes/nope/epoch",
            Some(json!({"reason": "r", "by": "b"})),
        )
        .await;
    assert_eq!(status, 404);
    let (status, started) =
        epoch(json!({"reason": "backfill of payments done", "by": "ana"})).await;
    assert_eq!(status, 201, "{started}");

    let fresh = gate.verdict().await;
    assert!(
        fresh["why"]
            .as_str()
            .unwrap()
            .contains("only 0 shadow samples"),
        "{fresh}"
    );
    gate.plant(10, true, 0).await;
    let open = gate.verdict().await;
    assert_eq!(
        (open["open"].as_bool(), open["samples"].as_u64()),
        (Some(true), Some(10)),
        "{open}"
    );
    let (_, report) = gate
        .call(reqwest::Method::GET, "/admin/shadow/report?since=1h", None)
        .await;
    let route = &report["report"]["routes"][0];
    assert_eq!(
        route["samples"], 10,
        "the report counts the current epoch only"
    );
    let (_, epochs) = gate
        .call(reqwest::Method::GET, "/admin/epochs?route=payments", None)
        .await;
    assert_eq!(route["counted_from"], epochs[0]["started_at"]);
    assert_eq!(epochs[0]["id"], started["id"]);

    let out = tokio::task::block_in_place(|| {
        cli(
            &gate,
            &[
                "shadow",
                "epoch",
                "payments",
                "--reason",
                "ACL rounding fixed",
            ],
            "bea",
        )
    });
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("payments: shadow results count afresh") && stdout.contains("bea"),
        "{stdout}"
    );
    let (_, epochs) = gate
        .call(reqwest::Method::GET, "/admin/epochs?route=payments", None)
        .await;
    let who: Vec<(&str, &str)> = epochs
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["by"].as_str().unwrap(), e["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(
        who,
        [
            ("bea", "ACL rounding fixed"),
            ("ana", "backfill of payments done")
        ]
    );
    let (_, status) = gate.call(reqwest::Method::GET, "/admin/status", None).await;
    assert_eq!(
        status["epochs"][0]["by"], "bea",
        "status shows the current epoch"
    );
    let out = tokio::task::block_in_place(|| cli(&gate, &["status"], "bea"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("payments: shadow results count from"),
        "{stdout}"
    );
    let page = dashboard(&gate, "/dashboard/routes/payments").await;
    assert!(
        page.contains("epoch started by bea: ACL rounding fixed"),
        "{page}"
    );
    gate.plant(3, false, 0).await;
    let out = tokio::task::block_in_place(|| {
        cli(&gate, &["shadow", "report", "--route", "payments"], "bea")
    });
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("payments: counted from") && table.contains("(its current epoch)"),
        "{table}"
    );
    assert!(
        table
            .lines()
            .next()
            .unwrap()
            .starts_with("ROUTE     SAMPLES  MATCH_RATE  MATCH"),
        "the classes come first: {table}"
    );
    gate.app.stop().await;
}

/// A dashboard page, signed in with the admin token.
async fn dashboard(gate: &Gate, path: &str) -> String {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = client
        .get(format!("{}/dashboard/login?token={TOKEN}", gate.admin))
        .send()
        .await
        .unwrap();
    let cookie = login.headers()["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let page = client
        .get(format!("{}{path}", gate.admin))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    page.text().await.unwrap()
}

/// Rewrites one line of the settings file.
fn edit(gate: &Gate, from: &str, to: &str) {
    let text = std::fs::read_to_string(gate.app.config()).unwrap();
    assert!(text.contains(from), "{text}");
    std::fs::write(gate.app.config(), text.replace(from, to)).unwrap();
}

async fn gate_settings_reload_without_a_restart(backend: TestBackend) {
    let gate = gate(backend, "").await;
    gate.plant(6, true, 1).await;
    let closed = gate.verdict().await;
    assert!(
        closed["why"]
            .as_str()
            .unwrap()
            .contains("only 6 shadow samples in the last 1h; 10 needed"),
        "{closed}"
    );

    edit(&gate, "window = \"1h\"", "window = \"soon\"");
    let (status, problem) = gate
        .call(reqwest::Method::POST, "/admin/reload", None)
        .await;
    assert_eq!(status, 422, "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("gate.window"),
        "{problem}"
    );
    assert_eq!(
        gate.verdict().await["window"],
        "1h",
        "the old gate stays in force"
    );

    edit(&gate, "window = \"soon\"", "window = \"2h\"");
    edit(&gate, "min_samples = 10", "min_samples = 5");
    let (status, answer) = gate
        .call(reqwest::Method::POST, "/admin/reload", None)
        .await;
    assert_eq!(status, 200, "{answer}");
    let open = gate.verdict().await;
    assert_eq!(
        (open["open"].as_bool(), open["required_samples"].as_u64()),
        (Some(true), Some(5)),
        "{open}"
    );
    assert_eq!(open["window"], "2h");

    // The file watch (polled every second) picks a change up by itself.
    edit(&gate, "min_samples = 5", "min_samples = 7");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let verdict = gate.verdict().await;
        if verdict["required_samples"] == 7 {
            assert_eq!(verdict["open"], false, "{verdict}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the file change was not picked up: {verdict}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    gate.app.stop().await;
}

async fn post_verify(gate: &Gate, hours_ago: i64, differing: u64) {
    let finished = (Utc::now() - chrono::TimeDelta::hours(hours_ago)).to_rfc3339();
    let started = (Utc::now() - chrono::TimeDelta::hours(hours_ago + 1)).to_rfc3339();
    let body = json!({
        "context": "payments", "started_at": started, "finished_at": finished,
        "legacy_records": 50, "new_records": 50, "matching_records": 50 - differing,
        "missing_in_new": 0, "missing_in_legacy": 0, "differing_records": differing,
        "differences": (0..differing).map(|i| json!({"entity": "payment", "legacy_id": i, "field": "$.amt", "legacy": 1, "new": 2})).collect::<Vec<_>>(),
        "truncated": false
    });
    let (status, run) = gate
        .call(reqwest::Method::POST, "/admin/verify-runs", Some(body))
        .await;
    assert_eq!(status, 201, "{run}");
}

async fn the_last_verify_gates_the_move_to_new(backend: TestBackend) {
    let gate = gate(backend, "data = \"payments\"").await;
    gate.plant(10, true, 1).await;
    assert_eq!(
        gate.verdict_to("canary").await["open"],
        true,
        "canary needs no verify"
    );

    let never = gate.verdict().await;
    let why = never["why"].as_str().unwrap();
    assert!(
        why.contains("`payments` has never been verified; run `strangler verify payments`"),
        "{never}"
    );
    assert_eq!(never["verify"]["last_run"], Value::Null);
    let (status, refused) = gate
        .call(
            reqwest::Method::POST,
            "/admin/routes/payments/promote",
            Some(json!({"to": "new"})),
        )
        .await;
    assert_eq!(status, 409, "{refused}");
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("run `strangler verify payments`"),
        "{refused}"
    );

    post_verify(&gate, 30, 0).await;
    let stale = gate.verdict().await;
    let why = stale["why"].as_str().unwrap();
    assert!(
        why.contains("finished 1d 6h ago, longer than gate.verify_max_age (1d)"),
        "{stale}"
    );

    post_verify(&gate, 1, 3).await;
    let failed = gate.verdict().await;
    let why = failed["why"].as_str().unwrap();
    assert!(
        why.contains("3 differing records") && why.contains("strangler verify payments"),
        "{failed}"
    );
    assert_eq!(failed["verify"]["passed"], false);

    post_verify(&gate, 0, 0).await;
    let open = gate.verdict().await;
    assert_eq!(open["open"], true, "{open}");
    assert_eq!(open["verify"]["passed"], true);
    gate.app.stop().await;
}

/// Signing in to the dashboard gives a session, not the token; a redirect
/// target that is not a dashboard path, or that decodes to CR/LF, goes home.
#[tokio::test]
async fn the_dashboard_session_is_not_the_token() {
    let gate = gate(TestBackend::Sqlite, "").await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let sign_in = |next: &str| {
        client
            .get(format!(
                "{}/dashboard/login?token={TOKEN}&next={next}",
                gate.admin
            ))
            .send()
    };
    for (next, lands) in [
        ("/dashboard/routes/payments", "/dashboard/routes/payments"),
        ("/dashboard%0d%0aSet-Cookie:%20x=1", "/dashboard"),
        ("/dashboard/%5C%5Cevil", "/dashboard"),
        ("//evil.example/dashboard", "/dashboard"),
        ("https://evil.example/dashboard", "/dashboard"),
    ] {
        let res = sign_in(next).await.unwrap();
        assert_eq!(res.status().as_u16(), 303, "{next}");
        assert_eq!(res.headers()["location"], lands, "{next}");
    }

    let res = sign_in("/dashboard").await.unwrap();
    let set = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(!set.contains(TOKEN), "the cookie holds the token: {set}");
    assert!(
        set.contains("HttpOnly") && set.contains("Max-Age=43200"),
        "{set}"
    );
    let session = set.split(';').next().unwrap().to_owned();
    let page = |cookie: String| {
        client
            .get(format!("{}/dashboard", gate.admin))
            .header("cookie", cookie)
            .send()
    };
    assert_eq!(page(session.clone()).await.unwrap().status().as_u16(), 200);
    // The raw token as a cookie, or a session value edited by hand, is refused.
    let raw = format!("strangler_session={TOKEN}");
    assert_eq!(page(raw).await.unwrap().status().as_u16(), 303);
    let edited = session.replacen('.', "0.", 1);
    assert_eq!(page(edited).await.unwrap().status().as_u16(), 303);
    // The session is no bearer token for the admin API.
    let value = session.split_once('=').unwrap().1;
    let api = client
        .get(format!("{}/admin/routes", gate.admin))
        .bearer_auth(value)
        .send()
        .await
        .unwrap();
    assert_eq!(api.status().as_u16(), 401);
    gate.app.stop().await;
}

platform::both_backends!(
    an_epoch_opens_a_gate_the_old_samples_kept_closed,
    gate_settings_reload_without_a_restart,
    the_last_verify_gates_the_move_to_new,
);
