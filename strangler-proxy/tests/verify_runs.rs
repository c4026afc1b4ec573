//! Verify runs on both backends, through the admin API as `strangler verify`
//! posts them: a run is stored with its id and verdict, bad runs are refused
//! with a detail naming what is wrong, the last run per context and one
//! context's history read back newest first, and only with the admin token.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::proxy::TestProxy;

use platform::testing::{TestBackend, TestDatabase};
use serde_json::{Value, json};

const TOKEN: &str = "verify-runs-test-token-0123";

struct Admin {
    app: TestProxy,
    _db: TestDatabase,
}

async fn admin(backend: TestBackend) -> Admin {
    let db = TestDatabase::create(backend);
    let app = TestProxy::builder()
        .token(TOKEN)
        .shadow_database(db.url())
        .spawn()
        .await;
    Admin { app, _db: db }
}

impl Admin {
    /// The runs' URL, `query` appended.
    fn url(&self, query: &str) -> String {
        self.app.admin_url(&format!("/admin/verify-runs{query}"))
    }

    async fn post(&self, body: &Value) -> (u16, Value) {
        let method = reqwest::Method::POST;
        let (status, body) = self
            .app
            .admin(method, "/admin/verify-runs", Some(body))
            .await;
        assert!(!body.is_null(), "{status}: a JSON answer");
        (status, body)
    }

    async fn get(&self, query: &str) -> (u16, Value) {
        let path = format!("/admin/verify-runs{query}");
        let (status, body) = self.app.admin(reqwest::Method::GET, &path, None).await;
        assert!(!body.is_null(), "{status}: a JSON answer");
        (status, body)
    }
}

fn run(context: &str, finished: &str, differing: u64) -> Value {
    let differences: Vec<Value> = (0..differing)
        .map(|i| json!({"entity": "payment", "legacy_id": 17 + i, "field": "$.amt", "legacy": 1999, "new": 1899}))
        .collect();
    json!({
        "context": context, "started_at": "2026-12-07T01:00:00Z", "finished_at": finished,
        "legacy_records": 1200, "new_records": 1200, "matching_records": 1200 - differing,
        "missing_in_new": 0, "missing_in_legacy": 0, "differing_records": differing,
        "differences": differences, "truncated": false
    })
}

async fn runs_are_stored_and_read_back(backend: TestBackend) {
    let admin = admin(backend).await;
    let example = json!({
        "context": "payments", "started_at": "2026-12-07T01:00:00Z",
        "finished_at": "2026-12-07T01:02:00Z",
        "legacy_records": 1200, "new_records": 1199, "matching_records": 1197,
        "missing_in_new": 1, "missing_in_legacy": 0, "differing_records": 2,
        "differences": [
            {"entity": "payment", "legacy_id": 17, "field": "$.amt", "legacy": 1999, "new": 1899},
            {"entity": "payment", "legacy_id": 18, "field": null, "legacy": {"id": 18, "amt": 5}, "new": null}],
        "truncated": false
    });
    let (status, stored) = admin.post(&example).await;
    assert_eq!(status, 201, "{stored}");
    assert_eq!(stored["passed"], false);
    let id = stored["id"].as_i64().unwrap();
    let mut echoed = stored.clone();
    for key in ["id", "passed", "recorded_at"] {
        echoed.as_object_mut().unwrap().remove(key);
    }
    assert_eq!(echoed, example, "the run comes back as posted");

    let (status, later) = admin
        .post(&run("payments", "2026-12-07T03:00:00Z", 0))
        .await;
    assert_eq!((status, later["passed"].as_bool()), (201, Some(true)));
    // Posted last but finished first: it does not hide the later run.
    admin
        .post(&run("payments", "2026-12-07T02:00:00Z", 1))
        .await;
    admin
        .post(&run("fulfillment", "2026-12-07T02:30:00Z", 0))
        .await;

    let (status, last) = admin.get("").await;
    assert_eq!(status, 200);
    let last: Vec<(&str, &str)> = last
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["context"].as_str().unwrap(),
                r["finished_at"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        last,
        [
            ("fulfillment", "2026-12-07T02:30:00Z"),
            ("payments", "2026-12-07T03:00:00Z")
        ]
    );
    let (_, history) = admin.get("?context=payments&limit=2").await;
    let finished: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["finished_at"].as_str().unwrap())
        .collect();
    assert_eq!(finished, ["2026-12-07T03:00:00Z", "2026-12-07T02:00:00Z"]);
    let (_, all) = admin.get("?context=payments").await;
    assert_eq!(all.as_array().unwrap().len(), 3);
    assert_eq!(all[2]["id"], id);
    assert_eq!(all[2]["differences"][1]["field"], Value::Null);
    let (_, none) = admin.get("?context=nothing").await;
    assert_eq!(none, json!([]));
    shown_in_status_and_dashboard(&admin).await;
    admin.app.stop().await;
}

/// `strangler status` reads `/admin/status`; the dashboard lists the same.
async fn shown_in_status_and_dashboard(admin: &Admin) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let origin = admin.app.admin_url("");
    let status = admin.app.admin_get("/admin/status").await;
    let contexts: Vec<(&str, bool)> = status["verify"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["context"].as_str().unwrap(),
                r["passed"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(contexts, [("fulfillment", true), ("payments", true)]);
    let login = client
        .get(format!("{origin}/dashboard/login?token={TOKEN}"))
        .send()
        .await
        .unwrap();
    let cookie = login.headers()["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let page = client
        .get(format!("{origin}/dashboard"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Data verification"), "{page}");
    assert!(
        page.contains("fulfillment") && page.contains("passed"),
        "{page}"
    );
}

async fn bad_runs_are_refused_with_a_reason(backend: TestBackend) {
    let admin = admin(backend).await;
    let mut unbalanced = run("payments", "2026-12-07T01:02:00Z", 2);
    unbalanced["legacy_records"] = json!(1300);
    let mut too_many = run("payments", "2026-12-07T01:02:00Z", 101);
    too_many["legacy_records"] = json!(1200);
    let mut backwards = run("payments", "2026-12-07T00:02:00Z", 0);
    backwards["started_at"] = json!("2026-12-07T01:00:00Z");
    let mut unknown = run("payments", "2026-12-07T01:02:00Z", 0);
    unknown["extra"] = json!(1);
    let mut not_a_time = run("payments", "2026-12-07T01:02:00Z", 0);
    not_a_time["finished_at"] = json!("yesterday");
    let mut negative = run("payments", "2026-12-07T01:02:00Z", 0);
    negative["missing_in_new"] = json!(-1);
    let mut clean_with_differences = run("payments", "2026-12-07T01:02:00Z", 1);
    clean_with_differences["differing_records"] = json!(0);
    clean_with_differences["matching_records"] = json!(1200);
    for (body, needle) in [
        (unbalanced, "legacy_records (1300)"),
        (too_many, "at most 100"),
        (backwards, "before started_at"),
        (unknown, "extra"),
        (not_a_time, "finished_at"),
        (negative, "missing_in_new"),
        (clean_with_differences, "cannot list differences"),
        (run("", "2026-12-07T01:02:00Z", 0), "context"),
    ] {
        let (status, problem) = admin.post(&body).await;
        assert_eq!(status, 422, "{body} → {problem}");
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains(needle), "{detail} should name {needle}");
    }
    let res = reqwest::Client::new()
        .post(admin.url(""))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body("{\"context\":")
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status().as_u16(),
        400,
        "malformed JSON is a bad request"
    );
    let (_, stored) = admin.get("").await;
    assert_eq!(stored, json!([]), "nothing refused was stored");
    for query in ["?limit=5", "?context=payments&limit=0"] {
        let (status, problem) = admin.get(query).await;
        assert_eq!(status, 400, "{query}: {problem}");
    }
    let res = reqwest::Client::new()
        .post(admin.url(""))
        .json(&run("payments", "2026-12-07T01:02:00Z", 0))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401, "writes need the admin token");
    admin.app.stop().await;
}

platform::both_backends!(
    runs_are_stored_and_read_back,
    bad_runs_are_refused_with_a_reason
);
