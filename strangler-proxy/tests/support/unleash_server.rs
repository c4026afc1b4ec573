//! A real Unleash server (npm `unleash-server` 6.x on node) for tests: started on a
//! free loopback port against a fresh PostgreSQL database, with an admin and a
//! client API token set through its `INIT_*_API_TOKENS` variables, killed on drop
//! (also when the test panics). Admin helpers create and flip toggles through the
//! real admin API.

#![allow(dead_code)] // each test crate uses a different subset

use crate::unleash_tools::{npm_package, tools_dir};
use platform::testing::{TestBackend, TestDatabase};
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ADMIN_TOKEN: &str = "*:*.strangler-admin-secret";
/// A client token for the `development` environment of the `default` project.
pub const CLIENT_TOKEN: &str = "default:development.strangler-client-secret";
const ENVIRONMENT: &str = "development";
const START_LIMIT: Duration = Duration::from_secs(90);

/// A running Unleash server; stopped (and its database dropped) on drop.
pub struct UnleashServer {
    child: Child,
    base: String,
    log: std::path::PathBuf,
    http: reqwest::Client,
    // Dropped after the server is killed (fields drop in declaration order, and
    // `Drop::drop` below kills the child before any field drops).
    _db: TestDatabase,
}

impl UnleashServer {
    /// Starts the server and waits (bounded) until `/health` answers.
    pub async fn start() -> Self {
        npm_package("unleash-server");
        let db = TestDatabase::create(TestBackend::Postgres);
        let port = free_port();
        let log = std::env::temp_dir().join(format!("unleash-{}-{port}.log", std::process::id()));
        let log_file = std::fs::File::create(&log).unwrap();
        let child = Command::new("node")
            .arg("start-unleash.js")
            .current_dir(tools_dir())
            .env("DATABASE_URL", db.url())
            .env("HTTP_HOST", "127.0.0.1")
            .env("HTTP_PORT", port.to_string())
            .env("INIT_ADMIN_API_TOKENS", ADMIN_TOKEN)
            .env("INIT_CLIENT_API_TOKENS", CLIENT_TOKEN)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start node (is node 20 installed?): {e}"));
        let mut server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
            http: reqwest::Client::new(),
            _db: db,
        };
        server.wait_healthy().await;
        server
    }

    /// The API root to give `Flags::from_server`.
    pub fn api_url(&self) -> String {
        format!("{}/api", self.base)
    }

    async fn wait_healthy(&mut self) {
        let deadline = Instant::now() + START_LIMIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "unleash-server exited ({status}) while starting:\n{}",
                    self.log_tail()
                );
            }
            let health = self.http.get(format!("{}/health", self.base)).send().await;
            if health.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "unleash-server not healthy after {START_LIMIT:?}:\n{}",
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    async fn admin(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/api/admin/projects/default/features{path}", self.base);
        let mut request = self
            .http
            .request(method.clone(), &url)
            .header("Authorization", ADMIN_TOKEN);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(
            status.is_success(),
            "{method} {url} answered {status}: {text}"
        );
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// Creates a release toggle (off in every environment).
    pub async fn create_toggle(&self, name: &str) {
        self.admin(
            reqwest::Method::POST,
            "",
            Some(json!({ "name": name, "type": "release" })),
        )
        .await;
    }

    /// Adds a flexibleRollout strategy (userId stickiness) and returns its id.
    pub async fn add_flexible_rollout(&self, name: &str, percent: u8, group: &str) -> String {
        let path = format!("/{name}/environments/{ENVIRONMENT}/strategies");
        let created = self
            .admin(
                reqwest::Method::POST,
                &path,
                Some(rollout_body(percent, group)),
            )
            .await;
        created["id"].as_str().unwrap().to_owned()
    }

    /// Changes the percentage of an existing flexibleRollout strategy.
    pub async fn set_rollout(&self, name: &str, strategy_id: &str, percent: u8, group: &str) {
        let path = format!("/{name}/environments/{ENVIRONMENT}/strategies/{strategy_id}");
        self.admin(
            reqwest::Method::PUT,
            &path,
            Some(rollout_body(percent, group)),
        )
        .await;
    }

    /// Turns the toggle on or off in the client token's environment.
    pub async fn switch(&self, name: &str, on: bool) {
        let verb = if on { "on" } else { "off" };
        let path = format!("/{name}/environments/{ENVIRONMENT}/{verb}");
        self.admin(reqwest::Method::POST, &path, None).await;
    }
}

fn rollout_body(percent: u8, group: &str) -> Value {
    json!({
        "name": "flexibleRollout",
        "constraints": [],
        "parameters": { "rollout": percent.to_string(), "stickiness": "userId", "groupId": group }
    })
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

impl Drop for UnleashServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}
