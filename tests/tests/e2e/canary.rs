//! Canary stickiness: a customer always lands on the same side, the share
//! matches the rollout, and raising it never moves a customer back.

use crate::stack::Stack;
use futures_util::future::join_all;
use platform::testing::TestBackend;
use std::collections::HashSet;

platform::both_backends!(canary_cohorts_are_sticky_and_only_grow);

/// Which of `customers` the proxy sends to the new side (two requests each,
/// which must agree).
async fn on_new_side(stack: &Stack, customers: &[String], path: &str) -> HashSet<String> {
    let mut new = HashSet::new();
    for chunk in customers.chunks(50) {
        let answers = join_all(chunk.iter().map(|c| async move {
            let first = stack.backend(Some(c), path).await;
            let second = stack.backend(Some(c), path).await;
            assert_eq!(first, second, "customer {c} moved between two requests");
            (c.clone(), first)
        }))
        .await;
        new.extend(
            answers
                .into_iter()
                .filter(|(_, b)| b == "new")
                .map(|(c, _)| c),
        );
    }
    new
}

async fn canary_cohorts_are_sticky_and_only_grow(backend: TestBackend) {
    let stack = Stack::start(backend).await;
    let pay = stack.paid_order().await;
    let path = format!("/api/v1/payments/{pay}");
    let customers: Vec<String> = (1..=1000).map(|n| format!("customer-{n}")).collect();

    stack.flags.rollout("payments.canary", 25);
    stack.flags.enable("payments.canary");
    stack.wait_for_flag("payments.canary", true, "25%").await;
    let quarter = on_new_side(&stack, &customers, &path).await;
    let share = quarter.len() as f64 / 10.0;
    assert!(
        (21.0..=29.0).contains(&share),
        "25 % rollout put {share} % on the new side"
    );

    stack.flags.rollout("payments.canary", 50);
    stack.wait_for_flag("payments.canary", true, "50%").await;
    let half = on_new_side(&stack, &customers, &path).await;
    let share = half.len() as f64 / 10.0;
    assert!(
        (46.0..=54.0).contains(&share),
        "50 % rollout put {share} % on the new side"
    );
    let moved_back: Vec<&String> = quarter.difference(&half).collect();
    assert!(
        moved_back.is_empty(),
        "raising the rollout moved customers back: {moved_back:?}"
    );
}
