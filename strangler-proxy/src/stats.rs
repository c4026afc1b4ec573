//! Per-route and per-backend counters for the admin API: plain atomics bumped
//! on the request path, read as a snapshot. A route keeps its counters across
//! reloads (they are found by name when the table is rebuilt).

use serde::Serialize;
use std::collections::BTreeMap;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

/// The counters of one route (or of unrouted traffic).
#[derive(Debug, Default)]
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
    /// Counts one answered request.
    pub fn answered(&self, backend: Backend, status: u16) {
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

/// All counters, by route name.
#[derive(Debug, Default)]
pub struct Stats {
    routes: RwLock<BTreeMap<String, Arc<Counters>>>,
    unrouted: Arc<Counters>,
}

impl Stats {
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
            .or_default()
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
