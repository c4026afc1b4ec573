//! The handover: when the owner flags of a data context synced both ways
//! change (a promotion or a rollback, by mode or by percentage), records
//! change owner while the old owner's last writes may still be in its
//! outbox. Until they have reached the new owner, a write it accepts would
//! be judged without them (a refund of 30.00 on a payment the service had
//! already refunded 20.00: 50.00 refunded). So, per data context whose
//! routes declare `sync = true`:
//!
//! - a change of the routes' `canary` or `new` flags that may move records
//!   (strangler-flags' [`strangler_flags::OwnersWatch`], asked whenever
//!   [`strangler_flags::Flags::generation`] moves) starts a handover;
//! - during it, writes (unsafe methods) on the context's routes are answered
//!   `503` problem+json `handover` with `Retry-After: 1`; reads are served;
//!   a retired route is never held; held writes are no route answers (the
//!   watchdog does not see them) but `strangler_handover_held_writes_total`;
//! - it ends when every write given to either side before the change has
//!   answered (one given up on counts for its route's `timeout_ms` longer)
//!   and then a reading of the old owner's `GET /sync/status`, begun after
//!   that, shows `pending: 0` (the driver looks every 100 ms with
//!   [`crate::sync_lag::SyncLag::read_now`]); an old owner that cannot be
//!   read keeps writes held.
//!
//! What it does not cover (docs/data.md, "The handover"): several proxy
//! replicas each hold on their own, the monolith's own flows are held by
//! the monolith (its payments port), a restart forgets a handover.

mod context;
pub mod driver;
mod writes;

pub use context::Handover;
pub(crate) use context::{Admission, ContextState};
pub use driver::TICK;

use crate::metrics::ProxyMetrics;
use crate::routes::{Route, RouteTable};
use http::Method;
use platform::metrics::{Kind, Sample};
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError, RwLock};
use strangler_flags::Flags;

type Contexts = Arc<RwLock<BTreeMap<String, Arc<ContextState>>>>;

/// Every synced data context's handover state.
pub struct Handovers {
    contexts: Contexts,
}

impl Handovers {
    /// No context yet (see [`Handovers::refresh`]); registers the metric
    /// families in `metrics`.
    pub fn new(metrics: &ProxyMetrics) -> anyhow::Result<Self> {
        let contexts = Contexts::default();
        let read = contexts.clone();
        metrics.register_snapshot(
            "strangler_handover_active",
            "1 while a data context's records change owner and its writes are held until the old owner's last changes are delivered, else 0.",
            Kind::Gauge,
            &["data"],
            move || samples(&read, |c| if c.active() { 1.0 } else { 0.0 }),
        )?;
        let read = contexts.clone();
        metrics.register_snapshot(
            "strangler_handover_held_writes_total",
            "Writes answered 503 handover, by data context.",
            Kind::Counter,
            &["data"],
            move || samples(&read, |c| c.held_writes.load(Ordering::Relaxed) as f64),
        )?;
        Ok(Self { contexts })
    }

    /// Follows the synced contexts of `table` (a context whose owner flags
    /// are the same keeps its state; a new one starts from the flags now).
    pub fn refresh(&self, table: &RouteTable, flags: &Flags) {
        let wanted = synced(table);
        let mut contexts = self
            .contexts
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        contexts.retain(|name, c| wanted.get(name) == Some(&c.owner_flags));
        for (name, owner_flags) in wanted {
            contexts
                .entry(name.clone())
                .or_insert_with(|| Arc::new(ContextState::new(flags, name, owner_flags)));
        }
    }

    fn of(&self, route: &Route) -> Option<Arc<ContextState>> {
        if route.retired {
            return None;
        }
        let data = route.data.as_deref()?;
        let contexts = self.contexts.read().unwrap_or_else(PoisonError::into_inner);
        contexts.get(data).cloned()
    }

    /// Whether a `method` request of `route` is a write a handover tracks
    /// (and holds).
    pub fn tracks(&self, route: &Route, method: &Method) -> bool {
        !crate::proxy::is_safe(method) && self.of(route).is_some()
    }

    /// Admits a `method` request of `route`: `None` when it is no tracked
    /// write.
    pub(crate) fn admit(&self, flags: &Flags, route: &Route, method: &Method) -> Option<Admission> {
        if crate::proxy::is_safe(method) {
            return None;
        }
        Some(self.of(route)?.admit(flags, route.timeout))
    }

    /// The handovers in progress.
    pub fn active(&self) -> Vec<Handover> {
        self.all().iter().filter_map(|c| c.handover()).collect()
    }

    /// The handover of `data`, if one runs.
    pub fn of_data(&self, data: &str) -> Option<Handover> {
        let contexts = self.contexts.read().unwrap_or_else(PoisonError::into_inner);
        contexts.get(data).and_then(|c| c.handover())
    }

    pub(crate) fn all(&self) -> Vec<Arc<ContextState>> {
        let contexts = self.contexts.read().unwrap_or_else(PoisonError::into_inner);
        contexts.values().cloned().collect()
    }
}

/// The contexts with a non-retired `sync = true` route, each with the
/// `canary` and `new` flags of those routes (sorted, once each).
fn synced(table: &RouteTable) -> BTreeMap<String, Vec<String>> {
    let mut synced: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for route in table.routes().iter().filter(|r| r.sync && !r.retired) {
        let Some(data) = &route.data else { continue };
        let names = synced.entry(data.clone()).or_default();
        names.extend(route.flags.canary.iter().chain(&route.flags.new).cloned());
        names.sort();
        names.dedup();
    }
    synced
}

fn samples(contexts: &Contexts, value: impl Fn(&ContextState) -> f64) -> Vec<Sample> {
    let contexts = contexts.read().unwrap_or_else(PoisonError::into_inner);
    contexts
        .values()
        .map(|c| Sample::new([c.name.as_str()], value(c)))
        .collect()
}

#[cfg(test)]
mod tests;
