//! Crash proof of the order saga, on real processes: the fulfillment and
//! payment services run as child processes and are killed with SIGKILL at
//! random moments while clients place, capture and cancel orders (cards that
//! pay, cards that are declined, invoices; more units than there are in
//! stock). Then both come back, every saga is left to end, and the invariant
//! checker (`invariants`) must find nothing wrong in either database.
//!
//! `SAGA_CRASH_SAGAS` sets how many orders are placed (default 200),
//! `SAGA_CRASH_SEED` replays a run (the seed is printed).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)]
#[path = "../api/sagas/customers.rs"]
mod customers;
mod interposer;
mod invariants;
mod processes;
mod steps;

use customers::Customers;
use platform::db::Db;
use platform::testing::{TestBackend, TestDatabase};
use processes::{Service, payment_binary};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::Mutex;

/// A small, seedable generator: a replayable run needs no dependency.
#[derive(Clone)]
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

struct Services {
    fulfillment: Service,
    payment: Service,
    /// The monolith's stand-in; never killed, the crashes are the saga's.
    _customers: Customers,
}

/// The payment service, not started, with its relay off.
fn payment_service(database: &str) -> Service {
    Service::new("payment", payment_binary(), database).with("PAYMENT__EVENTS__TRANSPORT", "off")
}

/// The orchestrator, not started, calling the payment service at
/// `payments_url` and the customers' owner at `customers_url`, with short
/// leases and retries so recovery is quick.
fn fulfillment_service(database: &str, payments_url: &str, customers_url: &str) -> Service {
    Service::new(
        "fulfillment",
        env!("CARGO_BIN_EXE_fulfillment").into(),
        database,
    )
    .with("FULFILLMENT__EVENTS__TRANSPORT", "off")
    .with("FULFILLMENT__SAGA__PAYMENTS_URL", payments_url)
    .with("FULFILLMENT__SAGA__CUSTOMERS_URL", customers_url)
    .with("FULFILLMENT__SAGA__REQUEST_TIMEOUT_MS", 1000)
    .with("FULFILLMENT__SAGA__LEASE_SECS", 2)
    .with("FULFILLMENT__SAGA__RETRY_INITIAL_MS", 20)
    .with("FULFILLMENT__SAGA__RETRY_MAX_MS", 300)
    .with("FULFILLMENT__SAGA__RECOVERY_INTERVAL_MS", 100)
    .with("FULFILLMENT__SAGA__WAIT_MS", 1000)
}

async fn services(fulfillment_db: &str, payment_db: &str) -> Services {
    let mut payment = payment_service(payment_db);
    payment.start().await;
    let customers = Customers::spawn().await;
    let mut fulfillment = fulfillment_service(fulfillment_db, &payment.url(), &customers.url());
    fulfillment.start().await;
    Services {
        fulfillment,
        payment,
        _customers: customers,
    }
}

/// POSTs until some answer comes (a killed service refuses connections),
/// always with the same key, as a careful client does.
async fn post(services: &Mutex<Services>, path: &str, key: &str, body: &Value) -> (u16, Value) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    loop {
        let url = format!("{}{path}", services.lock().await.fulfillment.url());
        let res = client
            .post(url)
            .header("Idempotency-Key", key)
            .json(body)
            .send()
            .await;
        if let Ok(res) = res {
            let status = res.status().as_u16();
            if let Ok(body) = res.json::<Value>().await
                && status < 500
            {
                return (status, body);
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One client: places orders and now and then captures or cancels them.
async fn client(services: Arc<Mutex<Services>>, mut rng: Rng, orders: usize, worker: usize) {
    for n in 0..orders {
        let method = rng.below(20);
        let mut body = json!({"kind": "place_order", "customer_legacy_id": 7,
            "lines": [{"sku": "W-1", "quantity": 1 + rng.below(3)}]});
        match method {
            0..=11 => body["method"] = "card".into(),
            12..=14 => body["method"] = "invoice".into(),
            _ => body["method"] = "card".into(),
        }
        if method < 12 {
            body["card_token"] = "tok_ok".into();
        } else if method > 14 {
            body["card_token"] = "tok_declined".into();
        }
        let key = format!("place-{worker}-{n}");
        let (status, placed) = post(&services, "/v2/sagas", &key, &body).await;
        let Some(order_id) = placed["order_id"].as_str().filter(|_| status == 201) else {
            continue;
        };
        let follow_up = match (placed["order"]["state"].as_str(), rng.below(4)) {
            (Some("pending"), 0..=1) => Some("capture_order"),
            (_, 0) => Some("cancel_order"),
            _ => None,
        };
        if let Some(kind) = follow_up {
            let body = json!({"kind": kind, "order_id": order_id});
            post(
                &services,
                "/v2/sagas",
                &format!("{kind}-{worker}-{n}"),
                &body,
            )
            .await;
        }
    }
}

/// Kills one service or the other with SIGKILL every few hundred
/// milliseconds and starts it again, until `done`.
async fn chaos(services: Arc<Mutex<Services>>, mut rng: Rng, done: Arc<AtomicBool>) -> usize {
    let mut kills = 0;
    while !done.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_millis(150 + rng.below(400))).await;
        let mut s = services.lock().await;
        let victim = if rng.below(4) == 0 {
            &mut s.payment
        } else {
            &mut s.fulfillment
        };
        victim.kill9();
        kills += 1;
        drop(s);
        tokio::time::sleep(Duration::from_millis(20 + rng.below(150))).await;
        let mut guard = services.lock().await;
        let s = &mut *guard;
        for service in [&mut s.payment, &mut s.fulfillment] {
            if !service.running() {
                service.start().await;
            }
        }
    }
    kills
}

async fn every_saga_ends_in_one_clean_state(backend: TestBackend) {
    platform::telemetry::init_for_tests();
    let orders: usize = std::env::var("SAGA_CRASH_SAGAS").map_or(200, |n| n.parse().unwrap());
    let seed: u64 = std::env::var("SAGA_CRASH_SEED").map_or_else(
        |_| u64::from(uuid::Uuid::new_v4().as_fields().0) | 1,
        |s| s.parse().unwrap(),
    );
    println!("crash run on {backend:?}: {orders} orders, SAGA_CRASH_SEED={seed}");
    let (fdb, pdb) = databases(backend).await;
    let services = Arc::new(Mutex::new(services(fdb.url(), pdb.url()).await));
    stock_up(&services.lock().await.fulfillment.url(), orders as i64).await;

    let done = Arc::new(AtomicBool::new(false));
    let killer = tokio::spawn(chaos(services.clone(), Rng(seed), done.clone()));
    let workers = 4;
    let clients: Vec<_> = (0..workers)
        .map(|w| {
            let share = orders / workers + usize::from(w < orders % workers);
            tokio::spawn(client(
                services.clone(),
                Rng(seed.wrapping_mul(w as u64 + 3) | 1),
                share,
                w,
            ))
        })
        .collect();
    for c in clients {
        c.await.unwrap();
    }
    done.store(true, Ordering::SeqCst);
    let kills = killer.await.unwrap();
    println!("{kills} kills");
    assert!(kills > 0, "the run must have killed something");

    let db = open(&fdb).await;
    wait_until_every_saga_ended(&db).await;
    let ends = invariants::endings(&db).await;
    println!("sagas ended: {ends:?}");
    let ended = |status: &str| ends.iter().any(|(s, n)| s == status && *n > 0);
    assert!(
        ended("completed") && ended("compensated"),
        "the run must see sagas both complete and compensate: {ends:?}"
    );
    let payments_url = services.lock().await.payment.url();
    let bad = invariants::violations(&db, &payments_url).await;
    assert!(
        bad.is_empty(),
        "{} violation(s):\n{}",
        bad.len(),
        bad.join("\n")
    );
}

/// A fresh database for each service.
async fn databases(backend: TestBackend) -> (TestDatabase, TestDatabase) {
    tokio::task::spawn_blocking(move || {
        (TestDatabase::create(backend), TestDatabase::create(backend))
    })
    .await
    .unwrap()
}

/// `units` of the widget `W-1`, at 12.50 EUR each.
async fn stock_up(fulfillment_url: &str, units: i64) {
    let http = reqwest::Client::new();
    let item = json!({"name": "Widget", "unit_price": {"amount": "12.50", "currency": "EUR"}});
    let res = http
        .put(format!("{fulfillment_url}/v2/stock/W-1"))
        .json(&item)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    let stock = json!({"delta": units, "reason": "crash run"});
    let res = http
        .post(format!("{fulfillment_url}/v2/stock/W-1/adjustments"))
        .json(&stock)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

/// The fulfillment database, as the checker reads it.
async fn open(database: &TestDatabase) -> Db {
    let mut settings = database.settings.clone();
    settings.pool_size = 2;
    tokio::task::spawn_blocking(move || Db::connect(&settings, fulfillment::migrations()).unwrap())
        .await
        .unwrap()
}

async fn wait_until_every_saga_ended(db: &Db) {
    #[derive(diesel::QueryableByName)]
    struct Open {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    for _ in 0..1200 {
        let open = db
            .read(|c| {
                use diesel::RunQueryDsl;
                diesel::sql_query(
                    "SELECT COUNT(*) AS n FROM sagas WHERE next_attempt_at IS NOT NULL",
                )
                .get_result::<Open>(c)
                .map_err(platform::db::DbError::from)
            })
            .await
            .unwrap();
        if open.n == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("sagas still unfinished two minutes after the last kill");
}

platform::both_backends!(every_saga_ends_in_one_clean_state);
