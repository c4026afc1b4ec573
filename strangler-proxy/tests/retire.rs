//! Retiring a route, against a running proxy: `strangler retire` refuses
//! (one line, every reason) while the route is not in `new`, its data was
//! never verified, or a sync change is still pending; once nothing is left
//! behind it writes `retired = true` into the settings file and reloads.
//! From then on the new side serves every request with no flag asked and
//! no fallback (a failure of the new side is the answer), `strangler
//! routes` shows `retired`, and promoting or retiring it again changes
//! nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::proxy::TestProxy;
use support::unleash_files::{document, simple_flag};
use support::upstreams::{json, serve};

use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

const TOKEN: &str = "retire-test-token-0123456789abcdef";

/// A side that answers `/sync/status` with `pending` changes waiting, and
/// any other path with `who` (`/api/v1/payments/2`: 500 on the new side).
async fn side(origin: &'static str, pending: Arc<AtomicI64>) -> String {
    let addr = serve(move |req| {
        let pending = pending.load(Ordering::SeqCst);
        async move {
            match req.uri().path() {
                "/sync/status" => json(
                    200,
                    &json!({"origin": origin, "pending": pending,
                            "oldest_pending_age_seconds": 0.0, "relay": "http"}),
                ),
                "/api/v1/payments/2" if origin == "new" => json(500, &json!({"broken": true})),
                _ => json(200, &json!({ "who": origin })),
            }
        }
    })
    .await;
    format!("http://{addr}")
}

async fn proxy(legacy: &str, new: &str) -> TestProxy {
    let flags = document(vec![
        simple_flag("payments.shadow", true),
        simple_flag("payments.new", false),
    ]);
    TestProxy::builder()
        .legacy_url(legacy)
        .token(TOKEN)
        .flags(flags)
        .toml(&format!(
            r#"
[sync]
poll_interval = "1s"
[[routes]]
name = "payments"   # the first route to go
patterns = ["/api/v1/payments/{{id}}"]
new = "{new}"
data = "payments"
sync = true
[routes.flags]
shadow = "payments.shadow"
new = "payments.new"
"#
        ))
        .spawn()
        .await
}

/// `strangler retire payments`: its exit status and its one line of stderr.
async fn retire_cli(app: &TestProxy) -> (bool, String) {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_strangler"));
    command
        .args(["retire", "payments"])
        .env("STRANGLER__ADMIN__LISTEN", app.admin_addr().to_string())
        .env("STRANGLER__ADMIN__TOKEN", TOKEN);
    let out = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn mode(app: &TestProxy) -> String {
    let routes = app.admin_get("/admin/routes").await;
    routes[0]["mode"].as_str().unwrap().to_owned()
}

async fn eventually_in(app: &TestProxy, wanted: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while mode(app).await != wanted {
        assert!(Instant::now() < deadline, "never in {wanted}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn get(app: &TestProxy, id: u32) -> (u16, String, Value) {
    let res = reqwest::get(app.url(&format!("/api/v1/payments/{id}")))
        .await
        .unwrap();
    let backend = res.headers()["x-strangler-backend"]
        .to_str()
        .unwrap()
        .to_owned();
    (res.status().as_u16(), backend, res.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_route_is_retired_only_once_nothing_is_left_behind_then_serves_new_alone() {
    let legacy_pending = Arc::new(AtomicI64::new(2));
    let legacy = side("legacy", legacy_pending.clone()).await;
    let new = side("new", Arc::new(AtomicI64::new(0))).await;
    let app = proxy(&legacy, &new).await;

    let (ok, line) = retire_cli(&app).await;
    assert!(!ok && line.lines().count() == 1, "{line}");
    for reason in [
        "retirement of `payments` refused: it is in shadow, not new",
        "data context `payments` has never been verified",
        "sync legacy → new of `payments` has 2 changes pending",
    ] {
        assert!(line.contains(reason), "{reason} in: {line}");
    }
    assert!(!line.contains("new → legacy"), "{line}");

    app.cli(&[
        "flags",
        "--file",
        app.flags_file().to_str().unwrap(),
        "enable",
        "payments.new",
    ])
    .await;
    eventually_in(&app, "new").await;
    let run = json!({
        "context": "payments", "started_at": "2026-12-07T01:00:00Z",
        "finished_at": chrono::Utc::now().to_rfc3339(),
        "legacy_records": 3, "new_records": 3, "matching_records": 3,
        "missing_in_new": 0, "missing_in_legacy": 0, "differing_records": 0,
        "differences": [], "truncated": false
    });
    let (code, _) = app
        .admin(reqwest::Method::POST, "/admin/verify-runs", Some(&run))
        .await;
    assert_eq!(code, 201);
    let (ok, line) = retire_cli(&app).await;
    assert!(!ok, "{line}");
    assert!(
        line.contains("has 2 changes pending")
            && !line.contains("not new")
            && !line.contains("verified"),
        "only the pending changes are left: {line}"
    );

    legacy_pending.store(0, Ordering::SeqCst);
    let granted = app.cli(&["retire", "payments"]).await;
    assert_eq!(
        granted.trim(),
        "payments: new -> retired; the last verify of payments passed; sync drained both ways; \
         the legacy side is no longer a target"
    );
    let written = std::fs::read_to_string(app.config()).unwrap();
    assert!(
        written.contains("retired = true") && written.contains("# the first route to go"),
        "{written}"
    );
    assert_eq!(mode(&app).await, "retired");
    assert!(app.cli(&["routes"]).await.contains("payments  retired"));

    // The new side alone: flags no longer asked, nothing falls back.
    app.cli(&[
        "flags",
        "--file",
        app.flags_file().to_str().unwrap(),
        "disable",
        "payments.new",
    ])
    .await;
    app.cli(&["reload"]).await;
    assert_eq!(
        get(&app, 1).await,
        (200, "new".into(), json!({"who": "new"}))
    );
    let (status, backend, _) = get(&app, 2).await;
    assert_eq!(
        (status, backend.as_str()),
        (500, "new"),
        "no fallback to the monolith"
    );

    let decisions = app.admin_get("/admin/decisions?route=payments").await;
    let outcomes: Vec<(&str, &str)> = decisions
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["action"].as_str().unwrap(),
                d["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            ("retire", "granted"),
            ("retire", "refused"),
            ("retire", "refused")
        ]
    );

    let again = app.cli(&["retire", "payments"]).await;
    assert_eq!(again.trim(), "payments: already retired; nothing changed");
    let to = json!({ "to": "new" });
    let (code, refused) = app
        .admin(
            reqwest::Method::POST,
            "/admin/routes/payments/promote",
            Some(&to),
        )
        .await;
    assert_eq!(code, 409, "{refused}");
    assert!(refused["detail"].as_str().unwrap().contains("is retired"));
    app.stop().await;
}
