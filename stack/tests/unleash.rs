//! `--unleash`'s set-up against a real Unleash server (npm, tools/unleash):
//! the route table's toggles are created with the example flags' strategies
//! and state, a second start leaves them as they are, and the client API
//! serves them to the proxy. Needs scripts/setup-unleash and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use platform::testing::{TestBackend, TestDatabase};
use serde_json::{Value, json};
use stack::route_table::{EXAMPLE_FLAGS, flag_names};
use stack::unleash::{self, Admin};
use std::process::Stdio;
use std::time::{Duration, Instant};

struct Server {
    child: std::process::Child,
    admin: Admin,
    _db: TestDatabase,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start() -> Server {
    unleash::npm_package("unleash-server").unwrap_or_else(|e| panic!("{e}"));
    let db = TestDatabase::create(TestBackend::Postgres);
    let port = stack::layout::find_free_base()
        .unwrap()
        .port(stack::layout::Part::Unleash);
    let child = unleash::command(db.url(), port)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server {
        child,
        admin: Admin::new(format!("http://127.0.0.1:{port}")),
        _db: db,
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let health = reqwest::get(server.admin.health_url()).await;
        if health.is_ok_and(|r| r.status().is_success()) {
            return server;
        }
        assert!(Instant::now() < deadline, "unleash-server did not start");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn client_features(admin: &Admin) -> Value {
    reqwest::Client::new()
        .get(format!("{}/client/features", admin.api_url()))
        .header("Authorization", unleash::CLIENT_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_route_table_s_toggles_are_created_once_with_the_example_strategies() {
    let server = start().await;
    let names = flag_names().unwrap();
    let mut example: Value = serde_json::from_str(EXAMPLE_FLAGS).unwrap();
    // One toggle on in the example: its state must reach the server too.
    example["features"][0]["enabled"] = json!(true);
    let first = example["features"][0]["name"].as_str().unwrap().to_owned();

    let created = server.admin.ensure_toggles(&names, &example).await.unwrap();
    assert_eq!(created, names);
    server.admin.switch(&names[1], true).await.unwrap();
    let again = server.admin.ensure_toggles(&names, &example).await.unwrap();
    assert!(
        again.is_empty(),
        "a second start creates nothing: {again:?}"
    );

    let served = client_features(&server.admin).await;
    let features = served["features"].as_array().unwrap();
    assert_eq!(features.len(), names.len(), "{served}");
    for name in &names {
        let got = features
            .iter()
            .find(|f| f["name"] == name.as_str())
            .unwrap();
        let want = example["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name.as_str())
            .unwrap();
        let strategy = |f: &Value| f["strategies"][0]["name"].clone();
        assert_eq!(strategy(got), strategy(want), "{name}");
        assert_eq!(
            got["strategies"][0]["parameters"]["rollout"],
            want["strategies"][0]["parameters"]["rollout"],
            "{name}"
        );
        let on = *name == first || *name == names[1];
        assert_eq!(got["enabled"], json!(on), "{name}: kept as switched");
    }
}
