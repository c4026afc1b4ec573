//! The watchdog's conditions on measured health: where each limit lies and
//! what too few samples do.

use super::*;
use crate::shadow::store::{GateStats, ResultClass, ResultClasses};
use crate::stats::{LegacyAnswer, NewSideOutcome};

fn dog() -> Watchdog {
    Watchdog {
        limits: WatchdogSettings {
            enabled: true,
            interval: "5s".into(),
            window: "1m".into(),
            min_requests: 10,
            max_error_rate: 0.05,
            max_fallback_rate: 0.05,
            max_p99_ms: 500,
            max_not_found_excess: 0.05,
            max_client_error_excess: 0.10,
        },
        interval: Duration::from_secs(5),
        window: Duration::from_secs(60),
        flags_file: None,
    }
}

fn outcomes(n: usize, failed: usize, latency_ms: u64) -> Vec<NewSideOutcome> {
    (0..n)
        .map(|i| NewSideOutcome {
            at: Instant::now(),
            latency_ms,
            failed: i < failed,
            fell_back: i < failed,
            status: 200,
        })
        .collect()
}

#[test]
fn judges_rates_latency_and_the_minimum() {
    assert_eq!(
        dog().judge(&Health::of(&outcomes(100, 5, 10))),
        None,
        "at the limit is fine"
    );
    let why = dog().judge(&Health::of(&outcomes(100, 6, 10))).unwrap();
    assert!(why.starts_with("error rate 6.0 % > 5.0 %"), "{why}");
    assert_eq!(
        dog().judge(&Health::of(&outcomes(9, 9, 10))),
        None,
        "too few requests to judge"
    );
    let why = dog().judge(&Health::of(&outcomes(100, 0, 900))).unwrap();
    assert!(why.starts_with("p99 900 ms > 500 ms"), "{why}");
}

#[test]
fn p99_is_the_nearest_rank() {
    let mut o = outcomes(100, 0, 10);
    o[99].latency_ms = 5000;
    assert_eq!(
        Health::of(&o).p99_ms,
        10,
        "one slow request in 100 is the 100th percentile"
    );
    o[98].latency_ms = 4000;
    assert_eq!(Health::of(&o).p99_ms, 4000);
    assert_eq!(Health::of(&[]).p99_ms, 0);
}

/// `n` new-side answers of which `not_found` were 404.
fn with_404s(n: usize, not_found: usize) -> Vec<NewSideOutcome> {
    let mut o = outcomes(n, 0, 10);
    for x in o.iter_mut().take(not_found) {
        x.status = 404;
    }
    o
}

/// `n` answers of the monolith of which `not_found` were 404.
fn legacy(n: usize, not_found: usize) -> Vec<LegacyAnswer> {
    (0..n)
        .map(|i| LegacyAnswer {
            at: Instant::now(),
            status: if i < not_found { 404 } else { 200 },
        })
        .collect()
}

#[test]
fn a_404_rate_above_the_monolith_s_is_judged_against_its_baseline() {
    let health = Health::of(&with_404s(100, 40)).with_baseline(&legacy(100, 10));
    let why = dog().judge(&health).unwrap();
    assert_eq!(
        why,
        "404 rate 40.0 % > legacy baseline 10.0 % + 5.0 % over 100 new-side answers \
         (baseline over 100 legacy answers)"
    );
    let same = Health::of(&with_404s(100, 15)).with_baseline(&legacy(100, 10));
    assert_eq!(dog().judge(&same), None, "at baseline + excess is fine");
}

#[test]
fn the_same_404_rate_as_the_monolith_is_no_reason() {
    let health = Health::of(&with_404s(100, 60)).with_baseline(&legacy(100, 60));
    assert_eq!(dog().judge(&health), None);
}

#[test]
fn other_4xx_count_against_their_own_excess() {
    let mut o = outcomes(100, 0, 10);
    for x in o.iter_mut().take(12) {
        x.status = 400;
    }
    let why = dog()
        .judge(&Health::of(&o).with_baseline(&legacy(100, 0)))
        .unwrap();
    assert!(
        why.starts_with("4xx rate 12.0 % > legacy baseline 0.0 % + 10.0 %"),
        "{why}"
    );
}

#[test]
fn no_4xx_judgement_without_enough_samples_on_either_side() {
    let few_new = Health::of(&with_404s(9, 9)).with_baseline(&legacy(100, 0));
    assert_eq!(dog().judge(&few_new), None, "9 new-side answers");
    let few_legacy = Health::of(&with_404s(100, 100)).with_baseline(&legacy(9, 0));
    assert_eq!(dog().judge(&few_legacy), None, "9 legacy answers");
    let none = Health::of(&with_404s(100, 100));
    assert_eq!(dog().judge(&none), None, "no baseline at all");
}

#[test]
fn shadow_samples_missing_the_record_are_judged_once_there_are_enough() {
    let shadow = |samples: u64, missing: u64| {
        let mut classes = ResultClasses::default();
        classes.add(ResultClass::Match, samples - missing);
        classes.add(ResultClass::CandidateMissing, missing);
        Health::of(&[]).with_shadow(&GateStats::from_classes(classes))
    };
    let why = dog().judge(&shadow(50, 10)).unwrap();
    assert_eq!(
        why,
        "candidate missing the record in 20.0 % of 50 shadow samples > 5.0 %"
    );
    assert_eq!(dog().judge(&shadow(9, 9)), None, "too few samples");
    assert_eq!(dog().judge(&shadow(100, 5)), None, "at the limit is fine");
    assert_eq!(
        Health::of(&[])
            .with_shadow(&GateStats::from_classes(ResultClasses::default()))
            .shadow,
        None
    );
}
