//! `monolith seed` is deterministic: the same seed gives the same data, through
//! the same rules as the API (stock reserved, payments captured).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use monolith::seed::{SeedArgs, run};
use monolith::settings::Settings;
use monolith::startup::Application;
use platform::testing::{TestBackend, TestDatabase};
use serde_json::Value;

/// Seeds a fresh database and reads everything back without timestamps.
fn seeded_snapshot(backend: TestBackend, seed: u64) -> Value {
    let db = TestDatabase::create(backend);
    let mut settings = Settings::load(None).unwrap();
    settings.database = db.settings.clone();
    settings.server.port = 0;
    run(
        &settings,
        &SeedArgs {
            customers: 12,
            orders: 30,
            seed,
        },
    )
    .unwrap();

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let app = Application::build(&settings).await.unwrap();
        let base = format!("http://127.0.0.1:{}/api/v1", app.port());
        tokio::spawn(app.run_until_stopped());
        let get = |path: String| async move {
            reqwest::get(path)
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        };
        let mut snapshot = Vec::new();
        let customers = get(format!("{base}/customers?per_page=100")).await;
        assert_eq!(customers["total"], 12);
        for c in customers["items"].as_array().unwrap() {
            let orders = get(format!("{base}/customers/{}/orders?per_page=100", c["id"])).await;
            snapshot.push(strip_times(c.clone()));
            snapshot.push(strip_times(orders));
        }
        snapshot.push(strip_times(get(format!("{base}/inventory/SKU-0001")).await));
        Value::Array(snapshot)
    })
}

fn strip_times(mut v: Value) -> Value {
    match &mut v {
        Value::Object(map) => {
            for key in ["crt", "upd"] {
                map.remove(key);
            }
            for value in map.values_mut() {
                *value = strip_times(value.take());
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| *i = strip_times(i.take())),
        _ => {}
    }
    v
}

#[test]
fn same_seed_same_data_on_both_backends() {
    let sqlite = seeded_snapshot(TestBackend::Sqlite, 7);
    let postgres = seeded_snapshot(TestBackend::Postgres, 7);
    assert_eq!(sqlite, postgres);
    let orders: i64 = sqlite
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["total"].as_i64())
        .sum();
    assert_eq!(orders, 30);
    assert_ne!(
        seeded_snapshot(TestBackend::Sqlite, 8),
        sqlite,
        "another seed gives other data"
    );
}
