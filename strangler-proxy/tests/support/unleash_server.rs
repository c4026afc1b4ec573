//! A real Unleash server (npm `unleash-server` 6.x on node) for tests: started
//! the way the local stack starts it (`stack::unleash`), on a free loopback
//! port against a fresh PostgreSQL database, killed on drop (also when the
//! test panics). Admin helpers create and flip toggles through the real admin
//! API, failing the test when the server refuses.

use super::unleash_tools::npm_package;
use platform::testing::{TestBackend, TestDatabase};
use stack::unleash::Admin;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// A client token for the `development` environment of the `default` project.
pub const CLIENT_TOKEN: &str = stack::unleash::CLIENT_TOKEN;
const START_LIMIT: Duration = Duration::from_secs(90);

/// A running Unleash server; stopped (and its database dropped) on drop.
pub struct UnleashServer {
    child: Child,
    admin: Admin,
    log: std::path::PathBuf,
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
        let child = stack::unleash::command(db.url(), port)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start node (is node 20 installed?): {e}"));
        let mut server = Self {
            child,
            admin: Admin::new(format!("http://127.0.0.1:{port}")),
            log,
            _db: db,
        };
        server.wait_healthy().await;
        server
    }

    /// The API root to give `Flags::from_server`.
    pub fn api_url(&self) -> String {
        self.admin.api_url()
    }

    async fn wait_healthy(&mut self) {
        let deadline = Instant::now() + START_LIMIT;
        let http = reqwest::Client::new();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "unleash-server exited ({status}) while starting:\n{}",
                    self.log_tail()
                );
            }
            let health = http.get(self.admin.health_url()).send().await;
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

    /// Creates a release toggle (off in every environment).
    pub async fn create_toggle(&self, name: &str) {
        self.admin.create_toggle(name).await.unwrap();
    }

    /// Adds a flexibleRollout strategy (userId stickiness) and returns its id.
    pub async fn add_flexible_rollout(&self, name: &str, percent: u8, group: &str) -> String {
        let id = self.admin.add_flexible_rollout(name, percent, group).await;
        id.unwrap()
    }

    /// Changes the percentage of an existing flexibleRollout strategy.
    pub async fn set_rollout(&self, name: &str, strategy_id: &str, percent: u8, group: &str) {
        let set = self.admin.set_rollout(name, strategy_id, percent, group);
        set.await.unwrap();
    }

    /// Turns the toggle on or off in the client token's environment.
    pub async fn switch(&self, name: &str, on: bool) {
        self.admin.switch(name, on).await.unwrap();
    }
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
