//! `monolith seed`: deterministic demo data (same `--seed`, same data), written
//! through the legacy API in-process, so every domain rule applies and no module
//! is reached into.

use crate::settings::Settings;
use crate::startup::{AppState, app};
use actix_web::http::StatusCode;
use actix_web::test;
use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

/// Options of `monolith seed`.
#[derive(Debug, clap::Args)]
pub struct SeedArgs {
    /// Customers to create.
    #[arg(long, default_value_t = 100)]
    pub customers: u32,
    /// Orders to place, spread over the customers.
    #[arg(long, default_value_t = 300)]
    pub orders: u32,
    /// Random seed: the same seed gives the same data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

const FIRST: &[&str] = &[
    "Ada", "Alan", "Grace", "Edsger", "Barbara", "Donald", "Frances", "John", "Radia", "Ken",
];
const LAST: &[&str] = &[
    "Lovelace", "Turing", "Hopper", "Dijkstra", "Liskov", "Knuth", "Allen", "Backus", "Perlman",
];
const CITIES: &[(&str, &str, &str)] = &[
    ("Berlin", "10115", "DE"),
    ("London", "N1 9GU", "GB"),
    ("Paris", "75001", "FR"),
];
const SKUS: u32 = 20;

/// Seeds the database named in `settings`.
pub fn run(settings: &Settings, args: &SeedArgs) -> anyhow::Result<()> {
    if args.orders > 0 && args.customers == 0 {
        bail!("--orders needs at least one customer (--customers > 0)");
    }
    let state = AppState::connect(settings)?;
    actix_web::rt::System::new().block_on(seed(state, args))
}

async fn seed(state: AppState, args: &SeedArgs) -> anyhow::Result<()> {
    let service = test::init_service(app(state)).await;
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    let bar = ProgressBar::new(u64::from(SKUS + args.customers + args.orders)).with_style(
        ProgressStyle::with_template("{msg:>9} [{bar:40}] {pos}/{len} ({eta})")
            .context("progress template")?
            .progress_chars("=> "),
    );
    let post = async |method: &str, uri: String, body: Value| -> anyhow::Result<Value> {
        let req = match method {
            "PUT" => test::TestRequest::put(),
            _ => test::TestRequest::post(),
        };
        let res = test::call_service(&service, req.uri(&uri).set_json(&body).to_request()).await;
        let status = res.status();
        let body: Value =
            serde_json::from_slice(&test::read_body(res).await).unwrap_or(Value::Null);
        if !(status == StatusCode::OK || status == StatusCode::CREATED) {
            bail!("{method} {uri} answered {status}: {}", body["detail"]);
        }
        bar.inc(1);
        Ok(body)
    };

    bar.set_message("items");
    let stock = i64::from(args.orders) * 3 + 10;
    for n in 1..=SKUS {
        let sku = format!("SKU-{n:04}");
        post(
            "PUT",
            format!("/api/v1/inventory/{sku}"),
            json!({"nm": format!("Item {n}"), "px": rng.random_range(199..=9_999), "cur": "EUR"}),
        )
        .await?;
        post(
            "POST",
            format!("/api/v1/inventory/{sku}/adjust"),
            json!({"dq": stock, "rsn": "seed"}),
        )
        .await?;
        bar.dec(1);
    }

    bar.set_message("customers");
    let mut ids = Vec::with_capacity(args.customers as usize);
    for n in 0..args.customers {
        let name = format!(
            "{} {}",
            FIRST[rng.random_range(0..FIRST.len())],
            LAST[rng.random_range(0..LAST.len())]
        );
        let (city, zip, ctry) = CITIES[rng.random_range(0..CITIES.len())];
        let body = json!({"nm": name, "eml": format!("customer{n}@example.com"),
            "bill": {"nm": name, "ln1": format!("{} Main Street", n + 1), "city": city, "zip": zip, "ctry": ctry}});
        let created = post("POST", "/api/v1/customers".into(), body).await?;
        ids.push(created["id"].as_i64().context("customer id")?);
    }

    bar.set_message("orders");
    for _ in 0..args.orders {
        let cust = ids[rng.random_range(0..ids.len())];
        let first = rng.random_range(1..=SKUS);
        let lines: Vec<Value> = (0..rng.random_range(1..=3_u32))
            .map(|k| json!({"sku": format!("SKU-{:04}", (first + k - 1) % SKUS + 1), "qty": rng.random_range(1..=3)}))
            .collect();
        let pm = if rng.random_bool(0.8) {
            "card"
        } else {
            "invoice"
        };
        post(
            "POST",
            "/api/v1/orders".into(),
            json!({"cust": cust, "lines": lines, "pm": pm, "tok": "tok_visa"}),
        )
        .await?;
    }
    bar.finish_with_message("done");
    println!(
        "seeded {SKUS} items, {} customers, {} orders (seed {})",
        args.customers, args.orders, args.seed
    );
    Ok(())
}
