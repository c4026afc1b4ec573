//! Prometheus metrics: each app owns a [`Metrics`] (its own registry, never
//! the process-wide default one, so several apps in one process — as in the
//! tests — each show only their own numbers), served as Prometheus text on
//! `GET /metrics` by [`crate::server::base_app`].
//!
//! What every app gets: `http_server_requests_total{method,route,status}` and
//! `http_server_request_duration_seconds{method,route}` from the [`http`]
//! middleware (`route` is the matched pattern, so cardinality stays bounded),
//! and on Linux the `process_*` metrics (CPU, memory, open files). A service
//! with a transactional outbox also gets the [`outbox_lag`] gauges, read from
//! its database at scrape time. Numbers another part of the program already
//! keeps are exposed without a second counter by a [`snapshot`] family.

pub mod http;
pub mod outbox_lag;
pub mod snapshot;

use crate::problem::Problem;
use actix_web::{HttpRequest, HttpResponse, web};
use outbox_lag::OutboxLag;
use prometheus::core::Collector;
use prometheus::{Encoder, Registry, TextEncoder};
use std::sync::Arc;

pub use snapshot::{Kind, Sample, SnapshotFamily};

/// Histogram buckets for request latencies, in seconds: 1 ms to 10 s.
pub const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The content type of the text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// One app's metrics: its registry and the families every app has. Cheap to
/// clone (shared).
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Registry,
    http: http::HttpMetrics,
    outbox: Option<OutboxLag>,
}

impl Metrics {
    /// A fresh registry with the HTTP server and process metrics.
    pub fn new() -> prometheus::Result<Self> {
        Self::build(false)
    }

    /// Like [`Metrics::new`], plus the outbox lag gauges (the app must have
    /// `web::Data<Db>` whose database has an `outbox` table).
    pub fn with_outbox_lag() -> prometheus::Result<Self> {
        Self::build(true)
    }

    fn build(outbox: bool) -> prometheus::Result<Self> {
        let registry = Registry::new();
        #[cfg(target_os = "linux")]
        registry.register(Box::new(
            prometheus::process_collector::ProcessCollector::for_self(),
        ))?;
        let http = http::HttpMetrics::register(&registry)?;
        let outbox = match outbox {
            true => Some(OutboxLag::register(&registry)?),
            false => None,
        };
        Ok(Self {
            inner: Arc::new(Inner {
                registry,
                http,
                outbox,
            }),
        })
    }

    /// The registry, to add an app's own families.
    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    /// Adds `collector` to the registry (fails when a name is taken).
    pub fn register(&self, collector: impl Collector + 'static) -> prometheus::Result<()> {
        self.inner.registry.register(Box::new(collector))
    }

    /// Adds a family read from `read` at each scrape (see [`SnapshotFamily`]).
    pub fn register_snapshot(
        &self,
        name: &str,
        help: &str,
        kind: Kind,
        label_names: &[&str],
        read: impl Fn() -> Vec<Sample> + Send + Sync + 'static,
    ) -> prometheus::Result<()> {
        self.register(SnapshotFamily::new(name, help, kind, label_names, read)?)
    }

    /// The HTTP server families (for the middleware).
    pub fn http(&self) -> &http::HttpMetrics {
        &self.inner.http
    }

    /// Everything in the registry, as Prometheus text.
    pub fn render(&self) -> Result<String, prometheus::Error> {
        let mut buf = Vec::new();
        TextEncoder::new().encode(&self.inner.registry.gather(), &mut buf)?;
        String::from_utf8(buf).map_err(|e| prometheus::Error::Msg(e.to_string()))
    }
}

/// `GET /metrics`: refreshes what is read at scrape time, then renders the
/// registry. Needs `web::Data<Metrics>` (added by `base_app`).
pub async fn scrape(
    req: HttpRequest,
    metrics: web::Data<Metrics>,
) -> Result<HttpResponse, Problem> {
    if let Some(outbox) = &metrics.inner.outbox {
        outbox
            .refresh(req.app_data::<web::Data<crate::db::Db>>())
            .await;
    }
    let text = metrics
        .render()
        .map_err(|e| Problem::internal(&format!("the metrics cannot be rendered: {e}")))?;
    Ok(HttpResponse::Ok().content_type(CONTENT_TYPE).body(text))
}
