#![allow(clippy::unwrap_used)]
use super::*;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

/// A flags file of its own, rewritten by [`Doc::set`].
struct Doc {
    path: PathBuf,
    flags: Flags,
}

impl Doc {
    async fn new(features: &str) -> Self {
        static FILES: AtomicU32 = AtomicU32::new(0);
        let n = FILES.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("owners-{}-{n}.json", std::process::id()));
        std::fs::write(&path, document(features)).unwrap();
        let flags = Flags::from_file(&path).await.unwrap();
        Self { path, flags }
    }

    async fn set(&self, features: &str) {
        std::fs::write(&self.path, document(features)).unwrap();
        self.flags.reload().await.unwrap();
    }
}

impl Drop for Doc {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn document(features: &str) -> String {
    format!(r#"{{"version": 2, "features": [{features}]}}"#)
}

fn flag(name: &str, enabled: bool, strategy: &str) -> String {
    format!(r#"{{"name": "{name}", "enabled": {enabled}, "strategies": [{strategy}]}}"#)
}

fn rollout(percent: u32) -> String {
    format!(
        r#"{{"name": "flexibleRollout", "parameters": {{"rollout": "{percent}", "stickiness": "userId", "groupId": "p"}}}}"#
    )
}

const ALL: &str = r#"{"name": "default"}"#;

fn owners(canary: &str, new: &str) -> String {
    format!("{canary}, {new}")
}

fn names() -> Vec<String> {
    vec!["p.canary".into(), "p.new".into()]
}

const TO_NEW: Moves = Moves {
    to_new: true,
    to_legacy: false,
};
const TO_LEGACY: Moves = Moves {
    to_new: false,
    to_legacy: true,
};
const BOTH: Moves = Moves {
    to_new: true,
    to_legacy: true,
};

#[tokio::test]
async fn promotion_and_rollback_move_records_one_way_each() {
    let legacy = owners(
        &flag("p.canary", false, &rollout(0)),
        &flag("p.new", false, ALL),
    );
    let doc = Doc::new(&legacy).await;
    let mut watch = OwnersWatch::new(&doc.flags, names());
    assert_eq!(watch.look(&doc.flags), Moves::NONE, "nothing loaded since");

    doc.set(&owners(
        &flag("p.canary", true, &rollout(25)),
        &flag("p.new", false, ALL),
    ))
    .await;
    assert_eq!(watch.look(&doc.flags), TO_NEW, "a canary switched on");
    assert_eq!(
        watch.look(&doc.flags),
        Moves::NONE,
        "the same generation again"
    );

    doc.set(&owners(
        &flag("p.canary", true, &rollout(50)),
        &flag("p.new", false, ALL),
    ))
    .await;
    assert_eq!(watch.look(&doc.flags), TO_NEW, "a rollout that grows");
    doc.set(&owners(
        &flag("p.canary", true, &rollout(10)),
        &flag("p.new", false, ALL),
    ))
    .await;
    assert_eq!(watch.look(&doc.flags), TO_LEGACY, "a rollout that shrinks");

    doc.set(&owners(
        &flag("p.canary", true, &rollout(10)),
        &flag("p.new", true, ALL),
    ))
    .await;
    assert_eq!(watch.look(&doc.flags), TO_NEW, "new switched on");
    doc.set(&legacy).await;
    assert_eq!(watch.look(&doc.flags), TO_LEGACY, "rolled back to legacy");
}

#[tokio::test]
async fn changes_that_decide_nothing_are_no_move() {
    let on = owners(
        &flag("p.canary", true, &rollout(30)),
        &flag("p.new", true, ALL),
    );
    let doc = Doc::new(&on).await;
    let mut watch = OwnersWatch::new(&doc.flags, names());
    // The canary moves under `new` on for everybody: every record stays new.
    doc.set(&owners(
        &flag("p.canary", false, &rollout(0)),
        &flag("p.new", true, ALL),
    ))
    .await;
    assert_eq!(watch.look(&doc.flags), Moves::NONE);
    // Another flag, and an owner flag's description, decide nothing.
    doc.set(&format!(
        r#"{}, {}, {}"#,
        flag("p.canary", false, &rollout(0)),
        r#"{"name": "p.new", "enabled": true, "description": "moved", "strategies": [{"name": "default"}]}"#,
        flag("p.shadow", true, ALL)
    ))
    .await;
    assert_eq!(watch.look(&doc.flags), Moves::NONE);
}

#[tokio::test]
async fn another_strategy_may_move_records_both_ways() {
    let users =
        |ids: &str| format!(r#"{{"name": "userWithId", "parameters": {{"userIds": "{ids}"}}}}"#);
    let doc = Doc::new(&owners(
        &flag("p.canary", true, &users("1,2")),
        &flag("p.new", false, ALL),
    ))
    .await;
    let mut watch = OwnersWatch::new(&doc.flags, names());
    doc.set(&owners(
        &flag("p.canary", true, &users("2,3")),
        &flag("p.new", false, ALL),
    ))
    .await;
    assert_eq!(watch.look(&doc.flags), BOTH);
    // A rollout whose stickiness changes puts keys elsewhere: both ways too.
    doc.set(&owners(
        &flag("p.canary", true, &rollout(20)),
        &flag("p.new", false, ALL),
    ))
    .await;
    assert_eq!(watch.look(&doc.flags), BOTH);
    let by_session = rollout(40).replace("userId", "sessionId");
    doc.set(&owners(
        &flag("p.canary", true, &by_session),
        &flag("p.new", false, ALL),
    ))
    .await;
    assert_eq!(watch.look(&doc.flags), BOTH);
}

#[tokio::test]
async fn a_flag_that_disappears_is_off() {
    let doc = Doc::new(&owners(
        &flag("p.canary", true, &rollout(5)),
        &flag("p.new", false, ALL),
    ))
    .await;
    let mut watch = OwnersWatch::new(&doc.flags, names());
    doc.set(&flag("p.new", false, ALL)).await;
    assert_eq!(watch.look(&doc.flags), TO_LEGACY);
    assert_eq!(watch.seen(), doc.flags.generation());
}

#[test]
fn moves_read_as_words() {
    assert_eq!(TO_NEW.describe(), "to new");
    assert_eq!(TO_LEGACY.describe(), "to legacy");
    assert_eq!(BOTH.describe(), "both ways");
    assert!(!Moves::NONE.any() && TO_NEW.union(TO_LEGACY) == BOTH);
}
