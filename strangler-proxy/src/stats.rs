//! Per-route and per-backend counters for the admin API: plain atomics bumped
//! on the request path, read as a snapshot. A route keeps its counters across
//! reloads (they are found by name when the table is rebuilt). The same
//! counters feed the Prometheus families of [`crate::metrics`]: each route's
//! [`RouteSeries`] is bumped alongside, and fallbacks, upstream failures and
//! untranslated requests are read from these atomics at scrape time.

use crate::metrics::{ProxyMetrics, RouteSeries, SnapshotCounter, UNROUTED};
use crate::proxy::decide::Mode;
use crate::watchdog::Health;
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
    /// When the watchdog last forgot them (after a rollback).
    forgotten_at: Mutex<Option<Instant>>,
    /// The monolith's recent answers to shadowed requests: the watchdog's
    /// baseline for the new side's 4xx rates.
    legacy_recent: Mutex<VecDeque<LegacyAnswer>>,
    /// What the watchdog saw at its last look, for the admin API and metrics.
    watched: Mutex<Option<Health>>,
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
    /// The status the client got.
    pub status: u16,
}

/// One request the monolith answered while the route was migrating.
#[derive(Debug, Clone, Copy)]
pub struct LegacyAnswer {
    /// When it ended.
    pub at: Instant,
    /// Its status.
    pub status: u16,
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
            forgotten_at: Mutex::default(),
            legacy_recent: Mutex::default(),
            watched: Mutex::default(),
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
        // Only while the route is shadowed (in `shadow`, and in `canary` for
        // clients outside the cohort, whose requests are decided `shadow`):
        // a route in `legacy` pays no lock per request, and the gate needs
        // shadow samples before every `canary` or `new`.
        if backend == Backend::Legacy && mode != Mode::Legacy {
            push_bounded(
                &self.legacy_recent,
                LegacyAnswer {
                    at: Instant::now(),
                    status,
                },
            );
        }
    }

    /// Counts a failure of an upstream (whether or not a fallback followed).
    pub fn upstream_failed(&self) {
        self.upstream_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// Remembers how the new side did on one request.
    pub fn new_side(&self, outcome: NewSideOutcome) {
        push_bounded(&self.recent, outcome);
    }

    /// The monolith's baseline: its answers in the last `window` it served
    /// the route's shadowed requests (up to the latest such answer). In
    /// `canary` that is the same window as the new side's (clients outside
    /// the cohort); in `new`, where the monolith serves nothing, it is the
    /// last window before the move.
    pub fn legacy_baseline(&self, window: Duration) -> Vec<LegacyAnswer> {
        let recent = lock(&self.legacy_recent);
        let Some(latest) = recent.back().map(|a| a.at) else {
            return Vec::new();
        };
        let from = latest.checked_sub(window).unwrap_or(latest);
        recent.iter().filter(|a| a.at >= from).copied().collect()
    }

    /// The new side's outcomes since `since`.
    pub fn new_side_since(&self, since: Instant) -> Vec<NewSideOutcome> {
        let recent = lock(&self.recent);
        recent.iter().filter(|o| o.at >= since).copied().collect()
    }

    /// Forgets the new side's outcomes (after a rollback, so old failures are
    /// not judged twice).
    pub fn forget_new_side(&self) {
        lock(&self.recent).clear();
        *lock(&self.forgotten_at) = Some(Instant::now());
    }

    /// When the new side's outcomes were last forgotten: the watchdog judges
    /// nothing older (shadow results included).
    pub fn forgotten_at(&self) -> Option<Instant> {
        *lock(&self.forgotten_at)
    }

    /// Keeps what the watchdog saw at its last look.
    pub fn watched(&self, health: Health) {
        *lock(&self.watched) = Some(health);
    }

    /// What the watchdog saw at its last look, if it looked at this route.
    pub fn last_watched(&self) -> Option<Health> {
        *lock(&self.watched)
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

/// A poisoned lock still holds sound data here: every writer only pushes or
/// replaces whole values.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn push_bounded<T>(ring: &Mutex<VecDeque<T>>, item: T) {
    let mut ring = lock(ring);
    if ring.len() == RECENT_MAX {
        ring.pop_front();
    }
    ring.push_back(item);
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
        let weak = Arc::downgrade(&stats);
        metrics.register_snapshot(
            "strangler_watchdog_rate",
            "The rates the watchdog compared at its last look at a route in canary or new, by route group and rate (error, fallback, not_found, client_error of the new side; legacy_not_found, legacy_client_error: the monolith's baseline; candidate_missing: shadow samples whose candidate lacked the record).",
            Kind::Gauge,
            &["route", "rate"],
            move || {
                weak.upgrade()
                    .map(|stats| stats.watchdog_samples())
                    .unwrap_or_default()
            },
        )?;
        Ok(stats)
    }

    /// The watchdog's last rates per route; a rate it had no data for
    /// (no baseline, no shadow samples) has no sample.
    fn watchdog_samples(&self) -> Vec<Sample> {
        let routes = self.routes.read().unwrap_or_else(|p| p.into_inner());
        let mut out = Vec::new();
        for (name, c) in routes.iter() {
            let Some(h) = c.last_watched() else { continue };
            let mut rates = vec![
                ("error", h.error_rate),
                ("fallback", h.fallback_rate),
                ("not_found", h.not_found_rate),
                ("client_error", h.client_error_rate),
            ];
            if let Some(b) = h.baseline {
                rates.push(("legacy_not_found", b.not_found_rate));
                rates.push(("legacy_client_error", b.client_error_rate));
            }
            if let Some(s) = h.shadow {
                rates.push(("candidate_missing", s.candidate_missing_rate));
            }
            out.extend(
                rates
                    .into_iter()
                    .map(|(rate, v)| Sample::new([name.as_str(), rate], v)),
            );
        }
        out
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
