//! `cargo run -p bench-migration --release --bin saga -- [--release] [--rounds 5]`:
//! placing orders through the fulfillment service's order saga (`POST
//! /v2/sagas`: reserve stock → charge in the payment service → confirm, each
//! step persisted) next to the monolith's in-process order flow (`POST
//! /api/v1/orders`, one transaction), at the same closed-loop load (`--clients`
//! each placing one order after another), on the same local stack, the two
//! alternating round by round. Prints each round's orders per second and
//! client p50/p99, and the saga's p99 over the monolith's as a median with its
//! range over the rounds (the bar: at most 3).

use anyhow::{Context, bail};
use bench_migration::running::Stack;
use clap::Parser;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

#[derive(Debug, Parser)]
struct Args {
    /// Rounds; each measures both flows.
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Clients placing orders at once.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Orders per flow and round.
    #[arg(long, default_value_t = 400)]
    orders: usize,
    /// Run the stack's release binaries (what the figures in the docs use).
    #[arg(long)]
    release: bool,
}

/// One flow's figures in one round.
#[derive(Debug, Clone, Copy)]
struct Figures {
    per_second: f64,
    p50: Duration,
    p99: Duration,
}

/// Where and what to post for one order.
#[derive(Clone)]
struct Flow {
    url: String,
    body: Value,
    /// The answer that means placed.
    placed: u16,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let stack = Stack::start(args.release)?;
    let monolith = stack.cli("printf %s \"$MONOLITH\"")?;
    let fulfillment = stack.cli("printf %s \"$FULFILLMENT\"")?;
    let http = reqwest::Client::new();
    let stock = (args.rounds * args.orders + 100) as i64;
    let customer = prepare_monolith(&http, &monolith, stock).await?;
    prepare_fulfillment(&http, &fulfillment, stock).await?;
    let flows = [
        Flow {
            url: format!("{monolith}/api/v1/orders"),
            body: json!({"cust": customer, "lines": [{"sku": "B-1", "qty": 1}], "pm": "card", "tok": "tok_visa"}),
            placed: 201,
        },
        Flow {
            url: format!("{fulfillment}/v2/sagas"),
            body: json!({"kind": "place_order", "customer_legacy_id": customer, "method": "card",
                "card_token": "tok_visa", "lines": [{"sku": "B-1", "quantity": 1}]}),
            placed: 201,
        },
    ];
    // A warm-up of each, not counted.
    for flow in &flows {
        load(&http, flow, args.clients, args.clients * 4, "warm-up").await?;
    }
    let mut rounds = Vec::new();
    for round in 0..args.rounds {
        // Alternate which goes first, so a drift of the machine hits both.
        let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        let mut figures = [None, None];
        for i in order {
            let tag = format!("r{round}f{i}");
            figures[i] = Some(load(&http, &flows[i], args.clients, args.orders, &tag).await?);
        }
        let [Some(m), Some(s)] = figures else {
            unreachable!()
        };
        rounds.push((m, s));
    }
    drop(stack);
    println!("{}", table(&rounds, &args));
    Ok(())
}

/// The monolith's item `B-1` with `stock` units and one customer; its id.
async fn prepare_monolith(http: &reqwest::Client, url: &str, stock: i64) -> anyhow::Result<i64> {
    let item = json!({"nm": "Bench item", "px": 1250, "cur": "EUR"});
    send(http.put(format!("{url}/api/v1/inventory/B-1")).json(&item)).await?;
    let adjust = json!({"dq": stock, "rsn": "bench"});
    send(
        http.post(format!("{url}/api/v1/inventory/B-1/adjust"))
            .json(&adjust),
    )
    .await?;
    let customer = json!({"nm": "Bench", "eml": "bench@example.com",
        "bill": {"nm": "Bench", "ln1": "1 Bench Road", "city": "Leeds", "zip": "LS1", "ctry": "GB"}});
    let created = send(http.post(format!("{url}/api/v1/customers")).json(&customer)).await?;
    created["id"].as_i64().context("a customer without an id")
}

/// The fulfillment service's item `B-1` with `stock` units.
async fn prepare_fulfillment(http: &reqwest::Client, url: &str, stock: i64) -> anyhow::Result<()> {
    let item = json!({"name": "Bench item", "unit_price": {"amount": "12.50", "currency": "EUR"}});
    send(http.put(format!("{url}/v2/stock/B-1")).json(&item)).await?;
    let adjust = json!({"delta": stock, "reason": "bench"});
    send(
        http.post(format!("{url}/v2/stock/B-1/adjustments"))
            .json(&adjust),
    )
    .await?;
    Ok(())
}

async fn send(request: reqwest::RequestBuilder) -> anyhow::Result<Value> {
    let res = request.send().await.context("setting up")?;
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        bail!("set-up answered {status}: {body}");
    }
    Ok(body)
}

/// `orders` orders placed by `clients` clients, each one after another
/// (each with its own idempotency key); any answer but `placed` fails the
/// bench.
async fn load(
    http: &reqwest::Client,
    flow: &Flow,
    clients: usize,
    orders: usize,
    tag: &str,
) -> anyhow::Result<Figures> {
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let (http, flow) = (http.clone(), flow.clone());
            let share = orders / clients + usize::from(c < orders % clients);
            let tag = format!("{tag}-{c}");
            tokio::spawn(async move {
                let mut took = Vec::with_capacity(share);
                for n in 0..share {
                    let sent = Instant::now();
                    let res = http
                        .post(&flow.url)
                        .header("Idempotency-Key", format!("bench-{tag}-{n}"))
                        .json(&flow.body)
                        .send()
                        .await?;
                    let status = res.status().as_u16();
                    let body = res.bytes().await?;
                    if status != flow.placed {
                        bail!(
                            "{} answered {status}: {}",
                            flow.url,
                            String::from_utf8_lossy(&body)
                        );
                    }
                    took.push(sent.elapsed());
                }
                Ok(took)
            })
        })
        .collect();
    let mut took = Vec::with_capacity(orders);
    for task in tasks {
        took.extend(task.await??);
    }
    let wall = started.elapsed();
    took.sort();
    let at = |q: f64| took[((took.len() as f64 * q).ceil() as usize).clamp(1, took.len()) - 1];
    Ok(Figures {
        per_second: took.len() as f64 / wall.as_secs_f64(),
        p50: at(0.50),
        p99: at(0.99),
    })
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Each round's figures, then the ratios' medians and ranges, as Markdown.
fn table(rounds: &[(Figures, Figures)], args: &Args) -> String {
    let mut out = format!(
        "{} build, {} clients, {} orders per flow and round\n\n\
         | round | monolith orders/s | saga orders/s | monolith p50 / p99 | saga p50 / p99 | saga p99 / monolith p99 |\n\
         |---:|---:|---:|---:|---:|---:|\n",
        if args.release { "release" } else { "debug" },
        args.clients,
        args.orders
    );
    let mut p99_ratios = Vec::new();
    let mut rate_ratios = Vec::new();
    for (i, (m, s)) in rounds.iter().enumerate() {
        let p99 = s.p99.as_secs_f64() / m.p99.as_secs_f64();
        p99_ratios.push(p99);
        rate_ratios.push(s.per_second / m.per_second);
        out.push_str(&format!(
            "| {} | {:.0} | {:.0} | {} / {} | {} / {} | {p99:.2} |\n",
            i + 1,
            m.per_second,
            s.per_second,
            ms(m.p50),
            ms(m.p99),
            ms(s.p50),
            ms(s.p99)
        ));
    }
    let summary = |name: &str, ratios: &mut Vec<f64>| {
        ratios.sort_by(f64::total_cmp);
        format!(
            "{name}: median {:.2}, range {:.2}–{:.2} over {} rounds\n",
            ratios[ratios.len() / 2],
            ratios[0],
            ratios[ratios.len() - 1],
            ratios.len()
        )
    };
    out.push('\n');
    out.push_str(&summary(
        "saga p99 / monolith p99 (bar: at most 3)",
        &mut p99_ratios,
    ));
    out.push_str(&summary(
        "saga orders/s / monolith orders/s",
        &mut rate_ratios,
    ));
    out
}
