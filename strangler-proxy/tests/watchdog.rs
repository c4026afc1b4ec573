//! The watchdog sees missing data, against real upstreams on loopback and the
//! shadow store on both backends: a new side that lost records (404 for ids
//! the monolith serves) is rolled back from `new`, with the rate, the
//! monolith's baseline and the limit in the recorded reason; a new side that
//! answers 404 exactly as often as the monolith (ids that exist nowhere) is
//! left alone; below `min_requests` nothing happens; a canary whose shadow
//! copies find the candidate missing records is rolled back too. The route
//! view and the metrics show the rates it compared.
//!
//! Real time with a 1 s interval rather than paused time: the proxy's sockets
//! and the store's blocking pool would let paused time jump past timeouts.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::proxy::TestProxy;
use support::{metrics, upstreams};

use platform::testing::{TestBackend, TestDatabase};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const TOKEN: &str = "watchdog-test-token-0123456789";
/// The monolith has orders 1 to 1000; higher ids exist nowhere.
const LEGACY_HAS: u64 = 1000;

/// An orders upstream holding the ids up to `has`: 200 with the order, 404
/// (the same problem on both sides) otherwise.
async fn orders(has: u64) -> String {
    let addr = upstreams::serve(move |req: http::Request<hyper::body::Incoming>| {
        let id: u64 = req
            .uri()
            .path()
            .rsplit('/')
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        async move {
            let (status, body) = if (1..=has).contains(&id) {
                (
                    200,
                    json!({"id": id, "cust": 7, "st": "C", "cur": "EUR", "tot": 1999}),
                )
            } else {
                (404, json!({"title": "Not Found", "status": 404}))
            };
            upstreams::json(status, &body)
        }
    })
    .await;
    format!("http://{addr}")
}

struct Watched {
    app: TestProxy,
    base: String,
    admin: String,
    client: reqwest::Client,
    _db: TestDatabase,
}

/// The flags: `orders.shadow` on, `orders.new` off, `orders.canary` on at a
/// rollout of 0 % when `canary` (the route is in `canary`, every client
/// outside the cohort and shadowed), else off.
fn flags_doc(canary: bool) -> Value {
    json!({"version": 2, "features": [
        {"name": "orders.shadow", "enabled": true, "strategies": [{"name": "default"}]},
        {"name": "orders.canary", "enabled": canary, "strategies": [{"name": "flexibleRollout",
            "parameters": {"rollout": "0", "stickiness": "userId", "groupId": "orders"}}]},
        {"name": "orders.new", "enabled": false, "strategies": [{"name": "default"}]}]})
}

/// A proxy with route `orders` in `shadow` (or `canary`, see [`flags_doc`]),
/// a new side holding the ids up to `new_has`, and a watchdog looking every
/// second.
async fn start(backend: TestBackend, new_has: u64, min_requests: u64, canary: bool) -> Watched {
    let db = TestDatabase::create(backend);
    let (legacy, new) = (orders(LEGACY_HAS).await, orders(new_has).await);
    let app = TestProxy::builder()
        .legacy_url(legacy)
        .token(TOKEN)
        .shadow_database(db.url())
        .flags(flags_doc(canary))
        .flags_toml("poll_interval_ms = 100")
        .toml(&format!(
            r#"
[watchdog]
interval = "1s"
window = "1m"
min_requests = {min_requests}
max_not_found_excess = 0.05
[[routes]]
name = "orders"
patterns = ["/api/v1/orders/{{id}}"]
new = "{new}"
[routes.flags]
shadow = "orders.shadow"
canary = "orders.canary"
new = "orders.new"
[routes.shadow]
max_per_second = 0
"#
        ))
        .spawn()
        .await;
    Watched {
        base: app.url(""),
        admin: app.admin_url(""),
        app,
        client: reqwest::Client::new(),
        _db: db,
    }
}

impl Watched {
    /// `GET /api/v1/orders/{id}`: its status and who answered.
    async fn get(&self, id: u64) -> (u16, String) {
        let res = self
            .client
            .get(format!("{}/api/v1/orders/{id}", self.base))
            .send()
            .await
            .unwrap();
        let backend = res.headers()["x-strangler-backend"].to_str().unwrap();
        (res.status().as_u16(), backend.to_owned())
    }

    /// Asks for every id, served by `by`.
    async fn ask(&self, ids: impl IntoIterator<Item = u64>, by: &str) {
        for id in ids {
            let (status, backend) = self.get(id).await;
            assert_eq!(backend, by, "order {id}: {status}");
        }
    }

    /// Switches `orders.new` on and waits until the proxy has read it (asking
    /// the admin API: a probe request would count on one side or the other).
    async fn move_to_new(&self) {
        strangler_proxy::flags::file::enable(self.app.flags_file(), "orders.new").unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.admin("/admin/routes").await[0]["mode"] != "new" {
            assert!(Instant::now() < deadline, "the route never moved to new");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn admin(&self, path: &str) -> Value {
        self.app.admin_get(path).await
    }

    async fn rollbacks(&self) -> Vec<Value> {
        let decisions = self.admin("/admin/decisions?route=orders").await;
        let all = decisions.as_array().cloned().unwrap_or_default();
        all.into_iter()
            .filter(|d| d["action"] == "rollback")
            .collect()
    }

    /// Waits (bounded) for the watchdog's first rollback.
    async fn rollback(&self) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(d) = self.rollbacks().await.pop() {
                return d;
            }
            assert!(Instant::now() < deadline, "the watchdog never rolled back");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Waits (bounded) until the watchdog has looked at `answered` new-side
    /// answers at least; what it saw.
    async fn looked_at(&self, answered: u64) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let routes = self.admin("/admin/routes").await;
            let watched = routes[0]["watchdog"].clone();
            if watched["answered"].as_u64().unwrap_or(0) >= answered {
                return watched;
            }
            assert!(
                Instant::now() < deadline,
                "the watchdog never looked: {routes}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn new_flag_on(&self) -> bool {
        strangler_proxy::flags::file::list(self.app.flags_file())
            .unwrap()
            .iter()
            .any(|f| f.name == "orders.new" && f.enabled)
    }

    /// Two more looks of the watchdog pass and it has not rolled back.
    async fn stays_put(&self) {
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let rollbacks = self.rollbacks().await;
        assert!(rollbacks.is_empty(), "rolled back: {rollbacks:?}");
        assert!(self.new_flag_on());
        assert_eq!(self.get(1).await.1, "new");
    }
}

async fn a_new_side_that_lost_records_is_rolled_back(backend: TestBackend) {
    // The backfill stopped at 500: orders 501 to 1000 are lost on the new side.
    let w = start(backend, 500, 10, false).await;
    // In shadow the monolith answers: its baseline is 5 in 25 = 20 % of 404s.
    w.ask((1..=20).chain(1001..=1005), "legacy").await;
    w.move_to_new().await;
    w.ask(501..=510, "new").await;
    // The watchdog may step in at any moment from here.
    for id in 511..=530 {
        w.get(id).await;
    }

    let rollback = w.rollback().await;
    assert_eq!(
        (rollback["from_mode"].as_str(), rollback["outcome"].as_str()),
        (Some("new"), Some("applied")),
        "{rollback}"
    );
    let reason = rollback["reason"].as_str().unwrap();
    assert!(reason.starts_with("404 rate "), "{reason}");
    assert!(
        reason.contains("> legacy baseline 20.0 % + 5.0 %"),
        "the reason names the baseline and the limit: {reason}"
    );
    let health = &rollback["evidence"]["health"];
    assert_eq!(health["baseline"]["not_found_rate"], 0.2, "{rollback}");
    assert!(
        health["not_found_rate"].as_f64().unwrap() > 0.25,
        "{rollback}"
    );
    assert_eq!(rollback["evidence"]["limits"]["max_not_found_excess"], 0.05);

    assert!(!w.new_flag_on(), "the `new` flag is off");
    assert_eq!(
        w.get(501).await,
        (200, "legacy".to_owned()),
        "the monolith serves the lost order again"
    );
    let text = metrics::scrape(&w.client, &w.admin).await;
    let rate = |rate| {
        metrics::sample(
            &text,
            "strangler_watchdog_rate",
            &[("route", "orders"), ("rate", rate)],
        )
    };
    assert_eq!(rate("legacy_not_found"), 0.2);
    assert!(rate("not_found") > 0.25, "{text}");
    w.app.stop().await;
}

async fn the_same_404_rate_as_the_monolith_is_no_reason(backend: TestBackend) {
    // The new side has every order; clients ask for ids that exist nowhere
    // half the time, before and after the move.
    let w = start(backend, LEGACY_HAS, 10, false).await;
    w.ask((1..=20).chain(1001..=1020), "legacy").await;
    w.move_to_new().await;
    w.ask((21..=40).chain(1021..=1040), "new").await;

    let watched = w.looked_at(40).await;
    assert_eq!(watched["baseline"]["not_found_rate"], 0.5, "{watched}");
    assert_eq!(watched["not_found_rate"], 0.5, "{watched}");
    w.stays_put().await;
    w.app.stop().await;
}

async fn below_the_minimum_nothing_happens(backend: TestBackend) {
    let w = start(backend, 500, 10, false).await;
    w.ask(1..=20, "legacy").await;
    w.move_to_new().await;
    // Nine lost orders: every one a 404 the monolith would not give, one
    // short of `min_requests`.
    w.ask(501..=509, "new").await;

    let watched = w.looked_at(9).await;
    assert_eq!(watched["answered"], 9, "{watched}");
    assert_eq!(watched["not_found_rate"], 1.0, "{watched}");
    w.stays_put().await;
    w.app.stop().await;
}

async fn a_canary_whose_shadow_samples_miss_records_is_rolled_back(backend: TestBackend) {
    // In canary at 0 %, the monolith serves everyone and shadows every
    // request: the copies find orders 501 and up missing on the new side.
    let w = start(backend, 500, 10, true).await;
    assert_eq!(w.admin("/admin/routes").await[0]["mode"], "canary");
    w.ask(501..=530, "legacy").await;

    let rollback = w.rollback().await;
    assert_eq!(
        (rollback["from_mode"].as_str(), rollback["outcome"].as_str()),
        (Some("canary"), Some("applied")),
        "{rollback}"
    );
    let reason = rollback["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("candidate missing the record in 100.0 % of ")
            && reason.ends_with(" shadow samples > 5.0 %"),
        "{reason}"
    );
    let shadow = &rollback["evidence"]["health"]["shadow"];
    assert!(shadow["samples"].as_u64().unwrap() >= 10, "{rollback}");
    assert_eq!(w.admin("/admin/routes").await[0]["mode"], "shadow");
    w.app.stop().await;
}

platform::both_backends!(
    a_canary_whose_shadow_samples_miss_records_is_rolled_back,
    a_new_side_that_lost_records_is_rolled_back,
    the_same_404_rate_as_the_monolith_is_no_reason,
    below_the_minimum_nothing_happens,
);
