//! The embedded default source: a running `Flags::from_file` follows edits made
//! through `flags::file` (enable, disable, rollout), keeps its last good state when
//! the file turns invalid, and the edit functions refuse bad requests clearly.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::unleash_files;

use std::time::Duration;
use strangler_proxy::flags::file::{self, Percent};
use strangler_proxy::flags::{FlagContext, Flags, FlagsError, SourceInfo};
use unleash_files::{TempDir, document, eventually, rollout_flag, simple_flag};

const WAIT: Duration = Duration::from_secs(10);

fn user(id: &str) -> FlagContext {
    FlagContext {
        user_id: Some(id.to_owned()),
        ..FlagContext::default()
    }
}

async fn start(dir: &TempDir) -> (Flags, std::path::PathBuf) {
    let path = dir.write_json(
        "flags.json",
        &document(vec![
            simple_flag("payments.new", false),
            rollout_flag("payments.canary", true, 0, "payments"),
        ]),
    );
    let flags = Flags::from_file_every(&path, Duration::from_millis(50))
        .await
        .unwrap();
    (flags, path)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enable_disable_and_rollout_reach_a_running_proxy() {
    let dir = TempDir::new();
    let (flags, path) = start(&dir).await;
    let alice = user("alice");
    assert!(!flags.is_enabled("payments.new", &alice));
    assert!(!flags.is_enabled("payments.canary", &alice));

    let summary = file::enable(&path, "payments.new").unwrap();
    assert!(summary.enabled);
    assert!(eventually(WAIT, || flags.is_enabled("payments.new", &alice)).await);

    file::disable(&path, "payments.new").unwrap();
    assert!(eventually(WAIT, || !flags.is_enabled("payments.new", &alice)).await);

    let summary = file::rollout(&path, "payments.canary", Percent::new(100).unwrap()).unwrap();
    assert_eq!(
        summary.strategies,
        ["flexibleRollout 100% stickiness userId group payments"]
    );
    assert!(eventually(WAIT, || flags.is_enabled("payments.canary", &alice)).await);

    let snapshot = flags.snapshot();
    assert!(matches!(snapshot.source, SourceInfo::File { .. }));
    assert_eq!(snapshot.last_error, None);
    let canary = snapshot
        .flags
        .iter()
        .find(|f| f.name == "payments.canary")
        .unwrap();
    assert_eq!(canary.strategies, summary.strategies);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollout_creates_a_sticky_strategy_where_there_is_none() {
    let dir = TempDir::new();
    let (flags, path) = start(&dir).await;
    // `payments.new` only has `default`: a rollout replaces it with flexibleRollout.
    let summary = file::rollout(&path, "payments.new", "100%".parse().unwrap()).unwrap();
    assert_eq!(
        summary.strategies,
        ["flexibleRollout 100% stickiness userId group payments.new"]
    );
    assert!(!summary.enabled, "rollout must not enable the flag");
    file::enable(&path, "payments.new").unwrap();
    assert!(eventually(WAIT, || flags.is_enabled("payments.new", &user("bob"))).await);
    file::rollout(&path, "payments.new", Percent::new(0).unwrap()).unwrap();
    assert!(eventually(WAIT, || !flags.is_enabled("payments.new", &user("bob"))).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_file_keeps_the_last_good_answers_and_reports_why() {
    let dir = TempDir::new();
    let (flags, path) = start(&dir).await;
    file::enable(&path, "payments.new").unwrap();
    let alice = user("alice");
    assert!(eventually(WAIT, || flags.is_enabled("payments.new", &alice)).await);

    std::fs::write(&path, b"{ \"version\": 2, \"features\": [ ").unwrap();
    assert!(eventually(WAIT, || flags.last_error().is_some()).await);
    let error = flags.last_error().unwrap();
    assert!(
        error.contains("flags.json") && error.contains("EOF"),
        "{error}"
    );
    assert!(
        flags.is_enabled("payments.new", &alice),
        "last good state kept"
    );

    let unknown_strategy = document(vec![serde_json::json!({
        "name": "payments.new", "enabled": false,
        "strategies": [{ "name": "percentOfMoonPhase", "parameters": {} }]
    })]);
    dir.write_json("flags.json", &unknown_strategy);
    assert!(
        eventually(WAIT, || flags
            .last_error()
            .is_some_and(|e| e.contains("percentOfMoonPhase")))
        .await
    );
    assert!(
        flags.is_enabled("payments.new", &alice),
        "last good state kept"
    );
    let error = flags.reload().await.unwrap_err();
    assert!(error.to_string().contains("unknown strategy"), "{error}");

    let shape = document(vec![serde_json::json!({
        "name": "payments.new", "enabled": false,
        "strategies": [{ "name": "flexibleRollout", "parameters": { "rollout": 50 } }]
    })]);
    dir.write_json("flags.json", &shape);
    assert!(
        eventually(WAIT, || flags
            .last_error()
            .is_some_and(|e| e.contains("parameters.rollout")))
        .await
    );
    assert!(
        flags.is_enabled("payments.new", &alice),
        "last good state kept"
    );

    // A vanished file (deleted, or a bad mount): same rule.
    std::fs::remove_file(&path).unwrap();
    assert!(
        eventually(WAIT, || flags
            .last_error()
            .is_some_and(|e| e.contains("read failed")))
        .await
    );
    assert!(
        flags.is_enabled("payments.new", &alice),
        "last good state kept"
    );

    // A good file again: picked up, error cleared.
    dir.write_json(
        "flags.json",
        &document(vec![simple_flag("payments.new", false)]),
    );
    assert!(eventually(WAIT, || !flags.is_enabled("payments.new", &alice)).await);
    assert_eq!(flags.last_error(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_or_invalid_file_at_start_is_an_error() {
    let dir = TempDir::new();
    let missing = Flags::from_file(dir.path().join("nope.json")).await;
    assert!(matches!(
        missing,
        Err(FlagsError::Io { action: "read", .. })
    ));
    let bad = dir.write_json("bad.json", &serde_json::json!({ "features": 3 }));
    let err = Flags::from_file(&bad).await.err().unwrap();
    assert!(err.to_string().contains("bad.json"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_flags_are_off() {
    let dir = TempDir::new();
    let (flags, _path) = start(&dir).await;
    assert!(!flags.is_enabled("no.such.flag", &user("alice")));
    assert!(!flags.is_enabled("", &FlagContext::default()));
}

#[test]
fn edits_name_unknown_flags_and_list_the_known_ones() {
    let dir = TempDir::new();
    let path = dir.write_json(
        "flags.json",
        &document(vec![
            simple_flag("b.flag", true),
            simple_flag("a.flag", false),
        ]),
    );
    let before = std::fs::read(&path).unwrap();
    for result in [
        file::enable(&path, "c.flag"),
        file::disable(&path, "c.flag"),
        file::rollout(&path, "c.flag", Percent::new(5).unwrap()),
    ] {
        let err = result.unwrap_err();
        assert!(matches!(err, FlagsError::UnknownFlag { .. }));
        assert_eq!(
            err.to_string(),
            "unknown flag \"c.flag\"; known flags: a.flag, b.flag"
        );
    }
    assert_eq!(std::fs::read(&path).unwrap(), before, "nothing written");
    let listed: Vec<_> = file::list(&path)
        .unwrap()
        .into_iter()
        .map(|f| (f.name, f.enabled))
        .collect();
    assert_eq!(listed, [("a.flag".into(), false), ("b.flag".into(), true)]);
}

#[test]
fn percentages_outside_0_to_100_are_refused() {
    for bad in ["101", "-1", "12.5", "", "lots", "1000%"] {
        let err = bad.parse::<Percent>().unwrap_err();
        assert!(matches!(err, FlagsError::BadPercent { .. }), "{bad}");
        assert!(err.to_string().contains("0 to 100"), "{err}");
    }
    assert!(Percent::new(101).is_err());
    assert_eq!("0".parse::<Percent>().unwrap().get(), 0);
    assert_eq!(" 100% ".parse::<Percent>().unwrap().get(), 100);
}

#[test]
fn edits_refuse_an_invalid_file_and_leave_no_temporary_files() {
    let dir = TempDir::new();
    let path = dir.path().join("flags.json");
    std::fs::write(&path, b"not json").unwrap();
    let err = file::enable(&path, "x").unwrap_err();
    assert!(matches!(err, FlagsError::Invalid { .. }), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), b"not json");

    dir.write_json("flags.json", &document(vec![simple_flag("x", false)]));
    file::enable(&path, "x").unwrap();
    file::rollout(&path, "x", Percent::new(30).unwrap()).unwrap();
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["flags.json"]);
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(doc["features"][0]["enabled"], true);
    assert_eq!(
        doc["features"][0]["strategies"][0]["parameters"]["rollout"],
        "30"
    );
}
