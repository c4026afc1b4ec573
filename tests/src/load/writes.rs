//! The lost-or-doubled-writes check: every acknowledged write is read back
//! from the system of record, and each is there exactly once, with nothing
//! there that was not acknowledged.
//!
//! With sync both ways (docs/data.md, "Sync while both sides live") the
//! monolith holds every write, whichever side took it: the orders it took,
//! the refunds it took in `legacy`, `shadow`, `canary` (payments outside the
//! cohort) and after a rollback, and those the payment service took in
//! `canary` and `new`, which its sync carried over ([`held_in_monolith`] is
//! true for all). The check runs once both outboxes are drained; what the
//! service holds is then compared record for record with the monolith by
//! verify (`strangler_data::verify`), so a write held once in the monolith
//! and no difference there means it is held once on both sides.

use super::record::{Op, Run, Write};
use anyhow::{Context, bail};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Whether the monolith must hold this acknowledged write once sync has
/// drained: every write, whoever took it (`x-strangler-backend`), since
/// sync carries the service's writes to the monolith.
pub fn held_in_monolith(_write: &Write) -> bool {
    true
}

/// What the check found wrong, one line each (empty: nothing lost or doubled).
pub async fn check(
    client: &reqwest::Client,
    monolith: &str,
    run: &Run,
) -> anyhow::Result<Vec<String>> {
    let held: Vec<&Write> = run.writes.iter().filter(|w| held_in_monolith(w)).collect();
    let mut problems = Vec::new();
    if let Some(w) = held.iter().find(|w| w.id < 0) {
        problems.push(format!("an acknowledged {} without an id", w.op.name()));
    }
    problems.extend(check_orders(client, monolith, run).await?);
    problems.extend(check_refunds(client, monolith, &held).await?);
    Ok(problems)
}

/// Orders are the monolith's in every phase (no route moves them): each
/// customer's orders are exactly the acknowledged ones, made before the run
/// or during it.
async fn check_orders(
    client: &reqwest::Client,
    monolith: &str,
    run: &Run,
) -> anyhow::Result<Vec<String>> {
    let mut acknowledged: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
    for w in run.writes.iter().filter(|w| w.op == Op::CreateOrder) {
        acknowledged.entry(w.customer).or_default().insert(w.id);
    }
    let mut problems = Vec::new();
    for (customer, expected) in &acknowledged {
        let url = format!("{monolith}/api/v1/customers/{customer}/orders");
        let found = ids(client, &url).await?;
        problems.extend(compare(
            &format!("customer {customer}'s orders"),
            expected,
            &found,
        ));
    }
    Ok(problems)
}

/// Each payment's refunds in the monolith are exactly the acknowledged
/// ones, whichever side took them: every payment of an acknowledged order is
/// read, so a refund taken without an acknowledgement shows as well.
async fn check_refunds(
    client: &reqwest::Client,
    monolith: &str,
    held: &[&Write],
) -> anyhow::Result<Vec<String>> {
    let mut acknowledged: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
    for w in held.iter().filter(|w| w.op == Op::CreateOrder) {
        acknowledged.entry(w.payment).or_default();
    }
    for w in held.iter().filter(|w| w.op == Op::Refund) {
        acknowledged.entry(w.payment).or_default().insert(w.id);
    }
    let mut problems = Vec::new();
    for (payment, expected) in &acknowledged {
        let url = format!("{monolith}/api/v1/payments/{payment}/refunds");
        let found = ids(client, &url).await?;
        problems.extend(compare(
            &format!("payment {payment}'s refunds"),
            expected,
            &found,
        ));
    }
    Ok(problems)
}

/// Lost (acknowledged, not found), doubled (found twice) and unexpected
/// (found, never acknowledged) ids.
fn compare(what: &str, expected: &BTreeSet<i64>, found: &[i64]) -> Vec<String> {
    let mut seen: BTreeMap<i64, usize> = BTreeMap::new();
    for id in found {
        *seen.entry(*id).or_default() += 1;
    }
    let mut problems = Vec::new();
    for id in expected.iter().filter(|id| !seen.contains_key(id)) {
        problems.push(format!("{what}: {id} acknowledged, not found (lost)"));
    }
    for (id, n) in &seen {
        if *n > 1 {
            problems.push(format!("{what}: {id} found {n} times (doubled)"));
        } else if !expected.contains(id) {
            problems.push(format!("{what}: {id} found, never acknowledged"));
        }
    }
    problems
}

/// Every item's `id` of a legacy paged list.
async fn ids(client: &reqwest::Client, url: &str) -> anyhow::Result<Vec<i64>> {
    let mut all = Vec::new();
    for page in 1.. {
        let res = client
            .get(format!("{url}?page={page}&per_page=100"))
            .send()
            .await
            .with_context(|| format!("reading {url}"))?;
        if !res.status().is_success() {
            bail!("reading {url}: {}", res.status());
        }
        let body: Value = res.json().await?;
        let items = body["items"].as_array().cloned().unwrap_or_default();
        all.extend(items.iter().filter_map(|i| i["id"].as_i64()));
        let total = body["total"].as_u64().unwrap_or(0) as usize;
        if items.is_empty() || all.len() >= total {
            break;
        }
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lost_doubled_and_unexpected_are_told_apart() {
        let expected: BTreeSet<i64> = [1, 2, 3].into();
        let problems = compare("x", &expected, &[1, 3, 3, 4]);
        assert_eq!(
            problems,
            [
                "x: 2 acknowledged, not found (lost)",
                "x: 3 found 2 times (doubled)",
                "x: 4 found, never acknowledged",
            ]
        );
        assert!(compare("x", &expected, &[3, 2, 1]).is_empty());
    }
}
