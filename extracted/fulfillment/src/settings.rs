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
# publishes to JetStream and consumes payment.refunded and the monolith's
# legacy.order.changed / legacy.stock_item.changed from it, "off" neither.
# POST /inbox always accepts events (payment.refunded cancels an unshipped
# order; the monolith's changes are synced). Name the monolith's inbox here
# (http://127.0.0.1:8080/inbox) to sync orders and stock new → legacy.
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

[saga]
# The order sagas (docs/saga.md): the payment service they charge and bill
# through, the monolith they ask whether a customer exists (and for the
# billing details of the order's invoice), and how their steps are retried.
# Transient failures (timeouts, refused connections, 5xx) are retried from
# retry_initial_ms, doubling up to retry_max_ms; a forward step still failing
# after step_deadline_secs fails the saga, which then compensates
# (compensations retry until they succeed). An unknown customer refuses the
# start with 422; a monolith that cannot answer refuses it with 503.
payments_url = "http://127.0.0.1:8082"
customers_url = "http://127.0.0.1:8080"
request_timeout_ms = 5000
retry_initial_ms = 100
retry_max_ms = 10000
step_deadline_secs = 60
lease_secs = 30              # a driver's hold on a saga; another resumes it after this
recovery_interval_ms = 1000  # how often unfinished sagas are looked for
wait_ms = 5000               # how long POST /v2/sagas waits for the end before 202
stuck_after_attempts = 10    # a saga retried this often counts as stuck
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
    /// The order sagas.
    pub saga: SagaSettings,
}

/// How the order sagas reach the payment service and retry their steps.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SagaSettings {
    /// The payment service's base URL (its `/v2` API).
    pub payments_url: String,
    /// The monolith's base URL: the owner of the customers an order names.
    pub customers_url: String,
    /// One call to the payment service or the monolith, at most.
    pub request_timeout_ms: u64,
    /// The first retry's delay.
    pub retry_initial_ms: u64,
    /// The longest delay between retries.
    pub retry_max_ms: u64,
    /// How long a forward step may keep failing transiently before it fails.
    pub step_deadline_secs: u64,
    /// How long a driver holds a saga before another may resume it.
    pub lease_secs: u64,
    /// How often the recovery loop looks for unfinished sagas.
    pub recovery_interval_ms: u64,
    /// How long `POST /v2/sagas` waits for the saga to end.
    pub wait_ms: u64,
    /// Attempts after which an unfinished saga counts as stuck.
    pub stuck_after_attempts: i32,
}

impl Validate for SagaSettings {
    fn validate(&self) -> Result<(), InvalidSetting> {
        base_url(
            "saga.payments_url",
            &self.payments_url,
            "must be the payment service's http:// or https:// base URL",
        )?;
        base_url(
            "saga.customers_url",
            &self.customers_url,
            "must be the monolith's http:// or https:// base URL",
        )?;
        let positive = [
            ("saga.request_timeout_ms", self.request_timeout_ms),
            ("saga.retry_initial_ms", self.retry_initial_ms),
            ("saga.retry_max_ms", self.retry_max_ms),
            ("saga.step_deadline_secs", self.step_deadline_secs),
            ("saga.recovery_interval_ms", self.recovery_interval_ms),
        ];
        if let Some((key, _)) = positive.iter().find(|(_, v)| *v == 0) {
            return Err(InvalidSetting::new(*key, "must be above 0"));
        }
        // A lease shorter than one call would let a second driver take a
        // saga whose first driver is still waiting for the payment service.
        if self.lease_secs * 1000 <= self.request_timeout_ms {
            return Err(InvalidSetting::new(
                "saga.lease_secs",
                "must be longer than saga.request_timeout_ms",
            ));
        }
        if self.stuck_after_attempts < 1 {
            return Err(InvalidSetting::new(
                "saga.stuck_after_attempts",
                "must be at least 1",
            ));
        }
        Ok(())
    }
}

fn base_url(key: &'static str, value: &str, wanted: &'static str) -> Result<(), InvalidSetting> {
    let url = value.trim_end_matches('/');
    if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() < 10 {
        return Err(InvalidSetting::new(key, wanted));
    }
    Ok(())
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
        self.saga.validate()?;
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
        assert_eq!(s.database.url.as_str(), "sqlite://data/fulfillment.db");
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
    fn a_lease_no_longer_than_a_call_is_refused() {
        let bad = DEFAULTS.replace("lease_secs = 30", "lease_secs = 5");
        let err = platform::settings::load::<Settings>(&bad, None, "FULFILLMENT_TEST_NONE")
            .unwrap_err()
            .to_string();
        assert!(err.contains("saga.lease_secs"), "{err}");
    }

    #[test]
    fn a_customers_url_that_is_not_http_is_refused() {
        let bad = DEFAULTS.replace(
            "customers_url = \"http://127.0.0.1:8080\"",
            "customers_url = \"monolith\"",
        );
        let err = platform::settings::load::<Settings>(&bad, None, "FULFILLMENT_TEST_NONE")
            .unwrap_err()
            .to_string();
        assert!(err.contains("saga.customers_url"), "{err}");
    }

    #[test]
    fn the_saga_defaults_are_quoted_in_the_docs() {
        let doc = include_str!("../../../docs/configuration.md");
        let saga = &DEFAULTS[DEFAULTS.find("[saga]").unwrap()..];
        assert!(
            doc.contains(saga.trim_end()),
            "docs/configuration.md must quote the [saga] defaults verbatim"
        );
    }

    #[test]
    fn the_events_defaults_are_quoted_in_the_docs() {
        let doc = include_str!("../../../docs/configuration.md");
        let events =
            &DEFAULTS[DEFAULTS.find("[events]").unwrap()..DEFAULTS.find("[saga]").unwrap()];
        assert!(
            doc.contains(events.trim_end()),
            "docs/configuration.md must quote the [events] defaults verbatim"
        );
    }
}
