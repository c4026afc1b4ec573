//! The traffic generator: one task per simulated customer, each sending a
//! mix of reads, orders and refunds through the proxy until stopped, every
//! outcome recorded. Every write carries an `Idempotency-Key`; one whose
//! answer leaves unknown whether it happened ([`outcome_unknown`]) is sent
//! again with the same key until the answer is known, as a careful client
//! does. The test or benchmark marks each mode change it makes, and a run
//! without sync may freeze writes for a cut-over (a route then moves to the
//! new side with no write in flight).

use super::record::{Mark, Op, Outcome, Run, Write, outcome_unknown};
use super::workload::{self, Customer, Pools, Population};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

/// How the customers behave.
#[derive(Debug, Clone, Copy)]
pub struct Traffic {
    /// Who, and what they own before the run.
    pub population: Population,
    /// The pause between one customer's requests.
    pub think: Duration,
    /// A request without an answer after this is a transport error.
    pub timeout: Duration,
}

struct Shared {
    proxy: String,
    client: reqwest::Client,
    traffic: Traffic,
    pools: Pools,
    started: Instant,
    stop: AtomicBool,
    frozen: AtomicBool,
    writes_in_flight: AtomicUsize,
    phase: AtomicUsize,
    outcomes: Mutex<Vec<Outcome>>,
    writes: Mutex<Vec<Write>>,
    marks: Mutex<Vec<Mark>>,
}

/// A generator at work.
pub struct Generator {
    shared: Arc<Shared>,
    tasks: JoinSet<()>,
}

impl Generator {
    /// Sets the customers up through `proxy` and starts them; the first
    /// phase is `first_phase`.
    pub async fn start(proxy: &str, traffic: Traffic, first_phase: &str) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(traffic.timeout)
            .build()?;
        let (customers, pools) = workload::populate(&client, proxy, traffic.population).await?;
        let shared = Arc::new(Shared {
            proxy: proxy.to_owned(),
            client,
            traffic,
            pools,
            started: Instant::now(),
            stop: AtomicBool::new(false),
            frozen: AtomicBool::new(false),
            writes_in_flight: AtomicUsize::new(0),
            phase: AtomicUsize::new(0),
            outcomes: Mutex::new(Vec::new()),
            writes: Mutex::new(Vec::new()),
            marks: Mutex::new(vec![Mark {
                at: Duration::ZERO,
                label: first_phase.to_owned(),
            }]),
        });
        let seeded = customers.iter().flat_map(|c| {
            let orders = lock(&c.orders).clone();
            orders.into_iter().map(|(order, payment)| Write {
                op: Op::CreateOrder,
                id: order,
                customer: c.id,
                payment,
                amount: workload::PRICE,
                phase: 0,
                backend: "legacy".to_owned(),
            })
        });
        lock(&shared.writes).extend(seeded);
        let mut tasks = JoinSet::new();
        for (n, customer) in customers.into_iter().enumerate() {
            tasks.spawn(shop(shared.clone(), customer, n));
        }
        Ok(Self { shared, tasks })
    }

    /// Marks a mode change: the requests sent from now on belong to a new
    /// phase called `label`.
    pub fn mark(&self, label: &str) {
        let mut marks = lock(&self.shared.marks);
        marks.push(Mark {
            at: self.shared.started.elapsed(),
            label: label.to_owned(),
        });
        self.shared.phase.store(marks.len() - 1, Ordering::SeqCst);
    }

    /// The payments that are only read (see [`Pools`]).
    pub fn read_pool(&self) -> &[i64] {
        &self.shared.pools.read
    }

    /// Requests sent so far.
    pub fn requests(&self) -> usize {
        lock(&self.shared.outcomes).len()
    }

    /// Waits until `more` further requests have ended.
    pub async fn run_for(&self, more: usize) {
        let target = self.requests() + more;
        while self.requests() < target {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops taking writes and returns once none is in flight; reads go on.
    pub async fn freeze_writes(&self) {
        self.shared.frozen.store(true, Ordering::SeqCst);
        while self.shared.writes_in_flight.load(Ordering::SeqCst) > 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Takes writes again.
    pub fn thaw_writes(&self) {
        self.shared.frozen.store(false, Ordering::SeqCst);
    }

    /// Payments made from now on are not refunded (they are not on the new
    /// side: see [`Pools`]).
    pub fn close_refund_pool(&self) {
        self.shared.pools.close_refunds();
    }

    /// Stops every customer and returns what the run recorded.
    pub async fn stop(mut self) -> Run {
        self.shared.stop.store(true, Ordering::SeqCst);
        while self.tasks.join_next().await.is_some() {}
        Run {
            outcomes: std::mem::take(&mut *lock(&self.shared.outcomes)),
            writes: std::mem::take(&mut *lock(&self.shared.writes)),
            marks: lock(&self.shared.marks).clone(),
            duration: self.shared.started.elapsed(),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The mix, by a customer's request counter: half the requests read a
/// payment, a fifth read an order, the rest write.
fn pick(step: usize) -> Op {
    match step % 20 {
        0..10 => Op::ReadPayment,
        10..14 => Op::ReadOrder,
        14..17 => Op::CreateOrder,
        _ => Op::Refund,
    }
}

/// One customer's loop.
async fn shop(shared: Arc<Shared>, customer: Customer, n: usize) {
    let mut step = n; // customers start at different points of the mix
    while !shared.stop.load(Ordering::SeqCst) {
        step += 1;
        let mut op = pick(step);
        let writing = !op.is_safe();
        if writing {
            // Counted before the look at the freeze, so a freeze that sees
            // no write in flight sees every later one frozen.
            shared.writes_in_flight.fetch_add(1, Ordering::SeqCst);
            if shared.frozen.load(Ordering::SeqCst) {
                shared.writes_in_flight.fetch_sub(1, Ordering::SeqCst);
                op = Op::ReadPayment;
            }
        }
        request(&shared, &customer, op, step).await;
        if !op.is_safe() {
            shared.writes_in_flight.fetch_sub(1, Ordering::SeqCst);
        }
        tokio::time::sleep(shared.traffic.think).await;
    }
}

/// Sends one request of `op` as `customer` and records how it ended.
async fn request(shared: &Shared, customer: &Customer, op: Op, step: usize) {
    let base = &shared.proxy;
    let own_order = {
        let orders = lock(&customer.orders);
        (!orders.is_empty()).then(|| orders[step % orders.len()])
    };
    let (builder, payment) = match op {
        Op::ReadPayment => {
            let pay =
                shared.pools.read[(step * 7919 + customer.id as usize) % shared.pools.read.len()];
            (
                shared.client.get(format!("{base}/api/v1/payments/{pay}")),
                pay,
            )
        }
        Op::ReadOrder => match own_order {
            Some((order, pay)) => (
                shared.client.get(format!("{base}/api/v1/orders/{order}")),
                pay,
            ),
            None => return,
        },
        Op::CreateOrder => (
            shared
                .client
                .post(format!("{base}/api/v1/orders"))
                .json(&workload::order_body(customer.id)),
            0,
        ),
        Op::Refund => match shared.pools.refundable(step * 31 + customer.id as usize) {
            Some(pay) => (
                shared
                    .client
                    .post(format!("{base}/api/v1/payments/{pay}/refunds"))
                    .json(&json!({"amt": 1, "rsn": "load"})),
                pay,
            ),
            None => return,
        },
    };
    // A write carries an Idempotency-Key: a client that cannot tell whether
    // it happened sends it again, with the same key, until it can.
    let key = (!op.is_safe()).then(|| uuid::Uuid::new_v4().to_string());
    let first = Instant::now();
    for attempt_no in 1.. {
        let Some(mut attempt) = builder.try_clone() else {
            return;
        };
        if let Some(key) = &key {
            attempt = attempt.header("Idempotency-Key", key);
        }
        let (mut outcome, body) = send(shared, customer, op, attempt).await;
        if attempt_no > 1 {
            // A repeat: only the owner's own verdict settles the first
            // attempt (done, or refused); the proxy's "nothing sent" says
            // nothing about it.
            let refused = outcome.status.is_some_and(|s| (400..500).contains(&s));
            outcome.unknown = !(outcome.succeeded() || refused);
        }
        let repeat = outcome.unknown
            && first.elapsed() < shared.traffic.timeout
            && !shared.stop.load(Ordering::SeqCst);
        if !op.is_safe() && outcome.succeeded() {
            let backend = outcome.backend.clone();
            acknowledged(shared, customer, op, payment, &body, outcome.phase, backend);
        }
        lock(&shared.outcomes).push(Outcome {
            repeated: repeat,
            ..outcome
        });
        if !repeat {
            return;
        }
        tokio::time::sleep(shared.traffic.think).await;
    }
}

/// Sends one attempt of `op` as `customer`: how it ended, and the answer's
/// body.
async fn send(
    shared: &Shared,
    customer: &Customer,
    op: Op,
    attempt: reqwest::RequestBuilder,
) -> (Outcome, Value) {
    let phase = shared.phase.load(Ordering::SeqCst);
    let at = shared.started.elapsed();
    let sent = Instant::now();
    let answer = attempt
        .header("x-customer-id", customer.id.to_string())
        .send()
        .await;
    let (status, backend, body) = match answer {
        Ok(res) => {
            let status = res.status().as_u16();
            let backend = res
                .headers()
                .get("x-strangler-backend")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            // A body cut short is a transport error too.
            match res.json::<Value>().await {
                Ok(body) => (Some(status), backend, body),
                Err(_) if status == 204 => (Some(status), backend, Value::Null),
                Err(_) => (None, backend, Value::Null),
            }
        }
        Err(_) => (None, None, Value::Null),
    };
    let outcome = Outcome {
        at,
        latency: sent.elapsed(),
        op,
        status,
        backend,
        phase,
        unknown: !op.is_safe() && outcome_unknown(status, &body),
        repeated: false,
    };
    (outcome, body)
}

/// Keeps an acknowledged write's id (and a new order for its customer).
fn acknowledged(
    shared: &Shared,
    customer: &Customer,
    op: Op,
    payment: i64,
    body: &Value,
    phase: usize,
    backend: Option<String>,
) {
    let write = match op {
        Op::CreateOrder => match workload::order_ids(body) {
            Ok((order, pay)) => {
                lock(&customer.orders).push((order, pay));
                shared.pools.add_refundable(pay);
                Some((order, pay, body["tot"].as_i64().unwrap_or(workload::PRICE)))
            }
            Err(_) => None,
        },
        _ => body["id"].as_i64().map(|id| (id, payment, 1)),
    };
    // Acknowledged without an id: kept as a write the check reports.
    let (id, payment, amount) = write.unwrap_or((-1, payment, 0));
    lock(&shared.writes).push(Write {
        op,
        id,
        customer: customer.id,
        payment,
        amount,
        phase,
        backend: backend.unwrap_or_default(),
    });
}
