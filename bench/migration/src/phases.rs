//! The phases, moved as an operator moves them (the tutorial's commands),
//! with the load running throughout.

use bench_migration::running::Stack;
use e2e_tests::load::{Generator, Run, Traffic};
use std::time::{Duration, Instant};

/// Legacy → shadow → new → payment stopped → rollback → new again.
pub async fn migrate(stack: &Stack, traffic: Traffic, requests: usize) -> anyhow::Result<Run> {
    let load = Generator::start(&stack.proxy, traffic, "legacy").await?;
    // Refunds only to payments the service has (no sync yet: issue 29).
    load.close_refund_pool();
    backfill(stack)?;
    load.run_for(requests).await;

    stack.cli("strangler flags enable payments.shadow >/dev/null; strangler reload >/dev/null")?;
    load.mark("shadow");
    load.run_for(requests).await;

    // The cut, with no write in flight (sync would make it unnecessary).
    load.freeze_writes().await;
    backfill(stack)?;
    stack.cli("strangler flags enable payments.new >/dev/null; strangler reload >/dev/null")?;
    load.mark("new");
    load.thaw_writes();
    load.run_for(requests).await;

    stack.cli("stack stop payment >/dev/null")?;
    load.mark("payment stopped");
    wait_for_mode(stack, "shadow").await?;
    load.mark("rolled back: shadow");
    load.run_for(requests / 2).await;

    stack.cli("stack start payment >/dev/null; strangler flags enable payments.new >/dev/null; strangler reload >/dev/null")?;
    load.mark("new again");
    load.run_for(requests).await;
    Ok(load.stop().await)
}

/// `strangler backfill payments` from the monolith's API (again: idempotent).
fn backfill(stack: &Stack) -> anyhow::Result<()> {
    stack.cli("strangler backfill payments --from-api \"$MONOLITH\" --to \"$PAYMENT\" --from-start >/dev/null 2>&1")?;
    Ok(())
}

/// Waits (a minute at most) until `strangler routes` shows payments in `mode`.
async fn wait_for_mode(stack: &Stack, mode: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let routes = stack.cli("strangler routes")?;
        let now = routes
            .lines()
            .find_map(|l| l.strip_prefix("payments").map(str::split_whitespace))
            .and_then(|mut words| words.next().map(str::to_owned));
        if now.as_deref() == Some(mode) {
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "payments never moved to {mode}: {routes}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
