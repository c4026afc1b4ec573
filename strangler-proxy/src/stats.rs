//! Per-route and per-backend counters for the admin API: plain atomics bumped
//! on the request path, read as a snapshot. A route keeps its counters across
//! reloads (they are found by name when the table is rebuilt). The same
//! counters feed the Prometheus families of [`crate::metrics`]: each route's
//! [`RouteSeries`] is bumped alongside, and fallbacks, upstream failures and
//! untranslated requests are read from these atomics at scrape time.

use crate::metrics::{ProxyMetrics, RouteSeries, SnapshotCounter, UNROUTED};
use crate::proxy::decide::Mode;
use platform::metrics::{Kind, Sample};
use serde::Serialize;
use std::collections::BTreeMap;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// The counters of one route (or of unrouted traffic).
#[derive(Debug)]
pub struct Counters {
    requests: AtomicU64,
    served_by_legacy: AtomicU64,
    served_by_new: AtomicU64,
    fallbacks: AtomicU64,
    upstream_failures: AtomicU64,
    untranslated: AtomicU64,
    status_classes: [AtomicU64; 5],
    /// The new side's recent requests, for the watchdog.
    recent: Mutex<VecDeque<NewSideOutcome>>,
    /// Its Prometheus request series.
    series: RouteSeries,
}

/// One request the new side was asked to serve.
#[derive(Debug, Clone, Copy)]
pub struct NewSideOutcome {
    /// When it ended.
    pub at: Instant,
    /// How long it took, in ms.
    pub latency_ms: u64,
    /// The new side failed (5xx, no answer, untranslatable).
    pub failed: bool,
    /// The monolith served it instead.
    pub fell_back: bool,
}

/// The most outcomes kept per route; older ones fall off first.
const RECENT_MAX: usize = 10_000;

/// Who answered a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Backend {
    /// The monolith, as decided.
    Legacy,
    /// The new service.
    New,
    /// The monolith, after the new side failed.
    LegacyFallback,
}

impl Backend {
    /// The name used in headers and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Legacy => "legacy",
            Self::New => "new",
            Self::LegacyFallback => "legacy-fallback",
        }
    }
}

impl Counters {
    /// Zeroed counters feeding `series`.
    pub fn new(series: RouteSeries) -> Self {
        Self {
            requests: AtomicU64::default(),
            served_by_legacy: AtomicU64::default(),
            served_by_new: AtomicU64::default(),
            fallbacks: AtomicU64::default(),
            upstream_failures: AtomicU64::default(),
            untranslated: AtomicU64::default(),
            status_classes: Default::default(),
            recent: Mutex::default(),
            series,
        }
    }

    /// Counts one answered request, served in `mode`, `elapsed` after it came in.
    pub fn answered(&self, mode: Mode, backend: Backend, status: u16, elapsed: Duration) {
        self.series.observe(mode, backend, status, elapsed);
        self.requests.fetch_add(1, Ordering::Relaxed);
        let by = match backend {
            Backend::New => &self.served_by_new,
            Backend::Legacy | Backend::LegacyFallback => &self.served_by_legacy,
        };
        by.fetch_add(1, Ordering::Relaxed);
        if backend == Backend::LegacyFallback {
            self.fallbacks.fetch_add(1, Ordering::Relaxed);
        }
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        self.status_classes[class].fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a failure of an upstream (whether or not a fallback followed).
    pub fn upstream_failed(&self) {
        self.upstream_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// Remembers how the new side did on one request.
    pub fn new_side(&self, outcome: NewSideOutcome) {
        let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        if recent.len() == RECENT_MAX {
            recent.pop_front();
        }
        recent.push_back(outcome);
    }

    /// The new side's outcomes since `since`.
    pub fn new_side_since(&self, since: Instant) -> Vec<NewSideOutcome> {
        let recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        recent.iter().filter(|o| o.at >= since).copied().collect()
    }

    /// Forgets the new side's outcomes (after a rollback, so old failures are
    /// not judged twice).
    pub fn forget_new_side(&self) {
        self.recent
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// Counts a request the translator left to the monolith.
    pub fn untranslated(&self) {
        self.untranslated.fetch_add(1, Ordering::Relaxed);
    }

    /// The counters now.
    pub fn snapshot(&self) -> CountersSnapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        CountersSnapshot {
            requests: get(&self.requests),
            served_by_legacy: get(&self.served_by_legacy),
            served_by_new: get(&self.served_by_new),
            fallbacks: get(&self.fallbacks),
            upstream_failures: get(&self.upstream_failures),
            untranslated: get(&self.untranslated),
            status: ["1xx", "2xx", "3xx", "4xx", "5xx"]
                .iter()
                .zip(&self.status_classes)
                .map(|(k, v)| ((*k).to_owned(), get(v)))
                .collect(),
        }
    }
}

/// Counters as numbers.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct CountersSnapshot {
    /// Requests answered.
    pub requests: u64,
    /// Answered by the monolith (decided or fallback).
    pub served_by_legacy: u64,
    /// Answered by the new side.
    pub served_by_new: u64,
    /// Answered by the monolith because the new side failed.
    pub fallbacks: u64,
    /// Upstream failures (connect, timeout, 5xx, untranslatable answers).
    pub upstream_failures: u64,
    /// Requests the translator left to the monolith.
    pub untranslated: u64,
    /// Answers by status class.
    pub status: BTreeMap<String, u64>,
}

/// All counters, by route name, and the Prometheus registry they feed.
pub struct Stats {
    routes: RwLock<BTreeMap<String, Arc<Counters>>>,
    unrouted: Arc<Counters>,
    metrics: ProxyMetrics,
}

impl std::fmt::Debug for Stats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stats")
            .field("routes", &self.routes)
            .finish_non_exhaustive()
    }
}

impl Stats {
    /// Empty counters with a fresh registry; the per-route totals kept here
    /// are exposed as `strangler_fallbacks_total`,
    /// `strangler_upstream_failures_total` and `strangler_untranslated_total`.
    pub fn new() -> prometheus::Result<Arc<Self>> {
        let metrics = ProxyMetrics::new()?;
        let stats = Arc::new(Self {
            routes: RwLock::default(),
            unrouted: Arc::new(Counters::new(metrics.route(UNROUTED))),
            metrics: metrics.clone(),
        });
        let families: [SnapshotCounter<CountersSnapshot>; 3] = [
            (
                "strangler_fallbacks_total",
                "Requests the monolith answered because the new side failed, by route group.",
                |c| c.fallbacks,
            ),
            (
                "strangler_upstream_failures_total",
                "New-side failures (no answer, timeout, 5xx, untranslatable answer), by route group.",
                |c| c.upstream_failures,
            ),
            (
                "strangler_untranslated_total",
                "Requests the ACL translator left to the monolith, by route group.",
                |c| c.untranslated,
            ),
        ];
        for (name, help, field) in families {
            // Weak: the registry lives inside `Stats`; a strong handle would be a cycle.
            let weak = Arc::downgrade(&stats);
            metrics.register_snapshot(name, help, Kind::Counter, &["route"], move || {
                weak.upgrade()
                    .map(|stats| stats.route_samples(field))
                    .unwrap_or_default()
            })?;
        }
        Ok(stats)
    }

    /// One sample per configured route (unrouted traffic has none of these).
    fn route_samples(&self, field: fn(&CountersSnapshot) -> u64) -> Vec<Sample> {
        self.routes
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(name, c)| Sample::new([name.as_str()], field(&c.snapshot()) as f64))
            .collect()
    }

    /// The Prometheus registry these counters feed.
    pub fn metrics(&self) -> &ProxyMetrics {
        &self.metrics
    }

    /// The counters of `route`, created on first use.
    pub fn route(&self, route: &str) -> Arc<Counters> {
        if let Some(c) = self
            .routes
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(route)
        {
            return c.clone();
        }
        self.routes
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .entry(route.to_owned())
            .or_insert_with(|| Arc::new(Counters::new(self.metrics.route(route))))
            .clone()
    }

    /// Counters of requests no route claims.
    pub fn unrouted(&self) -> &Counters {
        &self.unrouted
    }

    /// Every route's counters, plus `(unrouted)`.
    pub fn snapshot(&self) -> BTreeMap<String, CountersSnapshot> {
        let mut all: BTreeMap<String, CountersSnapshot> = self
            .routes
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(k, v)| (k.clone(), v.snapshot()))
            .collect();
        all.insert("(unrouted)".into(), self.unrouted.snapshot());
        all
    }
}
