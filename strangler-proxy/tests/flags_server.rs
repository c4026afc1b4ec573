//! A real Unleash server as the flag source: `Flags::from_server` follows toggles
//! created and flipped through the server's admin API within its poll interval,
//! and answers exactly as the embedded file source does for the same strategy.
//! Needs scripts/setup-unleash (npm) and PostgreSQL on 127.0.0.1:5432.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{unleash_files, unleash_server};

use std::time::Duration;
use strangler_proxy::flags::{FlagContext, Flags, FlagsError, SourceInfo};
use unleash_files::{TempDir, document, eventually, rollout_flag};
use unleash_server::{CLIENT_TOKEN, UnleashServer};

const POLL: Duration = Duration::from_millis(500);
/// The server refreshes its client-features cache every second; add the poll
/// interval and generous slack for a busy machine.
const FOLLOW: Duration = Duration::from_secs(20);
const USERS: usize = 1_000;

fn customer(i: usize) -> FlagContext {
    FlagContext {
        user_id: Some(format!("customer-{i}")),
        ..FlagContext::default()
    }
}

fn cohort(flags: &Flags, flag: &str) -> Vec<bool> {
    (0..USERS)
        .map(|i| flags.is_enabled(flag, &customer(i)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flags_follow_a_real_unleash_server() {
    let server = UnleashServer::start().await;
    server.create_toggle("payments.canary").await;
    let strategy = server
        .add_flexible_rollout("payments.canary", 100, "payments")
        .await;

    let flags = Flags::from_server(&server.api_url(), CLIENT_TOKEN, "strangler-test", POLL)
        .await
        .unwrap();
    assert!(matches!(flags.snapshot().source, SourceInfo::Server { .. }));
    let known = eventually(FOLLOW, || {
        flags
            .snapshot()
            .flags
            .iter()
            .any(|f| f.name == "payments.canary")
    })
    .await;
    assert!(
        known,
        "toggle never served; last error {:?}",
        flags.last_error()
    );
    let alice = customer(1);
    assert!(
        !flags.is_enabled("payments.canary", &alice),
        "created toggles start off"
    );

    server.switch("payments.canary", true).await;
    assert!(eventually(FOLLOW, || flags.is_enabled("payments.canary", &alice)).await);

    server.switch("payments.canary", false).await;
    assert!(eventually(FOLLOW, || !flags.is_enabled("payments.canary", &alice)).await);

    server.switch("payments.canary", true).await;
    server
        .set_rollout("payments.canary", &strategy, 25, "payments")
        .await;
    let at_25 = eventually(FOLLOW, || {
        flags.snapshot().flags.iter().any(|f| {
            f.enabled && f.strategies == ["flexibleRollout 25% stickiness userId group payments"]
        })
    })
    .await;
    assert!(at_25, "rollout never followed: {:?}", flags.snapshot());

    // Same strategy from the embedded file: the very same customers.
    let dir = TempDir::new();
    let path = dir.write_json(
        "flags.json",
        &document(vec![rollout_flag("payments.canary", true, 25, "payments")]),
    );
    let local = Flags::from_file(&path).await.unwrap();
    let from_server = cohort(&flags, "payments.canary");
    assert_eq!(from_server, cohort(&local, "payments.canary"));
    let share = from_server.iter().filter(|on| **on).count();
    assert!((210..=290).contains(&share), "{share} of {USERS} at 25%");

    server
        .set_rollout("payments.canary", &strategy, 50, "payments")
        .await;
    let grew = eventually(FOLLOW, || {
        cohort(&flags, "payments.canary")
            .iter()
            .filter(|on| **on)
            .count()
            > share
    })
    .await;
    assert!(grew, "rollout to 50% never followed");
    let at_50 = cohort(&flags, "payments.canary");
    for i in 0..USERS {
        assert!(
            !from_server[i] || at_50[i],
            "customer-{i} moved back at 50%"
        );
    }
    assert_eq!(flags.last_error(), None);

    // A refused token is a configuration error, reported at once.
    let refused = Flags::from_server(&server.api_url(), "default:development.wrong", "t", POLL)
        .await
        .err()
        .unwrap();
    assert!(!refused.is_retryable());
    assert!(
        refused.to_string().contains("refused") && refused.to_string().contains("client token"),
        "{refused}"
    );

    // The server's root instead of its API root: said plainly, not as bad JSON.
    let root = server.api_url().trim_end_matches("/api").to_owned();
    let wrong = Flags::from_server(&root, CLIENT_TOKEN, "t", POLL)
        .await
        .err()
        .unwrap();
    assert!(wrong.to_string().contains("ending in /api"), "{wrong}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_server_starts_with_every_flag_off_and_says_why() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/api");
    let flags = Flags::from_server(&url, CLIENT_TOKEN, "t", POLL)
        .await
        .unwrap();
    assert!(!flags.is_enabled("payments.canary", &customer(1)));
    let error = flags.last_error().unwrap();
    assert!(error.contains("cannot fetch flags"), "{error}");
    assert!(flags.reload().await.unwrap_err().is_retryable());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_server_settings_are_refused() {
    for (url, token, interval) in [
        ("not a url", CLIENT_TOKEN, POLL),
        ("ftp://unleash/api", CLIENT_TOKEN, POLL),
        ("http://127.0.0.1:4242/api", " ", POLL),
        ("http://127.0.0.1:4242/api", CLIENT_TOKEN, Duration::ZERO),
    ] {
        let err = Flags::from_server(url, token, "t", interval)
            .await
            .err()
            .unwrap();
        assert!(
            matches!(err, FlagsError::Config(_)),
            "{url} {token:?}: {err}"
        );
    }
}
