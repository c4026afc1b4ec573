//! The invariant checker: reads the fulfillment database (sagas, orders,
//! lines, reservations, stock, outbox) and every payment the payment service
//! holds, and lists each broken rule. After every saga has ended:
//! - every saga is terminal;
//! - a confirmed order is paid exactly once, in full; a pending order is an
//!   invoice order with exactly one authorisation of its total; a cancelled
//!   order has no money kept;
//! - no money is kept for an order that does not exist;
//! - no invoice stands for an order that does not exist, and no order has two
//!   invoices; a confirmed order's invoice is paid, a pending order's open, a
//!   cancelled order's void or credited (or it has none); an order that is
//!   confirmed or pending records its invoice;
//! - each item's `reserved` is the sum of its reservations, which belong to
//!   open orders only and match their lines: no stock leaked or reserved twice;
//! - the outbox has one `order.placed` per order, one `order.confirmed` per
//!   confirmed order, one `order.cancelled` per cancelled order.

use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::{QueryableByName, RunQueryDsl};
use platform::db::{Db, DbError};
use serde_json::Value;
use std::collections::HashMap;

#[derive(QueryableByName, Debug)]
struct SagaRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Nullable<Text>)]
    next_attempt_at: Option<String>,
}

#[derive(QueryableByName, Debug)]
struct OrderRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = BigInt)]
    legacy_id: i64,
    #[diesel(sql_type = Text)]
    state: String,
    #[diesel(sql_type = BigInt)]
    total_minor: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    payment_legacy_id: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    invoice_legacy_id: Option<i64>,
}

#[derive(QueryableByName, Debug)]
struct Quantity {
    #[diesel(sql_type = Text)]
    key: String,
    #[diesel(sql_type = Text)]
    sku: String,
    #[diesel(sql_type = BigInt)]
    quantity: i64,
}

/// What the fulfillment database holds.
struct Local {
    sagas: Vec<SagaRow>,
    orders: Vec<OrderRow>,
    lines: Vec<Quantity>,
    reservations: Vec<Quantity>,
    stock: Vec<Quantity>,
    events: Vec<(String, String)>,
}

async fn local(db: &Db) -> Local {
    db.read(|conn| {
        let q = diesel::sql_query;
        Ok::<_, DbError>(Local {
            sagas: q(
                "SELECT id, status, CAST(next_attempt_at AS TEXT) AS next_attempt_at FROM sagas",
            )
            .load(conn)?,
            orders: q(
                "SELECT id, legacy_id, state, total_minor, payment_legacy_id, invoice_legacy_id \
                 FROM orders",
            )
            .load(conn)?,
            lines: q("SELECT order_id AS key, sku, quantity FROM order_lines").load(conn)?,
            reservations: q("SELECT order_id AS key, sku, quantity FROM reservations")
                .load(conn)?,
            stock: q("SELECT sku AS key, sku, reserved AS quantity FROM stock_items").load(conn)?,
            events: platform::outbox::pending(conn, 1_000_000)?
                .into_iter()
                .map(|e| (e.aggregate_id, e.event_type))
                .collect(),
        })
    })
    .await
    .expect("read the fulfillment database")
}

#[derive(QueryableByName, Debug)]
struct Ending {
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// How many sagas ended in each status.
pub async fn endings(db: &Db) -> Vec<(String, i64)> {
    let rows: Vec<Ending> = db
        .read(|conn| {
            diesel::sql_query("SELECT status, COUNT(*) AS n FROM sagas GROUP BY status")
                .load(conn)
                .map_err(DbError::from)
        })
        .await
        .expect("count the sagas");
    rows.into_iter().map(|e| (e.status, e.n)).collect()
}

/// Every payment the payment service holds.
pub async fn all_payments(payments_url: &str) -> Vec<Value> {
    all_of(&format!("{payments_url}/v2/payments")).await
}

/// Every invoice the payment service holds.
pub async fn all_invoices(payments_url: &str) -> Vec<Value> {
    all_of(&format!("{payments_url}/v2/invoices")).await
}

/// Every record of a paged `/v2` list.
async fn all_of(list: &str) -> Vec<Value> {
    let client = reqwest::Client::new();
    let mut all = Vec::new();
    loop {
        let url = format!("{list}?limit=100&offset={}", all.len());
        let page: Value = client.get(url).send().await.unwrap().json().await.unwrap();
        let data = page["data"].as_array().unwrap();
        all.extend(data.iter().cloned());
        if data.is_empty() || all.len() as u64 >= page["total"].as_u64().unwrap() {
            return all;
        }
    }
}

fn minor(money: &Value) -> i64 {
    let text = money["amount"].as_str().unwrap();
    let (units, cents) = text.split_once('.').unwrap_or((text, "0"));
    units.parse::<i64>().unwrap() * 100 + format!("{cents:0<2}")[..2].parse::<i64>().unwrap()
}

/// What a payment still holds: an authorisation's amount, a capture's rest.
fn held(payment: &Value) -> i64 {
    match payment["status"].as_str().unwrap() {
        "authorized" => minor(&payment["amount"]),
        "captured" | "partially_refunded" => {
            minor(&payment["captured"]) - minor(&payment["refunded"])
        }
        _ => 0,
    }
}

/// Every broken rule, one line each; empty when all hold.
pub async fn violations(db: &Db, payments_url: &str) -> Vec<String> {
    let local = local(db).await;
    let payments = all_payments(payments_url).await;
    let invoices = all_invoices(payments_url).await;
    let mut bad = Vec::new();
    for saga in &local.sagas {
        let terminal = ["completed", "compensated", "failed"].contains(&saga.status.as_str());
        if !terminal || saga.next_attempt_at.is_some() {
            bad.push(format!("saga {} unfinished: {}", saga.id, saga.status));
        }
    }
    let mut by_order: HashMap<i64, Vec<&Value>> = HashMap::new();
    for p in &payments {
        by_order
            .entry(p["order_legacy_id"].as_i64().unwrap())
            .or_default()
            .push(p);
    }
    for order in &local.orders {
        let paid: Vec<&&Value> = by_order
            .get(&order.legacy_id)
            .map(|v| v.iter().filter(|p| held(p) > 0).collect())
            .unwrap_or_default();
        let kept: i64 = paid.iter().map(|p| held(p)).sum();
        let rule = match order.state.as_str() {
            "confirmed" => {
                paid.len() == 1 && kept == order.total_minor && paid[0]["status"] == "captured"
            }
            "pending" => {
                paid.len() == 1 && kept == order.total_minor && paid[0]["status"] == "authorized"
            }
            "cancelled" => kept == 0,
            _ => true,
        };
        if !rule {
            bad.push(format!(
                "order {} is {} for {} but payments keep {kept} in {} payment(s)",
                order.legacy_id,
                order.state,
                order.total_minor,
                paid.len()
            ));
        }
        if let (Some(recorded), [one]) = (order.payment_legacy_id, paid.as_slice())
            && one["legacy_id"].as_i64() != Some(recorded)
        {
            bad.push(format!(
                "order {} records payment {recorded}, not the one paying",
                order.legacy_id
            ));
        }
    }
    let known: std::collections::HashSet<i64> = local.orders.iter().map(|o| o.legacy_id).collect();
    for p in &payments {
        if !known.contains(&p["order_legacy_id"].as_i64().unwrap()) && held(p) > 0 {
            bad.push(format!(
                "payment {} keeps money for an order that does not exist",
                p["id"]
            ));
        }
    }
    billed(&local, &invoices, &mut bad);
    stock(&local, &mut bad);
    outbox(&local, &mut bad);
    bad
}

/// Each order's invoices against its state.
fn billed(local: &Local, invoices: &[Value], bad: &mut Vec<String>) {
    let mut by_order: HashMap<i64, Vec<&Value>> = HashMap::new();
    for i in invoices {
        by_order
            .entry(i["order_legacy_id"].as_i64().unwrap())
            .or_default()
            .push(i);
    }
    for order in &local.orders {
        let Some(mine) = by_order.remove(&order.legacy_id) else {
            if matches!(order.state.as_str(), "confirmed" | "pending") {
                bad.push(format!(
                    "order {} is {} without an invoice",
                    order.legacy_id, order.state
                ));
            }
            continue;
        };
        let [invoice] = mine.as_slice() else {
            bad.push(format!(
                "order {} has {} invoices",
                order.legacy_id,
                mine.len()
            ));
            continue;
        };
        let status = invoice["status"].as_str().unwrap();
        let fits = match order.state.as_str() {
            "confirmed" | "shipped" | "delivered" => status == "paid",
            "pending" => status == "open",
            "cancelled" => matches!(status, "void" | "credited"),
            _ => false,
        };
        if !fits {
            bad.push(format!(
                "order {} is {} but its invoice is {status}",
                order.legacy_id, order.state
            ));
        }
        let recorded = order.invoice_legacy_id;
        if order.state != "cancelled" && recorded != invoice["legacy_id"].as_i64() {
            bad.push(format!(
                "order {} records invoice {recorded:?}, not {}",
                order.legacy_id, invoice["legacy_id"]
            ));
        }
    }
    for (order, orphans) in by_order {
        bad.push(format!(
            "{} invoice(s) for order {order} that does not exist",
            orphans.len()
        ));
    }
}

fn stock(local: &Local, bad: &mut Vec<String>) {
    let state: HashMap<&str, &str> = local
        .orders
        .iter()
        .map(|o| (o.id.as_str(), o.state.as_str()))
        .collect();
    let mut reserved: HashMap<&str, i64> = HashMap::new();
    let mut held: HashMap<(&str, &str), i64> = HashMap::new();
    for r in &local.reservations {
        *reserved.entry(&r.sku).or_default() += r.quantity;
        *held.entry((&r.key, &r.sku)).or_default() += r.quantity;
        if !matches!(state.get(r.key.as_str()), Some(&"pending" | &"confirmed")) {
            bad.push(format!(
                "stock {} reserved for order {} that is not open",
                r.sku, r.key
            ));
        }
    }
    for item in &local.stock {
        let sum = reserved.get(item.sku.as_str()).copied().unwrap_or(0);
        if item.quantity != sum {
            bad.push(format!(
                "{} shows {} reserved, its reservations hold {sum}",
                item.sku, item.quantity
            ));
        }
    }
    for line in &local.lines {
        let open = matches!(
            state.get(line.key.as_str()),
            Some(&"pending" | &"confirmed")
        );
        let got = held
            .get(&(line.key.as_str(), line.sku.as_str()))
            .copied()
            .unwrap_or(0);
        if open && got != line.quantity {
            bad.push(format!(
                "open order {} holds {got} of {} for a line of {}",
                line.key, line.sku, line.quantity
            ));
        }
    }
}

fn outbox(local: &Local, bad: &mut Vec<String>) {
    let mut count: HashMap<(&str, &str), usize> = HashMap::new();
    for (aggregate, event) in &local.events {
        *count.entry((aggregate, event)).or_default() += 1;
    }
    for order in &local.orders {
        let n = |event| count.get(&(order.id.as_str(), event)).copied().unwrap_or(0);
        let expected_confirmed = usize::from(order.state == "confirmed");
        let expected_cancelled = usize::from(order.state == "cancelled");
        if n("order.placed") != 1
            || n("order.cancelled") != expected_cancelled
            || (expected_confirmed == 1 && n("order.confirmed") != 1)
            || n("order.confirmed") > 1
        {
            bad.push(format!(
                "order {} ({}) has placed/confirmed/cancelled events {}/{}/{}",
                order.legacy_id,
                order.state,
                n("order.placed"),
                n("order.confirmed"),
                n("order.cancelled")
            ));
        }
    }
}
