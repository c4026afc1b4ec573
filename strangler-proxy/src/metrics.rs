//! The proxy's Prometheus metrics, served on the admin listener's
//! `GET /metrics` (no bearer token: scrapers, like `/healthz`; the admin
//! listener is loopback by default). One registry per proxy, owned by
//! [`crate::stats::Stats`].
//!
//! Labels are bounded by configuration: `route` is a route group name (or
//! `unrouted`), `mode` one of the four modes, `backend` one of `legacy`,
//! `new`, `legacy-fallback`, `status` an HTTP status code, `data` a route's
//! data context and `direction` `legacy_to_new` or `new_to_legacy`
//! ([`crate::sync_lag`]).
//!
//! The request path does no label lookup once warm: each route's
//! [`RouteSeries`] resolves the handle of a mode × backend (and of each
//! status code seen) on first use and keeps it, so a request costs a few
//! atomic increments. A route keeps its series across reloads, like its
//! counters. Numbers already kept elsewhere (fallbacks, upstream failures) are
//! read at scrape time by snapshot families, never counted twice; other parts
//! add their own gauges the same way with [`ProxyMetrics::register_snapshot`].

use crate::proxy::decide::Mode;
use crate::shadow::mirror::tally::{ShadowMetrics, ShadowTraffic, sum_where};
use crate::stats::Backend;
use platform::metrics::{Kind, LATENCY_BUCKETS, Metrics, Sample};
use prometheus::{
    Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts, Registry,
};
use std::sync::OnceLock;
use std::time::Duration;

/// The `route` label of requests no route claims.
pub const UNROUTED: &str = "unrouted";

/// A counter family read from one field of a snapshot: name, help, field.
pub type SnapshotCounter<T> = (&'static str, &'static str, fn(&T) -> u64);

/// The proxy's registry and the families it feeds directly.
#[derive(Clone)]
pub struct ProxyMetrics {
    base: Metrics,
    requests: IntCounterVec,
    duration: HistogramVec,
    shadow: ShadowMetrics,
    client_errors: IntCounterVec,
    client_body: Histogram,
    timeouts: IntCounterVec,
    connections_refused: IntCounter,
}

/// Which timeout ran out (see `[proxy]` `*_timeout_ms`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timeout {
    /// A request head did not arrive whole in time.
    Header,
    /// A keep-alive connection stayed idle too long.
    Idle,
    /// A request body made no progress in time.
    Body,
    /// An upstream's answer head did not come in time.
    Upstream,
    /// A request had no response head in time, all told.
    Total,
}

impl Timeout {
    /// The `kind` label.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Header => "header",
            Self::Idle => "idle",
            Self::Body => "body",
            Self::Upstream => "upstream",
            Self::Total => "total",
        }
    }
}

/// A request the client got wrong (or gave up on): answered `4xx` (or not at
/// all) and never counted against an upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientError {
    /// The path was refused before matching ([`crate::routes::path`]).
    BadPath,
    /// The body's framing was broken, or the client went away while sending it.
    BadBody,
    /// The body was larger than the route's limit.
    TooLarge,
    /// The body is no valid input for the route's translator.
    Untranslatable,
    /// The body stalled: no bytes within `proxy.body_timeout_ms`.
    BodyTimeout,
}

impl ClientError {
    /// The `kind` label.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadPath => "bad_path",
            Self::BadBody => "bad_body",
            Self::TooLarge => "too_large",
            Self::Untranslatable => "untranslatable",
            Self::BodyTimeout => "body_timeout",
        }
    }
}

impl ProxyMetrics {
    /// A fresh registry: the admin listener's HTTP and process metrics plus
    /// the proxy's own families.
    pub fn new() -> prometheus::Result<Self> {
        let base = Metrics::new()?;
        let registry = base.registry();
        let requests = counter_vec(
            registry,
            "strangler_requests_total",
            "Client requests answered by the proxy, by route group, mode, backend that answered and status code.",
            &["route", "mode", "backend", "status"],
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "strangler_request_duration_seconds",
                "Time from having a client request whole (its head, and its body's last byte when it has one) to having the response head ready, in seconds.",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
            &["route", "mode", "backend"],
        )?;
        registry.register(Box::new(duration.clone()))?;
        let shadow = ShadowMetrics::register(registry)?;
        let client_errors = counter_vec(
            registry,
            "strangler_client_errors_total",
            "Client requests refused or abandoned for the client's own fault, by kind: bad_path, bad_body, too_large, untranslatable, body_timeout. Never counted against an upstream.",
            &["kind"],
        )?;
        let client_body = Histogram::with_opts(
            HistogramOpts::new(
                "strangler_client_body_seconds",
                "Time the client took to send a request body, from the request head to the body's last byte, in seconds: the client's time, never counted as an upstream's latency.",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
        )?;
        registry.register(Box::new(client_body.clone()))?;
        let timeouts = counter_vec(
            registry,
            "strangler_timeouts_total",
            "Timeouts that ran out, by kind: header, idle, body (client side), upstream (an upstream's answer head), total (a request's whole time to its response head).",
            &["kind"],
        )?;
        let connections_refused = IntCounter::new(
            "strangler_connections_refused_total",
            "Client connections refused (503, then closed) because proxy.max_connections were open.",
        )?;
        registry.register(Box::new(connections_refused.clone()))?;
        Ok(Self {
            base,
            requests,
            duration,
            shadow,
            client_errors,
            client_body,
            timeouts,
            connections_refused,
        })
    }

    /// The platform registry (for the admin app and `/metrics`).
    pub fn base(&self) -> &Metrics {
        &self.base
    }

    /// The series of one route group (`UNROUTED` for unclaimed traffic).
    pub fn route(&self, route: &str) -> RouteSeries {
        RouteSeries {
            route: route.to_owned(),
            requests: self.requests.clone(),
            duration: self.duration.clone(),
            by: Default::default(),
        }
    }

    /// The shadow stage's families.
    pub fn shadow(&self) -> &ShadowMetrics {
        &self.shadow
    }

    /// What became of `route`'s shadowed requests since the start.
    pub fn shadow_traffic(&self, route: &str) -> ShadowTraffic {
        let shadowed = sum_where(&self.requests, &[("route", route), ("mode", "shadow")]);
        self.shadow.traffic(route, shadowed)
    }

    /// Counts one request the client got wrong.
    pub fn client_error(&self, kind: ClientError) {
        self.client_errors.with_label_values(&[kind.as_str()]).inc();
    }

    /// Observes the time a client took to send a request body.
    pub fn client_body(&self, took: Duration) {
        self.client_body.observe(took.as_secs_f64());
    }

    /// Counts a timeout that ran out.
    pub fn timed_out(&self, kind: Timeout) {
        self.timeouts.with_label_values(&[kind.as_str()]).inc();
    }

    /// Counts a client connection refused at the connection limit.
    pub fn connection_refused(&self) {
        self.connections_refused.inc();
    }

    /// Adds a family read from `read` at each scrape: the way to expose state
    /// kept elsewhere (breaker state, bulkhead occupancy) without a second
    /// counter. Fails when the name is taken.
    pub fn register_snapshot(
        &self,
        name: &str,
        help: &str,
        kind: Kind,
        label_names: &[&str],
        read: impl Fn() -> Vec<Sample> + Send + Sync + 'static,
    ) -> prometheus::Result<()> {
        self.base
            .register_snapshot(name, help, kind, label_names, read)
    }

    /// Prometheus text of everything (for tests and the CLI).
    pub fn render(&self) -> prometheus::Result<String> {
        self.base.render()
    }
}

fn counter_vec(
    registry: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
) -> prometheus::Result<IntCounterVec> {
    let family = IntCounterVec::new(Opts::new(name, help), labels)?;
    registry.register(Box::new(family.clone()))?;
    Ok(family)
}

/// Status codes with a slot of their own (100–599); others are looked up.
const STATUS_SLOTS: usize = 500;

/// One route's request series, resolved on first use and kept.
pub struct RouteSeries {
    route: String,
    requests: IntCounterVec,
    duration: HistogramVec,
    /// By mode, then backend.
    by: [[OnceLock<Series>; 3]; 5],
}

impl std::fmt::Debug for RouteSeries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouteSeries")
            .field("route", &self.route)
            .finish_non_exhaustive()
    }
}

/// The handles of one route × mode × backend.
struct Series {
    duration: Histogram,
    statuses: Box<[OnceLock<IntCounter>]>,
}

impl RouteSeries {
    /// Counts one answered request and its latency.
    pub fn observe(&self, mode: Mode, backend: Backend, status: u16, elapsed: Duration) {
        let (mode_label, backend_label) = (mode.as_str(), backend.as_str());
        let series = self.by[mode_index(mode)][backend_index(backend)].get_or_init(|| Series {
            duration: self.duration.with_label_values(&[
                self.route.as_str(),
                mode_label,
                backend_label,
            ]),
            statuses: (0..STATUS_SLOTS).map(|_| OnceLock::new()).collect(),
        });
        series.duration.observe(elapsed.as_secs_f64());
        let labels = || {
            let status = status.to_string();
            self.requests.with_label_values(&[
                self.route.as_str(),
                mode_label,
                backend_label,
                status.as_str(),
            ])
        };
        match usize::from(status)
            .checked_sub(100)
            .and_then(|slot| series.statuses.get(slot))
        {
            Some(slot) => slot.get_or_init(labels).inc(),
            None => labels().inc(),
        }
    }
}

fn mode_index(mode: Mode) -> usize {
    match mode {
        Mode::Legacy => 0,
        Mode::Shadow => 1,
        Mode::Canary => 2,
        Mode::New => 3,
        Mode::Retired => 4,
    }
}

fn backend_index(backend: Backend) -> usize {
    match backend {
        Backend::Legacy => 0,
        Backend::New => 1,
        Backend::LegacyFallback => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value of the series `name` with exactly `labels` (any order).
    fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let mut want: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
        want.sort();
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .find_map(|line| {
                let (series, value) = line.rsplit_once(' ')?;
                let (n, rest) = series.split_once('{').unwrap_or((series, "}"));
                let body = rest.strip_suffix('}')?;
                let mut got: Vec<String> = body
                    .split(",")
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned)
                    .collect();
                got.sort();
                (n == name && got == want).then(|| value.parse().unwrap())
            })
    }

    #[test]
    fn route_series_count_by_mode_backend_and_status() {
        let metrics = ProxyMetrics::new().unwrap();
        let series = metrics.route("payments");
        let ms = Duration::from_millis(3);
        series.observe(Mode::Canary, Backend::New, 200, ms);
        series.observe(Mode::Canary, Backend::New, 200, ms);
        series.observe(Mode::Canary, Backend::LegacyFallback, 502, ms);
        series.observe(Mode::Legacy, Backend::Legacy, 999, ms);
        let text = metrics.render().unwrap();
        let requests = |mode, backend, status| {
            let labels = [
                ("route", "payments"),
                ("mode", mode),
                ("backend", backend),
                ("status", status),
            ];
            sample(&text, "strangler_requests_total", &labels)
        };
        assert_eq!(requests("canary", "new", "200"), Some(2.0), "{text}");
        assert_eq!(requests("canary", "legacy-fallback", "502"), Some(1.0));
        assert_eq!(
            requests("legacy", "legacy", "999"),
            Some(1.0),
            "a code without a slot is still counted"
        );
        let fast = [
            ("route", "payments"),
            ("mode", "canary"),
            ("backend", "new"),
            ("le", "0.005"),
        ];
        let bucket = sample(&text, "strangler_request_duration_seconds_bucket", &fast);
        assert_eq!(bucket, Some(2.0), "{text}");
        assert!(
            !text.contains(r#"mode="shadow""#),
            "series appear once used, not before"
        );
    }
}
