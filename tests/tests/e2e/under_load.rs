//! The migration of `payments` under continuous load: a dozen customers
//! read payments and orders, place orders and refund through the proxy
//! while the route goes legacy → shadow (a candidate planting differences on
//! two fields) → new → the payment service failing → the watchdog's
//! rollback → new again. The bar: no request safe to repeat fails, no write
//! is left without an answer, the shadow report catches every planted
//! difference and flags nothing else, and no acknowledged write the monolith
//! took is lost or doubled (see `e2e_tests::load::writes` for what sync,
//! issue 29, adds to that).
//!
//! The run's chart goes to the target folder; `LOAD_CHART=1` writes it to
//! `docs/migration-under-load.svg` instead.

use crate::stack::Stack;
use e2e_tests::load::{
    Behaviour, Candidate, Generator, Plant, Population, Run, Traffic, chart, writes,
};
use platform::testing::TestBackend;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use strangler_data::backfill::Options;

platform::both_backends!(a_migration_under_load_goes_unnoticed);

/// The watchdog looks every second, and judges by errors and fallbacks;
/// the circuit breaker never opens (its cooldown would otherwise decide
/// when `new` works again: the breaker has its own tests).
const TUNING: &str = r#"
[watchdog]
interval = "1s"
max_fallback_rate = 0.5

[resilience]
breaker_window = 10000
breaker_min_calls = 10000
"#;

/// Planted on the chosen payments: one minor unit more authorised and
/// captured.
const PLANTS: [Plant; 2] = [
    Plant {
        pointer: "/amount/amount",
        legacy: "$.amt",
    },
    Plant {
        pointer: "/captured/amount",
        legacy: "$.cap",
    },
];

const TRAFFIC: Traffic = Traffic {
    population: Population {
        customers: 12,
        orders_each: 4,
    },
    think: Duration::from_millis(60),
    timeout: Duration::from_secs(30),
};

async fn a_migration_under_load_goes_unnoticed(backend: TestBackend) {
    let stack = Stack::tuned(backend, TUNING).await;
    let candidate = Candidate::start(&stack.payment, PLANTS.to_vec()).unwrap();
    let reload = stack.repoint_payments(candidate.url()).await;
    assert!(reload.status().is_success(), "reload: {}", reload.status());

    let load = Generator::start(&stack.proxy, TRAFFIC, "legacy")
        .await
        .unwrap();
    // Refunds go to payments the service has: without sync (issue 29), a
    // payment made in the monolith later is missing there, and shadowed
    // refunds of it would count as records the candidate lacks.
    load.close_refund_pool();
    backfill(&stack).await;
    load.run_for(300).await;

    // Shadow, with every third read-only payment planted.
    candidate.choose(load.read_pool().iter().step_by(3).copied());
    candidate.set(Behaviour::Plant);
    stack.enable("payments.shadow");
    stack.wait_for_flag("payments.shadow", true, "100%").await;
    load.mark("shadow");
    load.run_for(600).await;
    candidate.set(Behaviour::Faithful);

    // The cut: without sync (issue 29), no write in flight while what the
    // monolith took is copied and the route moves.
    load.freeze_writes().await;
    backfill(&stack).await;
    stack.enable("payments.new");
    stack.wait_for_flag("payments.new", true, "").await;
    load.mark("new");
    load.thaw_writes();
    let shadow = settled_report(&stack).await;
    let dry_runs = candidate.dry_runs();
    load.run_for(300).await;

    // The payment service fails; the watchdog moves the route back.
    candidate.set(Behaviour::Fail);
    load.mark("payment failing");
    stack.wait_for_flag("payments.new", false, "").await;
    load.mark("rolled back: shadow");
    load.run_for(300).await;

    // Fixed; forward again.
    candidate.set(Behaviour::Faithful);
    stack.enable("payments.new");
    stack.wait_for_flag("payments.new", true, "").await;
    load.mark("new again");
    load.run_for(300).await;
    let run = load.stop().await;
    keep_chart(&run);
    for (label, s) in run.phases() {
        eprintln!(
            "{label:<22} {:>5} requests {:>3} errors  p50 {:>6.1?}  p99 {:>6.1?}",
            s.requests, s.errors, s.p50, s.p99
        );
    }

    assert_the_clients_noticed_nothing(&run);
    assert_every_planted_difference_was_caught(&shadow, &candidate.planted(), dry_runs);
    let decisions = stack
        .admin_get("/admin/decisions?route=payments&limit=5")
        .await;
    assert_eq!(decisions[0]["action"], "rollback", "{decisions}");
    let lost = writes::check(&stack.client, &stack.monolith, &run)
        .await
        .unwrap();
    assert!(
        lost.is_empty(),
        "lost or doubled writes:\n{}",
        lost.join("\n")
    );
    let taken_by_new = run.writes.iter().filter(|w| w.backend == "new").count();
    assert!(taken_by_new > 0, "the new side took no write");
}

fn assert_the_clients_noticed_nothing(run: &Run) {
    let failed = run.failed_safe();
    assert!(
        failed.is_empty(),
        "{} requests safe to repeat failed, e.g. {:?} in {}",
        failed.len(),
        failed[0],
        run.phase_label(failed[0].phase)
    );
    let unknown = run.unknown_writes();
    assert!(
        unknown.is_empty(),
        "{} writes got no answer, e.g. {:?}",
        unknown.len(),
        unknown[0]
    );
    let phases = run.phases();
    assert!(
        phases.iter().all(|(_, s)| s.requests > 0),
        "a phase without traffic: {phases:?}"
    );
    let served_by = |backend: &str| {
        run.outcomes
            .iter()
            .filter(|o| o.backend.as_deref() == Some(backend))
            .count()
    };
    let mut backends = BTreeMap::new();
    for o in &run.outcomes {
        *backends.entry(o.backend.clone()).or_insert(0) += 1;
    }
    assert!(
        served_by("new") > 0 && served_by("legacy-fallback") > 0,
        "the new side served, and the monolith stood in while it failed: {backends:?}"
    );
}

/// Every planted difference is in the report on its field, once per planted
/// answer, and nothing else differs but what a dry-run write cannot match:
/// the id and creation time of the record the monolith made and the service
/// only pretended to make.
fn assert_every_planted_difference_was_caught(
    route: &Value,
    planted: &BTreeMap<&str, u64>,
    dry_runs: u64,
) {
    let answers = planted.values().copied().max().unwrap_or(0);
    assert!(answers > 0, "nothing was planted: {route}");
    assert!(
        planted.values().all(|n| *n == answers),
        "every chosen answer gets every plant: {planted:?}"
    );
    let mut fields: BTreeMap<String, u64> = route["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["pattern"].as_str().unwrap().to_owned(),
                f["mismatches"].as_u64().unwrap(),
            )
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    let of_writes = [fields.remove("$.id"), fields.remove("$.crt")];
    assert!(
        of_writes.iter().all(|n| n.unwrap_or(0) <= dry_runs),
        "ids and times of dry-run writes {of_writes:?}, {dry_runs} dry runs: {route}"
    );
    let expected: BTreeMap<String, u64> =
        planted.iter().map(|(p, n)| ((*p).to_owned(), *n)).collect();
    assert_eq!(
        fields, expected,
        "mismatches by field against planted: {route}"
    );
    let differing = route["classes"]["field_differs"].as_u64().unwrap();
    assert!(
        (answers..=answers + dry_runs).contains(&differing),
        "{differing} results differ: {answers} planted answers, {dry_runs} dry-run writes: {route}"
    );
    assert_eq!(route["classes"]["status_differs"], 0, "{route}");
    assert_eq!(route["classes"]["candidate_missing"], 0, "{route}");
}

/// The shadow report of `payments` once every comparison is counted: the
/// route is in `new` (nothing more is shadowed), so the report stops
/// changing within a flush or two.
async fn settled_report(stack: &Stack) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = Value::Null;
    loop {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let report = stack
            .admin_get("/admin/shadow/report?route=payments&since=1h")
            .await;
        let route = report["report"]["routes"][0].clone();
        if route["samples"].as_u64().unwrap_or(0) > 0 && route["samples"] == last["samples"] {
            return route;
        }
        assert!(
            Instant::now() < deadline,
            "the report never settled: {report}"
        );
        last = route;
    }
}

/// Copies every payment the monolith has (again: idempotent) into the
/// payment service, as `strangler backfill payments` does.
async fn backfill(stack: &Stack) {
    let state = std::env::temp_dir().join(format!("load-{}", uuid::Uuid::new_v4().simple()));
    let options = Options {
        batch_size: 100,
        rate: None,
        dry_run: false,
        from_start: true,
        state_dir: state.clone(),
        clock: acl::LegacyClock::default(),
        quiet: true,
    };
    let source = strangler_data::source::api::ApiSource::new(&stack.monolith).unwrap();
    let target = strangler_data::target::Service::new(&stack.payment).unwrap();
    let summary = strangler_data::backfill::payments(&source, &target, &options)
        .await
        .unwrap();
    assert_eq!(summary.dead_letters, 0, "{summary:?}");
    let _ = std::fs::remove_dir_all(state);
}

fn keep_chart(run: &Run) {
    let svg = chart::svg(
        run,
        Duration::from_millis(500),
        "payments: legacy → shadow → new → rollback → new, under load",
    );
    let path = if std::env::var_os("LOAD_CHART").is_some() {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/migration-under-load.svg")
    } else {
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("migration-under-load.svg")
    };
    std::fs::write(path, svg).unwrap();
}
