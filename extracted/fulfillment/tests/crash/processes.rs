//! The two services as real processes, killed with SIGKILL (`kill -9`: no
//! shutdown, no flush, transactions cut wherever they are) and started again
//! on the same port and database. The fulfillment binary is this crate's; the
//! payment binary is built by cargo on first use, its path read from cargo's
//! JSON messages.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

/// One service: its binary, its environment, and the running child.
pub struct Service {
    name: &'static str,
    program: PathBuf,
    env: Vec<(String, String)>,
    pub port: u16,
    child: Option<Child>,
}

/// A port free now (the service binds it a moment later).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The payment service's binary, built once per test run.
pub fn payment_binary() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
            let out = Command::new(cargo)
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .args([
                    "build",
                    "-p",
                    "payment",
                    "--bin",
                    "payment",
                    "--message-format=json",
                ])
                .stderr(Stdio::inherit())
                .output()
                .expect("run cargo build -p payment");
            assert!(out.status.success(), "cargo build -p payment failed");
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "payment")
                .find_map(|m| m["executable"].as_str().map(PathBuf::from))
                .expect("cargo built no payment binary")
        })
        .clone()
}

impl Service {
    /// A service `name` (its settings prefix in capitals) on `database`.
    pub fn new(name: &'static str, program: PathBuf, database: &str) -> Self {
        let port = free_port();
        let prefix = name.to_uppercase();
        let env = vec![
            (format!("{prefix}__SERVER__PORT"), port.to_string()),
            (format!("{prefix}__SERVER__WORKERS"), "2".into()),
            (format!("{prefix}__DATABASE__URL"), database.to_owned()),
            (format!("{prefix}__TELEMETRY__FILTER"), "warn".into()),
        ];
        Self {
            name,
            program,
            env,
            port,
            child: None,
        }
    }

    pub fn with(mut self, key: &str, value: impl ToString) -> Self {
        self.env.push((key.to_owned(), value.to_string()));
        self
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts it and waits until it is ready.
    pub async fn start(&mut self) {
        let show = std::env::var_os("TEST_LOG").is_some();
        let child = Command::new(&self.program)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdout(if show {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .stderr(if show {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.name));
        self.child = Some(child);
        let client = reqwest::Client::new();
        for _ in 0..600 {
            let ready = client.get(format!("{}/readyz", self.url())).send().await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{} never became ready", self.name);
    }

    /// SIGKILL, then reaps it.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn running(&self) -> bool {
        self.child.is_some()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.kill9();
    }
}
