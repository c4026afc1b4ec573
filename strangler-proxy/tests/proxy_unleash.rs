//! The proxy with a real Unleash server as its flag source: toggles flipped
//! through Unleash's admin API move a route between the monolith and the new
//! service within the poll interval, without a restart. Needs
//! scripts/setup-unleash (npm) and PostgreSQL on 127.0.0.1:5432.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/unleash_files.rs"]
mod unleash_files;
#[path = "support/unleash_server.rs"]
mod unleash_server;
#[path = "support/unleash_tools.rs"]
mod unleash_tools;

use bytes::Bytes;
use http::Response;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::time::{Duration, Instant};
use strangler_proxy::app::Application;
use strangler_proxy::settings::{FlagSource, Settings};
use unleash_files::TempDir;
use unleash_server::{CLIENT_TOKEN, UnleashServer};

/// An upstream that says who it is.
async fn upstream(name: &'static str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let service = service_fn(move |_req| async move {
                    Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(name))))
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    format!("http://{addr}")
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
    let dir = TempDir::new();
    let config = dir.path().join("strangler.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[shadow]
database_url = "sqlite://{shadow_db}"
[proxy]
listen = "127.0.0.1:0"
legacy = "{legacy}"
[admin]
listen = "127.0.0.1:0"
token = "unleash-proxy-test-token"
[flags]
source = "server"
server_url = "{api}"
api_token = "{CLIENT_TOKEN}"
poll_interval_ms = 500
[[routes]]
name = "orders"
patterns = ["/api/v1/orders/{{id}}"]
new = "{new}"
[routes.flags]
new = "orders.new"
"#,
            api = server.api_url(),
            shadow_db = dir.path().join("shadow.db").display()
        ),
    )
    .unwrap();
    let settings = Settings::load(Some(&config)).unwrap();
    assert_eq!(settings.flags.source, FlagSource::Server);
    let app = Application::start(settings, Some(config)).await.unwrap();
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
