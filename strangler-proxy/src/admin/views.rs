//! The admin API's JSON documents, shared with the CLI that reads them.

use crate::handover::Handover;
use crate::proxy::decide::Mode;
use crate::reload::ReloadState;
use crate::resilience::GuardSnapshot;
use crate::shadow::mirror::tally::ShadowTraffic;
use crate::shadow::store::{Epoch, StoredVerifyRun};
use crate::stats::CountersSnapshot;
use crate::sync_lag::SyncReading;
use crate::watchdog::Health;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A route as the admin API shows it.
#[derive(Debug, Serialize, Deserialize)]
pub struct RouteView {
    /// Name.
    pub name: String,
    /// Current mode (the furthest stage whose flag is on).
    pub mode: Mode,
    /// Patterns.
    pub patterns: Vec<String>,
    /// Methods (`*` = all).
    pub methods: Vec<String>,
    /// Legacy upstream.
    pub legacy: String,
    /// New upstream.
    pub new: Option<String>,
    /// ACL translator.
    pub translator: Option<String>,
    /// Data context (`data`).
    #[serde(default)]
    pub data: Option<String>,
    /// Whether the data context's sync lag gates its promotions.
    #[serde(default)]
    pub sync: bool,
    /// Flag names by stage.
    pub flags: BTreeMap<String, String>,
    /// Counters.
    pub counters: CountersSnapshot,
    /// What the watchdog compared at its last look (routes in `canary` or
    /// `new` only): the new side's rates, the monolith's baseline, the
    /// shadow samples whose candidate lacked the record.
    #[serde(default)]
    pub watchdog: Option<Health>,
    /// What became of its shadowed requests since the proxy started: copies,
    /// comparisons, drops, and the share of shadowed traffic compared.
    #[serde(default)]
    pub shadow: ShadowTraffic,
}

/// Everything `strangler status` shows.
#[derive(Debug, Serialize, Deserialize)]
pub struct StatusView {
    /// Routes with modes and counters.
    pub routes: Vec<RouteView>,
    /// Requests no route claimed.
    pub unrouted: CountersSnapshot,
    /// The flag source's last error, if its state is not the latest.
    pub flags_error: Option<String>,
    /// The last reload.
    pub reload: ReloadOutcome,
    /// Each new-side upstream's breaker and bulkhead.
    #[serde(default)]
    pub backends: Vec<GuardSnapshot>,
    /// The last verify run of each data context.
    #[serde(default)]
    pub verify: Vec<StoredVerifyRun>,
    /// The current shadow-counting epoch of each route that has one.
    #[serde(default)]
    pub epochs: Vec<Epoch>,
    /// The last sync lag reading of each data context and direction.
    #[serde(default)]
    pub sync: Vec<SyncReading>,
    /// The handovers in progress (a synced context whose owner flags
    /// changed, its writes held).
    #[serde(default)]
    pub handovers: Vec<Handover>,
}

/// The last reload, as shown.
#[derive(Debug, Serialize, Deserialize)]
pub struct ReloadOutcome {
    /// Reloads applied.
    pub applied: u64,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

impl From<ReloadState> for ReloadOutcome {
    fn from(s: ReloadState) -> Self {
        Self {
            applied: s.applied,
            last_error: s.last_error,
        }
    }
}
