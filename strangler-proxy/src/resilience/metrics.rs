//! The guards' state as Prometheus families, read at scrape time from the
//! guards themselves (nothing is counted twice): breaker state, bulkhead
//! occupancy and capacity (saturation is `in_flight / capacity`), and the
//! guards' totals. `backend` is an upstream from the route table, so the
//! label stays bounded.

use super::{GuardSnapshot, Resilience, snapshot_of};
use crate::metrics::ProxyMetrics;
use platform::metrics::{Kind, Sample};

/// Name, help, kind, and how to read the value off a guard's snapshot.
type Family = (&'static str, &'static str, Kind, fn(&GuardSnapshot) -> f64);

const FAMILIES: [Family; 6] = [
    (
        "strangler_breaker_state",
        "Circuit breaker state by backend: 0 closed, 1 half-open, 2 open.",
        Kind::Gauge,
        |g| g.breaker.level(),
    ),
    (
        "strangler_breaker_opened_total",
        "Times the backend's circuit breaker opened.",
        Kind::Counter,
        |g| g.breaker_opened_total as f64,
    ),
    (
        "strangler_bulkhead_in_flight",
        "Requests in flight to the backend (its bulkhead's occupancy).",
        Kind::Gauge,
        |g| g.in_flight.into(),
    ),
    (
        "strangler_bulkhead_capacity",
        "Requests the backend's bulkhead lets in flight at once.",
        Kind::Gauge,
        |g| g.capacity.into(),
    ),
    (
        "strangler_bulkhead_rejected_total",
        "Requests refused because the backend's bulkhead was full.",
        Kind::Counter,
        |g| g.rejected_total as f64,
    ),
    (
        "strangler_retries_total",
        "Retries of requests to the backend after a refused connection.",
        Kind::Counter,
        |g| g.retries_total as f64,
    ),
];

impl Resilience {
    /// Registers the families on `metrics` (a taken name is logged, not fatal:
    /// metrics never stop the data plane).
    pub fn expose(&self, metrics: &ProxyMetrics) {
        for (name, help, kind, value) in FAMILIES {
            let guards = self.guards.clone();
            let read = move || {
                snapshot_of(&guards)
                    .iter()
                    .map(|g| Sample::new([g.backend.as_str()], value(g)))
                    .collect()
            };
            if let Err(e) = metrics.register_snapshot(name, help, kind, &["backend"], read) {
                tracing::warn!(metric = name, error = %e, "resilience metric not registered");
            }
        }
    }
}
