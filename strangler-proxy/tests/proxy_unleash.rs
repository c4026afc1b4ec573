//! The proxy with a real Unleash server as its flag source: toggles flipped
//! through Unleash's admin API move a route between the monolith and the new
//! service within the poll interval, without a restart. Needs
//! scripts/setup-unleash (npm) and PostgreSQL on 127.0.0.1:5432.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::proxy::TestProxy;
use support::{unleash_server, upstreams};

use std::time::{Duration, Instant};
use strangler_proxy::settings::FlagSource;
use unleash_server::{CLIENT_TOKEN, UnleashServer};

/// An upstream that says who it is.
async fn upstream(name: &'static str) -> String {
    format!("http://{}", upstreams::named(name).await.0)
}

async fn served_by(client: &reqwest::Client, base: &str) -> String {
    let res = client
        .get(format!("{base}/api/v1/orders/7"))
        .header("x-customer-id", "customer-1")
        .send()
        .await
        .unwrap();
    res.text().await.unwrap()
}

async fn wait_until_served_by(client: &reqwest::Client, base: &str, side: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while served_by(client, base).await != side {
        assert!(Instant::now() < deadline, "the route never moved to {side}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routing_follows_toggles_flipped_on_the_unleash_server() {
    let server = UnleashServer::start().await;
    server.create_toggle("orders.new").await;
    server
        .add_flexible_rollout("orders.new", 100, "orders")
        .await;

    let (legacy, new) = (upstream("legacy").await, upstream("new").await);
    let app = TestProxy::builder()
        .legacy_url(legacy)
        .flags_toml(&format!(
            "source = \"server\"\nserver_url = \"{api}\"\n\
             api_token = \"{CLIENT_TOKEN}\"\npoll_interval_ms = 500",
            api = server.api_url(),
        ))
        .toml(&format!(
            r#"
[[routes]]
name = "orders"
patterns = ["/api/v1/orders/{{id}}"]
new = "{new}"
[routes.flags]
new = "orders.new"
"#
        ))
        .adjust(|settings| assert_eq!(settings.flags.source, FlagSource::Server))
        .spawn()
        .await;
    let base = format!("http://{}", app.proxy_addr());
    let client = reqwest::Client::new();

    assert_eq!(
        served_by(&client, &base).await,
        "legacy",
        "a toggle that is off keeps the monolith"
    );
    server.switch("orders.new", true).await;
    wait_until_served_by(&client, &base, "new").await;
    server.switch("orders.new", false).await;
    wait_until_served_by(&client, &base, "legacy").await;
    app.stop().await;
}
