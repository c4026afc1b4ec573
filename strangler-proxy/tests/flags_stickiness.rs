//! Canary stickiness through the real evaluation path: one customer always lands on
//! the same side, raising the percentage never moves anyone back, and two flags
//! sharing a `groupId` (a route's shadow and canary flags) pick nested cohorts.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::unleash_files;

use std::time::Duration;
use strangler_proxy::flags::file::{self, Percent};
use strangler_proxy::flags::{FlagContext, Flags};
use unleash_files::{TempDir, document, eventually, rollout_flag};

const USERS: usize = 1_000;

fn customer(i: usize) -> FlagContext {
    FlagContext {
        user_id: Some(format!("customer-{i}")),
        session_id: Some(format!("session-{}", i * 7919)),
        remote_address: None,
        properties: [("route".to_owned(), "payments".to_owned())].into(),
    }
}

fn enabled_set(flags: &Flags, flag: &str) -> Vec<bool> {
    (0..USERS)
        .map(|i| flags.is_enabled(flag, &customer(i)))
        .collect()
}

fn share(set: &[bool]) -> f64 {
    set.iter().filter(|on| **on).count() as f64 / set.len() as f64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn canary_cohorts_are_sticky_and_only_grow() {
    let dir = TempDir::new();
    let path = dir.write_json(
        "flags.json",
        &document(vec![rollout_flag("payments.canary", true, 25, "payments")]),
    );
    let flags = Flags::from_file_every(&path, Duration::from_millis(50))
        .await
        .unwrap();

    let at_25 = enabled_set(&flags, "payments.canary");
    let s = share(&at_25);
    assert!((0.21..=0.29).contains(&s), "25% rollout enabled {s}");
    for _ in 0..3 {
        assert_eq!(
            enabled_set(&flags, "payments.canary"),
            at_25,
            "stable on repeat"
        );
    }

    file::rollout(&path, "payments.canary", Percent::new(50).unwrap()).unwrap();
    let probe = at_25.iter().position(|on| !on).unwrap();
    // Some customer outside the first 25% must come in once 50% is live.
    let grown = eventually(Duration::from_secs(10), || {
        share(&enabled_set(&flags, "payments.canary")) > 0.4
    })
    .await;
    assert!(grown, "rollout to 50% not picked up (probe {probe})");
    let at_50 = enabled_set(&flags, "payments.canary");
    let s = share(&at_50);
    assert!((0.46..=0.54).contains(&s), "50% rollout enabled {s}");
    for (i, (before, after)) in at_25.iter().zip(&at_50).enumerate() {
        assert!(
            !before || *after,
            "customer-{i} moved back when raising to 50%"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flags_sharing_a_group_pick_nested_cohorts() {
    let dir = TempDir::new();
    let path = dir.write_json(
        "flags.json",
        &document(vec![
            rollout_flag("payments.shadow", true, 40, "payments"),
            rollout_flag("payments.canary", true, 10, "payments"),
            rollout_flag("orders.canary", true, 10, "orders"),
        ]),
    );
    let flags = Flags::from_file(&path).await.unwrap();
    let shadow = enabled_set(&flags, "payments.shadow");
    let canary = enabled_set(&flags, "payments.canary");
    let other = enabled_set(&flags, "orders.canary");
    for i in 0..USERS {
        assert!(
            !canary[i] || shadow[i],
            "customer-{i} in canary but not in shadow"
        );
    }
    // A different group draws an independent cohort: not nested in payments'.
    let overlap = (0..USERS).filter(|&i| other[i] && canary[i]).count();
    let other_count = other.iter().filter(|on| **on).count();
    assert!(
        overlap < other_count,
        "orders cohort must not copy payments'"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_without_a_user_id_stay_outside_a_user_sticky_rollout() {
    let dir = TempDir::new();
    let path = dir.write_json(
        "flags.json",
        &document(vec![
            rollout_flag("payments.canary", true, 99, "payments"),
            rollout_flag("payments.shadow", true, 100, "payments"),
        ]),
    );
    let flags = Flags::from_file(&path).await.unwrap();
    let anonymous = FlagContext {
        session_id: Some("s-1".into()),
        ..FlagContext::default()
    };
    // Unleash's rule: no stickiness value, no place in the rollout, even at 100 %.
    assert!(!flags.is_enabled("payments.canary", &anonymous));
    assert!(!flags.is_enabled("payments.shadow", &anonymous));
    let identified = FlagContext {
        user_id: Some("customer-1".into()),
        ..anonymous
    };
    assert!(flags.is_enabled("payments.shadow", &identified));
}
