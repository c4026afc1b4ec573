//! `stack --postgres URL --unleash`: the stack installs and starts a real
//! Unleash server (npm unleash-server 6 on node 20, its own PostgreSQL
//! database), creates the route table's toggles in it, and the proxy takes
//! its flags from there: a toggle switched through Unleash's admin API
//! moves the route.

use crate::running::RunningStack;
use diesel::{Connection, PgConnection, RunQueryDsl};
use stack::unleash::Admin;
use std::time::{Duration, Instant};

/// The databases a stack made with this prefix, dropped when the test ends.
struct Databases(String);

impl Drop for Databases {
    fn drop(&mut self) {
        let Ok(mut admin) = PgConnection::establish(&platform::testing::postgres_admin_url())
        else {
            return;
        };
        for part in ["monolith", "payment", "fulfillment", "proxy", "unleash"] {
            let sql = format!("DROP DATABASE IF EXISTS \"{}_{part}\" WITH (FORCE)", self.0);
            let _ = diesel::sql_query(sql).execute(&mut admin);
        }
    }
}

async fn backend(http: &reqwest::Client, proxy: &str) -> String {
    let res = http
        .get(format!("{proxy}/api/v1/payments/1"))
        .send()
        .await
        .unwrap();
    res.headers()["x-strangler-backend"]
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_toggle_switched_in_unleash_moves_the_route() {
    let prefix = format!(
        "stack_unleash_{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let _databases = Databases(prefix.clone());
    let server = platform::testing::postgres_admin_url();
    let stack = RunningStack::start_with(
        &["--postgres", &server, "--db-prefix", &prefix, "--unleash"],
        &[],
    );
    stack.wait_for("ready; Ctrl-C stops everything", Duration::from_secs(900));
    let lines = stack.lines().join("\n");
    assert!(
        lines.contains("created the Unleash toggle payments.new"),
        "{lines}"
    );
    let proxy = stack.url(0);
    let http = reqwest::Client::new();
    assert_eq!(backend(&http, &proxy).await, "legacy");

    let unleash = Admin::new(stack.url(242));
    unleash.switch("payments.new", true).await.unwrap();
    // The proxy polls the server (`flags.poll_interval_ms`).
    let deadline = Instant::now() + Duration::from_secs(60);
    while backend(&http, &proxy).await != "new" {
        assert!(Instant::now() < deadline, "payments never moved to new");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    unleash.switch("payments.new", false).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while backend(&http, &proxy).await != "legacy" {
        assert!(
            Instant::now() < deadline,
            "payments never moved back to legacy"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
