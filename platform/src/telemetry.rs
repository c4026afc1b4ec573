//! Log and trace set-up: one global `tracing` subscriber with a log layer
//! (human-readable or JSON) and an OpenTelemetry layer that gives every span
//! W3C trace and span ids (see [`crate::trace_context`]). Request spans (see
//! [`crate::correlation`]) carry the correlation id and the trace id, so every
//! line logged while a request is handled names both.
//!
//! Spans are exported over OTLP/HTTP (JSON) only when `telemetry.otlp_endpoint`
//! is set; the [`Telemetry`] guard [`init`] returns flushes and stops the
//! exporter when it is dropped, so keep it alive until the server has stopped.

mod export;

use crate::settings::{LogFormat, TelemetrySettings};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use std::sync::atomic::{AtomicBool, Ordering};
use tracing::Subscriber;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

pub use export::ExportError;

/// Whether this process's installed subscriber exports spans (see [`exporting`]).
static EXPORTING: AtomicBool = AtomicBool::new(false);

/// Whether spans recorded in this process go anywhere: a hot path with no
/// other use for its span (the proxy's) may then skip it and only propagate
/// trace context.
pub fn exporting() -> bool {
    EXPORTING.load(Ordering::Relaxed)
}

/// Keeps the tracer provider; dropping it exports what is still buffered and
/// stops the exporter.
#[must_use = "dropping the guard stops span export"]
pub struct Telemetry {
    provider: SdkTracerProvider,
    exporting: bool,
}

impl Telemetry {
    /// Whether spans are exported (an OTLP endpoint is configured).
    pub fn exporting(&self) -> bool {
        self.exporting
    }

    /// Exports every finished span now (tests; shutdown does it anyway).
    pub fn flush(&self) {
        let _ = self.provider.force_flush();
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if self.exporting {
            EXPORTING.store(false, Ordering::Relaxed);
            let _ = self.provider.shutdown();
        }
    }
}

/// Installs the global subscriber, logging to stdout. `RUST_LOG`, when set,
/// overrides the filter. A second call installs nothing (tests start many
/// apps in one process): the first subscriber stays, and the guard returned
/// then exports nothing.
pub fn init(settings: &TelemetrySettings) -> Result<Telemetry, ExportError> {
    init_with_writer(settings, std::io::stdout)
}

/// [`init`] with log lines going to `writer` (tests capture them).
pub fn init_with_writer<W>(
    settings: &TelemetrySettings,
    writer: W,
) -> Result<Telemetry, ExportError>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let mut telemetry = provider(settings)?;
    if !install(settings, Some(writer), &telemetry.provider) && telemetry.exporting {
        let _ = telemetry.provider.shutdown();
        telemetry.exporting = false;
    }
    if telemetry.exporting {
        EXPORTING.store(true, Ordering::Relaxed);
    }
    Ok(telemetry)
}

fn provider(settings: &TelemetrySettings) -> Result<Telemetry, ExportError> {
    let builder = SdkTracerProvider::builder();
    Ok(match settings.otlp_endpoint.trim() {
        "" => Telemetry {
            provider: builder.build(),
            exporting: false,
        },
        endpoint => Telemetry {
            provider: export::provider(builder, endpoint, &settings.service_name)?,
            exporting: true,
        },
    })
}

/// Returns whether the subscriber was installed (no other was).
fn install<W>(settings: &TelemetrySettings, writer: Option<W>, provider: &SdkTracerProvider) -> bool
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    subscriber(settings, writer, provider).try_init().is_ok()
}

/// The log layer filtered by `telemetry.filter` (or `RUST_LOG`), and the
/// OpenTelemetry layer filtered apart at `info`: quieter logs never stop
/// trace context from being started and propagated.
fn subscriber<W>(
    settings: &TelemetrySettings,
    writer: Option<W>,
    provider: &SdkTracerProvider,
) -> impl Subscriber + Send + Sync + for<'a> LookupSpan<'a>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter =
        || EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&settings.filter));
    let fmt = writer.map(|writer| match settings.format {
        LogFormat::Human => tracing_subscriber::fmt::layer()
            .with_writer(writer)
            .with_target(true)
            .with_filter(filter())
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_writer(writer)
            .with_target(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_filter(filter())
            .boxed(),
    });
    tracing_subscriber::registry()
        .with(fmt)
        .with(layer_of(provider).with_filter(LevelFilter::INFO))
}

/// The OpenTelemetry layer: spans get trace and span ids and follow remote
/// parents. Nothing is exported from this tracer.
pub fn otel_layer<S>() -> tracing_opentelemetry::OpenTelemetryLayer<S, SdkTracer>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    layer_of(&SdkTracerProvider::builder().build())
}

fn layer_of<S>(
    provider: &SdkTracerProvider,
) -> tracing_opentelemetry::OpenTelemetryLayer<S, SdkTracer>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    tracing_opentelemetry::layer()
        .with_tracer(provider.tracer("strangler-kit"))
        // Thread names and ids, code locations, busy/idle times: noise on
        // every span, and work on every poll of an instrumented future.
        .with_threads(false)
        .with_location(false)
        .with_tracked_inactivity(false)
        // Nothing here reads OpenTelemetry's thread-local context; ids come
        // from the `tracing` span (see `trace_context`).
        .with_context_activation(false)
}

/// Tracing for tests: spans always get trace ids (so propagation can be
/// tested); log lines are printed only when `TEST_LOG` is set (human lines,
/// or JSON when `TEST_LOG=json`). Nothing is exported.
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
        otlp_endpoint: String::new(),
        service_name: "test".into(),
    };
    let provider = SdkTracerProvider::builder().build();
    let _ = install(
        &settings,
        mode.is_some()
            .then_some(tracing_subscriber::fmt::TestWriter::new()),
        &provider,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace_context::TraceContext;

    #[test]
    fn quiet_logs_still_carry_trace_context() {
        let settings = TelemetrySettings {
            format: LogFormat::Json,
            filter: "warn".into(),
            otlp_endpoint: String::new(),
            service_name: "test".into(),
        };
        let provider = SdkTracerProvider::builder().build();
        let logs = subscriber(&settings, Some(std::io::sink), &provider);
        tracing::subscriber::with_default(logs, || {
            let request = tracing::info_span!("request");
            assert!(TraceContext::of(&request).is_some(), "info spans get ids");
            let noisy = tracing::debug_span!("poll");
            assert_eq!(TraceContext::of(&noisy), None, "debug spans cost nothing");
        });
    }
}
