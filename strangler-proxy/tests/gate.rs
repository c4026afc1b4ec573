//! The promotion gate through the admin API, on both backends, with results
//! planted in the proxy's own database: an epoch (counting afresh) opens a
//! gate the older mismatching samples kept closed, and is recorded with who
//! and why; the CLI starts one too.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/proxy_app.rs"]
mod proxy_app;

use chrono::Utc;
use platform::testing::{TestBackend, TestDatabase};
use serde_json::{Value, json};
use strangler_proxy::app::Application;
use strangler_proxy::shadow::store::{
    DiffKind, NewDifference, NewResult, RequestExample, ShadowStore, Verdict,
};

const TOKEN: &str = "gate-test-token-0123456789";

struct Gate {
    app: Application,
    admin: String,
    store: ShadowStore,
    _db: TestDatabase,
}

/// A proxy with the route `payments` (never called: results are planted).
async fn gate(name: &str, backend: TestBackend, extra: &str) -> Gate {
    let db = TestDatabase::create(backend);
    let toml = format!(
        r#"
[proxy]
listen = "127.0.0.1:0"
legacy = "http://127.0.0.1:9"
[admin]
listen = "127.0.0.1:0"
token = "{TOKEN}"
[gate]
match_rate = 0.9
min_samples = 10
window = "1h"
{extra}
[[routes]]
name = "payments"
patterns = ["/api/v1/payments/{{id}}"]
new = "http://127.0.0.1:9"
[routes.flags]
shadow = "payments.shadow"
new = "payments.new"
"#
    );
    let url = db.url().to_owned();
    let app = proxy_app::start(&format!("gate-{name}-{backend:?}"), &toml, |s| {
        s.shadow.database_url = url;
    })
    .await;
    Gate {
        admin: format!("http://{}", app.admin_addr()),
        store: ShadowStore::connect(&db.settings).unwrap(),
        app,
        _db: db,
    }
}

impl Gate {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = reqwest::Client::new()
            .request(method, format!("{}{path}", self.admin))
            .bearer_auth(TOKEN);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.unwrap();
        (
            res.status().as_u16(),
            res.json().await.unwrap_or(Value::Null),
        )
    }

    async fn verdict(&self) -> Value {
        let (status, verdict) = self
            .call(reqwest::Method::GET, "/admin/routes/payments/gate", None)
            .await;
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
    let gate = gate("epoch", backend, "").await;
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
    gate.app.stop().await;
}

platform::both_backends!(an_epoch_opens_a_gate_the_old_samples_kept_closed);
