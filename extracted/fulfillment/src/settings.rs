//! The service's typed settings: embedded defaults, an optional TOML file,
//! then `FULFILLMENT__SECTION__KEY` variables (see `platform::settings`).

use platform::relay::EventsSettings;
use platform::settings::{
    DatabaseSettings, InvalidSetting, ServerSettings, SettingsError, TelemetrySettings, Validate,
};
use serde::Deserialize;
use std::path::Path;

/// The prefix of the environment variables that override settings.
pub const ENV_PREFIX: &str = "FULFILLMENT";

/// The defaults compiled into the binary: it runs with no file at all.
pub const DEFAULTS: &str = r#"
[server]
host = "127.0.0.1"
port = 8083
workers = 0
max_body_bytes = 65536
shutdown_timeout_secs = 10

[database]
url = "sqlite://data/fulfillment.db"
pool_size = 8

[telemetry]
format = "human"
filter = "info"
otlp_endpoint = ""
service_name = "fulfillment"

[legacy_ids]
start = 1000000000

[events]
# How the outbox is relayed: "http" POSTs each event to every subscriber's
# inbox (none by default: events wait until one is configured), "nats"
# publishes to JetStream and consumes payment.refunded from it, "off" neither.
# POST /inbox always accepts events (payment.refunded cancels an unshipped order).
transport = "http"
subscribers = []
nats_url = "127.0.0.1:4222"
stream = "EVENTS"            # created at start when missing; holds <subject_prefix>.>
subject_prefix = "events"    # events.order.cancelled, ...
consumer = "fulfillment"     # durable NATS consumer name
poll_interval_ms = 500
batch_size = 100
max_backoff_ms = 30000       # retries back off from poll_interval_ms up to this
publish_timeout_ms = 5000
"#;

/// Everything the service reads at start.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Listener and request limits.
    pub server: ServerSettings,
    /// The service's own database.
    pub database: DatabaseSettings,
    /// Logging.
    pub telemetry: TelemetrySettings,
    /// Where the legacy ids the service assigns begin.
    pub legacy_ids: LegacyIdSettings,
    /// How its outbox is relayed and where it consumes events from.
    pub events: EventsSettings,
}

/// The legacy-id range the service assigns from.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegacyIdSettings {
    /// The first legacy id the service may assign. The monolith's ids stay
    /// below it, so ids never collide; an explicit (imported) legacy id must
    /// be below it too.
    pub start: i64,
}

impl Validate for Settings {
    fn validate(&self) -> Result<(), InvalidSetting> {
        self.server.validate()?;
        self.database.validate()?;
        self.telemetry.validate()?;
        self.events.validate()?;
        if self.legacy_ids.start < 2 {
            return Err(InvalidSetting::new(
                "legacy_ids.start",
                "must be at least 2, above every id the monolith uses",
            ));
        }
        Ok(())
    }
}

/// Loads the settings: defaults, then `file` when given, then the environment.
pub fn load(file: Option<&Path>) -> Result<Settings, SettingsError> {
    platform::settings::load(DEFAULTS, file, ENV_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_documented_values_hold() {
        let s: Settings =
            platform::settings::load(DEFAULTS, None, "FULFILLMENT_TEST_NONE").unwrap();
        assert_eq!(s.database.url, "sqlite://data/fulfillment.db");
        assert_eq!(s.legacy_ids.start, 1_000_000_000);
    }

    #[test]
    fn a_range_start_below_two_is_refused() {
        let bad = DEFAULTS.replace("start = 1000000000", "start = 0");
        let err = platform::settings::load::<Settings>(&bad, None, "FULFILLMENT_TEST_NONE")
            .unwrap_err()
            .to_string();
        assert!(err.contains("legacy_ids.start"), "{err}");
    }

    #[test]
    fn the_events_defaults_are_quoted_in_the_docs() {
        let doc = include_str!("../../../docs/configuration.md");
        let events = &DEFAULTS[DEFAULTS.find("[events]").unwrap()..];
        assert!(
            doc.contains(events.trim_end()),
            "docs/configuration.md must quote the [events] defaults verbatim"
        );
    }
}
