//! The sync lag condition of the gate.

use super::{Evidence, Rules};
use crate::gate::Target;
use crate::shadow::store::GateStats;
use crate::sync_lag::{Direction, Measured, SyncReading};
use chrono::{DateTime, TimeDelta, Utc};
use platform::relay::Transport;

fn rules() -> Rules {
    Rules {
        rate: 0.99,
        min_samples: 10,
        window: "1h".parse().unwrap(),
        verify_max_age: "24h".parse().unwrap(),
        max_sync_lag: "30s".parse().unwrap(),
        stale_after: "15s".parse().unwrap(),
        poll_interval: std::time::Duration::from_secs(5),
    }
}

fn now() -> DateTime<Utc> {
    "2026-12-07T12:00:00Z".parse().unwrap()
}

fn good() -> GateStats {
    GateStats {
        samples: 100,
        matches: 100,
        ..GateStats::default()
    }
}

fn known(direction: Direction, pending: i64, lag_seconds: f64, relay: Transport) -> SyncReading {
    SyncReading {
        context: "payments".into(),
        direction,
        upstream: "http://127.0.0.1:8080".into(),
        read_at: now() - TimeDelta::seconds(2),
        measured: Measured::Known {
            pending,
            lag_seconds,
            relay,
        },
    }
}

fn caught_up(direction: Direction) -> SyncReading {
    known(direction, 0, 0.0, Transport::Http)
}

fn judge(to: Target, readings: &[SyncReading]) -> crate::gate::Verdict {
    let stats = good();
    let evidence = Evidence {
        sync: Some(("payments", readings)),
        ..Evidence::shadow(&stats)
    };
    rules().judge(to, &evidence, now())
}

/// `sync.poll_interval` changes with a reload of the gate's rules: how
/// often the poller reads, and when the gate takes a reading for stale.
#[test]
fn a_reload_changes_the_poll_interval() {
    let settings = |poll: &str| {
        let defaults = crate::settings::DEFAULTS
            .replace("token = \"\"", "token = \"0123456789abcdef\"")
            .replace(
                "poll_interval = \"5s\"",
                &format!("poll_interval = \"{poll}\""),
            );
        platform::settings::load::<crate::settings::Settings>(
            &defaults,
            None,
            "STRANGLER_TEST_NONE",
        )
        .unwrap()
    };
    let stats = crate::stats::Stats::new().unwrap();
    let sync =
        crate::sync_lag::SyncLag::new(std::time::Duration::from_secs(1), stats.metrics()).unwrap();
    let gate = crate::gate::Gate::new(&settings("5s"), sync.clone()).unwrap();
    assert_eq!(sync.interval(), std::time::Duration::from_secs(5));
    gate.replace_rules(Rules::new(&settings("2s")).unwrap());
    assert_eq!(sync.interval(), std::time::Duration::from_secs(2));
    assert_eq!(sync.stale_after(), std::time::Duration::from_secs(6));
    assert_eq!(gate.rules().stale_after.to_string(), "6s");
}

#[test]
fn both_directions_caught_up_open_the_gate_to_canary_and_new() {
    let both = [
        caught_up(Direction::LegacyToNew),
        known(Direction::NewToLegacy, 2, 30.0, Transport::Nats),
    ];
    for to in [Target::Canary, Target::New] {
        let verdict = judge(to, &both);
        assert!(verdict.open, "{to:?}: {:?}", verdict.why);
        assert_eq!(verdict.sync.len(), 2);
        assert!(verdict.sync.iter().all(|c| c.why.is_none()));
    }
}

#[test]
fn a_direction_behind_the_limit_closes_the_gate_and_is_named() {
    for to in [Target::Canary, Target::New] {
        let verdict = judge(
            to,
            &[
                caught_up(Direction::LegacyToNew),
                known(Direction::NewToLegacy, 3, 42.5, Transport::Http),
            ],
        );
        let why = verdict.why.unwrap();
        assert!(!verdict.open);
        assert_eq!(
            why,
            "sync new → legacy of `payments` lags 42.5 s (3 changes pending), above gate.max_sync_lag (30s); \
             let its relay catch up (is the other side's inbox accepting?)"
        );
    }
}

#[test]
fn unknown_missing_stale_and_off_readings_close_the_gate() {
    let unknown = SyncReading {
        measured: Measured::Unknown {
            error: "http://127.0.0.1:8080/sync/status does not answer: cannot connect".into(),
        },
        ..caught_up(Direction::LegacyToNew)
    };
    let why = judge(
        Target::Canary,
        &[unknown, caught_up(Direction::NewToLegacy)],
    )
    .why
    .unwrap();
    assert!(
        why.starts_with("sync legacy → new of `payments` is unknown: http://127.0.0.1:8080/sync/status does not answer"),
        "{why}"
    );

    let why = judge(Target::New, &[caught_up(Direction::LegacyToNew)])
        .why
        .unwrap();
    assert!(
        why.contains("sync new → legacy of `payments` has not been read"),
        "{why}"
    );

    let stale = SyncReading {
        read_at: now() - TimeDelta::seconds(16),
        ..caught_up(Direction::NewToLegacy)
    };
    let why = judge(Target::New, &[caught_up(Direction::LegacyToNew), stale])
        .why
        .unwrap();
    assert!(
        why.contains("sync new → legacy of `payments` was last read at 2026-12-07 11:59:44 UTC, longer ago than 15s"),
        "{why}"
    );

    let off = known(Direction::LegacyToNew, 4, 0.0, Transport::Off);
    let why = judge(Target::New, &[off, caught_up(Direction::NewToLegacy)])
        .why
        .unwrap();
    assert!(
        why.contains("sync legacy → new of `payments` is off at http://127.0.0.1:8080 (no relay; 4 changes wait)"),
        "{why}"
    );
}

#[test]
fn a_route_that_does_not_sync_is_not_judged_on_lag() {
    let stats = good();
    let verdict = rules().judge(Target::New, &Evidence::shadow(&stats), now());
    assert!(verdict.open && verdict.sync.is_empty());
}

#[test]
fn every_failed_condition_is_said() {
    let stats = GateStats {
        samples: 5,
        matches: 5,
        ..GateStats::default()
    };
    let readings = [
        known(Direction::LegacyToNew, 1, 31.0, Transport::Http),
        known(Direction::NewToLegacy, 1, 60.0, Transport::Http),
    ];
    let evidence = Evidence {
        sync: Some(("payments", &readings)),
        ..Evidence::shadow(&stats)
    };
    let why = rules().judge(Target::Canary, &evidence, now()).why.unwrap();
    assert!(
        why.contains("only 5 shadow samples")
            && why.contains("legacy → new of `payments` lags 31.0 s")
            && why.contains("new → legacy of `payments` lags 60.0 s"),
        "{why}"
    );
}
