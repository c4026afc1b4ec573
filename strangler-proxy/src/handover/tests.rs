//! The handover's state machine: what starts one, what a write gets during
//! it, and what ends it.

#![allow(clippy::unwrap_used)]
use super::*;
use crate::routes::tests::build;
use crate::stats::Stats;
use crate::sync_lag::{Direction, Measured, SyncReading};
use platform::relay::Transport;
use std::path::PathBuf;
use std::sync::atomic::AtomicU32;
use std::time::{Duration, Instant};

const ROUTES: &str = r#"
[[routes]]
name = "payments"
patterns = ["/api/v1/payments/{id}", "/api/v1/payments/{id}/refunds"]
new = "http://127.0.0.1:9001"
translator = "payments"
record_param = "id"
data = "payments"
sync = true
timeout_ms = 200
[routes.flags]
shadow = "payments.shadow"
canary = "payments.canary"
new = "payments.new"
"#;

/// A flags file of the test's own, rewritten by [`FlagsFile::set`].
struct FlagsFile {
    path: PathBuf,
    flags: Flags,
}

impl FlagsFile {
    async fn new(mode: &str) -> Self {
        static FILES: AtomicU32 = AtomicU32::new(0);
        let n = FILES.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("handover-{}-{n}.json", std::process::id()));
        std::fs::write(&path, document(mode)).unwrap();
        let flags = Flags::from_file(&path).await.unwrap();
        Self { path, flags }
    }

    async fn set(&self, mode: &str) {
        std::fs::write(&self.path, document(mode)).unwrap();
        self.flags.reload().await.unwrap();
    }
}

impl Drop for FlagsFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The route's flags in `mode` (`legacy`, `shadow`, `canary:<percent>`, `new`).
fn document(mode: &str) -> String {
    let on = |stage: &str| mode == stage;
    let percent = mode.strip_prefix("canary:");
    format!(
        r#"{{"version": 2, "features": [
          {{"name": "payments.shadow", "enabled": {}, "strategies": [{{"name": "default"}}]}},
          {{"name": "payments.canary", "enabled": {}, "strategies": [{{"name": "flexibleRollout",
            "parameters": {{"rollout": "{}", "stickiness": "userId", "groupId": "payments"}}}}]}},
          {{"name": "payments.new", "enabled": {}, "strategies": [{{"name": "default"}}]}}]}}"#,
        on("shadow"),
        percent.is_some(),
        percent.unwrap_or("0"),
        on("new"),
    )
}

struct Fixture {
    file: FlagsFile,
    table: crate::routes::RouteTable,
    handovers: Handovers,
    stats: Arc<Stats>,
}

impl Fixture {
    async fn new(routes: &str, mode: &str) -> Self {
        let file = FlagsFile::new(mode).await;
        let table = build(routes).unwrap();
        let stats = Stats::new().unwrap();
        let handovers = Handovers::new(stats.metrics()).unwrap();
        handovers.refresh(&table, &file.flags);
        Self {
            file,
            table,
            handovers,
            stats,
        }
    }

    fn route(&self) -> &Route {
        &self.table.routes()[0]
    }

    fn write(&self) -> Option<Admission> {
        self.handovers
            .admit(&self.file.flags, self.route(), &Method::POST)
    }

    fn context(&self) -> Arc<ContextState> {
        self.handovers.all().into_iter().next().unwrap()
    }
}

fn tracked(admission: Option<Admission>) -> super::writes::WriteGuard {
    match admission {
        Some(Admission::Tracked(guard)) => guard,
        Some(Admission::Held(detail)) => panic!("held: {detail}"),
        None => panic!("not tracked"),
    }
}

fn held(admission: Option<Admission>) -> String {
    match admission {
        Some(Admission::Held(detail)) => detail,
        Some(Admission::Tracked(_)) => panic!("admitted"),
        None => panic!("not tracked"),
    }
}

fn reading(direction: Direction, measured: Measured) -> SyncReading {
    SyncReading {
        context: "payments".into(),
        direction,
        upstream: "http://127.0.0.1:8080".into(),
        read_at: chrono::Utc::now(),
        measured,
    }
}

fn pending(direction: Direction, pending: i64) -> SyncReading {
    reading(
        direction,
        Measured::Known {
            pending,
            lag_seconds: if pending == 0 { 0.0 } else { 3.0 },
            relay: Transport::Http,
        },
    )
}

#[tokio::test]
async fn a_promotion_holds_writes_until_the_monolith_delivered_its_changes() {
    let f = Fixture::new(ROUTES, "legacy").await;
    let before = tracked(f.write());
    assert!(
        f.handovers
            .admit(&f.file.flags, f.route(), &Method::GET)
            .is_none(),
        "reads are never tracked"
    );

    f.file.set("new").await;
    let detail = held(f.write());
    assert!(
        detail.contains("`payments`") && detail.contains("to new (old owner: the monolith)"),
        "{detail}"
    );
    assert!(
        f.handovers
            .admit(&f.file.flags, f.route(), &Method::GET)
            .is_none()
    );
    let shown = f.handovers.active();
    assert_eq!(shown.len(), 1);
    assert!(shown[0].to_new && !shown[0].to_legacy);
    assert_eq!(shown[0].held_writes, 1);

    let context = f.context();
    assert_eq!(context.writes_settled(Instant::now()), None);
    assert!(
        f.handovers
            .of_data("payments")
            .unwrap()
            .pending
            .contains("1 write(s) still in flight"),
        "the write sent before the change is waited for"
    );
    before.answered();
    let epoch = context.writes_settled(Instant::now()).unwrap();

    assert!(!context.finish(epoch, &[pending(Direction::LegacyToNew, 2)]));
    assert!(
        held(f.write()).contains("2 change(s) in the monolith's outbox not yet delivered"),
        "the detail names what is pending"
    );
    let unreadable = Measured::Unknown {
        error: "cannot connect".into(),
    };
    assert!(!context.finish(epoch, &[reading(Direction::LegacyToNew, unreadable)]));
    assert!(held(f.write()).contains("sync status cannot be read (cannot connect)"));
    assert!(
        !context.finish(epoch, &[pending(Direction::NewToLegacy, 0)]),
        "the new side's figure says nothing of the monolith's outbox"
    );

    // The service's own outbox is no old owner's: it does not hold.
    let done = [
        pending(Direction::LegacyToNew, 0),
        pending(Direction::NewToLegacy, 5),
    ];
    assert!(context.finish(epoch, &done));
    tracked(f.write()).answered();
    assert!(f.handovers.active().is_empty());

    let metrics = f.stats.metrics().render().unwrap();
    assert!(
        metrics.contains("strangler_handover_held_writes_total{data=\"payments\"} 3"),
        "{metrics}"
    );
    assert!(metrics.contains("strangler_handover_active{data=\"payments\"} 0"));
}

#[tokio::test]
async fn a_rollback_waits_for_the_services_changes() {
    let f = Fixture::new(ROUTES, "new").await;
    f.file.set("legacy").await;
    let detail = held(f.write());
    assert!(
        detail.contains("to legacy (old owner: the service)"),
        "{detail}"
    );
    let context = f.context();
    let epoch = context.writes_settled(Instant::now()).unwrap();
    let waiting = [
        pending(Direction::LegacyToNew, 0),
        pending(Direction::NewToLegacy, 1),
    ];
    assert!(!context.finish(epoch, &waiting));
    assert!(
        f.handovers
            .of_data("payments")
            .unwrap()
            .pending
            .contains("1 change(s) in the service's outbox")
    );
    assert!(context.finish(epoch, &[pending(Direction::NewToLegacy, 0)]));
    tracked(f.write()).answered();
}

#[tokio::test]
async fn a_canary_that_grows_or_shrinks_hands_over_its_way() {
    let f = Fixture::new(ROUTES, "canary:10").await;
    f.file.set("canary:50").await;
    held(f.write());
    let shown = &f.handovers.active()[0];
    assert!(shown.to_new && !shown.to_legacy);

    // A shrink while it runs: both old owners must have delivered, in a
    // reading taken after this change.
    let context = f.context();
    let first = context.writes_settled(Instant::now()).unwrap();
    f.file.set("canary:20").await;
    held(f.write());
    let both = [
        pending(Direction::LegacyToNew, 0),
        pending(Direction::NewToLegacy, 0),
    ];
    assert!(
        !context.finish(first, &both),
        "a reading of before the last change"
    );
    let shown = &f.handovers.active()[0];
    assert!(shown.to_new && shown.to_legacy);
    let second = context.writes_settled(Instant::now()).unwrap();
    assert!(
        !context.finish(second, &both[..1]),
        "the service is an old owner too"
    );
    assert!(context.finish(second, &both));
}

#[tokio::test]
async fn a_write_given_up_on_counts_for_the_routes_timeout() {
    let f = Fixture::new(ROUTES, "legacy").await;
    let gone = tracked(f.write());
    f.file.set("canary:30").await;
    held(f.write());
    drop(gone); // the client went away; the upstream may still be writing
    let context = f.context();
    let now = Instant::now();
    assert_eq!(context.writes_settled(now), None);
    assert!(
        f.handovers
            .of_data("payments")
            .unwrap()
            .pending
            .contains("given up on"),
        "{:?}",
        f.handovers.of_data("payments")
    );
    let after_timeout = now + f.route().timeout + Duration::from_millis(1);
    assert!(context.writes_settled(after_timeout).is_some());
}

#[tokio::test]
async fn changes_that_move_no_record_hold_nothing() {
    let f = Fixture::new(ROUTES, "legacy").await;
    f.file.set("shadow").await;
    tracked(f.write()).answered();
    f.file.set("shadow").await; // the same document again
    tracked(f.write()).answered();
    assert!(f.handovers.active().is_empty());
}

#[tokio::test]
async fn routes_not_synced_or_retired_are_never_held() {
    for routes in [
        ROUTES.replace("sync = true", "sync = false"),
        ROUTES.replace("sync = true", "sync = true\nretired = true"),
    ] {
        let f = Fixture::new(&routes, "legacy").await;
        f.file.set("new").await;
        assert!(f.write().is_none(), "{routes}");
        assert!(!f.handovers.tracks(f.route(), &Method::POST));
        assert!(f.handovers.active().is_empty());
    }
}

#[tokio::test]
async fn a_reload_with_the_same_owner_flags_keeps_the_handover() {
    let f = Fixture::new(ROUTES, "legacy").await;
    f.file.set("new").await;
    held(f.write());
    f.handovers.refresh(&build(ROUTES).unwrap(), &f.file.flags);
    assert_eq!(f.handovers.active().len(), 1);
    let renamed = ROUTES.replace("\"payments.canary\"", "\"payments.canary2\"");
    f.handovers
        .refresh(&build(&renamed).unwrap(), &f.file.flags);
    assert!(
        f.handovers.active().is_empty(),
        "other owner flags start from the flags in force"
    );
}
