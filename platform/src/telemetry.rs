//! Log set-up: one global `tracing` subscriber, human-readable or JSON. Request
//! spans (see [`crate::correlation`]) carry the correlation id, so every line
//! logged while a request is handled names it.

use crate::settings::{LogFormat, TelemetrySettings};
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. `RUST_LOG`, when set, overrides the filter.
/// A second call is a no-op (tests start many apps in one process).
pub fn init(settings: &TelemetrySettings) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&settings.filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(true);
    let _ = match settings.format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
}

/// Logging for tests: silent unless `TEST_LOG` is set (then human lines, or JSON
/// when `TEST_LOG=json`).
pub fn init_for_tests() {
    let Ok(mode) = std::env::var("TEST_LOG") else {
        return;
    };
    let format = if mode == "json" {
        LogFormat::Json
    } else {
        LogFormat::Human
    };
    init(&TelemetrySettings {
        format,
        filter: "info".into(),
    });
}
