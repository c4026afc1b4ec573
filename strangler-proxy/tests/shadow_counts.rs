//! The results store counts every comparison and keeps only some rows whole:
//! what the report and the gate say must not depend on which rows were kept
//! (compared with a report made from every row and with the definitions, on
//! the same generated traffic); old counters merge without changing a count;
//! and pruning gives the space back without growing the process.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration as Age, Utc};
use platform::testing::TestBackend;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::time::Duration;
use strangler_proxy::shadow::store::{
    Batch, DiffKind, NewResult, Report, ResultClass, ResultClasses, Verdict,
};

mod support;

use shadow_results::*;
use support::shadow_results;

const HOUR: Duration = Duration::from_secs(3_600);
const DAY: Duration = Duration::from_secs(86_400);
const PATTERNS: [&str; 4] = ["$.amt", "$.cur", "$.items[*].sku", "$.upd"];

/// A result of every kind the proxy records, consistent with its verdict.
fn generated(rng: &mut StdRng) -> NewResult {
    let route = ["payments", "invoices"][rng.random_range(0..2)];
    let mut differences = Vec::new();
    for pattern in PATTERNS {
        if rng.random_bool(0.3) {
            let kind =
                [DiffKind::Mismatch, DiffKind::Ignored, DiffKind::Noise][rng.random_range(0..3)];
            differences.push(diff(pattern, pattern, kind));
        }
    }
    let mut r = match rng.random_range(0..10) {
        0 => result(route, Verdict::CandidateError, vec![]),
        1 => result(route, Verdict::SkippedUnsafe, vec![]),
        _ => {
            let verdict = Verdict::implied_by(&differences);
            result(route, verdict, differences)
        }
    };
    match (r.verdict, rng.random_range(0..4)) {
        (Verdict::CandidateError | Verdict::SkippedUnsafe, _) => r.candidate_status = None,
        (Verdict::Mismatch, 0) => r.candidate_status = Some(404),
        (Verdict::Mismatch, 1) => r.candidate_status = Some(500),
        _ => {}
    }
    r
}

/// The report's numbers for one route, from the definitions on `Report`.
#[derive(Debug, Default, PartialEq)]
struct Expected {
    classes: ResultClasses,
    fields: BTreeMap<String, (u64, u64, u64)>,
}

fn expected(results: &[NewResult]) -> BTreeMap<String, Expected> {
    let mut out: BTreeMap<String, Expected> = BTreeMap::new();
    for r in results {
        let route = out.entry(r.route.clone()).or_default();
        let class = ResultClass::of(r.verdict, r.primary_status, r.candidate_status);
        if let Some(class) = class {
            route.classes.add(class, 1);
        }
        if class == Some(ResultClass::CandidateMissing) {
            continue;
        }
        for pattern in PATTERNS {
            let has = |kind| {
                r.differences
                    .iter()
                    .any(|d| d.pattern == pattern && d.kind == kind)
            };
            let field = route.fields.entry(pattern.to_owned()).or_default();
            field.0 += u64::from(has(DiffKind::Mismatch));
            field.1 += u64::from(has(DiffKind::Ignored));
            field.2 += u64::from(has(DiffKind::Noise));
        }
    }
    for route in out.values_mut() {
        route.fields.retain(|_, counts| *counts != (0, 0, 0));
    }
    out
}

fn numbers(report: &Report) -> BTreeMap<String, Expected> {
    report
        .routes
        .iter()
        .map(|r| {
            let fields = r
                .fields
                .iter()
                .map(|f| (f.pattern.clone(), (f.mismatches, f.ignored, f.noise)))
                .collect();
            (
                r.route.clone(),
                Expected {
                    classes: r.classes,
                    fields,
                },
            )
        })
        .collect()
}

async fn counted_report_equals_the_per_row_one(backend: TestBackend) {
    let mut rng = StdRng::seed_from_u64(33);
    let traffic: Vec<NewResult> = (0..400).map(|_| generated(&mut rng)).collect();
    let (_every_row_db, every_row) = open(backend);
    for r in &traffic {
        every_row.record(r.clone()).await.unwrap();
    }
    // As the proxy writes: counted in batches, one match in ten kept whole.
    let (_counted_db, counted) = open(backend);
    let mut kept = 0;
    for chunk in traffic.chunks(37) {
        let mut batch = Batch::default();
        for (i, r) in chunk.iter().enumerate() {
            let keep =
                matches!(r.verdict, Verdict::Mismatch | Verdict::CandidateError) || i % 10 == 0;
            kept += usize::from(keep);
            batch.add(r.clone(), Utc::now(), keep).unwrap();
        }
        counted
            .write_batch(batch)
            .await
            .map_err(|(e, _)| e)
            .unwrap();
    }
    assert!(kept < traffic.len() / 2, "most rows are not kept ({kept})");

    let by_rows = every_row.report(None, HOUR).await.unwrap();
    let by_counts = counted.report(None, HOUR).await.unwrap();
    assert_eq!(numbers(&by_counts), expected(&traffic), "the definitions");
    assert_eq!(numbers(&by_counts), numbers(&by_rows), "every row kept");
    for (a, b) in by_counts.routes.iter().zip(&by_rows.routes) {
        assert_eq!(
            (a.samples, &a.verdicts, a.match_rate),
            (b.samples, &b.verdicts, b.match_rate)
        );
        assert_eq!(
            counted.gate_stats(&a.route, HOUR).await.unwrap(),
            every_row.gate_stats(&b.route, HOUR).await.unwrap()
        );
    }
    let groups = |r: &Report| {
        r.top_mismatches
            .iter()
            .map(|g| {
                (
                    g.route.clone(),
                    g.pattern.clone(),
                    g.count,
                    g.examples.len(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        groups(&by_counts),
        groups(&by_rows),
        "mismatches are all kept, with examples"
    );
}

async fn old_counters_merge_without_changing_a_count(backend: TestBackend) {
    let (_db, store) = open(backend);
    let two_hours_ago = Utc::now() - Age::hours(2);
    let mut rng = StdRng::seed_from_u64(7);
    let traffic: Vec<NewResult> = (0..120).map(|_| generated(&mut rng)).collect();
    for (i, chunk) in traffic.chunks(4).enumerate() {
        let mut batch = Batch::default();
        for r in chunk {
            batch
                .add(r.clone(), two_hours_ago + Age::seconds(i as i64), false)
                .unwrap();
        }
        store.write_batch(batch).await.map_err(|(e, _)| e).unwrap();
    }
    let before = numbers(&store.report(None, DAY).await.unwrap());
    let rows_before = counter_rows(&store).await;
    store.prune(1_000, DAY).await.unwrap();
    assert_eq!(numbers(&store.report(None, DAY).await.unwrap()), before);
    assert_eq!(before, expected(&traffic));
    let rows_after = counter_rows(&store).await;
    assert!(
        rows_after * 5 < rows_before,
        "merged: {rows_before} → {rows_after} rows"
    );
    assert!(
        store.report(None, HOUR).await.unwrap().routes.is_empty(),
        "still two hours old"
    );
}

platform::both_backends!(
    counted_report_equals_the_per_row_one,
    old_counters_merge_without_changing_a_count,
);
