//! The migration of `payments` under continuous load, with sync both ways
//! (issue 31): a dozen customers read payments and orders, place orders and
//! refund through the proxy while the route goes legacy → shadow (a
//! candidate planting differences on two fields) → canary at 50 %, decided
//! by the payment's id → `kill -9` of the payment service → the watchdog's
//! rollback → the service back → new → the payment service failing → the
//! watchdog's rollback → new again. The stack is a [`SyncStack`]: the
//! payment service is its own process; the monolith's relay starts after the
//! backfill, as in the tutorial, and from then on sync carries every write to
//! the other side; no write is frozen and nothing is copied again at a cut.
//! Right after the kill, a read of a payment the service owns is answered by
//! the monolith, and a refund of it, with or without an `Idempotency-Key`,
//! is refused as `upstream-unreachable` (nothing sent): a write never falls
//! back to the monolith, which does not know the service's keys
//! (docs/proxy.md), so no write the generator sends then is taken by it.
//!
//! The bar: no request safe to repeat fails; no write is left with an
//! unknown outcome (a write whose answer says the upstream may have acted is
//! repeated with its `Idempotency-Key` until the owner answers, see
//! `e2e_tests::load::generator`); the shadow report catches every planted
//! difference and flags nothing else; every acknowledged write, whichever
//! side took it, is in the monolith exactly once once both outboxes are
//! drained (`e2e_tests::load::writes`), and verify finds no difference
//! between the sides.
//!
//! The run's chart goes to the target folder; `LOAD_CHART=1` writes it to
//! `docs/migration-under-load.svg` instead.

use crate::sync_stack::{Options, SyncStack};
use e2e_tests::load::{
    Behaviour, Candidate, Generator, Op, Plant, Population, Run, Traffic, chart, writes,
};
use platform::relay::Transport;
use platform::testing::TestBackend;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use strangler_data::backfill::Options as BackfillOptions;

platform::both_backends!(a_migration_under_load_goes_unnoticed);

/// The watchdog looks every second, and judges by errors and fallbacks;
/// the circuit breaker never opens (its cooldown would otherwise decide
/// when `new` works again: the breaker has its own tests).
/// `max_error_rate`: right after the killed service is back, a few of the
/// proxy's first calls to it can go unanswered (3 of the first 74 in one
/// run: reads fall back, writes, which never fall back, are refused with a
/// known outcome); the watchdog here is to judge the failing candidate
/// (every call), not those few.
const TUNING: &str = r#"
[watchdog]
interval = "1s"
max_fallback_rate = 0.5
max_error_rate = 0.3

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
    think: Duration::from_millis(150),
    timeout: Duration::from_secs(30),
};

async fn a_migration_under_load_goes_unnoticed(backend: TestBackend) {
    let options = Options {
        transport: Transport::Http,
        paused: true,
        proxy_extra: TUNING,
        handover: false,
    };
    let mut stack = SyncStack::start(backend, options).await;
    let candidate = Candidate::start(&stack.payment, PLANTS.to_vec()).unwrap();
    stack.repoint_payments(candidate.url()).await;

    // The tutorial's order: the history is copied, then the monolith's relay
    // starts (`stack sync on`) with what its outbox kept meanwhile.
    let load = Generator::start(&stack.proxy, TRAFFIC, "legacy")
        .await
        .unwrap();
    backfill(&stack).await;
    stack.sync_on();
    load.run_for(300).await;

    // Shadow, with every third read-only payment planted.
    candidate.choose(load.read_pool().iter().step_by(3).copied());
    candidate.set(Behaviour::Plant);
    stack.flags.enable("payments.shadow");
    stack.wait_for_mode("payments", "shadow").await;
    load.mark("shadow");
    load.run_for(600).await;
    candidate.set(Behaviour::Faithful);
    let shadow = report_with_every_plant(&stack, &candidate.planted()).await;
    let dry_runs = candidate.dry_runs();

    // Canary at 50 %, by the payment's id, to the service itself (the
    // proxy sees its connections refused once it is killed).
    stack.repoint_payments(&stack.payment).await;
    stack.flags.rollout("payments.canary", 50);
    stack.flags.enable("payments.canary");
    stack.wait_for_mode("payments", "canary").await;
    load.mark("canary 50 %");
    load.run_for(300).await;
    let mut owned_by_service = None;
    for &p in load.read_pool() {
        if stack.backend_of(&format!("/api/v1/payments/{p}")).await == "new" {
            owned_by_service = Some(p);
            break;
        }
    }
    let owned = owned_by_service.expect("no read-pool payment in the 50 % cohort");

    // kill -9: the monolith answers reads of the service's payments, writes
    // to them are refused (nothing sent), until the watchdog steps back.
    stack.kill_payment();
    load.mark("kill -9 of the payment service");
    assert_a_dead_owner_is_answered_for(&stack, owned).await;
    stack.wait_for_mode("payments", "shadow").await;
    load.mark("rolled back: shadow");
    load.run_for(150).await;

    // The service comes back on its port and database; its relay sends what
    // it committed, the monolith's what it kept meanwhile.
    stack.start_payment().await;
    load.mark("payment service restarted");
    stack.caught_up().await;
    stack.flags.enable("payments.new");
    stack.wait_for_mode("payments", "new").await;
    load.mark("new");
    load.run_for(300).await;
    let routes = stack.admin_get("/admin/routes").await;
    let mode = routes
        .as_array()
        .and_then(|r| r.iter().find(|r| r["name"] == "payments"))
        .map(|r| r["mode"].clone());
    if mode.as_ref().and_then(Value::as_str) != Some("new") {
        let decisions = stack
            .admin_get("/admin/decisions?route=payments&limit=1")
            .await;
        panic!("`new` was moved back before the service failed: {decisions}");
    }

    // The payment service fails (the candidate in front of it); the watchdog
    // moves the route back.
    stack.repoint_payments(candidate.url()).await;
    candidate.set(Behaviour::Fail);
    load.mark("payment failing");
    stack.wait_for_mode("payments", "shadow").await;
    load.mark("rolled back: shadow");
    load.run_for(300).await;

    // Fixed; forward again.
    candidate.set(Behaviour::Faithful);
    stack.flags.enable("payments.new");
    stack.wait_for_mode("payments", "new").await;
    load.mark("new again");
    load.run_for(300).await;
    let run = load.stop().await;
    keep_chart(&run);
    for (label, s) in run.phases() {
        eprintln!(
            "{label:<32} {:>5} requests {:>3} errors  p50 {:>6.1?}  p99 {:>6.1?}",
            s.requests, s.errors, s.p50, s.p99
        );
    }
    eprintln!(
        "{} answers left a write's outcome unknown until it was repeated",
        run.repeated_writes()
    );

    assert_the_clients_noticed_nothing(&run);
    assert_the_monolith_stood_in_for_the_killed_service(&run);
    assert_every_planted_difference_was_caught(&shadow, &candidate.planted(), dry_runs);
    let decisions = stack
        .admin_get("/admin/decisions?route=payments&limit=5")
        .await;
    assert_eq!(decisions[0]["action"], "rollback", "{decisions}");

    // Every acknowledged write, on both sides, once sync has drained.
    stack.drained().await;
    let lost = writes::check(&stack.client, &stack.monolith, &run)
        .await
        .unwrap();
    assert!(
        lost.is_empty(),
        "lost or doubled writes:\n{}",
        lost.join("\n")
    );
    for backend in ["new", "legacy"] {
        let taken = run.writes.iter().filter(|w| w.backend == backend).count();
        assert!(taken > 0, "the {backend} side took no write");
    }
    verify(&stack).await;
    stack.stop().await;
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

/// Right after the kill, in `canary`: a read of a payment the service owns
/// is answered by the monolith; a refund of it, with or without an
/// `Idempotency-Key`, is refused with the proxy's `upstream-unreachable`
/// (nothing was sent: its outcome is known, and the lost-or-doubled check
/// finds no such refund anywhere). A write never falls back: the monolith
/// does not know the service's keys (docs/proxy.md).
async fn assert_a_dead_owner_is_answered_for(stack: &SyncStack, payment: i64) {
    let path = format!("/api/v1/payments/{payment}");
    assert_eq!(stack.backend_of(&path).await, "legacy-fallback");
    for key in [None, Some("refund-while-the-owner-is-dead")] {
        let mut refund = stack
            .client
            .post(format!("{}{path}/refunds", stack.proxy))
            .json(&serde_json::json!({"amt": 1, "rsn": "while the owner is dead"}));
        if let Some(key) = key {
            refund = refund.header("Idempotency-Key", key);
        }
        let refund = refund.send().await.unwrap();
        let status = refund.status().as_u16();
        let body: Value = refund.json().await.unwrap();
        assert_eq!(status, 502, "key {key:?}: {body}");
        assert!(
            body["type"]
                .as_str()
                .is_some_and(|t| t.ends_with(":upstream-unreachable")),
            "key {key:?}: {body}"
        );
    }
}

/// While the payment service was dead in `canary`, the monolith answered
/// reads of the payments it owns (fallback), and none of the writes to them
/// (each with an `Idempotency-Key`): those were refused with a known outcome
/// (the proxy's `upstream-unreachable`: nothing sent).
fn assert_the_monolith_stood_in_for_the_killed_service(run: &Run) {
    let killed = run
        .marks
        .iter()
        .position(|m| m.label.starts_with("kill -9"))
        .unwrap();
    let in_phase = || run.outcomes.iter().filter(|o| o.phase == killed);
    let fallbacks = in_phase()
        .filter(|o| o.op == Op::ReadPayment && o.backend.as_deref() == Some("legacy-fallback"))
        .count();
    assert!(
        fallbacks > 0,
        "no read fell back while the service was dead"
    );
    let writes = |backend: &str| {
        in_phase()
            .filter(|o| !o.op.is_safe() && o.backend.as_deref() == Some(backend))
            .count()
    };
    assert_eq!(
        writes("legacy-fallback"),
        0,
        "a write fell back to the monolith while the service was dead"
    );
    eprintln!(
        "service dead: {fallbacks} reads fell back, {} writes refused",
        writes("new")
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

/// The shadow report of `payments` once every planted answer is counted in
/// it (the proxy stores comparisons in batches): at least `planted` mismatches
/// on each planted field.
async fn report_with_every_plant(stack: &SyncStack, planted: &BTreeMap<&str, u64>) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let report = stack
            .admin_get("/admin/shadow/report?route=payments&since=1h")
            .await;
        let route = report["report"]["routes"][0].clone();
        let counted = |pattern: &str| {
            route["fields"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|f| f["pattern"] == pattern)
                .and_then(|f| f["mismatches"].as_u64())
                .unwrap_or(0)
        };
        if planted.iter().all(|(p, n)| counted(p) >= *n) {
            return route;
        }
        assert!(
            Instant::now() < deadline,
            "the planted differences never all reached the report ({planted:?}): {report}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Copies every payment the monolith has into the payment service, as
/// `strangler backfill payments` does.
async fn backfill(stack: &SyncStack) {
    let state = std::env::temp_dir().join(format!("load-{}", uuid::Uuid::new_v4().simple()));
    let options = BackfillOptions {
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

/// `strangler verify payments`: every payment, refund and invoice of the
/// monolith is in the service as it is in the monolith, and nothing else.
async fn verify(stack: &SyncStack) {
    let source = strangler_data::source::api::ApiSource::new(&stack.monolith).unwrap();
    let target = strangler_data::target::Service::new(&stack.payment).unwrap();
    let mut differences = Vec::new();
    let result = strangler_data::verify::payments(
        &source,
        &target,
        &acl::LegacyClock::default(),
        100,
        &mut |d| differences.push(d.line()),
    )
    .await
    .unwrap();
    assert!(
        result.passed() && differences.is_empty(),
        "verify: {}\n{}",
        result.render(),
        differences.join("\n")
    );
}

fn keep_chart(run: &Run) {
    let svg = chart::svg(
        run,
        Duration::from_millis(500),
        "payments under load, sync both ways: legacy → shadow → canary 50 % → kill -9 → rollback → new → failing → rollback → new",
    );
    let path = if std::env::var_os("LOAD_CHART").is_some() {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/migration-under-load.svg")
    } else {
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("migration-under-load.svg")
    };
    std::fs::write(path, svg).unwrap();
}
