//! Sync lag per data context and direction: a background task asks both
//! sides of each data context (a route's `data`: the monolith as its legacy
//! upstream for legacy → new, its `new` upstream for new → legacy) for
//! `GET /sync/status` every `sync.poll_interval`, and keeps the last reading
//! of each direction with its time (the interval is reloaded with the
//! gate's settings). A side that cannot be read is a reading
//! of "unknown" with the error, never 0.
//!
//! The readings are exported as `strangler_sync_lag_seconds` and
//! `strangler_sync_pending_events` (`data`, `direction`; NaN when unknown),
//! shown by `strangler status` and the dashboard, and judged by the gate
//! (`gate::rules`) for routes with `sync = true`, which asks
//! [`SyncLag::fresh`] so that it never judges a stale number.

mod poll;
mod reading;

pub use reading::{Direction, Measured, SyncReading};

use crate::metrics::ProxyMetrics;
use crate::proxy::Proxy;
use crate::routes::RouteTable;
use chrono::Utc;
use platform::metrics::{Kind, Sample};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::watch;

/// A reading older than this many poll intervals is stale.
pub const STALE_AFTER_POLLS: u32 = 3;

type Readings = Arc<Mutex<BTreeMap<(String, Direction), SyncReading>>>;

/// The last readings, and what takes them.
#[derive(Debug)]
pub struct SyncLag {
    readings: Readings,
    client: reqwest::Client,
    /// `sync.poll_interval` in milliseconds; the gate sets it from the rules
    /// in force, so a reload changes it.
    interval_ms: AtomicU64,
}

impl SyncLag {
    /// Polls every `interval` (until [`Self::set_interval`]); registers the
    /// metric families in `metrics`.
    pub fn new(interval: Duration, metrics: &ProxyMetrics) -> anyhow::Result<Arc<Self>> {
        let client = reqwest::Client::builder().build()?;
        let readings = Readings::default();
        for (name, help, value) in [
            (
                "strangler_sync_lag_seconds",
                "Age of the oldest undelivered sync change of a data context, by direction (legacy_to_new, new_to_legacy), in seconds; 0 when none waits, NaN when the side cannot be read.",
                (|m: &Measured| match m {
                    Measured::Known { lag_seconds, .. } => *lag_seconds,
                    Measured::Unknown { .. } => f64::NAN,
                }) as fn(&Measured) -> f64,
            ),
            (
                "strangler_sync_pending_events",
                "Sync changes of a data context recorded and not yet delivered, by direction; NaN when the side cannot be read.",
                |m: &Measured| match m {
                    Measured::Known { pending, .. } => *pending as f64,
                    Measured::Unknown { .. } => f64::NAN,
                },
            ),
        ] {
            let readings = readings.clone();
            metrics.register_snapshot(
                name,
                help,
                Kind::Gauge,
                &["data", "direction"],
                move || {
                    lock(&readings)
                        .values()
                        .map(|r| {
                            Sample::new(
                                [r.context.as_str(), r.direction.as_str()],
                                value(&r.measured),
                            )
                        })
                        .collect()
                },
            )?;
        }
        Ok(Arc::new(Self {
            readings,
            client,
            interval_ms: AtomicU64::new(millis(interval)),
        }))
    }

    /// How often both sides are read.
    pub fn interval(&self) -> Duration {
        Duration::from_millis(self.interval_ms.load(Ordering::Relaxed))
    }

    /// Reads every `interval` from the next round on.
    pub fn set_interval(&self, interval: Duration) {
        self.interval_ms.store(millis(interval), Ordering::Relaxed);
    }

    /// Every last reading, by context and direction.
    pub fn readings(&self) -> Vec<SyncReading> {
        lock(&self.readings).values().cloned().collect()
    }

    /// The last readings of `context` (none, one or both directions).
    pub fn of(&self, context: &str) -> Vec<SyncReading> {
        lock(&self.readings)
            .values()
            .filter(|r| r.context == context)
            .cloned()
            .collect()
    }

    /// How old a reading may be before it is stale.
    pub fn stale_after(&self) -> Duration {
        self.interval() * STALE_AFTER_POLLS
    }

    /// `context`'s readings, read again first when one is missing or stale
    /// (just after start, or when the poller fell behind).
    pub async fn fresh(&self, table: &RouteTable, context: &str) -> Vec<SyncReading> {
        let now = Utc::now();
        let current = self.of(context);
        let stale = current.len() < Direction::BOTH.len()
            || current
                .iter()
                .any(|r| (now - r.read_at).to_std().unwrap_or_default() > self.stale_after());
        if stale {
            self.poll_context(table, context).await;
        }
        self.of(context)
    }

    /// `context`'s readings, both sides read now (for a judgement that must
    /// not rest on a reading a poll interval old).
    pub async fn read_now(&self, table: &RouteTable, context: &str) -> Vec<SyncReading> {
        self.poll_context(table, context).await;
        self.of(context)
    }

    /// Reads both sides of every data context in `table` once; forgets
    /// contexts no route names any more.
    pub async fn poll(&self, table: &RouteTable) {
        let contexts: Vec<String> = table
            .routes()
            .iter()
            .filter_map(|r| r.data.clone())
            .collect();
        lock(&self.readings).retain(|(context, _), _| contexts.contains(context));
        for context in contexts {
            self.poll_context(table, &context).await;
        }
    }

    async fn poll_context(&self, table: &RouteTable, context: &str) {
        // The first route of a context names its sides: the route table
        // refuses routes of one context with other upstreams.
        let Some(route) = table
            .routes()
            .iter()
            .find(|r| r.data.as_deref() == Some(context))
        else {
            return;
        };
        // A side slower than a round is as good as unknown.
        let timeout = self.interval().min(Duration::from_secs(10));
        let legacy = route.legacy.to_string();
        let new = route.new.as_ref().map(ToString::to_string);
        let read = |direction: Direction, upstream: Option<String>| async move {
            let measured = match &upstream {
                Some(u) => poll::read(&self.client, u, context, timeout, direction).await,
                None => Measured::Unknown {
                    error: format!("route `{}` has no `new` upstream to read", route.name),
                },
            };
            SyncReading {
                context: context.to_owned(),
                direction,
                upstream: upstream.unwrap_or_default(),
                read_at: Utc::now(),
                measured,
            }
        };
        let (to_new, to_legacy) = tokio::join!(
            read(Direction::LegacyToNew, Some(legacy)),
            read(Direction::NewToLegacy, new)
        );
        let mut readings = lock(&self.readings);
        for r in [to_new, to_legacy] {
            if let Measured::Unknown { error } = &r.measured {
                tracing::debug!(context, direction = r.direction.as_str(), %error, "sync lag unknown");
            }
            readings.insert((r.context.clone(), r.direction), r);
        }
    }

    /// Polls until `stopped`, reading the route table in force each round.
    pub async fn run(self: Arc<Self>, proxy: Arc<Proxy>, mut stopped: watch::Receiver<bool>) {
        loop {
            self.poll(&proxy.table()).await;
            tokio::select! {
                _ = stopped.changed() => break,
                _ = tokio::time::sleep(self.interval()) => {}
            }
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn lock(
    readings: &Readings,
) -> std::sync::MutexGuard<'_, BTreeMap<(String, Direction), SyncReading>> {
    // A panic while holding it leaves whole readings behind: still usable.
    readings.lock().unwrap_or_else(PoisonError::into_inner)
}
