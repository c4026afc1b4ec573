//! Log and trace set-up: one global `tracing` subscriber with a log layer
//! (human-readable or JSON) and an OpenTelemetry layer that gives every span
//! W3C trace and span ids (see [`crate::trace_context`]). Request spans (see
//! [`crate::correlation`]) carry the correlation id, so every line logged
//! while a request is handled names it.

use crate::settings::{LogFormat, TelemetrySettings};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use tracing::Subscriber;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Installs the global subscriber. `RUST_LOG`, when set, overrides the filter.
/// A second call is a no-op (tests start many apps in one process).
pub fn init(settings: &TelemetrySettings) {
    install(settings, true);
}

fn install(settings: &TelemetrySettings, logs: bool) {
    let filter =
        || EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&settings.filter));
    let fmt = logs.then(|| match settings.format {
        LogFormat::Human => tracing_subscriber::fmt::layer()
            .with_target(true)
            .with_filter(filter())
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_target(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_filter(filter())
            .boxed(),
    });
    let _ = tracing_subscriber::registry()
        .with(fmt)
        .with(otel_layer().with_filter(filter()))
        .try_init();
}

/// The OpenTelemetry layer: spans get trace and span ids and follow remote
/// parents. Nothing is exported from this tracer.
pub fn otel_layer<S>() -> tracing_opentelemetry::OpenTelemetryLayer<S, SdkTracer>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let provider = SdkTracerProvider::builder().build();
    tracing_opentelemetry::layer().with_tracer(provider.tracer("strangler-kit"))
}

/// Tracing for tests: spans always get trace ids (so propagation can be
/// tested); log lines are printed only when `TEST_LOG` is set (human lines,
/// or JSON when `TEST_LOG=json`).
pub fn init_for_tests() {
    let mode = std::env::var("TEST_LOG").ok();
    let format = if mode.as_deref() == Some("json") {
        LogFormat::Json
    } else {
        LogFormat::Human
    };
    let settings = TelemetrySettings {
        format,
        filter: "info".into(),
    };
    install(&settings, mode.is_some());
}
