//! `cargo run -p bench-migration --release -- [--write]`: the migration of
//! `payments` under load, on the real local stack (`stack`, its four
//! processes on their embedded defaults), with more traffic than the
//! end-to-end test `under_load`: legacy (the legacy-only baseline) → shadow
//! → new → the payment service stopped (`stack stop payment`) → the
//! watchdog's rollback → new again. It prints each phase's client p50/p99
//! next to the legacy phase's as a Markdown table (the one in
//! docs/performance.md) and writes the chart; `--write` puts it into
//! `docs/migration-under-load-bench.svg`.
//!
//! The load is the end-to-end tests' own (`e2e_tests::load`); the phases
//! are moved the way an operator moves them, with the `strangler` CLI of the
//! stack's `data/stack.env`.

mod phases;

use bench_migration::running;
use clap::Parser;
use e2e_tests::load::{Population, Run, Traffic, chart};
use std::path::PathBuf;
use std::time::Duration;

/// The migration of `payments` under load on the local stack.
#[derive(Debug, Parser)]
struct Args {
    /// Simulated customers (one task each).
    #[arg(long, default_value_t = 40)]
    customers: usize,
    /// Requests in each phase (the rollback's phases take what they take).
    #[arg(long, default_value_t = 3000)]
    requests: usize,
    /// A customer's pause between requests, in milliseconds.
    #[arg(long, default_value_t = 20)]
    think_ms: u64,
    /// Run the stack's release binaries (what the figures in the docs use).
    #[arg(long)]
    release: bool,
    /// Write the chart into docs/ (else into the target folder).
    #[arg(long)]
    write: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let traffic = Traffic {
        population: Population {
            customers: args.customers,
            orders_each: 4,
        },
        think: Duration::from_millis(args.think_ms),
        timeout: Duration::from_secs(30),
    };
    let stack = running::Stack::start(args.release)?;
    let run = phases::migrate(&stack, traffic, args.requests).await?;
    drop(stack);
    println!("{}", table(&run, args.release));
    let svg = chart::svg(
        &run,
        Duration::from_secs(1),
        "payments on the local stack: legacy → shadow → new → payment stopped → rollback → new",
    );
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let path = if args.write {
        root.join("docs/migration-under-load-bench.svg")
    } else {
        root.join("target/migration-under-load-bench.svg")
    };
    std::fs::write(&path, svg)?;
    println!("chart: {}", path.display());
    Ok(())
}

/// Each phase against the legacy phase, as Markdown.
fn table(run: &Run, release: bool) -> String {
    let phases = run.phases();
    let baseline = phases.first().map(|(_, s)| s.p99).unwrap_or_default();
    let mut out = format!(
        "| phase ({} build) | requests | errors | client p50 | client p99 | p99 / legacy-only p99 |\n|---|---:|---:|---:|---:|---:|\n",
        if release { "release" } else { "debug" }
    );
    for (label, s) in phases {
        let ratio = s.p99.as_secs_f64() / baseline.as_secs_f64().max(f64::MIN_POSITIVE);
        out.push_str(&format!(
            "| {label} | {} | {} | {:.1} ms | {:.1} ms | {ratio:.2} |\n",
            s.requests,
            s.errors,
            s.p50.as_secs_f64() * 1000.0,
            s.p99.as_secs_f64() * 1000.0
        ));
    }
    let mut errors = std::collections::BTreeMap::new();
    for o in run.outcomes.iter().filter(|o| !o.succeeded()) {
        let status = o.status.map_or("no answer".to_owned(), |s| s.to_string());
        *errors
            .entry((run.phase_label(o.phase).to_owned(), o.op.name(), status))
            .or_insert(0) += 1;
    }
    for ((phase, op, status), n) in errors {
        out.push_str(&format!("\n{phase}: {n} × {op} answered {status}"));
    }
    out.push('\n');
    let failed = run.failed_safe().len();
    let unknown = run.unknown_writes().len();
    out.push_str(&format!(
        "\nrequests safe to repeat that failed: {failed}; writes without an answer: {unknown}\n"
    ));
    out
}
