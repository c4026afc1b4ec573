//! The noise model: learnt from primary/secondary pairs, thresholds applied.

use serde_json::{Value, json};

use super::super::{DifferenceKind, NoiseModel, NoiseThresholds, Verdict, compare_with_noise};
use super::{defaults, ok, rules};

/// A legacy answer whose `trk` is random (a fresh id per call) and whose
/// `tot` is deterministic.
fn legacy(seed: &mut u64) -> Value {
    // xorshift: deterministic "randomness", no sleeps, no clock.
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    json!({"id": 1, "tot": 2598, "trk": format!("T{}", *seed % 1_000_000)})
}

#[test]
fn a_field_random_on_the_legacy_side_ends_up_noise() {
    let rules = defaults();
    let mut model = NoiseModel::new();
    let mut seed = 0x2545_F491_4F6C_DD1D_u64;
    let mut last = None;
    for i in 0..50 {
        let primary = ok(legacy(&mut seed));
        let secondary = ok(legacy(&mut seed));
        let mut candidate = legacy(&mut seed);
        if i % 10 == 0 {
            candidate["tot"] = json!(2599);
        }
        last = Some(compare_with_noise(
            &primary,
            Some(&secondary),
            &ok(candidate),
            &rules,
            &mut model,
        ));
    }
    assert_eq!(model.pairs, 50);
    assert_eq!(model.differed.get("$.trk"), Some(&50));
    assert!(!model.differed.contains_key("$.tot"));
    assert_eq!(model.noisy_patterns(&rules.noise_thresholds()), ["$.trk"]);

    // Without a secondary call, the learnt model still classifies.
    let comparison = compare_with_noise(
        &ok(legacy(&mut seed)),
        None,
        &ok(json!({"id": 1, "tot": 2599, "trk": "other"})),
        &rules,
        &mut model,
    );
    let kind_of = |pattern: &str| {
        comparison
            .differences
            .iter()
            .find(|d| d.pattern == pattern)
            .map(|d| d.kind)
    };
    assert_eq!(kind_of("$.trk"), Some(DifferenceKind::Noise));
    assert_eq!(kind_of("$.tot"), Some(DifferenceKind::Mismatch));
    assert_eq!(comparison.verdict(), Verdict::Mismatch);
    assert_eq!(last.map(|c| c.verdict()), Some(Verdict::NoiseOnly));
}

#[test]
fn a_difference_seen_between_primary_and_secondary_is_noise_for_this_request() {
    let mut model = NoiseModel::new();
    let c = compare_with_noise(
        &ok(json!({"crt": "a", "tot": 1})),
        Some(&ok(json!({"crt": "b", "tot": 1}))),
        &ok(json!({"crt": "c", "tot": 2})),
        &defaults(),
        &mut model,
    );
    let kinds: Vec<(&str, DifferenceKind)> = c
        .differences
        .iter()
        .map(|d| (d.path.as_str(), d.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            ("$.crt", DifferenceKind::Noise),
            ("$.tot", DifferenceKind::Mismatch)
        ]
    );
    // One pair is below the absolute threshold: not yet noise for the route.
    assert!(!model.is_noise("$.crt", &NoiseThresholds::default()));
}

#[test]
fn thresholds_relative_and_absolute() {
    let thresholds = NoiseThresholds {
        relative: 0.05,
        absolute: 3,
        ..NoiseThresholds::default()
    };
    let model = |pairs, count| NoiseModel {
        pairs,
        differed: [("$.x".to_owned(), count)].into(),
        ..NoiseModel::default()
    };
    assert!(
        model(100, 5).is_noise("$.x", &thresholds),
        "5 % of pairs, 5 times"
    );
    assert!(
        !model(100, 4).is_noise("$.x", &thresholds),
        "4 % is under the share"
    );
    assert!(
        !model(20, 2).is_noise("$.x", &thresholds),
        "10 % but only twice"
    );
    assert!(model(20, 3).is_noise("$.x", &thresholds));
    assert!(
        !model(20, 3).is_noise("$.y", &thresholds),
        "never seen differ"
    );
    assert!(!NoiseModel::new().is_noise("$.x", &thresholds));
    assert_eq!(model(100, 5).share("$.x"), 0.05);
}

#[test]
fn ignored_fields_are_not_learnt_and_ignore_beats_noise() {
    let r = rules(json!({"ignore": ["$.crt"]}));
    let mut model = NoiseModel::new();
    for _ in 0..5 {
        let c = compare_with_noise(
            &ok(json!({"crt": "a"})),
            Some(&ok(json!({"crt": "b"}))),
            &ok(json!({"crt": "c"})),
            &r,
            &mut model,
        );
        assert_eq!(c.verdict(), Verdict::IgnoredOnly);
    }
    assert!(model.differed.is_empty());
    assert_eq!(model.pairs, 5);
}

#[test]
fn models_merge_and_persist() {
    let mut a = NoiseModel {
        pairs: 10,
        differed: [("$.a".to_owned(), 2), ("status".to_owned(), 1)].into(),
        compared: 20,
        candidate_differed: [("$.a".to_owned(), 7)].into(),
    };
    let b = NoiseModel {
        pairs: 5,
        differed: [("$.a".to_owned(), 3), ("$.b".to_owned(), 1)].into(),
        compared: 4,
        candidate_differed: [("$.a".to_owned(), 1), ("$.c".to_owned(), 2)].into(),
    };
    a.merge(&b);
    assert_eq!(a.pairs, 15);
    assert_eq!(a.differed.get("$.a"), Some(&5));
    assert_eq!(a.differed.get("$.b"), Some(&1));
    assert_eq!(a.compared, 24);
    assert_eq!(a.candidate_differed.get("$.a"), Some(&8));
    assert_eq!(a.candidate_differed.get("$.c"), Some(&2));
    let stored = serde_json::to_string(&a).unwrap();
    assert_eq!(serde_json::from_str::<NoiseModel>(&stored).unwrap(), a);
}

#[test]
fn a_noisy_field_the_candidate_gets_wrong_far_more_often_stays_a_mismatch() {
    let rules = defaults();
    let mut model = NoiseModel::new();
    let stable = json!({"tot": 100, "upd": "10:00"});
    let moved = json!({"tot": 100, "upd": "10:01"});
    // The monolith changes `upd` between its two calls in 1 pair out of 10.
    for i in 0..100 {
        let secondary = if i % 10 == 0 { &moved } else { &stable };
        let c = compare_with_noise(
            &ok(stable.clone()),
            Some(&ok(secondary.clone())),
            &ok(stable.clone()),
            &rules,
            &mut model,
        );
        assert!(
            c.differences
                .iter()
                .all(|d| d.kind == DifferenceKind::Noise)
        );
    }
    assert!(model.is_noisy("$.upd", &rules.noise_thresholds()));
    assert!(model.is_noise("$.upd", &rules.noise_thresholds()));
    // A candidate that always differs there stands out after a few calls:
    // at first its rate is near the monolith's own, then clearly above.
    let mut kinds = Vec::new();
    for _ in 0..20 {
        let c = compare_with_noise(
            &ok(stable.clone()),
            None,
            &ok(moved.clone()),
            &rules,
            &mut model,
        );
        kinds.push(c.differences[0].kind);
    }
    assert_eq!(kinds.first(), Some(&DifferenceKind::Noise));
    assert_eq!(kinds.last(), Some(&DifferenceKind::Mismatch));
    assert!(model.candidate_stands_out("$.upd", &rules.noise_thresholds()));
    assert!(!model.is_noise("$.upd", &rules.noise_thresholds()));
}
