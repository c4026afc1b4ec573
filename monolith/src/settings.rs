//! The monolith's typed settings: embedded defaults (`config/default.toml`), an
//! optional file, then `MONOLITH__SECTION__KEY` variables.

use crate::legacy::LegacyClock;
use platform::relay::EventsSettings;
use platform::settings::{
    self, DatabaseSettings, InvalidSetting, ServerSettings, SettingsError, TelemetrySettings,
    Validate,
};
use serde::Deserialize;
use std::path::Path;

/// The embedded defaults, also the documented reference.
pub const DEFAULTS: &str = include_str!("../config/default.toml");

/// Everything the monolith reads at start.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The HTTP listener.
    pub server: ServerSettings,
    /// Its one database.
    pub database: DatabaseSettings,
    /// Logs.
    pub telemetry: TelemetrySettings,
    /// How the legacy API shows things.
    pub legacy: LegacySettings,
    /// How payment changes reach the payment service (sync, legacy → new)
    /// and, with NATS, where its changes come back from.
    pub events: EventsSettings,
}

/// Legacy wire conventions.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegacySettings {
    /// IANA zone of the legacy local-time strings.
    pub timezone: String,
}

impl Validate for Settings {
    fn validate(&self) -> Result<(), InvalidSetting> {
        self.server.validate()?;
        self.database.validate()?;
        self.telemetry.validate()?;
        self.events.validate()?;
        LegacyClock::parse(&self.legacy.timezone)
            .map_err(|e| InvalidSetting::new("legacy.timezone", e))?;
        Ok(())
    }
}

impl Settings {
    /// Loads and validates the settings.
    pub fn load(file: Option<&Path>) -> Result<Self, SettingsError> {
        settings::load(DEFAULTS, file, "MONOLITH")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_defaults_are_valid() {
        let s: Settings = settings::load(DEFAULTS, None, "MONOLITH_TEST_NONE").unwrap();
        assert_eq!(s.database.url, "sqlite://data/monolith.db");
    }

    #[test]
    fn a_bad_zone_names_its_key() {
        let bad = DEFAULTS.replace("Europe/Berlin", "Nowhere/City");
        let err = settings::load::<Settings>(&bad, None, "MONOLITH_TEST_NONE").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("invalid setting `legacy.timezone`"),
            "{err}"
        );
    }
}
