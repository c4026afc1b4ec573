//! The simulated customers and what they own: set up through the proxy (the
//! way a client population grows), then shared by the generator's tasks.

use anyhow::{Context, bail};
use serde_json::{Value, json};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The item every order buys.
pub const SKU: &str = "LOAD-1";
/// Its price in minor units.
pub const PRICE: i64 = 1999;

/// How many customers, and how many paid orders each has before the run.
#[derive(Debug, Clone, Copy)]
pub struct Population {
    /// Simulated customers, one task each.
    pub customers: usize,
    /// Paid orders made for each before the run starts.
    pub orders_each: usize,
}

/// One simulated customer: its legacy id and the orders it placed.
#[derive(Debug)]
pub struct Customer {
    /// Legacy customer id; also its `x-customer-id` (the sticky identity).
    pub id: i64,
    /// `(order, payment)` legacy ids.
    pub orders: Mutex<Vec<(i64, i64)>>,
}

/// How long after its order a payment made during the run may be refunded:
/// a customer does not refund within milliseconds, and with sync the other
/// side holds the payment by then (its owner in `canary` or `new` may be the
/// payment service, which learns of a monolith payment through sync).
pub const REFUND_AFTER: Duration = Duration::from_secs(2);

/// The payments the customers act on through the `payments` route.
///
/// Reads go to the *read pool*: payments made before the run and never
/// refunded, so both sides answer them alike and any shadow difference on
/// them is planted or noise, never drift. Refunds go to the *refund pool*,
/// which grows with the run's own orders (each refundable [`REFUND_AFTER`] after
/// its order) while it is open. A run without sync closes it before it
/// copies the payments to the new side (payments made in the monolith after
/// that do not exist there).
#[derive(Debug, Default)]
pub struct Pools {
    /// Payments for reads.
    pub read: Vec<i64>,
    /// Payments and when they may first be refunded.
    refund: Mutex<Vec<(i64, Instant)>>,
    refund_closed: AtomicBool,
}

impl Pools {
    /// A payment to refund, picked by `n` among those refundable now.
    pub fn refundable(&self, n: usize) -> Option<i64> {
        let pool = self.refund.lock().ok()?;
        let now = Instant::now();
        let ready = pool.iter().filter(|(_, from)| *from <= now).count();
        // Added in order of time: the ready ones come first.
        (ready > 0).then(|| pool[n % ready].0)
    }

    /// Adds a payment made before the run (refundable at once).
    fn add_made_before(&mut self, payment: i64) {
        if let Ok(pool) = self.refund.get_mut() {
            pool.push((payment, Instant::now()));
        }
    }

    /// Adds a payment made during the run, refundable [`REFUND_AFTER`] from
    /// now, unless the pool is closed.
    pub fn add_refundable(&self, payment: i64) {
        if !self.refund_closed.load(Ordering::SeqCst)
            && let Ok(mut pool) = self.refund.lock()
        {
            pool.push((payment, Instant::now() + REFUND_AFTER));
        }
    }

    /// From now on the run's new payments are not refunded.
    pub fn close_refunds(&self) {
        self.refund_closed.store(true, Ordering::SeqCst);
    }
}

/// Creates the item with plenty of stock, the customers and their first
/// paid orders, through `proxy`.
pub async fn populate(
    client: &reqwest::Client,
    proxy: &str,
    population: Population,
) -> anyhow::Result<(Vec<Customer>, Pools)> {
    let item = json!({"nm": "Load item", "px": PRICE, "cur": "EUR"});
    send(
        client
            .put(format!("{proxy}/api/v1/inventory/{SKU}"))
            .json(&item),
    )
    .await?;
    let stock = json!({"dq": 1_000_000, "rsn": "load test stock"});
    send(
        client
            .post(format!("{proxy}/api/v1/inventory/{SKU}/adjust"))
            .json(&stock),
    )
    .await?;
    let mut customers = Vec::with_capacity(population.customers);
    let mut pools = Pools::default();
    for n in 0..population.customers {
        let body = json!({"nm": format!("Customer {n}"), "eml": format!("c{n}@example.com"),
            "bill": {"nm": format!("Customer {n}"), "ln1": "1 Load Lane", "city": "Leeds", "zip": "LS1", "ctry": "GB"}});
        let created = send(client.post(format!("{proxy}/api/v1/customers")).json(&body)).await?;
        let id = created["id"].as_i64().context("a customer without an id")?;
        let mut orders = Vec::new();
        for k in 0..population.orders_each {
            let order = send(
                client
                    .post(format!("{proxy}/api/v1/orders"))
                    .json(&order_body(id)),
            )
            .await?;
            let pair = order_ids(&order)?;
            orders.push(pair);
            if k % 2 == 0 {
                pools.read.push(pair.1);
            } else {
                pools.add_made_before(pair.1);
            }
        }
        customers.push(Customer {
            id,
            orders: Mutex::new(orders),
        });
    }
    Ok((customers, pools))
}

/// The body of one order of one item, paid by card.
pub fn order_body(customer: i64) -> Value {
    json!({"cust": customer, "lines": [{"sku": SKU, "qty": 1}], "pm": "card", "tok": "tok_visa"})
}

/// `(order, payment)` of a legacy order answer.
pub fn order_ids(order: &Value) -> anyhow::Result<(i64, i64)> {
    match (order["id"].as_i64(), order["pay"].as_i64()) {
        (Some(id), Some(pay)) => Ok((id, pay)),
        _ => bail!("an order answer without `id` and `pay`: {order}"),
    }
}

async fn send(request: reqwest::RequestBuilder) -> anyhow::Result<Value> {
    let res = request.send().await.context("setting up the load")?;
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        bail!("setting up the load: {status}: {body}");
    }
    Ok(body)
}
