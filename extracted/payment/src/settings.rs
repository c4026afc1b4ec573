//! The payment service's typed settings: embedded defaults
//! (`config/default.toml`), an optional file, then `PAYMENT__SECTION__KEY`
//! variables.

use platform::relay::EventsSettings;
use platform::settings::{
    self, DatabaseSettings, InvalidSetting, ServerSettings, SettingsError, TelemetrySettings,
    Validate,
};
use serde::Deserialize;
use std::path::Path;

/// The embedded defaults, also the documented reference.
pub const DEFAULTS: &str = include_str!("../config/default.toml");

/// Everything the service reads at start.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The HTTP listener.
    pub server: ServerSettings,
    /// The service's own database.
    pub database: DatabaseSettings,
    /// Logs.
    pub telemetry: TelemetrySettings,
    /// The legacy id range the service assigns from.
    pub legacy_ids: LegacyIdSettings,
    /// How its outbox events are relayed.
    pub events: EventsSettings,
}

/// Where the service's own legacy ids start.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegacyIdSettings {
    /// The first legacy id the service assigns; imported ids must be below.
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
                "must be at least 2 so that imported legacy ids (1 and up) stay below it",
            ));
        }
        Ok(())
    }
}

impl Settings {
    /// Loads and validates the settings.
    pub fn load(file: Option<&Path>) -> Result<Self, SettingsError> {
        settings::load(DEFAULTS, file, "PAYMENT")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_defaults_are_valid() {
        let s: Settings = settings::load(DEFAULTS, None, "PAYMENT_TEST_NONE").unwrap();
        assert_eq!(s.database.url.as_str(), "sqlite://data/payment.db");
        assert_eq!(s.legacy_ids.start, 1_000_000_000);
    }

    #[test]
    fn a_bad_start_names_its_key() {
        let bad = DEFAULTS.replace("start = 1000000000", "start = 0");
        let err = settings::load::<Settings>(&bad, None, "PAYMENT_TEST_NONE").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("invalid setting `legacy_ids.start`"),
            "{err}"
        );
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
